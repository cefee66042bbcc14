"""Known answers of the memtransistive cell model (pcmphys.physics.memtransistor).

The model's numbers are [E]; these tests check the equations, not paper values: closed-form
decay, paired-pulse facilitation 1 + exp(-dt/tau), accumulation under trains, the spreads of
tau_F and A (in standard errors, literal seeds), the state dependence of the gate response,
and the errors raised on bad input.
"""
import numpy as np
import pytest

import pcmphys as pcm
from pcmphys.memtransistor import MemtransistivePopulation
from pcmphys.parameters import ParameterError
from pcmphys.parameters.memtransistor import MemtransistorParams, memtransistor_dtype
from pcmphys.physics import memtransistor as mt

DET = MemtransistorParams().deterministic()
U_AMORPHOUS = 30e-9


def _empty(n):
    return {"trace": np.zeros(n), "last_time": np.zeros(n), "last_event": np.zeros(n, np.uint32)}


def _train(params, times, volts, u, n=1, seed=1):
    """F right after each pulse of a train (numpy reference)."""
    dev = np.arange(n, dtype=np.int64)
    st, out = _empty(n), []
    for k, (t, v) in enumerate(zip(times, volts)):
        st = mt.gate_pulse(st, t, k + 1, v, np.full(n, u), seed, dev, params)
        out.append(st["trace"].copy())
    return np.array(out), st


def test_single_pulse_decays_in_closed_form():
    p = DET
    s = mt.state_weight(U_AMORPHOUS, p)
    _, st = _train(p, [0.0], [2.0], U_AMORPHOUS)
    dev = np.zeros(1, np.int64)
    for t in (0.0, 1e-3, 0.05, 0.2):
        f = mt.trace_at(st["trace"], st["last_time"], st["last_event"], t, 1, dev, p)
        expected = p.facilitation_amplitude * s * 2.0 * np.exp(-t / p.facilitation_time)
        assert f[0] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("interval", [1e-3, 10e-3, 50e-3, 200e-3])
def test_paired_pulse_facilitation_ratio(interval):
    p = DET
    f, _ = _train(p, [0.0, interval], [1.0, 1.0], U_AMORPHOUS)
    ratio = f[1, 0] / f[0, 0]
    assert ratio == pytest.approx(1.0 + np.exp(-interval / p.facilitation_time), rel=1e-12)
    assert ratio == pytest.approx(mt.paired_pulse_ratio(interval, p.facilitation_time), rel=1e-12)


def test_accumulation_under_a_train_is_geometric():
    p = DET
    period, n = 10e-3, 30
    f, _ = _train(p, period * np.arange(n), np.ones(n), U_AMORPHOUS)
    a = p.facilitation_amplitude * mt.state_weight(U_AMORPHOUS, p)
    r = np.exp(-period / p.facilitation_time)
    k = np.arange(1, n + 1)
    np.testing.assert_allclose(f[:, 0], a * (1 - r ** k) / (1 - r), rtol=1e-12)
    assert np.all(np.diff(f[:, 0]) > 0)   # facilitation accumulates monotonically
    assert f[-1, 0] < a / (1 - r)         # and stays below the steady state


def test_negative_gate_pulse_depresses_and_conductance_clips_at_zero():
    p = DET
    f, _ = _train(p, [0.0], [-1.0], U_AMORPHOUS)
    assert f[0, 0] == pytest.approx(-p.facilitation_amplitude * mt.state_weight(U_AMORPHOUS, p))
    g = mt.channel_conductance(np.array([1e-6, 1e-6]), np.full(2, U_AMORPHOUS), 0.0,
                               np.array([-0.3, -5.0]), p)
    np.testing.assert_allclose(g, [0.7e-6, 0.0], rtol=1e-12)


def test_gate_response_larger_for_amorphous_than_crystalline():
    p = MemtransistorParams()
    u = np.array([0.0, 2e-9, 5e-9, 10e-9, 30e-9, 100e-9])
    k = mt.gate_coupling(u, p)
    assert k[0] == pytest.approx(p.gate_coupling_amorphous * p.crystalline_modulation_ratio)
    assert np.all(np.diff(k) > 0)
    assert k[-1] == pytest.approx(p.gate_coupling_amorphous, rel=1e-4)
    # static field effect: G = G_NV (1 + kappa (V_G - V_G0)) with no trace
    g = mt.channel_conductance(np.full(6, 2e-6), u, 1.5, np.zeros(6), p)
    np.testing.assert_allclose(g, 2e-6 * (1 + 1.5 * k), rtol=1e-12)


