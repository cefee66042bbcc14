"""Results of :func:`pcmphys.simulate`: Dataset schema, provenance, zarr storage, loading.

Layout: dims ``(device, read)`` for quantities recorded at each Read,
``(device, step)`` for quantities recorded after each pulse; coordinates ``device`` (global
cell index), ``time`` [s] and ``event`` at each read (``step_time``, ``step_event`` per pulse);
every variable carries ``units`` and ``long_name``; the root attributes hold the provenance
(parameter set as TOML text, citations, protocol as TOML text, seed, backend, versions, git
revision).

A store is written as a template (every array created, coordinates filled) followed by one
region write per chunk of cells; each region covers whole zarr chunks/shards. A chunk is marked
done in ``_progress/chunks`` after its data, and the root attribute ``complete`` is set last,
so an interrupted run can be resumed and yields the data of an uninterrupted one. Loading only
reads JSON metadata and numeric arrays; nothing is ever unpickled.

One writer at a time: a writer holds the store's lock (:mod:`pcmphys.storelock`) from before
its first check to its last write, so a second writer gets :class:`StoreLockedError` at once.
Every chunk carries a checksum and the root attribute ``pcmphys_schema`` records each array as
created; :func:`open_results` checks a store against it and raises
:class:`CorruptResultsError` naming the damaged variable and chunk.
"""
from __future__ import annotations

import dataclasses
import datetime
import functools
import hashlib
import json
import os
import pathlib
import platform
import shutil
import subprocess

import numpy as np

from pcmphys import accessor  # noqa: F401  (registers the ds.pcm accessor)
from pcmphys._version import __version__
from pcmphys.storage import Encoding, bitround, resolve_encoding

__all__ = ["ResultsError", "ForeignStoreError", "IncompleteResultsError", "StoreExistsError",
           "StoreLockedError", "CorruptResultsError",
           "VariableSpec", "Layout", "record_variables", "provenance_attrs", "ResultsStore",
           "open_results", "export_results", "store_status", "Encoding", "resolve_encoding",
           "bitround", "SCHEMA"]

#: value of the root attribute ``pcmphys_results`` that marks a pcmphys store
SCHEMA = "pcmphys-results-1"
PROGRESS = "_progress/chunks"


class ResultsError(Exception):
    """A results store cannot be used as asked (the message says why and what to do)."""


class ForeignStoreError(ResultsError):
    """The path is not a zarr store written by pcmphys."""


class IncompleteResultsError(ResultsError):
    """The store holds an interrupted run (``complete`` is not set)."""


class StoreExistsError(ResultsError, FileExistsError):
    """The store path already holds data that would be overwritten."""


class StoreLockedError(ResultsError):
    """Another process is writing the store (the message names it: pid, host, start)."""


class CorruptResultsError(ResultsError):
    """A store marked as written is damaged: an array, its metadata or a chunk is missing,
    altered or does not decode.

    Attributes
    ----------
    path : str
    variable : str
        The damaged array.
    chunk : str or None
        Key of the damaged chunk (shard) inside the array, None when the array's metadata is.
    """

    def __init__(self, path, variable, chunk, why):
        self.path, self.variable, self.chunk = str(path), variable, chunk
        where = f"variable {variable!r}" + (f", chunk {chunk!r}" if chunk is not None else "")
        super().__init__(f"results store {str(path)!r} is damaged: {where}: {why}; it cannot "
                         "be trusted (run the simulation again, or restore the store from a "
                         "copy)")


# ---------------------------------------------------------------------- variable catalog
_READ = {
    "conductance": ("S", "read conductance (with 1/f noise)"),
    "resistance": ("Ohm", "read resistance (with 1/f noise)"),
    "current": ("A", "read current (with 1/f noise)"),
    "threshold_voltage": ("V", "threshold switching voltage (noiseless)"),
}
_PULSE = {
    "power": (np.float64, "W", "Joule power during the pulse"),
    "interface_temperature": (np.float64, "K", "crystal-amorphous interface temperature "
                                               "during the pulse"),
    "hotspot_temperature": (np.float64, "K", "hot-spot (peak) temperature during the pulse"),
    "energy": (np.float64, "J", "energy delivered by the pulse"),
    "melted": (np.bool_, "1", "the pulse melted the cell"),
}
ALIASES = {"V_th": ("threshold_voltage",), "G": ("conductance",), "R": ("resistance",),
           "temperatures": ("interface_temperature", "hotspot_temperature")}
