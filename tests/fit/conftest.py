"""Shared fixture of the fitting tests: the host backend, one OpenMP thread.

A fit runs hundreds of simulations of a few hundred cells; on the shared 2-core test machine
OpenMP's second thread costs more in synchronisation than it gains (measured 0.51 s vs 0.15 s
per simulation), so the fixture sets libgomp to one thread while the fitting tests run and
restores it afterwards. Results do not depend on the thread count (cells are independent).
"""
import ctypes

import pytest

import pcmphys as pcm


def _libgomp():
    try:
        return ctypes.CDLL("libgomp.so.1")
    except OSError:
        return None


@pytest.fixture(scope="session")
def host():
    try:
        pcm.get_backend("host")
    except Exception as exc:  # noqa: BLE001 - any reason the compiled backend cannot run
        pytest.skip(f"host backend unavailable: {exc}")
    gomp = _libgomp()
    old = gomp.omp_get_max_threads() if gomp is not None else None
    if gomp is not None:
        gomp.omp_set_num_threads(1)
    yield "host"
    if gomp is not None:
        gomp.omp_set_num_threads(old)
