"""Mixed-precision in-memory linear solver: Le Gallo et al., Nat. Electron. 1, 246 (2018), Fig. 8.

Banded model covariance matrices A_ij = exp(-|i - j| / l) (|i - j| <= w, else 0) are stored on
PCM cells (statistical mode, one cell per non-zero); A x = b is solved by float64 iterative
refinement whose inner CG runs its matrix-vector products on the cells. Reported: error norm
vs refinement per size, refinements and inner iterations to 1e-12, a sweep of the cells'
noise scale and of the time after programming, and a comparison with float64 CG and a banded
Cholesky solve on the processor.

Usage: python studies/legallo2018_mixed_precision/run.py [--smoke] [--sizes 64,256,...]
       [--backend numpy|host|cupy|auto] [--out folder]
"""
from __future__ import annotations

import argparse
import pathlib
import sys
import time

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from banded_memory import BandedPCMMatrix  # noqa: E402

import pcmphys as pcm  # noqa: E402
from pcmphys.computing.solvers import cg_inner, mixed_precision_solve  # noqa: E402
from pcmphys.statistical import StatisticalParams  # noqa: E402
from pcmphys.storage import save_dataset  # noqa: E402


def _floats(text):
    return [float(v) for v in text.split(",") if v]


def _ints(text):
    return [int(v) for v in text.split(",") if v]


def parse(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=_ints, default=[64, 256, 1024, 5000, 16384, 65536, 262144],
                    help="comma-separated matrix sizes n")
    ap.add_argument("--length", type=float, default=1.0,
                    help="correlation length l of exp(-|i-j|/l) [rows]")
    ap.add_argument("--half-bandwidth", type=int, default=5,
                    help="w: entries with |i-j| > w are cut to 0")
    ap.add_argument("--sweep-size", type=int, default=1024, help="n of the noise/time sweeps")
    ap.add_argument("--noise-scales", type=_floats, default=[0.25, 0.5, 1.0, 1.5, 2.0, 3.0],
                    help="factors on programming-noise and read-noise coefficients")
    ap.add_argument("--times", type=_floats, default=[1.0, 60.0, 3600.0, 86400.0, 2.6e6],
                    help="read times after programming [s]")
    ap.add_argument("--tol", type=float, default=1e-12, help="target relative residual")
    ap.add_argument("--inner-tol", type=float, default=0.1, help="inner CG relative tolerance")
    ap.add_argument("--inner-maxiter", type=int, default=50)
    ap.add_argument("--max-refinements", type=int, default=200)
    ap.add_argument("--backend", default="auto", help="numpy | host | cupy | auto")
    ap.add_argument("--seed", type=int, default=2018)
    ap.add_argument("--out", default=None,
                    help="output folder (default out/, out-smoke/ with --smoke)")
    ap.add_argument("--smoke", action="store_true", help="small run for CI")
    args = ap.parse_args(argv)
    if args.out is None:  # a smoke run never writes over the full run's output
        args.out = str(HERE / ("out-smoke" if args.smoke else "out"))
    if args.smoke:
        args.sizes, args.sweep_size = [64, 128], 64
        args.noise_scales, args.times = [0.5, 1.0, 2.0], [1.0, 86400.0]
    return args


# ------------------------------------------------------------------ problem
def covariance_diagonals(n, length, w):
    """Diagonal storage (n, 2w+1) of the banded model covariance exp(-|i-j|/l)."""
    k = np.arange(-w, w + 1)
    d = np.broadcast_to(np.exp(-np.abs(k) / length), (n, 2 * w + 1)).copy()
    col = np.arange(n)[:, None] + k[None, :]
    d[(col < 0) | (col >= n)] = 0.0
    return d


def diagonals_to_sparse(d):
    import scipy.sparse as sp

    n, m = d.shape
    w = m // 2
    rows = np.repeat(np.arange(n), m)
    cols = (np.arange(n)[:, None] + np.arange(-w, w + 1)[None, :]).ravel()
    keep = (cols >= 0) & (cols < n)
    return sp.csr_matrix((d.ravel()[keep], (rows[keep], cols[keep])), shape=(n, n))


def scaled_params(scale):
    """Statistical-mode coefficients with programming and read noise multiplied by `scale`."""
    p = StatisticalParams()
    return p.replace(prog_c0=p.prog_c0 * scale, prog_c1=p.prog_c1 * scale,
                     prog_c2=p.prog_c2 * scale, read_q=p.read_q * scale)


