"""Typed protocol steps: Pulse, Read, Wait, PulseTrain and Protocol (data only, SI units).

Every physical argument (a current, width, temperature, voltage or time) is a float in SI, a
unit string read by the parameter files' parser (``"50 ns"``, ``"440 uA"``, ``"85 degC"``) or a
pint Quantity; :func:`check_quantity` is the one place that converts and checks it against the
model's validity range (:func:`validity_ranges`) and refuses bools.

TOML reading and writing live in :mod:`pcmphys.protocol_toml` (PulseTrain.to_toml, .save,
.from_toml delegate there).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

#: validity range of the model per physical argument: name -> (unit, lo, hi, what it is).
#: Values outside are refused (never clipped); the bounds are those of the device model, not of
#: the float type: pulse edges and widths of ns to ms (the thermal model's quasi-static regime),
#: currents up to 10 mA (a few times a 90 nm cell's RESET current), ambient temperatures from
#: 200 K to 800 K (room temperature to retention bakes and anneals; the melting point of GST is
#: about 900 K), read voltages of 1 mV to 2 V (below threshold switching of SET cells), times up
#: to 1e12 s (retention extrapolations).
_LIMITS = {
    "current": ("A", 0.0, 1e-2, "pulse current"),
    "voltage": ("V", 0.0, 20.0, "pulse voltage"),
    "width": ("s", 0.0, 1e-3, "pulse width"),
    "rise_time": ("s", 0.0, 1e-3, "pulse rise time"),
    "fall_time": ("s", 0.0, 1e-3, "pulse fall time"),
    "temperature": ("K", 200.0, 800.0, "ambient / read temperature"),
    "duration": ("s", 0.0, 1e12, "wait duration"),
    "at": ("s", 0.0, 1e12, "read time"),
    "read_voltage": ("V", 1e-3, 2.0, "read voltage"),
    "period": ("s", 0.0, 1e12, "pulse period"),
}
#: unit slips tried for a bare number out of range: SI unit -> units the user may have meant
_SLIPS = {"s": ("ns", "us", "ms"), "A": ("uA", "mA"), "V": ("mV",), "K": ("degC",),
          "S": ("uS", "nS"), "Ohm": ("kOhm", "MOhm")}
#: SI unit -> pint unit name (pint Quantities are converted with ``.to(name)``)
_PINT_UNITS = {"s": "second", "A": "ampere", "V": "volt", "K": "kelvin", "S": "siemens",
               "Ohm": "ohm", "1": "dimensionless", "m": "meter", "W": "watt", "J": "joule"}


class ProtocolError(ValueError):
    """A protocol step has a bad value (the message names it with unit and range)."""


def check_int(name, value, lo, hi):
    """``value`` as an int in [lo, hi]; TypeError / ValueError naming ``name`` otherwise."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer in [{lo}, {hi}], got {value!r}")
    if not lo <= int(value) <= hi:
        raise ValueError(f"{name} = {value} is outside the allowed range [{lo}, {hi}]")
    return int(value)


def _is_pint(value):
    return (type(value).__module__.split(".")[0] == "pint" and hasattr(value, "magnitude")
            and hasattr(value, "to"))


def as_si(label, value, unit, error=ProtocolError):
    """A physical argument as a float in the SI unit ``unit``.

    Parameters
    ----------
    label : str
        Name used in error messages (``"Pulse.width"``).
    value : float, int, str or pint.Quantity
        A real number (taken as SI), a string ``"<number> <unit>"`` read by the parameter
        files' parser (:func:`pcmphys.parameters.core.to_si`: ``"50 ns"``, ``"85 degC"``,
        ``"440 uA"``), or a pint Quantity of the right dimension. Bools are refused.
    unit : str
        SI unit of the argument (``"s"``, ``"A"``, ``"V"``, ``"K"``, ...).
    error : type
        Exception raised for a bad value (default :class:`ProtocolError`).

    Returns
    -------
    float
    """
    if isinstance(value, (bool, np.bool_)):
        raise error(f"{label} must be a number in {unit} or a string such as '1 {unit}', "
                    f"got the bool {value!r}")
    if isinstance(value, str):
        from pcmphys.parameters.core import ParameterError, to_si

        try:
            return to_si(value, unit, label)
        except ParameterError as exc:
            raise error(str(exc)) from None
    if _is_pint(value):
        try:
            value = value.to(_PINT_UNITS.get(unit, unit)).magnitude
        except Exception as exc:  # pint's DimensionalityError and friends
            raise error(f"{label}: cannot convert {value!r} to {unit} ({exc})") from None
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer,
                                                                     np.floating)):
        raise error(f"{label} must be a number in {unit}, a string such as '1 {unit}' or a "
                    f"pint Quantity, got {type(value).__name__} {value!r}")
    try:
        return float(value)
    except OverflowError:
        raise error(f"{label} = {value!r} {unit} is too large for a float") from None


