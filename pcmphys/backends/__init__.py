"""Backends: where a population's arrays live and how its kernels run.

Three backends share one interface (:class:`~pcmphys.backends.base.Backend`):

``"numpy"``
    The NumPy reference; always available; no compiled kernels.
``"host"``
    The ``kernels/*.cu`` sources compiled by the system C++ compiler (OpenMP when it works),
    NumPy arrays, called through ctypes.
``"cupy"``
    The same sources compiled by NVRTC through CuPy; CuPy arrays on a GPU.

``"auto"`` picks cupy when a GPU answers, else host, else numpy; when it falls back to numpy
it says why once per process (a :class:`BackendFallbackWarning` naming the host backend's
reason, e.g. no C++ compiler), since the NumPy reference is much slower.

Examples
--------
>>> import numpy as np
>>> from pcmphys.backends import get_backend
>>> be = get_backend("auto")
>>> x = be.asarray(np.linspace(0.0, 1.0, 5))
>>> be.to_numpy(x * 2).tolist()
[0.0, 0.5, 1.0, 1.5, 2.0]

Compiled backends load an entry ``.cu`` file and launch its kernels over ``n`` cells, with
scalars as explicit NumPy types and parameter structs as NumPy structured scalars::

    mod = be.module("backend_selftest.cu")
    mod.launch("pcm_selftest", n, x, None, params, np.float32(0.1), np.int32(-5),
               np.uint32(3), np.uint64(7), np.uint8(1), out, None, np.int64(n))
"""

from __future__ import annotations

from .base import Backend, BackendUnavailable, KernelCompileError, KernelModule
from .selftest import selftest_reference
from .source import kernel_dir

__all__ = [
    "Backend",
    "BackendFallbackWarning",
    "BackendUnavailable",
    "KernelCompileError",
    "KernelModule",
    "NAMES",
    "available_backends",
    "get_backend",
    "kernel_dir",
    "selftest_reference",
]

#: Backend names in order of preference for ``"auto"`` (fastest first).
NAMES = ("cupy", "host", "numpy")

_BACKENDS = {}
_WARNED_FALLBACK = []


class BackendFallbackWarning(UserWarning):
    """``backend="auto"`` could not use a compiled backend and runs the NumPy reference."""


def _status(name):
    if name == "numpy":
        return True, "NumPy reference (always available)"
    if name == "host":
        from .host import probe

        ok, reason, _ = probe()
        return ok, reason
    from .cupy_backend import cupy_status

    return cupy_status()


def available_backends():
    """Which backends can run here.

    Returns
    -------
    dict
        ``name -> (ok, reason)`` for ``"numpy"``, ``"host"``, ``"cupy"``; `reason` says why
        not (with an install hint) or, when ok, what was found.
    """
    return {name: _status(name) for name in ("numpy", "host", "cupy")}


def get_backend(backend="auto"):
    """Return the backend object for a name (one object per name per process).

    Parameters
    ----------
    backend : {"auto", "numpy", "host", "cupy"} or Backend
        ``"auto"`` picks cupy when a GPU answers, else host, else numpy. A backend object
        is returned as it is.

    Returns
    -------
    Backend

    Raises
    ------
    BackendUnavailable
        When an explicitly named backend cannot run here; the message says why and how to
        install what is missing.
    ValueError
        For an unknown name.
    """
    if isinstance(backend, Backend):
        return backend
    if not isinstance(backend, str):
        raise TypeError(f"backend must be a name or a Backend, got {type(backend).__name__}")
    name = backend.strip().lower()
    if name == "auto":
        name = next(n for n in NAMES if _status(n)[0])
        if name == "numpy" and not _WARNED_FALLBACK:
            _WARNED_FALLBACK.append(True)
            import warnings

            warnings.warn(f"backend 'auto' runs the NumPy reference (slow): the host backend "
                          f"is unavailable: {_status('host')[1]}; pass backend='numpy' to "
                          "silence this", BackendFallbackWarning, stacklevel=2)
    elif name not in NAMES:
        raise ValueError(f"unknown backend {backend!r}; choose one of: auto, {', '.join(NAMES)}")
    if name not in _BACKENDS:
        ok, reason = _status(name)
        if not ok:
            raise BackendUnavailable(f"backend {name!r} is unavailable: {reason}")
        _BACKENDS[name] = _create(name)
    return _BACKENDS[name]


def _create(name):
    if name == "numpy":
        from .numpy_backend import NumpyBackend

        return NumpyBackend()
    if name == "host":
        from .host import HostBackend

        return HostBackend()
    from .cupy_backend import CupyBackend

    return CupyBackend()
