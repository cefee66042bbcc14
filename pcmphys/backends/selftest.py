"""Self-test of the kernel loaders: the NumPy twin of ``kernels/backend_selftest.cu``.

The kernel exercises every kind of launch argument (pointers, NULL, each scalar type, a
struct by value with a sub-array and a uint8 field) with arithmetic whose result shows if
any argument arrived wrong. :func:`run_selftest` runs it on a compiled backend.
"""

from __future__ import annotations

import numpy as np

__all__ = ["SELFTEST_PARAMS_DTYPE", "selftest_params", "selftest_reference", "run_selftest",
           "math_reference", "run_math_selftest"]

#: Layout of ``struct pcm_selftest_params`` in ``kernels/backend_selftest.cu`` (48 bytes).
SELFTEST_PARAMS_DTYPE = np.dtype(
    [
        ("a", np.float64),
        ("b", np.float32),
        ("c", np.int32),
        ("w", np.float64, (3,)),
        ("flag", np.uint8),
    ],
    align=True,
)


def selftest_params(a=1.5, b=0.25, c=-3, w=(0.5, -1.25, 2.0), flag=7):
    """A ``pcm_selftest_params`` value as a NumPy structured scalar."""
    p = np.zeros((), dtype=SELFTEST_PARAMS_DTYPE)
    p["a"], p["b"], p["c"], p["w"], p["flag"] = a, b, c, w, flag
    return p[()]


def selftest_reference(x, mask, params, scale, k, stride, offset, use_w):
    """Reference of the ``pcm_selftest`` kernel.

    Parameters
    ----------
    x : numpy.ndarray of float64, shape (n,)
    mask : numpy.ndarray of float64 or None
        Added per cell; None adds nothing (a NULL pointer in the kernel).
    params : numpy.void
        A :data:`SELFTEST_PARAMS_DTYPE` scalar.
    scale : numpy.float32
    k : numpy.int32
    stride : numpy.uint32
    offset : numpy.uint64
    use_w : numpy.uint8
        Non-zero adds ``params.w[i % 3]``.

    Returns
    -------
    out : numpy.ndarray of float64
        ``a x + b + c scale + mask + (use_w ? w[i % 3] : 0) + k + flag``, summed left to
        right in double precision (the kernel's order).
    index : numpy.ndarray of uint64
        ``offset + i stride`` modulo 2**64.
    """
    x = np.asarray(x, dtype=np.float64)
    i = np.arange(x.size, dtype=np.uint64)
    out = params["a"] * x
    out = out + np.float64(params["b"])
    out = out + np.float64(params["c"]) * np.float64(scale)
    if mask is not None:
        out = out + np.asarray(mask, dtype=np.float64)
    if use_w:
        out = out + np.asarray(params["w"], dtype=np.float64)[i % np.uint64(3)]
    out = out + np.float64(k)
    out = out + np.float64(params["flag"])
    index = np.uint64(offset) + i * np.uint64(stride)
    return out, index


def run_selftest(backend, n=1000, seed=0):
    """Run ``pcm_selftest`` on a compiled backend and return the largest deviation.

    Parameters
    ----------
    backend : str or Backend
        ``"host"``, ``"cupy"`` or a backend object.
    n : int
        Cells.
    seed : int
        Seed of the input values.

    Returns
    -------
    float
        Largest absolute difference of ``out`` from :func:`selftest_reference`; ``index``
        must match exactly (an AssertionError otherwise).
    """
    from . import get_backend

    be = get_backend(backend)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n)
    mask = rng.standard_normal(n)
    args = (selftest_params(), np.float32(0.1), np.int32(-5), np.uint32(3),
            np.uint64(2**63 + 11), np.uint8(1))
    out, index = be.zeros(n, np.float64), be.zeros(n, np.uint64)
    module = be.module("backend_selftest.cu")
    module.launch("pcm_selftest", n, be.asarray(x), be.asarray(mask), *args, out, index,
                  np.int64(n))
    ref_out, ref_index = selftest_reference(x, mask, *args)
    np.testing.assert_array_equal(be.to_numpy(index), ref_index)
    return float(np.max(np.abs(be.to_numpy(out) - ref_out), initial=0.0))


def math_reference(x):
    """NumPy twin of ``pcm_math_selftest``: ``(np.expm1(x), floor(x) as int64)``."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(over="ignore"):  # inf is expm1's value above ~709.78
        return np.expm1(x), np.floor(x).astype(np.int64)


def run_math_selftest(backend, x):
    """``pcm_expm1`` and ``pcm_floor_i64`` of `x` on a compiled backend, as NumPy arrays."""
    from . import get_backend

    be = get_backend(backend)
    x = np.ascontiguousarray(x, dtype=np.float64)
    n = x.size
    out, fl = be.zeros(n, np.float64), be.zeros(n, np.int64)
    be.module("pcm_math_selftest.cu").launch("pcm_math_selftest", n, be.asarray(x), out, fl,
                                             np.int64(n))
    be.synchronize()
    return be.to_numpy(out), be.to_numpy(fl)
