"""simulate(): run a protocol on a population in device chunks, record, stream to zarr.

Orchestration only: every cell update is a
:class:`~pcmphys.population.Population` call. A chunk is a Population with
``device_offset`` = its first cell, run through the whole protocol, so the results do not
depend on the chunk size (every draw is keyed on the global cell index); with a store, only
one chunk's data is in memory at a time.
"""
from __future__ import annotations

import dataclasses
import json
import pathlib
import sys
import types

import numpy as np

from pcmphys.protocol import (
    ProtocolError,
    Pulse,
    PulseTrain,
    Read,
    Wait,
    read_origin,
    scale_arrays,
    scaled_groups,
)
from pcmphys.protocol import check_int as _check_int

__all__ = ["simulate"]

#: memory budget of one chunk's recorded data [bytes] (CPU backends / cupy)
CHUNK_BUDGET = {"cpu": 128 * 2 ** 20, "cupy": 1024 * 2 ** 20}
#: chunk sizes are multiples of this (the inner zarr chunk), and at most MAX_CHUNK
CHUNK_QUANTUM, MAX_CHUNK = 8192, 2 ** 22


def simulate(params, protocol, n_devices, seed, backend="auto", record=("conductance",),
             store=None, chunk_devices=None, progress=True, *, record_steps=(), resume=False,
             overwrite=False, encoding="default", zarr_format=3, sharding=None):
    """Run ``protocol`` on ``n_devices`` cells and record chosen quantities.

    Parameters
    ----------
    params : ParameterSet or str
        Parameter set, or a name/path for :meth:`ParameterSet.load`.
    protocol : PulseTrain, Protocol, list of steps, or str / os.PathLike
        Steps, or a TOML protocol file (or text) for :meth:`PulseTrain.from_toml`. Per-cell
        scale arrays of a :class:`~pcmphys.protocol.Protocol` must have ``n_devices`` values.
    n_devices : int
        Number of cells (>= 1).
    seed : int
        Seed of the counter RNG (0 <= seed < 2**64).
    backend : str
        "numpy", "host", "cupy" or "auto" (recorded in the attributes).
    record : iterable of str
        Quantities recorded at each Read, dims (device, read): conductance [S], resistance
        [Ohm], current [A], threshold_voltage [V] (alias V_th), and state fields u_a [m],
        sigma, t_melt [s], t_prog [s], cycles, fault. Pulse quantities power [W],
        interface_temperature [K], hotspot_temperature [K] (alias temperatures), energy [J],
        melted are recorded after each pulse, dims (device, step).
    store : str or os.PathLike, optional
        Zarr store to stream to; the return value is then opened lazily from it. None keeps
        everything in memory.
    chunk_devices : int, optional
        Cells simulated together (default: about 128 MiB of recorded data, a multiple of
        8192). The results do not depend on it.
    progress : bool
        Show a tqdm progress bar (cells done).
    record_steps : bool or iterable of str
        Read quantities / state fields also recorded after every pulse, as ``step_<name>``
        with dims (device, step) (True: those of ``record``). Any per-pulse recording runs
        repeated pulses one by one instead of fused.
    resume : bool
        Continue the interrupted run in ``store`` (same arguments); a complete store is
        returned as it is. The result equals that of an uninterrupted run.
    overwrite : bool
        Replace an existing pcmphys store at ``store``.
    encoding : str, dict or Encoding
        "default" (lossless, blosc-zstd), "compact" (float32, 12 mantissa bits kept) or a
        dict of :class:`~pcmphys.storage.Encoding` fields (``{"preset": "compact",
        "compressor": "zstd"}``).
    zarr_format : {3, 2}
    sharding : bool, optional
        One zarr shard per chunk of cells (zarr v3; default on).

    Returns
    -------
    xarray.Dataset
        dims (device, read) [and step]; coords device, time [s], event, time_since_pulse
        [s], read_voltage [V], read_temperature [K]; provenance attributes (see
        :mod:`pcmphys.results`). The accessor ``ds.pcm`` offers drift fits, statistics and plots.

    Raises
    ------
    ProtocolError
        Bad protocol (names the step).
    StoreExistsError
        ``store`` holds a complete run (pass overwrite=True), an interrupted one (pass
        resume=True or overwrite=True), or something that is not a pcmphys store.
    ResultsError
        ``resume=True`` on a store started with other arguments (the message lists them).
    """
    from pcmphys.backends import get_backend
    from pcmphys.results import record_variables, resolve_encoding

    params = _as_params(params)
    protocol = _as_protocol(protocol)
    n_devices = _check_int("n_devices", n_devices, 1, 2 ** 40)
    seed = _check_int("seed", seed, 0, 2 ** 64 - 1)
    if zarr_format not in (2, 3):
        raise ValueError(f"zarr_format must be 2 or 3, got {zarr_format!r}")
    if sharding and zarr_format == 2:
        raise ValueError("sharding needs zarr_format=3 (zarr v2 has no shards)")
    be = get_backend(backend)
    enc = resolve_encoding(encoding)
    plan = Plan.build(protocol, record_variables(record, record_steps), n_devices, params)
    if chunk_devices is None and store is not None and resume:
        chunk_devices = _stored_chunk_devices(store)
    layout = plan.layout(_chunk_size(chunk_devices, n_devices, plan, be))
    run = _Run(params, protocol, seed, be, plan, layout, progress)
    if store is None:
        return run.in_memory(backend)
    return run.to_store(pathlib.Path(store), backend, enc, zarr_format, sharding, resume,
                        overwrite)


