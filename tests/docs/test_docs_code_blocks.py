"""The python code blocks of the documentation pages run as written (no docs toolchain needed).

The ``.. code-block:: python`` blocks of each page under ``docs/`` run in order, as one
script per page, in an empty folder, and must exit 0. ``NOT_RUN_HERE`` names the pages whose
blocks are too slow for the default suite, with the test that runs the same call instead.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
BLOCK = re.compile(r"^\.\. code-block:: python[ \t]*\n((?:[ \t]*\n|[ \t]+\S.*\n)+)", re.M)
NOT_RUN_HERE = {
    "user_guide/fitting.rst": ("tests/studies/test_fit_published_accumulation.py",
                               "a fit takes tens of seconds; the study's smoke run fits the "
                               "same published curve"),
}


def page_blocks(page):
    text = (DOCS / page).read_text(encoding="utf-8")
    return [textwrap.dedent(m.group(1)).strip() + "\n" for m in BLOCK.finditer(text)]


PAGES = sorted(p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.rst")
               if not {"_build", "_generated", "auto_examples"} & set(p.parts)
               and page_blocks(p.relative_to(DOCS)))


def test_pages_with_code_found():
    assert "getting_started.rst" in PAGES and "user_guide/populations.rst" in PAGES
    for page, (test, _why) in NOT_RUN_HERE.items():
        assert page in PAGES, f"NOT_RUN_HERE lists {page}, which has no python block"
        assert (ROOT / test).is_file(), test


@pytest.mark.parametrize("page", [p for p in PAGES if p not in NOT_RUN_HERE])
def test_docs_page_code_runs(page, tmp_path):
    env = dict(os.environ, MPLBACKEND="Agg")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    script = "\n".join(page_blocks(page))
    proc = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"{page}: code blocks failed:\n{proc.stderr[-3000:]}"


TOML_BLOCK = re.compile(r"^\.\. code-block:: toml[ \t]*\n((?:[ \t]*\n|[ \t]+\S.*\n)+)", re.M)


def test_docs_protocol_files_parse():
    """Each protocol shown as TOML on a page reads with PulseTrain.from_toml."""
    import pcmphys as pcm

    blocks = [textwrap.dedent(m.group(1)) for p in DOCS.rglob("*.rst")
              if not {"_build", "_generated", "auto_examples"} & set(p.parts)
              for m in TOML_BLOCK.finditer(p.read_text(encoding="utf-8"))]
    protocols = [b for b in blocks if "[[step]]" in b]
    assert protocols
    for text in protocols:
        assert len(pcm.PulseTrain.from_toml(text).groups()) >= 1
