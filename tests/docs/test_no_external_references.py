"""The repository stands alone: no file points to design or physics notes outside it
(the physics, design, window and statistical-model notes, or the shared folder beside the
checkout; see ``PATTERN``); the
docs pages hold that material now (issue 17)."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PATTERN = re.compile(r"\.\./shared|(?<![\w/])(physics|design|statistical_model|window)\.md"
                     r"|\bshared/(physics|design|statistical_model|window)")
THIS = Path(__file__).resolve().relative_to(ROOT).as_posix()


def _tracked_files():
    try:
        out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):  # not a git checkout (an sdist)
        out = [p.relative_to(ROOT).as_posix() for p in ROOT.rglob("*") if p.is_file()
               and not any(part.startswith(".") or part in ("_build", "_generated")
                           for part in p.relative_to(ROOT).parts)]
    return [p for p in out if p != THIS]


def test_no_file_refers_to_documents_outside_the_repository():
    hits = []
    for rel in _tracked_files():
        try:
            text = (ROOT / rel).read_text(encoding="utf-8")
        except (UnicodeDecodeError, FileNotFoundError, IsADirectoryError):
            continue
        for n, line in enumerate(text.splitlines(), 1):
            if PATTERN.search(line):
                hits.append(f"{rel}:{n}: {line.strip()[:100]}")
    assert not hits, "references to documents outside the repository:\n" + "\n".join(hits)
