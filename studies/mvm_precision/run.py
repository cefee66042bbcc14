"""MVM precision study: tutorial Fig. 5b on a simulated crossbar.

A 256 x 256 Gaussian matrix is stored on differential PCM pairs; Gaussian input vectors are
multiplied on the crossbar at several times after programming. The error distribution of
y = A x and the equivalent fixed-point bit precision are reported (the tutorial reports
about 4 bits on the 90 nm chip).

Usage: python studies/mvm_precision/run.py [--size N] [--vectors K] [--backend B] [--smoke]
"""
from __future__ import annotations

import argparse
import pathlib
import sys
import time

import numpy as np

import pcmphys as pcm
from pcmphys.computing.crossbar import Crossbar
from pcmphys.storage import save_dataset

HERE = pathlib.Path(__file__).resolve().parent
TIMES = (1.0, 60.0, 3600.0, 86400.0, 2.6e6)  # s after programming (1 s ... 1 month)
BITS = np.arange(1, 13)


def parse(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=256, help="matrix size N (N x N)")
    ap.add_argument("--vectors", type=int, default=200, help="input vectors per time point")
    ap.add_argument("--backend", default="auto", help="numpy | host | cupy | auto")
    ap.add_argument("--seed", type=int, default=2017)
    ap.add_argument("--physical-size", type=int, default=64,
                    help="size of the physical-model crossbar (0 to skip)")
    ap.add_argument("--out", default=None,
                    help="output folder (default out/, out-smoke/ with --smoke)")
    ap.add_argument("--smoke", action="store_true", help="small run for CI (32 x 32)")
    args = ap.parse_args(argv)
    if args.out is None:  # a smoke run never writes over the full run's output
        args.out = str(HERE / ("out-smoke" if args.smoke else "out"))
    return args


def fixed_point_error_std(a, x, bits):
    """Std of (A_q x_q - A x) with A and x quantised to `bits` (symmetric, max-abs scaled)."""
    out = []
    for b in bits:
        levels = 2 ** (b - 1) - 1 if b > 1 else 1
        aq = np.rint(a / np.abs(a).max() * levels) / levels * np.abs(a).max()
        xm = np.abs(x).max(axis=0)
        xq = np.rint(x / xm * levels) / levels * xm
        out.append(np.std(aq @ xq - a @ x))
    return np.array(out)


def equivalent_bits(err_std, fp_std, bits=BITS):
    """Bits b at which the fixed-point error std equals `err_std` (log-linear interpolation)."""
    lf = np.log2(fp_std)[::-1]  # increasing with decreasing bits
    return float(np.interp(np.log2(err_std), lf, bits[::-1].astype(float)))


def run_variant(name, xb, a, x, times):
    """MVM errors (time, row, vector) of one crossbar, plus its name."""
    be = xb.backend
    exact = a @ x
    errs = []
    for t in times:
        y = be.to_numpy(xb.mvm(be.asarray(x), t=t))
        errs.append(np.asarray(y) - exact)
    return np.array(errs)


def experiments(args):
    n = 32 if args.smoke else args.size
    k = 16 if args.smoke else args.vectors
    rng = np.random.default_rng(args.seed)
    a = rng.standard_normal((n, n))
    x = rng.standard_normal((n, k))
    backend = pcm.get_backend(args.backend)
    variants = {}
    reports = {}
    # ADC full scale: 4 std of the normalised output sum_j (A_ij/max|A|)(x_j/max|x|)
    adc_range = 4.0 * np.std(a @ x) / (np.abs(a).max() * np.abs(x).max(axis=0).mean())
    for name, kw, method in [
        ("one_shot", {}, "statistical"),
        ("verify", {}, "verify"),
        ("verify_compensated", {"drift_compensation": True}, "verify"),
        ("verify_compensated_8bit_io", {"drift_compensation": True, "dac_bits": 8,
                                        "adc_bits": 8, "adc_range": adc_range},
         "verify"),
    ]:
        xb = Crossbar(n, n, seed=args.seed, backend=backend, **kw)
        reports[name] = xb.program(a, method=method, tolerance=0.02, max_iterations=10)
        variants[name] = run_variant(name, xb, a, x, TIMES)
    physical = None
    np_ = 16 if args.smoke else args.physical_size
    if np_ > 0:
        ap_, xp_ = a[:np_, :np_], x[:np_]
        xb = Crossbar(np_, np_, model="physical", seed=args.seed, backend=backend,
                      drift_compensation=True)
        reports["physical_verify_compensated"] = xb.program(ap_, method="verify",
                                                            tolerance=0.05, max_iterations=30)
        physical = (ap_, xp_, run_variant("physical", xb, ap_, xp_, TIMES))
    return a, x, variants, reports, physical, backend.name


