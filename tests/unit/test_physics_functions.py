"""Known answers and invariants of the NumPy physics functions.

[E] values are closed forms or hand evaluations of the model's equations (see each test).
"""
import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.special import erf

from pcmphys import ParameterSet
from pcmphys.physics import amorphization as am
from pcmphys.physics import conduction as co
from pcmphys.physics import crystallization as cr
from pcmphys.physics import noise as nz
from pcmphys.physics import relaxation as rl
from pcmphys.physics import thermal as th

KB = 8.617333262e-5


@pytest.fixture(scope="module")
def ps():
    return ParameterSet.load("sebastian2017_gst90nm")


def test_on_state_law_matches_tutorial_iv(ps):
    """Tutorial (Sebastian 2018, section II): 0.5 V at 100 uA and 1.2 V at 500 uA for a
    crystalline cell; RESET power 600 uW [V]. Tolerance 3 %."""
    v100 = th.on_state_voltage(100e-6, 0.0, ps.thermal)
    v500 = th.on_state_voltage(500e-6, 0.0, ps.thermal)
    assert v100 == pytest.approx(0.5, rel=0.03)
    assert v500 == pytest.approx(1.2, rel=0.03)
    assert th.joule_power(500e-6, v500) == pytest.approx(600e-6, rel=0.03)


def test_interface_cools_as_plug_thins(ps):
    """Model property [E]: at fixed current T_int must fall as u_a shrinks."""
    u = np.linspace(0.0, 60e-9, 61)
    I = 100e-6
    P = th.joule_power(I, th.on_state_voltage(I, u, ps.thermal))
    T = th.interface_temperature(P, u, 1.0, 300.0, ps.thermal, ps.amorphization)
    assert np.all(np.diff(T) > 0)
    assert T[0] == pytest.approx(300.0)


def test_gaussian_ramp_recrystallisation_closed_form(ps):
    """Ramp growth of the Gaussian law [E]: du = v_max sigma_T sqrt(2 pi) t_f / (T_peak - T_amb),
    1.1 nm at 10 ns and 11 nm at 100 ns for T_peak = 1100 K (no melt cut-off); within 5 % of
    those (the ramp starts at 300 K, not at -inf). With the glass law made fast (1 m/s at T_g)
    the series law is the Gaussian wherever it matters, so the 8-point quadrature of
    ramp_growth equals the closed-form truncated-Gaussian integral to 1.5e-2 on this wide
    (800 K) ramp; on ramps up to T_m the rule is good to 1e-3 (next test)."""
    c = ps.crystallization.__class__(**{**ps.crystallization.__dict__,
                                        "glass_growth_velocity": 1.0})
    for tf, expect in [(10e-9, 1.1e-9), (100e-9, 11e-9)]:
        du = cr.ramp_growth(tf, 300.0, 1100.0, c, 5000.0)
        s, tp = c.growth_temperature_width, c.peak_growth_temperature
        exact = (c.max_growth_velocity * s * math.sqrt(math.pi / 2) * tf / 800.0
                 * (erf((1100 - tp) / (s * math.sqrt(2))) - erf((300 - tp) / (s * math.sqrt(2)))))
        assert du == pytest.approx(exact, rel=1.5e-2)
        assert du == pytest.approx(expect, rel=0.05)
    assert cr.ramp_growth(0.0, 300.0, 1100.0, c, 5000.0) == 0.0


def test_series_ramp_quadrature_accuracy(ps):
    """The 8-point Gauss-Legendre integral of the default (series) growth law agrees with a
    200001-point trapezoid rule to 1e-3 (relative) on ramps between 300 K and T_m."""
    c = ps.crystallization
    for a, b in [(300.0, 500.0), (300.0, 600.0), (300.0, 760.0), (500.0, 879.0), (300.0, 879.0)]:
        T = np.linspace(a, b, 200001)
        ref = np.trapezoid(cr.growth_velocity(T, c, 880.0), T)
        assert cr.growth_integral(a, b, c, 880.0) == pytest.approx(ref, rel=1e-3)


def test_growth_law_continuous_and_smooth(ps):
    """The default v_g(T) has no switch between laws: between 300 K and T_m, on a 0.01 K grid,
    ln v changes by less than 0.01 per step and its slope by less than 1e-3 per K per step
    (the former Gaussian/physical switch at 500 K jumped by ln 2400 = 7.8). At 85 C it is the
    glass law, at 750 K within 0.1 % of the Gaussian."""
    c = ps.crystallization
    T = np.arange(300.0, 879.0, 0.01)
    lv = np.log(cr.growth_velocity(T, c, 880.0))
    assert np.max(np.abs(np.diff(lv))) < 0.01
    slope = np.diff(lv) / 0.01
    assert np.max(np.abs(np.diff(slope))) < 1e-3
    assert cr.growth_velocity(358.0, c, 880.0) == pytest.approx(
        cr.growth_velocity_glass(358.0, c, 880.0), rel=1e-6)
    assert cr.growth_velocity(750.0, c, 880.0) == pytest.approx(c.max_growth_velocity, rel=1e-3)


