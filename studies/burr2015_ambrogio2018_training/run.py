"""Training fully-connected networks on simulated PCM: PCM pairs, 2T1C+PCM, mixed precision,
multi-PCM (Burr 2015; Ambrogio 2018; Nandakumar 2018; Boybat 2018; tutorial Figs. 9-10).

Every scheme of :mod:`pcmphys.computing.training` is trained on the same data with the same
initial weights, example order and learning rate as a float software baseline; first on
statistical (and ideal linear-symmetric control) cells, then on physical cells. Reported per
run: test accuracy vs epoch, accuracy after 1 h / 1 day / 1 month of drift with and without
global drift compensation, SET / RESET pulses and pulse energy per training example, examples/s;
summarised as mean +- standard error over seeds. Results are written after every run
(results.json, resumable: finished runs are skipped), then a zarr store and figures.

Usage: python studies/burr2015_ambrogio2018_training/run.py [--smoke] [--source auto|...]
       [--mnist-dir DIR] [--hidden 250] [--epochs 3] [--seeds 0,1,2] [--backend auto]
       [--physical-hidden 32 --physical-source digits ...] [--out folder]
"""
from __future__ import annotations

import argparse
import json
import math
import pathlib
import sys
import time

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent

#: run label -> (scheme, cells, options)
RUNS = {
    "software": ("software", None, {}),
    "pcm_pair/ideal": ("pcm_pair", "ideal", {}),
    "pcm_pair": ("pcm_pair", "cells", {}),
    "multi_pcm N=3": ("multi_pcm", "cells", {"n_devices": 3}),
    "multi_pcm N=7": ("multi_pcm", "cells", {"n_devices": 7}),
    "mixed_precision": ("mixed_precision", "cells", {}),
    "tic_pcm": ("tic_pcm", "cells", {}),
}
DRIFT_TIMES = (0.0, 3600.0, 86400.0, 30 * 86400.0)


def _ints(text):
    return [int(v) for v in text.split(",") if v]


def _labels(text):
    out = [v.strip() for v in text.split(";") if v.strip()]
    for v in out:
        if v not in RUNS:
            raise SystemExit(f"unknown run {v!r}; runs: {'; '.join(RUNS)}")
    return out