def _slip_hint(label, value, unit, lo, hi):
    """' (did you mean 50 ns?)' when a bare number out of range fits in another unit."""
    if isinstance(value, str) or _is_pint(value) or unit not in _SLIPS:
        return ""
    if unit == "s" and hi > 1.0:  # long times (waits, reads): no sub-second slip to suggest
        return ""
    from pcmphys.parameters.core import to_si

    number = float(value)
    for other in _SLIPS[unit]:
        try:
            si = to_si(f"{number!r} {other}", unit, label)
        except ValueError:
            continue
        if lo <= si <= hi and (si != 0):
            if other == "degC":
                return f"; did you mean {number:g} degC = {si:g} K? (write '{number:g} degC')"
            return f"; did you mean {number:g} {other}? (write '{number:g} {other}')"
    return ""


def check_quantity(label, value, unit, lo, hi, what=None, error=ProtocolError):
    """The one check of a physical scalar argument of the public API.

    Parameters
    ----------
    label : str
        Argument name for messages (``"Read.temperature"``).
    value : float, int, str or pint.Quantity
        See :func:`as_si`.
    unit : str
        SI unit.
    lo, hi : float
        Inclusive validity range in ``unit``.
    what : str, optional
        Description of the quantity for the message (``"pulse width"``).
    error : type
        Exception type raised.

    Returns
    -------
    float
        The value in SI.

    Raises
    ------
    error
        Bools, non-numbers, NaN, infinities and values outside ``[lo, hi]``: the message names
        the argument, the unit and the range, and suggests a likely unit slip
        (``width=50`` -> "did you mean 50 ns?", ``temperature=85`` -> "85 degC = 358.15 K?").
    """
    v = as_si(label, value, unit, error)
    if not math.isfinite(v) or v < lo or v > hi:
        shown = value if isinstance(value, str) else f"{v!r} [{unit}]"
        kind = f" ({what})" if what else ""
        raise error(f"{label} = {shown}{kind} is outside the allowed range [{lo:g}, {hi:g}] "
                    f"{unit} (the model's validity range)"
                    + _slip_hint(label, value, unit, lo, hi))
    return v


def check_value(name, value, what=None, limit=None):
    """Validate a physical scalar of a protocol step against ``_LIMITS[limit or name]``.

    ``value`` may be SI, a unit string or a pint Quantity (:func:`check_quantity`); returns
    the SI float."""
    unit, lo, hi, description = _LIMITS[limit or name]
    label = f"{what}.{name}" if what else name
    return check_quantity(label, value, unit, lo, hi, description)


def validity_ranges():
    """The model's validity range per protocol quantity.

    Returns
    -------
    dict of str -> (unit, lo, hi, description)
    """
    return dict(_LIMITS)


