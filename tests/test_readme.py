"""The README's code blocks run as written (issue 17: "the README Tour does not run").

Every ```python block of README.md runs, in order, in one empty folder, each in a fresh
interpreter, and must exit 0 and print what it measured; the blocks that write a store then
run a second time in the same folder (a second run used to fail on the existing ``run.zarr``).
Every ``pcmphys ...`` command line of the README's shell blocks runs afterwards in that folder
(the simulate line reads the ``protocol.toml`` a Tour block saved), except the few listed in
``NOT_RUN_HERE`` with the test that covers them.
"""
from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
FENCE = re.compile(r"^```(?P<lang>[\w+-]*)[ \t]*\n(?P<body>.*?)^```[ \t]*$", re.M | re.S)

#: README command lines not run here, with the test that runs them instead
NOT_RUN_HERE = {
    "pcmphys study device_characterization --smoke":
        ("tests/studies/test_device_characterization.py", "runs this smoke study"),
    "pcmphys bench --quick":
        ("tests/unit/test_cli.py", "runs every benchmark (minutes); the CLI test runs "
         "`pcmphys bench rng --quick`"),
}


def readme_blocks(lang):
    """Bodies of the README's fenced blocks tagged `lang`, in order."""
    text = README.read_text(encoding="utf-8")
    return [m.group("body") for m in FENCE.finditer(text) if m.group("lang") == lang]


def readme_commands():
    """``pcmphys ...`` lines of the README's shell blocks (comments stripped)."""
    commands = []
    for body in readme_blocks("bash") + readme_blocks(""):
        for line in body.splitlines():
            line = line.split(" #", 1)[0].strip()
            if line.startswith("pcmphys "):
                commands.append(line)
    return commands


def _env():
    env = dict(os.environ, MPLBACKEND="Agg")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    return env


def _run(args, cwd, what):
    proc = subprocess.run(args, cwd=cwd, env=_env(), capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, f"{what} failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}"
    return proc.stdout


def test_readme_has_the_blocks_this_test_runs():
    """The extraction finds the Tour's python blocks and the CLI lines (a broken fence or a
    renamed language tag would otherwise make the other tests pass on nothing)."""
    assert len(readme_blocks("python")) >= 3
    commands = readme_commands()
    assert any(c.startswith("pcmphys simulate ") for c in commands)
    for command in NOT_RUN_HERE:
        assert command in commands, f"NOT_RUN_HERE lists {command!r}, which the README lost"


def test_readme_python_blocks_run_as_written_and_twice(tmp_path):
    """Each python block exits 0 and prints; the store-writing blocks run a second time."""
    blocks = readme_blocks("python")
    for i, body in enumerate(blocks):
        out = _run([sys.executable, "-c", body], tmp_path, f"README python block {i + 1}")
        assert out.strip(), f"README python block {i + 1} printed nothing"
    assert (tmp_path / "run.zarr").is_dir() and (tmp_path / "protocol.toml").is_file()
    for i, body in enumerate(blocks):
        if "store=" in body:
            _run([sys.executable, "-c", body], tmp_path, f"README python block {i + 1}, rerun")
    # the shell lines after the Tour, in the same folder (they use its protocol.toml)
    ran = 0
    for command in readme_commands():
        if command in NOT_RUN_HERE:
            continue
        args = shlex.split(command)
        out = _run([sys.executable, "-m", "pcmphys", *args[1:]], tmp_path, f"`{command}`")
        assert out.strip(), f"`{command}` printed nothing"
        ran += 1
    assert ran >= 3
    assert (tmp_path / "cli.png").stat().st_size > 0


@pytest.mark.parametrize("command", sorted(NOT_RUN_HERE))
def test_readme_commands_not_run_here_are_covered_elsewhere(command):
    """Each skipped command names a test file that exists."""
    path, _why = NOT_RUN_HERE[command]
    assert (ROOT / path).is_file(), f"{command!r}: {path} does not exist"


def test_readme_links_to_files_that_exist():
    """Every relative link of the README (the documentation pages, LICENSE, ...) exists."""
    text = README.read_text(encoding="utf-8")
    links = [t for t in re.findall(r"\]\(([^)\s]+)\)", text) if "://" not in t]
    assert any(t.startswith("docs/") for t in links)
    missing = [t for t in links if not (ROOT / t.split("#")[0]).exists()]
    assert not missing, f"README links to missing files: {missing}"
