"""Temporal correlation detection with simulated PCM cells (Sebastian et al., Nat. Commun. 8,
1115 (2017); tutorial Fig. 7).

Usage: python studies/sebastian2017_correlation/run.py [--devices N] [--steps K] [--c C ...]
       [--backend B] [--seed S] [--out DIR] [--smoke]
"""
from __future__ import annotations

import argparse
import pathlib
import sys
import time

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
SMOKE = {"devices": 10_000, "steps": 2000}
#: fraction of correlated processes in the published run: 95,525 of 10^6
CORRELATED_FRACTION = 0.095525


def _bounded(name, kind, lo, hi, unit):
    """argparse type: a number of `kind` in [lo, hi], with an error naming parameter and unit."""
    def conv(text):
        try:
            v = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{name} must be {'an integer' if kind is int else 'a number'} in "
                f"[{lo:g}, {hi:g}] {unit}, got {text!r}") from None
        if not (np.isfinite(v) and lo <= v <= hi):
            raise argparse.ArgumentTypeError(
                f"{name} = {text} {unit} is outside the allowed range [{lo:g}, {hi:g}] {unit}")
        return v
    return conv


def parse(argv):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--devices", type=_bounded("--devices", int, 16, 2 ** 31 - 1, "cells"),
                    default=1_000_000, help="number of cells/processes N (default 10^6)")
    ap.add_argument("--steps", type=_bounded("--steps", int, 4, 10 ** 7, "steps"),
                    default=10_000, help="number of time steps K (default 10,000)")
    ap.add_argument("--c", type=_bounded("--c", float, 0.0, 1.0, "(correlation coefficient)"),
                    nargs="+", default=[0.1], help="correlation coefficient(s); several = sweep")
    ap.add_argument("--p", type=_bounded("--p", float, 1e-6, 0.5, "(probability per step)"),
                    default=0.01, help="firing probability per step (default 0.01)")
    ap.add_argument("--fraction", type=_bounded("--fraction", float, 1e-4, 0.9, "(of cells)"),
                    default=CORRELATED_FRACTION, help="correlated fraction (default 0.095525)")
    ap.add_argument("--step-period", type=_bounded("--step-period", float, 1e-7, 1e3, "s"),
                    default=1e-3, help="duration of one time step [s] (default 1 ms)")
    ap.add_argument("--gain-ua", type=_bounded("--gain-ua", float, 0.0, 1.0, "uA per process"),
                    default=0.002, help="rule gain at N = 10^6 [uA per process] (0.002)")
    ap.add_argument("--skip-ua", type=_bounded("--skip-ua", float, 0.0, 1000.0, "uA"),
                    default=25.0, help="no pulse below this current [uA] (25)")
    ap.add_argument("--max-ua", type=_bounded("--max-ua", float, 0.001, 1000.0, "uA"),
                    default=80.0, help="maximum SET current [uA] (80)")
    ap.add_argument("--image", default="camera",
                    help="skimage.data image drawn by the correlated cells (default camera)")
    ap.add_argument("--backend", default="auto", choices=("auto", "numpy", "host", "cupy"))
    ap.add_argument("--params", default="sebastian2017_gst90nm", help="parameter set")
    ap.add_argument("--seed", type=_bounded("--seed", int, 0, 2 ** 64 - 1, ""), default=2017)
    ap.add_argument("--out", default=None,
                    help="output folder (default out/, out-smoke/ with --smoke)")
    ap.add_argument("--workers", type=_bounded("--workers", int, 0, 4096, "processes"),
                    default=0, help="run the physical cells on a local dask cluster of this "
                    "many workers (0: in this process)")
    ap.add_argument("--scheduler", default=None,
                    help="address of a running dask scheduler (tcp://host:8786) instead")
    ap.add_argument("--chunk-devices", type=_bounded("--chunk-devices", int, 1, 2 ** 31 - 1,
                                                     "cells"),
                    default=2 ** 17, help="cells per dask task")
    ap.add_argument("--no-exact", action="store_true", help="skip the exact baseline")
    ap.add_argument("--no-plot", action="store_true", help="write the store only")
    ap.add_argument("--smoke", action="store_true",
                    help=f"small run for CI ({SMOKE['devices']} cells x {SMOKE['steps']} steps)")
    args = ap.parse_args(argv)
    if args.out is None:  # a smoke run never writes over the full run's output
        args.out = str(HERE / ("out-smoke" if args.smoke else "out"))
    if args.smoke:
        args.devices, args.steps = SMOKE["devices"], SMOKE["steps"]
    return args