def parse(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--smoke", action="store_true", help="digits, small network, few examples")
    ap.add_argument("--source", default="auto",
                    help="auto | mnist-subset | mnist-idx | digits (statistical/software runs)")
    ap.add_argument("--mnist-dir", default=None, help="folder with the MNIST IDX files")
    ap.add_argument("--hidden", type=_ints, default=[250], help="hidden widths, e.g. 250,125")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--n-train", type=int, default=None, help="training images (default all)")
    ap.add_argument("--n-test", type=int, default=None, help="test images (default all)")
    ap.add_argument("--seeds", type=_ints, default=[0, 1, 2])
    ap.add_argument("--learning-rate", type=float, default=0.01)
    ap.add_argument("--runs", type=_labels, default=list(RUNS),
                    help="';'-separated run labels: " + "; ".join(RUNS))
    ap.add_argument("--statistical", choices=("on", "off"), default="on",
                    help="train the statistical-cell section (software, ideal and every scheme)")
    ap.add_argument("--physical", choices=("on", "off"), default="on",
                    help="also train every PCM scheme on physical cells")
    ap.add_argument("--physical-source", default="digits")
    ap.add_argument("--physical-hidden", type=_ints, default=[32])
    ap.add_argument("--physical-epochs", type=int, default=3)
    ap.add_argument("--physical-n-train", type=int, default=None)
    ap.add_argument("--physical-n-test", type=int, default=None)
    ap.add_argument("--physical-seeds", type=_ints, default=[0, 1, 2])
    ap.add_argument("--backend", default="auto", help="numpy | host | cupy | auto")
    ap.add_argument("--out", default=None,
                    help="output folder (default out/, out-smoke/ with --smoke)")
    args = ap.parse_args(argv)
    if args.out is None:
        args.out = str(HERE / ("out-smoke" if args.smoke else "out"))
    if args.smoke:
        args.source, args.hidden, args.epochs = "digits", [16], 2
        args.n_train, args.n_test, args.seeds = 150, 120, [0, 1]
        args.physical_source, args.physical_hidden, args.physical_epochs = "digits", [8], 1
        args.physical_n_train, args.physical_n_test, args.physical_seeds = 60, 60, [0]
        args.learning_rate = 0.03
        args.runs = [r for r in args.runs if r != "multi_pcm N=7"]
    return args


def _se(values):
    v = np.asarray(values, float)
    return float(v.std(ddof=1) / math.sqrt(len(v))) if len(v) > 1 else float("nan")


def train_one(label, cells, data, sizes, epochs, seed, backend, lr, calibrations,
              first_seed=0):
    """Train one network; returns the run's record (curves, drift table, counts, timing)."""
    from tqdm.auto import tqdm

    from pcmphys.computing.training import Network, calibrate_cells

    scheme, cell_kind, opts = RUNS[label]
    kind = None if cell_kind is None else ("ideal" if cell_kind == "ideal" else cells)
    t_setup = time.perf_counter()
    cal = None
    if kind is not None:
        key = (kind, seed)
        if key not in calibrations:
            calibrations[key] = calibrate_cells(kind, seed, backend)
        cal = calibrations[key]
    net = Network(sizes, scheme=scheme, cells=kind or "statistical", seed=seed, backend=backend,
                  learning_rate=lr, calibration=cal, **opts)
    setup = time.perf_counter() - t_setup
    n = len(data.y_train)
    curve, train_time = [net.accuracy(data.x_test, data.y_test)], 0.0
    with tqdm(total=epochs * n, desc=f"{label} [{kind or 'float'}] seed {seed}",
              leave=False, mininterval=2.0) as bar:
        for ep in range(epochs):
            t0 = time.perf_counter()
            net.train_epoch(data.x_train, data.y_train, ep, progress=bar)
            train_time += time.perf_counter() - t0
            curve.append(net.accuracy(data.x_test, data.y_test))
    net.finish()  # tic_pcm: the final transfer belongs to training
    counts = net.pulse_counts()
    hist = None
    if kind is not None and seed == first_seed:
        g = np.asarray(net.backend.to_numpy(net.layers[0].conductances())).reshape(2, -1)
        edges = np.linspace(0.0, max(float(g.max()), 1e-12), 81)
        hist = {"edges": edges.tolist(),
                "counts": [np.histogram(g[i], edges)[0].tolist() for i in range(2)]}
    drift = {}
    for t in DRIFT_TIMES:
        for comp in (False, True):
            net.set_time(t, comp)
            drift[f"{t:g}/{'comp' if comp else 'raw'}"] = net.accuracy(data.x_test, data.y_test)
    examples = epochs * n
    return {"label": label, "cells": kind or "float", "seed": seed, "sizes": list(sizes),
            "source": data.source, "n_train": n, "n_test": int(len(data.y_test)),
            "epochs": epochs, "curve": curve, "final": curve[-1], "drift": drift,
            "set_per_example": counts["set"] / examples,
            "maintenance_set_per_example": counts["maintenance_set"] / examples,
            "maintenance_reset_per_example": counts["maintenance_reset"] / examples,
            "energy_per_example": counts["energy"] / examples,
            "train_seconds": train_time, "setup_seconds": setup,
            "examples_per_second": examples / train_time if train_time > 0 else float("nan"),
            "backend": net.backend.name, "conductances": hist,
            "calibration": None if cal is None else {"g_reset": cal.g_reset, "step": cal.step,
                                                     "g_top": cal.g_top}}


def _key(rec_or_args):
    return "|".join(str(v) for v in rec_or_args)


def load_results(path):
    if path.is_file():
        return json.loads(path.read_text())
    return {}


def save_results(path, results):
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(results))
    tmp.replace(path)


def run_section(section, cells, data, sizes, epochs, seeds, args, results, path, calibrations):
    keys = []
    for label in args.runs:
        if cells == "physical" and RUNS[label][1] != "cells":
            continue
        for seed in seeds:
            key = _key((section, label, seed, sizes, data.source, len(data.y_train), epochs,
                        args.learning_rate))
            keys.append(key)
            if key in results:
                continue
            rec = train_one(label, cells, data, sizes, epochs, seed, args.backend,
                            args.learning_rate, calibrations, first_seed=seeds[0])
            rec["section"] = section
            results[key] = rec
            save_results(path, results)
            print(f"  {section:11s} {label:16s} seed {seed}: final {rec['final']:.4f}  "
                  f"1 day comp {rec['drift']['86400/comp']:.4f}  "
                  f"{rec['examples_per_second']:.1f} examples/s", flush=True)
    return keys


def table(records):
    """Rows (section, label, n, mean/se of final and drift accuracies, pulses, energy, ex/s)."""
    groups = {}
    for rec in records:
        groups.setdefault((rec["section"], rec["label"]), []).append(rec)
    rows = []
    for (section, label), recs in groups.items():
        row = {"section": section, "label": label, "n_seeds": len(recs),
               "source": recs[0]["source"], "sizes": recs[0]["sizes"]}
        for name, get in (("final", lambda r: r["final"]),
                          ("day_raw", lambda r: r["drift"]["86400/raw"]),
                          ("day_comp", lambda r: r["drift"]["86400/comp"]),
                          ("month_comp", lambda r: r["drift"]["2.592e+06/comp"]),
                          ("sets", lambda r: r["set_per_example"]),
                          ("maint", lambda r: r["maintenance_set_per_example"]
                           + r["maintenance_reset_per_example"]),
                          ("energy", lambda r: r["energy_per_example"]),
                          ("eps", lambda r: r["examples_per_second"])):
            v = [get(r) for r in recs]
            row[name], row[name + "_se"] = float(np.mean(v)), _se(v)
        rows.append(row)
    return rows


