"""Phase-change integrate-and-fire neurons (Tuma et al., Nat. Nanotechnol. 11, 693 (2016);
the reference numbers of the Demirag re-fit).

The membrane potential is the phase configuration of one simulated cell (pcmphys
Population): RESET 440 uA / 1 us, then one crystallising SET pulse (50 ns) per input event,
read after every pulse; the neuron fires when the read conductance reaches G_fire and is
RESET (melt-quench, a new glass every time). The inter-spike interval (ISI) is counted in
input pulses. Compared with the statistical (Nandakumar/Demirag) first-passage numbers of
Demirag re-fit [E]: 4.5 +- 1.9 (G_fire 3 uS), 8.1 +- 3.4 (5 uS), 15.7 +- 7.6 (8 uS).

Usage: python studies/tuma2016_neurons/run.py [--smoke] [--backend B] [--seed S] [--out DIR]
"""
from __future__ import annotations

import argparse
import pathlib
import sys
import time

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import pcmphys as pcm  # noqa: E402
from pcmphys.storage import save_dataset  # noqa: E402

RESET = pcm.Pulse.reset(current=440e-6, width=1e-6)
SET_WIDTH = 50e-9
PULSE_PERIOD = 10e-6           # time between input pulses [s]
STATISTICAL_TARGETS = {3e-6: (4.5, 1.9), 5e-6: (8.1, 3.4), 8e-6: (15.7, 7.6)}  # Demirag re-fit [E]

SMOKE = dict(neurons=100, steps=60, g_fire=(3e-6, 5e-6), amplitudes=(80e-6, 100e-6),
             stat_neurons=4000, coding_neurons=100, coding_steps=120, sizes=(10, 50, 100))
FULL = dict(neurons=500, steps=250, g_fire=(3e-6, 5e-6, 8e-6),
            amplitudes=(70e-6, 80e-6, 90e-6, 100e-6, 120e-6), stat_neurons=20000,
            coding_neurons=500, coding_steps=400, sizes=(10, 25, 50, 100, 250, 500))