def image_mask(n_devices, fraction, name="camera"):
    """Correlated set drawn by a picture: the darkest ``round(fraction * N)`` pixels.

    The image of ``skimage.data`` is resized to side x side, side = ceil(sqrt(N)); cells are the
    first N pixels in row-major order (all of them when N is a square).

    Returns
    -------
    (numpy.ndarray of bool (N,), int side)
    """
    from skimage import color, data, transform

    try:
        img = getattr(data, name)()
    except AttributeError:
        raise ValueError(f"--image {name!r} is not a skimage.data image (try camera, coins, "
                         "astronaut, moon)") from None
    img = np.asarray(img, float)
    if img.ndim == 3:
        img = color.rgb2gray(img[..., :3])
    side = int(np.ceil(np.sqrt(n_devices)))
    small = transform.resize(img, (side, side), anti_aliasing=True).reshape(-1)[:n_devices]
    n_c = int(round(fraction * n_devices))
    mask = np.zeros(n_devices, bool)
    mask[np.argsort(small, kind="stable")[:n_c]] = True
    return mask, side


def read_steps(n_steps):
    """Steps after which every cell is read: 0, the paper's snapshots, K, and a log grid."""
    from pcmphys.computing.correlation import PUBLISHED

    grid = np.unique(np.round(np.logspace(1, np.log10(n_steps), 12)).astype(int))
    snaps = [k for k in PUBLISHED["snapshot_steps"] if k < n_steps]
    return sorted(set([0, n_steps, *snaps, *grid.tolist()]))


def validation_lines(exp, phys, truth, n_steps):
    """Rows comparing the measured schedule with the published setup (``PUBLISHED``)."""
    prog = phys["current"] > 0
    drv = phys["driver"].astype(bool)
    raw_off = np.mean(phys["momentum"][~drv]) * exp["current_off"] / exp["momentum_off"]
    rows = [("current at X_r = 1, rule(E[M])", f"{exp['current_on'] * 1e6:.1f}",
             f"{np.mean(phys['current'][drv & prog]) * 1e6 if (drv & prog).any() else 0:.1f}",
             "uA"),
            ("current at X_r = 0, rule(E[M]) (raw)", f"{exp['current_off'] * 1e6:.1f}",
             f"{raw_off * 1e6:.1f}",
             "uA"),
            ("fraction of steps that program", f"{exp['program_fraction']:.4f}",
             f"{prog.mean():.4f}", "1"),
            ("mean SET pulses per correlated cell", f"{exp['correlated']:.2f}",
             f"{phys['pulses'][truth].mean():.2f}", "1"),
            ("mean SET pulses per uncorrelated cell", f"{exp['uncorrelated']:.3f}",
             f"{phys['pulses'][~truth].mean():.3f}", "1")]
    return rows


