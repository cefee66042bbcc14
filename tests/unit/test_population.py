"""Population API, invariants and known answers of the Monte Carlo."""
import math

import numpy as np
import pytest

import pcmphys as pcm
from pcmphys.physics import crystallization as cr


@pytest.fixture(scope="module")
def ps():
    return pcm.ParameterSet.load("sebastian2017_gst90nm")


@pytest.fixture(params=["numpy", "host"])
def backend(request):
    try:
        return pcm.get_backend(request.param)
    except pcm.BackendUnavailable as exc:
        pytest.skip(f"backend {request.param} unavailable: {exc}")


def test_bad_arguments_are_named(ps):
    with pytest.raises(ValueError, match="n_devices"):
        pcm.Population(ps, 0, 1, "numpy")
    with pytest.raises(ValueError, match="seed"):
        pcm.Population(ps, 10, -1, "numpy")
    with pytest.raises(TypeError, match="ParameterSet"):
        pcm.Population({"a": 1}, 10, 1, "numpy")
    pop = pcm.Population(ps, 10, 1, "numpy")
    with pytest.raises(ValueError, match="scale"):
        pop.apply(pcm.Pulse.set(), scale=np.full(10, -1.0))
    with pytest.raises(ValueError, match=r"where must have shape \(10,\)"):
        pop.apply(pcm.Pulse.set(), where=np.ones(3, bool))
    with pytest.raises(ValueError, match="quantity"):
        pop.read(quantity="capacitance")
    with pytest.raises(ValueError, match=r"Pulse.width .* s"):
        pcm.Pulse.set(width=-1e-9)
    with pytest.raises(ValueError, match=r"temperature .* K"):
        pop.wait(1.0, temperature=-5.0)
    with pytest.raises(ValueError, match="period"):
        pop.apply(pcm.Pulse.set(width=50e-9), repeat=3, period=1e-9)


def test_deterministic_population_equals_reference(ps, backend):
    """With noise and variability off, every cell follows the same trajectory."""
    p = ps.deterministic()
    pop = pcm.Population(p, 64, 9, backend)
    pop.apply(pcm.Pulse.reset())
    pop.apply(pcm.Pulse.set(), repeat=5, period=1e-6)
    pop.wait(10.0)
    g = np.asarray(pop.backend.to_numpy(pop.read()))
    assert np.ptp(g) == 0.0
    assert np.ptp(pop.state()["u_a"]) == 0.0


def test_invariants(ps, backend):
    """Drift never lowers R at constant T (noise off); u_a stays in [0, u_max]; a zero-width
    pulse with no edges changes nothing; the clock advances by the pulse duration."""
    p = ps.replace(noise={"noise_coefficient": 0.0})
    pop = pcm.Population(p, 500, 4, backend)
    pop.apply(pcm.Pulse.reset())
    R = []
    for t in (1.0, 10.0, 100.0, 1e3, 1e4):
        pop.wait(t - (pop.clock - 1.004e-6))
        R.append(np.asarray(pop.backend.to_numpy(pop.read(quantity="resistance"))))
    R = np.array(R)
    assert np.all(np.diff(R, axis=0) >= 0)
    before = pop.state()
    t0 = pop.clock
    pop.apply(pcm.Pulse("current", 300e-6, 0.0, 0.0, 0.0))
    after = pop.state()
    for k in ("u_a", "sigma", "cycles", "fault", "t_melt"):
        np.testing.assert_array_equal(after[k], before[k])
    assert pop.clock == t0
    pop.apply(pcm.Pulse.set(150e-6, 1e-6), repeat=3)
    u = pop.state()["u_a"]
    assert np.all(u >= 0) and np.all(u <= p.amorphization.max_amorphous_thickness * 1.0000001)
    assert pop.clock == pytest.approx(t0 + 3 * 1.004e-6)


def test_voltage_mode_below_threshold_writes_nothing(ps, backend):
    """Switching [L]: below V_th only subthreshold current flows and nothing is written."""
    p = ps.deterministic()
    pop = pcm.Population(p, 50, 2, backend)
    pop.apply(pcm.Pulse.reset())
    pop.wait(1.0)
    vth = float(np.asarray(pop.backend.to_numpy(pop.read(quantity="threshold_voltage")))[0])
    u0 = pop.state()["u_a"].copy()
    d = pop.apply(pcm.Pulse.voltage_pulse(0.9 * vth, 100e-9), diagnostics=True)
    assert np.all(d["power"] == 0)
    np.testing.assert_allclose(pop.state()["u_a"], u0, rtol=1e-6)
    d = pop.apply(pcm.Pulse.voltage_pulse(1.5 * vth, 100e-9), diagnostics=True)
    assert np.all(d["power"] > 0)
    assert np.all(pop.state()["u_a"] < u0)


