"""Distributed runs on a dask cluster.

A population is split into chunks of cells by ``device_offset``; each dask task simulates one
chunk through the whole protocol and writes its own region of the zarr store, returning only
a small summary. Because every random draw is keyed on the global cell index
(:mod:`pcmphys.rng`), the store equals that of a single-process :func:`pcmphys.simulate`
call with the same arguments, bit for bit, whatever the number of workers.

Cluster set-up
--------------
* Default: a :class:`distributed.LocalCluster` with one single-threaded worker process per
  CPU core (``n_workers``), created and closed by the call.
* Any running scheduler: pass ``client=distributed.Client("tcp://host:8786")``. Every worker
  must see the store path (a shared file system) and have pcmphys installed.
* Several GPUs: ``dask_cuda.LocalCUDACluster()`` gives one worker per GPU; pass
  ``backend="cupy"`` and a client of that cluster.

The workers' memory allocator: the nanny's default ``MALLOC_TRIM_THRESHOLD_`` slowed the NumPy
reference 4.5x in our measurements; the local cluster sets ``MALLOC_MMAP_THRESHOLD_`` instead.
"""
from __future__ import annotations

import pathlib

import numpy as np

__all__ = ["simulate_distributed", "map_reduce_map"]

#: environment of the local cluster's worker processes (allocator setting, see the module docstring)
WORKER_ENVIRON = {"MALLOC_MMAP_THRESHOLD_": "33554432"}


def _require_distributed():
    try:
        import distributed  # noqa: F401
    except ImportError as exc:   # pragma: no cover - depends on the environment
        raise ImportError("distributed runs need dask.distributed: "
                          "pip install 'pcmphys[dask]'") from exc


def local_client(n_workers=None):
    """A Client of a new LocalCluster (process workers, one thread each)."""
    _require_distributed()
    import os

    import dask
    from distributed import Client, LocalCluster

    n_workers = n_workers or max(1, os.cpu_count() or 1)
    with dask.config.set({"distributed.nanny.pre-spawn-environ": WORKER_ENVIRON}):
        cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                               dashboard_address=None)
    return Client(cluster)


def _run_and_write(path, params, plan, layout, seed, backend, encoding, index):
    """Worker task: simulate chunk ``index`` and write its region; returns a summary."""
    from pcmphys.backends import get_backend
    from pcmphys.results import ResultsStore
    from pcmphys.simulate import run_chunk

    region = layout.chunk_slice(index)
    data, timeline = run_chunk(params, plan, seed, get_backend(backend), region)
    writer = ResultsStore.reopen(path, layout, encoding)
    writer.write_chunk(index, data)
    summary = {name: (float(np.nansum(np.asarray(v, np.float64))), int(np.size(v)))
               for name, v in data.items()}
    return index, plan.coordinates(timeline), summary


def simulate_distributed(params, protocol, n_devices, seed, store, *, client=None,
                         n_workers=None, backend="auto", record=("conductance",),
                         chunk_devices=None, encoding="default", zarr_format=3, sharding=None,
                         overwrite=False, resume=False, progress=True):
    """:func:`pcmphys.simulate` over a dask cluster, streaming to the zarr store ``store``.

    Parameters
    ----------
    params, protocol, n_devices, seed, backend, record, chunk_devices, encoding, zarr_format,
    sharding, overwrite, resume
        As for :func:`pcmphys.simulate` (``store`` is required; one task per chunk).
    client : distributed.Client, optional
        Cluster to run on; default a LocalCluster of ``n_workers`` processes, closed at the end.
    n_workers : int, optional
        Workers of the default local cluster (default: one per CPU core).
    progress : bool
        Show a tqdm bar of chunks done.

    Returns
    -------
    xarray.Dataset
        The store opened lazily, identical to a single-process run with the same arguments;
        ``ds.attrs["distributed_workers"]`` records the number of workers used.
    """
    from pcmphys.backends import get_backend
    from pcmphys.results import check_writable, open_results, record_variables, resolve_encoding
    from pcmphys.simulate import (
        Plan,
        _as_params,
        _as_protocol,
        _check_int,
        _check_same_run,
        _chunk_size,
        _Run,
        _stored_chunk_devices,
        _take_over,
    )

    _require_distributed()
    if store is None:
        raise ValueError("store is required for a distributed run (each worker writes its "
                         "own region of it)")
    params, protocol = _as_params(params), _as_protocol(protocol)
    n_devices = _check_int("n_devices", n_devices, 1, 2 ** 40)
    seed = _check_int("seed", seed, 0, 2 ** 64 - 1)
    be = get_backend(backend)
    enc = resolve_encoding(encoding)
    path = pathlib.Path(store)
    plan = Plan.build(protocol, record_variables(record), n_devices, params)
    if chunk_devices is None and resume:
        chunk_devices = _stored_chunk_devices(path)
    layout = plan.layout(_chunk_size(chunk_devices, n_devices, plan, be))
    attrs = _Run(params, protocol, seed, be, plan, layout, False)._attrs(backend, enc,
                                                                         zarr_format)
    from pcmphys.storelock import StoreLock

    # the client holds the store's lock for the whole run; its workers write regions under it
    with StoreLock(path, "simulate_distributed") as lock:
        status = check_writable(path, overwrite, resume, stale=lock.stale, warn=False)
        if resume and status in ("complete", "incomplete"):
            _check_same_run(path, attrs)
        _take_over(path, lock, status, resume)
        if not (resume and status == "complete"):
            _distributed_write(path, params, plan, layout, seed, be, enc, attrs, status, resume,
                               zarr_format, sharding, client, n_workers, progress)
    return open_results(path)