def run_one(params, truth, c, args, backend):
    """Physical run + exact baseline for one c; returns (phys, exact or None, exp, reports)."""
    from pcmphys.computing import correlation as co

    rule = co.LinearRule(gain=args.gain_ua * 1e-6, skip=args.skip_ua * 1e-6,
                         maximum=args.max_ua * 1e-6)
    proc = co.CorrelatedProcesses(truth, args.p, c, args.seed, backend)
    if args.client is not None:   # dask: M(k) from the chunks' partial sums, then the chunks
        phys = co.run_physical_distributed(params, truth, args.p, c, args.seed, args.steps,
                                           args.client, args.chunk_devices, backend.name,
                                           rule, read_steps(args.steps), args.step_period)
        M, t_m = phys["momentum"], phys["time_momentum"]
    else:
        t = time.perf_counter()
        M = proc.momentum(args.steps, progress=True)
        t_m = time.perf_counter() - t
        phys = co.run_physical(params, proc, args.steps, rule, read_steps(args.steps),
                               step_period=args.step_period, momentum=M, progress=True)
        phys["time_momentum"] = t_m
    exact = None if args.no_exact else co.run_exact(proc, args.steps, momentum=M, progress=True)
    if exact is not None:
        exact["time_momentum"] = t_m
    exp = co.expected_pulses(len(truth), int(truth.sum()), args.p, c, rule, args.steps)
    reports = {k: co.detection_report(g, truth, log=True) for k, g in phys["conductance"].items()
               if k > 0}
    return phys, exact, exp, reports


def print_results(c, phys, exact, exp, reports, truth, n_steps):
    from pcmphys.computing import correlation as co

    print(f"\n=== c = {c:g} ===")
    print(f"{'quantity':<40} {'expected':>10} {'measured':>10}  unit")
    for q, e, m, u in validation_lines(exp, phys, truth, n_steps):
        print(f"{q:<40} {e:>10} {m:>10}  {u}")
    print("detection by conductance (precision/recall: 2-means split; P@Nc: precision of the "
          "N_c highest G; err(best): oracle threshold; d': separation of log G)")
    print(f"{'after step k':>13} {'AUC':>7} {'precision':>9} {'recall':>7} {'P@Nc':>7} "
          f"{'err(best)':>9} {'d-prime':>8}")
    for k, r in sorted(reports.items()):
        print(f"{k:>13} {r['auc']:7.4f} {r['precision']:9.4f} {r['recall']:7.4f} "
              f"{r['precision_at_n']:7.4f} {r['error_best']:9.4f} {r['separation']:8.3f}")
    t_phys = phys["time_momentum"] + phys["time_programming"]
    print(f"physical run: momentum pass {phys['time_momentum']:.2f} s + programming "
          f"{phys['time_programming']:.2f} s = {t_phys:.2f} s")
    if exact is not None:
        ex = co.detection_report(exact["w"], truth)
        t_ex = exact["time_momentum"] + exact["time_covariance"]
        g = phys["conductance"][n_steps]
        from scipy import stats

        rho = stats.spearmanr(g, exact["w"]).statistic
        same = np.mean(_split(g) == _split(exact["w"]))
        print(f"exact baseline W_i = sum_k X_i M: AUC {ex['auc']:.4f}, precision "
              f"{ex['precision']:.4f}, recall {ex['recall']:.4f}, P@Nc "
              f"{ex['precision_at_n']:.4f}; time {t_ex:.2f} s "
              f"(momentum {exact['time_momentum']:.2f} s + covariance "
              f"{exact['time_covariance']:.2f} s)")
        print(f"time ratio exact / physical simulation = {t_ex / t_phys:.3f}; agreement: "
              f"same class for {same:.4f} of cells, Spearman rho(G, W) = {rho:.4f}, "
              f"AUC(G) - AUC(W) = {reports[n_steps]['auc'] - ex['auc']:+.4f}")
        exact["report"] = ex
        exact["agreement"] = float(same)
        exact["spearman"] = float(rho)


def _split(x):
    from pcmphys.computing.correlation import two_means_threshold

    x = np.asarray(x, float)
    return x > two_means_threshold(x)


