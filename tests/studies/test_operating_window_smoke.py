"""The operating-window study runs end to end in smoke mode: prints every target with its
simulated value and PASS/MISS, writes the zarr store and the figures."""
import pytest

from pcmphys import cli

pytest.importorskip("matplotlib")
pytest.importorskip("xarray")

FIGURES = ("accumulation_vs_current.png", "melt_fraction.png", "g_vs_width.png",
           "programming_curve.png", "nu_vs_g.png", "read_traces.png", "retention_arrhenius.png")


def test_smoke_run_prints_targets_and_writes_outputs(tmp_path, capfd):
    assert "operating_window" in cli.available_studies()
    status = cli.main(["study", "operating_window", "--smoke", "--backend", "host",
                       "--out", str(tmp_path)])
    out = capfd.readouterr().out
    assert status == 0, out
    assert "targets pass" in out
    for key in ("100 uA: mean G after 40 pulses", "melt-quench by a 50 ns pulse",
                "retention: E_a", "program-and-verify", "V_th of RESET states"):
        assert key in out, key
    assert all(("PASS" in line or "MISS" in line or "info" in line)
               for line in out.splitlines() if line.startswith(("100 uA", "melt", "RESET:")))
    assert (tmp_path / "operating_window.zarr" / "zarr.json").is_file()
    for name in FIGURES:
        assert (tmp_path / name).stat().st_size > 10_000, name
