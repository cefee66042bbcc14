"""The device-characterisation study runs end to end from the CLI in smoke mode (issue: the
physical device model, "the study runs from the CLI; --smoke runs in CI")."""
import pathlib

import pytest

from pcmphys import cli

pytest.importorskip("matplotlib")


def test_study_listed_and_runs_in_smoke_mode(tmp_path, capfd):
    assert "device_characterization" in cli.available_studies()
    status = cli.main(["study", "device_characterization", "--smoke", "--backend", "numpy",
                       "--out", str(tmp_path)])
    out = capfd.readouterr().out
    assert status == 0, out
    assert "mean G after 40 SET pulses" in out and "E_a of the RESET state" in out
    assert (tmp_path / "device_characterization.zarr" / "zarr.json").is_file()
    for name in ("fig3_programming.png", "fig3_drift_noise.png", "fig3_accumulation.png"):
        assert (tmp_path / name).stat().st_size > 10_000
    assert not any(line.rstrip().endswith(" NO") for line in out.splitlines())


def test_unknown_study_is_a_usage_error(capsys):
    assert cli.main(["study", "no_such_study"]) == 2
    assert "available: " in capsys.readouterr().err


def test_studies_dir_is_the_checkout():
    assert cli.studies_dir() == pathlib.Path(__file__).resolve().parents[2] / "studies"
