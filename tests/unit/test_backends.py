"""Backends: selection, array helpers, kernel launches (arguments, structs, NULL, n = 0), cache.

Parity tests run on the host backend here and on cupy (marked ``gpu``) when a GPU answers;
both compare with the NumPy reference ``pcmphys.backends.selftest_reference``.
"""

import ctypes
import uuid

import numpy as np
import pytest

import pcmphys.backends as backends
from pcmphys.backends import (
    BackendUnavailable,
    KernelCompileError,
    available_backends,
    get_backend,
    selftest_reference,
)
from pcmphys.backends.base import struct_ctype
from pcmphys.backends.host import HostBackend, find_compiler, probe
from pcmphys.backends.selftest import SELFTEST_PARAMS_DTYPE, run_selftest, selftest_params

COMPILED = ["host", pytest.param("cupy", marks=pytest.mark.gpu)]
SCALARS = (np.float32(0.1), np.int32(-5), np.uint32(3), np.uint64(2**63 + 11), np.uint8(1))


def _require(name):
    ok, reason = available_backends()[name]
    if not ok:
        pytest.skip(f"backend {name!r} unavailable: {reason}")
    return get_backend(name)


@pytest.fixture(params=COMPILED)
def be(request):
    return _require(request.param)


def _selftest(be, x, mask, params, scalars=SCALARS, index=True, n_items=None):
    n = len(x)
    out = be.zeros(n, np.float64)
    idx = be.zeros(n, np.uint64) if index else None
    be.module("backend_selftest.cu").launch(
        "pcm_selftest", n if n_items is None else n_items, be.asarray(x),
        None if mask is None else be.asarray(mask), params, *scalars, out, idx, np.int64(n))
    be.synchronize()
    return be.to_numpy(out), (be.to_numpy(idx) if index else None)


def _assert_out_equal(be, got, expected):
    if be.name == "host":  # same operations, -ffp-contract=off: bitwise
        np.testing.assert_array_equal(got, expected)
    else:  # NVRTC may fuse multiply-adds
        np.testing.assert_allclose(got, expected, rtol=1e-14, atol=1e-14)


# ---------------------------------------------------------------- selection


def test_available_backends_reports_all_three():
    status = available_backends()
    assert list(status) == ["numpy", "host", "cupy"]
    for ok, reason in status.values():
        assert isinstance(ok, bool) and isinstance(reason, str) and reason
    assert status["numpy"][0]


def test_explicit_cupy_raises_with_reason_and_hint_when_unavailable():
    ok, reason = available_backends()["cupy"]
    if ok:
        pytest.skip("a GPU answers here")
    with pytest.raises(BackendUnavailable, match="'cupy' is unavailable") as info:
        get_backend("cupy")
    assert reason in str(info.value)
    assert isinstance(info.value, RuntimeError)
    if "not installed" in reason:
        assert 'pip install "pcmphys[cuda13]"' in str(info.value)


def test_auto_prefers_cupy_then_host_then_numpy():
    status = available_backends()
    expected = next(n for n in ("cupy", "host", "numpy") if status[n][0])
    assert get_backend("auto").name == expected
    if not status["cupy"][0] and status["host"][0]:
        assert get_backend("auto") is get_backend("host")


def test_auto_falls_back_to_numpy(monkeypatch):
    monkeypatch.setattr(backends, "_status", lambda name: (name == "numpy", "test"))
    assert get_backend("auto").name == "numpy"


def test_backend_objects_are_cached_and_passed_through():
    be = get_backend("numpy")
    assert get_backend("numpy") is be
    assert get_backend(be) is be
    assert get_backend(" NumPy ") is be


def test_unknown_backend_name():
    with pytest.raises(ValueError, match="choose one of: auto, cupy, host, numpy"):
        get_backend("gpu")


def test_numpy_backend_has_no_kernels():
    be = get_backend("numpy")
    assert be.xp is np and not be.compiled
    with pytest.raises(NotImplementedError, match="get_backend\\('host'\\)"):
        be.module("backend_selftest.cu")