# ---------------------------------------------------------------------- arguments
def _as_params(params):
    from pcmphys.parameters import ParameterSet

    if isinstance(params, ParameterSet):
        return params
    if isinstance(params, (str, pathlib.Path)):
        return ParameterSet.load(params)
    raise TypeError(f"params must be a ParameterSet or a set name/path, got "
                    f"{type(params).__name__}")


def _as_protocol(protocol):
    if isinstance(protocol, PulseTrain):
        return protocol
    if isinstance(protocol, (str, pathlib.PurePath)):
        return PulseTrain.from_toml(protocol)
    if isinstance(protocol, (list, tuple)):
        return PulseTrain(protocol)
    raise TypeError(f"protocol must be a PulseTrain, a list of steps or a TOML path, got "
                    f"{type(protocol).__name__}")


def _stored_chunk_devices(store):
    from pcmphys.results import _root_attrs, store_status

    if store_status(store) in ("complete", "incomplete"):
        return int(_root_attrs(pathlib.Path(store))["chunk_devices"])
    return None


def _chunk_size(chunk_devices, n_devices, plan, backend):
    """Cells per chunk: as given (clipped to n_devices), or from the memory budget."""
    if chunk_devices is not None:
        return min(_check_int("chunk_devices", chunk_devices, 1, 2 ** 40), n_devices)
    per_device = 64 + sum(np.dtype(s.dtype).itemsize * max(1, plan.columns(s.dims))
                          for s in plan.variables)
    budget = CHUNK_BUDGET["cupy" if backend.name == "cupy" else "cpu"]
    size = max(CHUNK_QUANTUM, budget // per_device // CHUNK_QUANTUM * CHUNK_QUANTUM)
    return min(size, MAX_CHUNK, n_devices)


# ---------------------------------------------------------------------- plan
@dataclasses.dataclass(frozen=True)
class Op:
    """One call sequence on a Population: kind "pulse" (count fused pulses), "wait" or
    "read"; ``index`` is the protocol step index of its (first) step."""

    kind: str
    step: object
    count: int
    scale: object
    index: int


@dataclasses.dataclass(frozen=True)
class Plan:
    """The protocol as Population calls, plus what is recorded where."""

    ops: tuple
    variables: tuple
    scales: dict
    n_devices: int
    n_reads: int
    n_steps: int
    static: dict
    labels: dict = dataclasses.field(default_factory=dict)  # step index -> label
    step_names: tuple = ()  # how errors name each step (as the user numbered them)

    @classmethod
    def build(cls, protocol, variables, n_devices, params):
        from pcmphys.results import scale_variables

        per_pulse = any(s.dims == ("device", "step") for s in variables)
        ops, reads, pulses = [], [], []
        for step, count, scale, first in scaled_groups(protocol):
            if isinstance(step, Pulse):
                runs = [(1, first + k) for k in range(count)] if per_pulse else [(count, first)]
                ops += [Op("pulse", step, c, scale, i) for c, i in runs]
                pulses += range(first, first + count)
            elif isinstance(step, Wait):
                ops.append(Op("wait", step, 1, None, first))
            else:
                ops.append(Op("read", step, 1, None, first))
                reads.append((first, step))
        scales = scale_arrays(protocol)
        for name, arr in scales.items():
            if arr.shape != (n_devices,):
                where = protocol.step_name(int(name[10:]))
                raise ProtocolError(f"protocol {where}: the scale array has {arr.size} "
                                    f"values, but n_devices = {n_devices}")
        if any(s.dims == ("device", "read") for s in variables) and not reads:
            raise ProtocolError("the protocol has no Read step, so nothing is recorded at "
                                "reads; add Read steps or record pulse quantities only")
        if per_pulse and not pulses:
            raise ProtocolError("per-pulse quantities are recorded, but the protocol has no "
                                "Pulse step")
        if not variables:
            raise ValueError("record names no quantity")
        ambient = params.thermal.ambient_temperature
        static = {"read_voltage": [r.voltage for _, r in reads],
                  "read_temperature": [ambient if r.temperature is None else r.temperature
                                       for _, r in reads],
                  "read_protocol_step": [i for i, _ in reads],
                  "step_protocol_step": pulses if per_pulse else []}
        labels = {v: k for k, v in (getattr(protocol, "labels", None) or {}).items()}
        names = tuple(protocol.step_name(i) for i in range(len(protocol.steps)))
        return cls(tuple(ops), tuple(variables) + tuple(scale_variables(scales)), scales,
                   n_devices, len(reads), len(pulses) if per_pulse else 0, static, labels,
                   names)

    def columns(self, dims):
        return {("device", "read"): self.n_reads, ("device", "step"): self.n_steps}.get(
            tuple(dims), 1)

    def layout(self, chunk_devices):
        from pcmphys.results import Layout

        return Layout(self.n_devices, chunk_devices, self.n_reads, self.n_steps,
                      self.variables)

    def dims_used(self):
        return {d for s in self.variables for d in s.dims}

    def coordinates(self, timeline):
        """Coordinates of the used dims: the static ones and a chunk's ``timeline``."""
        names = [k for k in (*self.static, *timeline)
                 if (k.startswith("step_") and "step" in self.dims_used())
                 or (not k.startswith("step_") and "read" in self.dims_used())]
        both = {**self.static, **timeline}
        return {k: both[k] for k in names}


# ---------------------------------------------------------------------- one chunk
def run_chunk(params, plan, seed, backend, region, tick=None):
    """Run the whole protocol on the cells ``region`` (a slice of global indices).

    Returns
    -------
    data : dict of str -> ndarray
        Recorded arrays of the chunk's cells (computed dtypes).
    timeline : dict of str -> list
        ``time``, ``event``, ``time_since_pulse`` per read, ``step_time``, ``step_event`` per
        recorded pulse; identical for every chunk.
    """
    from pcmphys.population import Population

    n = region.stop - region.start
    pop = Population(params, n, seed, backend, device_offset=region.start)
    data = {}
    for spec in plan.variables:
        if spec.source[0] == "scale":
            data[spec.name] = np.asarray(plan.scales[spec.source[1]][region])
        else:
            cols = plan.columns(spec.dims)
            data[spec.name] = np.empty((n, cols), spec.dtype)
    timeline = {"time": [], "event": [], "time_since_pulse": [], "last_pulse_end": [],
                "step_time": [], "step_event": []}
    last_pulse_end = pop.clock
    marks = {"": pop.clock}  # label -> end of the labelled step; "" -> protocol start
    weight = n / max(1, sum(op.count for op in plan.ops))
    for op in plan.ops:
        if op.kind == "pulse":
            _pulse(pop, op, plan, data, timeline, region)
            last_pulse_end = pop.clock
        elif op.kind == "wait":
            pop.wait(op.step.duration, op.step.temperature)
        else:
            _read(pop, op, plan, data, timeline, last_pulse_end, marks)
        label = plan.labels.get(op.index + op.count - 1)
        if label is not None:
            marks[label] = pop.clock
        if tick is not None:
            tick(op.count * weight)
    return data, timeline


def _pulse(pop, op, plan, data, timeline, region):
    specs = [s for s in plan.variables if s.dims == ("device", "step")]
    scale = None if op.scale is None else op.scale[region]
    if not specs:
        pop.apply(op.step, scale=scale, repeat=op.count)
        return
    column = len(timeline["step_time"])
    event = pop.event
    diag = pop.apply(op.step, scale=scale, diagnostics=any(s.source[0] == "pulse"
                                                            for s in specs))
    timeline["step_time"].append(pop.clock)
    timeline["step_event"].append(event)
    _record(pop, specs, column, data, Read(), diag)


def _read(pop, op, plan, data, timeline, last_pulse_end, marks):
    step = op.step
    if step.at is not None:
        origin = read_origin(step, marks[""], last_pulse_end, marks)
        target = origin + step.at
        if target < pop.clock:
            reference = {"last_pulse": "the end of the last pulse",
                         "start": "the protocol start"}.get(step.since,
                                                             f"the end of step {step.since!r}")
            raise ProtocolError(
                f"protocol {plan.step_names[op.index]}: Read(at={step.at!r} s) lies before "
                f"the current time (t = {pop.clock!r} s, the reference ended at {origin!r} "
                f"s); 'at' is measured from {reference} and must not go back in time")
        pop.wait(target - pop.clock)
    column = len(timeline["time"])
    timeline["time"].append(pop.clock)
    timeline["event"].append(pop.event)
    timeline["time_since_pulse"].append(pop.clock - last_pulse_end)
    timeline["last_pulse_end"].append(last_pulse_end)
    specs = [s for s in plan.variables if s.dims == ("device", "read")]
    _record(pop, specs, column, data, step, None)


def _record(pop, specs, column, data, read, diag):
    """Fill column ``column`` of each spec's array: reads, state fields or diagnostics."""
    state = None
    for spec in specs:
        kind, what = spec.source
        if kind == "read":
            values = pop.backend.to_numpy(pop.read(read.voltage, read.temperature, what))
        elif kind == "state":
            state = pop.state() if state is None else state
            values = state[what]
        else:
            values = diag[what]
        data[spec.name][:, column] = values


# ---------------------------------------------------------------------- runs
class _Run:
    """A simulate() call: chunk loop, progress bar, in-memory or store output."""

    def __init__(self, params, protocol, seed, backend, plan, layout, progress):
        self.params, self.protocol, self.seed, self.backend = params, protocol, seed, backend
        self.plan, self.layout, self.progress = plan, layout, progress

    def _bar(self, initial):
        from tqdm.auto import tqdm

        return tqdm(total=self.layout.n_devices, initial=initial, unit="cell",
                    unit_scale=True, desc="simulate", disable=None if self.progress else True,
                    smoothing=0.1)

    def _chunk(self, index, bar):
        region = self.layout.chunk_slice(index)
        before = bar.n
        data, timeline = run_chunk(self.params, self.plan, self.seed, self.backend, region,
                                   bar.update)
        bar.n = before + (region.stop - region.start)  # exact count despite float ticks
        bar.refresh()
        return data, self.plan.coordinates(timeline)

    def _attrs(self, requested, encoding=None, zarr_format=None):
        from pcmphys.results import provenance_attrs

        return provenance_attrs(self.params, self.protocol, self.seed, self.layout,
                                self.backend.name, requested, encoding, zarr_format)

    def in_memory(self, requested):
        """Run every chunk into full-size arrays; returns an in-memory Dataset."""
        from pcmphys.results import build_dataset

        full = {s.name: np.empty(self.layout.shape(s.dims), s.dtype)
                for s in self.layout.variables}
        reference = None
        with self._bar(0) as bar:
            for index in range(self.layout.n_chunks):
                data, coords = self._chunk(index, bar)
                reference = _same_timeline(reference, coords)
                for name, values in data.items():
                    full[name][self.layout.chunk_slice(index)] = values
        attrs = self._attrs(requested)
        attrs["complete"] = True
        return build_dataset(self.layout, full, reference, attrs)

    def to_store(self, path, requested, encoding, zarr_format, sharding, resume, overwrite):
        """Stream chunk by chunk to the zarr store ``path``; returns it opened lazily.

        The store's lock is held from before the first check to the last write, so a second
        writer fails at once with StoreLockedError and never sees a half-made store."""
        from pcmphys.results import open_results
        from pcmphys.storelock import StoreLock

        # the attributes first: they run git, which must not be forked while the lock is held
        attrs = self._attrs(requested, encoding, zarr_format)
        with StoreLock(path, "simulate") as lock:
            self._write(path, lock, attrs, encoding, zarr_format, sharding, resume, overwrite)
        return open_results(path)

    def _write(self, path, lock, attrs, encoding, zarr_format, sharding, resume, overwrite):
        from pcmphys.results import ResultsStore, check_writable

        status = check_writable(path, overwrite, resume, stale=lock.stale, warn=False)
        writer, reference, done = None, None, set()
        if resume and status in ("complete", "incomplete"):
            _check_same_run(path, attrs)
        _take_over(path, lock, status, resume)
        if resume and status in ("complete", "incomplete"):
            if status == "complete":
                return
            writer = ResultsStore.reopen(path, self.layout, encoding)
            if writer is not None:
                reference, done = writer.coords(), writer.done()
                writer.note_resume()
        initial = sum(self.layout.chunk_slice(i).stop - self.layout.chunk_slice(i).start
                      for i in done)
        with self._bar(initial) as bar:
            for index in range(self.layout.n_chunks):
                if index in done:
                    continue
                data, coords = self._chunk(index, bar)
                if writer is None:
                    writer = ResultsStore.create(path, self.layout, coords, attrs, encoding,
                                                 zarr_format, sharding)
                reference = _same_timeline(reference, coords)
                writer.write_chunk(index, data)
                del data
        writer.finish()


def _same_timeline(reference, coords):
    """The first chunk's coordinates; later chunks must match them exactly."""
    if reference is None:
        return coords
    for name, values in coords.items():
        if list(reference.get(name, [])) != list(values):
            raise RuntimeError(f"internal error: coordinate {name!r} differs between chunks "
                               "(the timeline must not depend on the cells)")
    return reference


def _take_over(path, lock, status, resume):
    """The store may be written: claim the lock (warning if it was stale)."""
    from pcmphys.results import warn_stale

    if lock.stale is not None:
        warn_stale(path, lock.stale, status, resume)
    lock.claim()


def _check_same_run(path, attrs):
    """Raise unless the store at ``path`` was started with the same run arguments."""
    from pcmphys.results import ResultsError, _root_attrs

    stored = json.loads(_root_attrs(path).get("pcmphys_run", "{}"))
    wanted = json.loads(attrs["pcmphys_run"])
    differ = sorted(k for k in set(stored) | set(wanted) if stored.get(k) != wanted.get(k))
    if differ:
        detail = "; ".join(f"{k}: store {stored.get(k)!r}, now {wanted.get(k)!r}"
                           for k in differ)
        raise ResultsError(f"{str(path)!r} holds a run with different arguments ({detail}); "
                           "resume with the original arguments, or pass overwrite=True "
                           "without resume to start again")


class _CallableModule(types.ModuleType):
    """``import pcmphys.simulate`` binds the submodule to the package attribute that the
    public API uses for the function; calling the module calls :func:`simulate`, so
    ``pcmphys.simulate(...)`` works whatever was imported first."""

    def __call__(self, *args, **kwargs):
        return simulate(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
