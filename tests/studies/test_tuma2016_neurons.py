"""tuma2016_neurons study: the statistical first-passage model reproduces the reference ISI
numbers of the Demirag re-fit; the physical integrate-and-fire neurons obey their invariants;
bad input raises; the CLI --smoke run writes zarr and PNG."""
import numpy as np
import pytest
from _helpers import load, run_smoke

import pcmphys as pcm

run = load("tuma2016_neurons", "run")


@pytest.mark.parametrize("g_fire,mean,std", [(3e-6, 4.5, 1.9), (5e-6, 8.1, 3.4),
                                             (8e-6, 15.7, 7.6)])
def test_statistical_model_reproduces_reference_isi(g_fire, mean, std):
    """Reference [E]: ISI of the Demirag statistics, quoted to 0.05 (one decimal)."""
    isi, lost = run.statistical_first_passage(g_fire, 20000, seed=10)
    assert lost == 0
    se_mean = isi.std(ddof=1) / np.sqrt(isi.size)
    assert abs(isi.mean() - mean) <= 0.05 + 5 * se_mean
    se_std = isi.std(ddof=1) / np.sqrt(2 * (isi.size - 1))
    assert abs(isi.std(ddof=1) - std) <= 0.05 + 5 * se_std * 2   # x2: ISI is skewed, not normal


def test_isi_stats_known_answer():
    s = run.isi_stats([[2, 4], [6], []], 10)
    assert s["mean"] == pytest.approx(4.0) and s["std"] == pytest.approx(2.0)
    assert s["n"] == 3 and s["silent"] == 1


def test_neurons_fire_at_threshold_and_reset():
    ps = pcm.ParameterSet.load("sebastian2017_gst90nm")
    r = run.run_neurons(ps, 40, 100e-6, 3e-6, 20, seed=4, backend="auto")
    G, spikes = r["conductance"], r["spikes"]
    np.testing.assert_array_equal(spikes, G >= 3e-6)
    assert spikes.sum() > 20
    ok = r["fault"] == 0
    # every spike is followed by a RESET (melt-quench): cycles = initial RESET + spikes
    np.testing.assert_array_equal(r["cycles"][ok], 1 + spikes.sum(0)[ok])
    assert all(v >= 1 for isi in r["isi"] for v in isi)


def test_higher_threshold_fires_later():
    ps = pcm.ParameterSet.load("sebastian2017_gst90nm")
    lo = run.isi_stats(run.run_neurons(ps, 60, 100e-6, 2e-6, 20, 5, "auto")["isi"], 20)
    hi = run.isi_stats(run.run_neurons(ps, 60, 100e-6, 6e-6, 20, 6, "auto")["isi"], 20)
    assert hi["mean"] - lo["mean"] > 5 * np.hypot(hi["se"], lo["se"])


def test_bad_input_names_parameter_unit_and_range():
    ps = pcm.ParameterSet.load("sebastian2017_gst90nm")
    with pytest.raises(ValueError, match=r"g_fire must be in \(0, 0.001\] S"):
        run.run_neurons(ps, 2, 100e-6, -1.0, 3, 1, "numpy")
    with pytest.raises(ValueError, match=r"amplitude must be in \(0, 0.001\] A"):
        run.run_neurons(ps, 2, 5.0, 3e-6, 3, 1, "numpy")


def test_smoke_run_writes_zarr_and_png(tmp_path):
    xr = pytest.importorskip("xarray")
    out = run_smoke("tuma2016_neurons", tmp_path)
    assert "population coding" in out
    for name in ("isi", "population_coding"):
        assert (tmp_path / f"{name}.png").stat().st_size > 1000
    ds = xr.open_zarr(tmp_path / "isi.zarr")
    assert ds["mean"].attrs["units"] == "pulses"
    pc = xr.open_zarr(tmp_path / "population_coding.zarr")
    nrmse = pc["nrmse"].values
    assert np.all(np.isfinite(nrmse)) and nrmse[-1] < 1.0
