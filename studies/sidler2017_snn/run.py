"""Unsupervised digit learning with a spiking network on PCM synapses (Sidler et al.,
ICANN 2017, LNCS 10613, 281-288; the tutorial's Figs. 14-16).

50 leaky integrate-and-fire output neurons with winner-take-all and adaptive thresholds learn
28 x 28 digits without labels by the modified STDP rule; synapses are ideal floats (the
baseline), single PCM cells (SET potentiation, RESET depression) or differential LTP/LTD pairs
(SET on either cell, refresh on saturation), each with and without the complementary-pattern
encoding, on the statistical and the physical cell model. After training each neuron is
labelled with the class it answers most on labelled training images; the test accuracy is
the fraction of test images whose most active class is right.

Usage: python studies/sidler2017_snn/run.py [--smoke] [--seeds N] [--n-train N]
       [--n-physical N] [--cells float,statistical,physical] [--configs ...]
       [--source auto|mnist-idx|mnist-subset|digits] [--mnist-dir DIR] [--backend B] [--out DIR]
"""
from __future__ import annotations

import argparse
import json
import pathlib
import sys
import time

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import pcmphys as pcm  # noqa: E402
from pcmphys.computing import snn  # noqa: E402
from pcmphys.computing.datasets import load_images  # noqa: E402
from pcmphys.storage import save_dataset  # noqa: E402

#: network configurations: synapse type and encoding
CONFIGS = {
    "single": dict(pair=False, complementary=False),
    "single+comp": dict(pair=False, complementary=True),
    "pair": dict(pair=True, complementary=False),
    "pair+comp": dict(pair=True, complementary=True),
}
CELLS = ("float", "statistical", "physical")
#: published values. Sidler et al. 2017: the chapter's numbers could not be checked here (only
#: the abstract, which gives none, was found); the project holds 68.14 % without a source.
PUBLISHED = {
    "sidler2017": "not verified (abstract only; 68.14 % held unverified)",
    "diehl2015": "82.9 % (100 excitatory neurons, float synapses, full MNIST)",
}
#: threshold and threshold step of the plain encoding; the complementary encoding presents
#: about 6.6x more input spikes (inverted background), so both are scaled by COMP_SCALE
BASE = dict(threshold=10.0, theta_plus=5.0)
COMP_SCALE = 6.0
#: depression probabilities per synapse type (single: abrupt RESET; pair: one LTD SET pulse)
P_DEP = {"single": 0.2, "pair": 0.1}

SMOKE = dict(source="digits", n_train=100, n_physical=20, n_assign=150, n_test=120, seeds=2,
             checkpoints=1, n_outputs=12, steps=40, configs=("single", "pair+comp"))
FULL = dict(source="auto", n_train=1000, n_physical=200, n_assign=500, n_test=1000, seeds=3,
            checkpoints=3, n_outputs=50, steps=100, configs=tuple(CONFIGS))


