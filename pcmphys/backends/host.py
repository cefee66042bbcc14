"""The host backend: the CUDA kernel sources compiled by the system C++ compiler.

``kernels/host_shim.h`` maps the CUDA qualifiers to plain C++ and ``PCM_FOR_EACH`` to an
OpenMP loop; the inlined entry source (see :mod:`pcmphys.backends.source`) is compiled into a
shared library, cached on disk by a hash of everything that affects the binary, and called
through :mod:`ctypes`.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import json
import os
import shlex
import shutil
import subprocess
import tempfile
from pathlib import Path

from .base import SCALAR_CTYPES, Backend, KernelCompileError, KernelModule, struct_ctype
from .source import entry_path, inline_source, kernel_dir

__all__ = ["HostBackend", "find_compiler", "compiler_version", "host_cache_dir", "probe"]

BASE_FLAGS = (
    "-x", "c++", "-std=c++17", "-O2", "-fPIC", "-shared",
    "-ffp-contract=off", "-fno-fast-math", "-fno-math-errno", "-Wno-unknown-pragmas",
)
OPENMP_FLAG = "-fopenmp"
_CANDIDATES = ("g++", "c++", "clang++")
_INSTALL_HINT = "install a C++ compiler (e.g. apt-get install g++) or set CXX"
_PROBE_SOURCE = """
extern "C" int pcm_probe(int n) {
    int s = 0;
    _Pragma("omp parallel for reduction(+:s)")
    for (int i = 0; i < n; ++i) s += i;
    return s + (int)std::floor(0.5);
}
"""


@functools.lru_cache(maxsize=None)
def find_compiler():
    """The C++ compiler command: ``$CXX`` (may hold arguments), else g++, c++, clang++.

    Returns
    -------
    tuple of str or None
        The command words, the first one an absolute path; None when none is found.
    """
    env = os.environ.get("CXX", "").strip()
    commands = [shlex.split(env)] if env else [[c] for c in _CANDIDATES]
    for words in commands:
        exe = shutil.which(words[0])
        if exe:
            return (exe, *words[1:])
    return None


@functools.lru_cache(maxsize=None)
def compiler_version(command):
    """Full ``--version`` output of `command` (part of the cache key); first line is the name."""
    proc = subprocess.run([*command, "--version"], capture_output=True, text=True, check=False)
    return (proc.stdout or proc.stderr).strip()


def host_cache_dir():
    """Directory of compiled host kernels.

    ``$PCMPHYS_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/pcmphys/host``, else
    ``~/.cache/pcmphys/host``. Falls back to a per-user temporary directory when that one
    cannot be created or written.
    """
    env = os.environ.get("PCMPHYS_CACHE_DIR")
    if env:
        path = Path(env).expanduser()
    else:
        xdg = os.environ.get("XDG_CACHE_HOME")
        path = (Path(xdg) if xdg else Path.home() / ".cache") / "pcmphys" / "host"
    try:
        path.mkdir(parents=True, exist_ok=True)
        if os.access(path, os.W_OK):
            return path
    except OSError:
        pass
    fallback = Path(tempfile.gettempdir()) / f"pcmphys-{os.getuid()}" / "host"
    fallback.mkdir(parents=True, exist_ok=True)
    return fallback


@functools.lru_cache(maxsize=None)
def probe():
    """Check the host toolchain once per process (successes are also cached on disk).

    Returns
    -------
    (bool, str, bool)
        Whether the backend works, a one-line description or reason, whether OpenMP works.
    """
    command = find_compiler()
    if command is None:
        cxx = os.environ.get("CXX", "").strip()
        looked = f"$CXX={cxx}" if cxx else ", ".join(_CANDIDATES)
        return False, f"no C++ compiler found (looked for {looked}); {_INSTALL_HINT}", False
    try:
        shim = kernel_dir() / "host_shim.h"
    except FileNotFoundError as exc:
        return False, str(exc), False
    version = compiler_version(command)
    name = f"{command[0]} ({version.splitlines()[0] if version else 'unknown version'})"
    key = _digest(_PROBE_SOURCE, shim.read_text(), " ".join(BASE_FLAGS), version, *command)
    marker = host_cache_dir() / f"probe-{key[:24]}.json"
    if marker.is_file():
        openmp = json.loads(marker.read_text())["openmp"]
        return True, _describe(name, openmp), openmp
    with tempfile.TemporaryDirectory(prefix="pcmphys-probe-") as tmp:
        ok, err = _probe_build(command, shim, Path(tmp), openmp=False)
        if not ok:
            return False, f"C++ compiler {name} failed a probe compile: {err}", False
        openmp, _ = _probe_build(command, shim, Path(tmp), openmp=True)
    _atomic_write(marker, json.dumps({"openmp": openmp}).encode())
    return True, _describe(name, openmp), openmp


def _describe(name, openmp):
    return f"{name}, {'OpenMP' if openmp else 'serial (no OpenMP)'}"


def _probe_build(command, shim, tmp, openmp):
    src = tmp / "probe.cpp"
    src.write_text(_PROBE_SOURCE)
    lib = tmp / f"probe{int(openmp)}.so"
    flags = [*BASE_FLAGS, *([OPENMP_FLAG] if openmp else [])]
    proc = subprocess.run(
        [*command, *flags, "-include", str(shim), "-o", str(lib), str(src)],
        capture_output=True, text=True, check=False,
    )
    if proc.returncode != 0:
        return False, (proc.stderr.strip().splitlines() or ["(no output)"])[0]
    try:
        ok = ctypes.CDLL(str(lib)).pcm_probe(100) == 4950
    except OSError as exc:
        return False, str(exc)
    return ok, "" if ok else "probe returned a wrong value"


def _digest(*parts):
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()


def _atomic_write(path, data):
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class HostBackend(Backend):
    """Kernels compiled by the system C++ compiler, NumPy arrays, OpenMP when available.

    Attributes
    ----------
    compile_count : int
        Compiler invocations made by this object (cache misses); for tests and diagnostics.
    """

    name = "host"
    compiled = True

    def __init__(self):
        self.compile_count = 0
        self._modules = {}

    def module(self, name, *, directory=None):
        """Compile (or load from cache) and return an entry ``.cu`` file.

        Parameters
        ----------
        name : str
            File name of the entry source, e.g. ``"pcm_population.cu"``.
        directory : path-like, optional
            Where `name` lives; default :func:`pcmphys.backends.kernel_dir`. Headers not next
            to it are taken from the kernel dir.

        Returns
        -------
        HostModule

        Raises
        ------
        KernelCompileError
            With the compiler's messages.
        """
        path = entry_path(name, directory)
        source = inline_source(path)
        key = (path, source)
        if key not in self._modules:
            self._modules[key] = HostModule(self, path, source, self._library(path, source))
        return self._modules[key]

    def _library(self, path, source):
        ok, reason, openmp = probe()
        if not ok:
            raise KernelCompileError(f"host backend unusable: {reason}")
        command = find_compiler()
        shim = kernel_dir() / "host_shim.h"
        flags = [*BASE_FLAGS, *([OPENMP_FLAG] if openmp else [])]
        key = _digest(source, shim.read_text(), " ".join(flags), compiler_version(command))
        cache = host_cache_dir()
        lib = cache / f"{path.stem}-{key[:32]}.so"
        if not lib.is_file():
            self._compile(command, flags, shim, source, cache, lib, path)
        return ctypes.CDLL(str(lib))

    def _compile(self, command, flags, shim, source, cache, lib, path):
        src = lib.with_suffix(".cu")
        _atomic_write(src, source.encode("utf-8"))
        fd, tmp = tempfile.mkstemp(dir=cache, prefix=f".{lib.stem}.", suffix=".so")
        os.close(fd)
        cmd = [*command, *flags, "-include", str(shim), "-o", tmp, str(src)]
        self.compile_count += 1
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if proc.returncode != 0:
                raise KernelCompileError(
                    f"compiling {path.name} for the host backend failed "
                    f"(exit {proc.returncode}): {shlex.join(cmd)}\n{proc.stderr.strip()}"
                )
            os.replace(tmp, lib)
        finally:
            Path(tmp).unlink(missing_ok=True)


class HostModule(KernelModule):
    """An entry ``.cu`` compiled into a shared library; see :meth:`KernelModule.launch`."""

    def __init__(self, backend, path, source, library):
        super().__init__(backend, path, source)
        self._lib = library
        self._functions = {}

    def _launch(self, kernel, n_items, kinds, args):
        argtypes, values = [], []
        for kind, arg in zip(kinds, args):
            if kind == "array":
                argtypes.append(ctypes.c_void_p)
                values.append(arg.ctypes.data)
            elif kind == "null":
                argtypes.append(ctypes.c_void_p)
                values.append(None)
            elif kind == "scalar":
                argtypes.append(SCALAR_CTYPES[arg.dtype])
                values.append(arg.item())
            else:
                cls = struct_ctype(arg.dtype)
                argtypes.append(cls)
                values.append(cls.from_buffer_copy(arg.tobytes()))
        self._function(kernel, tuple(argtypes))(*values)

    def _function(self, kernel, argtypes):
        key = (kernel, argtypes)
        if key not in self._functions:
            if not hasattr(self._lib, kernel):
                raise self._missing_kernel(kernel)
            prototype = ctypes.CFUNCTYPE(None, *argtypes)
            self._functions[key] = prototype((kernel, self._lib))
        return self._functions[key]
