"""Shared pieces of the backends: errors, the Backend interface, kernel-argument checks.

The host and cupy backends accept exactly the same kernel arguments (see
:meth:`KernelModule.launch`); the checks live here so that both backends reject the same
mistakes with the same messages.
"""

from __future__ import annotations

import ctypes
import functools
import re

import numpy as np

__all__ = [
    "Backend",
    "BackendUnavailable",
    "KernelCompileError",
    "KernelModule",
    "SCALAR_CTYPES",
    "struct_ctype",
]


class BackendUnavailable(RuntimeError):
    """An explicitly requested backend cannot be used here (the message says why and how to fix)."""


class KernelCompileError(RuntimeError):
    """A kernel source failed to compile; the message carries the compiler's output."""


#: NumPy scalar types accepted as kernel arguments, with their C (ctypes) twins.
SCALAR_CTYPES = {
    np.dtype(np.int32): ctypes.c_int32,
    np.dtype(np.uint32): ctypes.c_uint32,
    np.dtype(np.int64): ctypes.c_int64,
    np.dtype(np.uint64): ctypes.c_uint64,
    np.dtype(np.float32): ctypes.c_float,
    np.dtype(np.float64): ctypes.c_double,
    np.dtype(np.uint8): ctypes.c_uint8,
}

_ACCEPTED = "np.int32, np.uint32, np.int64, np.uint64, np.float32, np.float64, np.uint8"


class Backend:
    """Interface shared by the numpy, host and cupy backends.

    Attributes
    ----------
    name : str
        ``"numpy"``, ``"host"`` or ``"cupy"``.
    xp : module
        The array module (:mod:`numpy` or :mod:`cupy`).
    compiled : bool
        True when the backend runs the kernels of ``kernels/`` (host, cupy).
    """

    name = "?"
    compiled = False
    xp = np

    def asarray(self, a, dtype=None):
        """Return `a` as a C-contiguous backend array (no copy when it already is one)."""
        return self.xp.asarray(a, dtype=dtype, order="C")

    def to_numpy(self, a):
        """Return `a` as a :class:`numpy.ndarray` on the host.

        On the CPU backends this is the array itself (no copy); copy it before changing it.
        """
        return np.asarray(a)

    def zeros(self, shape, dtype):
        """Backend array of zeros, C order."""
        return self.xp.zeros(shape, dtype=dtype)

    def empty(self, shape, dtype):
        """Uninitialised backend array, C order."""
        return self.xp.empty(shape, dtype=dtype)

    def synchronize(self):
        """Wait until all queued work has finished (a no-op on the CPU backends)."""

    def module(self, name, *, directory=None):
        """Compile and load an entry ``.cu`` file; see the compiled backends."""
        raise NotImplementedError(
            f"backend {self.name!r} runs the NumPy reference and has no compiled kernels; "
            "use get_backend('host') or get_backend('cupy') to call kernels"
        )

    def __repr__(self):
        return f"<pcmphys backend {self.name!r}>"


class KernelModule:
    """One compiled entry ``.cu`` file; subclasses implement :meth:`_launch` and :meth:`_convert`.

    Parameters
    ----------
    backend : Backend
        The backend that compiled it.
    path : pathlib.Path
        The entry ``.cu`` file.
    source : str
        The source after include inlining (what was compiled).
    """

    array_type: type = np.ndarray

    def __init__(self, backend, path, source):
        self.backend = backend
        self.path = path
        self.source = source

    def kernel_names(self):
        """Names of the ``extern "C" __global__`` entry kernels declared in the source."""
        return re.findall(r'extern\s+"C"\s+__global__\s+void\s+(\w+)', self.source)

    def launch(self, kernel, n_items, *args):
        """Run `kernel` once over `n_items` cells.

        Parameters
        ----------
        kernel : str
            Name of an ``extern "C" __global__`` function of this module.
        n_items : int
            Number of cells the launch covers (the kernel loops with ``PCM_FOR_EACH``; the
            count the kernel uses is one of `args`). Nothing runs when it is 0.
        *args
            Kernel arguments, in order: backend arrays (C-contiguous; passed as pointers),
            ``None`` (NULL pointer), NumPy scalars of the types ``np.int32, np.uint32,
            np.int64, np.uint64, np.float32, np.float64, np.uint8`` (passed as that C type),
            or NumPy structured scalars (``np.void`` with fields; passed as a C struct by
            value, layout checked against the C rules -- build the dtype with
            ``align=True``). Python ints and floats are rejected: the C type must be explicit.
        """
        n_items = _check_count(n_items)
        kinds = [
            classify_argument(arg, i, kernel, self.array_type, self.backend.name)
            for i, arg in enumerate(args)
        ]
        if n_items == 0:
            return
        self._launch(kernel, n_items, kinds, args)

    def _launch(self, kernel, n_items, kinds, args):  # pragma: no cover - abstract
        """Convert the checked `args` (one kind each, see classify_argument) and run."""
        raise NotImplementedError

    def _missing_kernel(self, kernel):
        names = ", ".join(self.kernel_names()) or "none found"
        return AttributeError(
            f"kernel {kernel!r} not found in {self.path.name}; its entry kernels: {names}"
        )

    def __repr__(self):
        return f"<{self.backend.name} kernel module {self.path.name}>"


