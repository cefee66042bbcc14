"""Command-line interface: ``pcmphys COMMAND [options]``.

Each command is a pair of functions registered in :data:`COMMANDS`: ``setup(parser)`` adds
its arguments to an :class:`argparse.ArgumentParser`, ``run(args)`` does the work and returns
an exit code (None means 0). To add a command, write the two functions and add one entry.

A ``run`` function reports bad user input by raising :class:`UsageError` (or
:class:`~pcmphys.backends.BackendUnavailable` for a backend that cannot run): :func:`main`
prints its message as one line on stderr and returns 2, without a traceback.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import pathlib
import platform
import shutil
import subprocess
import sys

from ._version import __version__

__all__ = ["COMMANDS", "UsageError", "build_parser", "main"]


class UsageError(Exception):
    """Bad command-line input; :func:`main` prints the message and exits with status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(f"{self.prog}: error: {message} (see {self.prog} --help)")


# ---------------------------------------------------------------- pcmphys info


def _setup_info(parser):
    """Add the arguments of ``pcmphys info`` (none)."""


def _run_info(args):
    """Show versions, backends, GPU, compilers and kernel paths."""
    for label, value in collect_info():
        print(f"{label:<13}{value}" if label else "")
    return 0


def collect_info():
    """The rows ``pcmphys info`` prints.

    Returns
    -------
    list of (str, str)
        ``(label, value)``; ``("", "")`` separates groups.
    """
    rows = [("pcmphys", __version__),
            ("python", f"{platform.python_version()} ({sys.executable})")]
    rows += [(name, _dist_version(*dists)) for name, dists in _LIBRARIES]
    rows += [("", "")] + _backend_rows() + _toolchain_rows()
    return rows


_LIBRARIES = (
    ("numpy", ("numpy",)),
    ("scipy", ("scipy",)),
    ("xarray", ("xarray",)),
    ("zarr", ("zarr",)),
    ("cupy", ("cupy-cuda13x", "cupy-cuda12x", "cupy-cuda11x", "cupy")),
)


def _dist_version(*distributions):
    for dist in distributions:
        try:
            version = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            continue
        return version if dist == distributions[-1] else f"{version} ({dist})"
    return "not installed"


def _backend_rows():
    from .backends import available_backends, get_backend

    status = available_backends()
    try:
        auto = get_backend("auto").name
    except Exception as exc:  # info must report, never crash
        auto = f"none ({exc})"
    rows = [("backends", f"auto -> {auto}")]
    for name, (ok, reason) in status.items():
        rows.append((f"  {name}", f"{'ok' if ok else 'unavailable'}: {reason}"))
    rows.append(("gpu", _gpu_description(status["cupy"])))
    return rows


def _gpu_description(cupy_status):
    ok, reason = cupy_status
    if not ok:
        return "none (cupy backend unavailable)"
    from .backends.cupy_backend import gpu_info

    try:
        gpu = gpu_info()
    except Exception as exc:
        return f"unknown ({type(exc).__name__}: {exc})"
    return (f"{gpu['name']} (device {gpu['device']}, compute capability "
            f"{gpu['compute_capability']}, {gpu['memory_bytes'] / 2**30:.1f} GiB, "
            f"{gpu['multiprocessors']} SMs)")


def _toolchain_rows():
    from .backends.host import compiler_version, find_compiler, host_cache_dir
    from .backends.source import kernel_dir

    command = find_compiler()
    if command is None:
        compiler = "not found (install g++ or set CXX)"
    else:
        version = compiler_version(command).splitlines()
        compiler = f"{' '.join(command)}: {version[0] if version else 'unknown version'}"
    try:
        kernels = str(kernel_dir())
    except FileNotFoundError as exc:
        kernels = f"missing ({exc})"
    return [("compiler", compiler), ("nvcc", _nvcc_description()),
            ("kernels", kernels), ("host cache", str(host_cache_dir()))]