def test_host_unavailable_without_compiler(monkeypatch):
    monkeypatch.setenv("CXX", "/nonexistent/c++")
    monkeypatch.setattr(backends, "_BACKENDS", {})
    find_compiler.cache_clear()
    probe.cache_clear()
    try:
        ok, reason = available_backends()["host"]
        assert not ok and "$CXX=/nonexistent/c++" in reason and "set CXX" in reason
        with pytest.raises(BackendUnavailable, match="install a C\\+\\+ compiler"):
            get_backend("host")
    finally:
        find_compiler.cache_clear()
        probe.cache_clear()


# ---------------------------------------------------------------- array helpers


@pytest.mark.parametrize("name", ["numpy", "host", pytest.param("cupy", marks=pytest.mark.gpu)])
def test_array_helpers(name):
    be = _require(name)
    a = be.asarray(np.arange(6.0).reshape(2, 3).T)  # Fortran-ordered input
    assert a.flags.c_contiguous and isinstance(a, be.xp.ndarray)
    np.testing.assert_array_equal(be.to_numpy(a), np.arange(6.0).reshape(2, 3).T)
    assert be.asarray([1, 2], dtype=np.float32).dtype == np.float32
    assert be.zeros((2, 2), np.uint64).dtype == np.uint64
    assert be.empty(3, np.int32).shape == (3,)
    assert isinstance(be.to_numpy(be.zeros(2, np.float64)), np.ndarray)
    be.synchronize()


# ---------------------------------------------------------------- launches


def test_selftest_parity(be):
    rng = np.random.default_rng(11)
    x, mask = rng.standard_normal(1001), rng.standard_normal(1001)
    params = selftest_params(a=-0.75, b=3.125, c=17, w=(1e-3, -2.5, 7.0), flag=200)
    out, index = _selftest(be, x, mask, params)
    ref_out, ref_index = selftest_reference(x, mask, params, *SCALARS)
    _assert_out_equal(be, out, ref_out)
    np.testing.assert_array_equal(index, ref_index)
    assert index[-1] == 2**63 + 11 + 1000 * 3  # beyond int64: uint64 arrived intact


def test_run_selftest(be):
    assert run_selftest(be, n=257) <= (0.0 if be.name == "host" else 1e-13)


@pytest.mark.parametrize("field, value, delta", [
    ("a", 2.5, lambda x, i: 1.0 * x),
    ("b", 1.25, lambda x, i: 1.0 + 0 * x),
    ("c", -2, lambda x, i: -5 * np.float64(np.float32(0.1)) + 0 * x),
    ("flag", 9, lambda x, i: 2.0 + 0 * x),
    ("w", (0.5, 1.0, 2.5), lambda x, i: np.array([0.0, 2.25, 0.5])[i % 3]),
])
def test_each_struct_field_reaches_kernel(be, field, value, delta):
    x = np.linspace(-1.0, 1.0, 7)
    i = np.arange(7)
    base = selftest_params(a=1.5, b=0.25, c=3, w=(0.5, -1.25, 2.0), flag=7)
    changed = np.zeros((), SELFTEST_PARAMS_DTYPE)  # np.array(base) would share base's memory
    changed[()] = base
    changed[field] = value
    out0, _ = _selftest(be, x, None, base)
    out1, _ = _selftest(be, x, None, changed[()])
    np.testing.assert_allclose(out1 - out0, delta(x, i), rtol=0, atol=1e-12)


def test_struct_from_array_element(be):
    arr = np.zeros(3, dtype=SELFTEST_PARAMS_DTYPE)
    arr["a"], arr["flag"] = 2.0, 1
    x = np.arange(4.0)
    out, _ = _selftest(be, x, None, arr[1])
    np.testing.assert_array_equal(out, selftest_reference(x, None, arr[1], *SCALARS)[0])


def test_null_pointers(be):
    x = np.arange(5.0)
    params = selftest_params()
    out, index = _selftest(be, x, None, params, index=False)
    assert index is None
    _assert_out_equal(be, out, selftest_reference(x, None, params, *SCALARS)[0])


