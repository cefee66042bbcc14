"""Temporal correlation detection (Sebastian et al., Nat. Commun. 8, 1115 (2017)):
statistics of the process generator, the programming schedule, the exact
baseline and the study script.

Statistical checks are written in standard errors (z = 5) with literal seeds; the SE of a mean
over time steps uses that the steps are independent (the processes and the driver are drawn
independently per step), so the per-step quantity's sample standard deviation / sqrt(K) is the
SE even though cells within a step are correlated.
"""
import importlib.util
import pathlib

import numpy as np
import pytest

import pcmphys as pcm
from pcmphys.computing import correlation as co

STUDY = pathlib.Path(__file__).resolve().parents[2] / "studies" / "sebastian2017_correlation"
Z = 5.0


def _host():
    try:
        return pcm.get_backend("host")
    except pcm.BackendUnavailable as exc:
        pytest.skip(f"host backend unavailable: {exc}")


def _study():
    spec = importlib.util.spec_from_file_location("sebastian2017_run", STUDY / "run.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def assert_within_se(est, expected, se, z=Z):
    assert abs(est - expected) <= z * se, f"{est} vs {expected}: {abs(est - expected) / se:.1f} SE"


# ----------------------------------------------------------------------------- generator
def test_conditional_probabilities_formula():
    ph, pl = co.conditional_probabilities(0.01, 0.1)
    assert ph == pytest.approx(0.01 + np.sqrt(0.1) * 0.99, rel=1e-15)
    assert pl == pytest.approx(0.01 * (1 - np.sqrt(0.1)), rel=1e-15)
    assert 0.01 * ph + 0.99 * pl == pytest.approx(0.01, rel=1e-14)   # E[X_i] = p


@pytest.mark.parametrize("c", [0.1, 0.01])
def test_firing_rates_given_driver(c):
    """All-correlated population: P(X=1 | X_r) = p_high / p_low; driver rate = p."""
    _host()
    n, K, p = 5000, 20_000, 0.01
    proc = co.CorrelatedProcesses(np.ones(n, bool), p, c, 31337, "host")
    M = proc.momentum(K)
    drv = proc.driver(K).astype(bool)
    assert_within_se(drv.mean(), p, np.sqrt(p * (1 - p) / K))
    ph, pl = co.conditional_probabilities(p, c)
    for sel, q in ((drv, ph), (~drv, pl)):
        trials = n * sel.sum()
        assert_within_se(M[sel].sum() / trials, q, np.sqrt(q * (1 - q) / trials))


def test_uncorrelated_rate_and_momentum_moments():
    """Mixed population (10 % correlated, c = 0.1): E[M] = N p and
    Var[M] = N p (1 - p) + N_c (N_c - 1) c p (1 - p); uncorrelated cells fire with rate p."""
    _host()
    n, n_c, K, p, c = 5000, 500, 20_000, 0.01, 0.1
    mask = np.zeros(n, bool)
    mask[:n_c] = True
    M = co.CorrelatedProcesses(mask, p, c, 2718, "host").momentum(K).astype(float)
    var = n * p * (1 - p) + n_c * (n_c - 1) * c * p * (1 - p)
    assert_within_se(M.mean(), n * p, np.sqrt(var / K))
    d = M - M.mean()
    assert_within_se(d.var(), var, np.sqrt(((d ** 4).mean() - d.var() ** 2) / K))
    # the uncorrelated cells alone (same global indices: offset n_c)
    Mu = co.CorrelatedProcesses(np.zeros(n - n_c, bool), p, c, 2718, "host",
                                device_offset=n_c).momentum(K)
    trials = (n - n_c) * K
    assert_within_se(Mu.sum() / trials, p, np.sqrt(p * (1 - p) / trials))


@pytest.mark.parametrize("c, correlated", [(0.1, True), (0.01, True), (0.1, False)])
def test_pairwise_correlation(c, correlated):
    """Mean pairwise correlation of 40 processes over 200,000 steps: c inside the correlated
    group, 0 among uncorrelated ones. Per step, Y = mean_{i<j} X_i X_j = S(S-1)/(n(n-1)) with
    S = sum_i X_i, and E[Y] = p^2 + c p (1 - p)."""
    _host()
    n, K, p = 40, 200_000, 0.01
    S = co.CorrelatedProcesses(np.full(n, correlated), p, c, 161803, "host").momentum(K)
    Y = S * (S - 1.0) / (n * (n - 1))
    scale = p * (1 - p)
    c_hat = (Y.mean() - p * p) / scale
    assert_within_se(c_hat, c if correlated else 0.0, Y.std() / np.sqrt(K) / scale)


# ----------------------------------------------------------------------------- schedule
def test_published_schedule_numbers():
    """Published setup [E, computed]: with N = 10^6, N_c = 95,525, p = 0.01, 10,000 steps:
    c = 0.1 -> 79.8 uA at X_r = 1, 19.4 uA at X_r = 0, ~32 pulses per correlated cell and ~1
    per uncorrelated one, 1 % of steps program; c = 0.01 -> ~39 uA and ~11 pulses."""
    rule = co.LinearRule()
    e = co.expected_pulses(10 ** 6, 95_525, 0.01, 0.1, rule, 10_000)
    assert e["current_on"] * 1e6 == pytest.approx(79.8, abs=0.05)
    assert e["current_off"] * 1e6 == pytest.approx(19.4, abs=0.05)
    assert e["correlated"] == pytest.approx(32.3, abs=0.05)
    assert e["uncorrelated"] == pytest.approx(1.0, abs=0.005)
    assert e["program_fraction"] == pytest.approx(0.01, abs=1e-4)
    e1 = co.expected_pulses(10 ** 6, 95_525, 0.01, 0.01, rule, 10_000)
    assert e1["current_on"] * 1e6 == pytest.approx(38.9, abs=0.05)
    assert e1["correlated"] == pytest.approx(10.9, abs=0.05)


def test_rule():
    rule = co.LinearRule()
    I = rule.current([0, 12_499, 12_500, 39_900, 60_000], 10 ** 6)
    np.testing.assert_allclose(I, [0, 0, 25e-6, 79.8e-6, 80e-6], rtol=1e-12)
    # scaled to the population size: the same fractions give the same currents
    np.testing.assert_allclose(rule.current([399], 10 ** 4), [79.8e-6], rtol=1e-12)
    with pytest.raises(ValueError, match="maximum"):
        co.LinearRule(maximum=-1.0)


def test_pulses_per_class_match_expectation():
    """Mean SET pulses per cell of each class over 10,000 steps (N = 10^4, c = 0.1) vs the
    exact expectation, and the fraction of programming steps."""
    _host()
    n, K, p, c = 10_000, 10_000, 0.01, 0.1
    mask = np.random.default_rng(5).random(n) < 0.095525
    proc = co.CorrelatedProcesses(mask, p, c, 8128, "host")
    M = proc.momentum(K)
    rule = co.LinearRule()
    pc, pu = co.pulse_counts(proc, M, rule)
    e = co.expected_pulses(n, int(mask.sum()), p, c, rule, K)
    for counts, size, key in ((pc, mask.sum(), "correlated"), (pu, (~mask).sum(),
                                                               "uncorrelated")):
        z = counts / size
        assert_within_se(z.sum(), e[key], np.sqrt(K) * z.std())
    f = np.mean(rule.current(M, n) > 0)
    assert_within_se(f, e["program_fraction"],
                     np.sqrt(e["program_fraction"] * (1 - e["program_fraction"]) / K))
    assert e["correlated"] > 20 * e["uncorrelated"]


def test_exact_baseline_row_sums():
    """W_i / K = sum_j R_ij: class means vs E = (N-1) p^2 + p (+ (N_c - 1) c p (1 - p) for
    correlated cells), and the exact detection separates the classes (c = 0.1)."""
    _host()
    n, n_c, K, p, c = 4000, 400, 10_000, 0.01, 0.1
    mask = np.zeros(n, bool)
    mask[:n_c] = True
    proc = co.CorrelatedProcesses(mask, p, c, 4711, "host")
    res = co.run_exact(proc, K)
    M, W = res["momentum"].astype(float), res["w"]
    Mc = co.CorrelatedProcesses(mask[:n_c], p, c, 4711, "host").momentum(K).astype(float)
    Vc, Vu = Mc * M / n_c, (M - Mc) * M / (n - n_c)        # per-step class means of X_i M
    assert W[mask].sum() == (Mc * M).sum()                  # exact identity
    base = (n - 1) * p * p + p
    assert_within_se(W[mask].mean() / K, base + (n_c - 1) * c * p * (1 - p),
                     Vc.std() / np.sqrt(K))
    assert_within_se(W[~mask].mean() / K, base, Vu.std() / np.sqrt(K))
    assert co.roc_auc(W, mask) > 0.999


def test_metrics():
    truth = np.array([0, 0, 0, 1, 1], bool)
    assert co.roc_auc([1, 2, 3, 4, 5], truth) == 1.0
    assert co.roc_auc([5, 4, 3, 2, 1], truth) == 0.0
    assert co.roc_auc([1, 1, 1, 1, 1], truth) == 0.5
    assert co.roc_auc([1, 2, 4, 3, 5], truth) == pytest.approx(5 / 6)
    assert co.best_threshold_error([1, 2, 4, 3, 5], truth) == pytest.approx(0.2)
    x = np.r_[np.zeros(90), np.ones(10) * 10]
    assert 0 < co.two_means_threshold(x) < 10
    r = co.detection_report(x, x > 5)
    assert r["precision"] == r["recall"] == r["precision_at_n"] == r["auc"] == 1.0


# ----------------------------------------------------------------------------- study
def test_cli_rejects_bad_input(capsys):
    run = _study()
    for argv, words in ((["--c", "1.5"], ["--c = 1.5", "[0, 1]"]),
                        (["--devices", "3"], ["--devices = 3", "cells", "[16,"]),
                        (["--steps", "ten"], ["--steps", "integer"]),
                        (["--step-period", "-1"], ["--step-period", " s"])):
        with pytest.raises(SystemExit):
            run.parse(argv)
        err = capsys.readouterr().err
        for w in words:
            assert w in err, (argv, err)
    with pytest.raises(ValueError, match="--image"):
        run.image_mask(100, 0.1, "no_such_image")


def test_image_mask():
    pytest.importorskip("skimage")
    run = _study()
    m, side = run.image_mask(10_000, 0.095525, "camera")
    assert side == 100 and m.sum() == 955
    m2, side2 = run.image_mask(5000, 0.1, "camera")      # non-square: first N pixels
    assert side2 == 71 and m2.sum() == 500 and m2.shape == (5000,)


def test_smoke_run(tmp_path):
    """--smoke (10^4 cells x 2000 steps) end to end for c = 0.1 and 0.01. Measured with seed
    2017 on host: AUC(G) after 2000 steps 0.938 at c = 0.1 (about 4 pulses at ~80 uA per
    correlated cell) and 0.592 at c = 0.01 (about 2 pulses at ~39 uA, which crystallise a
    small filament footprint). Tolerance 5 SE of the Mann-Whitney AUC (SE 0.0098 under no
    separation for 955 vs 9045 cells): c = 0.01 must lie above chance by more than that."""
    pytest.importorskip("skimage")
    pytest.importorskip("xarray")
    _host()
    run = _study()
    assert run.main(["--smoke", "--backend", "host", "--c", "0.1", "0.01",
                     "--out", str(tmp_path)]) == 0
    import xarray as xr

    ds = xr.open_zarr(tmp_path / "sebastian2017_correlation.zarr").load()
    for name, var in ds.variables.items():
        assert "units" in var.attrs, name
    auc = ds["auc"].sel(read_step=2000)
    assert float(auc.sel(c=0.1)) > 0.938 - Z * 0.0098
    assert float(auc.sel(c=0.01)) > 0.5 + Z * 0.0098
    assert float(ds["exact_auc"].sel(c=0.1)) > 0.8
    pulses = ds["set_pulses"].sel(c=0.1).values
    truth = ds["correlated"].values.astype(bool)
    assert pulses[truth].mean() > 5 * pulses[~truth].mean()
    for f in ("corr_map.png", "corr_histograms.png", "corr_separation.png", "corr_sweep.png"):
        assert (tmp_path / f).stat().st_size > 10_000


@pytest.mark.slow
def test_detection_after_10000_steps(tmp_path):
    """10^4 cells x 10,000 steps, c = 0.1 (host, seed 2017): measured AUC(G) 0.9465 with
    about 33 SET pulses per correlated cell; tolerance 0.02 (5 x the ~0.004 SE of the AUC)."""
    pytest.importorskip("skimage")
    _host()
    run = _study()
    assert run.main(["--devices", "10000", "--steps", "10000", "--c", "0.1", "--backend",
                     "host", "--no-plot", "--out", str(tmp_path)]) == 0
    import xarray as xr

    ds = xr.open_zarr(tmp_path / "sebastian2017_correlation.zarr").load()
    assert float(ds["auc"].sel(c=0.1, read_step=10_000)) > 0.9465 - 0.02
    assert float(ds["exact_auc"].sel(c=0.1)) > 0.999
