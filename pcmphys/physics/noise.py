"""1/f read noise, stateless and temporally correlated.

The relative fluctuation is a Voss-McCartney sum over octaves k of piecewise-constant normal
processes: octave k holds one normal per time bin of length tau_k (random phase per cell),
keyed on (cell, k, bin) in the counter RNG. A read at time t sees
``n(t) = sum_k w (xi_k(bin_k(t)) - xi_k(bin_k(t_prog)))``: zero right after programming and
growing as ``Q_s^2 ln(t / 2 t_read)``, with reads at nearby times sharing most bins
(correlated). No per-cell noise state is stored.
"""
from __future__ import annotations

import numpy as np

from pcmphys import rng

#: hard upper bound on the number of octaves (kernel arrays are sized by it)
MAX_OCTAVES = 64


def noise_coefficient(conductance, noise):
    """``Q_s = min(c / max((G/g_ref)^a, 1e-3), Q_max)`` [1] (aihwkit PCM fit)."""
    g = np.maximum(np.asarray(conductance, np.float64), 0.0) / noise.noise_reference_conductance
    return np.minimum(noise.noise_coefficient / np.maximum(g ** noise.noise_exponent, 1e-3),
                      noise.noise_max)


def noisy_conductance(conductance, flicker, noise):
    """Read conductance with 1/f noise ``G exp(Q_s(G) n)`` [S].

    ``n`` is the unit-coefficient fluctuation of :func:`flicker_sum`. The fluctuation acts on
    ln G (a change of the trap configuration shifts the activation energy), so G stays positive
    even for RESET states where the aihwkit fit caps Q_s at 0.2 and ``Q_s n`` reaches order one;
    for small ``Q_s n`` it equals the linear form ``G (1 + Q_s n)`` of the aihwkit model.
    """
    return conductance * np.exp(noise_coefficient(conductance, noise) * flicker)


def octave_count(noise):
    """Number of octaves K with tau_0 r^k <= noise_max_correlation_time (at least 1)."""
    r = noise.noise_octave_ratio
    k = int(np.floor(np.log(noise.noise_max_correlation_time / octave_time(0, noise)) / np.log(r)))
    return int(min(max(k + 1, 1), MAX_OCTAVES))


def octave_time(k, noise):
    """Correlation time of octave k: ``2 t_read r^(k + 1/2 + 1/ln r)`` [s].

    The offset ``1/2 + 1/ln r`` makes the sum's variance match ``Q_s^2 ln(t/2 t_read)`` on
    average over log-time (it compensates the partial contribution of the slow octaves).
    """
    r = noise.noise_octave_ratio
    return 2.0 * noise.read_time * r ** (k + 0.5 + 1.0 / np.log(r))


def octave_weight(noise):
    """Weight w of each octave: ``2 w^2 = ln r`` so each octave adds ``Q_s^2 ln r`` [1]."""
    return np.sqrt(0.5 * np.log(noise.noise_octave_ratio))


def _octave_value(seed, device, k, bins):
    """Normal of octave k in time bin ``bins`` (int64 >= 0) for each cell."""
    out = np.empty(bins.shape, np.float64)
    hi = (bins >> 32).astype(np.int64)
    for h in np.unique(hi):
        sel = hi == h
        ev = (bins[sel] & 0xFFFFFFFF).astype(np.uint32)
        out[sel] = rng.normal2(seed, device[sel], ev, rng.STREAM_NOISE_BASE + k, int(h) & 0xFFFF)[0]
    return out


def flicker_sum(seed, device, t, t_ref, noise):
    """Unit-coefficient 1/f fluctuation at time t relative to time t_ref [1].

    Parameters
    ----------
    seed : int
    device : ndarray of int64
        Global cell indices.
    t : float or ndarray
        Read time on the population clock [s].
    t_ref : ndarray
        Time of the last programming event of each cell [s] (t_ref <= t).
    noise : NoiseParams
    """
    device = np.asarray(device, dtype=np.int64)
    t = np.broadcast_to(np.asarray(t, np.float64), device.shape)
    t_ref = np.broadcast_to(np.asarray(t_ref, np.float64), device.shape)
    w = octave_weight(noise)
    total = np.zeros(device.shape, np.float64)
    phases = ()
    tau = octave_time(0, noise)          # tau_k = tau_0 r^k by repeated products (kernel twin)
    for k in range(octave_count(noise)):
        if k:
            tau = tau * noise.noise_octave_ratio
        if k % 2 == 0:   # one draw gives the phases of octaves k and k + 1
            phases = rng.uniform(seed, device, k // 2, rng.STREAM_NOISE_PHASE, 0)
        phase = phases[k % 2]
        b1 = np.floor(t / tau + phase).astype(np.int64)
        b0 = np.floor(t_ref / tau + phase).astype(np.int64)
        diff = b1 != b0
        if not diff.any():
            continue
        idx = np.nonzero(diff)[0]
        total[idx] += w * (_octave_value(seed, device[idx], k, b1[idx])
                           - _octave_value(seed, device[idx], k, b0[idx]))
    return total
