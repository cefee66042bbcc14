"""Training throughput: examples per second of crossbar-network training on each backend.

Every backend trains the same network (``--sizes``, default 784-250-10 on random images in
[0, 1]) example by example with one scheme (``--scheme``, default pcm_pair) on statistical and
physical cells, after a warm-up; reported are examples/s per (cells, backend) and the ratios to
numpy, all measured in one run. The float software baseline is timed as a reference.
Backends that are not available are skipped with a note (cupy needs a GPU).

Usage::

    python bench/bench_training.py [--sizes 784,250,10] [--scheme pcm_pair]
                                   [--examples 20] [--cells statistical,physical]
                                   [--backends numpy,host,cupy] [--json PATH]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

import numpy as np  # noqa: E402


def rate(sizes, scheme, cells, backend, examples, warmup=2):
    from pcmphys.computing.training import Network

    net = Network(sizes, scheme=scheme, cells=cells, seed=1, backend=backend)
    x = (np.arange((examples + warmup) * sizes[0]).reshape(-1, sizes[0]) * 0.618) % 1.0
    y = np.arange(examples + warmup) % sizes[-1]
    for i in range(warmup):
        net.train_example(x[i], y[i])
    net.backend.synchronize()
    t0 = time.perf_counter()
    for i in range(warmup, warmup + examples):
        net.train_example(x[i], y[i])
    net.backend.synchronize()
    return examples / (time.perf_counter() - t0)


def main(argv=None):
    from pcmphys.backends import available_backends

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="784,250,10")
    ap.add_argument("--scheme", default="pcm_pair")
    ap.add_argument("--examples", type=int, default=20)
    ap.add_argument("--cells", default="statistical,physical")
    ap.add_argument("--backends", default="numpy,host,cupy")
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    sizes = [int(v) for v in args.sizes.split(",")]
    avail = available_backends()
    out = {"sizes": sizes, "scheme": args.scheme, "examples": args.examples, "rates": {}}
    print(f"network {'-'.join(map(str, sizes))}, scheme {args.scheme}, {args.examples} examples")
    out["rates"]["software/numpy"] = rate(sizes, "software", "statistical", "numpy",
                                          20 * args.examples)
    print(f"  software (float)   numpy: {out['rates']['software/numpy']:10.2f} examples/s")
    for cells in args.cells.split(","):
        base = None
        for be in args.backends.split(","):
            if not avail.get(be, (False,))[0]:
                print(f"  {cells:18s} {be}: not available here, skipped")
                continue
            r = rate(sizes, args.scheme, cells, be, args.examples)
            out["rates"][f"{cells}/{be}"] = r
            base = r if be == "numpy" else base
            ratio = f"  ({r / base:.2f} x numpy)" if base and be != "numpy" else ""
            print(f"  {cells:18s} {be}: {r:10.2f} examples/s{ratio}", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
