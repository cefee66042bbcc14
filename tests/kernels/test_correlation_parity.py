"""Parity of kernels/pcm_correlation.cu with the NumPy reference (pcmphys.computing.correlation).

The processes are integer comparisons of Philox words, so X_i(k), M(k) and the exact
covariance row sums (sums of integers, exact in float64) agree bit for bit on every backend
and every chunking. The physical run goes through Population and inherits its tolerances
(test_population_parity.py). The host backend runs in CI; the cupy checks are marked gpu.
"""
import numpy as np
import pytest

import pcmphys as pcm
from pcmphys.computing import correlation as co
from pcmphys.testing import backend_or_skip as _backend

N, K, OFFSET, SEED = 3001, 1030, 777, 4242   # K > STEP_CHUNK and not a multiple of 4


def _mask(n):
    return np.random.default_rng(11).random(n) < 0.1


def _all(backend, n=N, offset=OFFSET, mask=None, c=0.1):
    mask = _mask(n) if mask is None else mask
    proc = co.CorrelatedProcesses(mask, 0.01, c, SEED, backend, device_offset=offset)
    M = proc.momentum(K)
    fired = [np.array(proc.backend.to_numpy(proc.fired(k))) for k in (0, 3, 4, 1029)]
    W = proc.covariance_row_sums(M)
    return M, fired, W


@pytest.mark.parametrize("backend", ["host", pytest.param("cupy", marks=pytest.mark.gpu)])
@pytest.mark.parametrize("c", [0.1, 1.0])
def test_generator_matches_numpy(backend, c):
    _backend(backend)
    M0, f0, W0 = _all("numpy", c=c)
    M1, f1, W1 = _all(backend, c=c)
    np.testing.assert_array_equal(M1, M0)
    for a, b in zip(f0, f1):
        np.testing.assert_array_equal(b, a)
    np.testing.assert_array_equal(W1, W0)


def test_momentum_is_sum_of_fired_and_w_identity():
    """M(k) = sum_i X_i(k) (reference vs the per-step masks) and sum_i W_i = sum_k M(k)^2."""
    _backend("host")
    mask = _mask(N)
    proc = co.CorrelatedProcesses(mask, 0.01, 0.1, SEED, "host", device_offset=OFFSET)
    M = proc.momentum(K)
    for k in (0, 1, 2, 3, 517, 1029):
        assert proc.fired(k).sum() == M[k]
    X = co.process_matrix(SEED, np.arange(OFFSET, OFFSET + N), 12, mask, 0.01, 0.1)
    np.testing.assert_array_equal(X.sum(axis=0), M[:12])
    W = proc.covariance_row_sums(M)
    assert W.sum() == float((M.astype(np.int64) ** 2).sum())


@pytest.mark.parametrize("backend", ["numpy", "host"])
def test_chunking_invariance(backend):
    """Cells (0, n) and (n, m) of a population are the halves of (0, n + m)."""
    _backend(backend)
    mask = _mask(N)
    M, f, W = _all(backend, mask=mask)
    Ma, fa, Wa = _all(backend, n=1000, mask=mask[:1000])
    Mb, fb, Wb = _all(backend, n=N - 1000, offset=OFFSET + 1000, mask=mask[1000:])
    np.testing.assert_array_equal(Ma + Mb, M)
    for x, y, z in zip(f, fa, fb):
        np.testing.assert_array_equal(np.concatenate([y, z]), x)
    # W depends on the global M: recompute the halves with it
    pa = co.CorrelatedProcesses(mask[:1000], 0.01, 0.1, SEED, backend, device_offset=OFFSET)
    pb = co.CorrelatedProcesses(mask[1000:], 0.01, 0.1, SEED, backend,
                                device_offset=OFFSET + 1000)
    np.testing.assert_array_equal(np.concatenate([pa.covariance_row_sums(M),
                                                  pb.covariance_row_sums(M)]), W)


def _physical(backend, params):
    mask = _mask(2000)
    proc = co.CorrelatedProcesses(mask, 0.01, 0.1, 99, backend)
    # a steeper rule programs more steps, at a range of currents up to the clip, than the
    # published one would in 300 steps
    rule = co.LinearRule(gain=3e-9, skip=37e-6, maximum=90e-6)
    return co.run_physical(params, proc, 300, rule, read_steps=(0, 150, 300))


@pytest.mark.parametrize("backend", ["host", pytest.param("cupy", marks=pytest.mark.gpu)])
def test_physical_run_matches_numpy(backend):
    _backend(backend)
    params = pcm.ParameterSet.load("sebastian2017_gst90nm")
    ref, got = _physical("numpy", params), _physical(backend, params)
    assert (ref["current"] > 0).sum() >= 20
    assert (ref["current"] == 90e-6).sum() >= 2
    np.testing.assert_array_equal(got["pulses"], ref["pulses"])
    np.testing.assert_array_equal(got["pulses_correlated"], ref["pulses_correlated"])
    for k in (0, 150, 300):
        bad = ~np.isclose(got["conductance"][k], ref["conductance"][k], rtol=1e-5, atol=0)
        assert bad.sum() <= 1, f"{bad.sum()} of 2000 cells differ after step {k}"


@pytest.mark.parametrize("backend", ["numpy", "host"])
def test_physical_run_in_two_chunks(backend):
    """Map (chunk momenta) -> reduce (global M) -> map (chunk physics) equals the single run."""
    _backend(backend)
    params = pcm.ParameterSet.load("sebastian2017_gst90nm")
    mask = _mask(1200)
    rule = co.LinearRule(gain=3e-9, skip=37e-6, maximum=90e-6)
    whole = co.run_physical(params, co.CorrelatedProcesses(mask, 0.01, 0.1, 5, backend), 200,
                            rule, read_steps=(200,))
    parts = [co.CorrelatedProcesses(mask[sl], 0.01, 0.1, 5, backend, device_offset=sl.start)
             for sl in (slice(0, 500), slice(500, 1200))]
    M = sum(p.momentum(200) for p in parts)
    np.testing.assert_array_equal(M, whole["momentum"])
    runs = [co.run_physical(params, p, 200, rule, read_steps=(200,), momentum=M, n_total=1200)
            for p in parts]
    assert (whole["current"] > 0).sum() >= 10
    for key in ("pulses", "fault"):
        np.testing.assert_array_equal(np.concatenate([r[key] for r in runs]), whole[key])
    np.testing.assert_array_equal(np.concatenate([r["conductance"][200] for r in runs]),
                                  whole["conductance"][200])
