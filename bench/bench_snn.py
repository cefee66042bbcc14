"""Cost of the spiking network on PCM synapses (pcmphys.computing.snn) per backend.

Measured in one run, for each available backend and each synapse kind (float; statistical and
physical cells, single cell and LTP/LTD pair, 50 x 784 synapses as in the sidler2017_snn
study):

* ``update``: one STDP event on one output neuron's row (SET pulses on the potentiated cells,
  depression pulses, read-back of the row), median of ``--repeats`` events [ms];
* ``images/s``: training throughput on the first ``--images`` images of the data set (Poisson
  encoding, LIF/WTA loop, STDP events, refreshes).

Ratios printed: each row against the float synapses on the same backend, and each backend
against numpy for the same synapses. The machine's load is not controlled: compare ratios
from one run, not absolute times from different runs.

Usage::

    python bench/bench_snn.py [--backends numpy,host,cupy] [--images N] [--repeats R]
                              [--source digits|mnist-subset|auto] [--json PATH]
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

import numpy as np  # noqa: E402

import pcmphys as pcm  # noqa: E402
from pcmphys.computing import snn  # noqa: E402
from pcmphys.computing.datasets import load_images  # noqa: E402

KINDS = (("float", False), ("statistical", False), ("statistical", True),
         ("physical", False), ("physical", True))


def make(kind, pair, n_out, n_in, backend):
    if kind == "float":
        return snn.FloatSynapses(n_out, n_in, seed=1)
    return snn.PCMSynapses(n_out, n_in, cell_model=kind, pair=pair,
                           depression="ltd" if pair else "reset",
                           depression_probability=0.1 if pair else 0.2, seed=1, backend=backend)


def bench_one(kind, pair, backend, data, images, repeats):
    n_in = data.x_train.shape[1]
    syn = make(kind, pair, 50, n_in, backend)
    gen = np.random.default_rng(0)
    times = []
    for r in range(repeats):
        pot = gen.random(n_in) < 0.1
        dep = gen.random(n_in) < 0.7
        t0 = time.perf_counter()
        syn.update(r % 50, pot, dep & ~pot, 1.0 + r)
        times.append(time.perf_counter() - t0)
    syn = make(kind, pair, 50, n_in, backend)
    net = snn.SpikingNetwork(n_in, snn.NetworkConfig(theta_plus=5.0), syn, seed=1)
    t0 = time.perf_counter()
    for k in range(images):
        net.train_image(data.x_train[k])
    dt = time.perf_counter() - t0
    return {"update_ms": 1e3 * statistics.median(times), "images_per_s": images / dt,
            "spikes_per_image": float(net.spike_counts.sum() / images)}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--backends", default="numpy,host,cupy")
    ap.add_argument("--images", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--source", default="auto")
    ap.add_argument("--json")
    args = ap.parse_args(argv)
    data = load_images(args.source)
    rows = []
    for name in args.backends.split(","):
        try:
            be = pcm.get_backend(name)
        except Exception as exc:  # an unavailable backend is reported, not fatal
            print(f"{name}: not available ({exc})")
            continue
        for kind, pair in KINDS:
            r = bench_one(kind, pair, be, data, args.images, args.repeats)
            r.update(backend=be.name, synapse=f"{kind}{' pair' if pair else ''}")
            rows.append(r)
            print(f"{be.name:6s} {r['synapse']:17s} update {r['update_ms']:8.2f} ms   "
                  f"{r['images_per_s']:8.2f} images/s  ({r['spikes_per_image']:.1f} output "
                  f"spikes/image)", flush=True)
    print("\nratios (same run):")
    for r in rows:
        base = next(q for q in rows if q["backend"] == r["backend"] and q["synapse"] == "float")
        ref = next((q for q in rows if q["backend"] == "numpy" and q["synapse"] == r["synapse"]),
                   None)
        vs_np = (f", {r['images_per_s'] / ref['images_per_s']:.2f}x numpy"
                 if ref is not None and r is not ref else "")
        print(f"  {r['backend']:6s} {r['synapse']:17s} images/s = "
              f"{r['images_per_s'] / base['images_per_s']:.3f} x float{vs_np}")
    if args.json:
        Path(args.json).write_text(json.dumps(
            {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(),
             "source": data.source, "images": args.images, "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