def test_slow_fall_gives_partial_reset(ps, backend):
    """Slow fall [E]: a fall time of ~100 ns recrystallises part of the melt and ~1 us
    acts as a SET, so R falls with the fall time."""
    p = ps.deterministic()
    R = []
    for tf in (2e-9, 100e-9, 1e-6):
        pop = pcm.Population(p, 8, 3, backend)
        pop.apply(pcm.Pulse.reset(fall_time=tf))
        pop.wait(10.0)
        R.append(float(np.asarray(pop.backend.to_numpy(pop.read(quantity="resistance")))[0]))
    assert R[0] > R[1] > R[2]
    assert R[0] / R[2] > 10


def test_retention_and_hot_crystallisation(ps, backend):
    """A RESET plug survives 1 h at 85 C (retention ~10 y at 85 C [L]) but crystallises during
    a long bake well above T_g."""
    p = ps.deterministic()
    pop = pcm.Population(p, 16, 3, backend)
    pop.apply(pcm.Pulse.reset())
    u0 = pop.state()["u_a"][0]
    pop.wait(3600.0, temperature=358.15)
    assert pop.state()["u_a"][0] > 0.99 * u0
    pop.wait(1e5, temperature=470.0)
    assert pop.state()["u_a"][0] < 0.5 * u0


def test_constant_rate_nucleation_known_answer(ps):
    """Known answer: constant-rate nucleation, P(nucleus) = 1 - exp(-lambda t)
    with lambda = I(T) V(u_a); counted over 40000 cells in standard errors. A lower interfacial
    energy (0.05 J/m^2, inside the CNT range) makes nucleation dominate growth at 450 K under
    the Wilson-Frenkel growth law (the default glass law grows 25 nm/s there)."""
    p = ps.deterministic().replace(crystallization={"interfacial_energy": 0.05,
                                                    "growth_model": "physical"})
    pop = pcm.Population(p, 40000, 8, "numpy")
    pop.apply(pcm.Pulse.reset())
    u0 = float(pop.state()["u_a"][0])
    T, t = 450.0, 1.0
    lam = cr.nucleation_rate(T, p.crystallization, 880.0) * cr.plug_volume(u0, 20e-9) * t
    v = cr.growth_velocity(T, p.crystallization, 880.0)
    assert v * t < 1e-3 * u0 and 0.05 < lam < 3
    pop.wait(t, temperature=T)
    u = pop.state()["u_a"]
    hit = (u < u0 - 2 * v * t - 1e-12)
    expect = -math.expm1(-lam)
    se = math.sqrt(expect * (1 - expect) / len(u))
    assert abs(hit.mean() - expect) < 5 * se


def test_endurance_failure(ps, backend):
    """Endurance model [E]: cells fail after their melt-quench budget, stuck-SET or open."""
    p = ps.deterministic().replace(faults={"endurance_median_cycles": 5.0,
                                           "stuck_set_fraction": 1.0})
    pop = pcm.Population(p, 20, 3, backend)
    pop.apply(pcm.Pulse.reset(), repeat=4)
    assert np.all(pop.state()["fault"] == 0)
    pop.apply(pcm.Pulse.reset())
    st = pop.state()
    assert np.all(st["fault"] == 1) and np.all(st["u_a"] == 0)
    pop.apply(pcm.Pulse.reset())
    g = np.asarray(pop.backend.to_numpy(pop.read()))
    assert np.allclose(g, 1.0 / p.conduction.read_series_resistance)


def test_initial_defects_fraction(ps):
    """As-fabricated defect fraction equals the parameter (binomial, 5 standard errors)."""
    pop = pcm.Population(ps, 200000, 1, "numpy")
    f = (pop.state()["fault"] != 0).mean()
    q = ps.faults.initial_defect_fraction
    assert abs(f - q) < 5 * math.sqrt(q * (1 - q) / 200000)


def test_run_pulse_train_and_reads(ps, backend):
    train = pcm.PulseTrain([pcm.Pulse.reset()] + [pcm.Pulse.set()] * 5
                           + [pcm.Read(at=t) for t in (1.0, 10.0, 100.0)])
    assert train.groups()[1] == (pcm.Pulse.set(), 5)
    pop = pcm.Population(ps.deterministic(), 10, 1, backend)
    reads = pop.run(train)
    assert len(reads) == 3
    g = [float(np.asarray(pop.backend.to_numpy(r))[0]) for r in reads]
    assert g[0] > g[1] > g[2]


def test_field_is_the_backend_state_without_copy(ps):
    pop = pcm.Population(ps.deterministic(), 16, 1, "numpy")
    pop.apply(pcm.Pulse.reset())
    u = pop.field("u_a")
    assert u.dtype == np.float32 and np.array_equal(u, pop.state()["u_a"])
    pop.apply(pcm.Pulse.set())
    assert np.array_equal(u, pop.state()["u_a"])       # the live array, not a snapshot
    with pytest.raises(KeyError, match="fields: u_a"):
        pop.field("temperature")
