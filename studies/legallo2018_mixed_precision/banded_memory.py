"""A banded matrix stored on PCM cells, one cell per non-zero (Le Gallo 2018 style mapping).

The matrix is held in diagonal storage ``D[i, k] = A[i, i + k - w]`` (``k = 0 .. 2w``) on a
:class:`pcmphys.computing.crossbar.Crossbar` of shape ``(n, 2w + 1)`` (differential pairs). Only the
cells with a non-zero target are *allocated*: an entry that is zero (outside the band, past
the matrix corners, or the unused side of a pair) has no cell and contributes exactly zero,
as in the published experiment, where 5,000 equations took 998,752 devices -- one per stored
non-zero of a positive banded matrix. (A dense crossbar would also sum the programming noise
of every zero-target cell, an error that grows as sqrt(n).)

Each product reads every allocated cell once at time ``t`` after programming
(``Crossbar.conductances(t)``: drift plus fresh 1/f read noise per read) and forms
``y_i = sum_k W[i, k] x[i + k - w]`` with ``W = (G+ - G-) max|A| / g_max``. Optional global
drift compensation scales the output by ``s(0)/s(t)``, the ratio of the summed conductances
of all allocated cells read right after programming and at ``t`` (one extra read per call).
The Crossbar's own ``mvm`` cannot be used for this shifted-input product (it multiplies the
stored rectangle by one shared input vector), so this wrapper reads the cells itself; it does
not model DAC/ADC quantisation.
"""
from __future__ import annotations

import numpy as np

from pcmphys.computing.crossbar import Crossbar


def banded_to_diagonals(a, w):
    """Diagonal storage ``D[i, k] = A[i, i + k - w]`` (0 past the corners), shape (n, 2w+1)."""
    n = a.shape[0]
    d = np.zeros((n, 2 * w + 1))
    for k in range(-w, w + 1):
        i = np.arange(max(0, -k), min(n, n - k))
        d[i, k + w] = a[i, i + k]
    return d


class BandedPCMMatrix:
    """Banded matrix on PCM cells; ``mvm(x)`` is one read of the array at time `t`.

    Parameters
    ----------
    diagonals : numpy.ndarray, shape (n, 2w + 1)
        Diagonal storage ``D[i, k] = A[i, i + k - w]`` (see :func:`banded_to_diagonals`);
        w is the half-bandwidth.
    t : float
        Read time after programming [s] for every product.
    seed : int
        Counter-RNG seed of the cells.
    backend : str
        "numpy", "host", "cupy" or "auto".
    params : StatisticalParams, optional
        Cell model (noise scale sweeps pass a scaled copy).
    method : {"statistical", "verify"}
        One-shot or program-and-verify programming (Crossbar.program).
    drift_compensation : bool
        Global drift compensation ``s(0)/s(t)``.
    """

    def __init__(self, diagonals, t=1.0, seed=0, backend="auto", params=None,
                 method="statistical", drift_compensation=True, tolerance=0.02,
                 max_iterations=10):
        d = np.asarray(diagonals, dtype=np.float64)
        if d.ndim != 2 or d.shape[1] % 2 != 1:
            raise ValueError(f"diagonals must have shape (n, 2w + 1), got {d.shape}")
        n, w = d.shape[0], d.shape[1] // 2
        self.n, self.w, self.t = n, w, float(t)
        self.xbar = Crossbar(n, 2 * w + 1, seed=seed, backend=backend, params=params,
                             drift_compensation=False)
        self.program_report = self.xbar.program(d, method=method, tolerance=tolerance,
                                                max_iterations=max_iterations)
        xp = self.xbar.xp
        self.xp = xp
        self.used = self.xbar.target > 0  # allocated cells, shape (2, n, 2w+1)
        self.n_cells = int(xp.sum(self.used))
        self.macs_per_mvm = int(xp.sum(xp.any(self.used, axis=0)))  # stored non-zeros
        self.scale = self.xbar.w_scale / self.xbar.g_max
        self.drift_compensation = bool(drift_compensation)
        self._s0 = self._summed(0.0) if self.drift_compensation else None
        self.reads = 0

    def _summed(self, t):
        return self.xp.sum(self.xp.where(self.used, self.xbar.conductances(t), 0.0))

    def weights(self, t=None):
        """One noisy read of the stored matrix in diagonal storage, shape (n, 2w+1)."""
        xp = self.xp
        g = xp.where(self.used, self.xbar.conductances(self.t if t is None else t), 0.0)
        self.reads += 1
        return (g[0] - g[1]) * self.scale

    def mvm(self, x):
        """``A x`` from one read of the cells at ``self.t`` (plus one for drift compensation)."""
        xp = self.xp
        x = self.xbar.backend.asarray(np.asarray(x, dtype=np.float64))
        wts = self.weights()
        xpad = xp.concatenate([xp.zeros(self.w), x, xp.zeros(self.w)])
        y = xp.zeros(self.n)
        for k in range(2 * self.w + 1):  # diagonal k multiplies x shifted by k - w
            y += wts[:, k] * xpad[k:k + self.n]
        if self.drift_compensation:
            y = y * (self._s0 / self._summed(self.t))
        return self.xbar.backend.to_numpy(y)
