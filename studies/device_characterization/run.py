"""Device characterisation study: tutorial Fig. 3 a-d on simulated cells.

Usage: python studies/device_characterization/run.py [--devices N] [--backend B] [--smoke]
"""
from __future__ import annotations

import argparse
import pathlib
import sys
import time

import numpy as np

import pcmphys as pcm
from pcmphys import characterization as ch
from pcmphys.storage import save_dataset

HERE = pathlib.Path(__file__).resolve().parent
ACCUMULATION_TARGET_US = {1: 0.98, 5: 3.84, 10: 6.24, 20: 8.8, 40: 10.3}
CURRENTS_SET = (50e-6, 75e-6, 100e-6)
DRIFT_TIMES = np.logspace(0, 5, 11)
#: RESET states: from the chip's RESET current (440 uA) up (lower currents give partial RESETs);
#: above ~600 uA the molten dome approaches the 100 nm GST thickness (V_th at 700 uA: info row)
RESET_STATE_CURRENTS = np.linspace(440e-6, 600e-6, 5)
OVERDRIVE_RESET_CURRENT = 700e-6


def parse(argv):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--devices", type=int, default=10_000, help="cells per experiment")
    ap.add_argument("--backend", default="auto", help="numpy | host | cupy | auto")
    ap.add_argument("--params", default="sebastian2017_gst90nm", help="parameter set name/path")
    ap.add_argument("--seed", type=int, default=2018)
    ap.add_argument("--out", default=None,
                    help="output folder (default out/, out-smoke/ with --smoke)")
    ap.add_argument("--smoke", action="store_true", help="small run for CI (500 cells)")
    args = ap.parse_args(argv)
    if args.out is None:  # a smoke run never writes over the full run's output
        args.out = str(HERE / ("out-smoke" if args.smoke else "out"))
    return args


def experiments(params, n, seed, backend):
    """Run all four experiments; returns a dict of arrays (see pcmphys.characterization)."""
    res = {}
    for i, I in enumerate(CURRENTS_SET):
        acc = ch.accumulation(params, current=I, n_devices=n, seed=seed + i, backend=backend)
        res[f"acc_{int(I * 1e6)}uA"] = acc
    quiet = ch.without_device_spread(params).replace(noise={"noise_coefficient": 0.0})
    res["c2c_100uA"] = ch.accumulation(quiet, current=100e-6,
                                     n_pulses=21, n_devices=min(n, 2000), seed=seed + 5,
                                     backend=backend)
    currents = np.linspace(50e-6, 700e-6, 27)
    res["programming"] = ch.programming_curve(params, currents, n_devices=min(n, 2000),
                                              seed=seed + 10, backend=backend)
    res["programming_currents"] = currents
    res["drift"] = ch.drift_after_reset(params, DRIFT_TIMES, n_devices=min(n, 2000),
                                        seed=seed + 20, backend=backend)
    res["noise_trace"] = noise_trace(params, seed + 30, backend)
    res["arrhenius"] = ch.arrhenius(params, (250.0, 275.0, 300.0, 325.0, 350.0, 375.0),
                                    n_devices=min(n, 2000), seed=seed + 40, backend=backend)
    res["reset_energy"] = reset_energy(params, min(n, 1000), seed + 60, backend)
    res["threshold"] = ch.threshold_vs_reset_current(params, RESET_STATE_CURRENTS,
                                                     n_devices=min(n, 1000), seed=seed + 50,
                                                     backend=backend)
    res["threshold_overdrive"] = ch.threshold_vs_reset_current(
        params, [OVERDRIVE_RESET_CURRENT], n_devices=min(n, 1000), seed=seed + 55,
        backend=backend)
    return res


def reset_energy(params, n, seed, backend):
    """Power [W] and energy [J] of a 500 uA / 50 ns RESET of crystalline cells (tutorial:
    1.2 V x 500 uA = 600 uW, 30 pJ)."""
    pop = pcm.Population(params, n, seed, backend)
    d = pop.apply(pcm.Pulse.reset(current=500e-6, width=50e-9), diagnostics=True)
    ok = ch.healthy(pop)
    return {"power": d["power"][ok], "energy": d["energy"][ok]}


def noise_trace(params, seed, backend, n_cells=4):
    """Conductance of a few RESET cells read 2000 times between 1 s and 1e4 s."""
    pop = pcm.Population(params, n_cells, seed, backend)
    pop.apply(pcm.Pulse.reset())
    t_prog = pop.clock
    times = np.logspace(0, 4, 2000)
    G = []
    for t in times:
        pop.wait(t_prog + t - pop.clock)
        G.append(np.asarray(pop.backend.to_numpy(pop.read())))
    return {"times": times, "conductance": np.array(G)}