def parse(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--smoke", action="store_true", help="small run for CI")
    ap.add_argument("--backend", default="auto", help="numpy | host | cupy | auto")
    ap.add_argument("--seed", type=int, default=2016)
    ap.add_argument("--out", default=None,
                    help="output folder (default out/, out-smoke/ with --smoke)")
    args = ap.parse_args(argv)
    if args.out is None:  # a smoke run never writes over the full run's output
        args.out = str(HERE / ("out-smoke" if args.smoke else "out"))
    return args


def _check_positive(name, value, unit, hi):
    if not (np.all(np.isfinite(value)) and np.all(np.asarray(value) > 0)
            and np.all(np.asarray(value) <= hi)):
        raise ValueError(f"{name} must be in (0, {hi:g}] {unit}, got {value!r}")


def run_neurons(params, n, amplitudes, g_fire, steps, seed, backend):
    """Integrate-and-fire on ``n`` cells for ``steps`` input pulses.

    Parameters
    ----------
    params : ParameterSet
    n : int
        Neurons (one cell each).
    amplitudes : float or ndarray (steps,)
        SET current of each input pulse [A] (same for every neuron at a step).
    g_fire : float
        Firing threshold on the read conductance [S].
    steps : int
        Input pulses.
    seed : int
    backend : str or Backend

    Returns
    -------
    dict
        ``spikes`` (steps, n) bool: neuron fired at that pulse; ``isi`` list per neuron of
        completed intervals [pulses]; ``conductance`` (steps, n) read after each pulse [S];
        ``cycles`` (n,) melt-quench count and ``fault`` (n,) fault code at the end.
    """
    amps = np.broadcast_to(np.asarray(amplitudes, np.float64), (steps,))
    _check_positive("amplitude", amps, "A", 1e-3)
    _check_positive("g_fire", g_fire, "S", 1e-3)
    pop = pcm.Population(params, n, seed, backend)
    pop.apply(RESET)
    count = np.zeros(n, int)
    spikes = np.zeros((steps, n), bool)
    G = np.empty((steps, n))
    isi = [[] for _ in range(n)]
    for k in range(steps):
        pop.apply(pcm.Pulse.set(current=float(amps[k]), width=SET_WIDTH))
        count += 1
        pop.wait(PULSE_PERIOD - SET_WIDTH - 2e-9)
        G[k] = np.asarray(pop.backend.to_numpy(pop.read()))
        fired = G[k] >= g_fire
        spikes[k] = fired
        for i in np.nonzero(fired)[0]:
            isi[i].append(int(count[i]))
        count[fired] = 0
        if fired.any():
            pop.apply(RESET, where=fired)
    st = pop.state()
    return {"spikes": spikes, "isi": isi, "conductance": G, "cycles": st["cycles"],
            "fault": st["fault"]}


def isi_stats(isi, n_steps):
    """ISI statistics of the neurons in ``isi`` (the study passes only fault-free cells:
    stuck-SET cells would fire at every pulse). Pooled ISI mean, std [pulses], CV, standard
    error of the mean (by neuron), counts.

    The SE treats neurons as independent units (ISIs of one neuron are pooled first), so it
    includes the device-to-device spread. Neurons with no complete interval are 'silent'.
    """
    per = [np.array(v) for v in isi if len(v)]
    allv = np.concatenate(per) if per else np.array([])
    if allv.size < 2:
        return dict(mean=np.nan, std=np.nan, cv=np.nan, se=np.nan, n=int(allv.size),
                    silent=len(isi) - len(per), intra_cv=np.nan, inter_std=np.nan)
    means = np.array([v.mean() for v in per])
    w = np.array([v.size for v in per], float)
    se = np.sqrt(np.sum(w ** 2 * (means - allv.mean()) ** 2)) / w.sum()
    multi = [v for v in per if v.size >= 3]
    return dict(mean=allv.mean(), std=allv.std(ddof=1), cv=allv.std(ddof=1) / allv.mean(),
                se=se, n=int(allv.size), silent=len(isi) - len(per),
                intra_cv=(float(np.mean([v.std(ddof=1) / v.mean() for v in multi]))
                          if multi else np.nan),
                inter_std=float(means.std(ddof=1)) if means.size > 1 else np.nan)


def statistical_first_passage(g_fire, n, seed):
    """ISI [pulses] of the statistical model of the reference numbers (Demirag re-fit of
    Nandakumar 2018): G0 ~ N(0.1, 0.01) uS, ``G += mu(G) + sigma(G) xi`` with
    ``mu = -0.084 G + 0.892 uS``, ``sigma = 0.09 G + 0.575 uS``, G clipped to [0.1, 20] uS;
    the ISI is the first pulse with G >= g_fire. Neurons that never cross in 1000 pulses
    are dropped (returned count)."""
    gen = np.random.default_rng(seed)
    G = np.clip(gen.normal(0.1, 0.01, n), 0.1, 20.0)
    gf = g_fire * 1e6
    isi = np.zeros(n, int)
    alive = np.ones(n, bool)
    for k in range(1, 1001):
        G = np.clip(G + (-0.084 * G + 0.892) + (0.09 * G + 0.575) * gen.standard_normal(n),
                    0.1, 20.0)
        hit = alive & (G >= gf)
        isi[hit] = k
        alive &= ~hit
        if not alive.any():
            break
    return isi[isi > 0], int(alive.sum())


def population_coding(params, n, steps, seed, backend, g_fire=5e-6, i0=95e-6, di=25e-6,
                      period_steps=12, lags=8, sizes=(10, 50, 100, 500)):
    """Neurons driven by a common sinusoidal input current ``i0 + di sin(2 pi k / period)``
    whose period is comparable to the mean single-neuron ISI (a 'fast' signal).

    Decoder: linear read-out of the population rate (spikes per neuron at pulses k, k-1, ...,
    k-lags+1, plus a constant), fitted by least squares on the first half of the run (after a
    burn-in of two periods) and evaluated on the second half. Reported: NRMSE = RMS error /
    std of the input, on the held-out half, vs the number of neurons used (the first m).
    """
    k = np.arange(steps)
    signal = np.sin(2 * np.pi * k / period_steps)
    res = run_neurons(params, n, i0 + di * signal, g_fire, steps, seed, backend)
    spikes = res["spikes"]
    burn = max(2 * period_steps, lags)
    idx = np.arange(burn, steps)
    half = idx.size // 2
    out = []
    for m in sizes:
        if m > n:
            continue
        rate = spikes[:, :m].mean(1)
        A = np.stack([rate[idx - lag] for lag in range(lags)] + [np.ones(idx.size)], 1)
        x = signal[idx]
        coef, *_ = np.linalg.lstsq(A[:half], x[:half], rcond=None)
        x_hat = A[half:] @ coef
        nrmse = np.sqrt(np.mean((x_hat - x[half:]) ** 2)) / np.std(x[half:])
        out.append(dict(neurons=m, nrmse=float(nrmse),
                        corr=float(np.corrcoef(x_hat, x[half:])[0, 1])))
    mean_isi = isi_stats(res["isi"], steps)["mean"]
    return {"signal": signal, "spikes": spikes, "table": out, "mean_isi": mean_isi,
            "period_steps": period_steps}


def to_datasets(res, args, backend_name, params):
    import xarray as xr

    attrs = {"study": "tuma2016_neurons", "seed": args.seed, "backend": backend_name,
             "pcmphys_version": pcm.__version__, "parameters": params.to_toml(),
             "statistical_targets": "Demirag re-fit [E]: 4.5+-1.9 (3 uS), 8.1+-3.4 (5 uS), "
                                    "15.7+-7.6 (8 uS) pulses"}
    rows = res["isi_rows"]
    keys = ("mean", "std", "cv", "se", "n", "silent", "faulty", "intra_cv", "inter_std")
    data = {k: (("config",), [r[k] for r in rows], {"units": "pulses" if k in
                                                     ("mean", "std", "se", "inter_std") else "1",
                                                     "long_name": f"ISI {k}"}) for k in keys}
    data["amplitude"] = (("config",), [r["amplitude"] for r in rows],
                         {"units": "A", "long_name": "SET current of the input pulses"})
    data["g_fire"] = (("config",), [r["g_fire"] for r in rows],
                      {"units": "S", "long_name": "firing threshold"})
    data["isi_hist"] = (("config", "isi_bin"), np.stack([r["hist"] for r in rows]),
                        {"units": "1", "long_name": "ISI histogram (counts)"})
    ds1 = xr.Dataset(data, coords={"isi_bin": ("isi_bin", np.arange(1, 61), {"units": "pulses"})},
                     attrs=attrs)
    pc = res["coding"]
    ds2 = xr.Dataset({
        "signal": (("step",), pc["signal"], {"units": "1", "long_name": "normalised input"}),
        "spikes": (("step", "neuron"), pc["spikes"], {"units": "1", "long_name": "spike raster"}),
        "nrmse": (("size",), [r["nrmse"] for r in pc["table"]],
                  {"units": "1", "long_name": "reconstruction NRMSE"}),
    }, coords={"size": ("size", [r["neurons"] for r in pc["table"]], {"units": "neurons"})},
        attrs=attrs)
    return ds1, ds2


def main(argv=None):
    args = parse(argv)
    cfg = SMOKE if args.smoke else FULL
    params = pcm.ParameterSet.load("sebastian2017_gst90nm")
    backend = pcm.get_backend(args.backend)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    print(f"tuma2016_neurons on backend '{backend.name}' ({'smoke' if args.smoke else 'full'}), "
          f"{cfg['neurons']} neurons x {cfg['steps']} input pulses per configuration")
    configs = [(100e-6, g) for g in cfg["g_fire"]] + \
              [(a, 5e-6) for a in cfg["amplitudes"] if a != 100e-6]
    rows = []
    print("   I_SET[uA]  G_fire[uS]   ISI mean +- std [pulses] (se)   CV   intra-CV  "
          "inter-sd  spikes silent faulty | statistical model (this run) | Demirag re-fit")
    for ci, (amp, gf) in enumerate(configs):
        r = run_neurons(params, cfg["neurons"], amp, gf, cfg["steps"], args.seed + ci, backend)
        healthy = [v for v, f in zip(r["isi"], r["fault"]) if f == 0]
        s = isi_stats(healthy, cfg["steps"])
        allv = np.concatenate([np.array(v) for v in healthy if v] or [np.zeros(0)])
        s.update(amplitude=amp, g_fire=gf, faulty=int(np.sum(r["fault"] != 0)),
                 hist=np.histogram(allv, bins=np.arange(0.5, 61.5))[0])
        rows.append(s)
        stat = ""
        if amp == 100e-6 and gf in STATISTICAL_TARGETS:
            isi, lost = statistical_first_passage(gf, cfg["stat_neurons"], args.seed + 100 + ci)
            s["stat_mean"], s["stat_std"] = isi.mean(), isi.std(ddof=1)
            tm, ts = STATISTICAL_TARGETS[gf]
            stat = f"{isi.mean():5.2f} +- {isi.std(ddof=1):4.2f} | {tm} +- {ts}"
        print(f"   {amp * 1e6:8.0f}  {gf * 1e6:9.1f}   {s['mean']:6.2f} +- {s['std']:5.2f} "
              f"({s['se']:.2f})   {s['cv']:.2f}   {s['intra_cv']:.2f}    {s['inter_std']:5.2f}  "
              f"{s['n']:6d} {s['silent']:5d} {s['faulty']:5d} | {stat}")
    res = {"isi_rows": rows}
    pc = population_coding(params, cfg["coding_neurons"], cfg["coding_steps"], args.seed + 50,
                           backend, sizes=cfg["sizes"])
    res["coding"] = pc
    print(f"population coding: sinusoid of period {pc['period_steps']} pulses, mean single-neuron "
          f"ISI {pc['mean_isi']:.1f} pulses; reconstruction from the population rate:")
    for r in pc["table"]:
        print(f"   {r['neurons']:4d} neurons: held-out NRMSE {r['nrmse']:.3f}, "
              f"corr(decoded, input) {r['corr']:.3f}")
    ds1, ds2 = to_datasets(res, args, backend.name, params)
    stores = [out / "isi.zarr", out / "population_coding.zarr"]
    save_dataset(ds1, stores[0])
    save_dataset(ds2, stores[1])
    from plot import plot_all
    figs = plot_all(res, out)
    print(f"wrote {', '.join(str(p) for p in stores + figs)} in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
