"""Statistical mode vs aihwkit's PCMLikeNoiseModel, measured side by side in one run.

Two workloads on ``--devices`` target conductances drawn uniformly in [0, 25] uS:

* ``program+drift+read``: programming noise, drift to t = 3600 s and read noise;
* ``20 time points``: programming, then one read at each of 20 times (1 s ... 10^6 s).

pcmphys runs the statistical mode on every backend that works here (numpy reference, host
kernels, cupy) in float64 and float32; the 20 reads use the fused ``read_times`` (the row
``.../per-call`` repeats ``read(t)`` 20 times instead, ``.../out=`` writes the fused result
into one reused array; compiled backends only). aihwkit (its
float32 torch model, the same formulas) runs when importable. Every variant is timed once per
round, rounds interleaved, for each thread count of ``--threads`` (OpenMP threads of the host
kernels and torch threads alike; numpy is single-threaded and timed only at the largest
count). Reported: median and minimum over the rounds, and the ratio median / aihwkit median
at the same thread count (> 1: pcmphys slower).

Without aihwkit the ratios use the aihwkit 1.2.0 timing recorded on the 2-core development
machine (float32, 2 threads, median of 5, 10^6 conductances), only at 10^6 devices.

With aihwkit, ``--check`` (default on) also compares the two models' distributions of
G(1 h) at g = 0.1, 0.5, 1 (mean, std and two-sample Kolmogorov-Smirnov p-value).

Usage: python bench/bench_vs_aihwkit.py [--devices N] [--repeats R] [--threads 1,2]
       [--backends numpy,host,cupy] [--json PATH] [--no-check]
"""
from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import json
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

import pcmphys as pcm  # noqa: E402
from pcmphys.statistical import StatisticalPopulation  # noqa: E402

WORKLOADS = ("program+drift+read", "20 time points")
#: aihwkit 1.2.0 built from source on the 2-core development machine: float32, 2 threads,
#: median of 5 runs, 10^6 conductances [ms] (range over sessions)
RECORDED_AIHWKIT_MS = {"program+drift+read": (18.8, 22.4), "20 time points": (180.0, 197.0)}
RECORDED_DEVICES = 10 ** 6
READ_TIME = 3600.0
TIMES = np.logspace(0.0, 6.0, 20)


def _set_omp_threads(k):
    """Set the OpenMP thread count of the host kernels (libgomp of the system compiler)."""
    name = ctypes.util.find_library("gomp") or "libgomp.so.1"
    try:
        ctypes.CDLL(name).omp_set_num_threads(int(k))
        return True
    except (OSError, AttributeError):
        return False


def pcmphys_variants(backend, dtype, targets):
    """name -> {workload: callable} for one backend and precision."""
    be = pcm.get_backend(backend)
    try:
        pop = StatisticalPopulation(targets.size, seed=1, backend=be, dtype=dtype)
    except TypeError:   # a pcmphys before the float32 option (for before/after tables)
        if dtype != "float64":
            return {}
        pop = StatisticalPopulation(targets.size, seed=1, backend=be)
    tgt = be.asarray(targets, dtype)
    sync = be.synchronize

    def one():
        pop.program(tgt)
        pop.read(READ_TIME)
        sync()

    def twenty():
        pop.program(tgt)
        pop.read_times(TIMES)
        sync()

    buffer = []

    def twenty_reused():   # the (20, n) result written into one reused array
        if not buffer:
            buffer.append(be.empty((TIMES.size, targets.size), dtype))
        pop.program(tgt)
        pop.read_times(TIMES, out=buffer[0])
        sync()

    def twenty_per_call():
        pop.program(tgt)
        for t in TIMES:
            pop.read(float(t))
        sync()

    tag = f"pcmphys/{backend}/{np.dtype(dtype).name}"
    if not hasattr(pop, "read_times"):   # before the fused read: per-call only
        return {tag: {"program+drift+read": one, "20 time points": twenty_per_call}}
    out = {tag: {"program+drift+read": one, "20 time points": twenty}}
    if be.compiled:
        out[f"{tag}/out="] = {"20 time points": twenty_reused}
        out[f"{tag}/per-call"] = {"20 time points": twenty_per_call}
    return out


def aihwkit_variants(targets):
    """The aihwkit workloads (ImportError when aihwkit or torch is missing)."""
    import torch
    from aihwkit.inference.noise.pcm import PCMLikeNoiseModel

    model = PCMLikeNoiseModel(g_max=25.0)
    g = torch.tensor(targets * 1e6, dtype=torch.float32)

    def run(times):
        gp = model.apply_programming_noise_to_conductance(g)
        nu = model.generate_drift_coefficients(g)
        for t in times:
            model.apply_drift_noise_to_conductance(gp, nu, float(t))

    return {"aihwkit/float32": {"program+drift+read": lambda: run([READ_TIME]),
                                "20 time points": lambda: run(TIMES)}}


def _time_rounds(variants, repeats):
    """Interleaved timing: every (variant, workload) once per round; ms lists."""
    for work in variants.values():          # warm-up (compiles, page faults)
        for f in work.values():
            f()
    times = {name: {w: [] for w in work} for name, work in variants.items()}
    for _ in range(repeats):
        for name, work in variants.items():
            for w, f in work.items():
                t0 = time.perf_counter()
                f()
                times[name][w].append((time.perf_counter() - t0) * 1e3)
    return times


