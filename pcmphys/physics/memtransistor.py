"""Phase-change memtransistive synapse: volatile gate modulation of a PCM channel
(Sarwat et al., Nat. Nanotechnol. 2022).

The channel conductance is the non-volatile conductance of the phase configuration times a
gate-controlled factor::

    G(t) = G_NV (1 + kappa(u_a) (V_G - V_G0) + F(t))

* ``kappa(u_a) = kappa_a s(u_a)``: static field effect, larger for amorphous than crystalline
  channels (gap states of amorphous GST screen the gate charge over a few nm; degenerate
  crystalline GST barely responds), with the state weight
  ``s(u_a) = r_c + (1 - r_c)(1 - exp(-u_a / u_mod))`` between r_c (crystalline) and 1
  (thick amorphous plug).
* ``F``: volatile trace (short-term plasticity). Between gate pulses it relaxes,
  ``F(t) = F_k exp(-(t - t_k) / tau_k)``; gate pulse k adds
  ``A_k = A s(u_a) (V_k - V_G0) / V_ref`` (closed form of ``dF/dt = -F/tau + sum A_k delta``).
* Spread: ``tau_k = tau_F a_dev a_k`` and ``A_k = ... b_dev b_k`` with mean-one lognormal
  factors: ``a_dev, b_dev`` from the counter RNG on (cell, STREAM_MEMTRANSISTOR, event 0)
  (cell to cell, never stored), ``a_k, b_k`` on (cell, STREAM_GATE, event of pulse k) (pulse
  to pulse). The relaxation time of the interval after pulse k is drawn with pulse k, so a
  read at any time between pulses is a pure function of the stored (F_k, t_k, k).

All numbers are [E] (see :mod:`pcmphys.parameters.memtransistor`): the source says
the measured dG/G vs V_G, tau_F and amplitudes are not verified. Kernel twins:
``kernels/pcm_memtransistor.cu``.
"""
from __future__ import annotations

import math

import numpy as np

from pcmphys import rng
from pcmphys.physics.variability import lognormal_factor

__all__ = ["state_weight", "gate_coupling", "device_factors", "pulse_factors", "decay_trace",
           "facilitation_increment", "gate_pulse", "trace_at", "channel_conductance",
           "paired_pulse_ratio", "check_gate_voltage", "GATE_VOLTAGE_LIMIT"]

#: largest |gate voltage| accepted [V]
GATE_VOLTAGE_LIMIT = 100.0


def check_gate_voltage(name, value):
    """Return ``value`` as float64 array after checking it is finite and |V| <= 100 V.

    Raises
    ------
    ValueError
        Naming ``name``, the unit (V) and the allowed range.
    """
    v = np.asarray(value, dtype=np.float64)
    if not np.all(np.isfinite(v)) or np.any(np.abs(v) > GATE_VOLTAGE_LIMIT):
        bad = v[~(np.isfinite(v) & (np.abs(v) <= GATE_VOLTAGE_LIMIT))].ravel()[:3]
        raise ValueError(f"{name} must be finite and in [-{GATE_VOLTAGE_LIMIT:g}, "
                         f"{GATE_VOLTAGE_LIMIT:g}] V, got {bad.tolist()}")
    return v


def state_weight(amorphous_thickness, params):
    """Weight of the gate response of a channel with amorphous thickness u_a [1].

    Parameters
    ----------
    amorphous_thickness : float or ndarray
        Effective amorphous thickness u_a [m] (>= 0).
    params : MemtransistorParams

    Returns
    -------
    ndarray
        ``s = r_c + (1 - r_c)(1 - exp(-u_a / u_mod))`` in [r_c, 1]: r_c for a crystalline
        channel, 1 for a thick amorphous plug.
    """
    u = np.maximum(np.asarray(amorphous_thickness, dtype=np.float64), 0.0)
    rc = params.crystalline_modulation_ratio
    return rc + (1.0 - rc) * (-np.expm1(-u / params.modulation_thickness))