COORDS = {  # name: (dim, dtype, units, long_name)
    "device": ("device", np.int64, "1", "global cell index"),
    "time": ("read", np.float64, "s", "population clock at the read"),
    "event": ("read", np.int64, "1", "event index (counter of the random draws) at the read"),
    "time_since_pulse": ("read", np.float64, "s", "time since the end of the last pulse"),
    "last_pulse_end": ("read", np.float64, "s", "end of the last pulse before the read"),
    "read_voltage": ("read", np.float64, "V", "read voltage"),
    "read_temperature": ("read", np.float64, "K", "read temperature"),
    "read_protocol_step": ("read", np.int64, "1", "index of the Read in the protocol"),
    "step_time": ("step", np.float64, "s", "population clock at the end of the pulse"),
    "step_event": ("step", np.int64, "1", "event index of the pulse"),
    "step_protocol_step": ("step", np.int64, "1", "index of the Pulse in the protocol"),
}


def _state_fields():
    from pcmphys.physics.cell import STATE_FIELDS

    return STATE_FIELDS


@dataclasses.dataclass(frozen=True)
class VariableSpec:
    """One recorded variable.

    Attributes
    ----------
    name : str
        Dataset variable name.
    dims : tuple of str
        ``("device", "read")``, ``("device", "step")`` or ``("device",)``.
    dtype : numpy.dtype
        Dtype as computed (before any storage encoding).
    units, long_name : str
    source : tuple
        ``("read", quantity)``, ``("state", field)``, ``("pulse", diagnostic)`` or
        ``("scale", array name)``.
    """

    name: str
    dims: tuple
    dtype: np.dtype
    units: str
    long_name: str
    source: tuple


def valid_names():
    """Names accepted by ``record`` / ``record_steps`` (aliases included)."""
    return [*_READ, *_state_fields(), *_PULSE, *ALIASES]


def _expand(names, what):
    import difflib

    if isinstance(names, str):
        names = (names,)
    out = []
    for name in names:
        if not isinstance(name, str):
            raise TypeError(f"{what} must be names of quantities, got {name!r}")
        known = valid_names()
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ValueError(f"{what}: unknown quantity {name!r}{hint} (valid: "
                             f"{', '.join(known)})")
        out += [n for n in ALIASES.get(name, (name,)) if n not in out]
    return out


def _spec(name, dims, prefix=""):
    if name in _READ:
        units, long_name = _READ[name]
        return VariableSpec(prefix + name, dims, np.dtype(np.float64), units, long_name,
                            ("read", name))
    if name in _PULSE:
        dtype, units, long_name = _PULSE[name]
        return VariableSpec(name, ("device", "step"), np.dtype(dtype), units, long_name,
                            ("pulse", name))
    dtype, units, long_name = _state_fields()[name]
    return VariableSpec(prefix + name, dims, np.dtype(dtype), units, long_name,
                        ("state", name))


def record_variables(record, record_steps=()):
    """The variables recorded for ``record`` and ``record_steps``.

    Parameters
    ----------
    record : iterable of str
        Read quantities (conductance, resistance, current, threshold_voltage) and state
        fields (u_a, sigma, t_melt, t_prog, cycles, fault) are recorded at each Read, dims
        (device, read); pulse quantities (power, interface_temperature, hotspot_temperature,
        energy, melted) after each pulse, dims (device, step). Aliases: V_th, G, R,
        temperatures (interface and hot-spot temperature).
    record_steps : bool or iterable of str
        Read quantities and state fields recorded after every pulse as ``step_<name>``,
        dims (device, step); True means those of ``record``.

    Returns
    -------
    list of VariableSpec
    """
    names = _expand(record, "record")
    if record_steps is True:
        step_names = [n for n in names if n not in _PULSE]
    else:
        step_names = _expand(record_steps or (), "record_steps")
    specs = [_spec(n, ("device", "read")) for n in names]
    for n in step_names:
        spec = _spec(n, ("device", "step"), "step_")
        if spec.name not in [s.name for s in specs]:
            specs.append(spec)
    return specs