def summary(res, params):
    """Rows (quantity, target, simulated, unit, pass) of the key numbers (pass None: no
    target, shown for information)."""
    rows = []
    acc = res["acc_100uA"]
    ok = acc["healthy"]
    G = acc["conductance"][:, ok] * 1e6
    for k, target in ACCUMULATION_TARGET_US.items():
        m = G[k].mean()
        rows.append((f"mean G after {k} SET pulses (100 uA)", f"{target:.2f} +-30%", f"{m:.2f}",
                     "uS", abs(m / target - 1) <= 0.3))
    sig = ch.cycle_to_cycle_sigma(res["c2c_100uA"]) * 1e6
    rows.append(("cycle-to-cycle sigma of dG, no read noise", "0.4-0.9", f"{sig:.2f}", "uS",
                 0.4 <= sig <= 0.9))
    sig_all = ch.cycle_to_cycle_sigma(acc) * 1e6
    rows.append(("sigma of dG incl. device spread, read noise", "(info)", f"{sig_all:.2f}", "uS",
                 None))
    G50 = res["acc_50uA"]["conductance"][:, res["acc_50uA"]["healthy"]] * 1e6
    rows.append(("mean G after 40 pulses at 50 uA", "< 100 uA value", f"{G50[40].mean():.2f}",
                 "uS", G50[40].mean() < G[40].mean()))
    dr = res["drift"]
    nu = ch.fit_drift_exponent(dr["times"], dr["resistance"][:, dr["healthy"]])
    rows.append(("drift exponent nu after RESET (1 s-1e5 s)", "0.10 +- 0.03",
                 f"{np.median(nu):.3f} (sd {nu.std():.3f})", "1", abs(np.median(nu) - 0.1) <= 0.03))
    pr = res["programming"]
    Rmed = np.median(pr["resistance"][:, pr["healthy"]], axis=1)
    ratio = Rmed.max() / Rmed[0]
    rows.append(("RESET/SET resistance ratio", ">= 100", f"{ratio:.0f}", "1", ratio >= 100))
    en = res["reset_energy"]
    p_med, e_med = np.median(en["power"]), np.median(en["energy"])
    rows.append(("RESET power, 500 uA on a SET cell", "600 (within 3%)", f"{p_med * 1e6:.0f}",
                 "uW", abs(p_med / 600e-6 - 1) <= 0.03))
    rows.append(("RESET energy, 500 uA x 50 ns", "30 (within 2x)", f"{e_med * 1e12:.1f}", "pJ",
                 15e-12 <= e_med <= 60e-12))
    ea = res["arrhenius"]["activation_energy"]
    rows.append(("E_a of the RESET state", "0.2-0.4", f"{np.median(ea):.3f}", "eV",
                 0.2 <= np.median(ea) <= 0.4))
    th = res["threshold"]
    vmed = np.median(th["threshold_voltage"], axis=1)
    rows.append(("V_th of RESET states (440-600 uA)", "0.8-2.5, rising",
                 f"{vmed.min():.2f}-{vmed.max():.2f}", "V",
                 bool(vmed.min() >= 0.8 and vmed.max() <= 2.5 and np.all(np.diff(vmed) > 0))))
    v7 = np.median(res["threshold_overdrive"]["threshold_voltage"])
    rows.append(("V_th after a 700 uA RESET (overdrive)", "(info)", f"{v7:.2f}", "V", None))
    return rows


def to_dataset(res, params, args, backend_name):
    """Collect the results in one xarray Dataset with units on every variable."""
    import xarray as xr

    data = {}
    for key in (k for k in res if k.startswith("acc_")):
        acc = res[key]
        data[f"{key}_conductance"] = (("pulse", "device"), acc["conductance"].astype(np.float32),
                                      {"units": "S", "long_name": f"conductance, {key}"})
    data["programming_resistance"] = (("reset_current", "device_p"),
                                      res["programming"]["resistance"].astype(np.float32),
                                      {"units": "Ohm", "long_name": "resistance after pulse"})
    data["drift_resistance"] = (("drift_time", "device_d"),
                                res["drift"]["resistance"].astype(np.float32),
                                {"units": "Ohm", "long_name": "resistance after RESET"})
    data["noise_conductance"] = (("noise_time", "cell"),
                                 res["noise_trace"]["conductance"].astype(np.float32),
                                 {"units": "S", "long_name": "repeated reads of RESET cells"})
    coords = {
        "reset_current": ("reset_current", res["programming_currents"], {"units": "A"}),
        "drift_time": ("drift_time", res["drift"]["times"], {"units": "s"}),
        "noise_time": ("noise_time", res["noise_trace"]["times"], {"units": "s"}),
    }
    return xr.Dataset(data, coords=coords, attrs={
        "study": "device_characterization", "parameters": params.to_toml(),
        "seed": args.seed, "backend": backend_name, "pcmphys_version": pcm.__version__})


def main(argv=None):
    args = parse(argv)
    n = 500 if args.smoke else args.devices
    params = pcm.ParameterSet.load(args.params)
    backend = pcm.get_backend(args.backend)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    res = experiments(params, n, args.seed, backend)
    elapsed = time.perf_counter() - t0
    print(f"device characterisation: {n} cells per experiment on backend '{backend.name}', "
          f"{elapsed:.1f} s")
    rows = summary(res, params)
    w = max(len(r[0]) for r in rows)
    print(f"{'quantity':<{w}}  {'target':>16}  {'simulated':>22}  unit  ok")
    for q, tgt, sim, unit, ok in rows:
        verdict = "-" if ok is None else ("yes" if ok else "NO")
        print(f"{q:<{w}}  {tgt:>16}  {sim:>22}  {unit:<4}  {verdict}")
    ds = to_dataset(res, params, args, backend.name)
    store = out / "device_characterization.zarr"
    save_dataset(ds, store)
    from plot import plot_all  # noqa: E402  (local module of the study)
    figs = plot_all(res, out)
    print(f"wrote {store} and {', '.join(str(f) for f in figs)}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    sys.exit(main())