def test_zero_items_launches_nothing(be):
    x = np.arange(5.0)
    out, index = _selftest(be, x, None, selftest_params(), n_items=0)
    assert not out.any() and not index.any()
    empty, _ = _selftest(be, np.zeros(0), None, selftest_params())
    assert empty.shape == (0,)


def test_non_contiguous_array_rejected(be):
    x = be.asarray(np.arange(10.0))[::2]
    out = be.zeros(5, np.float64)
    module = be.module("backend_selftest.cu")
    with pytest.raises(ValueError, match="argument 0 of kernel 'pcm_selftest' is not C-contig"):
        module.launch("pcm_selftest", 5, x, None, selftest_params(), *SCALARS, out, None,
                      np.int64(5))


@pytest.mark.parametrize("bad", [5, 0.1, True])
def test_python_numbers_rejected(be, bad):
    out = be.zeros(3, np.float64)
    module = be.module("backend_selftest.cu")
    scalars = (bad,) + SCALARS[1:]
    with pytest.raises(TypeError, match="argument 3 .* Python .* explicit NumPy scalar type"):
        module.launch("pcm_selftest", 3, out, None, selftest_params(), *scalars, out, None,
                      np.int64(3))


@pytest.mark.parametrize("bad", [[1.0, 2.0], np.int16(3), np.complex128(1j), "x"])
def test_unsupported_arguments_rejected(be, bad):
    with pytest.raises(TypeError, match="argument 0"):
        be.module("backend_selftest.cu").launch("pcm_selftest", 1, bad)


@pytest.mark.gpu
def test_foreign_array_rejected_on_cupy():
    be = _require("cupy")  # the host backend's arrays are numpy arrays
    with pytest.raises(TypeError, match="needs cupy.ndarray arrays"):
        be.module("backend_selftest.cu").launch("pcm_selftest", 1, np.zeros(1))


def test_missing_kernel_lists_available(be):
    with pytest.raises(AttributeError, match="'nope' not found .* pcm_selftest"):
        be.module("backend_selftest.cu").launch("nope", 1, np.int64(1))


def test_missing_source_lists_available(be):
    with pytest.raises(FileNotFoundError, match="backend_selftest.cu"):
        be.module("no_such_kernel.cu")


# ---------------------------------------------------------------- structs


def test_struct_layout_matches_c():
    cls = struct_ctype(SELFTEST_PARAMS_DTYPE)
    assert ctypes.sizeof(cls) == SELFTEST_PARAMS_DTYPE.itemsize == 48
    inner = np.dtype([("k", np.uint8), ("m", np.float32, (2, 3))], align=True)
    outer = np.dtype([("x", np.int64), ("s", inner), ("u", np.uint32)], align=True)
    assert ctypes.sizeof(struct_ctype(outer)) == outer.itemsize


@pytest.mark.parametrize("dtype, message", [
    (np.dtype([("flag", np.uint8), ("a", np.float64)]), "offset 1 .* align=True"),
    (np.dtype([("a", np.float64), ("f", np.uint8)]), "itemsize 9 .* align=True"),
    (np.dtype([("h", np.float16)], align=True), "unsupported type"),
])
def test_struct_with_bad_layout_rejected(dtype, message):
    with pytest.raises(ValueError, match=message):
        struct_ctype(dtype)


SMALL_STRUCT_KERNEL = """// Mirrors: pcmphys.backends.selftest_reference (test only)
#include "pcm_common.cuh"
struct small_t { float v[2]; int k; };
extern "C" __global__ void small(small_t s, double* out, pcm_i64 n) {
    PCM_FOR_EACH(i, n) { out[i] = (double)s.v[0] + (double)s.v[1] * (double)(s.k + i); }
}
"""


