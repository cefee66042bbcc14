"""sidler2017_snn study: the --smoke run (8x8 digits, 12 output neurons) trains float,
statistical and physical networks, prints the accuracy table, writes the zarr store and the
figures; networks learn above chance."""
import re

import pytest
from _helpers import load, run_smoke


def test_smoke_run_writes_store_figures_and_learns(tmp_path):
    xr = pytest.importorskip("xarray")
    pytest.importorskip("sklearn")
    out = run_smoke("sidler2017_snn", tmp_path)
    assert "test accuracy on" in out and "Diehl & Cook 2015" in out
    ds = xr.open_zarr(tmp_path / "sidler2017_snn.zarr").load()
    assert bool(ds.attrs["complete"])
    runs = [str(r) for r in ds["run"].values]
    assert {"single|float", "single|statistical", "single|physical",
            "pair+comp|statistical", "pair+comp|physical"} <= set(runs)
    acc = ds["accuracy"]
    assert acc.notnull().all()
    # chance is 10 %; 120 test images give a binomial se <= 4.6 %: learning must show
    for run in ("single|float", "single|statistical"):
        assert float(acc.sel(run=run).mean()) > 0.10 + 3 * 0.046, run
    for name in ("accuracy_vs_images.png", "conductances.png", "weights_single_float.png",
                 "weights_pair_comp_physical.png"):
        assert (tmp_path / name).stat().st_size > 1000
    assert re.search(r"single\s+\d+\.\d \+-", out)
    assert "theta" in ds and ds["theta"].notnull().any()
    # --table-from: merging stores (one per cell-model process) reprints the same table
    run = load("sidler2017_snn", "run")
    assert run.merge_stores([tmp_path], tmp_path / "merged") == 0
    merged = xr.open_zarr(tmp_path / "merged" / "sidler2017_snn.zarr").load()
    assert list(merged["run"].values) == runs
    assert (tmp_path / "merged" / "accuracy_vs_images.png").exists()
