"""fit_published_accumulation study: the CLI --smoke run fits, writes TOML, PNG and zarr."""
import xarray as xr

from pcmphys import cli


def test_smoke_run_writes_fit_figure_and_store(tmp_path, capfd):
    assert cli.main(["study", "fit_published_accumulation", "--smoke", "--backend", "host",
                     "--out", str(tmp_path)]) == 0
    assert "published" in capfd.readouterr().out
    assert (tmp_path / "fit.png").stat().st_size > 10_000
    assert "[crystallization]" in (tmp_path / "fit.toml").read_text()
    ds = xr.open_zarr(tmp_path / "fit_published_accumulation.zarr").load()
    assert ds.sizes["statistic"] == 100 and set(ds["unit"].values) == {"uS"}
    assert abs(ds["deviation_percent"].sel(statistic="mean G [uS] @event 1")) < 30


def test_bad_arguments_exit_with_usage_error(tmp_path):
    assert cli.main(["study", "fit_published_accumulation", "--devices", "1",
                     "--out", str(tmp_path)]) == 2
