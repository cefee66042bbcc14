"""The ``pcmphys`` command line: ``info`` and the handling of bad input."""

import subprocess
import sys

import pytest

from pcmphys import __version__
from pcmphys.cli import COMMANDS, UsageError, main


def test_info_names_versions_and_backends(capsys):
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert f"pcmphys      {__version__}" in out
    for label in ("python", "numpy", "scipy", "xarray", "zarr", "cupy", "compiler", "nvcc",
                  "kernels", "host cache", "gpu"):
        assert f"\n{label:<13}" in out, label
    for backend in ("numpy", "host", "cupy"):
        assert f"\n  {backend:<11}ok: " in out or f"\n  {backend:<11}unavailable: " in out
    assert "auto -> " in out


def test_python_m_pcmphys_info():
    proc = subprocess.run([sys.executable, "-m", "pcmphys", "info"], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "backends" in proc.stdout and "  host" in proc.stdout


@pytest.mark.parametrize("argv, message", [
    ([], "choose a command: info"),
    (["no-such-command"], "invalid choice"),
    (["info", "--no-such-option"], "unrecognized arguments"),
])
def test_bad_input_is_one_line_exit_2(argv, message, capsys):
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert message in captured.err
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err


def test_usage_error_from_a_command(monkeypatch, capsys):
    def run(args):
        raise UsageError("pcmphys demo: unknown parameter set 'x'; valid: a, b")

    monkeypatch.setitem(COMMANDS, "demo", (lambda parser: None, run))
    assert main(["demo"]) == 2
    assert capsys.readouterr().err == "pcmphys demo: unknown parameter set 'x'; valid: a, b\n"


def test_help_and_version_exit_0(capsys):
    assert main(["--help"]) == 0
    assert "info" in capsys.readouterr().out
    assert main(["--version"]) == 0
    assert __version__ in capsys.readouterr().out


def test_bench_unknown_name_and_quick_rng(tmp_path, capsys):
    """`pcmphys bench` rejects unknown benchmarks and writes JSON for a quick run."""
    import json

    from pcmphys import cli

    assert cli.main(["bench", "nope"]) == 2
    assert "choose from" in capsys.readouterr().err
    assert cli.main(["bench", "rng", "--quick", "--out", str(tmp_path)]) == 0
    result = json.loads((tmp_path / "rng.json").read_text())
    assert result["devices"] == 200000 and result["numpy_muint32_per_s"] > 0


def test_bench_skips_benchmarks_whose_tool_is_missing(tmp_path, capsys, monkeypatch):
    """`pcmphys bench resources` needs nvcc: without it the benchmark is skipped with a note
    (exit 0, no JSON), not run into an error."""
    from pcmphys import cli

    monkeypatch.setattr(cli.shutil, "which", lambda name: None)
    assert cli.main(["bench", "resources", "--out", str(tmp_path)]) == 0
    assert "skipped resources: nvcc not found on PATH" in capsys.readouterr().out
    assert not (tmp_path / "resources.json").exists()