def gate_coupling(amorphous_thickness, params):
    """Static gate coupling ``kappa(u_a) = kappa_a s(u_a)`` [1/V] (larger when amorphous)."""
    return params.gate_coupling_amorphous * state_weight(amorphous_thickness, params)


def device_factors(seed, device, params):
    """Cell-to-cell factors of the relaxation time and of the amplitude [1].

    Parameters
    ----------
    seed : int
    device : ndarray of int64
        Global cell indices.
    params : MemtransistorParams

    Returns
    -------
    tau_factor, amplitude_factor : ndarray
        Mean-one lognormal factors; draws: STREAM_MEMTRANSISTOR, event 0, block 0.
    """
    z_tau, z_amp = rng.normal2(seed, device, 0, rng.STREAM_MEMTRANSISTOR, 0)
    return (lognormal_factor(z_tau, params.facilitation_time_device_sigma),
            lognormal_factor(z_amp, params.facilitation_amplitude_device_sigma))


def pulse_factors(seed, device, event, params):
    """Pulse-to-pulse (cycle-to-cycle) factors of tau and A for gate pulse ``event`` [1].

    Draws: STREAM_GATE, event = the gate pulse's event index, block 0.
    """
    z_tau, z_amp = rng.normal2(seed, device, event, rng.STREAM_GATE, 0)
    return (lognormal_factor(z_tau, params.facilitation_time_cycle_sigma),
            lognormal_factor(z_amp, params.facilitation_amplitude_cycle_sigma))


def decay_trace(trace, elapsed, tau):
    """Relaxation of the volatile trace ``F exp(-dt / tau)`` [1].

    Parameters
    ----------
    trace : ndarray
        F at the start of the interval [1].
    elapsed : float or ndarray
        Interval dt [s] (>= 0).
    tau : float or ndarray
        Relaxation time [s] (> 0).
    """
    return np.asarray(trace, np.float64) * np.exp(-np.asarray(elapsed, np.float64) / tau)


def facilitation_increment(gate_voltage, amorphous_thickness, amplitude_factor, params):
    """Jump of the trace at a gate pulse ``A s(u_a) b (V - V_G0) / V_ref`` [1].

    Parameters
    ----------
    gate_voltage : float or ndarray
        Gate pulse amplitude V [V]; below V_G0 the trace is depressed.
    amorphous_thickness : ndarray
        u_a [m] of the channel at the time of the pulse.
    amplitude_factor : float or ndarray
        Product of the cell and pulse factors b [1].
    params : MemtransistorParams
    """
    drive = (np.asarray(gate_voltage, np.float64) - params.gate_reference_voltage) \
        / params.facilitation_reference_voltage
    return params.facilitation_amplitude * state_weight(amorphous_thickness, params) \
        * amplitude_factor * drive


def _tau_of_interval(seed, device, last_event, params):
    """Relaxation time [s] of the interval that began with gate pulse ``last_event``."""
    a_dev, _ = device_factors(seed, device, params)
    a_cyc, _ = pulse_factors(seed, device, last_event, params)
    return params.facilitation_time * a_dev * a_cyc


def trace_at(trace, last_time, last_event, time, seed, device, params):
    """Volatile trace F at ``time`` [1] from the state stored at the last gate pulse.

    Parameters
    ----------
    trace : ndarray
        F just after the last gate pulse [1] (0 before any).
    last_time : ndarray
        Time of the last gate pulse [s].
    last_event : ndarray of uint32
        Event index of the last gate pulse (0: none yet).
    time : float
        Now [s] (>= every last_time).
    seed, device, params
        Counter-RNG seed, global cell indices, MemtransistorParams.
    """
    dt = np.asarray(time, np.float64) - np.asarray(last_time, np.float64)
    if np.any(dt < 0):
        raise ValueError("time lies before the last gate pulse of some cells "
                         f"(by up to {-dt.min():.3g} s); time must be >= last_time [s]")
    tau = _tau_of_interval(seed, device, np.asarray(last_event, np.uint32), params)
    return decay_trace(trace, dt, tau)


