"""The physical model across the whole SET/RESET operating window (IBM 90 nm GST cell).

One run measures every target of the operating window on simulated cells (RESET 440 uA / 1 us,
SET pulses 50 ns unless stated) and prints it beside the target with PASS/MISS; writes
out/operating_window.zarr and the figures (accumulation vs current and pulse number, melt
fraction vs current, G vs SET pulse width, programming curve from a full SET, nu vs G with
aihwkit's band, read traces, retention Arrhenius plot).

Usage::

    python studies/operating_window/run.py [--devices 10000] [--backend auto] [--smoke]
"""
from __future__ import annotations

import argparse
import math
import pathlib
import sys
import time

import numpy as np

import pcmphys as pcm
from pcmphys import characterization as ch
from pcmphys.physics import cell
from pcmphys.storage import save_dataset

HERE = pathlib.Path(__file__).resolve().parent
KB_EV = 8.617333262e-5
G_MAX = 25e-6                    # aihwkit's g_max and the fully crystalline cell [S]
TARGET_100 = {1: 0.98, 5: 3.84, 10: 6.24, 20: 8.8, 40: 10.3}
CURRENTS = (25e-6, 40e-6, 50e-6, 60e-6, 75e-6, 100e-6, 125e-6, 150e-6)
MELT_CURRENTS = (100e-6, 125e-6, 150e-6, 200e-6, 250e-6, 275e-6, 300e-6, 350e-6, 440e-6)
WIDTHS = (50e-9, 100e-9, 1e-6, 10e-6, 100e-6, 1e-3)
BAKE_C = (150.0, 165.0, 180.0, 200.0, 220.0)
VERIFY_TARGETS_US = (1.0, 2.0, 5.0, 10.0, 15.0, 20.0)
DRIFT_TIMES = np.logspace(0, 5, 11)


