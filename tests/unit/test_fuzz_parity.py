"""NumPy reference vs host kernels over random in-range parameter sets (issue 18 items 3, 4).

The tolerance physics allows. The cell state (amorphous thickness u_a, order Sigma) is stored
as float32, and the two implementations round intermediate results at different points, so
their states may differ by a few float32 units in the last place (2**-23 relative each). The
read conductance is exponentially sensitive to that state: ``G = 1 / (R_s + R_a)`` with
``R_a ~ exp(E_a / kT - ln sinh(x))``, ``x = q V dz / (2 kT u_a)``, so a relative change
``eps`` of u_a or E_a moves ln G by at most ``eps * S`` with

    S = (|E_a| + |zeta| (|Sigma_0| + |Sigma|)) / kT + |x| + 1

(``|d ln G / d ln E_a| <= |E_a|/kT``; ``|d ln G / d ln u_a| <= |x coth x| <= |x| + 1``; E_a
moves by ``zeta dSigma``). With parameter sets near the corners of their ranges (1 K reads,
100 nm trap spacing) S reaches 1e5, which is how a 1-2 ulp state difference became a 6.3e-3
conductance difference. So the stated tolerance per cell is

    |ln G_host - ln G_numpy| <= 1e-5 + 4 * 2**-24 * S     (4 half-ulps = 2 float32 ulps)

and the states themselves agree to 2 float32 ulps (u_a, Sigma), cycles and fault exactly,
except for cells whose discrete decisions (melt, threshold switch, nucleation) sit on their
thresholds, of which at most one per set is allowed (as in the fixed-set parity test). For
the published set the fixed-set parity test holds rel 1e-5 directly (S is small there).
"""
import math

import numpy as np
import pytest

import pcmphys as pcm
from pcmphys.parameters import ParameterError
from pcmphys.physics import relaxation as rl
from pcmphys.physics import variability as va
from pcmphys.testing import backend_or_skip

KB_EV = 8.617333262e-5
BASE = "sebastian2017_gst90nm"
CELLS = 16
ULPS = 2


def random_set(rng, base, edge=0.1):
    """Every numeric field drawn inside its declared range (log-uniform over wide positive
    ranges, uniform otherwise; an endpoint with probability ``edge``), choices at random."""
    changes = {}
    for _, mech in base.mechanisms():
        for info in mech.fields_info():
            key = f"{mech.section}.{info.name}"
            if info.choices:
                changes[key] = str(rng.choice(info.choices))
                continue
            lo, hi = max(info.bounds[0], -1e300), min(info.bounds[1], 1e300)
            u = rng.random()
            if u < edge / 2:
                value = lo
            elif u < edge:
                value = hi
            elif lo > 0 and hi / lo > 100:
                value = math.exp(rng.uniform(math.log(lo), math.log(hi)))
            else:
                value = rng.uniform(lo, hi)
            changes[key] = float(min(max(value, info.bounds[0]), info.bounds[1]))
    return base.replace(**changes)


def _run(params, backend, seed=1):
    """Reset, wait, read; SET train; read hot; partial RESET; read at 0.3 V. Returns per read
    (voltage, temperature, state before the read, conductance)."""
    pop = pcm.Population(params, CELLS, seed, backend)
    ambient = params.thermal.ambient_temperature
    out = []

    def read(voltage=0.2, temperature=None):
        state = {k: np.array(v) for k, v in pop.state().items()}
        g = np.asarray(pop.backend.to_numpy(pop.read(voltage, temperature)), float)
        out.append((voltage, ambient if temperature is None else temperature, state, g))

    pop.apply(pcm.Pulse.reset())
    pop.wait(10.0)
    read()
    pop.apply(pcm.Pulse.set(100e-6, 50e-9), repeat=3, period=1e-6)
    pop.wait(100.0, temperature=358.0)
    read(temperature=320.0)
    pop.apply(pcm.Pulse("current", 400e-6, 100e-9, 2e-9, 300e-9))
    pop.wait(3600.0)
    read(voltage=0.3)
    return out


def sensitivity(params, state, voltage, temperature, seed=1):
    """S of the module docstring per cell (from the reference functions)."""
    f = va.device_factors(seed, np.arange(CELLS, dtype=np.uint64), params)
    u = state["u_a"].astype(float)
    sigma = state["sigma"].astype(float)
    ea = rl.activation_energy(sigma, f.zeta_factor, f.ea_offset, params.conduction,
                              params.relaxation)
    zeta = np.abs(params.relaxation.activation_coupling * f.zeta_factor)
    kT = KB_EV * temperature
    u_eff = np.maximum(u, params.conduction.min_conduction_thickness)
    x = voltage * params.conduction.trap_spacing / (2.0 * kT * u_eff)
    return (np.abs(ea) + zeta * (abs(params.relaxation.initial_order) + np.abs(sigma))) / kT \
        + np.abs(x) + 1.0


