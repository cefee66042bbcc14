"""Throughput of the counter RNG: NumPy (pcmphys.rng.draw) vs the host-compiled kernel.

Draws 4 uint32 words for each of ``--devices`` devices (default 10**6) and reports millions of
uint32 words per second, the median of ``--repeats`` runs (best run in brackets):

* NumPy, processed in blocks of ``pcmphys.rng.BLOCK_DEVICES`` (16384) devices;
* NumPy whole-array (one block), for reference (``--no-whole`` skips it);
* the host backend's ``pcm_rng_fill`` kernel (kernels/rng_check.cu, raw words only; OpenMP
  threads as the backend compiled it), when the host backend is available; and the ratio.

Usage::

    python bench/bench_rng.py [--devices N] [--repeats R] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from pcmphys import rng  # noqa: E402

SEED = 0x5EED_0000_0000_0001
EVENT = 7


def _timed(func, repeats):
    """Run `func` 3 times to warm up, then `repeats` times; return (median s, best s)."""
    for _ in range(3):
        func()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times)


def _rate(words, seconds):
    return words / seconds / 1e6


def bench_numpy(n, repeats, block_devices=None):
    """M uint32/s of rng.draw over n devices (median, best); `block_devices` overrides the block."""
    device = np.arange(n, dtype=np.int64)
    saved = rng.BLOCK_DEVICES
    if block_devices is not None:
        rng.BLOCK_DEVICES = block_devices
    try:
        med, best = _timed(lambda: rng.draw(SEED, device, EVENT, rng.STREAM_READ), repeats)
    finally:
        rng.BLOCK_DEVICES = saved
    return _rate(4 * n, med), _rate(4 * n, best)


def bench_host(n, repeats):
    """M uint32/s of the host kernel (median, best) and a description, or (None, None, reason)."""
    try:
        from pcmphys.backends import available_backends, get_backend
    except ImportError as exc:
        return None, None, f"pcmphys.backends not importable: {exc}"
    ok, reason = available_backends()["host"]
    if not ok:
        return None, None, reason
    be = get_backend("host")
    mod = be.module("rng_check.cu")
    raw = be.empty(4 * n, np.uint32)
    args = (np.uint64(SEED), np.int64(0), np.uint32(EVENT), np.uint32(rng.STREAM_READ),
            np.uint32(0), np.int64(n), raw, None, None)
    med, best = _timed(lambda: mod.launch("pcm_rng_fill", n, *args), repeats)
    expected = np.stack(rng.draw(SEED, np.arange(min(n, 1000)), EVENT, rng.STREAM_READ), -1)
    if not np.array_equal(raw[: expected.size], expected.reshape(-1)):
        raise AssertionError("host kernel words differ from pcmphys.rng.draw")
    threads = os.environ.get("OMP_NUM_THREADS", str(os.cpu_count()))
    return _rate(4 * n, med), _rate(4 * n, best), f"{reason}; OMP threads: {threads}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=10**6, help="devices per draw")
    parser.add_argument("--repeats", type=int, default=15, help="timed runs (median reported)")
    parser.add_argument("--no-whole", action="store_true", help="skip the whole-array run")
    parser.add_argument("--json", type=Path, help="write the numbers to this JSON file")
    opts = parser.parse_args(argv)
    n, repeats = opts.devices, opts.repeats
    if n <= 0 or repeats <= 0:
        parser.error("--devices and --repeats must be positive")

    print(f"counter RNG throughput: {n} devices x 4 uint32 words, median of {repeats} runs "
          f"(best in brackets); {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} CPUs, NumPy {np.__version__}")
    np_med, np_best = bench_numpy(n, repeats)
    print(f"  numpy, {rng.BLOCK_DEVICES}-device blocks: {np_med:8.1f} M uint32/s "
          f"[{np_best:.1f}]")
    whole = (None, None)
    if not opts.no_whole:
        whole = bench_numpy(n, repeats, block_devices=n)
        print(f"  numpy, whole array:           {whole[0]:8.1f} M uint32/s [{whole[1]:.1f}]")
    host_med, host_best, host_info = bench_host(n, repeats)
    ratio = None
    if host_med is None:
        print(f"  host kernel: unavailable ({host_info})")
    else:
        ratio = host_med / np_med
        print(f"  host kernel (pcm_rng_fill):   {host_med:8.1f} M uint32/s [{host_best:.1f}]"
              f"  = {ratio:.2f} x numpy   ({host_info})")

    if opts.json is not None:
        record = {
            "benchmark": "rng_draw", "devices": n, "words": 4 * n, "repeats": repeats,
            "block_devices": rng.BLOCK_DEVICES,
            "numpy_muint32_per_s": np_med, "numpy_best_muint32_per_s": np_best,
            "numpy_whole_array_muint32_per_s": whole[0],
            "host_muint32_per_s": host_med, "host_best_muint32_per_s": host_best,
            "host_info": host_info, "ratio_host_over_numpy": ratio,
            "cpu_count": os.cpu_count(), "numpy_version": np.__version__,
            "python": platform.python_version(), "machine": platform.machine(),
        }
        opts.json.parent.mkdir(parents=True, exist_ok=True)
        opts.json.write_text(json.dumps(record, indent=2) + "\n")
        print(f"wrote {opts.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