def scale_variables(arrays):
    """VariableSpecs of the per-cell scale arrays of a protocol (``scale_step<i>``)."""
    return [VariableSpec(name, ("device",), np.dtype(np.float64), "1",
                         f"per-cell amplitude factor of protocol step {name[10:]}",
                         ("scale", name)) for name in arrays]


@dataclasses.dataclass(frozen=True)
class Layout:
    """Shapes of a run: cells, chunking, reads, pulses and the recorded variables."""

    n_devices: int
    chunk_devices: int
    n_reads: int
    n_steps: int
    variables: tuple

    def shape(self, dims):
        sizes = {"device": self.n_devices, "read": self.n_reads, "step": self.n_steps}
        return tuple(sizes[d] for d in dims)

    @property
    def n_chunks(self):
        return -(-self.n_devices // self.chunk_devices)

    def chunk_slice(self, index):
        start = index * self.chunk_devices
        return slice(start, min(start + self.chunk_devices, self.n_devices))

    def coord_names(self, dim):
        return [k for k, v in COORDS.items() if v[0] == dim and k != "device"]


# ---------------------------------------------------------------------- provenance
@functools.lru_cache(maxsize=1)
def git_revision():
    """Commit of the pcmphys checkout (``+dirty`` if tracked files changed), or "unknown"."""
    root = pathlib.Path(__file__).resolve().parent.parent
    if not (root / ".git").exists():
        return "unknown (not a git checkout)"
    try:
        rev = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True,
                             text=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "--no-optional-locks", "-C", str(root), "status",
                                "--porcelain", "--untracked-files=no"], capture_output=True,
                               text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown (git not available)"
    return rev + ("+dirty" if dirty else "")


def _versions():
    import xarray
    import zarr

    return {"pcmphys_version": __version__, "python_version": platform.python_version(),
            "numpy_version": np.__version__, "xarray_version": xarray.__version__,
            "zarr_version": zarr.__version__}


def fingerprint(params, protocol, seed, layout, backend, encoding, zarr_format):
    """What makes two runs write the same store (compared when resuming); JSON-able dict."""
    from pcmphys.protocol import scale_arrays

    digest = hashlib.sha256(protocol.to_toml(arrays="refs").encode())
    for name, arr in scale_arrays(protocol).items():
        digest.update(name.encode() + np.ascontiguousarray(arr, "<f8").tobytes())
    return {"n_devices": layout.n_devices, "chunk_devices": layout.chunk_devices,
            "seed": int(seed), "backend": backend,
            "parameter_set_sha256": hashlib.sha256(params.to_toml().encode()).hexdigest(),
            "protocol_sha256": digest.hexdigest(),
            "variables": [s.name for s in layout.variables],
            "encoding": dataclasses.asdict(encoding), "zarr_format": int(zarr_format)}


