"""Kernel twins of the statistical mode (kernels/pcm_statistical.cu) against the NumPy
reference (pcmphys.statistical) on host (run in CI) and cupy (marked gpu); results independent
of chunking (device_offset); the fused multi-time read equals one read per time.

Tolerances. float64: rel 1e-5 per device (the project's kernel parity rule; measured
differences are ~1e-13, from the kernels' own polynomial log/exp/sin/cos against NumPy's).
float32: rel 1e-5 plus an absolute 4e-7 g_max (1e-11 S) on conductances and 1e-7 on drift
exponents: float32 rounding of the noise terms, where a sum such as G_target + sigma z or
mu + sigma_nu z cancels to near 0 (measured on 10^5 devices: 7.3e-12 S and 3e-8).
"""
import numpy as np
import pytest

from pcmphys import rng
from pcmphys import statistical as st
from pcmphys.testing import backend_or_skip as _backend

N = 3000
DTYPES = ["float64", "float32"]
TIMES = np.array([0.0, 1.0, 20.0, 3600.0, 3600.0, 1e5, 1e6])


def _protocol(n, backend, offset=0, sl=slice(None), dtype="float64"):
    """Program, read (single, repeated, fused, with and without noise), SET/RESET with a mask."""
    rng_ = np.random.default_rng(5)
    target = rng_.uniform(0.0, 25e-6, N)[sl]
    where = (rng_.random(N) < 0.6)[sl]
    target2 = rng_.uniform(0.0, 25e-6, N)[sl]
    pop = st.StatisticalPopulation(n, seed=99, backend=backend, device_offset=offset,
                                   dtype=dtype)
    be = pop.backend
    out = []
    pop.program(target)
    out += [pop.g_prog.copy(), pop.nu.copy()]
    out.append(pop.read(3600.0))
    out.append(pop.read(10.0, repeats=3))
    out.append(pop.read_times(TIMES))
    out.append(pop.read(86400.0, noise=False))
    out.append(pop.read_times(TIMES[:3], noise=False))
    pop.program(target2, where=where)
    out += [pop.g_prog.copy(), pop.nu.copy()]
    pop.apply_reset(where=where)
    pop.apply_set(repeat=7)
    pop.apply_set(where=~where, repeat=2)
    out += [pop.g_prog.copy(), pop.nu.copy(), pop.read(1.0)]
    return [np.array(be.to_numpy(a)) for a in out]


#: outputs of _protocol that are drift exponents (the rest are conductances [S])
_NU = {1, 8, 10}


def _compare(other, dtype):
    ref = _protocol(N, "numpy", dtype=dtype)
    got = _protocol(N, other, dtype=dtype)
    for k, (a, b) in enumerate(zip(ref, got)):
        assert a.dtype == b.dtype, f"output {k}"
        if dtype == "float64" or k in (9, 10):   # pulses compute in float64 in both
            np.testing.assert_allclose(b, a, rtol=1e-5, atol=0, err_msg=f"output {k}")
        else:
            atol = 1e-7 if k in _NU else 4e-7 * st.StatisticalParams().g_max
            np.testing.assert_allclose(b.astype(np.float64), a.astype(np.float64), rtol=1e-5,
                                       atol=atol, err_msg=f"output {k}")


@pytest.mark.parametrize("dtype", DTYPES)
def test_host_matches_numpy(dtype):
    _backend("host")
    _compare("host", dtype)


@pytest.mark.gpu
@pytest.mark.parametrize("dtype", DTYPES)
def test_cupy_matches_numpy(dtype):
    _backend("cupy")
    _compare("cupy", dtype)