def _nvcc_description():
    nvcc = shutil.which("nvcc")
    if nvcc is None:
        return "not found (only needed for the kernel compile tests)"
    try:
        proc = subprocess.run([nvcc, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"{nvcc}: failed to run ({exc})"
    release = [line for line in proc.stdout.splitlines() if "release" in line]
    return f"{nvcc}: {release[0].strip() if release else 'unknown version'}"

# ---------------------------------------------------------------- pcmphys simulate


def _count(text):
    """An integer argument that may be written 1000000, 1e6 or 1_000_000."""
    try:
        value = float(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not value.is_integer() or value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}")
    return int(value)


def _names(text):
    return tuple(n.strip() for n in text.split(",") if n.strip())


def _setup_simulate(parser):
    """Add the arguments of ``pcmphys simulate``."""
    parser.add_argument("protocol", help="protocol TOML file ([[step]] tables)")
    parser.add_argument("--devices", "-n", type=_count, required=True,
                        help="number of cells (e.g. 1e6)")
    parser.add_argument("--seed", "-s", type=_count, required=True, help="RNG seed")
    parser.add_argument("--out", "-o", required=True, help="zarr store to write (run.zarr)")
    parser.add_argument("--params", "-p", default=None,
                        help="parameter set name or TOML path (default: the protocol's "
                             "'parameters', else sebastian2017_gst90nm; see pcmphys params list)")
    parser.add_argument("--backend", default="auto", help="auto, numpy, host or cupy")
    parser.add_argument("--record", type=_names, default=("conductance",),
                        help="comma-separated quantities recorded at each read "
                             "(default conductance)")
    parser.add_argument("--record-steps", type=_names, default=(),
                        help="comma-separated quantities recorded after every pulse")
    parser.add_argument("--chunk-devices", type=_count, default=None,
                        help="cells simulated together (default: from a memory budget)")
    parser.add_argument("--encoding", default="default",
                        help="default (lossless) or compact (float32, 12 mantissa bits)")
    parser.add_argument("--zarr-format", type=int, choices=(2, 3), default=3)
    parser.add_argument("--resume", action="store_true",
                        help="continue an interrupted run in --out")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace a pcmphys store already at --out")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def _user_errors():
    from .parameters import ParameterError
    from .protocol import ProtocolError
    from .results import ResultsError

    return (ProtocolError, ParameterError, ResultsError, ValueError, TypeError, OSError)


def _parameter_set(name, protocol):
    from .parameters import ParameterSet, available_sets

    name = name or getattr(protocol, "parameters", None)
    if name is None:
        sets = available_sets()
        if DEFAULT_SET not in sets:
            raise UsageError("pcmphys simulate: name a parameter set with --params (available: "
                             f"{', '.join(sets)})")
        name = DEFAULT_SET
    return ParameterSet.load(name)


#: parameter set of ``pcmphys simulate`` when neither --params nor the protocol names one
DEFAULT_SET = "sebastian2017_gst90nm"


def _run_simulate(args):
    """Run a protocol TOML file on a population and write the results to a zarr store."""
    import time

    from .protocol import PulseTrain
    from .simulate import simulate

    try:
        protocol = PulseTrain.from_toml(pathlib.Path(args.protocol))
        params = _parameter_set(args.params, protocol)
        start = time.perf_counter()
        ds = simulate(params, protocol, args.devices, args.seed, backend=args.backend,
                      record=args.record, record_steps=args.record_steps, store=args.out,
                      chunk_devices=args.chunk_devices, progress=not args.no_progress,
                      resume=args.resume, overwrite=args.overwrite, encoding=args.encoding,
                      zarr_format=args.zarr_format)
    except _user_errors() as exc:
        message = str(exc).replace("overwrite=True", "--overwrite").replace(
            "resume=True", "--resume")
        raise UsageError(f"pcmphys simulate: {message}") from None
    elapsed = time.perf_counter() - start
    size = sum(f.stat().st_size for f in pathlib.Path(args.out).rglob("*") if f.is_file())
    dims = ", ".join(f"{k} {v}" for k, v in ds.sizes.items())
    print(f"wrote {args.out}: {dims}; variables {', '.join(map(str, ds.data_vars))}; "
          f"backend {ds.attrs['backend']}; {size / 1e6:.1f} MB on disk; {elapsed:.1f} s")
    return 0


# ---------------------------------------------------------------- pcmphys plot


def _setup_plot(parser):
    """Add the arguments of ``pcmphys plot``."""
    parser.add_argument("store", help="results store written by pcmphys simulate")
    parser.add_argument("--variable", "-v", default=None,
                        help="variable to plot (default resistance, else conductance, ...)")
    parser.add_argument("--devices", type=_count, default=20, help="trajectories to draw")
    parser.add_argument("--out", "-o", default=None,
                        help="image file (default: <store name>.png beside the store)")
    parser.add_argument("--allow-incomplete", action="store_true",
                        help="plot an interrupted run as far as it got")


def _run_plot(args):
    """Plot cell trajectories and distributions of a results store to an image file."""
    from .results import open_results

    try:
        # the plot reads every value of the variable anyway: check every chunk first
        ds = open_results(args.store, allow_incomplete=args.allow_incomplete, verify="full")
        out = pathlib.Path(args.out) if args.out else pathlib.Path(args.store).with_suffix(".png")
        _plot_figure(ds, args.variable, args.devices, out)
    except (KeyError, *_user_errors()) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        raise UsageError(f"pcmphys plot: {message}") from None
    print(f"wrote {out}")
    return 0


def _plot_figure(ds, variable, devices, out):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4), constrained_layout=True)
    ds.pcm.plot_trajectories(variable, devices=max(devices, 1), ax=left)
    ds.pcm.plot_distributions(variable, ax=right)
    fig.suptitle(f"{ds.attrs.get('title', '')} (seed {ds.attrs.get('seed')}, "
                 f"{ds.attrs.get('parameter_set_name', '')})", fontsize="medium")
    fig.savefig(out, dpi=120)
    plt.close(fig)