def provenance_attrs(params, protocol, seed, layout, backend, requested_backend, encoding=None,
                     zarr_format=None):
    """Root attributes of a results Dataset (the provenance described in the module docstring).

    Returns
    -------
    dict
        JSON-serialisable: title, schema marker, ``complete``, seed, backend, cell counts,
        parameter set (TOML text, name, references, citations as bibtex), protocol (TOML
        text with scale arrays as references to the ``scale_step<i>`` variables), recorded
        variables, versions, git revision, creation time (UTC).
    """
    attrs = {
        "title": f"pcmphys Monte Carlo run: {layout.n_devices} cells, {layout.n_reads} reads",
        "pcmphys_results": SCHEMA, "complete": False, "seed": int(seed),
        "backend": backend, "backend_requested": str(requested_backend),
        "n_devices": layout.n_devices, "chunk_devices": layout.chunk_devices,
        "parameter_set_name": params.name, "parameter_set": params.to_toml(),
        "references": ", ".join(params.references()), "citations": params.citations(),
        "protocol_name": getattr(protocol, "name", "") or "",
        "protocol": protocol.to_toml(arrays="refs"),
        "recorded": ", ".join(s.name for s in layout.variables if s.source[0] != "scale"),
        "git_revision": git_revision(),
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "time_origin": "time is the population clock [s]; 0 is the start of the protocol",
        **_versions(),
    }
    if encoding is not None:
        attrs["encoding"] = json.dumps(dataclasses.asdict(encoding))
        attrs["zarr_format"] = int(zarr_format)
        attrs["pcmphys_run"] = json.dumps(fingerprint(params, protocol, seed, layout, backend,
                                                      encoding, zarr_format))
    return attrs


# ---------------------------------------------------------------------- in-memory Dataset
def coordinate_variables(layout, coords):
    """xarray coordinate tuples ``name: (dims, values, attrs)`` for the given values."""
    out = {"device": ("device", np.arange(layout.n_devices, dtype=np.int64),
                      _attrs("device"))}
    for name, values in coords.items():
        dim, dtype, _, _ = COORDS[name]
        out[name] = (dim, np.asarray(values, dtype=dtype), _attrs(name))
    return out


def _attrs(coord):
    _, _, units, long_name = COORDS[coord]
    return {"units": units, "long_name": long_name}


def build_dataset(layout, data, coords, attrs):
    """An in-memory xarray Dataset from full-size arrays ``data[name]``."""
    import xarray as xr

    variables = {s.name: (s.dims, data[s.name], {"units": s.units, "long_name": s.long_name})
                 for s in layout.variables}
    return xr.Dataset(variables, coords=coordinate_variables(layout, coords), attrs=attrs)


# ---------------------------------------------------------------------- store inspection
def _is_zarr(path):
    return (path / "zarr.json").is_file() or (path / ".zgroup").is_file()


def store_status(path):
    """What is at ``path``: "absent", "empty", "foreign", "complete" or "incomplete"."""
    path = pathlib.Path(path)
    if not path.exists():
        return "absent"
    if path.is_dir() and not any(path.iterdir()):
        return "empty"
    if not path.is_dir() or not _is_zarr(path):
        return "foreign"
    attrs = _root_attrs(path)
    if attrs.get("pcmphys_results") != SCHEMA:
        return "foreign"
    return "complete" if attrs.get("complete") is True else "incomplete"


def _root_attrs(path):
    import zarr

    try:
        return dict(zarr.open_group(str(path), mode="r", use_consolidated=False).attrs)
    except Exception:  # unreadable metadata: not ours to interpret
        return {}


def chunks_done(group, n_chunks):
    """Indices of the chunks marked done in ``_progress/chunks``."""
    try:
        marks = group[PROGRESS][...]
    except KeyError:
        return set()
    return {int(i) for i in np.flatnonzero(marks[:n_chunks])}


