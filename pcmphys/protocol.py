"""Typed protocol steps: Pulse, Read, Wait and PulseTrain (data only, SI units)."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

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