def test_spread_of_amplitude_and_tau_in_standard_errors():
    """ln A_k = ln(A s) + sd z_d + sc z_c - (sd^2 + sc^2)/2; ln tau likewise (seed 11)."""
    p = MemtransistorParams()
    n, u = 40_000, U_AMORPHOUS
    dev = np.arange(n, dtype=np.int64)
    st = mt.gate_pulse(_empty(n), 0.0, 1, 1.0, np.full(n, u), 11, dev, p)
    ln_a = np.log(st["trace"] / (p.facilitation_amplitude * mt.state_weight(u, p)))
    var_a = p.facilitation_amplitude_device_sigma ** 2 + p.facilitation_amplitude_cycle_sigma ** 2
    se_mean = np.sqrt(var_a / n)
    assert abs(ln_a.mean() + var_a / 2) < 5 * se_mean
    se_var = var_a * np.sqrt(2.0 / (n - 1))
    assert abs(ln_a.var(ddof=1) - var_a) < 5 * se_var
    # decay time of the interval after pulse 1 from F(t)/F(0)
    t = 0.03
    f = mt.trace_at(st["trace"], st["last_time"], st["last_event"], t, 11, dev, p)
    ln_tau = np.log(-t / np.log(f / st["trace"]))
    var_t = p.facilitation_time_device_sigma ** 2 + p.facilitation_time_cycle_sigma ** 2
    assert abs(ln_tau.mean() - (np.log(p.facilitation_time) - var_t / 2)) < 5 * np.sqrt(var_t / n)
    assert abs(ln_tau.var(ddof=1) - var_t) < 5 * var_t * np.sqrt(2.0 / (n - 1))


def test_device_factor_shared_between_pulses_cycle_factor_not():
    """corr(ln A_1, ln A_2) over cells = sd^2 / (sd^2 + sc^2) (device factor common)."""
    p = MemtransistorParams()
    n = 40_000
    dev = np.arange(n, dtype=np.int64)
    _, b1 = mt.pulse_factors(3, dev, 1, p)
    _, b2 = mt.pulse_factors(3, dev, 2, p)
    _, bd = mt.device_factors(3, dev, p)
    x, y = np.log(bd * b1), np.log(bd * b2)
    rho = np.corrcoef(x, y)[0, 1]
    sd, sc = p.facilitation_amplitude_device_sigma, p.facilitation_amplitude_cycle_sigma
    expected = sd ** 2 / (sd ** 2 + sc ** 2)
    assert abs(rho - expected) < 5 * (1 - expected ** 2) / np.sqrt(n)


def test_bad_input_names_parameter_unit_and_range():
    with pytest.raises(ParameterError, match=r"memtransistor\.facilitation_time.*\[s\].*range"):
        MemtransistorParams(facilitation_time=-1.0)
    with pytest.raises(ParameterError, match=r"crystalline_modulation_ratio.*range \[0, 1\]"):
        MemtransistorParams(crystalline_modulation_ratio=1.5)
    with pytest.raises(ValueError, match=r"gate_voltage.*\[-100, 100\] V"):
        mt.gate_pulse(_empty(1), 0.0, 1, 250.0, np.zeros(1), 1, np.zeros(1, np.int64), DET)
    with pytest.raises(ValueError, match=r"time must be >= last_time \[s\]"):
        mt.trace_at(np.ones(1), np.ones(1), np.ones(1, np.uint32), 0.5, 1,
                    np.zeros(1, np.int64), DET)
    with pytest.raises(ValueError, match="interval must be >= 0 s"):
        mt.paired_pulse_ratio(-1.0, 1.0)
    with pytest.raises(TypeError, match="unknown memtransistor parameter"):
        DET.replace(tau=1.0)


def test_struct_matches_kernel_layout():
    assert memtransistor_dtype().itemsize == 88
    s = MemtransistorParams().to_struct()
    assert s["facilitation_time"] == MemtransistorParams().facilitation_time


def test_population_mixed_long_and_short_term():
    """Read = Population read x (1 + F); the trace fades, the SET (long-term) change stays;
    a RESET (amorphous) cell facilitates more than a SET one (s(u_a) ratio)."""
    ps = pcm.ParameterSet.load("sebastian2017_gst90nm").deterministic()
    cells = MemtransistivePopulation(ps, DET, 2, seed=4, backend="numpy")
    cells.apply(pcm.Pulse.reset())
    cells.apply(pcm.Pulse.set(100e-6, 50e-9), where=np.array([False, True]), repeat=20)
    cells.wait(1.0)
    g0 = cells.read()
    u = cells.population.state()["u_a"].astype(np.float64)
    cells.gate(1.0)
    f = cells.trace()
    np.testing.assert_allclose(cells.read() / cells.population.read(), 1 + f, rtol=1e-12)
    assert f[0] / f[1] == pytest.approx(mt.state_weight(u[0], DET) / mt.state_weight(u[1], DET),
                                        rel=1e-12)
    assert f[0] > f[1] > 0
    cells.wait(40 * DET.facilitation_time)
    np.testing.assert_allclose(cells.trace(), f * np.exp(-40.0), rtol=1e-9)
    assert g0[1] > 10 * g0[0]          # long-term (SET) difference persists
