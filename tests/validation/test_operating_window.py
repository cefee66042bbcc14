"""Validation of the physical model across the SET/RESET operating window of the IBM 90 nm GST
mushroom cell (filament-confined SET). Each test names its source, quantity, value, tolerance
and evidence tag. Host backend (numpy where the reference's numerics are varied).
"""
import math

import numpy as np
import pytest

import pcmphys as pcm
from pcmphys import characterization as ch
from pcmphys.physics import cell

pytestmark = pytest.mark.validation
KB_EV = 8.617333262e-5


@pytest.fixture(scope="module")
def ps():
    return pcm.ParameterSet.load("sebastian2017_gst90nm")


@pytest.fixture(scope="module")
def host():
    try:
        return pcm.get_backend("host")
    except pcm.BackendUnavailable as exc:
        pytest.skip(f"host backend unavailable: {exc}")


def _g(pop):
    return np.asarray(pop.backend.to_numpy(pop.read()), np.float64)


def test_no_melt_quench_by_set_pulses_up_to_150uA(ps, host):
    """Sebastian 2017 (arXiv v1) Fig. 4 uses 50 ns SET pulses of 50-100 uA that accumulate,
    the tutorial's RESET is 440 uA [L]: no 50 ns pulse <= 150 uA melt-quenches a cell from a
    RESET, a 40 x 100 uA or a fully SET start (0 of 1000 cells each, exact), while the
    440 uA / 1 us RESET melts every healthy cell (exact) [E target]."""
    for start in ("reset", "set40", "full_set"):
        for current in (100e-6, 125e-6, 150e-6):
            pop = pcm.Population(ps, 1000, 3, host)
            if start == "full_set":
                pop.apply(ch.FULL_SET)
            else:
                pop.apply(pcm.Pulse.reset())
                if start == "set40":
                    pop.apply(pcm.Pulse.set(100e-6, 50e-9), repeat=40)
            d = pop.apply(pcm.Pulse.set(current, 50e-9), diagnostics=True)
            assert not d["melted"].any(), (start, current)
    pop = pcm.Population(ps, 1000, 4, host)
    d = pop.apply(pcm.Pulse.reset(), diagnostics=True)
    assert d["melted"][ch.healthy(pop)].all()


def test_accumulation_rises_with_current_from_25_to_150uA(ps, host):
    """Sebastian 2017 Fig. 4 [L]: mean G after a train of 50 ns SET pulses rises with the
    current; the c = 0.01 reading of the 1 M-device experiment programs with ~39 uA pulses
    [L], so 40 uA must give >= 0.5 uS after 10 pulses [E target]. Mean G after 40 pulses
    strictly rising over 25/40/75/150 uA (gaps >> 5 SE with 500 cells) and the 40 uA value
    after 10 pulses >= 0.5 uS by more than 5 SE."""
    g40, g10_40 = [], None
    for i, current in enumerate((25e-6, 40e-6, 75e-6, 150e-6)):
        acc = ch.accumulation(ps, current=current, n_pulses=40, n_devices=500, seed=30 + i,
                              backend=host)
        G = acc["conductance"][:, acc["healthy"]]
        g40.append((G[40].mean(), G[40].std() / math.sqrt(G.shape[1])))
        if current == 40e-6:
            g10_40 = (G[10].mean(), G[10].std() / math.sqrt(G.shape[1]))
    for (a, sa), (b, sb) in zip(g40, g40[1:]):
        assert b - a > 5 * math.hypot(sa, sb)
    assert g10_40[0] - 5 * g10_40[1] >= 0.5e-6


def test_long_set_pulses_crystallise_and_keep_the_order_parameter_in_range(ps, host):
    """Physical expectation [E target]: a 100 uA pulse of 50 ns ... 1 ms gives a mean G that
    does not fall with width (within 2 %, the SE at 300 cells), does not melt, and the order
    parameter stays in [0, Sigma_0] (exact). Full-SET fraction at >= 1 us is not asserted:
    in the filament model a 100 uA pulse crystallises ~1/3 of the heater area (see the
    operating-window study)."""
    means = []
    for j, w in enumerate((50e-9, 1e-6, 100e-6, 1e-3)):
        pop = pcm.Population(ps, 300, 40 + j, host)
        pop.apply(pcm.Pulse.reset())
        ok = ch.healthy(pop)
        d = pop.apply(pcm.Pulse.set(100e-6, w), diagnostics=True)
        assert not d["melted"].any()
        pop.wait(1.0)
        means.append(_g(pop)[ok].mean())
        s = pop.state()["sigma"]
        assert s.min() >= 0.0 and s.max() <= ps.relaxation.initial_order + 1e-6
    assert all(b >= 0.98 * a for a, b in zip(means, means[1:])), means


def test_retention_arrhenius(ps, host):
    """Retention of GST RESET cells [L, tutorial and the PCM literature]: the median time to
    crystallise (G at 300 K above 5 uS) during bakes at 165, 190 and 220 C follows an
    Arrhenius law with E_a in 2-3.5 eV that extrapolates to 10-1000 years at 85 C."""
    times = np.logspace(-3, 11, 57)
    T, t50 = [], []
    for j, tc in enumerate((165.0, 190.0, 220.0)):
        pop = pcm.Population(ps, 200, 50 + j, host)
        pop.apply(pcm.Pulse.reset())
        ok = ch.healthy(pop)
        t0, fail = pop.clock, np.full(200, np.inf)
        for t in times:
            pop.wait(t0 + t - pop.clock, temperature=tc + 273.15)
            g = np.asarray(pop.backend.to_numpy(pop.read(temperature=300.0)))
            fail = np.where(np.isinf(fail) & (g > 5e-6), t, fail)
            if np.mean(np.isfinite(fail[ok])) > 0.6:
                break
        T.append(tc + 273.15)
        t50.append(np.median(fail[ok]))
    slope, icpt = np.polyfit(1.0 / (KB_EV * np.array(T)), np.log(t50), 1)
    years = math.exp(icpt + slope / (KB_EV * 358.15)) / 3.15576e7
    assert 2.0 <= slope <= 3.5
    assert 10.0 <= years <= 1000.0


def test_reset_state_read_noise_is_bounded(ps, host):
    """RESET-state 1/f noise (Fantini 2008 [V abstract]: relative noise falls with the
    conducting volume; a full amorphous cap has the largest): sigma(ln G) between two reads
    1e4 s apart, starting 1e4 s after the RESET, <= 0.3 (2000 cells; aihwkit's clip of 0.2 on
    ln G would give ~0.9) [E target]."""
    pop = pcm.Population(ps, 2000, 60, host)
    pop.apply(pcm.Pulse.reset())
    pop.wait(1e4)
    a = np.log(_g(pop))
    pop.wait(1e4)
    b = np.log(_g(pop))
    assert np.std(b - a) <= 0.3


def test_accumulation_insensitive_to_the_growth_step(ps):
    """Numerical convergence [E target]: halving the RK2 growth step changes the mean G after
    40 x 100 uA pulses by < 5 % (numpy reference, 200 cells, same draws)."""
    saved = cell.GROWTH_STEP
    out = []
    try:
        for step in (saved, 0.5 * saved):
            cell.GROWTH_STEP = step
            acc = ch.accumulation(ps, current=100e-6, n_pulses=40, n_devices=200, seed=70,
                                  backend="numpy")
            out.append(acc["conductance"][40, acc["healthy"]].mean())
    finally:
        cell.GROWTH_STEP = saved
    assert abs(out[1] / out[0] - 1) < 0.05