def check_distributions(n=200_000):
    """Mean, std and KS p-value of G(1 h) / g_max from both models at three targets."""
    import torch
    from aihwkit.inference.noise.pcm import PCMLikeNoiseModel
    from scipy import stats

    model = PCMLikeNoiseModel(g_max=25.0)
    rows = []
    for g in (0.1, 0.5, 1.0):
        target = torch.full((n,), 25.0 * g, dtype=torch.float32)
        torch.manual_seed(int(g * 1000))
        ref = model.apply_drift_noise_to_conductance(
            model.apply_programming_noise_to_conductance(target),
            model.generate_drift_coefficients(target), READ_TIME).numpy() / 25.0
        for dtype in ("float64", "float32"):
            try:
                pop = StatisticalPopulation(n, seed=int(g * 1000), backend="auto", dtype=dtype)
            except TypeError:   # a pcmphys before the float32 option
                continue
            pop.program(np.full(n, 25e-6 * g))
            ours = np.asarray(pop.backend.to_numpy(pop.read(READ_TIME)), np.float64) / 25e-6
            rows.append({"g": g, "dtype": dtype, "aihwkit_mean": float(ref.mean()),
                         "pcmphys_mean": float(ours.mean()), "aihwkit_std": float(ref.std()),
                         "pcmphys_std": float(ours.std()),
                         "ks_p": float(stats.ks_2samp(ref, ours).pvalue)})
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--devices", type=int, default=10 ** 6)
    ap.add_argument("--repeats", type=int, default=7, help="interleaved rounds")
    ap.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    ap.add_argument("--json", type=Path, default=None, help="write the results here")
    ap.add_argument("--backends", default="numpy,host,cupy",
                    help="comma-separated pcmphys backends to time (those that work here)")
    ap.add_argument("--no-check", action="store_true", help="skip the distribution check")
    args = ap.parse_args(argv)
    threads = sorted(int(k) for k in args.threads.split(","))
    wanted = set(args.backends.split(","))
    targets = np.random.default_rng(0).uniform(0.0, 25e-6, args.devices)

    variants = {}
    for name, (ok, reason) in pcm.available_backends().items():
        if name not in wanted:
            continue
        if not ok:
            print(f"pcmphys backend {name}: skipped ({reason.splitlines()[0]})")
            continue
        for dtype in ("float64", "float32"):
            variants.update(pcmphys_variants(name, dtype, targets))
    try:
        variants.update(aihwkit_variants(targets))
        have_aihwkit = True
        import aihwkit
        import torch
        versions = {"aihwkit": aihwkit.__version__, "torch": torch.__version__}
    except ImportError:
        have_aihwkit, versions = False, {}

    results = {}
    for k in threads:
        omp_ok = _set_omp_threads(k)
        if have_aihwkit:
            torch.set_num_threads(k)
        if not omp_ok:
            print("could not set the OpenMP thread count (libgomp not found)")
        timed = {name: work for name, work in variants.items()
                 if k == threads[-1] or not name.startswith("pcmphys/numpy/")}
        results[k] = _time_rounds(timed, args.repeats)

    print(f"{args.devices} conductances, {args.repeats} interleaved rounds; "
          f"median (min) [ms]; ratio = median / aihwkit median at the same thread count")
    if have_aihwkit:
        print(f"aihwkit {versions['aihwkit']} (torch {versions['torch']}) measured in this run")
    elif args.devices == RECORDED_DEVICES:
        print("aihwkit is not importable here: ratios use its recorded timing "
              "(aihwkit 1.2.0, 2-core CPU, float32, 2 threads, mid-range of "
              f"{RECORDED_AIHWKIT_MS})")
    else:
        print(f"aihwkit is not importable here and its recorded timing is for "
              f"{RECORDED_DEVICES} conductances: no ratios at --devices {args.devices}")
    summary = {}
    for k, res in results.items():
        print(f"-- {k} thread(s)")
        for name, work in res.items():
            cells = []
            for w, ms in work.items():
                med, low = statistics.median(ms), min(ms)
                if have_aihwkit:
                    ref = statistics.median(res["aihwkit/float32"][w])
                elif args.devices == RECORDED_DEVICES and k == 2:
                    ref = sum(RECORDED_AIHWKIT_MS[w]) / 2
                else:
                    ref = None
                ratio = med / ref if ref else None
                summary.setdefault(str(k), {}).setdefault(name, {})[w] = {
                    "median_ms": med, "min_ms": low, "ratio_to_aihwkit": ratio}
                cells.append(f"{w}: {med:8.1f} ({low:7.1f})"
                             + (f" x{ratio:.2f}" if ratio is not None else ""))
            print(f"  {name:<30} " + "  ".join(cells))
    checks = None
    if have_aihwkit and not args.no_check:
        checks = check_distributions()
        print("distribution check, G(1 h)/g_max (200000 devices each):")
        for row in checks:
            print(f"  g={row['g']:.1f} {row['dtype']}: mean {row['pcmphys_mean']:.4f} vs "
                  f"{row['aihwkit_mean']:.4f}, std {row['pcmphys_std']:.4f} vs "
                  f"{row['aihwkit_std']:.4f}, KS p = {row['ks_p']:.3f}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({
            "devices": args.devices, "repeats": args.repeats, "threads": threads,
            "aihwkit_measured": have_aihwkit, "versions": versions, "results": summary,
            "raw_ms": {str(k): v for k, v in results.items()}, "distribution_check": checks,
            "recorded_aihwkit_ms": RECORDED_AIHWKIT_MS, "machine": platform.node(),
            "processor": platform.processor(), "date": time.strftime("%Y-%m-%d")}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
