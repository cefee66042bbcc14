"""Kernel twins of the statistical mode (kernels/pcm_statistical.cu) against the NumPy
reference (pcmphys.statistical): rel 1e-5 per device on host (run in CI)
and on cupy (marked gpu); results independent of chunking (device_offset)."""
import numpy as np
import pytest

from pcmphys import statistical as st
from pcmphys.testing import backend_or_skip as _backend

N = 3000


def _protocol(n, backend, offset=0, sl=slice(None)):
    """Program, read (single and repeated, with and without noise), SET/RESET with a mask."""
    rng = np.random.default_rng(5)
    target = rng.uniform(0.0, 25e-6, N)[sl]
    where = (rng.random(N) < 0.6)[sl]
    target2 = rng.uniform(0.0, 25e-6, N)[sl]
    pop = st.StatisticalPopulation(n, seed=99, backend=backend, device_offset=offset)
    be = pop.backend
    out = []
    pop.program(target)
    out += [pop.g_prog, pop.nu]
    out.append(pop.read(3600.0))
    out.append(pop.read(10.0, repeats=3))
    out.append(pop.read(86400.0, noise=False))
    pop.program(target2, where=where)
    out += [pop.g_prog, pop.nu]
    pop.apply_reset(where=where)
    pop.apply_set(repeat=7)
    pop.apply_set(where=~where, repeat=2)
    out += [pop.g_prog, pop.nu, pop.read(1.0)]
    return [np.array(be.to_numpy(a)) for a in out]


def _compare(other):
    ref = _protocol(N, "numpy")
    got = _protocol(N, other)
    for k, (a, b) in enumerate(zip(ref, got)):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=0, err_msg=f"output {k}")


def test_host_matches_numpy():
    _backend("host")
    _compare("host")


@pytest.mark.gpu
def test_cupy_matches_numpy():
    _backend("cupy")
    _compare("cupy")


@pytest.mark.parametrize("backend", ["numpy", "host"])
def test_chunking_invariance(backend):
    _backend(backend)
    whole = _protocol(N, backend)
    a = _protocol(1000, backend, 0, slice(0, 1000))
    b = _protocol(N - 1000, backend, 1000, slice(1000, N))
    for w, x, y in zip(whole, a, b):
        np.testing.assert_array_equal(np.concatenate([x, y], axis=-1), w)
