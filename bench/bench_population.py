"""Throughput of the full physical model: device-pulse updates per second on each backend.

Every backend runs the same experiment: ``--devices`` cells are RESET (440 uA, 1 us), then
receive ``--pulses`` SET pulses (100 uA, 50 ns; the growth branch with its RK2 integration,
nucleation, relaxation and variability draws), then are read ``--reads`` times (conduction +
1/f noise). Reported, median of ``--repeats`` runs:

* SET pulses as one fused launch (``apply(..., repeat=P)``, state in registers) and as P
  separate launches, in device-pulse updates per second;
* reads in device-reads per second (a 1 s wait, then a read with conduction and 1/f noise),
  and the statistical mode's reads (drift + read noise) on the same backend and cells;
* the ratios host : numpy and cupy : numpy (each backend sized so a run takes ~0.1-1 s; rates
  are per device and per pulse, so the sizes need not match).

Usage::

    python bench/bench_population.py [--devices N] [--numpy-devices N] [--pulses P]
                                     [--reads R] [--repeats K] [--json PATH]
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

import numpy as np  # noqa: E402

import pcmphys as pcm  # noqa: E402
from pcmphys.statistical import StatisticalPopulation  # noqa: E402


#: floating-point operations of one 100 uA / 50 ns SET pulse of the host kernel, counted from
#: kernels/pcm_population.cu and pcm_physics.cuh (bench/README.md, "Host kernels: flops"):
#: 10 RK2 flat-top steps 2770, rise and fall ramps 1460, pulse end 390, preamble 280, growth
#: factor 40 (an FMA counts 2; Philox integer work not counted)
FLOPS_PER_SET_PULSE = 4940


def _sync(pop):
    """Wait for the backend to finish (cupy launches are asynchronous)."""
    pop.backend.to_numpy(pop.read(quantity="threshold_voltage")[:1])


def measure(params, backend, n, pulses, reads, repeats):
    """Rates [1/s] of one backend: fused and per-launch SET pulses, reads."""
    set_pulse = pcm.Pulse.set(current=100e-6, width=50e-9)
    fused, single, read, stat_read = [], [], [], []
    for r in range(repeats):
        pop = pcm.Population(params, n, seed=100 + r, backend=backend)
        pop.apply(pcm.Pulse.reset())
        _sync(pop)
        t0 = time.perf_counter()
        pop.apply(set_pulse, repeat=pulses)
        _sync(pop)
        fused.append(n * pulses / (time.perf_counter() - t0))
        pop = pcm.Population(params, n, seed=100 + r, backend=backend)
        pop.apply(pcm.Pulse.reset())
        _sync(pop)
        t0 = time.perf_counter()
        for _ in range(pulses):
            pop.apply(set_pulse)
        _sync(pop)
        single.append(n * pulses / (time.perf_counter() - t0))
        t0 = time.perf_counter()
        for _ in range(reads):
            pop.wait(1.0)
            g = pop.read()
        pop.backend.to_numpy(g[:1])
        read.append(n * reads / (time.perf_counter() - t0))
        # the statistical mode's read (drift + read noise, no temperature, no state) on the
        # same backend and cells, for the physical : statistical read-cost ratio
        sp = StatisticalPopulation(n, seed=100 + r, backend=backend)
        sp.program(backend.asarray(np.full(n, 10e-6)))
        t0 = time.perf_counter()
        for k in range(reads):
            g = sp.read(float(k + 1))
        backend.to_numpy(g[:1])
        stat_read.append(n * reads / (time.perf_counter() - t0))
    return {"devices": n, "pulses": pulses, "reads": reads,
            "fused_pulse_updates_per_s": statistics.median(fused),
            "per_launch_pulse_updates_per_s": statistics.median(single),
            "reads_per_s": statistics.median(read),
            "statistical_reads_per_s": statistics.median(stat_read)}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--devices", type=int, default=2 ** 18, help="cells on host/cupy")
    ap.add_argument("--numpy-devices", type=int, default=2 ** 14, help="cells on numpy")
    ap.add_argument("--cupy-devices", type=int, default=2 ** 24, help="cells on cupy")
    ap.add_argument("--pulses", type=int, default=10)
    ap.add_argument("--reads", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--backends", default="numpy,host,cupy",
                    help="comma-separated subset of numpy,host,cupy (ratios need numpy)")
    ap.add_argument("--json", help="write the results to this JSON file")
    args = ap.parse_args(argv)
    chosen = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = sorted(set(chosen) - {"numpy", "host", "cupy"})
    if unknown or not chosen:
        ap.error(f"--backends: unknown {unknown}; choose from numpy, host, cupy")
    for name in ("devices", "numpy_devices", "cupy_devices", "pulses", "reads", "repeats"):
        if getattr(args, name) < 1:
            ap.error(f"--{name.replace('_', '-')} must be >= 1")
    params = pcm.ParameterSet.load("sebastian2017_gst90nm")
    sizes = {"numpy": args.numpy_devices, "host": args.devices, "cupy": args.cupy_devices}
    results = {}
    for name, n in sizes.items():
        if name not in chosen:
            continue
        try:
            backend = pcm.get_backend(name)
        except pcm.BackendUnavailable as exc:
            print(f"  {name:<6} unavailable: {str(exc).splitlines()[0]}")
            continue
        results[name] = measure(params, backend, n, args.pulses, args.reads, args.repeats)
    base = results.get("numpy")
    print(f"full physical model, {args.pulses} SET pulses (100 uA, 50 ns) + {args.reads} reads, "
          f"median of {args.repeats}; {platform.machine()}, {os.cpu_count()} CPUs")
    print(f"  {'backend':<7} {'cells':>9} {'fused [upd/s]':>14} {'per-launch':>12} "
          f"{'reads [/s]':>12} {'fused vs numpy':>15} {'reads vs numpy':>15}")
    for name, r in results.items():
        ratios = ""
        if base is not None:
            ratio = r["fused_pulse_updates_per_s"] / base["fused_pulse_updates_per_s"]
            rratio = r["reads_per_s"] / base["reads_per_s"]
            r["fused_ratio_vs_numpy"], r["read_ratio_vs_numpy"] = ratio, rratio
            ratios = f" {ratio:>14.1f}x {rratio:>14.1f}x"
        print(f"  {name:<7} {r['devices']:>9} {r['fused_pulse_updates_per_s']:>14.3e} "
              f"{r['per_launch_pulse_updates_per_s']:>12.3e} {r['reads_per_s']:>12.3e}{ratios}")
    for name, r in results.items():
        if name != "numpy":
            r["set_pulse_gflops"] = r["fused_pulse_updates_per_s"] * FLOPS_PER_SET_PULSE * 1e-9
            print(f"  {name:<7} fused SET pulses: {r['set_pulse_gflops']:.1f} GFLOP/s "
                  f"({FLOPS_PER_SET_PULSE} flops per cell-pulse, counted from the kernel source)")
    print("  read path, physical (wait + conduction + 1/f octaves) vs statistical mode (drift + "
          "read noise), same backend and cells:")
    for name, r in results.items():
        r["physical_vs_statistical_read_cost"] = r["statistical_reads_per_s"] / r["reads_per_s"]
        print(f"  {name:<7} physical {r['reads_per_s']:.3e} /s, statistical "
              f"{r['statistical_reads_per_s']:.3e} /s: a physical read costs "
              f"{r['physical_vs_statistical_read_cost']:.0f}x a statistical one")
    if args.json:
        meta = {"date": datetime.date.today().isoformat(), "machine": platform.machine(),
                "cpus": os.cpu_count(), "pcmphys": pcm.__version__,
                "nvrtc_extra_options": os.environ.get("PCMPHYS_NVRTC_OPTIONS", "")}
        Path(args.json).write_text(json.dumps({"meta": meta, "results": results}, indent=2))
    return results


if __name__ == "__main__":
    main()