def _distributed_write(path, params, plan, layout, seed, be, enc, attrs, status, resume,
                       zarr_format, sharding, client, n_workers, progress):
    """The chunk tasks of :func:`simulate_distributed` (the caller holds the lock)."""
    from tqdm.auto import tqdm

    from pcmphys.backends import get_backend
    from pcmphys.results import ResultsStore
    from pcmphys.simulate import run_chunk

    writer, done = None, set()
    if resume and status == "incomplete":
        writer = ResultsStore.reopen(path, layout, enc)
        if writer is not None:
            done = writer.done()
            writer.note_resume()
    if writer is None:
        # the timeline (read times, events) is the same for every cell: take it from one cell
        _, timeline = run_chunk(params, plan, seed, get_backend("numpy"), slice(0, 1))
        writer = ResultsStore.create(path, layout, plan.coordinates(timeline), attrs, enc,
                                     zarr_format, sharding)
    reference = writer.coords()
    own = client is None
    client = local_client(n_workers) if own else client
    try:
        from distributed import as_completed

        workers = len(client.scheduler_info().get("workers", {}))
        todo = [i for i in range(layout.n_chunks) if i not in done]
        futures = [client.submit(_run_and_write, path, params, plan, layout, seed, be.name, enc,
                                 i, pure=False) for i in todo]
        with tqdm(total=layout.n_chunks, initial=len(done), unit="chunk", desc="simulate",
                  disable=None if progress else True) as bar:
            for future in as_completed(futures):
                index, coords, _ = future.result()
                for name, values in coords.items():
                    if name in reference and list(reference[name]) != list(values):
                        raise RuntimeError(f"internal error: coordinate {name!r} of chunk "
                                           f"{index} differs from the store's")
                bar.update(1)
    finally:
        if own:
            cluster = client.cluster
            client.close()
            cluster.close()
    writer.group.attrs["distributed_workers"] = workers
    writer.finish()


def map_reduce_map(client, n_devices, chunk_devices, map_fn, reduce_fn, then_fn, timings=None):
    """The global-input pattern (map, reduce on the client, map again) on a dask cluster.

    ``map_fn(start, stop)`` runs on each chunk of cells and returns a partial result;
    ``reduce_fn(list_of_partials)`` combines them on the client into a global input (for
    example the instantaneous sum M(k) of the correlation study); ``then_fn(start, stop,
    global_input)`` runs on each chunk again with it. Returns the list of ``then_fn`` results
    in chunk order. A ``timings`` dict receives the wall time [s] of the first pass plus the
    reduction (``"map"``) and of the second pass (``"then"``).
    """
    import time

    n_devices = int(n_devices)
    chunk_devices = int(chunk_devices)
    if n_devices < 1 or chunk_devices < 1:
        raise ValueError("n_devices and chunk_devices must be >= 1")
    bounds = [(a, min(a + chunk_devices, n_devices)) for a in range(0, n_devices, chunk_devices)]
    start = time.perf_counter()
    partials = client.gather([client.submit(map_fn, a, b, pure=False) for a, b in bounds])
    global_input = reduce_fn(partials)
    middle = time.perf_counter()
    scattered = client.scatter(global_input, broadcast=True)
    out = client.gather([client.submit(then_fn, a, b, scattered, pure=False)
                         for a, b in bounds])
    if timings is not None:
        timings.update(map=middle - start, then=time.perf_counter() - middle)
    return out
