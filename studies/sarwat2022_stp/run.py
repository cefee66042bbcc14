"""Memtransistive short-term plasticity study (Sarwat et al., Nat. Nanotechnol.
2022): (a) STP traces and paired-pulse facilitation, (b) ST-STDP sequence
recognition of transforming shapes, (c) stochastic Hopfield max-cut with memtransistive
synaptic noise annealed by the gate.

All memtransistive numbers are [E]: dG/G vs V_G, tau_F and the amplitudes are NOT
verified against the paper; nothing here is a reproduction of paper values.

Usage: python studies/sarwat2022_stp/run.py [--smoke] [--backend B] [--seed S] [--out DIR]
       [--parts abc]
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

import frames as fr  # noqa: E402
import maxcut as mc  # noqa: E402

import pcmphys as pcm  # noqa: E402
from pcmphys.memtransistor import MemtransistivePopulation  # noqa: E402
from pcmphys.parameters.memtransistor import MemtransistorParams  # noqa: E402
from pcmphys.storage import save_dataset  # noqa: E402

RESET = pcm.Pulse.reset(current=440e-6, width=1e-6)
SET = pcm.Pulse.set(current=100e-6, width=50e-9)
SET_FINE = pcm.Pulse.set(current=100e-6, width=50e-9)

SMOKE = dict(ppf_cells=300, trace_cells=100, seq=8, frames=12, size=14,
             small=(12, 16), small_graphs=2, large=(40,), trials=8, sweeps=15,
             noise=(0.0, 1.0, 3.0), restarts=32)
FULL = dict(ppf_cells=2000, trace_cells=500, seq=40, frames=24, size=16,
            small=(16, 20, 22), small_graphs=3, large=(50, 100, 200, 400, 800), trials=24,
            sweeps=40, noise=(0.0, 0.5, 1.0, 2.0, 3.0, 5.0), restarts=128)
PPF_INTERVALS = np.array([1e-3, 3e-3, 10e-3, 20e-3, 40e-3, 70e-3, 120e-3, 200e-3, 400e-3])


def parse(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--smoke", action="store_true", help="small run for CI")
    ap.add_argument("--backend", default="auto", help="numpy | host | cupy | auto")
    ap.add_argument("--seed", type=int, default=2022)
    ap.add_argument("--out", default=None,
                    help="output folder (default out/, out-smoke/ with --smoke)")
    ap.add_argument("--parts", default="abc",
                    help="subset of a (STP/PPF), b (sequence), c (max-cut)")
    args = ap.parse_args(argv)
    if args.out is None:  # a smoke run never writes over the full run's output
        args.out = str(HERE / ("out-smoke" if args.smoke else "out"))
    if not set(args.parts) <= set("abc") or not args.parts:
        ap.error(f"--parts must be a non-empty subset of 'abc', got {args.parts!r}")
    return args


def _np(cells, a):
    return np.array(cells.backend.to_numpy(a), dtype=np.float64)


def _cells(ps, mtp, n, seed, backend, set_pulses=None):
    """RESET cells; optionally SET the ones with set_pulses > k, k = 0, 1, ..."""
    cells = MemtransistivePopulation(ps, mtp, n, seed, backend)
    cells.apply(RESET)
    if set_pulses is not None:
        for k in range(int(set_pulses.max())):
            cells.apply(SET, where=set_pulses > k)
    cells.wait(1.0)
    return cells


def program_verify(cells, target, max_iterations=60):
    """Write-verify: SET pulses (100 uA, 50 ns) on every cell still below ``target`` [S],
    until all reach it or ``max_iterations`` passes; cells aimed at <= the RESET level get none.

    Returns the number of cells that never reached their target.
    """
    target = np.asarray(target, np.float64)
    for _ in range(max_iterations):
        low = _np(cells, cells.population.read()) < target
        if not low.any():
            break
        cells.apply(SET_FINE, where=low)
    cells.wait(1.0)
    return int((_np(cells, cells.population.read()) < target).sum())


# ------------------------------------------------------------------------- (a) STP / PPF
def stp_traces(ps, mtp, n, seed, backend, period=10e-3, pulses=5, t_end=0.3, dt=2.5e-3):
    """Relative change dG/G_NV of RESET (amorphous) and SET (20 pulses) cells under a gate
    train of ``pulses`` 1 V pulses every ``period``; read every ``dt``."""
    set_pulses = np.r_[np.zeros(n), np.full(n, 20)]
    cells = _cells(ps, mtp, 2 * n, seed, backend, set_pulses)
    t0 = cells.clock
    pulse_times = t0 + period * np.arange(pulses)
    times = t0 + np.arange(0.0, t_end, dt)
    rel = np.empty((times.size, 2 * n))
    k = 0
    for i, t in enumerate(times):
        while k < pulses and pulse_times[k] <= t + 1e-12:
            cells.wait(max(pulse_times[k] - cells.clock, 0.0))
            cells.gate(1.0)
            k += 1
        cells.wait(max(t - cells.clock, 0.0))
        rel[i] = _np(cells, cells.trace())      # = G / G_NV - 1 at V_G = V_G0
    g_nv = _np(cells, cells.population.read())
    return {"times": times - t0, "rel_change": rel, "state": np.r_[np.zeros(n), np.ones(n)],
            "g_nv": g_nv, "pulse_times": pulse_times - t0}


def ppf_curve(ps, mtp, n, intervals, seed, backend):
    """Paired-pulse facilitation F2/F1 vs interval: group k gets its second pulse at dt_k."""
    groups = intervals.size
    cells = _cells(ps, mtp, n * groups, seed, backend)
    t0 = cells.clock
    cells.gate(1.0)
    f1 = _np(cells, cells.trace())
    f2 = np.empty_like(f1)
    gid = np.repeat(np.arange(groups), n)
    for k in np.argsort(intervals):
        cells.wait(t0 + intervals[k] - cells.clock)
        sel = gid == k
        cells.gate(1.0, where=sel)
        f2[sel] = _np(cells, cells.trace())[sel]
    f1g, f2g = f1.reshape(groups, n), f2.reshape(groups, n)
    ratio_of_means = f2g.mean(1) / f1g.mean(1)
    per_cell = f2g / f1g
    return {"intervals": intervals, "ppf": ratio_of_means, "ppf_cell_mean": per_cell.mean(1),
            "ppf_cell_se": per_cell.std(1, ddof=1) / np.sqrt(n)}


def fit_ppf(intervals, ppf):
    """Least-squares fit PPF = 1 + c exp(-dt / tau); returns c, tau [s] and their std errors."""
    from scipy.optimize import curve_fit

    popt, pcov = curve_fit(lambda t, c, tau: 1.0 + c * np.exp(-t / tau), intervals, ppf,
                           p0=(1.0, 0.05))
    err = np.sqrt(np.diag(pcov))
    return {"c": popt[0], "tau": popt[1], "c_se": err[0], "tau_se": err[1]}


# ------------------------------------------------------------------------- (b) ST-STDP
def sequence_learning(ps, mtp, cfg, seed, backend, frame_period=10e-3, gate_voltage=1.0,
                      g_on=5e-6):
    """Recognition of transforming shapes by long-term (phase) weights alone vs with ST-STDP.

    Network: pixels -> one output neuron per shape; synapse (shape j, pixel i) is a cell left
    in the RESET state, or written (write-verify) to >= ``g_on`` [S] where the jittered
    canonical template T_ji >= 0.5: binary long-term learning of the canonical pose (graded
    weights were tried first; the per-pulse spread of SET left them too noisy to recognise
    even the canonical frames reliably). Output score
    ``y_j = sum_i x_i G_ji / ||G_j||_2`` (divisive normalisation); the winner is the
    recognised class. ST-STDP: after each frame, every synapse with a spiking input pixel onto
    the winning (spiking) output gets one gate pulse (short-term facilitation, relaxing with
    tau_F). ``seq`` copies of the network, one per sequence, run in parallel.
    """
    size, B, T = cfg["size"], cfg["seq"], cfg["frames"]
    tmpl = fr.templates(size)
    C, P = tmpl.shape
    labels = np.arange(B) % C
    X = np.stack([fr.sequence(fr.SHAPES[labels[b]], size, T, seed * 1000 + b) for b in range(B)])
    target = np.tile(np.where(tmpl >= 0.5, g_on, 0.0), (B, 1, 1)).ravel()
    cells = _cells(ps, mtp, B * C * P, seed, backend)
    program_verify(cells, target)
    preds, scores = {}, {}
    for mode in ("long_term", "stp"):
        cells.reset_trace()
        cells.wait(20 * mtp.facilitation_time)
        pred = np.empty((B, T), int)
        for k in range(T):
            G = _np(cells, cells.read()).reshape(B, C, P)
            y = np.einsum("bcp,bp->bc", G, X[:, k]) / np.linalg.norm(G, axis=2)
            pred[:, k] = np.argmax(y, axis=1)
            if mode == "stp":
                mask = np.zeros((B, C, P), bool)
                mask[np.arange(B), pred[:, k]] = X[:, k] > 0.5
                cells.gate(gate_voltage, where=mask.ravel())
            cells.wait(frame_period)
        preds[mode] = pred
        scores[mode] = (pred == labels[:, None])
    return {"labels": labels, "pred_long_term": preds["long_term"], "pred_stp": preds["stp"],
            "correct_long_term": scores["long_term"], "correct_stp": scores["stp"],
            "frames": X.reshape(B, T, size, size), "templates": tmpl.reshape(C, size, size)}


def accuracy(correct):
    """Mean and binomial standard error of a boolean array."""
    p = float(np.mean(correct))
    return p, float(np.sqrt(max(p * (1 - p), 1e-12) / correct.size))


# ------------------------------------------------------------------------- (c) max-cut
def maxcut_study(ps, mtp, cfg, seed, backend, weight_conductance=5e-6):
    """Hopfield max-cut with memtransistive synaptic noise vs exact / local-search references.

    Small graphs (G(n, 0.3)): exact optimum by brute force; success = final cut == optimum.
    Large graphs (G(n, 6/(n-1)), mean degree 6): best of ``restarts`` local searches and of
    all Hopfield runs ("best known"), and the spectral upper bound; success = final cut >=
    best known. Edge cells are written (write-verify) to >= ``weight_conductance`` [S].
    Noise: every sweep, each edge cell gets a gate pulse of random sign and
    amplitude V(sweep) annealed linearly from V0 to 0.
    """
    rows = []
    graphs = [(n, 0.3, g) for n in cfg["small"] for g in range(cfg["small_graphs"])] + \
             [(n, 6.0 / (n - 1), 0) for n in cfg["large"]]
    sweep_time = mtp.facilitation_time / 2
    for gi, (n, p, g) in enumerate(graphs):
        edges = mc.random_graph(n, p, seed + 7919 * gi)
        m = edges.shape[0]
        exact = mc.brute_force_maxcut(n, edges) if n <= 24 else -1
        ls = mc.local_search(n, edges, cfg["restarts"], seed + gi)
        bound = mc.spectral_upper_bound(n, edges)
        trials = cfg["trials"]
        cells = _cells(ps, mtp, trials * m, seed + 100 + gi, backend)
        program_verify(cells, np.full(trials * m, weight_conductance))
        for vi, v0 in enumerate(cfg["noise"]):
            cells.reset_trace()
            res = mc.memtransistive_hopfield(cells, n, edges, trials,
                                             mc.anneal_schedule(cfg["sweeps"], v0), sweep_time,
                                             seed + 31 * gi + vi, seed + 37 * gi + vi)
            rows.append(dict(n=n, graph=g, edges=m, v0=v0, exact=exact, ls_best=int(ls.max()),
                             ls_mean=float(ls.mean()), bound=bound,
                             final=np.asarray(res["final_cut"]), best=res["best_cut"],
                             weight_std=float(np.mean(
                                 res["weight_std"][: max(cfg["sweeps"] // 4, 1)]))))
    # best known per graph
    for (n, g) in {(r["n"], r["graph"]) for r in rows}:
        rs = [r for r in rows if r["n"] == n and r["graph"] == g]
        best = max(max(r["ls_best"] for r in rs), max(int(r["best"].max()) for r in rs))
        for r in rs:
            r["best_known"] = r["exact"] if r["exact"] >= 0 else best
            r["success"] = r["final"] >= r["best_known"]
    return rows


def maxcut_table(rows):
    """Rows (n, V0 [V], weight noise, mean final/reference, P(success) +- se, LS mean/ref)."""
    out = []
    for n in sorted({r["n"] for r in rows}):
        for v0 in sorted({r["v0"] for r in rows}):
            rs = [r for r in rows if r["n"] == n and r["v0"] == v0]
            ratio = np.concatenate([r["final"] / r["best_known"] for r in rs])
            succ = np.concatenate([r["success"] for r in rs])
            p, se = accuracy(succ)
            ls = np.mean([r["ls_mean"] / r["best_known"] for r in rs])
            bnd = np.mean([r["best_known"] / r["bound"] for r in rs])
            out.append((n, v0, np.mean([r["weight_std"] for r in rs]), ratio.mean(), p, se, ls,
                        bnd, "exact" if rs[0]["exact"] >= 0 else "best known"))
    return out


# ------------------------------------------------------------------------- output
def _attrs(args, backend, mtp, part):
    return {"study": "sarwat2022_stp", "part": part, "seed": args.seed, "backend": backend.name,
            "pcmphys_version": pcm.__version__,
            "memtransistor_parameters": repr(mtp),
            "evidence": "memtransistive parameters are [E]: dG/G vs V_G, tau_F "
                        "and amplitudes NOT verified against Sarwat et al. 2022"}


def write_outputs(res, args, backend, mtp, out):
    import xarray as xr

    stores = []
    if "stp" in res:
        s, q = res["stp"], res["ppf"]
        ds = xr.Dataset({
            "rel_change": (("time", "cell"), s["rel_change"].astype(np.float32),
                           {"units": "1", "long_name": "G / G_NV - 1 under a gate train"}),
            "amorphous_state": (("cell",), (s["state"] == 0),
                                {"units": "1", "long_name": "cell left in the RESET state"}),
            "g_nv": (("cell",), s["g_nv"], {"units": "S", "long_name": "non-volatile conductance"}),
            "ppf": (("interval",), q["ppf"], {"units": "1", "long_name": "mean F2 / mean F1"}),
            "ppf_cell_mean": (("interval",), q["ppf_cell_mean"],
                              {"units": "1", "long_name": "mean over cells of F2/F1"}),
            "ppf_cell_se": (("interval",), q["ppf_cell_se"], {"units": "1", "long_name": "its SE"}),
        }, coords={"time": ("time", s["times"], {"units": "s"}),
                   "interval": ("interval", q["intervals"], {"units": "s"})},
            attrs={**_attrs(args, backend, mtp, "a"),
                   **{f"ppf_fit_{k}": float(v) for k, v in res["ppf_fit"].items()}})
        stores.append(out / "stp_ppf.zarr")
        save_dataset(ds, stores[-1])
    if "seq" in res:
        q = res["seq"]
        ds = xr.Dataset({
            "label": (("sequence",), q["labels"], {"units": "1", "long_name": "true shape index"}),
            "pred_long_term": (("sequence", "frame"), q["pred_long_term"],
                               {"units": "1", "long_name": "recognised shape, long-term only"}),
            "pred_stp": (("sequence", "frame"), q["pred_stp"],
                         {"units": "1", "long_name": "recognised shape, with ST-STDP"}),
            "frames": (("sequence", "frame", "y", "x"), q["frames"].astype(np.uint8),
                       {"units": "1", "long_name": "binary input frames"}),
        }, coords={"shape": ("shape", list(fr.SHAPES))}, attrs=_attrs(args, backend, mtp, "b"))
        stores.append(out / "sequence.zarr")
        save_dataset(ds, stores[-1])
    if "maxcut" in res:
        rows = res["maxcut"]
        ds = xr.Dataset({
            "n": (("run",), [r["n"] for r in rows], {"units": "1", "long_name": "nodes"}),
            "edges": (("run",), [r["edges"] for r in rows], {"units": "1", "long_name": "edges"}),
            "v0": (("run",), [r["v0"] for r in rows],
                   {"units": "V", "long_name": "initial gate-noise amplitude"}),
            "weight_std": (("run",), [r["weight_std"] for r in rows],
                           {"units": "1", "long_name": "std of normalised weights, first quarter"}),
            "best_known": (("run",), [r["best_known"] for r in rows],
                           {"units": "1", "long_name": "exact optimum (n<=24) or best known cut"}),
            "spectral_bound": (("run",), [r["bound"] for r in rows],
                               {"units": "1", "long_name": "n lambda_max(L) / 4"}),
            "local_search_best": (("run",), [r["ls_best"] for r in rows],
                                  {"units": "1", "long_name": "best of 1-flip local searches"}),
            "final_cut": (("run", "trial"), np.stack([r["final"] for r in rows]),
                          {"units": "1", "long_name": "cut at the end of the anneal"}),
        }, attrs=_attrs(args, backend, mtp, "c"))
        stores.append(out / "maxcut.zarr")
        save_dataset(ds, stores[-1])
    return stores


def main(argv=None):
    args = parse(argv)
    cfg = SMOKE if args.smoke else FULL
    ps = pcm.ParameterSet.load("sebastian2017_gst90nm")
    mtp = MemtransistorParams()
    backend = pcm.get_backend(args.backend)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    res = {}
    t0 = time.perf_counter()
    print(f"sarwat2022_stp on backend '{backend.name}' ({'smoke' if args.smoke else 'full'}); "
          "memtransistive parameters are [E] (not verified against the paper)")
    if "a" in args.parts:
        res["stp"] = stp_traces(ps, mtp, cfg["trace_cells"], args.seed, backend)
        res["ppf"] = ppf_curve(ps, mtp, cfg["ppf_cells"], PPF_INTERVALS, args.seed + 1, backend)
        res["ppf_fit"] = fit_ppf(PPF_INTERVALS, res["ppf"]["ppf"])
        f = res["ppf_fit"]
        print("(a) PPF = mean F2 / mean F1 vs interval:")
        for dt, v, se in zip(PPF_INTERVALS, res["ppf"]["ppf"], res["ppf"]["ppf_cell_se"]):
            print(f"    dt = {dt * 1e3:6.1f} ms  PPF = {v:.4f}  (per-cell mean se {se:.4f}; "
                  "no-spread answer 1 + exp(-dt/tau_F) = "
                  f"{1 + np.exp(-dt / mtp.facilitation_time):.4f})")
        print(f"    fit 1 + c exp(-dt/tau): c = {f['c']:.3f} +- {f['c_se']:.3f}, "
              f"tau = {f['tau'] * 1e3:.1f} +- {f['tau_se'] * 1e3:.1f} ms "
              f"(parameter tau_F = {mtp.facilitation_time * 1e3:.0f} ms [E])")
        rel = res["stp"]["rel_change"]
        amo = res["stp"]["state"] == 0
        print(f"    peak dG/G_NV after 5 pulses: RESET cells {rel[:, amo].mean(1).max():.3f}, "
              f"SET cells {rel[:, ~amo].mean(1).max():.3f}")
    if "b" in args.parts:
        q = res["seq"] = sequence_learning(ps, mtp, cfg, args.seed + 2, backend)
        half = cfg["frames"] // 2
        print(f"(b) recognition of {cfg['seq']} transforming-shape sequences x {cfg['frames']} "
              "frames (accuracy +- binomial se):")
        for mode in ("long_term", "stp"):
            c = q[f"correct_{mode}"]
            a_all, s_all = accuracy(c)
            a_tr, s_tr = accuracy(c[:, half:])
            print(f"    {mode:9s}: all frames {a_all:.3f} +- {s_all:.3f}; transformed "
                  f"(frames >= {half}) {a_tr:.3f} +- {s_tr:.3f}")
    if "c" in args.parts:
        res["maxcut"] = maxcut_study(ps, mtp, cfg, args.seed + 3, backend)
        print("(c) Hopfield max-cut, final cut after annealing (trials x graphs per row):")
        print("      n  V0[V]  w_std  final/ref  P(success)+-se  LS-mean/ref  ref/bound  ref")
        for row in maxcut_table(res["maxcut"]):
            n, v0, ws, ratio, p, se, ls, bnd, kind = row
            print(f"    {n:4d}  {v0:4.1f}  {ws:5.3f}  {ratio:9.4f}  {p:6.3f} +- {se:5.3f}  "
                  f"{ls:11.4f}  {bnd:9.4f}  {kind}")
    stores = write_outputs(res, args, backend, mtp, out)
    from plot import plot_all
    figs = plot_all(res, out)
    print(f"wrote {', '.join(str(s) for s in stores + figs)} in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
