"""Memtransistive cells: a :class:`Population` (non-volatile phase configuration, long-term
plasticity) plus the volatile gate trace of each cell (short-term plasticity).

Orchestration only: the physics is in :mod:`pcmphys.physics.memtransistor` (numpy backend) and
its kernel twins in ``kernels/pcm_memtransistor.cu`` (host, cupy). All memtransistive
parameter values are [E] (not verified against the paper's figures).

>>> import pcmphys as pcm
>>> from pcmphys.memtransistor import MemtransistivePopulation
>>> from pcmphys.parameters.memtransistor import MemtransistorParams
>>> ps = pcm.ParameterSet.load("sebastian2017_gst90nm")
>>> cells = MemtransistivePopulation(ps, MemtransistorParams(), 4, seed=1, backend="numpy")
>>> cells.apply(pcm.Pulse.reset())
>>> cells.gate(1.0)                       # one gate pulse of 1 V
>>> g = cells.read(gate_bias=0.0)         # conductance [S], includes the volatile part
"""
from __future__ import annotations

import numpy as np

from pcmphys.parameters.memtransistor import MemtransistorParams
from pcmphys.physics import memtransistor as mt
from pcmphys.population import Population

__all__ = ["MemtransistivePopulation"]


class MemtransistivePopulation:
    """Cells whose channel conductance carries a volatile, gate-controlled trace.

    Parameters
    ----------
    params : ParameterSet
        Parameters of the PCM cell (non-volatile part).
    mt_params : MemtransistorParams
        Parameters of the gate modulation ([E] values).
    n_devices, seed, backend, device_offset
        As for :class:`pcmphys.Population`.
    """

    def __init__(self, params, mt_params, n_devices, seed, backend="auto", device_offset=0):
        if not isinstance(mt_params, MemtransistorParams):
            raise TypeError("mt_params must be a MemtransistorParams, got "
                            f"{type(mt_params).__name__}")
        self.population = Population(params, n_devices, seed, backend, device_offset)
        self.mt_params = mt_params
        be = self.population.backend
        n = self.population.n_devices
        self._trace = be.zeros(n, np.float64)
        self._last_time = be.zeros(n, np.float64)
        self._last_event = be.zeros(n, np.uint32)
        self._module = be.module("pcm_memtransistor.cu") if be.compiled else None
        self._struct = mt_params.to_struct()

    # ------------------------------------------------------------ delegation
    @property
    def n_devices(self):
        return self.population.n_devices

    @property
    def backend(self):
        return self.population.backend

    @property
    def clock(self):
        return self.population.clock

    def apply(self, pulse, where=None, scale=None, repeat=1, period=None):
        """Drain (programming) pulse on the PCM cell: long-term plasticity; see Population.apply."""
        return self.population.apply(pulse, where=where, scale=scale, repeat=repeat,
                                     period=period)

    def wait(self, duration, temperature=None):
        """Rest for ``duration`` [s]; the trace relaxes, the phase configuration ages."""
        self.population.wait(duration, temperature)

    def _amorphous_thickness(self):
        return self.population.field("u_a")   # float32 backend array [m]

    # ------------------------------------------------------------ gate
    def gate(self, voltage, where=None, scale=None):
        """One gate pulse of ``voltage`` [V] (times ``scale`` per cell) now; consumes one event.

        Parameters
        ----------
        voltage : float
            Gate pulse amplitude [V], |V| <= 100 V.
        where : array of bool, optional
            Cells that receive the pulse.
        scale : array of float, optional
            Per-cell factor on the amplitude [1]; |voltage * scale| <= 100 V.
        """
        pop = self.population
        v = float(mt.check_gate_voltage("voltage", voltage))
        where_np = pop._per_cell("where", where, np.bool_)
        scale_np = pop._per_cell("scale", scale, np.float64)
        if scale_np is not None:
            mt.check_gate_voltage("voltage * scale", v * scale_np)
        event, t = pop.event, pop.clock
        if self._module is not None:
            be = self.backend
            w = None if where_np is None else be.asarray(where_np.astype(np.uint8))
            s = None if scale_np is None else be.asarray(scale_np)
            self._module.launch("pcm_mt_gate", self.n_devices, self._struct,
                                np.uint64(pop.seed), np.int64(pop.device_offset),
                                np.int64(self.n_devices), np.uint32(event), np.float64(t),
                                np.float64(v), s, w, self._amorphous_thickness(), self._trace,
                                self._last_time, self._last_event)
        else:
            volts = v if scale_np is None else v * scale_np
            new = mt.gate_pulse({"trace": self._trace, "last_time": self._last_time,
                                 "last_event": self._last_event}, t, event, volts,
                                self._amorphous_thickness(), pop.seed, pop._devices,
                                self.mt_params, where_np)
            self._trace, self._last_time, self._last_event = (
                new["trace"], new["last_time"], new["last_event"])
        pop.event += 1

    # ------------------------------------------------------------ read
    def read(self, voltage=0.2, gate_bias=None, temperature=None, return_trace=False):
        """Channel conductance now [S]: non-volatile read (with 1/f noise) x gate factor.

        Parameters
        ----------
        voltage : float
            Drain read voltage [V].
        gate_bias : float, optional
            Static gate bias during the read [V] (default V_G0: no static modulation).
        temperature : float, optional
            Read temperature [K].
        return_trace : bool
            Also return the volatile trace F [1].
        """
        pop = self.population
        vg = self.mt_params.gate_reference_voltage if gate_bias is None else gate_bias
        vg = float(mt.check_gate_voltage("gate_bias", vg))
        g_nv = pop.read(voltage, temperature)
        if self._module is not None:
            be = self.backend
            out = be.zeros(self.n_devices, np.float64)
            f = be.zeros(self.n_devices, np.float64) if return_trace else None
            self._module.launch("pcm_mt_read", self.n_devices, self._struct,
                                np.uint64(pop.seed), np.int64(pop.device_offset),
                                np.int64(self.n_devices), np.float64(pop.clock), np.float64(vg),
                                g_nv, self._amorphous_thickness(), self._trace,
                                self._last_time, self._last_event, out, f)
        else:
            f = self.trace()
            out = mt.channel_conductance(g_nv, self._amorphous_thickness(), vg, f, self.mt_params)
        return (out, f) if return_trace else out

    def trace(self):
        """Volatile trace F now [1] (backend array)."""
        pop = self.population
        if self._module is not None:   # factor of a unit G_NV, no drain read needed
            be = self.backend
            ones, f = be.zeros(self.n_devices, np.float64), be.zeros(self.n_devices, np.float64)
            ones += 1.0
            factor = be.zeros(self.n_devices, np.float64)
            self._module.launch("pcm_mt_read", self.n_devices, self._struct,
                                np.uint64(pop.seed), np.int64(pop.device_offset),
                                np.int64(self.n_devices), np.float64(pop.clock),
                                np.float64(self.mt_params.gate_reference_voltage), ones,
                                self._amorphous_thickness(), self._trace, self._last_time,
                                self._last_event, factor, f)
            return f
        return mt.trace_at(self._trace, self._last_time, self._last_event, pop.clock, pop.seed,
                           pop._devices, self.mt_params)

    def reset_trace(self):
        """Clear the volatile trace of every cell (e.g. a long rest between experiments)."""
        self._trace[...] = 0.0

    def __repr__(self):
        return f"MemtransistivePopulation({self.population!r})"