# ---------------------------------------------------------------- pcmphys fit


def _setup_fit(parser):
    """Add the arguments of ``pcmphys fit`` (defined in :mod:`pcmphys.fit.command`)."""
    from .fit.command import setup

    setup(parser)


def _run_fit(args):
    """Fit free parameters of a parameter set to measured data and write a TOML set."""
    from .fit.command import run

    return run(args)


# ---------------------------------------------------------------- pcmphys params


def _setup_params(parser):
    """Add the arguments of ``pcmphys params``."""
    parser.add_argument("action", choices=("list", "show"),
                        help="list: every named set and where it comes from; show NAME: its "
                             "values with evidence tags and references")
    parser.add_argument("name", nargs="?", help="set name or TOML path (for show)")
    parser.add_argument("--long", action="store_true",
                        help="show: every parameter with its range and description")
    parser.add_argument("--toml", action="store_true", help="show: print the set as TOML")


def _run_params(args):
    """List the parameter sets (shipped, installed, registered) or show one."""
    from .parameters import ParameterError, ParameterSet
    from .parameters.registry import registered_sets

    if args.action == "list":
        if args.name:
            raise UsageError("pcmphys params list: takes no NAME (use pcmphys params show NAME)")
        sets = registered_sets()
        width = max(len(n) for n in sets)
        for name, origin in sets.items():
            try:
                description = ParameterSet.load(name).description
            except (ParameterError, OSError) as exc:
                description = f"cannot be loaded: {exc}"
            print(f"{name:<{width}}  [{origin}]  {description}")
        return 0
    if not args.name:
        raise UsageError("pcmphys params show: name a set (see pcmphys params list)")
    try:
        ps = ParameterSet.load(args.name)
    except (ParameterError, OSError) as exc:
        raise UsageError(f"pcmphys params show: {exc}") from None
    print(ps.to_toml() if args.toml else ps.describe() if args.long else ps)
    return 0


# ---------------------------------------------------------------- pcmphys cite


def _setup_cite(parser):
    """Add the arguments of ``pcmphys cite``."""
    parser.add_argument("store", help="results store (or a parameter set name / TOML file)")
    parser.add_argument("--format", choices=("text", "bibtex"), default="text",
                        help="one line per reference (default) or the bibtex entries")


def _run_cite(args):
    """Print the references a run (or a parameter set) used."""
    from .accessor import citations

    try:
        print(citations(args.store, format=args.format), end="")
    except (KeyError, *_user_errors()) as exc:
        raise UsageError(f"pcmphys cite: {exc}") from None
    return 0


# ---------------------------------------------------------------- registry and entry point

# ---------------------------------------------------------------- pcmphys study


def studies_dir():
    """Folder of the study scripts: ``$PCMPHYS_STUDIES`` or ``<checkout>/studies``."""
    import os

    env = os.environ.get("PCMPHYS_STUDIES")
    return pathlib.Path(env) if env else pathlib.Path(__file__).resolve().parents[1] / "studies"


def available_studies():
    """name -> first line of the study's README (studies with a run.py)."""
    root = studies_dir()
    out = {}
    for run in sorted(root.glob("*/run.py")) if root.is_dir() else ():
        readme = run.parent / "README.md"
        title = readme.read_text(encoding="utf-8").splitlines()[0].lstrip("# ") \
            if readme.is_file() else ""
        out[run.parent.name] = title
    return out


def _setup_study(parser):
    """Add the arguments of ``pcmphys study``."""
    parser.add_argument("name", nargs="?", help="study folder name (omit to list the studies)")
    parser.add_argument("study_args", nargs=argparse.REMAINDER,
                        help="arguments passed to the study's run.py (e.g. --smoke)")


def _run_study(args):
    """Run a reproduced experiment (studies/NAME/run.py); without NAME, list them."""
    studies = available_studies()
    if not studies:
        raise UsageError(f"pcmphys study: no studies found in {studies_dir()} (they ship with "
                         "a source checkout; set PCMPHYS_STUDIES to their folder)")
    if args.name is None:
        w = max(len(n) for n in studies)
        for name, title in studies.items():
            print(f"{name:<{w}}  {title}")
        return 0
    if args.name not in studies:
        raise UsageError(f"pcmphys study: unknown study {args.name!r}; available: "
                         f"{', '.join(studies)}")
    script = studies_dir() / args.name / "run.py"
    return subprocess.call([sys.executable, str(script), *args.study_args])


# ---------------------------------------------------------------- pcmphys bench