def gate_pulse(state, time, event, gate_voltage, amorphous_thickness, seed, device, params,
               where=None):
    """Apply one gate pulse at ``time``: ``F <- F exp(-dt/tau) + A_k``.

    Parameters
    ----------
    state : dict
        ``trace`` [1] (float64), ``last_time`` [s] (float64), ``last_event`` (uint32) arrays
        over cells; not modified.
    time : float
        Time of the pulse [s] (>= every last_time).
    event : int
        Event index of the pulse (1 <= event < 2**32; keys the pulse-to-pulse draws).
    gate_voltage : float or ndarray
        Pulse amplitude per cell [V], |V| <= 100 V.
    amorphous_thickness : ndarray
        u_a [m] of each channel.
    seed, device, params
        Counter-RNG seed, global cell indices (int64), MemtransistorParams.
    where : ndarray of bool, optional
        Cells that receive the pulse (the others keep their state).

    Returns
    -------
    dict
        The new state (fresh arrays).
    """
    v = check_gate_voltage("gate_voltage", gate_voltage)
    if not 1 <= int(event) < 2 ** 32:
        raise ValueError(f"event must be in [1, 2**32), got {event}")
    f_now = trace_at(state["trace"], state["last_time"], state["last_event"], time, seed,
                     device, params)
    _, b_dev = device_factors(seed, device, params)
    _, b_cyc = pulse_factors(seed, device, event, params)
    f_new = f_now + facilitation_increment(v, amorphous_thickness, b_dev * b_cyc, params)
    hit = np.ones(np.shape(device), bool) if where is None else np.asarray(where, bool)
    return {"trace": np.where(hit, f_new, state["trace"]),
            "last_time": np.where(hit, float(time), state["last_time"]),
            "last_event": np.where(hit, np.uint32(event), state["last_event"]).astype(np.uint32)}


def channel_conductance(nonvolatile_conductance, amorphous_thickness, gate_bias, trace, params):
    """Channel conductance ``G_NV max(1 + kappa(u_a)(V_G - V_G0) + F, 0)`` [S].

    Parameters
    ----------
    nonvolatile_conductance : ndarray
        G_NV of the phase configuration [S] (e.g. ``Population.read()``).
    amorphous_thickness : ndarray
        u_a [m].
    gate_bias : float or ndarray
        Static gate bias during the read V_G [V].
    trace : ndarray
        Volatile trace F at the read time [1].
    params : MemtransistorParams

    Notes
    -----
    The factor is clipped at 0: a strongly depleting gate switches the channel off, it cannot
    make the conductance negative.
    """
    vg = check_gate_voltage("gate_bias", gate_bias)
    kappa = gate_coupling(amorphous_thickness, params)
    factor = 1.0 + kappa * (vg - params.gate_reference_voltage) + np.asarray(trace, np.float64)
    return np.asarray(nonvolatile_conductance, np.float64) * np.maximum(factor, 0.0)


def paired_pulse_ratio(interval, tau):
    """Known answer: paired-pulse facilitation ``F_2 / F_1 = 1 + exp(-dt / tau)`` [1].

    The trace right after the second of two identical pulses divided by the trace right after
    the first, for a cell without spread.

    Parameters
    ----------
    interval : float or ndarray
        Inter-pulse interval dt [s] (>= 0).
    tau : float
        Relaxation time [s] (> 0).
    """
    dt = np.asarray(interval, np.float64)
    if np.any(dt < 0) or not (math.isfinite(tau) and tau > 0):
        raise ValueError("interval must be >= 0 s and tau a finite number > 0 s")
    return 1.0 + np.exp(-dt / tau)
