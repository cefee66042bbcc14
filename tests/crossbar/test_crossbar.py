"""Crossbar: mapping, MVM with and without noise, drift compensation, quantisation,
program-and-verify, bad input."""
import math

import numpy as np
import pytest

from pcmphys import statistical as st
from pcmphys.computing.crossbar import Crossbar
from pcmphys.testing import backend_or_skip as _backend

QUIET = st.StatisticalParams().deterministic()
#: every device drifts with the same exponent 0.05
UNIFORM_DRIFT = QUIET.replace(nu_mean_min=0.05, nu_mean_max=0.05)


@pytest.fixture(params=["numpy", "host"])
def backend(request):
    return _backend(request.param)


def _problem(rows=12, cols=9, batch=5, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((rows, cols)), rng.standard_normal((cols, batch)), \
        rng.standard_normal((rows, batch))


def test_mapping_is_exact():
    a, _, _ = _problem()
    xb = Crossbar(*a.shape, params=QUIET, backend="numpy")
    g, w = xb.targets(a)
    assert w == np.abs(a).max()
    assert (g >= 0).all() and (g <= xb.g_max).all()
    assert (np.minimum(g[0], g[1]) == 0).all()  # one cell of each pair at 0
    np.testing.assert_allclose((g[0] - g[1]) * w / xb.g_max, a, rtol=1e-15, atol=1e-15)


def test_noise_free_mvm_is_exact(backend):
    a, x, xt = _problem()
    xb = Crossbar(*a.shape, params=QUIET, backend=backend)
    xb.program(a)
    np.testing.assert_allclose(xb.mvm(x, t=0.0), a @ x, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(xb.mvm_t(xt, t=0.0), a.T @ xt, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(xb.mvm(x[:, 0]), a @ x[:, 0], rtol=1e-12, atol=1e-12)
    xd = Crossbar(*a.shape, params=QUIET, backend=backend, input_encoding="duration")
    xd.program(a)
    np.testing.assert_allclose(xd.mvm(x), a @ x, rtol=1e-12, atol=1e-12)


def test_uniform_drift_and_its_compensation(backend):
    a, x, _ = _problem()
    t = 3600.0
    factor = ((t + 20.0) / 20.0) ** -0.05
    xb = Crossbar(*a.shape, params=UNIFORM_DRIFT, backend=backend)
    xb.program(a)
    np.testing.assert_allclose(xb.mvm(x, t=t), factor * (a @ x), rtol=1e-12, atol=1e-12)
    xc = Crossbar(*a.shape, params=UNIFORM_DRIFT, backend=backend, drift_compensation=True)
    xc.program(a)
    np.testing.assert_allclose(xc.mvm(x, t=t), a @ x, rtol=1e-12, atol=1e-12)


def test_dac_and_adc_quantisation():
    a, x, _ = _problem()
    xb = Crossbar(*a.shape, params=QUIET, backend="numpy", dac_bits=2)
    xb.program(a)
    xmax = np.abs(x).max(axis=0)
    xq = np.rint(x / xmax) * xmax  # 2 bits: levels -1, 0, 1 of the per-vector full scale
    np.testing.assert_allclose(xb.mvm(x), a @ xq, rtol=1e-12, atol=1e-12)
    xa = Crossbar(*a.shape, params=QUIET, backend="numpy", adc_bits=4, adc_range=3.0)
    xa.program(a)
    u = xa.mvm(x) / (xmax * np.abs(a).max())  # normalised output, on the ADC grid
    step = 3.0 / 7
    np.testing.assert_allclose(u / step, np.rint(u / step), atol=1e-9)
    assert np.abs(u).max() <= 3.0 + 1e-12
    exact = (a @ x) / (xmax * np.abs(a).max())
    assert np.all(np.abs(u - np.clip(exact, -3, 3)) <= step / 2 + 1e-12)


def test_read_noise_variance_of_mvm():
    """Only read noise (fixed drift exponent 0.05): the MVM error variance is
    sum_j x_j^2 (w/g_max)^2 (sigma_nG G_d)^2 over both cells of each pair; checked in se."""
    params = UNIFORM_DRIFT.replace(read_q=0.0088, read_q_max=0.2)
    rng = np.random.default_rng(3)
    a = rng.standard_normal((6, 8))
    x = rng.standard_normal(8)
    batch = 4000
    xb = Crossbar(6, 8, params=params, seed=17, backend="numpy")
    xb.program(a)
    t = 3600.0
    y = xb.mvm(np.repeat(x[:, None], batch, axis=1), t=t)
    gd = xb.conductances(t, noise=False)
    sig = st.read_noise_sigma(xb.cells.g_prog.reshape(2, 6, 8), t, params) * gd
    scale = np.abs(a).max() / xb.g_max
    var = ((sig[0] ** 2 + sig[1] ** 2) * x[None, :] ** 2).sum(axis=1) * scale ** 2
    mean = ((gd[0] - gd[1]) * scale) @ x
    ratio = ((y - mean[:, None]) ** 2 / var[:, None]).mean()
    assert abs(ratio - 1.0) < 5 * math.sqrt(2.0 / (batch * 6))


def test_verify_converges_statistical():
    """Noise-free reads: cells within tolerance are never touched, so the converged fraction
    can only grow, and the RMS programming error shrinks well below one-shot programming."""
    params = st.StatisticalParams().replace(read_q=0.0)
    a, _, _ = _problem(32, 32)
    xb = Crossbar(32, 32, params=params, seed=4, backend="numpy")
    rep = xb.program(a, method="verify", tolerance=0.01, max_iterations=12)
    frac = np.array(rep.converged_fraction)
    assert np.all(np.diff(frac) >= 0)
    assert rep.rms_error[-1] < 0.5 * rep.rms_error[0]
    assert rep.iterations == 12 or frac[-1] == 1.0


def test_verify_reduces_error_physical():
    a, _, _ = _problem(6, 6)
    xb = Crossbar(6, 6, model="physical", seed=5, backend="host")
    rep = xb.program(a, method="verify", tolerance=0.05, max_iterations=20)
    assert rep.rms_error[-1] < 0.6 * rep.rms_error[0]
    assert rep.converged_fraction[-1] > rep.converged_fraction[0]
    with pytest.raises(ValueError, match="before the previous read"):
        xb.mvm(np.ones(6), t=10.0)
        xb.mvm(np.ones(6), t=1.0)


def test_host_matches_numpy_with_noise():
    a, x, xt = _problem()
    res = []
    for be in ("numpy", "host"):
        _backend(be)
        xb = Crossbar(*a.shape, seed=8, backend=be, drift_compensation=True,
                      input_encoding="duration")
        xb.program(a, method="verify", max_iterations=3)
        res.append((xb.mvm(x, t=100.0), xb.mvm_t(xt, t=100.0)))
    for r0, r1 in zip(*res):
        np.testing.assert_allclose(r1, r0, rtol=1e-9, atol=1e-12)


@pytest.mark.gpu
def test_cupy_crossbar_stays_on_device():
    be = _backend("cupy")
    a, x, _ = _problem()
    xb = Crossbar(*a.shape, seed=8, backend=be)
    xb.program(a)
    y = xb.mvm(be.asarray(x), t=10.0)
    assert isinstance(y, be.xp.ndarray)
    ref = Crossbar(*a.shape, seed=8, backend="numpy")
    ref.program(a)
    np.testing.assert_allclose(be.to_numpy(y), ref.mvm(x, t=10.0), rtol=1e-6)


def test_bad_input_is_named():
    a, x, _ = _problem()
    with pytest.raises(ValueError, match="model"):
        Crossbar(3, 3, model="magic")
    with pytest.raises(ValueError, match=r"g_max.*\[S\].*allowed range"):
        Crossbar(3, 3, g_max=-1.0, backend="numpy")
    with pytest.raises(ValueError, match=r"dac_bits.*bits.*\[1, 32\]"):
        Crossbar(3, 3, dac_bits=0, backend="numpy")
    with pytest.raises(ValueError, match="input_encoding"):
        Crossbar(3, 3, input_encoding="phase", backend="numpy")
    xb = Crossbar(*a.shape, backend="numpy")
    with pytest.raises(RuntimeError, match="not programmed"):
        xb.mvm(x)
    with pytest.raises(ValueError, match=r"matrix must have shape \(12, 9\)"):
        xb.program(a.T)
    with pytest.raises(ValueError, match="finite"):
        xb.program(np.full(a.shape, np.nan))
    with pytest.raises(ValueError, match=r"tolerance.*\[1\].*allowed range"):
        xb.program(a, tolerance=2.0)
    xb.program(a)
    with pytest.raises(ValueError, match=r"x must have shape \(9,\)"):
        xb.mvm(np.ones(12))
    with pytest.raises(ValueError, match=r"t = -1.0 \[s\].*allowed range"):
        xb.mvm(x, t=-1.0)
    with pytest.raises(ValueError, match="model='statistical'"):
        Crossbar(2, 2, model="physical", backend="numpy").program(np.eye(2))
