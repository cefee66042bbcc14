"""Population: the per-cell state of a set of PCM cells on one backend.

A data class with orchestration only: every physical update is a function of
``pcmphys.physics`` (numpy backend) or its kernel twin in ``kernels/pcm_population.cu``
(host and cupy backends), called once per step.
"""
from __future__ import annotations

import numpy as np

from pcmphys.physics import cell
from pcmphys.protocol import (
    ProtocolError,
    Pulse,
    PulseTrain,
    Wait,
    check_value,
    read_origin,
    scaled_groups,
)
from pcmphys.protocol import check_int as _check_int

#: numpy layout of ``struct pcm_pulse`` in kernels/pcm_physics.cuh
PULSE_DTYPE = np.dtype([("mode", np.int32), ("amplitude", np.float64), ("width", np.float64),
                        ("rise", np.float64), ("fall", np.float64), ("ambient", np.float64)],
                       align=True)
#: cells processed together by the numpy reference (cache-sized temporaries)
NUMPY_BLOCK = 16384
DIAGNOSTICS = ("power", "interface_temperature", "hotspot_temperature", "energy", "melted")
_MAX_SEED = 2 ** 64


class Population:
    """A population of ``n_devices`` cells with their own physical state.

    Parameters
    ----------
    params : ParameterSet
    n_devices : int
        Number of cells (>= 1).
    seed : int
        Seed of the counter RNG, 0 <= seed < 2**64.
    backend : str or Backend
        "numpy", "host", "cupy" or "auto".
    device_offset : int
        Global index of the first cell: populations (k, n) and (k+n, m) are the two halves of
        the population (k, n+m), cell for cell.
    """

    def __init__(self, params, n_devices, seed, backend="auto", device_offset=0):
        from pcmphys.backends import get_backend
        from pcmphys.parameters import ParameterSet

        if not isinstance(params, ParameterSet):
            raise TypeError("params must be a ParameterSet (e.g. ParameterSet.load("
                            "'sebastian2017_gst90nm'))")
        self.n_devices = _check_int("n_devices", n_devices, 1, 2 ** 40)
        self.seed = _check_int("seed", seed, 0, _MAX_SEED - 1)
        self.device_offset = _check_int("device_offset", device_offset, 0, 2 ** 62)
        self.params = params
        self.backend = get_backend(backend)
        self.clock = 0.0       # population clock [s]
        self.event = 1         # next event index (0 is reserved for static draws)
        self._struct = params.to_struct()
        self._memo = {}        # ambient [K] -> backend array of pcm_launch_memo's 2 values
        self._devices = np.arange(self.device_offset, self.device_offset + self.n_devices,
                                  dtype=np.int64)
        if self.backend.compiled:
            self._module = self.backend.module("pcm_population.cu")
            self._state = {k: self.backend.zeros(self.n_devices, dt)
                           for k, (dt, _, _) in cell.STATE_FIELDS.items()}
            self._launch("pcm_init", *self._state_args())
        else:
            self._state = cell.initial_state(self.seed, self._devices, params)

    # ------------------------------------------------------------------ helpers
    def _launch(self, name, *args):
        self._module.launch(name, self.n_devices, self._struct, np.uint64(self.seed),
                            np.int64(self.device_offset), np.int64(self.n_devices), *args)

    def _launch_memo(self, temperature):
        """pcm_launch_memo's values at `temperature` (computed once per population and T)."""
        key = float(temperature)
        if key not in self._memo:
            buf = self.backend.zeros(2, np.float64)
            self._module.launch("pcm_launch_memo", 1, self._struct, np.float64(key), buf)
            self._memo[key] = buf
        return self._memo[key]

    def _state_args(self):
        return tuple(self._state[k] for k in cell.STATE_FIELDS)

    def _blocks(self):
        for a in range(0, self.n_devices, NUMPY_BLOCK):
            yield slice(a, min(a + NUMPY_BLOCK, self.n_devices))

    def _ambient(self, temperature):
        if temperature is None:
            return self.params.thermal.ambient_temperature
        return check_value("temperature", temperature)

    def _per_cell(self, name, values, dtype):
        if values is None:
            return None
        arr = np.asarray(self.backend.to_numpy(values) if self.backend.compiled
                         and not isinstance(values, np.ndarray) else values)
        if arr.shape != (self.n_devices,):
            raise ValueError(f"{name} must have shape ({self.n_devices},), got {arr.shape}")
        return arr.astype(dtype, copy=False)

    # ------------------------------------------------------------------ API
    def apply(self, pulse, where=None, scale=None, repeat=1, period=None, diagnostics=False):
        """Apply ``pulse`` (``repeat`` times, every ``period`` seconds) to the cells.

        Parameters
        ----------
        pulse : Pulse
        where : array of bool, optional
            Cells that receive the pulse; the others only age during it.
        scale : array of float, optional
            Per-cell factor on the pulse amplitude [1] (>= 0).
        repeat : int
            Number of identical pulses, run as one fused launch with the state in registers.
        period : float, str or pint.Quantity, optional
            Pulse period [s] (>= pulse duration; ``"10 us"``); default back to back.
        diagnostics : bool
            Return per-cell power [W], interface and hot-spot temperatures [K], energy [J]
            and the melt flag of the last pulse.
        """
        if not isinstance(pulse, Pulse):
            raise TypeError(f"pulse must be a Pulse, got {type(pulse).__name__}")
        repeat = _check_int("repeat", repeat, 1, 2 ** 31 - 1)
        period = pulse.duration if period is None else check_value("period", period)
        if period < pulse.duration:
            raise ValueError(f"period = {period!r} s is shorter than the pulse duration "
                             f"{pulse.duration!r} s")
        where_np = self._per_cell("where", where, np.bool_)
        scale_np = self._per_cell("scale", scale, np.float64)
        if scale_np is not None and (not np.all(np.isfinite(scale_np)) or np.any(scale_np < 0)):
            raise ValueError("scale must be finite and >= 0 [1] for every cell")
        ambient = self._ambient(pulse.temperature)
        mode = cell.MODE_CURRENT if pulse.mode == "current" else cell.MODE_VOLTAGE
        if self.backend.compiled:
            diag = self._apply_compiled(pulse, mode, ambient, where_np, scale_np, repeat,
                                        period, diagnostics)
        else:
            diag = self._apply_numpy(pulse, mode, ambient, where_np, scale_np, repeat, period,
                                     diagnostics)
        self.clock += repeat * period
        self.event += repeat
        return diag

    def _apply_numpy(self, pulse, mode, ambient, where, scale, repeat, period, want):
        diag = {k: np.zeros(self.n_devices, bool if k == "melted" else np.float64)
                for k in DIAGNOSTICS} if want else None
        for sl in self._blocks():
            st = {k: v[sl] for k, v in self._state.items()}
            dev = self._devices[sl]
            amp = pulse.amplitude if scale is None else pulse.amplitude * scale[sl]
            act = None if where is None else where[sl]
            for k in range(repeat):
                t0 = self.clock + k * period
                st, d = cell.pulse_update(st, mode, amp, pulse.width, pulse.rise_time,
                                          pulse.fall_time, ambient, t0, self.event + k,
                                          self.seed, dev, self.params, act)
                rest = period - pulse.duration
                if rest > 0:
                    st = cell.wait_update(st, rest, ambient, self.event + k, self.seed, dev,
                                          self.params, block=1)
            for k, v in st.items():
                self._state[k][sl] = v
            if want:
                for k in DIAGNOSTICS:
                    diag[k][sl] = d[k]
        return diag

    def _apply_compiled(self, pulse, mode, ambient, where, scale, repeat, period, want):
        be = self.backend
        ps = np.zeros((), PULSE_DTYPE)
        ps["mode"], ps["amplitude"], ps["width"] = mode, pulse.amplitude, pulse.width
        ps["rise"], ps["fall"], ps["ambient"] = pulse.rise_time, pulse.fall_time, ambient
        w = None if where is None else be.asarray(where.astype(np.uint8))
        s = None if scale is None else be.asarray(scale)
        diag = ({k: be.zeros(self.n_devices, np.float64) for k in DIAGNOSTICS} if want else {})
        self._launch("pcm_apply_pulse", ps[()], np.uint32(self.event), np.int32(repeat),
                     np.float64(self.clock), np.float64(period), *self._state_args(), w, s,
                     *(diag.get(k) for k in DIAGNOSTICS), self._launch_memo(ambient))
        if not want:
            return None
        out = {k: be.to_numpy(v) for k, v in diag.items()}
        out["melted"] = out["melted"] > 0.5
        return out

    def wait(self, duration, temperature=None):
        """Rest for ``duration`` [s] at ``temperature`` [K] (default ambient): relaxation,
        growth and nucleation continue (anneal / retention bake). Both take SI floats, unit
        strings (``wait("1 h", temperature="85 degC")``) or pint Quantities; a bare 85 is
        85 K, outside the model's 200-800 K, and refused with "did you mean 85 degC"."""
        duration = check_value("duration", duration, "wait")
        T = self._ambient(temperature)
        if duration == 0:
            return
        if self.backend.compiled:
            self._launch("pcm_wait", np.uint32(self.event), np.float64(duration), np.float64(T),
                         *self._state_args(), self._launch_memo(T))
        else:
            for sl in self._blocks():
                st = {k: v[sl] for k, v in self._state.items()}
                st = cell.wait_update(st, duration, T, self.event, self.seed, self._devices[sl],
                                      self.params)
                for k, v in st.items():
                    self._state[k][sl] = v
        self.clock += duration
        self.event += 1

    def read(self, voltage=0.2, temperature=None, quantity="conductance"):
        """Read every cell now; returns a backend array (float64).

        ``quantity``: "conductance" [S], "resistance" [Ohm], "current" [A] (with 1/f noise) or
        "threshold_voltage" [V] (noiseless). ``voltage`` [V] (1 mV to 2 V) and ``temperature``
        [K] take SI floats, unit strings (``"200 mV"``, ``"25 degC"``) or pint Quantities.
        """
        if quantity not in cell.READ_QUANTITIES:
            raise ValueError(f"quantity must be one of {cell.READ_QUANTITIES}, got {quantity!r}")
        V = check_value("voltage", voltage, "read", "read_voltage")
        T = self._ambient(temperature)
        if self.backend.compiled:
            out = self.backend.zeros(self.n_devices, np.float64)
            self._launch("pcm_read", np.float64(V), np.float64(T), np.float64(self.clock),
                         np.int32(cell.READ_QUANTITIES.index(quantity)), *self._state_args(), out)
            return out
        out = np.empty(self.n_devices, np.float64)
        for sl in self._blocks():
            st = {k: v[sl] for k, v in self._state.items()}
            out[sl] = cell.read_cells(st, V, T, self.clock, self.seed, self._devices[sl],
                                      self.params, quantity)
        return out

    def run(self, train):
        """Run a PulseTrain; returns the list of read arrays (runs of identical pulses fused).

        ``Read(at=t)`` first waits until t seconds after its reference (``Read.since``: the
        end of the previous pulse by default, the start of the run, or the end of a labelled
        step of a :class:`~pcmphys.protocol.Protocol`).
        """
        if not isinstance(train, PulseTrain):
            train = PulseTrain(train)
        labels = {v: k for k, v in (getattr(train, "labels", None) or {}).items()}
        reads, start, marks = [], self.clock, {}
        last_pulse_end = self.clock
        for step, count, _, first in scaled_groups(train):
            if isinstance(step, Pulse):
                self.apply(step, repeat=count)
                last_pulse_end = self.clock
            elif isinstance(step, Wait):
                self.wait(step.duration, step.temperature)
            else:
                if step.at is not None:
                    target = read_origin(step, start, last_pulse_end, marks) + step.at
                    if target < self.clock:
                        raise ProtocolError(
                            f"{train.step_name(first)}: Read(at={step.at!r} s, since="
                            f"{step.since!r}) lies before the current time {self.clock!r} s")
                    self.wait(target - self.clock)
                reads.append(self.read(step.voltage, step.temperature))
            if first + count - 1 in labels:
                marks[labels[first + count - 1]] = self.clock
        return reads

    def field(self, name):
        """The state array ``name`` (a key of ``cell.STATE_FIELDS``) on the backend, not a
        copy: for other device models layered on this population (read-only use)."""
        if name not in cell.STATE_FIELDS:
            raise KeyError(f"unknown state field {name!r}; fields: {', '.join(cell.STATE_FIELDS)}")
        return self._state[name]

    def state(self):
        """Copy of the per-cell state as numpy arrays, plus the clock [s] and event index."""
        out = {k: np.array(self.backend.to_numpy(v)) for k, v in self._state.items()}
        out["clock"] = self.clock
        out["event"] = self.event
        return out

    def __repr__(self):
        return (f"Population({self.n_devices} cells from #{self.device_offset}, "
                f"backend={self.backend.name!r}, seed={self.seed}, t={self.clock:.6g} s)")