def _ulps(a, b):
    return np.abs(a.view(np.int32).astype(np.int64) - b.view(np.int32).astype(np.int64))


def check_set(params):
    """Numbers of cells outside the stated tolerance (discrete flips) and the worst margin
    (measured / allowed); raises if a conductance is not finite and positive where the
    reference's is."""
    with np.errstate(all="ignore"):  # corner sets over/underflow exp(): inf R, G = 0
        ref, host = _run(params, "numpy"), _run(params, "host")
    flipped = np.zeros(CELLS, bool)
    worst = 0.0
    for (v, t, s0, g0), (_, _, s1, g1) in zip(ref, host):
        same_state = ((_ulps(s0["u_a"], s1["u_a"]) <= ULPS)
                      & (_ulps(s0["sigma"], s1["sigma"]) <= ULPS)
                      & (s0["cycles"] == s1["cycles"]) & (s0["fault"] == s1["fault"]))
        flipped |= ~same_state
        assert np.array_equal(np.isfinite(g0), np.isfinite(g1))
        assert np.all(np.isfinite(g0) | (s0["fault"] != 0)), "infinite conductance"
        both = same_state & (g0 > 0) & (g1 > 0) & np.isfinite(g0)
        with np.errstate(all="ignore"):
            allowed = 1e-5 + 2 * ULPS * 2.0 ** -24 * sensitivity(params, s0, v, t)
        diff = np.abs(np.log(g1[both]) - np.log(g0[both]))
        flipped[np.flatnonzero(both)[diff > allowed[both]]] = True
        if diff.size:
            worst = max(worst, float(np.max(diff / allowed[both])))
        zero = same_state & ~((g0 > 0) & (g1 > 0)) & np.isfinite(g0)
        flipped[zero & (g0 != g1)] = True     # an underflow to 0 on one side only
    return int(flipped.sum()), worst


def _sets(seed, count):
    base = pcm.ParameterSet.load(BASE)
    rng = np.random.default_rng(seed)
    return [random_set(rng, base) for _ in range(count)]


def test_random_in_range_sets_agree_within_the_stated_tolerance():
    """Issue 18 item 4 [E, this test]: 24 random in-range sets (seed 18), 16 cells each;
    tolerance of the module docstring; at most one discrete flip per set."""
    backend_or_skip("host")
    for k, params in enumerate(_sets(18, 24)):
        flips, worst = check_set(params)
        assert flips <= 1, f"set {k}: {flips} cells outside the tolerance"
        assert worst <= 1.0


@pytest.mark.slow
def test_thousand_random_sets_agree_within_the_stated_tolerance():
    """The harness size of issue 18: 1,000 random in-range sets (seed 1018)."""
    backend_or_skip("host")
    bad = []
    for k, params in enumerate(_sets(1018, 1000)):
        flips, _ = check_set(params)
        if flips > 1:
            bad.append((k, flips))
    assert not bad, bad


def test_zero_series_resistance_is_refused_by_name():
    """Issue 18 item 3: read_series_resistance = 0 was inside the declared range [0, 1e8] Ohm
    and gave ZeroDivisionError (numpy) or infinite conductance (host) for every crystalline
    or stuck-SET cell, which have no other resistance in the model (G = 1 / (R_s + R_a), R_a
    = 0). The range now starts at 1 Ohm (G_max <= 1 S)."""
    base = pcm.ParameterSet.load(BASE)
    with pytest.raises(ParameterError, match=r"conduction\.read_series_resistance.*allowed "
                                             r"range \[1, 1e\+08\] Ohm"):
        base.replace(**{"conduction.read_series_resistance": 0.0})
    backend_or_skip("host")
    low = base.replace(**{"conduction.read_series_resistance": 1.0})
    for backend in ("numpy", "host"):
        pop = pcm.Population(low, 64, 2, backend)
        pop.apply(pcm.Pulse.set(100e-6, 50e-9))       # crystalline: G = 1 / R_s (+ noise)
        g = np.asarray(pop.backend.to_numpy(pop.read()))
        assert np.all(np.isfinite(g)) and np.all(g > 0)
