"""Scaling of the physical model's run time with the number of cells and of pulses.

One population per size is RESET (440 uA, 1 us), receives ``P`` fused SET pulses (100 uA,
50 ns) and is read once. Printed per size: wall time [s] and device-pulse updates per second;
then, at the largest size, the time for 1, 4, 16, 64 fused pulses. A flat updates/s column
means time linear in cells (no per-cell overhead growth); the pulse sweep separates the fixed
launch/read cost from the per-pulse cost (slope).

Usage::

    python bench/bench_scaling.py [--backend host] [--max-devices N] [--pulses P] [--json PATH]
"""
from __future__ import annotations

import argparse
import datetime
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

import pcmphys as pcm  # noqa: E402


def run(params, backend, n, pulses):
    """Wall time [s] of RESET + ``pulses`` fused SET pulses + one read on ``n`` cells."""
    t0 = time.perf_counter()
    pop = pcm.Population(params, n, seed=1, backend=backend)
    pop.apply(pcm.Pulse.reset())
    pop.apply(pcm.Pulse.set(100e-6, 50e-9), repeat=pulses)
    pop.backend.to_numpy(pop.read()[:1])
    return time.perf_counter() - t0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backend", default="auto")
    ap.add_argument("--max-devices", type=int, default=None,
                    help="largest population (default 10**8 on cupy, 10**6 otherwise)")
    ap.add_argument("--pulses", type=int, default=10)
    ap.add_argument("--json", help="write the results to this JSON file")
    args = ap.parse_args(argv)
    backend = pcm.get_backend(args.backend)
    top = args.max_devices or (10 ** 8 if backend.name == "cupy" else 10 ** 6)
    if top < 1000 or args.pulses < 1:
        ap.error("--max-devices must be >= 1000 and --pulses >= 1")
    params = pcm.ParameterSet.load("sebastian2017_gst90nm")
    run(params, backend, 1000, 1)       # compile / load the kernels once
    sizes, n = [], 1000
    while n <= top:
        sizes.append(n)
        n *= 10
    print(f"physical model on {backend.name}: RESET + {args.pulses} fused SET pulses + 1 read")
    print(f"  {'cells':>11} {'time [s]':>10} {'updates/s':>11}")
    by_size = []
    for n in sizes:
        t = run(params, backend, n, args.pulses)
        by_size.append({"devices": n, "seconds": t, "updates_per_s": n * args.pulses / t})
        print(f"  {n:>11} {t:>10.3f} {n * args.pulses / t:>11.3e}")
    by_pulses = []
    print(f"  pulse sweep at {sizes[-1]} cells:")
    for p in (1, 4, 16, 64):
        t = run(params, backend, sizes[-1], p)
        by_pulses.append({"pulses": p, "seconds": t})
        print(f"  {p:>11} pulses {t:>10.3f} s")
    slope = (by_pulses[-1]["seconds"] - by_pulses[0]["seconds"]) / 63
    print(f"  per-pulse cost {slope / sizes[-1] * 1e9:.1f} ns/cell, fixed cost "
          f"{(by_pulses[0]['seconds'] - slope) / sizes[-1] * 1e9:.1f} ns/cell")
    if args.json:
        meta = {"date": datetime.date.today().isoformat(), "backend": backend.name,
                "pcmphys": pcm.__version__}
        Path(args.json).write_text(json.dumps(
            {"meta": meta, "by_size": by_size, "by_pulses": by_pulses}, indent=2))


if __name__ == "__main__":
    main()
