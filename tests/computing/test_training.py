"""pcmphys.computing.training: backprop, update schemes, cells, RNG reproducibility."""
import math

import numpy as np
import pytest

from pcmphys.computing import training as tr


def _net(scheme, cells="statistical", sizes=(6, 4, 3), seed=3, backend="numpy", **kw):
    return tr.Network(sizes, scheme=scheme, cells=cells, seed=seed, backend=backend, **kw)


def _data(n=6, n_in=6, n_cls=3):
    x = (np.arange(n * n_in).reshape(n, n_in) % 7) / 6.0
    return x, np.arange(n) % n_cls


def test_software_gradient_matches_finite_differences():
    """Backprop of the software baseline (tanh hidden, softmax + cross-entropy) equals central
    finite differences of the loss to 1e-6 (relative)."""
    net = _net("software", learning_rate=1.0)
    x, y = _data()
    layers = net.layers
    before = [layer.w.copy() for layer in layers]

    def loss(ws):
        for layer, w in zip(layers, ws):
            layer.w = w
        p = net.forward(x[0])[-1]
        return -math.log(p[y[0]])

    net.train_example(x[0], y[0])
    grads = [b - layer.w for b, layer in zip(before, layers)]  # lr = 1: dW = -grad
    h = 1e-6
    for k in range(len(layers)):
        for idx in [(0, 0), (1, 2), (2, -1)]:
            plus = [w.copy() for w in before]
            minus = [w.copy() for w in before]
            plus[k][idx] += h
            minus[k][idx] -= h
            num = (loss(plus) - loss(minus)) / (2 * h)
            assert grads[k][idx] == pytest.approx(num, rel=1e-6, abs=1e-9)


def test_coincidence_counts_have_the_expected_mean():
    """Stochastic pulse coincidence (Burr 2015): E[n_ij] = bit_length p_i p_j = lr |d_i x_j| /
    eps when no probability is capped; mean over 400 examples within 5 standard errors."""
    net = _net("pcm_pair", cells="ideal", learning_rate=0.001, bit_length=16)
    layer = net.layers[0]
    d = np.array([0.2, -0.1, 0.05, 0.3])
    x = np.array([1.0, 0.5, 0.0, 0.25, -0.75, 0.1, 1.0])
    layer._factors = (d, x)
    dw = -net.learning_rate * np.outer(d, x)
    counts = np.array([layer._coincidences(dw, e)[0] for e in range(400)], float)
    expected = net.learning_rate * np.abs(np.outer(d, x)) / layer.eps
    q = expected / layer.bit_length
    assert np.all(q < 1)
    se = np.sqrt(layer.bit_length * q * (1 - q) / len(counts))
    z = np.abs(counts.mean(0) - expected) / np.where(se > 0, se, 1)
    assert np.all(z < 5)
    assert np.all(counts[:, :, 2] == 0)  # zero input: no pulses


def test_runs_are_reproducible_and_backend_independent():
    """Same seed, same result; numpy and host backends agree (counter RNG, statistical cells)."""
    from pcmphys.backends import available_backends

    x, y = _data()
    out = {}
    backends = ["numpy"] + (["host"] if available_backends()["host"][0] else [])
    for be in backends + ["numpy"]:
        net = _net("pcm_pair", backend=be, learning_rate=0.05)
        for i in range(len(y)):
            net.train_example(x[i], y[i])
        g = net.backend.to_numpy(net.layers[0].cells.read())
        out.setdefault(be, []).append((g, net.pulse_counts()["set"]))
    (g0, n0), (g1, n1) = out["numpy"]
    assert n0 == n1 and np.array_equal(g0, g1)
    if "host" in out:
        gh, nh = out["host"][0]
        assert nh == n0
        assert np.mean(np.isclose(gh, g0, rtol=1e-5, atol=1e-12)) > 0.99


def test_ideal_cells_are_linear():
    """Ideal control cells: every SET adds the calibrated step exactly, up to g_top."""
    net = _net("pcm_pair", cells="ideal")
    cells = net.layers[0].cells
    mask = np.zeros(cells.g.size, bool)
    mask[:5] = True
    g0 = cells.read()
    for _ in range(3):
        cells.set(mask)
    assert np.allclose(cells.read()[:5] - g0[:5], 3 * cells.step)
    assert np.array_equal(cells.read()[5:], g0[5:])
    g = net.layers[0].xbar.conductances(0.0).reshape(-1)
    assert np.allclose(g, cells.read(), rtol=0, atol=1e-15)  # the crossbar reads them exactly


def test_initial_weights_programmed_within_a_step():
    """Program-and-verify of the initial weights on ideal cells: |W - W0| <= one pulse."""
    net = _net("pcm_pair", cells="ideal", init_scale=2.0)
    ref = _net("software", init_scale=2.0)
    w = net.layers[0].weights()
    assert np.max(np.abs(w - ref.layers[0].w)) <= net.layers[0].eps * (1 + 1e-9)