#: benchmark name -> (script in bench/, extra arguments of a quick run)
BENCHES = {"rng": ("bench_rng.py", ["--devices", "200000"]),
           "population": ("bench_population.py", ["--repeats", "1"]),
           "storage": ("bench_storage.py", ["--devices", "100000", "--repeats", "1"]),
           "bandwidth": ("bench_bandwidth.py", ["--devices", "100000", "--repeats", "2"]),
           "scaling": ("bench_scaling.py", ["--max-devices", "100000", "--pulses", "4"]),
           "statistical": ("statistical_vs_published.py",
                           ["--devices", "200000", "--repeats", "1"]),
           "resources": ("kernel_resources.py", [])}
#: benchmarks that need a program on PATH (skipped with a note without it)
BENCH_NEEDS = {"resources": "nvcc"}


def _setup_bench(parser):
    """Add the arguments of ``pcmphys bench``."""
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help=f"benchmarks to run (default all): {', '.join(BENCHES)}")
    parser.add_argument("--out", default="bench-results", help="folder for the JSON results")
    parser.add_argument("--quick", action="store_true", help="small sizes (seconds each)")


def _run_bench(args):
    """Run the benchmark scripts of bench/ and write one JSON file per benchmark."""
    root = pathlib.Path(__file__).resolve().parents[1] / "bench"
    unknown = [n for n in args.names if n not in BENCHES]
    if unknown:
        raise UsageError(f"pcmphys bench: unknown benchmark {unknown[0]!r}; choose from "
                         f"{', '.join(BENCHES)}")
    if not root.is_dir():
        raise UsageError(f"pcmphys bench: {root} not found (benchmarks ship with a source "
                         "checkout)")
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    status = 0
    for name in args.names or list(BENCHES):
        script, quick = BENCHES[name]
        need = BENCH_NEEDS.get(name)
        if need and shutil.which(need) is None:
            print(f"skipped {name}: {need} not found on PATH")
            continue
        target = out / f"{name}.json"
        cmd = [sys.executable, str(root / script), "--json", str(target),
               *(quick if args.quick else [])]
        status = status or subprocess.call(cmd)
        print(f"wrote {target}")
    return status


#: name -> (setup(parser), run(args)); the first docstring line of run is the help text.
COMMANDS = {
    "info": (_setup_info, _run_info),
    "simulate": (_setup_simulate, _run_simulate),
    "plot": (_setup_plot, _run_plot),
    "study": (_setup_study, _run_study),
    "bench": (_setup_bench, _run_bench),
    "fit": (_setup_fit, _run_fit),
    "params": (_setup_params, _run_params),
    "cite": (_setup_cite, _run_cite),
}


def build_parser():
    """The argument parser with one sub-parser per entry of :data:`COMMANDS`."""
    parser = _Parser(prog="pcmphys", description="Physical Monte Carlo simulator of PCM cells.")
    parser.add_argument("--version", action="version", version=f"pcmphys {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (setup, run) in COMMANDS.items():
        summary = (run.__doc__ or "").strip().splitlines()[0] if run.__doc__ else None
        sub = commands.add_parser(name, help=summary, description=summary)
        setup(sub)
        sub.set_defaults(_run=run)
    return parser


def main(argv=None):
    """Run the command line `argv` (default ``sys.argv[1:]``) and return the exit status."""
    from .backends.base import BackendUnavailable

    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            raise UsageError(f"pcmphys: error: choose a command: {', '.join(COMMANDS)} "
                             "(see pcmphys --help)")
        status = args._run(args)
    except (UsageError, BackendUnavailable) as exc:
        print((str(exc) or type(exc).__name__).splitlines()[0], file=sys.stderr)
        return 2
    except SystemExit as exc:  # --help and --version
        return exc.code if isinstance(exc.code, int) else 0
    except KeyboardInterrupt:
        print("pcmphys: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # no traceback for the user: one line, the exception named
        return _unexpected(argv, exc)
    return 0 if status is None else int(status)


def _unexpected(argv, exc):
    """One line for an error no command turned into a message (PCMPHYS_TRACEBACK=1 shows
    the traceback instead)."""
    import os

    if os.environ.get("PCMPHYS_TRACEBACK"):
        raise exc
    argv = sys.argv[1:] if argv is None else list(argv)
    command = next((a for a in argv if a in COMMANDS), None)
    prefix = f"pcmphys {command}" if command else "pcmphys"
    if isinstance(exc, RecursionError):
        text = "an input is nested too deeply"
    elif isinstance(exc, MemoryError):
        text = "out of memory"
    else:
        text = (str(exc).splitlines() or [""])[0] or "(no message)"
    print(f"{prefix}: error: {type(exc).__name__}: {text} (set PCMPHYS_TRACEBACK=1 for the "
          "traceback)", file=sys.stderr)
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