@pytest.mark.parametrize("backend", ["numpy", "host"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_chunking_invariance(backend, dtype):
    _backend(backend)
    whole = _protocol(N, backend, dtype=dtype)
    a = _protocol(1000, backend, 0, slice(0, 1000), dtype=dtype)
    b = _protocol(N - 1000, backend, 1000, slice(1000, N), dtype=dtype)
    for w, x, y in zip(whole, a, b):
        np.testing.assert_array_equal(np.concatenate([x, y], axis=-1), w)


@pytest.mark.parametrize("backend", ["numpy", "host"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_fused_reads_equal_one_read_per_time(backend, dtype):
    """read_times(times) gives, bit for bit, the reads of read(t) called once per time (same
    events), whichever event the call starts at (partial and whole draw groups)."""
    _backend(backend)
    target = np.random.default_rng(1).uniform(0.0, 25e-6, 500)
    for skip in range(4):   # shift the first event across a draw group
        fused = st.StatisticalPopulation(500, seed=4, backend=backend, dtype=dtype)
        single = st.StatisticalPopulation(500, seed=4, backend=backend, dtype=dtype)
        for pop in (fused, single):
            pop.program(target)
            pop.read(1.0, repeats=skip + 1)
        buf = fused.backend.empty((TIMES.size, 500), dtype)
        got = fused.read_times(TIMES, out=buf)
        assert got is buf
        want = np.stack([single.backend.to_numpy(single.read(float(t))) for t in TIMES])
        np.testing.assert_array_equal(fused.backend.to_numpy(got), want)
    with pytest.raises(ValueError, match="out must be a C-contiguous"):
        fused.read_times(TIMES, out=fused.backend.empty((TIMES.size, 499), dtype))


def test_reference_read_times_equals_read():
    """The NumPy read_times equals read() per time with events event0 + r (both dtypes)."""
    dev = np.arange(400)
    g = np.random.default_rng(2).uniform(0.0, 25e-6, 400)
    nu = np.full(400, 0.05)
    for dtype in DTYPES:
        fused = st.read_times(g, nu, TIMES, 8, dev, 13, dtype=dtype)
        for r, t in enumerate(TIMES):
            np.testing.assert_array_equal(fused[r], st.read(g, nu, t, 8, dev, 13 + r,
                                                            dtype=dtype))


def test_normal_generators_match_numpy():
    """pcm_normal2_poly (kernel, own polynomial log/sin/cos) equals rng.normal2 to 1e-14
    absolute; pcm_normal4_f32 equals rng.normal4_f32 to 2e-6 absolute (float32: |z| < 5.8,
    a few ulp). A different draw or word order would differ by O(1)."""
    be = _backend("host")
    mod = be.module("pcm_statistical.cu")
    n = 20000
    z64, z32 = np.empty(2 * n), np.empty(4 * n, np.float32)
    mod.launch("pcm_stat_normals", n, np.uint64(7), np.int64(5), np.int64(n), np.uint32(3),
               np.uint32(rng.STREAM_STAT_READ), z64, z32)
    dev = np.arange(5, 5 + n)
    ref64 = rng.normal2(7, dev, 3, rng.STREAM_STAT_READ)
    ref32 = rng.normal4_f32(7, dev, 3, rng.STREAM_STAT_READ)
    for k in range(2):
        np.testing.assert_allclose(z64[k::2], ref64[k], rtol=0, atol=1e-14)
    for k in range(4):
        assert ref32[k].dtype == np.float32
        np.testing.assert_allclose(z32[k::4], ref32[k], rtol=0, atol=2e-6)
    np.testing.assert_array_equal(rng.normal2_f32(7, dev, 3, rng.STREAM_STAT_READ)[1], ref32[1])


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="dtype must be float64 or float32"):
        st.StatisticalPopulation(4, seed=1, backend="numpy", dtype="float16")
    pop = st.StatisticalPopulation(4, seed=1, backend="numpy", dtype="float32")
    with pytest.raises(ValueError, match=r"times must be finite and >= 0 \[s\]"):
        pop.read_times([1.0, -2.0])
    for bad in (np.nan, np.inf, -1e-9):
        with pytest.raises(ValueError, match=r"g_target must be finite and >= 0 \[S\]"):
            pop.program([1e-6, bad, 0.0, 2e-6])
