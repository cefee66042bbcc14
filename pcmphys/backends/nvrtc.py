"""NVRTC without CuPy or a GPU: compile kernel sources to PTX through libnvrtc (ctypes).

The cupy backend compiles with NVRTC, which has no standard headers and its own implicit
declarations; this module lets CI and ``bench/kernel_resources.py`` run that same compiler on
a machine without a GPU (tests/kernels/test_nvrtc.py). libnvrtc is looked up in
``$PCMPHYS_NVRTC_LIB``, the ``nvidia-cuda-nvrtc`` wheel (``nvidia/cu13/lib``, or
``nvidia/cuda_nvrtc/lib`` for CUDA 12), the system library path, then ``/usr/local/cuda*``.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import glob
import importlib.util
import os

__all__ = ["find_libnvrtc", "NvrtcResult", "compile_ptx", "NvrtcUnavailable"]

#: virtual architecture and the flag CuPy adds, used with the cupy backend's own options
DEFAULT_ARCH = "compute_90"
CUPY_ADDED_OPTIONS = ("-ftz=true",)


class NvrtcUnavailable(RuntimeError):
    """libnvrtc was not found or could not be loaded."""


def find_libnvrtc():
    """Path of libnvrtc, or None (search order in the module docstring)."""
    env = os.environ.get("PCMPHYS_NVRTC_LIB")
    if env:
        return env
    candidates = []
    spec = importlib.util.find_spec("nvidia")
    for root in (spec.submodule_search_locations or []) if spec else []:
        candidates += sorted(glob.glob(os.path.join(root, "cu1*", "lib", "libnvrtc.so*")))
        candidates += sorted(glob.glob(os.path.join(root, "cuda_nvrtc", "lib", "libnvrtc.so*")))
    found = ctypes.util.find_library("nvrtc")
    if found:
        candidates.append(found)
    candidates += sorted(glob.glob("/usr/local/cuda*/lib64/libnvrtc.so*"))
    for path in candidates:
        if "builtins" not in os.path.basename(path):
            return path
    return None


@functools.lru_cache(maxsize=None)
def _library(path):
    # libnvrtc dlopens libnvrtc-builtins by soname at compile time; some wheels carry no
    # RPATH for it, so the one beside libnvrtc is loaded first (a loaded soname is reused)
    folder = os.path.dirname(os.path.abspath(path))
    try:
        for builtins in sorted(glob.glob(os.path.join(folder, "libnvrtc-builtins.so*"))):
            ctypes.CDLL(builtins, mode=ctypes.RTLD_GLOBAL)
        return ctypes.CDLL(path)
    except OSError as exc:
        raise NvrtcUnavailable(f"cannot load libnvrtc from {path}: {exc}") from exc


class NvrtcResult:
    """Outcome of one NVRTC compilation: ``ok``, ``code`` (nvrtcResult), ``log``, ``ptx``."""

    def __init__(self, code, log, ptx):
        self.code, self.log, self.ptx = code, log, ptx

    @property
    def ok(self):
        return self.code == 0


def compile_ptx(source, name="kernel.cu", options=(), library=None):
    """Compile CUDA C++ `source` with NVRTC.

    Parameters
    ----------
    source : str
        Self-contained source (headers inlined, as :func:`pcmphys.backends.source.inline_source`
        gives).
    name : str
        File name shown in the log.
    options : sequence of str
        NVRTC options, e.g. ``("-std=c++17", "--gpu-architecture=compute_90")``.
    library : str, optional
        Path of libnvrtc; default :func:`find_libnvrtc`.

    Returns
    -------
    NvrtcResult

    Raises
    ------
    NvrtcUnavailable
        When no libnvrtc is found or it cannot be loaded.
    """
    path = library or find_libnvrtc()
    if path is None:
        raise NvrtcUnavailable("libnvrtc not found: pip install nvidia-cuda-nvrtc (CUDA 13) or "
                               "set PCMPHYS_NVRTC_LIB")
    lib = _library(path)
    prog = ctypes.c_void_p()
    code = lib.nvrtcCreateProgram(ctypes.byref(prog), source.encode(), name.encode(), 0, None,
                                  None)
    if code != 0:
        return NvrtcResult(code, f"nvrtcCreateProgram returned {code}", "")
    try:
        opts = (ctypes.c_char_p * len(options))(*[o.encode() for o in options])
        code = lib.nvrtcCompileProgram(prog, len(options), opts)
        size = ctypes.c_size_t()
        lib.nvrtcGetProgramLogSize(prog, ctypes.byref(size))
        log = ctypes.create_string_buffer(max(size.value, 1))
        lib.nvrtcGetProgramLog(prog, log)
        ptx = ""
        if code == 0:
            lib.nvrtcGetPTXSize(prog, ctypes.byref(size))
            buf = ctypes.create_string_buffer(max(size.value, 1))
            lib.nvrtcGetPTX(prog, buf)
            ptx = buf.value.decode()
    finally:
        lib.nvrtcDestroyProgram(ctypes.byref(prog))
    return NvrtcResult(code, log.value.decode(errors="replace"), ptx)
