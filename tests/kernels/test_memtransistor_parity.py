"""Parity of kernels/pcm_memtransistor.cu with pcmphys.physics.memtransistor:
every cell agrees to rel 1e-5 (the gate model has no discrete decision); the chunked halves
equal the whole. Host runs in CI; cupy (marked gpu) when a GPU answers."""
import numpy as np
import pytest

import pcmphys as pcm
from pcmphys.memtransistor import MemtransistivePopulation
from pcmphys.parameters.memtransistor import MemtransistorParams
from pcmphys.testing import backend_or_skip as _backend

N = 1500


def _protocol(cells, sl=slice(None)):
    """RESET, partial SET on a mask, gate trains with masks/scales/negative pulses, reads."""
    gen = np.random.default_rng(0)
    where = (gen.random(N) < 0.6)[sl]
    scale = gen.uniform(0.2, 1.5, N)[sl]
    half = (np.arange(N) % 2 == 0)[sl]
    to_np = cells.backend.to_numpy
    cells.apply(pcm.Pulse.reset())
    cells.apply(pcm.Pulse.set(100e-6, 50e-9), where=half, repeat=4)
    out = []
    for k in range(5):
        cells.gate(1.0, where=where if k % 2 else None, scale=scale if k == 3 else None)
        cells.wait(7e-3 * (k + 1))
        g, f = cells.read(gate_bias=0.3 * k - 0.5, return_trace=True)
        out += [np.array(to_np(g)), np.array(to_np(f))]
    cells.gate(-0.7)
    cells.wait(0.1)
    out.append(np.array(to_np(cells.read())))
    return out


def _run(backend, params, n=N, offset=0, sl=slice(None)):
    ps = pcm.ParameterSet.load("sebastian2017_gst90nm")
    cells = MemtransistivePopulation(ps, params, n, seed=77, backend=backend,
                                     device_offset=offset)
    return _protocol(cells, sl)


def _compare(backend):
    for params in (MemtransistorParams(), MemtransistorParams().deterministic()):
        ref = _run("numpy", params)
        got = _run(backend, params)
        for r, g in zip(ref, got):
            np.testing.assert_allclose(g, r, rtol=1e-5, atol=1e-15)


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
    p = MemtransistorParams()
    whole = _run(backend, p)
    a = _run(backend, p, n=600, offset=0, sl=slice(0, 600))
    b = _run(backend, p, n=N - 600, offset=600, sl=slice(600, N))
    for w, x, y in zip(whole, a, b):
        np.testing.assert_array_equal(np.concatenate([x, y]), w)