def test_mixed_precision_update_rule():
    """One update: p = min(floor(|chi|/eps), max_pulses) pulses, chi reduced by p eps."""
    net = _net("mixed_precision", cells="ideal", max_pulses=2)
    layer = net.layers[0]
    eps = layer.eps
    dw = np.zeros((layer.n_out, layer.n_in))
    dw[0, 0], dw[1, 1], dw[2, 2] = 0.4 * eps, -1.6 * eps, 3.5 * eps
    before = layer.cells.read().reshape(2, layer.n_out, layer.n_in)
    layer.update(dw, 0)
    after = layer.cells.read().reshape(2, layer.n_out, layer.n_in)
    steps = np.rint((after - before) / layer.cells.step)
    assert steps[0, 0, 0] == 0 and steps[1, 1, 1] == 1 and steps[0, 2, 2] == 2
    assert layer.chi[0, 0] == pytest.approx(0.4 * eps)
    assert layer.chi[1, 1] == pytest.approx(-0.6 * eps)
    assert layer.chi[2, 2] == pytest.approx(1.5 * eps)


def test_tic_pcm_transfer_preserves_weights_and_inverts_polarity():
    """2T1C+PCM transfer (ideal cells, no bias offset): W is kept within one PCM step, the
    capacitor is emptied and the polarity of the transferred weights is inverted."""
    net = _net("tic_pcm", cells="ideal", bias_offset=0.0, transfer_interval=10 ** 6)
    layer = net.layers[0]
    dw = np.zeros((layer.n_out, layer.n_in))
    dw[0, :3] = [2.2 * layer.eps, -1.3 * layer.eps, 0.1 * layer.eps]
    layer.update(dw, 0)
    w_before = layer.weights()
    layer.transfer()
    w_after = layer.weights()
    assert np.max(np.abs(w_after - w_before)) <= layer.eps * (1 + 1e-9)
    assert layer.p[0, 0] == -1 and layer.p[0, 1] == -1 and layer.p[0, 2] == 1
    assert layer.c[0, 0] == 0 and layer.c[0, 1] == 0


def test_multi_pcm_arbitration_cycles_devices():
    """Boybat arbitration: example k's pulses go to cell k mod N of the polarity."""
    net = _net("multi_pcm", cells="ideal", n_devices=3, learning_rate=5.0, bit_length=4)
    layer = net.layers[0]
    x, y = _data(n=3)
    seen = []
    for k in range(3):
        before = layer.cells.read().reshape(2, layer.n_out, 3, layer.n_in)
        layer._factors = (np.ones(layer.n_out), np.ones(layer.n_in))
        layer.update(-np.ones((layer.n_out, layer.n_in)), k)
        after = layer.cells.read().reshape(2, layer.n_out, 3, layer.n_in)
        changed = np.any(after != before, axis=(0, 1, 3))
        seen.append(int(np.flatnonzero(changed)[0]))
        assert changed.sum() == 1
    assert seen == [0, 1, 2]


def test_statistical_calibration_matches_the_accumulation_curve():
    """calibrate_cells('statistical'): mean G after 1 and 5 pulses vs the noise-free
    recursion (Nandakumar 2018 coefficients): 0.98 and 3.83 uS; 256 cells, within 5 se."""
    from pcmphys.statistical import StatisticalParams, accumulation_mean_curve

    cal = tr.calibrate_cells("statistical", seed=1, backend="numpy", n_pulses=5)
    ref = accumulation_mean_curve(5)
    p = StatisticalParams()
    for k in (1, 5):
        se = (p.acc_std_intercept + p.acc_std_slope * ref[k]) * math.sqrt(k) / math.sqrt(256)
        assert abs(cal.curve[k] - ref[k]) < 5 * se
    assert cal.energy_set > 0 and cal.energy_reset > cal.energy_set


def test_physical_cells_update_by_set_pulses():
    """Physical cells: a pcm_pair update is real SET pulses (energy > 0) that raise the
    conductance of the pulsed cells."""
    net = _net("pcm_pair", cells="physical", sizes=(4, 3, 2), learning_rate=0.5)
    layer = net.layers[0]
    layer._factors = (np.ones(layer.n_out), np.ones(layer.n_in))
    before = np.asarray(layer.cells.read())
    n_before = layer.counts["set"]
    layer.update(np.ones((layer.n_out, layer.n_in)), 0)
    after = np.asarray(layer.cells.read())
    assert layer.counts["set"] > n_before and layer.counts["energy"] > 0
    plus = slice(0, layer.n_out * layer.n_in)  # G+ cells of a positive update
    assert np.mean(after[plus] - before[plus]) > 0
    assert np.isfinite(net.accuracy(np.ones((2, 4)) * 0.5, [0, 1]))


def test_drift_compensation_restores_output_scale():
    """Global drift compensation scales the outputs by s_ref / s(t) (statistical cells)."""
    net = _net("pcm_pair")
    net.finish()
    layer = net.layers[0]
    net.set_time(86400.0, False)
    assert layer._scale == 1.0
    net.set_time(86400.0, True)
    assert layer._scale > 1.05  # conductances drift down by ((t + t0)/t0)^-nu, nu ~ 0.05


@pytest.mark.parametrize("kw, name", [({"scheme": "sgd"}, "scheme"),
                                      ({"cells": "mos"}, "cells"),
                                      ({"learning_rate": -1.0}, "learning_rate"),
                                      ({"weight_range": 0.0}, "weight_range")])
def test_bad_input_names_the_parameter(kw, name):
    args = {"scheme": "pcm_pair", "cells": "ideal", **kw}
    with pytest.raises(ValueError, match=name):
        tr.Network((4, 2), backend="numpy", **args)
