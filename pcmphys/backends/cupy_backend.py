"""The cupy backend: kernels compiled by NVRTC through :class:`cupy.RawModule`.

CuPy is imported lazily, only when this backend is asked for or probed.

Struct arguments: CuPy passes a size-one :class:`numpy.ndarray` by value, copying
``sizeof(param)`` bytes from its data pointer (CuPy user guide, "Custom user types"). NumPy
structured *scalars* go through CuPy's scalar path instead, which depending on the CuPy
version rejects them or only holds small ones, so :meth:`CupyModule._launch` turns each
structured scalar into a size-one array of the same dtype first.
"""

from __future__ import annotations

import functools
import os
import shlex

import numpy as np

from .base import Backend, KernelCompileError, KernelModule
from .source import entry_path, inline_source

__all__ = ["CupyBackend", "cupy_status", "gpu_info"]

THREADS_PER_BLOCK = 256
BLOCKS_PER_SM = 32
NVRTC_OPTIONS = ("-std=c++17",)
#: extra NVRTC options for kernel tuning experiments, e.g. "--maxrregcount=128"
#: (bench/README.md); part of the module cache key. Results stay within the parity tolerance.
NVRTC_OPTIONS_ENV = "PCMPHYS_NVRTC_OPTIONS"
INSTALL_HINT = 'pip install "pcmphys[cuda13]" (CUDA 13 driver) or "pcmphys[cuda12]"'


def nvrtc_options():
    """NVRTC options: :data:`NVRTC_OPTIONS` plus ``$PCMPHYS_NVRTC_OPTIONS`` (shell-split)."""
    return NVRTC_OPTIONS + tuple(shlex.split(os.environ.get(NVRTC_OPTIONS_ENV, "")))


@functools.lru_cache(maxsize=None)
def cupy_status():
    """Whether CuPy can run kernels here.

    Returns
    -------
    (bool, str)
        Availability and a one-line reason: CuPy not installed, CuPy present but the CUDA
        driver or runtime missing, no GPU device; or, when available, what was found.
    """
    try:
        import cupy
    except ModuleNotFoundError as exc:
        if exc.name == "cupy":
            return False, f"CuPy is not installed; {INSTALL_HINT}"
        return False, f"CuPy failed to import ({exc}); reinstall with {INSTALL_HINT}"
    except Exception as exc:  # CuPy raises assorted errors when CUDA libraries are missing
        return False, (
            f"CuPy is installed but failed to import ({type(exc).__name__}: {exc}); the CUDA "
            f"runtime may be missing: reinstall with {INSTALL_HINT}"
        )
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:
        message = f"{type(exc).__name__}: {exc}"
        if "NoDevice" in message or "no CUDA-capable device" in message:
            return False, f"no GPU device found ({message})"
        return False, (
            f"CUDA driver/runtime not usable ({message}); install an NVIDIA driver that "
            f"supports the CUDA version of your CuPy wheel ({INSTALL_HINT})"
        )
    if count == 0:
        return False, "no GPU device found (cudaGetDeviceCount() returned 0)"
    return True, f"CuPy {cupy.__version__}, {count} GPU(s)"


def gpu_info(device=None):
    """Name, compute capability and memory of a GPU (the current one by default).

    Returns
    -------
    dict
        ``name`` (str), ``compute_capability`` (str, e.g. ``"9.0"``), ``memory_bytes``
        (int), ``multiprocessors`` (int), ``device`` (int).
    """
    import cupy

    device = cupy.cuda.runtime.getDevice() if device is None else device
    props = cupy.cuda.runtime.getDeviceProperties(device)
    name = props["name"]
    return {
        "device": device,
        "name": name.decode() if isinstance(name, bytes) else str(name),
        "compute_capability": f"{props['major']}.{props['minor']}",
        "memory_bytes": int(props["totalGlobalMem"]),
        "multiprocessors": int(props["multiProcessorCount"]),
    }


class CupyBackend(Backend):
    """Kernels compiled by NVRTC via CuPy; arrays are :class:`cupy.ndarray`."""

    name = "cupy"
    compiled = True

    def __init__(self):
        import cupy

        self.xp = cupy
        self._modules = {}

    def to_numpy(self, a):
        """Copy `a` to the host as a :class:`numpy.ndarray` (NumPy input passes through)."""
        return self.xp.asnumpy(a)

    def synchronize(self):
        """Wait for all work queued on the current stream."""
        self.xp.cuda.get_current_stream().synchronize()

    def module(self, name, *, directory=None):
        """Compile (NVRTC, cached by CuPy) and return an entry ``.cu`` file.

        Parameters
        ----------
        name : str
            File name of the entry source, e.g. ``"pcm_population.cu"``.
        directory : path-like, optional
            Where `name` lives; default :func:`pcmphys.backends.kernel_dir`.

        Returns
        -------
        CupyModule

        Raises
        ------
        KernelCompileError
            With NVRTC's log.
        """
        path = entry_path(name, directory)
        source = inline_source(path)
        options = nvrtc_options()
        key = (path, source, options, self.xp.cuda.runtime.getDevice())
        if key not in self._modules:
            self._modules[key] = CupyModule(self, path, source, options)
        return self._modules[key]


class CupyModule(KernelModule):
    """An entry ``.cu`` compiled by NVRTC; see :meth:`KernelModule.launch`."""

    def __init__(self, backend, path, source, options=NVRTC_OPTIONS):
        super().__init__(backend, path, source)
        cupy = backend.xp
        self.array_type = cupy.ndarray
        self._raw = cupy.RawModule(code=source, options=tuple(options))
        try:
            self._raw.compile()
        except cupy.cuda.compiler.CompileException as exc:
            raise KernelCompileError(f"compiling {path.name} with NVRTC {' '.join(options)} "
                                     f"failed:\n{exc}") from exc
        sm_count = gpu_info()["multiprocessors"]
        self._max_blocks = BLOCKS_PER_SM * sm_count
        self._functions = {}

    def _launch(self, kernel, n_items, kinds, args):
        values = []
        for kind, arg in zip(kinds, args):
            if kind == "null":
                values.append(np.uint64(0))  # a NULL pointer: 8 zero bytes, any CuPy version
            elif kind == "struct":
                values.append(np.frombuffer(arg.tobytes(), dtype=arg.dtype))  # size one
            else:
                values.append(arg)
        blocks = min(-(-n_items // THREADS_PER_BLOCK), self._max_blocks)
        self._function(kernel)((blocks,), (THREADS_PER_BLOCK,), tuple(values))

    def _function(self, kernel):
        if kernel not in self._functions:
            try:
                self._functions[kernel] = self._raw.get_function(kernel)
            except Exception as exc:
                if kernel not in self.kernel_names():
                    raise self._missing_kernel(kernel) from exc
                raise
        return self._functions[kernel]