def print_table(rows):
    print(f"{'section':11s} {'run':16s} {'n':>2s} {'final acc %':>14s} {'1 d raw %':>14s} "
          f"{'1 d comp %':>14s} {'1 mo comp %':>14s} {'SET/ex':>8s} {'maint/ex':>8s} "
          f"{'pJ/ex':>9s} {'ex/s':>7s}")
    for r in rows:
        def f(k, r=r):
            se = r[k + "_se"]
            return f"{100 * r[k]:6.2f}+-{100 * se:5.2f}" if se == se else f"{100 * r[k]:6.2f}"
        print(f"{r['section']:11s} {r['label']:16s} {r['n_seeds']:2d} {f('final'):>14s} "
              f"{f('day_raw'):>14s} {f('day_comp'):>14s} {f('month_comp'):>14s} "
              f"{r['sets']:8.1f} {r['maint']:8.1f} {1e12 * r['energy']:9.1f} {r['eps']:7.1f}")


def write_store(records, path):
    """Curves and summaries as a zarr store (dims run, epoch, drift_time, compensation)."""
    import xarray as xr

    from pcmphys.storage import save_dataset

    names = [f"{r['section']}:{r['label']}:seed{r['seed']}" for r in records]
    n_ep = max(len(r["curve"]) for r in records)
    curves = np.full((len(records), n_ep), np.nan)
    drift = np.full((len(records), len(DRIFT_TIMES), 2), np.nan)
    for i, r in enumerate(records):
        curves[i, :len(r["curve"])] = r["curve"]
        for j, t in enumerate(DRIFT_TIMES):
            for k, c in enumerate(("raw", "comp")):
                drift[i, j, k] = r["drift"][f"{t:g}/{c}"]
    per = {k: ("run", np.array([r[k] for r in records], float)) for k in
           ("set_per_example", "maintenance_set_per_example", "maintenance_reset_per_example",
            "energy_per_example", "examples_per_second", "final")}
    ds = xr.Dataset(
        {"test_accuracy": (("run", "epoch"), curves, {"units": "1",
                                                       "long_name": "test accuracy"}),
         "drift_accuracy": (("run", "drift_time", "compensation"), drift,
                            {"units": "1", "long_name": "test accuracy after drift"}),
         **{k: (d, v, {"units": "J" if "energy" in k else "1", "long_name": k.replace("_", " ")})
            for k, (d, v) in per.items()}},
        coords={"run": names, "epoch": np.arange(n_ep), "drift_time": list(DRIFT_TIMES),
                "compensation": ["off", "on"],
                "section": ("run", [r["section"] for r in records]),
                "scheme": ("run", [r["label"] for r in records]),
                "cells": ("run", [r["cells"] for r in records]),
                "seed": ("run", [r["seed"] for r in records]),
                "source": ("run", [r["source"] for r in records])})
    ds["drift_time"].attrs["units"] = "s"
    ds.attrs["study"] = "burr2015_ambrogio2018_training"
    save_dataset(ds, path)


def main(argv=None):
    args = parse(sys.argv[1:] if argv is None else argv)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    from pcmphys.computing.datasets import load_images

    path = out / "results.json"
    results = load_results(path)
    calibrations = {}
    data = load_images(args.source, args.mnist_dir).subset(args.n_train, args.n_test)
    sizes = [data.x_train.shape[1], *args.hidden, data.n_classes]
    print(f"data: {data.describe()}; network {'-'.join(map(str, sizes))}", flush=True)
    keys = []
    if args.statistical == "on":
        keys += run_section("statistical", "statistical", data, sizes, args.epochs, args.seeds,
                            args, results, path, calibrations)
    if args.physical == "on":
        pdata = load_images(args.physical_source, args.mnist_dir).subset(
            args.physical_n_train, args.physical_n_test)
        psizes = [pdata.x_train.shape[1], *args.physical_hidden, pdata.n_classes]
        print(f"physical cells: {pdata.describe()}; network {'-'.join(map(str, psizes))}",
              flush=True)
        sw = dict(args.__dict__)
        keys += run_section("physical", "physical", pdata, psizes, args.physical_epochs,
                            args.physical_seeds, argparse.Namespace(**sw), results, path,
                            calibrations)
        # the software baseline and the ideal control on the physical run's data and size
        base = argparse.Namespace(**{**sw, "runs": [r for r in ("software", "pcm_pair/ideal")
                                                    if r in args.runs]})
        keys += run_section("physical", "statistical", pdata, psizes, args.physical_epochs,
                    args.physical_seeds, base, results, path, calibrations)
    records = [results[k] for k in keys]
    rows = table(records)
    print_table(rows)
    (out / "table.json").write_text(json.dumps(rows, indent=1))
    write_store(records, out / "training.zarr")
    import plot

    plot.make_figures(records, out)
    print(f"wrote {out / 'results.json'}, {out / 'training.zarr'}, figures in {out}")


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    main()
