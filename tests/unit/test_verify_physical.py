"""Program-and-verify of physical cells (Crossbar._verify_physical): convergence across the
conductance window without read noise, the one-iteration RESET used by training, bad input."""
import math

import numpy as np
import pytest

import pcmphys as pcm
from pcmphys.computing.crossbar import Crossbar
from pcmphys.testing import backend_or_skip

TARGETS_US = (2.0, 5.0, 10.0, 15.0, 20.0)  # mapped 1:1 (max |A| -> g_max = 20 uS)
ROWS = 40


def _noise_free():
    return pcm.ParameterSet.load("sebastian2017_gst90nm").replace(
        **{"noise.noise_coefficient": 0.0})


def _program(params, seed, **kw):
    backend_or_skip("host")
    a = np.tile(np.array(TARGETS_US), (ROWS, 1))
    xb = Crossbar(ROWS, len(TARGETS_US), model="physical", g_max=20e-6, params=params,
                  seed=seed, backend="host")
    args = dict(method="verify", tolerance=0.5 / 20.0, max_iterations=50,
                set_current=270e-6, scale_range=(0.15, 1.0), set_width=200e-9)
    args.update(kw)
    rep = xb.program(a, **args)
    g = np.asarray(xb.conductances(0.0))[0] * 1e6
    return np.asarray(xb.target[0]) * 1e6, g, rep


def test_noise_free_verify_reaches_every_target():
    """Without read noise the reads are the cell's conductance, so what is left is the
    programming scheme: >= 93 % of all cells and >= 80 % of the cells of each target across
    the window end within +-0.5 uS (3 standard errors of a binomial fraction allowed), with a
    median error well inside the tolerance."""
    a, g, rep = _program(_noise_free(), seed=11)
    ok = np.abs(g - a) <= 0.5
    n_all = ok.size
    assert ok.mean() >= 0.93 - 3.0 * math.sqrt(0.93 * 0.07 / n_all), ok.mean(axis=0)
    assert np.all(ok.mean(axis=0) >= 0.8 - 3.0 * math.sqrt(0.8 * 0.2 / ROWS)), ok.mean(axis=0)
    assert np.all(np.median(np.abs(g - a), axis=0) <= 0.35)
    assert rep.rms_error[-1] < 0.3 * rep.rms_error[0]


def test_noisy_verify_beats_the_read_noise_free_start():
    """With 1/f read noise (sigma of one read 1 s after the pulse ~0.3 uS at 2 uS, ~0.8 uS
    at 20 uS) the final read is far closer to the targets than the RESET start, the median
    error stays within 2 tolerances and most cells of the lowest target are within +-0.5 uS
    (3 standard errors of a binomial fraction of ROWS cells allowed)."""
    a, g, rep = _program(pcm.ParameterSet.load("sebastian2017_gst90nm"), seed=12,
                         verify_reads=4)
    assert rep.rms_error[-1] < 0.35 * rep.rms_error[0]
    assert np.median(np.abs(g - a)) <= 1.0
    within = (np.abs(g - a) <= 0.5).mean(axis=0)
    p = 0.6
    assert within[0] >= p - 3.0 * math.sqrt(p * (1 - p) / ROWS), within


def test_one_iteration_is_a_reset():
    """max_iterations=1: one RESET of every cell and one read (training relies on it)."""
    backend_or_skip("host")
    xb = Crossbar(4, 4, model="physical", backend="host", seed=3)
    pulses, apply = [], xb.cells.apply
    xb.cells.apply = lambda pulse, **kw: (pulses.append((pulse, kw)), apply(pulse, **kw))[1]
    rep = xb.program(np.ones((4, 4)), method="verify", max_iterations=1, verify_time=0.0)
    assert rep.iterations == 1
    assert len(pulses) == 1 and pulses[0][0] == pcm.Pulse.reset() and not pulses[0][1]


@pytest.mark.parametrize("kw, name", [
    (dict(set_width=0.0), "set_width"),
    (dict(set_width=1.0), "set_width"),
    (dict(verify_reads=0), "verify_reads"),
    (dict(scale_range=(1.0, 0.5)), "scale_range"),
    (dict(scale_range=(0.2, 11.0)), "scale_range"),
])
def test_bad_options_are_refused(kw, name):
    xb = Crossbar(2, 2, model="physical", backend="numpy")
    with pytest.raises(ValueError, match=name):
        xb.program(np.eye(2), method="verify", max_iterations=1, **kw)


def test_numpy_and_host_verify_agree():
    """The scheme is backend-agnostic array code: the numpy and compiled host populations
    take the same decisions and end in the same conductances."""
    backend_or_skip("host")
    a = np.tile(np.array([1.0, 5.0, 10.0, 20.0]), (3, 1))
    out = []
    for be in ("numpy", "host"):
        xb = Crossbar(3, 4, model="physical", g_max=20e-6, seed=3, backend=be)
        rep = xb.program(a, method="verify", tolerance=0.025, max_iterations=8,
                         set_current=270e-6, scale_range=(0.15, 1.0), verify_reads=2)
        out.append((np.asarray(xb.conductances(0.0)), rep.converged_fraction))
    np.testing.assert_allclose(out[1][0], out[0][0], rtol=1e-9, atol=1e-15)
    assert out[0][1] == out[1][1]