# ---------------------------------------------------------------------- writer
class ResultsStore:
    """A zarr store being written: template, per-chunk region writes, complete flag.

    Create one with :meth:`create` (new store) or :meth:`reopen` (resume).
    """

    def __init__(self, path, group, layout, encoding):
        self.path, self.group, self.layout, self.encoding = path, group, layout, encoding
        from pcmphys.storage import writable

        self._arrays = {s.name: writable(group[s.name]) for s in layout.variables}
        self._progress = writable(group[PROGRESS])

    @classmethod
    def create(cls, path, layout, coords, attrs, encoding, zarr_format=3, sharding=None):
        """Write the template: root attributes, every array (unwritten chunks are fill
        values), the coordinates and the progress marks; returns the writer."""
        import zarr

        from pcmphys.storage import create_array, store_schema, writable

        path = pathlib.Path(path)
        _remove_store(path)
        group = zarr.open_group(str(path), mode="w", zarr_format=zarr_format, attributes=attrs)
        coord_vars = coordinate_variables(layout, coords)
        per_dim = {d: " ".join(layout.coord_names(d)) for d in ("read", "step")}
        for spec in layout.variables:
            extra = " ".join(per_dim[d] for d in spec.dims if d in per_dim)
            create_array(group, spec.name, spec.dims, layout.shape(spec.dims), spec.dtype,
                         {"units": spec.units, "long_name": spec.long_name,
                          **({"coordinates": extra} if extra else {})},
                         encoding, layout.chunk_devices, sharding)
        for name, (dim, values, attrs_) in coord_vars.items():
            arr = create_array(group, name, (dim,), values.shape, values.dtype, attrs_,
                               Encoding.lossless(), max(len(values), 1), False)
            writable(arr)[...] = values
        progress = group.require_group("_progress")
        progress.create_array("chunks", shape=(layout.n_chunks,), chunks=(1,), dtype="u1",
                              fill_value=0, config={"write_empty_chunks": True})
        group.attrs["pcmphys_schema"] = json.dumps(store_schema(group))
        return cls(path, group, layout, encoding)

    @classmethod
    def reopen(cls, path, layout, encoding):
        """Open an interrupted store for resuming; None when its template was never
        finished (no chunk can have been written, so it is simply started again)."""
        import zarr

        group = zarr.open_group(str(path), mode="r+", use_consolidated=False)
        if PROGRESS not in group:       # the progress marks are the template's last array
            return None
        missing = [s.name for s in layout.variables if s.name not in group]
        if missing:
            raise ResultsError(f"{path}: the store lacks the arrays {', '.join(missing)}; "
                               "start again with overwrite=True")
        if "pcmphys_schema" not in group.attrs:  # stopped just before recording it
            from pcmphys.storage import store_schema

            group.attrs["pcmphys_schema"] = json.dumps(store_schema(group))
        return cls(pathlib.Path(path), group, layout, encoding)

    def coords(self):
        """Coordinate values stored in the template (for the consistency check)."""
        names = self.layout.coord_names("read") + (self.layout.coord_names("step")
                                                   if self.layout.n_steps else [])
        return {n: self.group[n][...].tolist() for n in names if n in self.group}

    def done(self):
        return chunks_done(self.group, self.layout.n_chunks)

    def write_chunk(self, index, data):
        """Write chunk ``index`` (arrays of its cells, computed dtypes), then mark it done."""
        region = self.layout.chunk_slice(index)
        for spec in self.layout.variables:
            values = data[spec.name]
            target = self._arrays[spec.name]
            target[region] = self.encoding.apply(values, target.dtype)
        self._progress[index] = 1

    def note_resume(self):
        self.group.attrs["resumed"] = list(self.group.attrs.get("resumed", [])) + [
            datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")]

    def finish(self):
        """Set the ``complete`` flag (the last data write), then consolidate the metadata."""
        from pcmphys.storage import consolidate

        missing = set(range(self.layout.n_chunks)) - self.done()
        if missing:
            raise ResultsError(f"{self.path}: chunks {sorted(missing)[:5]} are not written")
        self.group.attrs["complete"] = True
        consolidate(self.path, self.group)


def _remove_store(path):
    """Remove the store at ``path`` (the caller holds its lock and checked it is ours): it is
    first renamed away, so the path never holds a half-removed store."""
    if path.parent.is_dir():  # left by writers killed while removing
        prefix = f".{path.name}.removing-"
        for left in [p for p in path.parent.iterdir() if p.name.startswith(prefix)]:
            shutil.rmtree(left, ignore_errors=True)
    if not path.exists():
        return
    trash = path.with_name(f".{path.name}.removing-{os.getpid()}")
    path.rename(trash)
    shutil.rmtree(trash)


# ---------------------------------------------------------------------- reading
def _dask_available():
    import importlib.util

    return importlib.util.find_spec("dask") is not None


def open_results(path, allow_incomplete=False, chunks="default", verify="cheap"):
    """Open a results store lazily (dask arrays when dask is installed).

    Parameters
    ----------
    path : str or os.PathLike
        Zarr store written by :func:`pcmphys.simulate` (or :func:`export_results`).
    allow_incomplete : bool
        Open an interrupted run; unwritten cells hold NaN (0 for integer variables).
    chunks : "default", dict or None
        Passed to :func:`xarray.open_zarr`; "default" uses the on-disk chunks with dask, or
        lazy non-dask arrays without it.
    verify : {"cheap", "full", False}
        Integrity check before anything is read. "cheap" (default): every array exists with
        the shape, dtype, dims and chunking recorded when the store was created, every chunk
        (shard) file exists and every shard index is intact and complete; one small read per
        shard. "full": also decodes every chunk, checking its crc32c (reads the whole store).
        False: no check (a damaged chunk may then read as fill values). Incomplete stores
        are checked in the regions marked done.

    Returns
    -------
    xarray.Dataset

    Raises
    ------
    ResultsError
        No store at ``path``.
    ForeignStoreError
        ``path`` is not a zarr store written by pcmphys.
    IncompleteResultsError
        The run was interrupted (resume it with ``simulate(..., store=path, resume=True)``).
    CorruptResultsError
        The store is damaged (names the variable and the chunk).
    """
    import xarray as xr

    path = pathlib.Path(path)
    status = store_status(path)
    if status in ("absent", "empty"):
        raise ResultsError(f"no results store at {str(path)!r}")
    if status == "foreign":
        raise ForeignStoreError(
            f"{str(path)!r} is not a pcmphys results store (no '{SCHEMA}' zarr group); it "
            "was not written by pcmphys.simulate")
    if status == "incomplete" and not allow_incomplete:
        raise IncompleteResultsError(_incomplete_message(path))
    if verify not in ("cheap", "full", False, None):
        raise ValueError(f"verify must be 'cheap', 'full' or False, got {verify!r}")
    if verify:
        verify_results(path, verify)
    if chunks == "default":
        chunks = {} if _dask_available() else None
    attrs = _root_attrs(path)
    ds = xr.open_zarr(str(path), chunks=chunks, consolidated=False,
                      zarr_format=attrs.get("zarr_format"), decode_timedelta=False,
                      decode_times=False)
    recorded = [n.strip() for n in str(attrs.get("recorded", "")).split(",") if n.strip()]
    order = [n for n in recorded if n in ds.data_vars]
    ds = ds[order + sorted(n for n in ds.data_vars if n not in order)]
    small = {k: v.load() for k, v in ds.coords.items() if v.ndim == 1 and k != "device"}
    return ds.assign_coords(small)


def verify_results(path, level="cheap"):
    """Check the store at ``path`` against the schema recorded when it was created (see
    :func:`open_results`); raises :class:`CorruptResultsError`."""
    import zarr

    from pcmphys.storage import verify_store

    path = pathlib.Path(path)
    group = zarr.open_group(str(path), mode="r", use_consolidated=False)
    attrs = dict(group.attrs)
    try:
        schema = json.loads(attrs["pcmphys_schema"])
    except KeyError:  # written before schemas were recorded: check the recorded variables
        if attrs.get("complete") is not True:
            return  # an interrupted template: no region was written (resume starts it again)
        recorded = [n.strip() for n in str(attrs.get("recorded", "")).split(",") if n.strip()]
        missing = [n for n in recorded if n not in group]
        if missing:
            raise CorruptResultsError(path, missing[0], None, "the array (or its metadata) "
                                      "is missing") from None
        return
    except (TypeError, ValueError):
        raise CorruptResultsError(path, "pcmphys_schema", None, "the recorded schema is not "
                                  "valid JSON") from None
    if not isinstance(schema, dict) or not all(isinstance(v, dict) for v in schema.values()):
        raise CorruptResultsError(path, "pcmphys_schema", None, "the recorded schema is "
                                  "malformed")
    written = None  # every region
    if attrs.get("complete") is not True:
        size = max(int(attrs.get("chunk_devices", 1)), 1)
        written = (size, chunks_done(group, -(-int(attrs.get("n_devices", 0)) // size)))
    verify_store(path, group, schema, level, written)


def _incomplete_message(path):
    import zarr

    group = zarr.open_group(str(path), mode="r", use_consolidated=False)
    n = int(group.attrs.get("n_devices", 0))
    size = max(int(group.attrs.get("chunk_devices", 1)), 1)
    total = -(-n // size)
    done = len(chunks_done(group, total))
    return (f"{str(path)!r} holds an interrupted run ({done} of {total} chunks written); "
            f"continue it with pcm.simulate(..., store={str(path)!r}, resume=True), or open "
            "it as it is with open_results(path, allow_incomplete=True)")


def export_results(source, destination, zarr_format=2, encoding=None, overwrite=False):
    """Copy a complete results store to another zarr format or encoding, chunk by chunk.

    Parameters
    ----------
    source, destination : str or os.PathLike
    zarr_format : {2, 3}
    encoding : str, dict or Encoding, optional
        Storage encoding of the copy (default: the source's).
    overwrite : bool
        Replace an existing pcmphys store at ``destination``.

    Returns
    -------
    pathlib.Path
        The destination.
    """
    from pcmphys.storage import copy_store
    from pcmphys.storelock import StoreLock

    src = pathlib.Path(source)
    if store_status(src) != "complete":
        open_results(src)  # raises the right error
    verify_results(src, "cheap")
    with StoreLock(destination, "export") as lock:
        check_writable(destination, overwrite=overwrite, resume=False, stale=lock.stale)
        lock.claim()
        return copy_store(src, pathlib.Path(destination), int(zarr_format), encoding)


def check_writable(path, overwrite, resume, stale=None, warn=True):
    """Raise unless ``path`` may be written (absent, empty, or a pcmphys store that
    ``overwrite`` / ``resume`` allows). Returns the store status.

    ``stale`` is the holder recorded in a lock that its writer never released (it died,
    :attr:`pcmphys.storelock.StoreLock.stale`): the messages then say that the store was left
    by that writer, and (``warn``) taking it over with ``resume`` / ``overwrite`` warns."""
    from pcmphys.storelock import describe_holder

    status = store_status(path)
    left = ("" if stale is None else
            f" (left by {describe_holder(stale)}, which stopped without releasing its lock)")
    if status == "foreign":
        raise StoreExistsError(f"{str(path)!r} exists and is not a pcmphys results store"
                               f"{left}; refusing to overwrite it (remove it yourself or "
                               "choose another path)")
    if status == "complete" and not (overwrite or resume):
        raise StoreExistsError(f"{str(path)!r} already holds a complete run; pass "
                               "overwrite=True to replace it, or choose another path")
    if status == "incomplete" and not (overwrite or resume):
        raise StoreExistsError(f"{str(path)!r} holds an interrupted run{left}; pass "
                               "resume=True to continue it or overwrite=True to start again")
    if stale is not None and warn:
        warn_stale(path, stale, status, resume)
    return status


def warn_stale(path, stale, status, resume):
    """Warn that the stale lock of ``stale`` (a dead writer) is taken over."""
    import warnings

    from pcmphys.storelock import StaleLockWarning, describe_holder

    action = ("continuing its interrupted run" if resume and status == "incomplete" else
              "replacing the store" if status in ("complete", "incomplete") else
              "writing a new store")
    warnings.warn(f"{str(path)!r}: taking over the stale lock of {describe_holder(stale)}, "
                  f"which stopped without releasing it; {action}", StaleLockWarning,
                  stacklevel=5)