@dataclass(frozen=True)
class Pulse:
    """A trapezoidal write pulse.

    Parameters
    ----------
    mode : {"current", "voltage"}
        Current mode (the IBM chip's programming: the current is imposed) or voltage mode
        (threshold switching decides whether anything is written).
    amplitude : float, str or pint.Quantity
        Current [A] (0 to 10 mA) or voltage [V] (0 to 20 V) of the flat top.
    width : float, str or pint.Quantity
        Flat-top width [s] (0 to 1 ms): ``width=50e-9`` or ``width="50 ns"``; a bare ``50``
        is refused with "did you mean 50 ns?".
    rise_time, fall_time : float, str or pint.Quantity
        Edge durations [s] (0 to 1 ms); a slow fall recrystallises part of a molten plug.
    temperature : float, str, pint.Quantity or None
        Ambient temperature [K] (200 K to 800 K; ``"85 degC"`` is 358.15 K); None uses the
        parameter set's ambient temperature.
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
    """Rest for ``duration`` [s] (0 to 1e12 s) at ``temperature`` [K] (200 K to 800 K; None:
    ambient). Both accept SI floats, unit strings (``"1 h"``, ``"85 degC"``) or pint
    Quantities."""

    duration: float
    temperature: float | None = None

    def __post_init__(self):
        object.__setattr__(self, "duration", check_value("duration", self.duration, "Wait"))
        if self.temperature is not None:
            object.__setattr__(self, "temperature",
                               check_value("temperature", self.temperature, "Wait"))


#: reference points of Read.at besides a step label
READ_ORIGINS = ("last_pulse", "start")


@dataclass(frozen=True)
class Read:
    """Read the cells ``at`` seconds after a reference point (None: now) with ``voltage`` [V]
    (1 mV to 2 V) at ``temperature`` [K] (200 K to 800 K; None: ambient).

    Parameters
    ----------
    at : float, str, pint.Quantity or None
        Read time [s] after the reference ``since``; the population first waits until then
        (a time already past is an error).
    voltage, temperature : float, str or pint.Quantity
    since : str
        Reference of ``at``: ``"last_pulse"`` (default: the end of the last pulse before the
        read), ``"start"`` (the start of the protocol) or the label of an earlier step of a
        :class:`Protocol` (the end of that step: the end of its last pulse for a repeated
        pulse, the end of a wait).
    """

    at: float | None = None
    voltage: float = 0.2
    temperature: float | None = None
    since: str = "last_pulse"

    def __post_init__(self):
        if self.at is not None:
            object.__setattr__(self, "at", check_value("at", self.at, "Read"))
        if not isinstance(self.since, str) or not self.since.strip():
            raise ProtocolError(f"Read.since must be 'last_pulse', 'start' or a step label, "
                                f"got {self.since!r}")
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
        if type(self) is PulseTrain:
            _check_since(self, {})

    def step_name(self, index):
        """How errors name expanded step ``index``: ``"step i"``, with the number of the step
        as the user wrote it (a TOML ``[[step]]`` table) when the protocol came from a file."""
        origins = getattr(self, "origins", None)
        if origins is None or not 0 <= index < len(origins) or origins[index] == index:
            return f"step {index}"
        return f"step {origins[index]} (expanded step {index})"

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
    labels : dict of str -> int, optional
        Step labels: name -> index of the step whose end a ``Read(since=name)`` counts from.
    origins : sequence of int, optional
        For each step, the number of the step as the user wrote it (set by the TOML reader,
        where a ``repeat`` or a list of read times expands one table into several steps);
        error messages use it.
    """

    def __init__(self, steps=(), scales=None, name="", description="", parameters=None,
                 labels=None, origins=None):
        super().__init__(steps)
        checked = {}
        for index, values in (scales or {}).items():
            checked[int(index)] = _check_scale(self.steps, index, values)
        object.__setattr__(self, "scales", checked)
        object.__setattr__(self, "name", str(name or ""))
        object.__setattr__(self, "description", str(description or ""))
        object.__setattr__(self, "parameters", None if parameters is None else str(parameters))
        object.__setattr__(self, "labels", _check_labels(self.steps, labels or {}))
        if origins is not None:
            origins = tuple(int(o) for o in origins)
            if len(origins) != len(self.steps):
                raise ProtocolError(f"origins has {len(origins)} entries for "
                                    f"{len(self.steps)} steps")
        object.__setattr__(self, "origins", origins)
        _check_since(self, self.labels)

    def __eq__(self, other):
        if not isinstance(other, PulseTrain):
            return NotImplemented
        mine, theirs = _scales_of(self), _scales_of(other)
        return (self.steps == other.steps and mine.keys() == theirs.keys()
                and all(np.array_equal(mine[k], theirs[k]) for k in mine)
                and _labels_of(self) == _labels_of(other))

    __hash__ = PulseTrain.__hash__

    def __add__(self, other):
        shift = len(self.steps)
        scales = dict(self.scales)
        scales.update({shift + k: v for k, v in _scales_of(other).items()})
        labels = dict(self.labels)
        labels.update({k: shift + v for k, v in _labels_of(other).items()})
        return Protocol(self.steps + tuple(other), scales, self.name, self.description,
                        self.parameters, labels)

    def __repr__(self):
        return (f"Protocol({len(self.steps)} steps, {len(self.scales)} scaled pulses"
                f"{', name=' + repr(self.name) if self.name else ''})")


def _scales_of(train):
    return getattr(train, "scales", {}) or {}


def _labels_of(train):
    return getattr(train, "labels", {}) or {}


def _check_labels(steps, labels):
    out = {}
    for name, index in labels.items():
        if not isinstance(name, str) or not name.strip() or name in READ_ORIGINS:
            raise ProtocolError(f"step label {name!r} must be a non-empty string other than "
                                f"{' and '.join(map(repr, READ_ORIGINS))}")
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)) \
                or not 0 <= int(index) < len(steps):
            raise ProtocolError(f"label {name!r} refers to step {index!r}, but the protocol "
                                f"has steps 0 to {len(steps) - 1}")
        out[name] = int(index)
    if len(set(out.values())) != len(out):
        raise ProtocolError("two labels name the same step")
    return out


def _check_since(train, labels):
    """Each Read(since=label) must name a label of an earlier step."""
    for i, step in enumerate(train.steps):
        if not isinstance(step, Read) or step.since in READ_ORIGINS:
            continue
        if step.since not in labels:
            known = ", ".join(map(repr, [*READ_ORIGINS, *labels]))
            raise ProtocolError(f"{train.step_name(i)} (read): since = {step.since!r} is not a "
                                f"step label (known: {known}); label a step with "
                                "Protocol(labels=...) or 'label = ...' in its [[step]] table")
        if labels[step.since] >= i:
            raise ProtocolError(f"{train.step_name(i)} (read): since = {step.since!r} names a "
                                "step that is not before the read")


def read_origin(step, clock_start, last_pulse_end, marks):
    """The time [s] a Read's ``at`` counts from: the end of the last pulse, the protocol start
    or the end of a labelled step (``marks``: label -> time its step ended)."""
    if step.since == "last_pulse":
        return last_pulse_end
    if step.since == "start":
        return clock_start
    return marks[step.since]


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
    labelled = set(_labels_of(train).values())
    out = []
    for i, step in enumerate(train.steps):
        scale = scales.get(i)
        if (isinstance(step, Pulse) and out and out[-1][0] == step
                and _same_scale(out[-1][2], scale) and i - 1 not in labelled):
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
