"""Summary statistics compared by the fit, with bootstrap replicates over devices.

Per-device data (form "devices"): for every event the mean, standard deviation and the 10 %,
50 % and 90 % quantiles of log10 G [log10 S]; for every drift segment the mean and standard
deviation of the per-cell drift exponent nu (least squares of log R on log t); for every
Arrhenius segment the mean and standard deviation of the per-cell activation energy E_a [eV]
(least squares of ln G on 1/(k_B T)). Summary data (form "summary"): the mean and standard
deviation of G [uS] per event, as published.
"""
from __future__ import annotations

import numpy as np

from pcmphys.fit.schema import segments

__all__ = ["BOLTZMANN_EV", "StatisticsPlan"]

#: Boltzmann constant [eV/K]
BOLTZMANN_EV = 8.617333262e-5
QUANTILES = (0.1, 0.5, 0.9)


def _slope(x, y):
    """Least-squares slope of y (rows = x points, columns = cells) against x."""
    xm = x - x.mean()
    return (xm[:, None] * (y - y.mean(axis=0))).sum(axis=0) / (xm ** 2).sum()


class StatisticsPlan:
    """Which statistics a measured Dataset calls for, and how to compute them from G.

    Parameters
    ----------
    measured : xarray.Dataset
        Canonical measured Dataset (read and wait temperatures filled with the ambient).
    """

    def __init__(self, measured):
        self.form = measured.attrs["form"]
        self.events = np.flatnonzero(measured["include"].values)
        if self.events.size == 0:
            raise ValueError("no event is included (include is False everywhere)")
        self.drift, self.arrhenius = segments(measured)
        self.times = measured["time_since_pulse"].values
        self.temperatures = measured["read_temperature"].values
        self.names, self.kinds = self._names()

    def _names(self):
        names, kinds = [], []
        if self.form == "summary":
            for e in self.events:
                names += [f"mean G [uS] @event {e}", f"std G [uS] @event {e}"]
                kinds += ["mean", "std"]
            return names, kinds
        for e in self.events:
            names += [f"mean log10 G @event {e}", f"std log10 G @event {e}"]
            names += [f"q{int(q * 100)} log10 G @event {e}" for q in QUANTILES]
            kinds += ["mean", "std"] + ["quantile"] * len(QUANTILES)
        for i, seg in enumerate(self.drift):
            names += [f"mean nu (drift {i}: events {seg[0]}-{seg[-1]})",
                      f"std nu (drift {i})"]
            kinds += ["drift mean", "drift std"]
        for i, seg in enumerate(self.arrhenius):
            names += [f"mean E_a [eV] (Arrhenius {i}: events {seg[0]}-{seg[-1]})",
                      f"std E_a [eV] (Arrhenius {i})"]
            kinds += ["arrhenius mean", "arrhenius std"]
        return names, kinds

    def compute(self, g):
        """Statistics vector of conductances ``g`` [S], shape (devices, events)."""
        g = np.asarray(g, np.float64)
        if self.form == "summary":
            us = g[:, self.events] * 1e6
            out = np.empty(2 * self.events.size)
            out[0::2] = us.mean(axis=0)
            out[1::2] = us.std(axis=0, ddof=1)
            return out
        lg = np.log10(g[:, self.events])
        parts = [lg.mean(axis=0), lg.std(axis=0, ddof=1),
                 *np.quantile(lg, QUANTILES, axis=0)]
        out = [np.stack(parts, axis=1).ravel()]
        for seg in self.drift:
            nu = _slope(np.log(self.times[seg]), -np.log(g[:, seg]).T)
            out.append([nu.mean(), nu.std(ddof=1)])
        for seg in self.arrhenius:
            x = 1.0 / (BOLTZMANN_EV * self.temperatures[seg])
            ea = -_slope(x, np.log(g[:, seg]).T)
            out.append([ea.mean(), ea.std(ddof=1)])
        return np.concatenate([np.ravel(o) for o in out])

    def bootstrap(self, g, n_bootstrap, seed):
        """Replicates of :meth:`compute` over cells resampled with replacement.

        Returns
        -------
        ndarray, shape (n_bootstrap, n_statistics)
        """
        rng = np.random.default_rng(seed)
        n = g.shape[0]
        return np.array([self.compute(g[rng.integers(0, n, n)]) for _ in range(n_bootstrap)])

    def measured_values(self, measured, n_bootstrap, seed):
        """Statistics of the measured data, their standard errors and bootstrap replicates.

        Summary data are replicated parametrically (normal with the stated uncertainty).
        """
        if self.form == "summary":
            values = np.empty(2 * self.events.size)
            se = np.empty_like(values)
            sel = measured.isel(event=self.events)
            values[0::2] = sel["conductance_mean"].values * 1e6
            values[1::2] = sel["conductance_std"].values * 1e6
            se[0::2] = sel["conductance_mean_uncertainty"].values * 1e6
            se[1::2] = sel["conductance_std_uncertainty"].values * 1e6
            rng = np.random.default_rng(seed)
            reps = values + se * rng.standard_normal((n_bootstrap, values.size))
            return values, se, reps
        g = measured["conductance"].values
        values = self.compute(g)
        reps = self.bootstrap(g, n_bootstrap, seed)
        return values, floor_se(reps.std(axis=0, ddof=1), values), reps


def floor_se(se, values):
    """Standard errors floored at 1e-3 of the statistic (plus 1e-6) so none is zero."""
    return np.maximum(se, 1e-3 * np.abs(values) + 1e-6)