def mvm_relative_error(op, a, seed, vectors=4):
    """Mean ||y_pcm - A x|| / ||A x|| over a few Gaussian vectors (extra reads, not counted)."""
    rng = np.random.default_rng(seed)
    errs = []
    for _ in range(vectors):
        x = rng.standard_normal(a.shape[0])
        y = a @ x
        errs.append(np.linalg.norm(op.mvm(x) - y) / np.linalg.norm(y))
    return float(np.mean(errs))


def solve_on_memory(a, b, x_ref, op, args):
    """Refinement with `op` as the memory; returns (report, relative error history)."""
    err = []
    xnorm = np.linalg.norm(x_ref)
    rep = mixed_precision_solve(a, b, inner=op, method="cg", tol=args.tol,
                                inner_tol=args.inner_tol, inner_maxiter=args.inner_maxiter,
                                max_refinements=args.max_refinements,
                                callback=lambda x, k: err.append(np.linalg.norm(x - x_ref)
                                                                 / xnorm))
    return rep, err


def processor_references(a, b, d, w, tol):
    """float64 CG and banded Cholesky on the processor: (cg iterations, cg MACs, cg residual,
    direct MACs, direct residual, direct solution)."""
    from scipy.linalg import solveh_banded

    n = a.shape[0]
    nnz = a.nnz
    bn = np.linalg.norm(b)
    z, k = cg_inner(lambda p: a @ p, b, tol, 100 * n, exact=True)
    cg_res = np.linalg.norm(b - a @ z) / bn
    upper = np.zeros((w + 1, n))
    for j in range(w + 1):
        upper[w - j, j:] = a.diagonal(j)
    x_direct = solveh_banded(upper, b)
    direct_res = np.linalg.norm(b - a @ x_direct) / bn
    direct_macs = n * (w * (w + 1) // 2 + w) + 2 * n * (w + 1)  # factor + two triangular solves
    return k, k * (nnz + 5 * n), cg_res, direct_macs, direct_res, x_direct


# ------------------------------------------------------------------ experiments
def size_scan(args, backend):
    from tqdm.auto import tqdm

    rows = []
    for n in tqdm(args.sizes, desc="sizes"):
        t0 = time.perf_counter()
        d = covariance_diagonals(n, args.length, args.half_bandwidth)
        a = diagonals_to_sparse(d)
        b = np.random.default_rng(args.seed + n).standard_normal(n)
        cg_k, cg_macs, cg_res, dir_macs, dir_res, x_ref = processor_references(
            a, b, d, args.half_bandwidth, args.tol)
        op = BandedPCMMatrix(d, t=1.0, seed=args.seed, backend=backend)
        rep, err = solve_on_memory(a, b, x_ref, op, args)
        rows.append(dict(n=n, rep=rep, err=err, cells=op.n_cells, cg_iterations=cg_k,
                         cg_macs=cg_macs, cg_residual=cg_res, direct_macs=dir_macs,
                         direct_residual=dir_res, seconds=time.perf_counter() - t0))
    return rows


def noise_sweep(args, backend):
    from tqdm.auto import tqdm

    n = args.sweep_size
    d = covariance_diagonals(n, args.length, args.half_bandwidth)
    a = diagonals_to_sparse(d)
    b = np.random.default_rng(args.seed + n).standard_normal(n)
    x_ref = processor_references(a, b, d, args.half_bandwidth, args.tol)[-1]
    noise, drift = [], {}
    for s in tqdm(args.noise_scales, desc="noise scale"):
        op = BandedPCMMatrix(d, t=1.0, seed=args.seed, backend=backend, params=scaled_params(s))
        rep, err = solve_on_memory(a, b, x_ref, op, args)
        noise.append((rep, err, mvm_relative_error(op, a, args.seed)))
    for comp in (True, False):
        for t in tqdm(args.times, desc=f"time (compensation {comp})"):
            op = BandedPCMMatrix(d, t=t, seed=args.seed, backend=backend,
                                 drift_compensation=comp)
            rep, err = solve_on_memory(a, b, x_ref, op, args)
            drift[comp, t] = (rep, err, mvm_relative_error(op, a, args.seed))
    return noise, drift


# ------------------------------------------------------------------ output
def _pad(seqs, length):
    out = np.full((len(seqs), length), np.nan)
    for i, s in enumerate(seqs):
        out[i, :len(s)] = s
    return out


def to_dataset(args, sizes, noise, drift, backend_name):
    import xarray as xr

    hists = [r["rep"].residual_history for r in sizes] + [v[0].residual_history for v in noise]
    hists += [v[0].residual_history for v in drift.values()]
    length = max(len(h) for h in hists)
    ref = ("refinement", np.arange(length), {"long_name": "outer refinement"})

    def var(dims, values, units, long_name):
        return (dims, np.asarray(values), {"units": units, "long_name": long_name})

    reps = [r["rep"] for r in sizes]
    comps = [True, False]
    dr = [[drift[c, t][0] for t in args.times] for c in comps]
    data = {
        "residual": var(("size", "refinement"),
                        _pad([r.residual_history for r in reps], length), "1",
                        "relative residual ||b - A x|| / ||b||"),
        "error": var(("size", "refinement"), _pad([r["err"] for r in sizes], length), "1",
                     "relative error ||x - x_direct|| / ||x_direct||"),
        "refinements": var(("size",), [r.refinements for r in reps], "1",
                           "outer refinements to the tolerance"),
        "converged": var(("size",), [r.converged for r in reps], "1", "reached the tolerance"),
        "inner_iterations": var(("size",), [r.total_inner_iterations for r in reps], "1",
                                "inner CG iterations, all refinements"),
        "device_mvms": var(("size",), [r.device_mvms for r in reps], "1",
                           "matrix-vector products on the PCM cells"),
        "cells": var(("size",), [r["cells"] for r in sizes], "1", "PCM cells programmed"),
        "macs_memory": var(("size",), [r.macs_memory for r in reps], "1",
                           "multiply-accumulates in memory"),
        "macs_processor": var(("size",), [r.macs_processor for r in reps], "1",
                              "multiply-accumulates on the processor (mixed precision)"),
        "fraction_in_memory": var(("size",), [r.fraction_in_memory for r in reps], "1",
                                  "fraction of multiply-accumulates done in memory"),
        "cg64_iterations": var(("size",), [r["cg_iterations"] for r in sizes], "1",
                               "float64 CG iterations to the tolerance"),
        "cg64_macs": var(("size",), [r["cg_macs"] for r in sizes], "1",
                         "float64 CG multiply-accumulates"),
        "cg64_residual": var(("size",), [r["cg_residual"] for r in sizes], "1",
                             "float64 CG final relative residual"),
        "direct_macs": var(("size",), [r["direct_macs"] for r in sizes], "1",
                           "banded Cholesky multiply-accumulates"),
        "direct_residual": var(("size",), [r["direct_residual"] for r in sizes], "1",
                               "banded Cholesky relative residual"),
        "stop_reason": var(("size",), [r.reason for r in reps], "1",
                           "why refinement stopped"),
        "noise_stop_reason": var(("noise_scale",), [v[0].reason for v in noise], "1",
                                 "why refinement stopped"),
        "drift_stop_reason": var(("compensation", "time"), [[r.reason for r in row]
                                                            for row in dr], "1",
                                 "why refinement stopped"),
        "seconds": var(("size",), [r["seconds"] for r in sizes], "s", "wall time per size"),
        "noise_residual": var(("noise_scale", "refinement"),
                              _pad([v[0].residual_history for v in noise], length), "1",
                              "relative residual vs refinement, per noise scale"),
        "noise_refinements": var(("noise_scale",), [v[0].refinements for v in noise], "1",
                                 "refinements (to tolerance or stop)"),
        "noise_converged": var(("noise_scale",), [v[0].converged for v in noise], "1",
                               "reached the tolerance"),
        "noise_inner_iterations": var(("noise_scale",),
                                      [v[0].total_inner_iterations for v in noise], "1",
                                      "inner CG iterations"),
        "noise_mvm_error": var(("noise_scale",), [v[2] for v in noise], "1",
                               "relative MVM error ||y - A x|| / ||A x||"),
        "drift_residual": var(("compensation", "time", "refinement"),
                              np.stack([_pad([r.residual_history for r in row], length)
                                        for row in dr]), "1",
                              "relative residual vs refinement, per read time"),
        "drift_refinements": var(("compensation", "time"),
                                 [[r.refinements for r in row] for row in dr], "1",
                                 "refinements (to tolerance or stop)"),
        "drift_converged": var(("compensation", "time"), [[r.converged for r in row]
                                                          for row in dr], "1",
                               "reached the tolerance"),
        "drift_inner_iterations": var(("compensation", "time"),
                                      [[r.total_inner_iterations for r in row] for row in dr],
                                      "1", "inner CG iterations"),
        "drift_mvm_error": var(("compensation", "time"),
                               [[drift[c, t][2] for t in args.times] for c in comps], "1",
                               "relative MVM error ||y - A x|| / ||A x||"),
    }
    coords = {"size": ("size", np.array(args.sizes), {"long_name": "number of equations n"}),
              "refinement": ref,
              "noise_scale": ("noise_scale", np.array(args.noise_scales),
                              {"units": "1", "long_name": "factor on programming and read "
                               "noise coefficients"}),
              "time": ("time", np.array(args.times), {"units": "s",
                                                      "long_name": "time after programming"}),
              "compensation": ("compensation", np.array(comps),
                               {"long_name": "global drift compensation"})}
    return xr.Dataset(data, coords=coords, attrs={
        "study": "legallo2018_mixed_precision", "seed": args.seed, "backend": backend_name,
        "correlation_length": args.length, "half_bandwidth": args.half_bandwidth,
        "sweep_size": args.sweep_size, "tol": args.tol, "inner_tol": args.inner_tol,
        "pcmphys_version": pcm.__version__,
        "reference": "Le Gallo et al., Nat. Electron. 1, 246 (2018), Fig. 8",
        "matrix": "A_ij = exp(-|i-j|/l) for |i-j| <= w else 0 (stand-in [E])"})


def print_tables(ds):
    print("size -> refinements to tol, inner CG iterations, device MVMs, cells, % MACs in "
          "memory | float64 CG iterations | direct residual")
    for n in ds["size"].values:
        r = ds.sel(size=n)
        print(f"  n={int(n):>7}: {int(r.refinements):>4} refinements "
              f"({str(r.stop_reason.values)}, "
              f"final {float(r.residual.dropna('refinement')[-1]):.1e}), "
              f"{int(r.inner_iterations):>5} inner, {int(r.device_mvms):>5} MVMs, "
              f"{int(r.cells):>8} cells, {100 * float(r.fraction_in_memory):5.1f} % in memory"
              f" | CG64 {int(r.cg64_iterations)} it ({float(r.cg64_residual):.1e})"
              f" | direct {float(r.direct_residual):.1e} | {float(r.seconds):.1f} s")
    print(f"largest size run: {int(ds['size'].values.max())}")
    print(f"noise sweep (n = {ds.attrs['sweep_size']}, t = 1 s):")
    for s in ds["noise_scale"].values:
        r = ds.sel(noise_scale=s)
        print(f"  scale {s:4.2f}: MVM rel. error {100 * float(r.noise_mvm_error):5.1f} %, "
              f"{int(r.noise_refinements):>4} refinements, {int(r.noise_inner_iterations):>5} "
              f"inner, {str(r.noise_stop_reason.values)}")
    print("time after programming (noise scale 1):")
    for c in ds["compensation"].values:
        for t in ds["time"].values:
            r = ds.sel(compensation=c, time=t)
            print(f"  t = {t:>9g} s, drift compensation {'on ' if c else 'off'}: MVM rel. "
                  f"error {100 * float(r.drift_mvm_error):6.1f} %, "
                  f"{int(r.drift_refinements):>4} refinements, "
                  f"{str(r.drift_stop_reason.values)}")


def main(argv=None):
    args = parse(argv)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    backend = pcm.get_backend(args.backend)
    t0 = time.perf_counter()
    sizes = size_scan(args, backend)
    noise, drift = noise_sweep(args, backend)
    ds = to_dataset(args, sizes, noise, drift, backend.name)
    print(f"Mixed-precision solver (Le Gallo 2018): l = {args.length}, w = "
          f"{args.half_bandwidth}, tol {args.tol:g}, inner tol {args.inner_tol:g}, backend "
          f"'{backend.name}', {time.perf_counter() - t0:.1f} s")
    print_tables(ds)
    store = out / "legallo2018_mixed_precision.zarr"
    save_dataset(ds, store)
    from plot import plot_all  # local module of the study
    figs = plot_all(ds, out)
    print(f"wrote {store} and {', '.join(str(f) for f in figs)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
