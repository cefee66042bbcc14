"""sarwat2022_stp study: known answers of its helpers (max-cut references, frames, PPF) and
the CLI --smoke run with its zarr and PNG outputs."""
import itertools

import numpy as np
import pytest
from _helpers import load, run_smoke

import pcmphys as pcm
from pcmphys.parameters.memtransistor import MemtransistorParams

mc = load("sarwat2022_stp", "maxcut")
fr = load("sarwat2022_stp", "frames")
run = load("sarwat2022_stp", "run")


def _complete(n):
    return np.array(list(itertools.combinations(range(n), 2)), np.int64)


def _petersen():
    outer = [(i, (i + 1) % 5) for i in range(5)]
    spokes = [(i, i + 5) for i in range(5)]
    inner = [(5 + i, 5 + (i + 2) % 5) for i in range(5)]
    return np.array([tuple(sorted(e)) for e in outer + spokes + inner], np.int64)


@pytest.mark.parametrize("n", [5, 8, 11])
def test_brute_force_known_graphs(n):
    assert mc.brute_force_maxcut(n, _complete(n)) == (n * n) // 4
    cycle = np.array([(i, (i + 1) % n) for i in range(n)], np.int64)
    assert mc.brute_force_maxcut(n, cycle) == (n if n % 2 == 0 else n - 1)


def test_brute_force_petersen_and_small_chunks():
    assert mc.brute_force_maxcut(10, _petersen()) == 12
    assert mc.brute_force_maxcut(10, _petersen(), chunk_bits=3) == 12


def test_brute_force_matches_enumeration_and_bounds_hold():
    edges = mc.random_graph(9, 0.5, seed=5)
    best = max(mc.cut_value(edges, np.array(s)) for s in itertools.product((-1, 1), repeat=9))
    assert mc.brute_force_maxcut(9, edges) == best
    assert mc.spectral_upper_bound(9, edges) >= best
    assert mc.spectral_upper_bound(8, _complete(8)) == pytest.approx(16.0)
    ls = mc.local_search(9, edges, restarts=16, seed=1)
    assert ls.max() <= best and ls.min() >= edges.shape[0] / 2   # 1-flip optimum >= m/2


def test_hopfield_sweep_never_lowers_the_cut_with_exact_weights():
    n = 30
    edges = mc.random_graph(n, 0.2, seed=3)
    spins = np.random.default_rng(0).choice(np.array([-1, 1], np.int8), size=(6, n))
    classes = mc.greedy_colouring(n, edges)
    for nodes in classes:                       # proper colouring: no edge inside a class
        assert not np.any(np.isin(edges[:, 0], nodes) & np.isin(edges[:, 1], nodes))
    w = np.ones((6, edges.shape[0]))
    prev = mc.cut_value(edges, spins)
    for _ in range(5):
        mc.hopfield_sweep(n, edges, w, spins, classes)
        now = mc.cut_value(edges, spins)
        assert np.all(now >= prev)
        prev = now


def test_bad_graph_input():
    with pytest.raises(ValueError, match="n must be >= 2 nodes"):
        mc.random_graph(1, 0.5, 0)
    with pytest.raises(ValueError, match=r"p must be in \(0, 1\]"):
        mc.random_graph(5, 1.5, 0)
    with pytest.raises(ValueError, match="n <= 26"):
        mc.brute_force_maxcut(30, _complete(3))


def test_frames_are_binary_and_start_canonical():
    seq = fr.sequence("cross", 16, 5, seed=2)
    assert set(np.unique(seq)) <= {0.0, 1.0}
    np.testing.assert_array_equal(seq[0], fr.render("cross", 16).ravel())
    assert not np.array_equal(seq[-1], seq[0])
    with pytest.raises(ValueError, match="shape must be one of"):
        fr.render("star", 8)


def test_ppf_without_spread_is_one_plus_exp():
    """Study-level known answer: with every spread off, F2/F1 = 1 + exp(-dt/tau_F) exactly."""
    ps = pcm.ParameterSet.load("sebastian2017_gst90nm")
    mtp = MemtransistorParams().deterministic()
    dt = np.array([2e-3, 30e-3, 150e-3])
    res = run.ppf_curve(ps, mtp, 3, dt, seed=9, backend="auto")
    np.testing.assert_allclose(res["ppf"], 1 + np.exp(-dt / mtp.facilitation_time), rtol=1e-9)
    fit = run.fit_ppf(dt, res["ppf"])
    assert fit["c"] == pytest.approx(1.0, rel=1e-6)
    assert fit["tau"] == pytest.approx(mtp.facilitation_time, rel=1e-6)


def test_smoke_run_writes_zarr_and_png(tmp_path):
    xr = pytest.importorskip("xarray")
    out = run_smoke("sarwat2022_stp", tmp_path)
    assert "(a) PPF" in out and "(b) recognition" in out and "(c) Hopfield max-cut" in out
    for name in ("stp_ppf", "sequence", "maxcut"):
        assert (tmp_path / f"{name}.png").stat().st_size > 1000
    ds = xr.open_zarr(tmp_path / "stp_ppf.zarr")
    ppf = ds["ppf"].values
    assert ppf[0] > 1.9 and ppf[-1] < 1.05          # facilitation at 1 ms, gone at 400 ms
    assert "NOT verified" in ds.attrs["evidence"]
    mx = xr.open_zarr(tmp_path / "maxcut.zarr")
    final, best = mx["final_cut"].values, mx["best_known"].values
    small = mx["n"].values <= 24
    assert np.all(final[small] <= best[small][:, None])   # never above the exact optimum
    sq = xr.open_zarr(tmp_path / "sequence.zarr")
    assert sq["pred_stp"].shape == sq["pred_long_term"].shape