def parse(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--smoke", action="store_true", help="small run for CI (8x8 digits)")
    ap.add_argument("--backend", default="auto", help="numpy | host | cupy | auto")
    ap.add_argument("--seeds", type=int, help="seeds per configuration (>= 3 for the table)")
    ap.add_argument("--seed", type=int, default=2017, help="first seed")
    ap.add_argument("--n-train", type=int, help="training images (float and statistical cells)")
    ap.add_argument("--n-physical", type=int, help="training images for physical cells")
    ap.add_argument("--n-assign", type=int, help="labelled training images for the assignment")
    ap.add_argument("--n-test", type=int, help="test images")
    ap.add_argument("--checkpoints", type=int, help="accuracy evaluations during training")
    ap.add_argument("--cells", default=",".join(CELLS), help="comma list of " + ", ".join(CELLS))
    ap.add_argument("--configs", help="comma list of " + ", ".join(CONFIGS))
    ap.add_argument("--source", help="auto | mnist-idx | mnist-subset | digits")
    ap.add_argument("--mnist-dir", help="folder with the MNIST IDX files (full 60k/10k)")
    ap.add_argument("--parameter-set", default="sebastian2017_gst90nm",
                    help="physical parameter set")
    ap.add_argument("--set-current", type=float, default=100e-6, help="SET current [A]")
    ap.add_argument("--pcm-neurons", action="store_true",
                    help="also train one all-PCM network (phase-change output neurons)")
    ap.add_argument("--table-from", nargs="+", metavar="DIR",
                    help="no training: merge the stores of earlier runs (e.g. one process per "
                         "cell model), print the table, write store and figures to --out")
    ap.add_argument("--out", default=None,
                    help="output folder (default out/, out-smoke/ with --smoke)")
    args = ap.parse_args(argv)
    if args.out is None:
        args.out = str(HERE / ("out-smoke" if args.smoke else "out"))
    cfg = dict(SMOKE if args.smoke else FULL)
    for k in ("n_train", "n_physical", "n_assign", "n_test", "seeds", "checkpoints", "source"):
        if getattr(args, k) is not None:
            cfg[k] = getattr(args, k)
    if args.mnist_dir:
        cfg["source"] = "mnist-idx"
    if args.configs:
        cfg["configs"] = tuple(args.configs.split(","))
    cfg["cells"] = tuple(args.cells.split(","))
    for c in cfg["configs"]:
        if c not in CONFIGS:
            ap.error(f"unknown configuration {c!r}; valid: {', '.join(CONFIGS)}")
    for c in cfg["cells"]:
        if c not in CELLS:
            ap.error(f"unknown cell model {c!r}; valid: {', '.join(CELLS)}")
    return args, cfg


def network_config(cfg, complementary):
    scale = COMP_SCALE if complementary else 1.0
    return snn.NetworkConfig(n_outputs=cfg["n_outputs"], steps=cfg["steps"],
                             complementary=complementary,
                             threshold=BASE["threshold"] * scale,
                             theta_plus=BASE["theta_plus"] * scale)


def make_synapses(cell, config_name, n_out, n_in, seed, backend, params, set_current):
    spec = CONFIGS[config_name]
    kind = "pair" if spec["pair"] else "single"
    if cell == "float":
        return snn.FloatSynapses(n_out, n_in, dw_pot=0.1, dw_dep=0.05, w_init=0.3, seed=seed)
    return snn.PCMSynapses(n_out, n_in, cell_model=cell, pair=spec["pair"],
                           depression="ltd" if spec["pair"] else "reset",
                           depression_probability=P_DEP[kind], seed=seed, backend=backend,
                           params=params if cell == "physical" else None,
                           set_current=set_current)


def evaluate(net, data, n_assign, n_test, xp):
    """Read the weights now, label the neurons on ``n_assign`` training images, test."""
    syn = net.synapses
    W = syn.read_all(net.time)
    ca = net.respond(data.x_train[:n_assign], weights=W, offset=0, xp=xp)
    asg = snn.assign_labels(ca, data.y_train[:n_assign], data.n_classes)
    ct = net.respond(data.x_test[:n_test], weights=W, offset=10 ** 7, xp=xp)
    pred = snn.predict(ct, asg, data.n_classes)
    return float(np.mean(pred == data.y_test[:n_test])), W, asg


def run_one(cell, config_name, seed, data, cfg, backend, params, set_current, n_train,
            progress=True, pcm_neurons=False):
    """Train and evaluate one network; returns a dict of results.

    ``pcm_neurons``: train with phase-change output neurons (physical cells); the evaluation
    reads the learned weights out with the LIF neurons."""
    from tqdm import tqdm

    spec = CONFIGS[config_name]
    ncfg = network_config(cfg, spec["complementary"])
    n_px = data.x_train.shape[1]
    n_in = n_px * (2 if spec["complementary"] else 1)
    t0 = time.perf_counter()
    syn = make_synapses(cell, config_name, ncfg.n_outputs, n_in, seed, backend, params,
                        set_current)
    neurons = (snn.PCMNeurons(ncfg.n_outputs, "physical", params=params, seed=seed,
                              backend=backend, set_current=set_current) if pcm_neurons else None)
    net = snn.SpikingNetwork(n_px, ncfg, syn, seed=seed, neurons=neurons)
    t_setup = time.perf_counter() - t0
    marks = sorted(set(np.unique(np.geomspace(max(n_train // 2 ** (cfg["checkpoints"] - 1), 1),
                                              n_train, cfg["checkpoints"]).astype(int))))
    xp = backend.xp
    curve, t_train = [], 0.0
    bar = tqdm(total=n_train, desc=f"{cell:11s} {config_name:11s} seed {seed}",
               disable=not progress, leave=False)
    for k in range(n_train):
        t1 = time.perf_counter()
        net.train_image(data.x_train[k % data.x_train.shape[0]])
        t_train += time.perf_counter() - t1
        bar.update(1)
        if k + 1 in marks:
            acc, W, asg = evaluate(net, data, cfg["n_assign"], cfg["n_test"], xp)
            curve.append((k + 1, acc))
    bar.close()
    pulses = syn.pulses if isinstance(syn.pulses, int) else sum(syn.pulses.values())
    return dict(cell=cell, config=config_name, seed=seed, accuracy=curve[-1][1], curve=curve,
                weights=W.astype(np.float32), assignment=asg, theta=net.theta.copy(),
                conductances=syn.conductances(net.time), images_per_s=n_train / t_train,
                train_s=t_train, setup_s=t_setup, pulses=pulses, n_train=n_train,
                no_spike=net.no_spike_images,
                refreshes=getattr(syn, "refreshes", 0), g_ref=getattr(syn, "g_ref", np.nan))


def summarise(results):
    """Mean, standard error and n of the final accuracy per (config, cell)."""
    table = {}
    for r in results:
        table.setdefault((r["config"], r["cell"]), []).append(r["accuracy"])
    out = {}
    for key, v in table.items():
        v = np.asarray(v)
        se = v.std(ddof=1) / np.sqrt(v.size) if v.size > 1 else np.nan
        out[key] = (v.mean(), se, v.size)
    return out


def print_table(summary, results, cfg, data):
    print(f"\ntest accuracy on {cfg['n_test']} {data.source} test images (labels from "
          f"{cfg['n_assign']} training images), mean +- se over seeds:")
    cells = [c for c in CELLS if any(k[1] == c for k in summary)]
    head = "   configuration  " + "".join(f"{c:>22s}" for c in cells)
    print(head + "   published (Sidler 2017)")
    for conf in CONFIGS:
        if not any(k[0] == conf for k in summary):
            continue
        row = f"   {conf:14s} "
        for c in cells:
            key = (conf, c)
            if c == "float":   # one float baseline per encoding
                key = ("single+comp" if "comp" in conf else "single", "float")
                key = key if key in summary else (conf, c)
            if key in summary:
                m, se, n = summary[key]
                ntr = next(r["n_train"] for r in results if (r["config"], r["cell"]) == key)
                row += f"   {100 * m:5.1f} +- {100 * se:4.1f} % ({n}x{ntr})"
            else:
                row += f"{'-':>22s}"
        print(row + f"   {PUBLISHED['sidler2017']}")
    print(f"   float reference, Diehl & Cook 2015: {PUBLISHED['diehl2015']}")


def to_dataset(results, cfg, args, data, backend_name):
    import xarray as xr

    keys = sorted({(r["config"], r["cell"]) for r in results})
    seeds = sorted({r["seed"] for r in results})
    n_ck = max(len(r["curve"]) for r in results)
    acc = np.full((len(keys), len(seeds)), np.nan)
    curve = np.full((len(keys), len(seeds), n_ck), np.nan)
    images = np.full((len(keys), n_ck), np.nan)
    ips = np.full((len(keys), len(seeds)), np.nan)
    n_px = data.x_train.shape[1]
    w = np.full((len(keys), cfg["n_outputs"], 2 * n_px), np.nan, np.float32)
    theta = np.full((len(keys), cfg["n_outputs"]), np.nan)
    bins = np.linspace(-0.5e-6, 15e-6, 63)
    hist = np.zeros((len(keys), 2, bins.size - 1))
    for r in results:
        i, s = keys.index((r["config"], r["cell"])), seeds.index(r["seed"])
        acc[i, s] = r["accuracy"]
        ips[i, s] = r["images_per_s"]
        for c, (n, a) in enumerate(r["curve"]):
            curve[i, s, c], images[i, c] = a, n
        if s == 0:
            w[i, :, :r["weights"].shape[1]] = r["weights"]
            theta[i] = r["theta"]
        for h, name in enumerate(("g", "g_minus") if "g" in r["conductances"]
                                 else ("g_plus", "g_minus")):
            g = r["conductances"].get(name)
            if g is not None and r["cell"] != "float":
                hist[i, h] += np.histogram(g, bins)[0]
    label = [f"{c}|{m}" for c, m in keys]
    ds = xr.Dataset({
        "accuracy": (("run", "seed"), acc, {"units": "1", "long_name": "test accuracy"}),
        "accuracy_curve": (("run", "seed", "checkpoint"), curve,
                           {"units": "1", "long_name": "test accuracy during training"}),
        "images_trained": (("run", "checkpoint"), images,
                           {"units": "images", "long_name": "training images at checkpoint"}),
        "images_per_s": (("run", "seed"), ips,
                         {"units": "1/s", "long_name": "training images per second"}),
        "weights": (("run", "neuron", "input"), w,
                    {"units": "1", "long_name": "final weights of the first seed"}),
        "theta": (("run", "neuron"), theta,
                  {"units": "weight units", "long_name": "trained thresholds of the first seed"}),
        "conductance_hist": (("run", "cell_role", "g_bin"), hist,
                             {"units": "cells", "long_name": "final read conductances "
                              "(single cell or G+, and G-) summed over seeds"}),
    }, coords={"run": ("run", label), "seed": ("seed", seeds),
               "g_bin": ("g_bin", 0.5 * (bins[1:] + bins[:-1]), {"units": "S"}),
               "cell_role": ("cell_role", ["g_or_g_plus", "g_minus"])},
        attrs={"study": "sidler2017_snn", "backend": backend_name, "source": data.source,
               "pcmphys_version": pcm.__version__, "config": json.dumps(
                   {k: (list(v) if isinstance(v, tuple) else v) for k, v in cfg.items()}),
               "published": json.dumps(PUBLISHED), "side": data.side,
               "complete": True})
    return ds


def _plot_all(ds, out):
    """This study's plot.plot_all (loaded by path: other studies have a plot module too)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("sidler2017_snn_plot", HERE / "plot.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.plot_all(ds, out)


def merge_stores(dirs, out):
    """Merge the stores of earlier runs along ``run``; print the table; write store, figures."""
    import xarray as xr

    parts = [xr.open_zarr(pathlib.Path(d) / "sidler2017_snn.zarr").load() for d in dirs]
    for d, p in zip(dirs, parts):
        if not bool(p.attrs.get("complete")):
            print(f"warning: the store in {d} is not complete (interrupted run)")
    ds = xr.concat(parts, dim="run", join="outer", combine_attrs="override")
    cfg = json.loads(ds.attrs["config"])
    results = []
    for i, run in enumerate(ds["run"].values):
        conf, cell = str(run).split("|")
        n = ds["images_trained"].values[i]
        for s, seed in enumerate(ds["seed"].values):
            a = ds["accuracy"].values[i, s]
            if np.isfinite(a):
                results.append(dict(config=conf, cell=cell, seed=int(seed), accuracy=float(a),
                                    n_train=int(np.nanmax(n))))

    class _Data:
        source = ds.attrs["source"]

    print_table(summarise(results), results, cfg, _Data)
    for i, run in enumerate(ds["run"].values):
        ips = ds["images_per_s"].values[i]
        print(f"   {str(run):24s} training {np.nanmean(ips):7.2f} images/s (mean over seeds)")
    out.mkdir(parents=True, exist_ok=True)
    save_dataset(ds, out / "sidler2017_snn.zarr")
    figs = _plot_all(ds, out)
    print(f"wrote {out / 'sidler2017_snn.zarr'}, {', '.join(str(p) for p in figs)}")
    return 0


def main(argv=None):
    args, cfg = parse(argv)
    if args.table_from:
        return merge_stores(args.table_from, pathlib.Path(args.out))
    backend = pcm.get_backend(args.backend)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    data = load_images(cfg["source"], mnist_dir=args.mnist_dir)
    params = pcm.ParameterSet.load(args.parameter_set)
    t_all = time.perf_counter()
    print(f"sidler2017_snn on backend '{backend.name}' ({'smoke' if args.smoke else 'full'}): "
          f"{data.source} {data.side}x{data.side}, {cfg['n_outputs']} output neurons, "
          f"{cfg['steps']} steps of 1 ms per image, {cfg['seeds']} seeds; training images: "
          f"{cfg['n_train']} (float, statistical), {cfg['n_physical']} (physical)")
    results = []
    for cell in cfg["cells"]:
        for conf in cfg["configs"]:
            if cell == "float" and CONFIGS[conf]["pair"]:
                continue   # one float baseline per encoding (float synapses have no pair)
            n_train = cfg["n_physical"] if cell == "physical" else cfg["n_train"]
            for s in range(cfg["seeds"]):
                r = run_one(cell, conf, args.seed + s, data, cfg, backend, params,
                            args.set_current, n_train)
                results.append(r)
                print(f"   {cell:11s} {conf:11s} seed {args.seed + s}: accuracy "
                      f"{100 * r['accuracy']:5.1f} % after {n_train} images; "
                      f"{r['images_per_s']:6.1f} images/s, {r['pulses']} pulses, "
                      f"{r['refreshes']} refreshed synapses, curve "
                      + " ".join(f"{n}:{100 * a:.0f}%" for n, a in r["curve"]), flush=True)
                ds = to_dataset(results, cfg, args, data, backend.name)
                ds.attrs["complete"] = False
                save_dataset(ds, out / "sidler2017_snn.zarr")   # nothing lost on interrupt
    if args.pcm_neurons:
        conf = cfg["configs"][0]
        r = run_one("physical", conf, args.seed, data, cfg, backend, params, args.set_current,
                    cfg["n_physical"], pcm_neurons=True)
        print(f"   all-PCM network (phase-change neurons, physical {conf} synapses), seed "
              f"{args.seed}: accuracy {100 * r['accuracy']:5.1f} % after {r['n_train']} images "
              f"(LIF read-out); {r['images_per_s']:.2f} images/s")
    summary = summarise(results)
    print_table(summary, results, cfg, data)
    ds = to_dataset(results, cfg, args, data, backend.name)
    save_dataset(ds, out / "sidler2017_snn.zarr")
    figs = _plot_all(ds, out)
    print(f"wrote {out / 'sidler2017_snn.zarr'}, {', '.join(str(p) for p in figs)} in "
          f"{time.perf_counter() - t_all:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