def test_physical_growth_law_shape(ps):
    """Growth data [V, CrystallizationParams refs]: v_g negligible below ~550 K, maximum near
    700-750 K; [L] framework. The physical law must peak between 650 and 820 K and be < 1 % of
    its peak at 550 K."""
    T = np.linspace(400, 879, 480)
    v = cr.growth_velocity_physical(T, ps.crystallization, 880.0)
    tpk = T[np.argmax(v)]
    assert 650 <= tpk <= 820
    assert cr.growth_velocity_physical(550.0, ps.crystallization, 880.0) < 0.01 * v.max()
    assert cr.growth_velocity_physical(900.0, ps.crystallization, 880.0) == 0.0


def test_relaxation_closed_form_matches_ode(ps):
    """The closed form of the relaxation model equals a numerical solution of the ODE."""
    r = ps.relaxation
    T = 330.0
    kT = KB * T

    def rhs(t, s):
        return [-r.attempt_frequency * math.exp(-r.barrier_scale * (1 - s[0]) / kT)]

    sol = solve_ivp(rhs, (0, 100.0), [r.initial_order], method="LSODA", rtol=1e-10, atol=1e-12,
                    dense_output=True)
    for t in (1e-6, 1e-2, 1.0, 100.0):
        assert rl.relax_order(r.initial_order, T, t, r) == pytest.approx(sol.sol(t)[0], abs=1e-6)


@pytest.mark.parametrize("T, tau1", [(300.0, 6.25e-8), (358.0, 4.45e-9), (400.0, 1.07e-9)])
def test_drift_exponent_independent_of_temperature(ps, T, tau1):
    """Closed form [E]: nu = zeta/E_s = 0.100 between 1 s and 1e4 s at
    300, 358, 400 K, and tau_1 = 63 ns, 4.5 ns, 1.1 ns. Tolerances: nu 1e-3, tau_1 2 %."""
    r = ps.relaxation
    s1 = rl.relax_order(r.initial_order, T, 1.0, r)
    s2 = rl.relax_order(r.initial_order, T, 1e4, r)
    nu = r.activation_coupling * (s1 - s2) / (KB * T) / math.log(1e4)
    assert nu == pytest.approx(r.activation_coupling / r.barrier_scale, abs=1e-3)
    assert rl.drift_onset_time(T, r) == pytest.approx(tau1, rel=0.02)


def test_relaxation_invariants(ps):
    """Hotter anneal relaxes faster; zero duration changes nothing; intervals compose."""
    r = ps.relaxation
    s0 = r.initial_order
    assert rl.relax_order(s0, 400.0, 10.0, r) < rl.relax_order(s0, 300.0, 10.0, r)
    assert rl.relax_order(0.5, 300.0, 0.0, r) == 0.5
    one = rl.relax_order(s0, 320.0, 30.0, r)
    two = rl.relax_order(rl.relax_order(s0, 320.0, 10.0, r), 320.0, 20.0, r)
    assert one == pytest.approx(two, abs=1e-12)


def test_ielmini_read_model_known_values(ps):
    """Ielmini-Zhang model, independent evaluation [E]: with A = pi (20 nm)^2, N_T = 1e25 m^-3,
    dz = 7 nm, tau_0 = 1e-15 s, E_a = 0.3 eV, R_s = 5 kOhm: G(0.2 V, 300 K) = 0.73, 2.3, 9.2,
    84 uS at u_a = 50, 20, 10, 5 nm. Tolerance 2 %."""
    c = ps.conduction.__class__(**{**ps.conduction.__dict__, "trap_density": 1e25,
                                   "trap_spacing": 7e-9, "attempt_time": 1e-15,
                                   "read_series_resistance": 5e3})
    for u, g in [(50e-9, 0.73e-6), (20e-9, 2.30e-6), (10e-9, 9.16e-6), (5e-9, 83.9e-6)]:
        assert co.read_conductance(0.2, 300.0, u, 0.3, 20e-9, c) == pytest.approx(g, rel=0.02)


def test_arrhenius_factor(ps):
    """Arrhenius arithmetic [E]: R(300 K)/R(350 K) = 5.2 for E_a = 0.3 eV (pure Arrhenius).
    In the ohmic limit (thick plug, 10 mV, 1 Ohm series resistance: ~1e-6 of the plug's
    resistance) the Ielmini-Zhang current is
    ``exp(-E_a/kT) sinh(x) ~ exp(-E_a/kT) / T``, so the model ratio is 5.25 x 300/350 = 4.50.
    Tolerance 1 % (the residual sinh field term, x = 0.03)."""
    c = ps.conduction.__class__(**{**ps.conduction.__dict__, "read_series_resistance": 1.0})
    g300 = co.read_conductance(0.01, 300.0, 60e-9, 0.3, 20e-9, c)
    g350 = co.read_conductance(0.01, 350.0, 60e-9, 0.3, 20e-9, c)
    arrhenius = math.exp(0.3 / 8.617333262e-5 * (1 / 300.0 - 1 / 350.0))
    assert arrhenius == pytest.approx(5.2, abs=0.06)
    assert g350 / g300 == pytest.approx(arrhenius * 300.0 / 350.0, rel=0.01)


