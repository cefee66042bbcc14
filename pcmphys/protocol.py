"""Typed protocol steps: Pulse, Read, Wait, PulseTrain and Protocol (data only, SI units).

TOML reading and writing live in :mod:`pcmphys.protocol_toml` (PulseTrain.to_toml, .save,
.from_toml delegate there).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

#: allowed ranges of pulse quantities: name -> (unit, lo, hi)
_LIMITS = {
    "current": ("A", 0.0, 0.1),
    "voltage": ("V", 0.0, 100.0),
    "width": ("s", 0.0, 1e3),
    "rise_time": ("s", 0.0, 1e3),
    "fall_time": ("s", 0.0, 1e3),
    "temperature": ("K", 1.0, 2000.0),
    "duration": ("s", 0.0, 1e12),
    "at": ("s", 0.0, 1e12),
    "read_voltage": ("V", 1e-6, 100.0),
    "period": ("s", 0.0, 1e12),
}


class ProtocolError(ValueError):
    """A protocol step has a bad value (the message names it with unit and range)."""


def check_int(name, value, lo, hi):
    """``value`` as an int in [lo, hi]; TypeError / ValueError naming ``name`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer in [{lo}, {hi}], got {value!r}")
    if not lo <= int(value) <= hi:
        raise ValueError(f"{name} = {value} is outside the allowed range [{lo}, {hi}]")
    return int(value)


def check_value(name, value, what=None, limit=None):
    """Validate a scalar against _LIMITS[limit or name]; return it as float."""
    unit, lo, hi = _LIMITS[limit or name]
    label = f"{what}.{name}" if what else name
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ProtocolError(f"{label} must be a number in [{lo:g}, {hi:g}] {unit}, "
                            f"got {value!r}") from None
    if not math.isfinite(v) or v < lo or v > hi:
        raise ProtocolError(f"{label} = {value!r} {unit} is outside the allowed range "
                            f"[{lo:g}, {hi:g}] {unit}")
    return v


@dataclass(frozen=True)
class Pulse:
    """A trapezoidal write pulse.

    Parameters
    ----------
    mode : {"current", "voltage"}
        Current mode (the IBM chip's programming: the current is imposed) or voltage mode
        (threshold switching decides whether anything is written).
    amplitude : float
        Current [A] or voltage [V] of the flat top.
    width : float
        Flat-top width [s].
    rise_time, fall_time : float
        Edge durations [s]; a slow fall recrystallises part of a molten plug.
    temperature : float or None
        Ambient temperature [K]; None uses the parameter set's ambient temperature.
    """

    mode: str
    amplitude: float
    width: float
    rise_time: float = 2e-9
    fall_time: float = 2e-9
    temperature: float | None = None

    def __post_init__(self):
        if self.mode not in ("current", "voltage"):
            raise ProtocolError(f"Pulse.mode must be 'current' or 'voltage', got {self.mode!r}")
        object.__setattr__(self, "amplitude",
                           check_value(self.mode, self.amplitude, "Pulse", self.mode))
        for name in ("width", "rise_time", "fall_time"):
            object.__setattr__(self, name, check_value(name, getattr(self, name), "Pulse"))
        if self.temperature is not None:
            object.__setattr__(self, "temperature",
                               check_value("temperature", self.temperature, "Pulse"))

    @property
    def duration(self):
        """Total duration rise + width + fall [s]."""
        return self.rise_time + self.width + self.fall_time

    @classmethod
    def reset(cls, current=440e-6, width=1e-6, rise_time=2e-9, fall_time=2e-9, temperature=None):
        """A RESET (melt-quench) pulse in current mode; defaults: 440 uA, 1 us (Sebastian 2017)."""
        return cls("current", current, width, rise_time, fall_time, temperature)

    @classmethod
    def set(cls, current=100e-6, width=50e-9, rise_time=2e-9, fall_time=2e-9, temperature=None):
        """A SET (crystallising) pulse in current mode; defaults: 100 uA, 50 ns."""
        return cls("current", current, width, rise_time, fall_time, temperature)

    @classmethod
    def voltage_pulse(cls, voltage, width, rise_time=2e-9, fall_time=2e-9, temperature=None):
        """A voltage-mode pulse of ``voltage`` [V] applied through the series resistance."""
        return cls("voltage", voltage, width, rise_time, fall_time, temperature)


@dataclass(frozen=True)
class Wait:
    """Rest for ``duration`` [s] at ``temperature`` [K] (None: ambient)."""

    duration: float
    temperature: float | None = None

    def __post_init__(self):
        object.__setattr__(self, "duration", check_value("duration", self.duration, "Wait"))
        if self.temperature is not None:
            object.__setattr__(self, "temperature",
                               check_value("temperature", self.temperature, "Wait"))


@dataclass(frozen=True)
class Read:
    """Read ``at`` seconds after the previous pulse (None: now) with ``voltage`` [V] at
    ``temperature`` [K] (None: ambient)."""

    at: float | None = None
    voltage: float = 0.2
    temperature: float | None = None

    def __post_init__(self):
        if self.at is not None:
            object.__setattr__(self, "at", check_value("at", self.at, "Read"))
        object.__setattr__(self, "voltage",
                           check_value("voltage", self.voltage, "Read", "read_voltage"))
        if self.temperature is not None:
            object.__setattr__(self, "temperature",
                               check_value("temperature", self.temperature, "Read"))


@dataclass(frozen=True)
class PulseTrain:
    """An ordered list of Pulse, Wait and Read steps."""

    steps: tuple = field(default_factory=tuple)

    def __init__(self, steps=()):
        steps = tuple(steps)
        for i, s in enumerate(steps):
            if not isinstance(s, (Pulse, Wait, Read)):
                raise ProtocolError(f"PulseTrain step {i} must be a Pulse, Wait or Read, "
                                    f"got {type(s).__name__}")
        object.__setattr__(self, "steps", steps)

    def __len__(self):
        return len(self.steps)

    def __iter__(self):
        return iter(self.steps)

    def __add__(self, other):
        return PulseTrain(self.steps + tuple(other))

    def groups(self):
        """Consecutive identical pulses as (pulse, count) runs; Wait/Read as (step, 1)."""
        out = []
        for s in self.steps:
            if isinstance(s, Pulse) and out and out[-1][0] == s:
                out[-1] = (s, out[-1][1] + 1)
            else:
                out.append((s, 1))
        return out

    def to_toml(self, arrays="inline"):
        """TOML text of the protocol (data, no code); :meth:`from_toml` reads it back exactly.

        Parameters
        ----------
        arrays : {"inline", "refs"}
            How per-cell scale arrays (:class:`Protocol`) are written: as TOML arrays, or as
            ``scale = {ref = "scale_step<i>"}`` references that ``from_toml(arrays=...)``
            resolves (results stores keep the arrays as variables of those names).

        Returns
        -------
        str
        """
        from pcmphys.protocol_toml import protocol_to_toml

        return protocol_to_toml(self, arrays)

    def save(self, path):
        """Write the protocol as TOML to ``path``; scale arrays longer than
        ``INLINE_SCALE_LIMIT`` go to ``<stem>.scale_step<i>.npy`` files beside it."""
        from pcmphys.protocol_toml import save_protocol

        return save_protocol(self, path)

    @classmethod
    def from_toml(cls, path_or_text, arrays=None):
        """Read a protocol from a TOML file or TOML text.

        Parameters
        ----------
        path_or_text : str or os.PathLike
            A path (a ``.toml`` name or an existing file), or the TOML text itself.
        arrays : dict of str -> array_like, optional
            Arrays for ``scale = {ref = "name"}`` entries.

        Returns
        -------
        Protocol
            A PulseTrain carrying per-cell scales, name, description and parameter-set name.

        Raises
        ------
        ProtocolError
            The message names the file, step index, field, unit and allowed range; unknown
            keys come with a close-match suggestion.

        Notes
        -----
        Optional top-level ``name``, ``description``, ``parameters``; then one ``[[step]]``
        table per step with ``type`` =

        - ``"pulse"``: ``mode``, ``current`` [A] or ``voltage`` [V], ``width``,
          ``rise_time``, ``fall_time`` [s], ``temperature`` [K], ``repeat``, ``scale``;
        - ``"reset"`` / ``"set"``: the same with the defaults of Pulse.reset / Pulse.set;
        - ``"wait"``: ``duration`` [s], ``temperature`` [K];
        - ``"read"``: ``at`` [s] (or a list of times), ``voltage`` [V], ``temperature`` [K].

        Values are SI numbers or strings such as ``"440 uA"``, ``"50 ns"``, ``"85 degC"``.
        ``scale`` is a list of per-cell factors [1], ``{file = "cells.npy"}`` (relative to the
        TOML file; loaded without pickle) or ``{ref = "name"}``.
        """
        from pcmphys.protocol_toml import protocol_from_toml

        return protocol_from_toml(path_or_text, arrays)


# ---------------------------------------------------------------------- per-cell scales
class Protocol(PulseTrain):
    """A PulseTrain with optional per-cell amplitude scales and a name.

    Parameters
    ----------
    steps : iterable of Pulse, Wait, Read
    scales : dict of int -> array_like, optional
        Per-cell factor [1] (finite, >= 0) on the amplitude of the Pulse at that step index,
        indexed by global cell index (``scale[k]`` applies to cell k; simulate() slices it per
        chunk). Steps sharing one array object share one stored array.
    name, description : str
        Free text, written to TOML and to the results' provenance.
    parameters : str, optional
        Name or path of the parameter set the protocol is meant for (used by the CLI when
        ``--params`` is not given).
    """

    def __init__(self, steps=(), scales=None, name="", description="", parameters=None):
        super().__init__(steps)
        checked = {}
        for index, values in (scales or {}).items():
            checked[int(index)] = _check_scale(self.steps, index, values)
        object.__setattr__(self, "scales", checked)
        object.__setattr__(self, "name", str(name or ""))
        object.__setattr__(self, "description", str(description or ""))
        object.__setattr__(self, "parameters", None if parameters is None else str(parameters))

    def __eq__(self, other):
        if not isinstance(other, PulseTrain):
            return NotImplemented
        mine, theirs = _scales_of(self), _scales_of(other)
        return (self.steps == other.steps and mine.keys() == theirs.keys()
                and all(np.array_equal(mine[k], theirs[k]) for k in mine))

    __hash__ = PulseTrain.__hash__

    def __add__(self, other):
        shift = len(self.steps)
        scales = dict(self.scales)
        scales.update({shift + k: v for k, v in _scales_of(other).items()})
        return Protocol(self.steps + tuple(other), scales, self.name, self.description,
                        self.parameters)

    def __repr__(self):
        return (f"Protocol({len(self.steps)} steps, {len(self.scales)} scaled pulses"
                f"{', name=' + repr(self.name) if self.name else ''})")


def _scales_of(train):
    return getattr(train, "scales", {}) or {}


def _check_scale(steps, index, values):
    """Validate the per-cell scale of step ``index``; returns a read-only float64 array."""
    if not 0 <= int(index) < len(steps) or not isinstance(steps[int(index)], Pulse):
        raise ProtocolError(f"scale given for step {index}, which is not a Pulse step "
                            f"(the protocol has {len(steps)} steps)")
    return as_scale(values, f"step {index}")


def as_scale(values, where):
    """A per-cell amplitude scale as a read-only 1-D float64 array (finite, >= 0) [1]."""
    if (isinstance(values, np.ndarray) and not values.flags.writeable
            and values.dtype == np.float64 and values.ndim == 1):
        return values
    try:
        arr = np.array(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ProtocolError(f"{where}: scale must be an array of numbers [1]") from None
    if arr.ndim != 1 or arr.size == 0:
        raise ProtocolError(f"{where}: scale must be a 1-D array with one factor [1] per "
                            f"cell, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise ProtocolError(f"{where}: scale factors [1] must be finite and >= 0")
    arr.flags.writeable = False
    return arr


def scaled_groups(train):
    """Runs of identical consecutive pulses with the same scale array.

    Returns
    -------
    list of (step, count, scale, first_index)
        ``scale`` is None or the per-cell array; Wait and Read steps have count 1.
    """
    scales = _scales_of(train)
    out = []
    for i, step in enumerate(train.steps):
        scale = scales.get(i)
        if (isinstance(step, Pulse) and out and out[-1][0] == step
                and _same_scale(out[-1][2], scale)):
            out[-1] = (step, out[-1][1] + 1, out[-1][2], out[-1][3])
        else:
            out.append((step, 1, scale, i))
    return out


def _same_scale(a, b):
    if a is None or b is None:
        return a is b
    return a is b or (a.shape == b.shape and np.array_equal(a, b))


def scale_arrays(train):
    """Distinct scale arrays of a protocol, named after the first step using them.

    Returns
    -------
    dict of str -> ndarray
        ``{"scale_step<i>": array}`` in step order; the names appear as ``{ref = ...}`` in
        ``to_toml(arrays="refs")``.
    """
    return {f"scale_step{first}": scale for step, count, scale, first in scaled_groups(train)
            if scale is not None}
