"""Distributed runs: a 2-worker local dask cluster writes the same
store as a single-process simulate(), cell for cell and bit for bit."""
import numpy as np
import pytest

import pcmphys as pcm

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    from pcmphys.distributed import local_client

    c = local_client(n_workers=2)
    yield c
    cluster = c.cluster
    c.close()
    cluster.close()


def _protocol():
    return pcm.PulseTrain([pcm.Pulse.reset()] + [pcm.Pulse.set()] * 3
                          + [pcm.Read(at=t) for t in (1.0, 100.0)])


def test_two_workers_equal_single_process(client, tmp_path):
    from pcmphys.distributed import simulate_distributed

    ps = pcm.ParameterSet.load("sebastian2017_gst90nm")
    kw = dict(n_devices=5000, seed=9, backend="numpy", record=("conductance", "u_a"),
              chunk_devices=1024)
    ref = pcm.simulate(ps, _protocol(), store=tmp_path / "one.zarr", progress=False, **kw)
    ds = simulate_distributed(ps, _protocol(), store=tmp_path / "two.zarr", client=client,
                              progress=False, **kw)
    assert ds.attrs["complete"] and ds.attrs["distributed_workers"] == 2
    for name in ("conductance", "u_a", "time", "event"):
        np.testing.assert_array_equal(ds[name].values, ref[name].values)
    for key in ("parameter_set", "protocol", "seed", "backend", "pcmphys_run"):
        assert ds.attrs[key] == ref.attrs[key], key


def test_resume_writes_only_missing_chunks(client, tmp_path):
    """A store whose run was cut after some chunks is completed by a distributed resume."""
    from pcmphys.distributed import simulate_distributed
    from pcmphys.results import store_status

    ps = pcm.ParameterSet.load("sebastian2017_gst90nm")
    kw = dict(n_devices=3000, seed=4, backend="numpy", chunk_devices=1024)
    ref = pcm.simulate(ps, _protocol(), progress=False, **kw)
    path = tmp_path / "cut.zarr"
    simulate_distributed(ps, _protocol(), store=path, client=client, progress=False, **kw)
    import zarr

    g = zarr.open_group(str(path), mode="r+")
    g["_progress/chunks"][1] = 0          # as if chunk 1 had not been written
    g.attrs["complete"] = False
    assert store_status(path) == "incomplete"
    ds = simulate_distributed(ps, _protocol(), store=path, client=client, progress=False,
                              resume=True, **kw)
    np.testing.assert_array_equal(ds["conductance"].values, ref["conductance"].values)


def test_map_reduce_map(client):
    from pcmphys.distributed import map_reduce_map

    out = map_reduce_map(client, 10, 3, lambda a, b: sum(range(a, b)), sum,
                         lambda a, b, total: [total - i for i in range(a, b)])
    assert [x for part in out for x in part] == [45 - i for i in range(10)]


def test_store_required():
    from pcmphys.distributed import simulate_distributed

    with pytest.raises(ValueError, match="store is required"):
        simulate_distributed("sebastian2017_gst90nm", _protocol(), 10, 1, None)


def test_correlation_study_on_two_workers_equals_single_process(client):
    """Issue 6: pass 1 sums the chunks' M(k), pass 2 simulates the chunks with the global
    M(k); conductances, pulse counts and faults equal the single-process run cell for cell."""
    from pcmphys.computing import correlation as co

    ps = pcm.ParameterSet.load("sebastian2017_gst90nm")
    n, steps = 3000, 400
    correlated = np.zeros(n, bool)
    correlated[::10] = True
    kw = dict(read_steps=(0, 200, 400))
    proc = co.CorrelatedProcesses(correlated, 0.01, 0.1, 21, "numpy")
    one = co.run_physical(ps, proc, steps, **kw)
    two = co.run_physical_distributed(ps, correlated, 0.01, 0.1, 21, steps, client, 1024,
                                      backend="numpy", **kw)
    np.testing.assert_array_equal(two["momentum"], one["momentum"])
    np.testing.assert_array_equal(two["pulses"], one["pulses"])
    np.testing.assert_array_equal(two["fault"], one["fault"])
    assert one["pulses"].sum() > 0
    for k in (0, 200, 400):
        np.testing.assert_array_equal(two["conductance"][k], one["conductance"][k])