def _check_count(n_items):
    if isinstance(n_items, (bool, np.bool_)) or not isinstance(n_items, (int, np.integer)):
        raise TypeError(f"n_items must be an integer, got {type(n_items).__name__}")
    if n_items < 0:
        raise ValueError(f"n_items must be >= 0, got {n_items}")
    return int(n_items)


def classify_argument(arg, index, kernel, array_type, backend_name):
    """Check one kernel argument and say how it is passed.

    Returns
    -------
    str
        ``"array"``, ``"null"``, ``"scalar"`` or ``"struct"``.

    Raises
    ------
    TypeError
        For Python numbers, arrays of the wrong library, unsupported scalar types.
    ValueError
        For arrays that are not C-contiguous or not in native byte order, and for
        structured dtypes whose layout differs from C's.
    """
    where = f"argument {index} of kernel {kernel!r}"
    if arg is None:
        return "null"
    if isinstance(arg, array_type):
        if not arg.flags.c_contiguous:
            raise ValueError(
                f"{where} is not C-contiguous (shape {arg.shape}, strides {arg.strides}); "
                "kernels index arrays linearly: pass xp.ascontiguousarray(a)"
            )
        if not arg.dtype.isnative:
            raise ValueError(f"{where} has non-native byte order ({arg.dtype}); convert it first")
        return "array"
    if isinstance(arg, np.void) and arg.dtype.names:
        struct_ctype(arg.dtype)  # validates the layout; same rule on every backend
        return "struct"
    if isinstance(arg, np.generic):  # before the Python checks: np.float64 is a float
        if arg.dtype in SCALAR_CTYPES:
            return "scalar"
        raise TypeError(f"{where} is a NumPy {arg.dtype} scalar; kernels take {_ACCEPTED}")
    if isinstance(arg, (bool, int, float, complex)):
        raise TypeError(
            f"{where} is a Python {type(arg).__name__} ({arg!r}); pass an explicit NumPy scalar "
            f"type ({_ACCEPTED}) so that the C type is unambiguous"
        )
    if isinstance(arg, (np.ndarray,)) or hasattr(arg, "__cuda_array_interface__"):
        raise TypeError(
            f"{where} is a {type(arg).__module__}.{type(arg).__name__} but backend "
            f"{backend_name!r} needs {array_type.__module__}.{array_type.__name__} arrays; "
            "convert with backend.asarray(a)"
        )
    raise TypeError(
        f"{where} has unsupported type {type(arg).__module__}.{type(arg).__name__}; accepted: "
        f"backend arrays, None, NumPy scalars ({_ACCEPTED}), NumPy structured scalars"
    )


@functools.lru_cache(maxsize=None)
def struct_ctype(dtype):
    """ctypes Structure with the memory layout of a structured NumPy dtype.

    Parameters
    ----------
    dtype : numpy.dtype
        Structured dtype; fields of float64, float32, int32, uint32, int64, uint64, uint8,
        fixed-size sub-arrays of those, or nested structured dtypes.

    Returns
    -------
    type
        A :class:`ctypes.Structure` subclass whose size and field offsets equal the dtype's.

    Raises
    ------
    ValueError
        When a field type is unsupported or the layout differs from C's natural layout (the
        layout a C compiler, host or CUDA, gives the same struct). Build the dtype with
        ``np.dtype([...], align=True)`` and list fields in declaration order.
    """
    fields = []
    for name in dtype.names:
        field_dtype, _ = dtype.fields[name][:2]
        fields.append((name, _field_ctype(field_dtype, name)))
    cls = type(f"pcm_struct_{len(fields)}", (ctypes.Structure,), {"_fields_": fields})
    for name in dtype.names:
        offset = dtype.fields[name][1]
        c_offset = getattr(cls, name).offset
        if offset != c_offset:
            raise ValueError(
                f"structured dtype field {name!r} is at offset {offset} but a C struct puts it "
                f"at {c_offset}; build the dtype with align=True, fields in C declaration order"
            )
    if ctypes.sizeof(cls) != dtype.itemsize:
        raise ValueError(
            f"structured dtype has itemsize {dtype.itemsize} but the C struct has size "
            f"{ctypes.sizeof(cls)}; build the dtype with align=True"
        )
    return cls


def _field_ctype(field_dtype, name):
    if field_dtype.subdtype is not None:
        base, shape = field_dtype.subdtype
        ctype = _field_ctype(base, name)
        for extent in reversed(shape):
            ctype = ctype * extent
        return ctype
    if field_dtype.names:
        return struct_ctype(field_dtype)
    if field_dtype in SCALAR_CTYPES:
        return SCALAR_CTYPES[field_dtype]
    raise ValueError(
        f"structured dtype field {name!r} has unsupported type {field_dtype}; use float64, "
        "float32, int32, uint32, int64, uint64, uint8, sub-arrays of those, or nested structs"
    )