def to_dataset(results, truth, side, args, backend_name, params):
    """xarray Dataset with units on every variable."""
    import xarray as xr

    import pcmphys as pcm

    cs = [r[0] for r in results]
    reads = sorted(results[0][1]["conductance"])
    K = args.steps
    data = {
        "correlated": (("device",), truth, {"units": "1", "long_name": "ground truth"}),
        "conductance": (("c", "read_step", "device"),
                        np.stack([np.stack([r[1]["conductance"][k] for k in reads])
                                  for r in results]).astype(np.float32),
                        {"units": "S", "long_name": "conductance read after step k"}),
        "set_pulses": (("c", "device"), np.stack([r[1]["pulses"] for r in results]),
                       {"units": "1", "long_name": "SET pulses received"}),
        "momentum": (("c", "step"), np.stack([r[1]["momentum"] for r in results]),
                     {"units": "1", "long_name": "collective momentum M(k)"}),
        "set_current": (("c", "step"), np.stack([r[1]["current"] for r in results]),
                        {"units": "A", "long_name": "SET current (0 = skipped)"}),
        "driver": (("c", "step"), np.stack([r[1]["driver"] for r in results]),
                   {"units": "1", "long_name": "hidden driver X_r(k)"}),
    }
    for key, unit in (("auc", "1"), ("precision", "1"), ("recall", "1"), ("precision_at_n", "1"),
                      ("error_best", "1"), ("separation", "1")):
        data[key] = (("c", "read_step"),
                     np.array([[r[4].get(k, {}).get(key, np.nan) for k in reads]
                               for r in results]), {"units": unit, "long_name": key})
    if not args.no_exact:
        data["covariance_row_sum"] = (("c", "device"),
                                      np.stack([r[2]["w"] / K for r in results]),
                                      {"units": "1", "long_name": "W_i / K = sum_j R_ij"})
        data["exact_auc"] = (("c",), [r[2]["report"]["auc"] for r in results],
                             {"units": "1", "long_name": "AUC of the exact baseline"})
    coords = {"c": ("c", cs, {"units": "1", "long_name": "correlation coefficient"}),
              "read_step": ("read_step", reads, {"units": "1"}),
              "step": ("step", np.arange(K), {"units": "1"})}
    return xr.Dataset(data, coords=coords, attrs={
        "study": "sebastian2017_correlation", "parameters": params.to_toml(),
        "seed": args.seed, "backend": backend_name, "p": args.p, "image": args.image,
        "image_side": side, "step_period_s": args.step_period, "gain_uA": args.gain_ua,
        "skip_uA": args.skip_ua, "max_uA": args.max_ua, "pcmphys_version": pcm.__version__,
        "reference": "Sebastian et al., Nat. Commun. 8, 1115 (2017)"})


def _dask_client(args):
    """(client, own local cluster or None) for --workers / --scheduler; (None, None) without."""
    if args.scheduler:
        from distributed import Client

        return Client(args.scheduler), None
    if args.workers:
        from pcmphys.distributed import local_client

        client = local_client(args.workers)
        print(f"dask: local cluster of {args.workers} workers, {args.chunk_devices} cells per "
              "task")
        return client, client.cluster
    return None, None


def main(argv=None):
    args = parse(argv)
    import pcmphys as pcm

    params = pcm.ParameterSet.load(args.params)
    backend = pcm.get_backend(args.backend)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    truth, side = image_mask(args.devices, args.fraction, args.image)
    print(f"correlation detection: N = {args.devices} cells ({truth.sum()} correlated, image "
          f"'{args.image}' {side}x{side}), K = {args.steps} steps, p = {args.p:g}, backend "
          f"'{backend.name}', seed {args.seed}")
    results = []
    args.client, cluster = _dask_client(args)
    try:
        for c in args.c:
            t = time.perf_counter()
            phys, exact, exp, reports = run_one(params, truth, c, args, backend)
            print_results(c, phys, exact, exp, reports, truth, args.steps)
            print(f"wall time for c = {c:g}: {time.perf_counter() - t:.1f} s")
            results.append((c, phys, exact, exp, reports))
    finally:
        if cluster is not None:
            args.client.close()
            cluster.close()
    ds = to_dataset(results, truth, side, args, backend.name, params)
    store = out / "sebastian2017_correlation.zarr"
    from pcmphys.storage import save_dataset

    save_dataset(ds, store)
    print(f"wrote {store}")
    if not args.no_plot:
        sys.path.insert(0, str(HERE))
        from plot import plot_all  # noqa: E402  (local module of the study)

        figs = plot_all(ds, out)
        print("figures: " + ", ".join(str(f) for f in figs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
