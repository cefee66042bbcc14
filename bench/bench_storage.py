"""Storage benchmark of results stores: write throughput and bytes on disk per cell-read.

Simulates ``--devices`` cells (default 10**6) through a RESET and ``--reads`` reads (default
20, log-spaced from 1 s to 1e5 s) in memory, once, with the fastest CPU backend; then, for each
encoding (default and compact), writes the recorded data to a fresh zarr store exactly as
simulate() does (template, one region write per chunk, complete flag) and reports

* write throughput [MB/s] of the computed data (float64: 8 bytes per value), template and
  complete flag included, best of ``--repeats``;
* bytes on disk per cell-read (all variables, coordinates and metadata included) and the
  compression ratio;
* read-back: loading a whole variable [MB/s] and one cell's trajectory [ms].

Usage::

    python bench/bench_storage.py [--devices N] [--reads R] [--record conductance,...]
                                  [--encodings default,compact] [--repeats K] [--json [PATH]]
"""
from __future__ import annotations

import argparse
import json
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import zarr

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

import pcmphys as pcm  # noqa: E402
from pcmphys.results import ResultsStore, open_results, provenance_attrs, record_variables  # noqa: E402
from pcmphys.simulate import Plan, _chunk_size  # noqa: E402
from pcmphys.storage import resolve_encoding  # noqa: E402


def _simulate(args):
    params = pcm.ParameterSet.load("sebastian2017_gst90nm")
    times = np.logspace(0, 5, args.reads)
    protocol = pcm.PulseTrain([pcm.Pulse.reset()] + [pcm.Read(at=float(t)) for t in times])
    start = time.perf_counter()
    ds = pcm.simulate(params, protocol, args.devices, seed=1, backend=args.backend,
                      record=args.record, progress=not args.json)
    return params, protocol, ds, time.perf_counter() - start


def _store_bytes(path):
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())


def _write(params, protocol, ds, encoding, path, chunk_devices):
    """Write ``ds`` as simulate() would (template + region writes + flag); seconds."""
    plan = Plan.build(protocol, record_variables(tuple(ds.data_vars)), ds.sizes["device"],
                      params)
    layout = plan.layout(chunk_devices)
    enc = resolve_encoding(encoding)
    attrs = provenance_attrs(params, protocol, 1, layout, ds.attrs["backend"], "bench", enc, 3)
    coords = {k: ds[k].values.tolist() for k in ds.coords if k != "device"}
    arrays = {k: np.asarray(v.values) for k, v in ds.data_vars.items()}
    if Path(path).exists():
        shutil.rmtree(path)
    start = time.perf_counter()
    store = ResultsStore.create(path, layout, coords, attrs, enc, 3, None)
    for index in range(layout.n_chunks):
        region = layout.chunk_slice(index)
        store.write_chunk(index, {k: v[region] for k, v in arrays.items()})
    store.finish()
    return time.perf_counter() - start, layout


def _read_back(path, variable):
    start = time.perf_counter()
    ds = open_results(path)
    values = ds[variable].values
    full = time.perf_counter() - start
    start = time.perf_counter()
    _ = ds[variable].isel(device=values.shape[0] // 2).values   # one cell's trajectory
    return values.nbytes / full / 1e6, (time.perf_counter() - start) * 1e3


def bench(args):
    params, protocol, ds, sim_seconds = _simulate(args)
    n_values = ds.sizes["device"] * ds.sizes["read"]
    raw = sum(ds[k].size * 8 for k in ds.data_vars)     # computed float64 values
    backend = pcm.get_backend(args.backend)
    plan = Plan.build(protocol, record_variables(args.record), args.devices, params)
    chunk = args.chunk_devices or _chunk_size(None, args.devices, plan, backend)
    rows = []
    with tempfile.TemporaryDirectory(dir=args.tmpdir) as tmp:
        for name in args.encodings:
            path = Path(tmp) / f"{name}.zarr"
            seconds = min(_write(params, protocol, ds, name, path, chunk)[0]
                          for _ in range(args.repeats))
            size = _store_bytes(path)
            read_mbps, trajectory_ms = _read_back(path, args.record[0])
            rows.append({"encoding": name, "write_seconds": seconds,
                         "write_MBps": raw / seconds / 1e6,
                         "bytes_on_disk": size, "bytes_per_cell_read": size / n_values,
                         "compression_ratio": raw / size, "read_MBps": read_mbps,
                         "trajectory_read_ms": trajectory_ms})
    return {"benchmark": "bench_storage", "devices": args.devices, "reads": args.reads,
            "record": list(args.record), "chunk_devices": chunk,
            "raw_bytes_float64": raw, "simulate_seconds": sim_seconds,
            "backend": ds.attrs["backend"], "machine": platform.machine(),
            "python": platform.python_version(), "pcmphys": pcm.__version__,
            "zarr": zarr.__version__, "results": rows}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=lambda s: int(float(s)), default=10 ** 6)
    parser.add_argument("--reads", type=int, default=20)
    parser.add_argument("--record", type=lambda s: tuple(s.split(",")),
                        default=("conductance",))
    parser.add_argument("--encodings", type=lambda s: tuple(s.split(",")),
                        default=("default", "compact"))
    parser.add_argument("--chunk-devices", type=int, default=None)
    parser.add_argument("--backend", default="auto")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--tmpdir", default=None, help="where the stores are written")
    parser.add_argument("--json", nargs="?", const="-", default=None, metavar="PATH",
                        help="write the results as JSON to PATH (no PATH: print JSON only)")
    args = parser.parse_args(argv)
    result = bench(args)
    if args.json == "-":
        print(json.dumps(result, indent=2))
        return 0
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    print(f"{args.devices} cells x {args.reads} reads of {', '.join(args.record)} "
          f"({result['raw_bytes_float64'] / 1e6:.0f} MB as float64), chunks of "
          f"{result['chunk_devices']} cells; simulated in {result['simulate_seconds']:.1f} s "
          f"({result['backend']})")
    print(f"{'encoding':<10}{'write MB/s':>12}{'B/cell-read':>13}{'ratio':>8}"
          f"{'read MB/s':>11}{'1-cell ms':>11}")
    for r in result["results"]:
        print(f"{r['encoding']:<10}{r['write_MBps']:>12.0f}{r['bytes_per_cell_read']:>13.2f}"
              f"{r['compression_ratio']:>8.2f}{r['read_MBps']:>11.0f}"
              f"{r['trajectory_read_ms']:>11.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