def test_small_struct_with_array_by_value(be, tmp_path):
    (tmp_path / "small.cu").write_text(SMALL_STRUCT_KERNEL)
    dtype = np.dtype([("v", np.float32, (2,)), ("k", np.int32)], align=True)
    s = np.zeros((), dtype)
    s["v"], s["k"] = (1.5, -0.25), 3
    out = be.zeros(4, np.float64)
    be.module("small.cu", directory=tmp_path).launch("small", 4, s[()], out, np.int64(4))
    np.testing.assert_array_equal(be.to_numpy(out), 1.5 - 0.25 * (3 + np.arange(4)))


# ---------------------------------------------------------------- host compile cache

COUNTER_KERNEL = """// Mirrors: pcmphys.backends.selftest_reference (test only)
#include "pcm_common.cuh"
// token {token}
extern "C" __global__ void fill(double* out, pcm_i64 n) {{
    PCM_FOR_EACH(i, n) {{ out[i] = {value}; }}
}}
"""


def _fill(module):
    out = np.zeros(3)
    module.launch("fill", 3, out, np.int64(3))
    return out


def test_host_cache_reuses_and_recompiles(tmp_path, monkeypatch):
    _require("host")
    monkeypatch.setenv("PCMPHYS_CACHE_DIR", str(tmp_path / "cache"))
    source = tmp_path / "fill.cu"
    token = uuid.uuid4().hex
    source.write_text(COUNTER_KERNEL.format(token=token, value="1.0"))
    first = HostBackend()
    module = first.module("fill.cu", directory=tmp_path)
    assert first.compile_count == 1 and _fill(module).tolist() == [1.0] * 3
    assert first.module("fill.cu", directory=tmp_path) is module
    assert first.compile_count == 1

    second = HostBackend()  # a new process-level cache: the .so comes from disk
    assert _fill(second.module("fill.cu", directory=tmp_path)).tolist() == [1.0] * 3
    assert second.compile_count == 0

    source.write_text(COUNTER_KERNEL.format(token=token, value="2.0"))
    assert _fill(first.module("fill.cu", directory=tmp_path)).tolist() == [2.0] * 3
    assert first.compile_count == 2
    assert len(list((tmp_path / "cache").glob("fill-*.so"))) == 2
    assert not list((tmp_path / "cache").glob(".*"))  # no temporary files left behind


def test_host_compile_error_carries_compiler_output(tmp_path, monkeypatch):
    _require("host")
    monkeypatch.setenv("PCMPHYS_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "broken.cu").write_text(
        f'#include "pcm_common.cuh"\n// {uuid.uuid4().hex}\n'
        'extern "C" __global__ void broken(pcm_i64 n) { undeclared_name(n); }\n')
    with pytest.raises(KernelCompileError, match="(?s)broken.cu.*undeclared_name"):
        HostBackend().module("broken.cu", directory=tmp_path)


# ---------------------------------------------------------------- inline math helpers


def test_inline_math_helpers_match_numpy(be):
    """pcm_expm1 (host: Taylor below 2^-10, exp(x) - 1 above) within 2e-13 relative of
    np.expm1 over 1e-300..700 of both signs and at the switch-over; pcm_floor_i64 exact,
    including negative values, integers and values one ulp either side of them."""
    from pcmphys.backends.selftest import math_reference, run_math_selftest

    mag = np.concatenate([np.logspace(-300, np.log10(700.0), 4001),
                          np.nextafter(2.0 ** -10, [0.0, 1.0]), [2.0 ** -10, 0.0]])
    x = np.concatenate([mag, -mag])
    got, _ = run_math_selftest(be, x)
    ref, _ = math_reference(x)
    rel = np.abs(got - ref) / np.maximum(np.abs(ref), 1e-300)
    assert np.all(np.isfinite(got)) and rel.max() < 2e-13, (rel.max(), x[np.argmax(rel)])
    assert got[x == 0.0].tolist() == [0.0, 0.0]

    ints = np.arange(-5.0, 6.0)
    y = np.concatenate([ints, np.nextafter(ints, -np.inf), np.nextafter(ints, np.inf),
                        [-2.5, 2.5, 1e15 + 0.5, -1e15 - 0.5, 3.7e12, -0.3]])
    _, fl = run_math_selftest(be, y)
    np.testing.assert_array_equal(fl, math_reference(y)[1])