def robust_std(e):
    """1.4826 x median absolute deviation: the std of the Gaussian bulk, blind to outliers."""
    e = np.ravel(e)
    return 1.4826 * np.median(np.abs(e - np.median(e)))


def summarise(a, x, variants, physical):
    """Per variant and time: (relative error std, equivalent bits, robust equivalent bits).

    The robust figure uses :func:`robust_std` in place of the std: it shows the precision of
    the bulk of the outputs when a few faulty or unconverged cells produce outliers.
    """
    fp = fixed_point_error_std(a, x, BITS)
    cases = {name: (a, x, errs, fp) for name, errs in variants.items()}
    if physical is not None:
        ap_, xp_, errs = physical
        cases["physical_verify_compensated"] = (ap_, xp_, errs,
                                                fixed_point_error_std(ap_, xp_, BITS))
    rows = {}
    for name, (aa, xx, errs, fpp) in cases.items():
        rows[name] = [(np.std(e) / np.std(aa @ xx), equivalent_bits(np.std(e), fpp),
                       equivalent_bits(robust_std(e), fpp)) for e in errs]
    return fp, rows


def to_dataset(a, x, variants, fp, rows, physical, args, backend_name):
    import xarray as xr

    names = list(variants)
    err = np.stack([variants[k] for k in names]).astype(np.float32)
    data = {
        "error": (("variant", "time", "row", "vector"), err,
                  {"units": "1", "long_name": "MVM error y_pcm - A x (A, x standard normal)"}),
        "fixed_point_error_std": (("bits",), fp, {"units": "1", "long_name":
                                  "std of the MVM error of an n-bit fixed-point A and x"}),
    }
    all_names = list(rows)
    data["relative_error_std"] = (("model_variant", "time"),
                                  np.array([[r[0] for r in rows[k]] for k in all_names]),
                                  {"units": "1", "long_name": "std(error) / std(A x)"})
    data["equivalent_bits"] = (("model_variant", "time"),
                               np.array([[r[1] for r in rows[k]] for k in all_names]),
                               {"units": "bit", "long_name": "equivalent fixed-point precision"})
    data["equivalent_bits_robust"] = (("model_variant", "time"),
                                      np.array([[r[2] for r in rows[k]] for k in all_names]),
                                      {"units": "bit", "long_name": "equivalent fixed-point "
                                       "precision of the error bulk (1.4826 MAD for the std)"})
    if physical is not None:
        data["physical_error"] = (("time", "row_p", "vector"), physical[2].astype(np.float32),
                                  {"units": "1", "long_name": "MVM error, physical cells"})
    coords = {"variant": names, "model_variant": all_names,
              "time": ("time", np.array(TIMES), {"units": "s",
                                                  "long_name": "time after programming"}),
              "bits": ("bits", BITS, {"units": "bit"})}
    return xr.Dataset(data, coords=coords, attrs={
        "study": "mvm_precision", "matrix_size": a.shape[0], "vectors": x.shape[1],
        "seed": args.seed, "backend": backend_name, "pcmphys_version": pcm.__version__,
        "reference": "Sebastian et al., J. Appl. Phys. 124, 111101 (2018), Fig. 5b"})


def main(argv=None):
    args = parse(argv)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    a, x, variants, reports, physical, backend_name = experiments(args)
    fp, rows = summarise(a, x, variants, physical)
    print(f"MVM precision: {a.shape[0]}x{a.shape[1]} Gaussian matrix, {x.shape[1]} Gaussian "
          f"vectors, backend '{backend_name}', {time.perf_counter() - t0:.1f} s")
    for name, rep in reports.items():
        print(f"  programming {name}: {rep.iterations} iterations, converged "
              f"{rep.converged_fraction[-1] if rep.converged_fraction else float('nan'):.3f}")
    header = "  ".join(f"{t:>17g}" for t in TIMES)
    print("rel. err std / equivalent bits / robust (MAD) equivalent bits, at t [s] =")
    print(f"{'':<28} {header}")
    for name, r in rows.items():
        cells = "  ".join(f"{e * 100:5.1f}% {b:4.1f}b {br:4.1f}b" for e, b, br in r)
        print(f"{name:<28} {cells}")
    print("tutorial target: about 4 bits (Fig. 5b, 90 nm chip)")
    ds = to_dataset(a, x, variants, fp, rows, physical, args, backend_name)
    store = out / "mvm_precision.zarr"
    save_dataset(ds, store)
    sys.path.insert(0, str(HERE))
    from plot import plot_all  # noqa: E402  (local module of the study)
    figs = plot_all(ds, out)
    print(f"wrote {store} and {', '.join(str(f) for f in figs)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
