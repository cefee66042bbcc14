"""Standard characterisation protocols on a Population (orchestration layer).

Each function runs one published measurement protocol on simulated cells and returns plain
arrays with units in the names; the device-characterisation study, the validation tests and
the fitting code share them.
"""
from __future__ import annotations

import numpy as np

from pcmphys.population import Population
from pcmphys.protocol import Pulse

#: reset used in the 1 M-device experiments of Sebastian et al. 2017 (440 uA, 1 us)
RESET_CURRENT, RESET_WIDTH = 440e-6, 1e-6
#: delay between the RESET and the first read of an accumulation experiment [s]
#: (t0 of the Nandakumar/Demirag statistics)
FIRST_READ_DELAY = 38.6
#: delay between a SET pulse and the read that follows it [s]
READ_DELAY = 1.0
#: full SET: melt at the RESET current for 100 ns, then crystallise from the melt during a
#: 2 us fall (a SET pulse below the melt onset crystallises only its filament's footprint)
FULL_SET = Pulse("current", RESET_CURRENT, 100e-9, 2e-9, 2e-6)


def _numpy(pop, a):
    return np.asarray(pop.backend.to_numpy(a), dtype=np.float64)


def healthy(pop):
    """Mask of cells without a fault (as experimenters exclude defective cells)."""
    return pop.state()["fault"] == 0


#: device-to-device spreads switched off by :func:`without_device_spread`
DEVICE_SPREAD_FIELDS = ("heater_radius_sigma", "thermal_resistance_sigma", "growth_device_sigma",
                        "activation_energy_sigma", "drift_coupling_sigma")


def without_device_spread(params):
    """The same parameters with every device-to-device spread off, so the spread across
    cells of a population is the intra-device (cycle-to-cycle and per-pulse) randomness."""
    return params.replace(variability={k: 0.0 for k in DEVICE_SPREAD_FIELDS})


def cycle_to_cycle_sigma(accumulation_result, first=2, last=21):
    """Per-pulse sigma of dG [S] across healthy cells, averaged over pulses first..last."""
    G = accumulation_result["conductance"][:, accumulation_result["healthy"]]
    return np.diff(G, axis=0)[first - 1:last].std(axis=1).mean()


def accumulation(params, current=100e-6, n_pulses=40, n_devices=10_000, seed=0,
                 backend="auto", width=50e-9, read_delay=READ_DELAY):
    """Accumulation curve: RESET 440 uA/1 us, then ``n_pulses`` SET pulses of ``current`` [A].

    Returns
    -------
    dict
        ``conductance`` [S], shape (n_pulses + 1, n_devices): read ``FIRST_READ_DELAY`` s after
        the RESET and ``read_delay`` s after every SET pulse; ``healthy`` mask;
        ``interface_temperature`` [K] of every SET pulse (n_pulses, n_devices).
    """
    pop = Population(params, n_devices, seed, backend)
    pop.apply(Pulse.reset(RESET_CURRENT, RESET_WIDTH))
    pop.wait(FIRST_READ_DELAY)
    G = [_numpy(pop, pop.read())]
    T = []
    set_pulse = Pulse.set(current, width)
    for _ in range(n_pulses):
        d = pop.apply(set_pulse, diagnostics=True)
        T.append(d["interface_temperature"])
        pop.wait(read_delay)
        G.append(_numpy(pop, pop.read()))
    return {"conductance": np.array(G), "interface_temperature": np.array(T),
            "healthy": healthy(pop)}


def programming_curve(params, currents, n_devices=1000, seed=0, backend="auto", width=50e-9,
                      fall_time=2e-9, read_delay=READ_DELAY):
    """Partial-RESET programming curve from a SET start (tutorial Fig. 3a).

    Every cell is first fully SET (``FULL_SET``: the cap is melted by a 440 uA pulse and
    crystallises from the melt during a 2 us trailing edge, the triangular-pulse SET of
    mushroom cells), then receives one pulse per current of ``currents`` [A] in increasing
    order, each read ``read_delay`` s later. Returns ``resistance`` [Ohm] (len(currents),
    n_devices), the ``energy`` [J] of each pulse and the ``healthy`` mask.
    """
    pop = Population(params, n_devices, seed, backend)
    pop.apply(FULL_SET)
    pop.wait(read_delay)
    R, E = [], []
    for I in currents:
        d = pop.apply(Pulse("current", I, width, 2e-9, fall_time), diagnostics=True)
        E.append(d["energy"])
        pop.wait(read_delay)
        R.append(_numpy(pop, pop.read(quantity="resistance")))
    return {"resistance": np.array(R), "energy": np.array(E), "healthy": healthy(pop)}


def drift_after_reset(params, times, n_devices=1000, seed=0, backend="auto", temperature=None):
    """Resistance [Ohm] at ``times`` [s] after a full RESET (reads in increasing time order),
    waiting at ``temperature`` [K] (default ambient) and reading at ambient."""
    pop = Population(params, n_devices, seed, backend)
    pop.apply(Pulse.reset(RESET_CURRENT, RESET_WIDTH))
    t_end = pop.clock
    R = []
    for t in np.sort(np.asarray(times, float)):
        pop.wait(t_end + t - pop.clock, temperature)
        R.append(_numpy(pop, pop.read(quantity="resistance")))
    return {"resistance": np.array(R), "times": np.sort(np.asarray(times, float)),
            "healthy": healthy(pop)}


def fit_drift_exponent(times, resistance):
    """Least-squares power-law exponent nu of R(t) per cell: log R = a + nu log t."""
    x = np.log(np.asarray(times, float))
    y = np.log(np.asarray(resistance, float))
    xm = x - x.mean()
    return (xm[:, None] * (y - y.mean(axis=0))).sum(axis=0) / (xm ** 2).sum()


def arrhenius(params, temperatures, n_devices=1000, seed=0, backend="auto", delay=100.0):
    """Activation energy [eV] of the RESET-state conductance per cell.

    Cells are RESET, rest ``delay`` s at ambient, then read at each of ``temperatures`` [K]
    (reads do not age the glass); ``E_a = -d ln G / d(1/k_B T)`` by least squares.
    """
    pop = Population(params, n_devices, seed, backend)
    pop.apply(Pulse.reset(RESET_CURRENT, RESET_WIDTH))
    pop.wait(delay)
    T = np.asarray(temperatures, float)
    G = np.array([_numpy(pop, pop.read(temperature=t)) for t in T])
    x = 1.0 / (8.617333262e-5 * T)
    xm = x - x.mean()
    y = np.log(G)
    slope = (xm[:, None] * (y - y.mean(axis=0))).sum(axis=0) / (xm ** 2).sum()
    ok = healthy(pop)
    return {"activation_energy": -slope[ok], "conductance": G, "temperatures": T}


def threshold_vs_reset_current(params, currents, n_devices=1000, seed=0, backend="auto",
                               delay=100.0):
    """Threshold voltage [V] and plug thickness [m] after RESET pulses of ``currents`` [A]
    (one population per current, read ``delay`` s after the pulse)."""
    V, U = [], []
    for i, I in enumerate(currents):
        pop = Population(params, n_devices, seed + i, backend)
        pop.apply(Pulse.reset(I, RESET_WIDTH))
        pop.wait(delay)
        ok = healthy(pop)
        V.append(_numpy(pop, pop.read(quantity="threshold_voltage"))[ok])
        U.append(pop.state()["u_a"][ok].astype(np.float64))
    m = min(len(v) for v in V)
    return {"threshold_voltage": np.array([v[:m] for v in V]),
            "u_a": np.array([u[:m] for u in U]), "currents": np.asarray(currents, float)}
