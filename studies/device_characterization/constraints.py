"""Check a parameter set against the SET-window constraints of the physical model.

Prints, for one parameter set on small populations:

(a) mean G after 1, 5, 10, 20, 40 SET pulses at 100 uA (target 0.98, 3.84, 6.24, 8.8,
    10.3 uS +-30 %, Nandakumar/Demirag);
(b) mean G after 40 pulses at 50 and 75 uA (Sebastian 2017 Fig. 4: both accumulate, less
    than at 100 uA);
(c) fraction of cells melted by one 50 ns SET pulse of 100-150 uA from a RESET and from a SET
    state, the melting-onset power P_m = (T_m - T_amb)/R_th,heater (250-400 uW [E]),
    the largest R_th(u_a)/R_th,heater (T_peak >= T_int needs <= 1);
(d) RESET (440 uA / 1 us) plug thickness and conductance, and the power of a 500 uA RESET of a
    SET cell (tutorial: 600 uW);

and the bound that ties (b) to (c) in the lumped model: with T = T_amb + R_th P and
P = I (V_h + R_on I + E_h u_a), a cell that does not melt at I_max (T_peak < T_m) has, at the
same plug and T_peak >= T_int, ``T_int(I) < T_amb + (T_m - T_amb) P(I)/P(I_max)``.

Usage: python studies/device_characterization/constraints.py [--params NAME] [--devices 300]
       [--backend host]
"""
from __future__ import annotations

import argparse

import numpy as np

import pcmphys as pcm
from pcmphys import characterization as ch
from pcmphys.physics import crystallization as cr
from pcmphys.physics import thermal as th

TARGET_100UA_US = {1: 0.98, 5: 3.84, 10: 6.24, 20: 8.8, 40: 10.3}
SET_CURRENTS = (50e-6, 75e-6, 100e-6)
MELT_CURRENTS = (100e-6, 120e-6, 150e-6)


def first_pulse(params, current, start, n, seed, backend):
    """Melted fraction, median T_peak, T_int [K] and plug [m] of one 50 ns SET pulse."""
    pop = pcm.Population(params, n, seed, backend)
    if start == "reset":
        pop.apply(pcm.Pulse.reset(ch.RESET_CURRENT, ch.RESET_WIDTH))
    else:
        pop.apply(pcm.Pulse.set(100e-6, 1e-6, fall_time=1e-6), repeat=2)
    pop.wait(1.0)
    ok = ch.healthy(pop)
    u0 = pop.state()["u_a"].astype(np.float64)[ok]
    d = pop.apply(pcm.Pulse.set(current, 50e-9), diagnostics=True)
    return (float(np.mean(d["melted"][ok])), float(np.median(d["hotspot_temperature"][ok])),
            float(np.median(d["interface_temperature"][ok])), float(np.median(u0)))


def interface_bound(params, current, current_max, u_a):
    """Largest T_int [K] at ``current`` for a plug u_a that does not melt at current_max."""
    t = params.thermal
    Tm, Ta = params.amorphization.melting_temperature, t.ambient_temperature
    ratio = (current * th.on_state_voltage(current, u_a, t)
             / (current_max * th.on_state_voltage(current_max, u_a, t)))
    return Ta + (Tm - Ta) * ratio


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--params", default="sebastian2017_gst90nm")
    ap.add_argument("--devices", type=int, default=300)
    ap.add_argument("--backend", default="host")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    p = pcm.ParameterSet.load(args.params)
    b = pcm.get_backend(args.backend)
    n, s = args.devices, args.seed
    t, am = p.thermal, p.amorphization
    Tm, Ta = am.melting_temperature, t.ambient_temperature

    print(f"parameter set {p.name}, {n} cells, backend {b.name}")
    means = {}
    for i, I in enumerate(SET_CURRENTS):
        acc = ch.accumulation(p, current=I, n_pulses=40, n_devices=n, seed=s + i, backend=b)
        G = acc["conductance"][:, acc["healthy"]].mean(axis=1) * 1e6
        T1 = np.median(acc["interface_temperature"][0][acc["healthy"]])
        means[I] = G
        print(f"  {I * 1e6:5.0f} uA: mean G after 0/1/5/10/20/40 pulses "
              + " ".join(f"{G[k]:.2f}" for k in (0, 1, 5, 10, 20, 40))
              + f" uS; median T_int of pulse 1 {T1:.0f} K")
    G100 = means[100e-6]
    ok_a = all(abs(G100[k] / v - 1) <= 0.3 for k, v in TARGET_100UA_US.items())
    print(f"(a) 100 uA within +-30 % of {list(TARGET_100UA_US.values())}: {ok_a}")
    g50, g75 = means[50e-6][40], means[75e-6][40]
    ok_b = g50 >= 1.0 and g50 < g75 < G100[40]
    print(f"(b) G40: 50 uA {g50:.2f} >= 1 uS and < 75 uA {g75:.2f} < 100 uA {G100[40]:.2f}: "
          f"{ok_b}")

    melted = {}
    for start in ("reset", "set"):
        for I in MELT_CURRENTS:
            f, tp, ti, u0 = first_pulse(p, I, start, n, s + 7, b)
            melted[start, I] = f
            print(f"  {start:5s} state (plug {u0 * 1e9:4.1f} nm), {I * 1e6:3.0f} uA: melted "
                  f"{f:.3f}, median T_peak {tp:.0f} K, T_int {ti:.0f} K")
    p_m = (Tm - Ta) / t.rth_heater
    u = np.linspace(0.0, am.max_amorphous_thickness, 1001)
    r_ratio = (th.interface_thermal_resistance(u, t, am) / t.rth_heater).max()
    print(f"(c) melt onset P_m = {p_m * 1e6:.0f} uW (250-400), R_th,heater "
          f"{t.rth_heater / 1e6:.2f} K/uW, max R_th(u_a)/R_th,heater {r_ratio:.2f} (<= 1), "
          f"melted at 150 uA: {max(melted['reset', 150e-6], melted['set', 150e-6]):.3f}")

    pop = pcm.Population(p, n, s + 9, b)
    pop.apply(pcm.Pulse.reset(ch.RESET_CURRENT, ch.RESET_WIDTH))
    pop.wait(ch.FIRST_READ_DELAY)
    ok = ch.healthy(pop)
    plug = np.median(pop.state()["u_a"][ok]) * 1e9
    g0 = np.median(np.asarray(b.to_numpy(pop.read()))[ok]) * 1e6
    pop = pcm.Population(p, n, s + 10, b)
    d = pop.apply(pcm.Pulse.reset(current=500e-6, width=50e-9), diagnostics=True)
    pw = np.median(d["power"][ch.healthy(pop)]) * 1e6
    print(f"(d) RESET 440 uA/1 us: plug {plug:.1f} nm (30-60), G {g0:.3f} uS (0.1-0.2); "
          f"500 uA RESET of a SET cell {pw:.0f} uW (600)")

    vg = cr.growth_velocity(np.array([450.0, 500.0, 550.0, 600.0]), p.crystallization, Tm)
    print("bound (lumped model): no melting at 150 uA and T_peak >= T_int imply T_int(50 uA) "
          "< " + ", ".join(f"{interface_bound(p, 50e-6, 150e-6, x * 1e-9):.0f} K (u_a {x} nm)"
                          for x in (20, 30, 45))
          + "; v_g(450/500/550/600 K) = "
          + " ".join(f"{v * 1e9 * 50e-9:.2g}" for v in vg) + " nm per 50 ns pulse")


if __name__ == "__main__":
    main()
