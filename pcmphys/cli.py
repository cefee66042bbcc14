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


# ---------------------------------------------------------------- registry and entry point

#: name -> (setup(parser), run(args)); the first docstring line of run is the help text.
COMMANDS = {
    "info": (_setup_info, _run_info),
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
    return 0 if status is None else int(status)


if __name__ == "__main__":
    raise SystemExit(main())
