"""studies/burr2015_ambrogio2018_training runs from the CLI with --smoke and writes its table,
zarr store and figures (every scheme on statistical, ideal and physical cells)."""
import json

from _helpers import run_smoke

STUDY = "burr2015_ambrogio2018_training"


def test_training_smoke(tmp_path):
    import xarray as xr

    out = run_smoke(STUDY, tmp_path)
    assert "final acc %" in out
    table = json.loads((tmp_path / "table.json").read_text())
    rows = {(r["section"], r["label"]): r for r in table}
    for label in ("software", "pcm_pair/ideal", "pcm_pair", "multi_pcm N=3", "mixed_precision",
                  "tic_pcm"):
        assert ("statistical", label) in rows
    for label in ("pcm_pair", "multi_pcm N=3", "mixed_precision", "tic_pcm"):
        r = rows[("physical", label)]
        assert r["sets"] + r["maint"] > 0 and r["energy"] > 0  # real pulses were applied
    # 150 digits x 2 epochs: the float baseline learns (chance is 10 %)
    assert rows[("statistical", "software")]["final"] > 0.3
    ds = xr.open_zarr(tmp_path / "training.zarr")
    assert ds["test_accuracy"].dims == ("run", "epoch")
    assert ds.sizes["drift_time"] == 4 and ds.sizes["compensation"] == 2
    for name in ("accuracy_vs_epoch.png", "conductance_histograms.png", "drift.png"):
        assert (tmp_path / name).stat().st_size > 0
