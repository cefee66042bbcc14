"""Achieved memory bandwidth of the population kernels vs the device's peak.

For each kernel launch the bytes that must cross the memory bus are counted from the
arguments (every per-cell array read and/or written once: the state, the where/scale inputs,
the recorded outputs), and divided by the launch's wall time:

* ``wait``: ``pcm_wait`` (state read and written; the lightest kernel);
* ``pulse``: one SET pulse, ``pcm_apply_pulse`` without recording;
* ``pulse+record``: the same with the five per-cell pulse quantities written (what
  ``simulate(record_steps=...)`` does every step);
* ``read``: ``pcm_read`` (state read, one float64 written).

On cupy the peak is read from the device (memory clock x bus width x 2); on the host backend
only the achieved figure is printed (no peak is known). Times are medians of ``--repeats``
launches after a warm-up.

Usage::

    python bench/bench_bandwidth.py [--backend cupy|host] [--devices N] [--repeats R]
                                    [--json PATH]
"""
from __future__ import annotations

import argparse
import datetime
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

import pcmphys as pcm  # noqa: E402

#: bytes per cell of the state arrays (u_a f32, sigma f32, t_melt f64, t_prog f64,
#: cycles u32, fault u8)
STATE_BYTES = 4 + 4 + 8 + 8 + 4 + 1
#: bytes per cell touched by each benchmark: (read, written)
TRAFFIC = {
    "wait": (4 + 4 + 4 + 1, 4 + 4),
    "pulse": (STATE_BYTES, STATE_BYTES),
    "pulse+record": (STATE_BYTES, STATE_BYTES + 5 * 8),
    "read": (4 + 4 + 8 + 4 + 1, 8),
}


def peak_bandwidth(backend):
    """(peak [B/s], device name) of the cupy device, or (None, CPU description)."""
    if backend.name != "cupy":
        import platform

        return None, f"{platform.machine()} CPU"
    import cupy

    dev = cupy.cuda.Device()
    rt = cupy.cuda.runtime
    name = rt.getDeviceProperties(dev.id)["name"]
    name = name.decode() if isinstance(name, bytes) else str(name)
    try:   # cudaDevAttrMemoryClockRate = 36 [kHz], cudaDevAttrGlobalMemoryBusWidth = 37 [bit]
        clock_khz = rt.deviceGetAttribute(getattr(rt, "cudaDevAttrMemoryClockRate", 36), dev.id)
        bus_bits = rt.deviceGetAttribute(getattr(rt, "cudaDevAttrGlobalMemoryBusWidth", 37),
                                         dev.id)
    except Exception as exc:  # noqa: BLE001 - attribute missing in this CUDA version
        print(f"peak bandwidth not readable from the device: {exc}")
        return None, name
    if not clock_khz or not bus_bits:
        return None, name
    return 2.0 * clock_khz * 1e3 * bus_bits / 8.0, name


def _timed(pop, fn, repeats):
    fn()
    pop.backend.synchronize()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        pop.backend.synchronize()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def measure(backend, n, repeats):
    """Achieved bandwidth [B/s] of each benchmark on ``n`` cells."""
    params = pcm.ParameterSet.load("sebastian2017_gst90nm")
    pop = pcm.Population(params, n, seed=3, backend=backend)
    pop.apply(pcm.Pulse.reset())
    set_pulse = pcm.Pulse.set(100e-6, 50e-9)
    runs = {"wait": lambda: pop.wait(1e-3),
            "pulse": lambda: pop.apply(set_pulse),
            "pulse+record": lambda: pop.apply(set_pulse, diagnostics=True),
            "read": lambda: pop.read()}
    out = {}
    for name, fn in runs.items():
        seconds = _timed(pop, fn, repeats)
        moved = n * sum(TRAFFIC[name])
        out[name] = {"seconds": seconds, "bytes": moved, "bandwidth_Bps": moved / seconds,
                     "cells_per_s": n / seconds}
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backend", default="auto", help="cupy, host or auto")
    ap.add_argument("--devices", type=int, default=None,
                    help="cells (default 2**26 on cupy, 2**20 on host)")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--json", help="write the results to this JSON file")
    args = ap.parse_args(argv)
    backend = pcm.get_backend(args.backend)
    n = args.devices or (2 ** 26 if backend.name == "cupy" else 2 ** 20)
    if n < 1 or args.repeats < 1:
        ap.error("--devices and --repeats must be >= 1")
    peak, device = peak_bandwidth(backend)
    res = measure(backend, n, args.repeats)
    print(f"population kernels on {device} ({backend.name}), {n} cells, median of "
          f"{args.repeats}; peak {'unknown' if peak is None else f'{peak / 1e9:.0f} GB/s'}")
    print(f"  {'kernel':<13} {'B/cell':>7} {'time [ms]':>10} {'GB/s':>8} {'of peak':>8} "
          f"{'cells/s':>10}")
    for name, r in res.items():
        frac = "" if peak is None else f"{100 * r['bandwidth_Bps'] / peak:7.1f}%"
        r["fraction_of_peak"] = None if peak is None else r["bandwidth_Bps"] / peak
        print(f"  {name:<13} {sum(TRAFFIC[name]):>7} {r['seconds'] * 1e3:>10.3f} "
              f"{r['bandwidth_Bps'] / 1e9:>8.2f} {frac:>8} {r['cells_per_s']:>10.3e}")
    if args.json:
        meta = {"date": datetime.date.today().isoformat(), "device": device,
                "backend": backend.name, "peak_Bps": peak, "devices": n,
                "pcmphys": pcm.__version__}
        Path(args.json).write_text(json.dumps({"meta": meta, "results": res}, indent=2))
    return res


if __name__ == "__main__":
    main()