def test_molten_thickness_monotone_and_onset(ps):
    """No melt below the onset power, monotone growth above it, saturation at u_max (reached
    at ``P_m (1 + u_max/r_h)^alpha``; the sweep goes 20 % beyond it)."""
    P_m = (ps.amorphization.melting_temperature - 300.0) / ps.thermal.rth_heater
    a = ps.amorphization
    P_sat = P_m * (1.0 + a.max_amorphous_thickness / 20e-9) ** a.melt_exponent
    P = np.linspace(0.5 * P_m, 1.2 * P_sat, 400)
    u = am.molten_thickness(P, 1.0, 20e-9, 300.0, ps.thermal, ps.amorphization)
    assert np.all(u[P <= P_m] == 0)
    assert np.all(np.diff(u) >= 0)
    assert u[-1] == pytest.approx(ps.amorphization.max_amorphous_thickness)


def test_noise_coefficient_aihwkit_values(ps):
    """aihwkit fit (Joshi 2020) [V]: Q_s = 0.0088, 0.0138, 0.0393 at g = 1, 0.5, 0.1."""
    for g, q in [(1.0, 0.0088), (0.5, 0.0138), (0.1, 0.0393)]:
        assert nz.noise_coefficient(g * 25e-6, ps.noise) == pytest.approx(q, rel=0.01)


def test_flicker_variance_matches_integrated_one_over_f(ps):
    """Integrated 1/f [V formula]: var(n) = ln((t + t_read)/(2 t_read)) for unit Q_s; checked
    over 20000 cells at t = 1 s, 1 h and 1 day (5 standard errors of a variance estimate,
    plus the 3 % ripple of the octave construction)."""
    dev = np.arange(20000, dtype=np.int64)
    for t in (1.0, 3600.0, 86400.0):
        n = nz.flicker_sum(11, dev, t, 0.0, ps.noise)
        expect = math.log((t + 250e-9) / 500e-9)
        se = expect * math.sqrt(2.0 / len(dev))
        assert abs(n.var() - expect) < 5 * se + 0.03 * expect
        assert abs(n.mean()) < 5 * math.sqrt(expect / len(dev))


def test_flicker_is_zero_at_programming_and_correlated_in_time(ps):
    """Reads at nearby times are correlated; the fluctuation starts at zero.

    For 1/f noise the increment between reads dt apart has the variance of the test above
    with t -> dt, ``ln(dt / 2 t_read)``, so two reads at t and t + dt after programming have
    correlation ``(v(t1) + v(t2) - v(t2 - t1)) / (2 sqrt(v(t1) v(t2)))`` with
    ``v(t) = ln(t/2t_r)``: 0.66 for reads at 1000 s and 1001 s, 0.44 for 1000 s and 1e6 s.
    Tolerance: 5 standard errors of a correlation over 5000 cells plus the 3 % ripple of the
    octave construction."""
    dev = np.arange(5000, dtype=np.int64)
    assert np.all(nz.flicker_sum(3, dev, 5.0, 5.0, ps.noise) == 0)
    times = (1000.0, 1001.0, 1e6)
    a, b, c = (nz.flicker_sum(3, dev, t, 0.0, ps.noise) for t in times)
    var = lambda dt: math.log(dt / (2 * 250e-9))                      # noqa: E731

    def expected(t1, t2):
        return (var(t1) + var(t2) - var(t2 - t1)) / (2 * math.sqrt(var(t1) * var(t2)))

    for x, y, t1, t2 in ((a, b, 1000.0, 1001.0), (a, c, 1000.0, 1e6)):
        rho = expected(t1, t2)
        se = (1 - rho ** 2) / math.sqrt(len(dev))
        assert abs(np.corrcoef(x, y)[0, 1] - rho) < 5 * se + 0.03, (t1, t2)
    assert expected(1000.0, 1001.0) == pytest.approx(0.66, abs=0.01)


def test_nucleation_rate_peaks_between_glass_and_melt(ps):
    """CNT rate vanishes at T_m and is negligible at room temperature (retention)."""
    c = ps.crystallization
    T = np.linspace(300, 879, 300)
    rate = cr.nucleation_rate(T, c, 880.0)
    assert rate[0] < 1e-10 * rate.max()
    assert 450 < T[np.argmax(rate)] < 879