def parse(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--devices", type=int, default=10_000, help="cells per experiment")
    ap.add_argument("--backend", default="auto", help="numpy | host | cupy | auto")
    ap.add_argument("--params", default="sebastian2017_gst90nm", help="parameter set")
    ap.add_argument("--seed", type=int, default=14)
    ap.add_argument("--out", default=None,
                    help="output folder (default out/, out-smoke/ with --smoke)")
    ap.add_argument("--smoke", action="store_true", help="small run for CI (400 cells)")
    args = ap.parse_args(argv)
    if args.out is None:  # a smoke run never writes over the full run's output
        args.out = str(HERE / ("out-smoke" if args.smoke else "out"))
    if args.devices < 100:
        ap.error(f"--devices must be >= 100 cells, got {args.devices}")
    return args


def _np(pop, a):
    return np.asarray(pop.backend.to_numpy(a), np.float64)


class Tracker:
    """Largest temperature of any pulse and the range of the order parameter seen."""

    def __init__(self):
        self.t_max = 0.0
        self.sigma_lo, self.sigma_hi = np.inf, -np.inf

    def pulse(self, pop, pulse, **kw):
        d = pop.apply(pulse, diagnostics=True, **kw)
        self.t_max = max(self.t_max, float(np.max(d["hotspot_temperature"])),
                         float(np.max(d["interface_temperature"])))
        self.state(pop)
        return d

    def state(self, pop):
        s = pop.state()["sigma"]
        self.sigma_lo = min(self.sigma_lo, float(s.min()))
        self.sigma_hi = max(self.sigma_hi, float(s.max()))


# ---------------------------------------------------------------------- experiments
def accumulation(params, n, seed, backend, tr, currents=CURRENTS, n_pulses=40):
    """Mean G [S] after 0..n_pulses pulses per current (reads 1 s after each pulse)."""
    out = {}
    for i, current in enumerate(currents):
        pop = pcm.Population(params, n, seed + i, backend)
        tr.pulse(pop, pcm.Pulse.reset())
        pop.wait(ch.FIRST_READ_DELAY)
        ok = ch.healthy(pop)
        G = [_np(pop, pop.read())[ok]]
        for _ in range(n_pulses):
            tr.pulse(pop, pcm.Pulse.set(current, 50e-9))
            pop.wait(ch.READ_DELAY)
            G.append(_np(pop, pop.read())[ok])
        out[current] = np.array(G)
    return out


def increments(params, n, seed, backend):
    """Per-pulse dG of the state (read noise off): full spread and without device spread."""
    quiet = params.replace(noise={"noise_coefficient": 0.0})
    res = {}
    for key, p in (("full", quiet), ("intra", ch.without_device_spread(quiet))):
        acc = ch.accumulation(p, current=100e-6, n_pulses=21, n_devices=n, seed=seed,
                              backend=backend)
        res[key] = acc["conductance"][:, acc["healthy"]]
    return res


def melting(params, n, seed, backend, tr):
    """Melted fraction of one 50 ns pulse per current from three start states."""
    starts = {}
    for name in ("reset", "set40", "full_set"):
        frac = []
        for j, current in enumerate(MELT_CURRENTS):
            pop = pcm.Population(params, n, seed + j, backend)
            if name == "full_set":
                tr.pulse(pop, ch.FULL_SET)
            else:
                tr.pulse(pop, pcm.Pulse.reset())
                if name == "set40":
                    pop.apply(pcm.Pulse.set(100e-6, 50e-9), repeat=40)
            ok = ch.healthy(pop)
            d = tr.pulse(pop, pcm.Pulse.set(current, 50e-9))
            frac.append(float(d["melted"][ok].mean()))
        starts[name] = np.array(frac)
    return starts


def reset_and_power(params, n, seed, backend, tr):
    """RESET melt fraction and G, full-SET G, 500 uA / 50 ns power and energy, P_m."""
    pop = pcm.Population(params, n, seed, backend)
    d = tr.pulse(pop, pcm.Pulse.reset())
    ok = ch.healthy(pop)
    melted = float(d["melted"][ok].mean())
    pop.wait(ch.READ_DELAY)
    g_reset = float(np.median(_np(pop, pop.read())[ok]))
    vth = _np(pop, pop.read(quantity="threshold_voltage"))[ok]
    pop.wait(1e4 - ch.READ_DELAY)
    vth_late = _np(pop, pop.read(quantity="threshold_voltage"))[ok]
    full = pcm.Population(params, n, seed + 1, backend)
    tr.pulse(full, ch.FULL_SET)
    full.wait(ch.READ_DELAY)
    okf = ch.healthy(full)
    g_set = float(np.median(_np(full, full.read())[okf]))
    d5 = tr.pulse(full, pcm.Pulse.reset(current=500e-6, width=50e-9))
    from pcmphys.physics import variability as va
    f = va.device_factors(seed, np.arange(n, dtype=np.int64), params)
    p_m = ((params.amorphization.melting_temperature - params.thermal.ambient_temperature)
           / (f.rth_factor * params.thermal.rth_heater))
    return {"reset_melted": melted, "g_reset": g_reset, "g_set": g_set,
            "power_500": float(np.median(d5["power"][okf])),
            "energy_500": float(np.median(d5["energy"][okf])),
            "t_hot_500": float(np.median(d5["hotspot_temperature"][okf])),
            "p_m": float(np.median(p_m)), "vth": vth, "vth_late": vth_late}


def threshold_vs_plug(params, n, seed, backend):
    th = ch.threshold_vs_reset_current(params, np.linspace(440e-6, 600e-6, 5),
                                       n_devices=min(n, 1000), seed=seed, backend=backend)
    return th


def pulse_width(params, n, seed, backend, tr):
    """Mean G [S] after one 100 uA pulse of each width from RESET (read 1 s later)."""
    G = []
    for j, w in enumerate(WIDTHS):
        pop = pcm.Population(params, n, seed + j, backend)
        tr.pulse(pop, pcm.Pulse.reset())
        ok = ch.healthy(pop)
        tr.pulse(pop, pcm.Pulse.set(100e-6, w))
        pop.wait(ch.READ_DELAY)
        G.append(float(_np(pop, pop.read())[ok].mean()))
    return np.array(G)


def sensitivity(params, n, seed):
    """Mean G after 40 x 100 uA with the growth step halved and doubled (numpy reference)."""
    out = {}
    saved = cell.GROWTH_STEP
    try:
        for step in (saved, 0.5 * saved, 2.0 * saved):
            cell.GROWTH_STEP = step
            acc = ch.accumulation(params, current=100e-6, n_pulses=40, n_devices=n, seed=seed,
                                  backend="numpy")
            out[step] = float(acc["conductance"][40, acc["healthy"]].mean())
    finally:
        cell.GROWTH_STEP = saved
    return out


def programming(params, n, seed, backend, tr):
    currents = np.linspace(50e-6, 600e-6, 23)
    pr = ch.programming_curve(params, currents, n_devices=min(n, 2000), seed=seed,
                              backend=backend)
    pop = pcm.Population(params, 8, seed, backend)   # hottest pulse of the sweep
    tr.pulse(pop, pcm.Pulse("current", currents[-1], 50e-9, 2e-9, 2e-9))
    return {"currents": currents, "resistance": pr["resistance"][:, pr["healthy"]]}


def drift(params, n, seed, backend, tr):
    """nu fitted 1 s - 1e5 s (read noise off) of SET-accumulated and partial-RESET states."""
    quiet = params.replace(noise={"noise_coefficient": 0.0})
    recipes = [("reset", 0, 0.0)] + [(f"{k}x{int(i * 1e6)}uA", k, i)
                                     for i, ks in ((40e-6, (5, 40)), (100e-6, (1, 3, 10, 40)),
                                                   (150e-6, (40,)))
                                     for k in ks]
    recipes += [("partial 300uA", 0, 300e-6), ("partial 250uA", 0, 250e-6)]
    g1, nu, nu_early, nu_late = [], [], [], []
    m = max(n // 10, 100)
    for j, (name, k, current) in enumerate(recipes):
        pop = pcm.Population(quiet, m, seed + j, backend)
        if name.startswith("partial"):
            tr.pulse(pop, ch.FULL_SET)
            tr.pulse(pop, pcm.Pulse("current", current, 50e-9, 2e-9, 2e-9))
        else:
            tr.pulse(pop, pcm.Pulse.reset())
            if k:
                pop.apply(pcm.Pulse.set(current, 50e-9), repeat=k)
        ok = ch.healthy(pop)
        t_end, G = pop.clock, []
        for t in DRIFT_TIMES:
            pop.wait(t_end + t - pop.clock)
            G.append(_np(pop, pop.read())[ok])
        G = np.array(G)
        tr.state(pop)
        x = np.log(DRIFT_TIMES)
        v = -ch.fit_drift_exponent(DRIFT_TIMES, G)
        g1.append(G[0])
        nu.append(v)
        nu_early.append(-(np.log(G[2]) - np.log(G[0])) / (x[2] - x[0]))
        nu_late.append(-(np.log(G[-1]) - np.log(G[-3])) / (x[-1] - x[-3]))
    return {"g1": np.concatenate(g1), "nu": np.concatenate(nu),
            "nu_early": np.concatenate(nu_early), "nu_late": np.concatenate(nu_late)}


def aihwkit_nu(g):
    g = np.maximum(g, 1e-7)
    mu = np.clip(-0.0155 * np.log(g) + 0.0244, 0.049, 0.1)
    sd = np.clip(-0.0125 * np.log(g) - 0.0059, 0.008, 0.045)
    return mu, sd


def aihwkit_read_sigma(G, t):
    """aihwkit's relative read-noise sigma of a state G [S] at t [s] after programming."""
    q = min(0.0088 / max((G / G_MAX) ** 0.65, 1e-3), 0.2)
    return q * math.sqrt(math.log((t + 20.0 + 250e-9) / (2 * 250e-9)))


def read_noise(params, n, seed, backend):
    """Relative sigma of G at 1 h for programmed states, and RESET-state traces."""
    pop = pcm.Population(params, n, seed, backend)
    pop.apply(pcm.Pulse.reset())
    rng = np.random.default_rng(seed)
    k = rng.integers(0, 41, n)
    for j in range(40):
        pop.apply(pcm.Pulse.set(150e-6, 50e-9), where=k > j)
    t_end = pop.clock
    pop.wait(3600.0)
    quiet = pcm.Population(params.replace(noise={"noise_coefficient": 0.0}), n, seed, backend)
    quiet.apply(pcm.Pulse.reset())
    for j in range(40):
        quiet.apply(pcm.Pulse.set(150e-6, 50e-9), where=k > j)
    quiet.wait(pop.clock - quiet.clock)
    g_noisy, g_true = _np(pop, pop.read()), _np(quiet, quiet.read())
    del t_end
    trace_pop = pcm.Population(params, 4, seed + 1, backend)
    trace_pop.apply(pcm.Pulse.reset())
    t0 = trace_pop.clock
    times = np.logspace(0, 4, 400)
    trace = []
    for t in times:
        trace_pop.wait(t0 + t - trace_pop.clock)
        trace.append(_np(trace_pop, trace_pop.read()))
    reset_pop = pcm.Population(params, n, seed + 2, backend)
    reset_pop.apply(pcm.Pulse.reset())
    reset_pop.wait(1e4)
    a = np.log(_np(reset_pop, reset_pop.read()))
    reset_pop.wait(1.0)
    b = np.log(_np(reset_pop, reset_pop.read()))
    reset_pop.wait(1e4)
    c = np.log(_np(reset_pop, reset_pop.read()))
    return {"g_noisy": g_noisy, "g_true": g_true, "times": times, "trace": np.array(trace),
            "dlnG_1s": float(np.std(b - a)), "dlnG_1e4s": float(np.std(c - a))}


def psd_slope(params, seed, backend, n_cells=32, n_reads=32768, dt=1.0):
    """Slope of the periodogram of ln G of RESET cells read every dt [s] from 1e4 s (1/f: -1).

    Point samples of 1/f noise alias the fluctuations faster than dt into a floor of about
    2 ln(f_max/f_s)/f_s, so the slope is fitted well below the sampling rate, from
    8/(N dt) to 1/(300 dt); the drift is removed by a linear fit in ln t per cell.
    """
    pop = pcm.Population(params, n_cells, seed, backend)
    pop.apply(pcm.Pulse.reset())
    pop.wait(1e4)
    x, t = [], []
    for _ in range(n_reads):
        pop.wait(dt)
        x.append(np.log(_np(pop, pop.read())))
        t.append(pop.clock)
    x, lt = np.array(x), np.log(np.array(t))
    coef = np.polyfit(lt, x, 1)
    x = x - (coef[0][None, :] * lt[:, None] + coef[1][None, :])
    f = np.fft.rfftfreq(n_reads, dt)[1:]
    S = (np.abs(np.fft.rfft(x, axis=0)[1:]) ** 2).mean(axis=1)
    sel = (f >= 8.0 / (n_reads * dt)) & (f <= 1.0 / (300.0 * dt))
    return float(np.polyfit(np.log(f[sel]), np.log(S[sel]), 1)[0])


def retention(params, n, seed, backend):
    """Median time [s] to crystallise a RESET cell (G(300 K) > 5 uS) at each bake."""
    times = np.logspace(-3, 11, 71)
    t50 = []
    for j, tc in enumerate(BAKE_C):
        pop = pcm.Population(params, n, seed + j, backend)
        pop.apply(pcm.Pulse.reset())
        ok = ch.healthy(pop)
        t0, fail = pop.clock, np.full(n, np.inf)
        for t in times:
            pop.wait(t0 + t - pop.clock, temperature=tc + 273.15)
            g = _np(pop, pop.read(temperature=300.0))
            fail = np.where(np.isinf(fail) & (g > 5e-6), t, fail)
            if np.mean(np.isfinite(fail[ok])) > 0.6:
                break
        t50.append(float(np.median(fail[ok])))
    T = np.array(BAKE_C) + 273.15
    t50 = np.array(t50)
    good = np.isfinite(t50)
    slope, icpt = np.polyfit(1.0 / (KB_EV * T[good]), np.log(t50[good]), 1)
    t85 = math.exp(icpt + slope / (KB_EV * 358.15))
    return {"bake_C": np.array(BAKE_C), "t50": t50, "E_a": float(slope),
            "t85_years": t85 / 3.15576e7}


def verify(params, n, seed, backend):
    """Program-and-verify of physical cells to each target (fraction within 0.5 uS)."""
    from pcmphys.computing.crossbar import Crossbar

    per = max(n // (2 * len(VERIFY_TARGETS_US)), 8)
    cols = len(VERIFY_TARGETS_US)
    a = np.tile(np.array(VERIFY_TARGETS_US), (per, 1))
    xb = Crossbar(per, cols, model="physical", g_max=20e-6, params=params, seed=seed,
                  backend=backend)
    # per-cell SET currents 40-270 uA (the 20 uS footprint needs ~220-260 uA; the loop lowers
    # the ceiling of a cell that melt-quenches), 200 ns climb pulses
    rep = xb.program(a, method="verify", tolerance=0.5 / 20.0, max_iterations=50,
                     set_current=270e-6, scale_range=(0.15, 1.0), set_width=200e-9,
                     verify_reads=4)
    g = np.asarray(xb.conductances(0.0))
    gp = g[0] if g.ndim == 3 else g
    gp = gp.reshape(per, cols) * 1e6
    within = (np.abs(gp - a) <= 0.5).mean(axis=0)
    return {"targets": np.array(VERIFY_TARGETS_US), "within": within,
            "iterations": rep.iterations, "final": gp}


# ---------------------------------------------------------------------- summary
def summary(r, params):
    rows = []

    def row(name, target, value, ok):
        rows.append((name, target, value, ok))

    acc = r["acc"]
    m100 = acc[100e-6].mean(axis=1) * 1e6
    for k, t in TARGET_100.items():
        row(f"100 uA: mean G after {k} pulses [uS]", f"{t} +-30%", f"{m100[k]:.2f}",
            abs(m100[k] / t - 1) <= 0.3)
    inc = r["inc"]
    d_full = np.diff(inc["full"], axis=0)[:20] * 1e6
    d_intra = np.diff(inc["intra"], axis=0)[:20] * 1e6
    sd = float(d_full.std(axis=1).mean())
    row("100 uA: sigma of per-pulse dG (no read noise) [uS]", "0.4-0.9", f"{sd:.2f}",
        0.4 <= sd <= 0.9)
    share = float(d_intra.var(axis=1).mean() / d_full.var(axis=1).mean())
    row("cycle-to-cycle share of the dG variance", "0.50-0.80", f"{share:.2f}",
        0.5 <= share <= 0.8)
    G_before = inc["full"][:-1][:20] * 1e6
    dev = []
    for lo in range(1, 8):
        sel = (G_before >= lo) & (G_before < lo + 1)
        if sel.sum() > 20:
            mean_dg = d_full[sel].mean()
            ref = 0.892 - 0.084 * (lo + 0.5)
            dev.append(abs(mean_dg - ref) <= max(0.3 * abs(ref), 0.15))
    row("mean dG vs G (G < 8 uS) vs 0.892 - 0.084 G", "+-30% or 0.15 uS",
        f"{sum(dev)}/{len(dev)} bins", len(dev) > 0 and all(dev))
    g40 = [acc[i][40].mean() * 1e6 for i in CURRENTS]
    rising = bool(np.all(np.diff(g40) > 0))
    row("mean G after 40 pulses, 25..150 uA [uS]", "strictly rising",
        "/".join(f"{g:.2f}" for g in g40), rising)
    g10_40 = acc[40e-6][10].mean() * 1e6
    row("40 uA: mean G after 10 pulses [uS]", ">= 0.5", f"{g10_40:.2f}", g10_40 >= 0.5)
    melt = r["melt"]
    sel = np.array(MELT_CURRENTS) <= 150e-6
    worst = max(float(v[sel].max()) for v in melt.values())
    row("melt-quench by a 50 ns pulse <= 150 uA (3 starts)", "0 cells", f"{worst:.4f}",
        worst == 0.0)
    rp = r["reset"]
    row("melt-onset power P_m (median) [uW]", "145-400", f"{rp['p_m'] * 1e6:.0f}",
        145e-6 <= rp["p_m"] <= 400e-6)
    row("440 uA / 1 us RESET: melted fraction", "1", f"{rp['reset_melted']:.4f}",
        rp["reset_melted"] == 1.0)
    ratio = rp["g_set"] / rp["g_reset"]
    row("R_RESET/R_SET (full SET vs RESET, 1 s)", ">= 100", f"{ratio:.0f}", ratio >= 100)
    row("power at 500 uA / 50 ns on a SET cell [uW]", "600 +-3%",
        f"{rp['power_500'] * 1e6:.0f}", abs(rp["power_500"] / 600e-6 - 1) <= 0.03)
    row("energy at 500 uA / 50 ns [pJ]", "30 (x/ 2)", f"{rp['energy_500'] * 1e12:.1f}",
        15e-12 <= rp["energy_500"] <= 60e-12)
    row("hot-spot rise at 500 uA [K]", "900-1500 (info)",
        f"{rp['t_hot_500'] - 300:.0f}", None)
    row("largest temperature in any pulse of this run [K]", "<= 2500", f"{r['tr'].t_max:.0f}",
        r["tr"].t_max <= 2500)
    gw = r["width"] * 1e6
    nondec = bool(np.all(np.diff(gw) >= -0.02 * gw[:-1]))
    row("100 uA, 50 ns..1 ms: G non-decreasing with width [uS]", "yes",
        "/".join(f"{g:.2f}" for g in gw), nondec)
    frac = gw[np.array(WIDTHS) >= 1e-6].min() / (rp["g_set"] * 1e6)
    row("100 uA, >= 1 us: G / full-SET G", ">= 0.90", f"{frac:.2f}", frac >= 0.9)
    row("order parameter always in [0, Sigma_0]", f"[0, {params.relaxation.initial_order}]",
        f"[{r['tr'].sigma_lo:.3f}, {r['tr'].sigma_hi:.3f}]",
        r["tr"].sigma_lo >= 0.0 and r["tr"].sigma_hi <= params.relaxation.initial_order + 1e-6)
    full_set_ok = rp["g_set"] >= 0.9 * G_MAX
    row("full SET (melt + 2 us fall) reaches [uS]", ">= 22.5 (info: melts)",
        f"{rp['g_set'] * 1e6:.1f}", None if not full_set_ok else None)
    s = r["sens"]
    base = s[cell.GROWTH_STEP]
    worst_s = max(abs(v / base - 1) for v in s.values())
    row("growth step x0.5 / x2: change of G40 at 100 uA", "< 5%", f"{100 * worst_s:.2f}%",
        worst_s < 0.05)
    row("law crossover temperature +-25 K", "< 5%", "no crossover (one continuous law)", True)
    dr = r["drift"]
    g = dr["g1"] / G_MAX
    bins = [(0.004, 0.01), (0.01, 0.04), (0.04, 0.1), (0.1, 0.25), (0.25, 0.5), (0.5, 1.0)]
    good, used, text = 0, 0, []
    for lo, hi in bins:
        sel = (g >= lo) & (g < hi)
        if sel.sum() < 20:
            continue
        mu, sdv = aihwkit_nu(np.sqrt(lo * hi))
        v = float(dr["nu"][sel].mean())
        used += 1
        good += abs(v - mu) <= sdv
        text.append(f"{v:.3f}")
    row("nu (1 s-1e5 s) within aihwkit mu +- sigma, g bins", "all bins",
        f"{good}/{used}: " + "/".join(text), used > 0 and good == used)
    ratio_nu = float(np.median(dr["nu_early"]) / np.median(dr["nu_late"]))
    row("power law from 1 s: nu(1-10 s) / nu(1e4-1e5 s)", "0.7-1.3", f"{ratio_nu:.2f}",
        0.7 <= ratio_nu <= 1.3)
    rn = r["noise"]
    worst_n, txt = 0.0, []
    for lo, hi in ((1, 2), (2, 5), (5, 10), (10, 25)):
        sel = (rn["g_true"] >= lo * 1e-6) & (rn["g_true"] < hi * 1e-6)
        if sel.sum() < 30:
            continue
        rel = float(np.std(rn["g_noisy"][sel] / rn["g_true"][sel]))
        ref = aihwkit_read_sigma(math.sqrt(lo * hi) * 1e-6, 3600.0)
        worst_n = max(worst_n, abs(rel / ref - 1))
        txt.append(f"{rel / ref:.2f}")
    row("read sigma at 1 h / aihwkit's, 1-25 uS bins", "0.85-1.15", "/".join(txt),
        bool(txt) and worst_n <= 0.15)
    row("RESET: sigma(ln G) between reads 1e4 s apart", "<= 0.3", f"{rn['dlnG_1e4s']:.2f}",
        rn["dlnG_1e4s"] <= 0.3)
    row("RESET: ln G PSD slope", "-1 +- 0.15", f"{r['psd']:.2f}", abs(r["psd"] + 1) <= 0.15)
    rt = r["ret"]
    row("retention: E_a of t_50 (150-220 C) [eV]", "2-3.5", f"{rt['E_a']:.2f}",
        2.0 <= rt["E_a"] <= 3.5)
    row("retention: t_50 extrapolated to 85 C [years]", "10-1000", f"{rt['t85_years']:.3g}",
        10 <= rt["t85_years"] <= 1000)
    vf = r["verify"]
    row("program-and-verify 1..20 uS: within 0.5 uS, 50 iter.", ">= 0.99 each",
        "/".join(f"{w:.2f}" for w in vf["within"]), bool(np.all(vf["within"] >= 0.99)))
    vth = r["threshold"]
    vmed = np.median(vth["threshold_voltage"], axis=1)
    row("V_th of RESET states 440-600 uA [V]", "0.8-2.5, rising",
        f"{vmed.min():.2f}-{vmed.max():.2f}",
        bool(vmed.min() >= 0.8 and vmed.max() <= 2.5 and np.all(np.diff(vmed) > 0)))
    dv = (np.median(rp["vth_late"]) - np.median(rp["vth"])) / 4.0 * 1e3
    row("V_th drift of the RESET state, 1 s-1e4 s [mV/decade]", "(info)", f"{dv:.0f}", None)
    return rows


def to_dataset(r, params, args, backend_name):
    import xarray as xr

    data = {
        "accumulation_mean_G": (("set_current", "pulse"),
                                np.array([r["acc"][i].mean(axis=1) for i in CURRENTS]),
                                {"units": "S", "long_name": "mean G, read 1 s after each pulse"}),
        "melted_fraction": (("start", "melt_current"),
                            np.array([r["melt"][k] for k in ("reset", "set40", "full_set")]),
                            {"units": "1", "long_name": "cells melt-quenched by one 50 ns pulse"}),
        "G_vs_width": (("width",), r["width"], {"units": "S", "long_name": "mean G, 100 uA"}),
        "programming_median_R": (("prog_current",),
                                 np.median(r["prog"]["resistance"], axis=1),
                                 {"units": "Ohm", "long_name": "median R from a full SET"}),
        "retention_t50": (("bake",), r["ret"]["t50"],
                          {"units": "s", "long_name": "median time to crystallise"}),
        "verify_within": (("verify_target",), r["verify"]["within"],
                          {"units": "1", "long_name": "fraction within 0.5 uS"}),
        "drift_G1": (("drift_cell",), r["drift"]["g1"], {"units": "S", "long_name": "G at 1 s"}),
        "drift_nu": (("drift_cell",), r["drift"]["nu"],
                     {"units": "1", "long_name": "fitted drift exponent 1 s-1e5 s"}),
        "reset_trace": (("trace_time", "trace_cell"), r["noise"]["trace"],
                        {"units": "S", "long_name": "read trace of RESET cells"}),
    }
    coords = {
        "set_current": ("set_current", np.array(CURRENTS), {"units": "A"}),
        "pulse": ("pulse", np.arange(41), {"units": "1"}),
        "start": ("start", np.array(["reset", "set40", "full_set"]), {"units": "1"}),
        "melt_current": ("melt_current", np.array(MELT_CURRENTS), {"units": "A"}),
        "width": ("width", np.array(WIDTHS), {"units": "s"}),
        "prog_current": ("prog_current", r["prog"]["currents"], {"units": "A"}),
        "bake": ("bake", np.array(BAKE_C), {"units": "degC"}),
        "verify_target": ("verify_target", np.array(VERIFY_TARGETS_US) * 1e-6, {"units": "S"}),
        "trace_time": ("trace_time", r["noise"]["times"], {"units": "s"}),
    }
    return xr.Dataset(data, coords=coords, attrs={
        "study": "operating_window", "parameters": params.to_toml(), "seed": args.seed,
        "backend": backend_name, "devices": args.devices, "pcmphys_version": pcm.__version__})


def main(argv=None):
    args = parse(argv)
    n = 400 if args.smoke else args.devices
    params = pcm.ParameterSet.load(args.params)
    backend = pcm.get_backend(args.backend)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    from tqdm import tqdm

    tr, s, r = Tracker(), args.seed, {}
    steps = [
        ("acc", lambda: accumulation(params, n, s, backend, tr)),
        ("inc", lambda: increments(params, min(n, 2000), s + 20, backend)),
        ("melt", lambda: melting(params, n, s + 30, backend, tr)),
        ("reset", lambda: reset_and_power(params, n, s + 50, backend, tr)),
        ("threshold", lambda: threshold_vs_plug(params, n, s + 60, backend)),
        ("width", lambda: pulse_width(params, min(n, 2000), s + 70, backend, tr)),
        ("sens", lambda: sensitivity(params, min(n, 300 if args.smoke else 1000), s + 80)),
        ("prog", lambda: programming(params, n, s + 90, backend, tr)),
        ("drift", lambda: drift(params, n, s + 100, backend, tr)),
        ("noise", lambda: read_noise(params, min(n, 4000), s + 130, backend)),
        ("psd", lambda: psd_slope(params, s + 140, backend,
                                  n_reads=8192 if args.smoke else 32768)),
        ("ret", lambda: retention(params, min(n, 1000), s + 150, backend)),
        ("verify", lambda: verify(params, min(n, 1200), s + 160, backend)),
    ]
    t0 = time.perf_counter()
    for key, fn in tqdm(steps, desc="operating window", unit="experiment"):
        r[key] = fn()
    r["tr"] = tr
    print(f"operating window: {n} cells per experiment on backend '{backend.name}', "
          f"{time.perf_counter() - t0:.0f} s")
    rows = summary(r, params)
    w = max(len(x[0]) for x in rows)
    print(f"{'target':<{w}}  {'wanted':>22}  {'simulated':>34}  result")
    for name, tgt, val, ok in rows:
        verdict = "info" if ok is None else ("PASS" if ok else "MISS")
        print(f"{name:<{w}}  {tgt:>22}  {val:>34}  {verdict}")
    judged = [x for x in rows if x[3] is not None]
    print(f"{sum(1 for x in judged if x[3])}/{len(judged)} targets pass")
    store = out / "operating_window.zarr"
    save_dataset(to_dataset(r, params, args, backend.name), store)
    sys.path.insert(0, str(HERE))
    from plot import plot_all  # noqa: E402  (local module of the study)
    figs = plot_all(r, out)
    print(f"wrote {store} and {', '.join(str(f) for f in figs)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
