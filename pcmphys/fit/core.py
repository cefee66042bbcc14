"""fit(): calibrate free parameters of a ParameterSet against measured data.

Orchestration only: the statistics are in :mod:`pcmphys.fit.statistics`, the simulation is
:func:`pcmphys.fit.protocols.simulate_measurement`, the minimisation is scipy.optimize.
"""
from __future__ import annotations

import dataclasses
import difflib
import math
import time
import warnings

import numpy as np

from pcmphys.fit.protocols import simulate_measurement
from pcmphys.fit.schema import validate_measured
from pcmphys.fit.statistics import StatisticsPlan, floor_se

__all__ = ["FitError", "FitResult", "FitWarning", "FreeParameter", "fit"]


class FitError(RuntimeError):
    """The fit failed (the message says why and what to try)."""


class FitWarning(UserWarning):
    """A fitted parameter is poorly identified (flat cost, strong correlation, at a bound)."""


# ---------------------------------------------------------------------- free parameters
@dataclasses.dataclass(frozen=True)
class FreeParameter:
    """One fitted parameter ``section.field`` with its search bounds [SI unit].

    The optimiser works on u in [0, 1]: linear in the bounds, or logarithmic when
    ``log`` (both bounds > 0 and hi/lo >= 10).
    """

    name: str
    unit: str
    lo: float
    hi: float
    log: bool

    def value(self, u):
        """Parameter value [unit] at normalised coordinate ``u``."""
        u = float(np.clip(u, 0.0, 1.0))
        if self.log:
            return math.exp(math.log(self.lo) + u * math.log(self.hi / self.lo))
        return self.lo + u * (self.hi - self.lo)

    def coordinate(self, value):
        """Normalised coordinate of ``value`` [unit]."""
        if self.log:
            return math.log(value / self.lo) / math.log(self.hi / self.lo)
        return (value - self.lo) / (self.hi - self.lo)

    def scale(self, u):
        """d value / d u at ``u`` [unit]."""
        return self.value(u) * math.log(self.hi / self.lo) if self.log else self.hi - self.lo


def _free_parameters(base, free, bounds):
    from pcmphys.parameters.core import ParameterError, to_si

    if isinstance(free, str):
        free = [free]
    free = list(free)
    if not free:
        raise ValueError("free must name at least one parameter 'section.field'")
    infos = {f"{s}.{i.name}": (i, v) for s, i, v in base.items()}
    bounds = dict(bounds or {})
    for key in bounds:
        if key not in free:
            raise ValueError(f"bounds given for {key!r}, which is not among free={free}")
    out = []
    for name in free:
        if name not in infos:
            close = difflib.get_close_matches(name, infos, n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise ParameterError(f"unknown free parameter {name!r} (write section.field){hint}",
                                 name)
        info, value = infos[name]
        if info.choices:
            raise ParameterError(f"{name} is a choice ({', '.join(info.choices)}), not a "
                                 "number; it cannot be fitted", name)
        flo, fhi = info.bounds
        unit = "(dimensionless)" if info.unit == "1" else info.unit
        allowed = f"allowed range [{flo:g}, {fhi:g}] {unit}"
        if name in bounds:
            try:
                lo, hi = bounds[name]
            except (TypeError, ValueError):
                raise ParameterError(f"bounds[{name!r}] must be (lo, hi) in {unit}", name) \
                    from None
            lo, hi = to_si(lo, info.unit, name), to_si(hi, info.unit, name)
        elif value > 0:
            lo, hi = value / 4, value * 4
            lo, hi = max(lo, flo), min(hi, fhi)
        else:
            raise ParameterError(f"{name} = {value:g} {unit}: give bounds[{name!r}] = (lo, hi) "
                                 f"in {unit} ({allowed}); default bounds need a value > 0",
                                 name)
        if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
            raise ParameterError(f"bounds of {name} must be finite with lo < hi, got "
                                 f"({lo!r}, {hi!r}) {unit}", name)
        if lo < flo or hi > fhi:
            raise ParameterError(f"bounds of {name} ({lo:g}, {hi:g}) {unit} leave the "
                                 f"{allowed}", name)
        out.append(FreeParameter(name, info.unit, float(lo), float(hi),
                                 lo > 0 and hi / lo >= 10))
    return out


# ---------------------------------------------------------------------- result
@dataclasses.dataclass
class FitResult:
    """Outcome of :func:`fit`.

    Attributes
    ----------
    params : ParameterSet
        Base set with the fitted values (``to_toml()`` exports it).
    values, uncertainty, start : dict of str -> float
        Fitted value, its standard uncertainty and the start value per free parameter [SI].
    units : dict of str -> str
    cost : float
        Mean squared standardised residual of the statistics at the optimum (about 1 for a
        model that reproduces the data within their sampling error).
    correlation : ndarray
        Correlation matrix of the free parameters (bootstrap).
    statistics : pandas.DataFrame
        name, kind, measured, simulated, se, z per statistic.
    warnings : list of str
        Identifiability warnings (also issued as :class:`FitWarning`).
    n_evaluations : int
        Simulations run.
    measured, simulated : xarray.Dataset
        Measured data and the simulation at the optimum (measured schema).
    elapsed : float
        Wall time [s].
    """

    params: object
    values: dict
    uncertainty: dict
    start: dict
    units: dict
    cost: float
    correlation: np.ndarray
    statistics: object
    warnings: list
    n_evaluations: int
    measured: object
    simulated: object
    elapsed: float
    settings: dict

    def to_toml(self):
        """TOML text of the fitted parameter set (:meth:`ParameterSet.to_toml`) with the fit
        summary as comments at the top.

        Fitted values are rounded to about 4 significant digits (more when the uncertainty
        resolves them) and carry the evidence tag ``fit`` with their uncertainty in the
        ``[provenance]`` table and in the line's comment, instead of the literature tag."""
        head = ["# fitted by pcmphys.fit: " + "; ".join(
            f"{k} = {self.values[k]:.4g} +- {self.uncertainty[k]:.2g} {self.units[k]}"
            for k in self.values) + f"; cost {self.cost:.3g}"]
        head += [f"# warning: {w}" for w in self.warnings]
        return "\n".join(head) + "\n" + _tagged_set(self).to_toml()

    def summary(self):
        """A plain-text table of the fitted parameters."""
        lines = [(f"fit cost {self.cost:.3f} (mean z^2 over {len(self.statistics)} "
                  f"statistics), {self.n_evaluations} simulations, {self.elapsed:.1f} s")]
        for k, v in self.values.items():
            lines.append(f"  {k:<42} {v:12.6g} +- {self.uncertainty[k]:<10.3g} "
                         f"{self.units[k]:<6} (start {self.start[k]:.6g})")
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)

    def __str__(self):
        return self.summary()

    def plot(self, path=None):
        """Comparison figure: measured vs fitted statistics per event and standardised
        residuals. Saved to ``path`` when given; returns the matplotlib Figure."""
        from pcmphys.fit.plotting import comparison_figure

        return comparison_figure(self, path)


def _significant(value, uncertainty):
    """``value`` rounded to 4 significant digits, or more when ``uncertainty`` is finer."""
    if value == 0 or not math.isfinite(value):
        return value
    digits = 4
    if math.isfinite(uncertainty) and uncertainty > 0:
        digits = max(4, math.ceil(math.log10(abs(value) / uncertainty)) + 2)
    return float(f"{value:.{min(digits, 17)}g}")


def _tagged_set(result):
    """The fitted set with rounded values tagged ``fit`` (uncertainty in the note)."""
    source = result.measured.attrs.get("source", "measured data")
    rounded = {k: _significant(v, result.uncertainty[k]) for k, v in result.values.items()}
    params = result.params.replace(**rounded)
    return params.with_provenance({
        k: ("fit", "", f"+- {result.uncertainty[k]:.2g} {result.units[k]} (1 sd), fitted to "
                       f"{source}, cost {result.cost:.3g}")
        for k in rounded})


# ---------------------------------------------------------------------- fit
def fit(measured, base_params, free, bounds=None, n_devices=None, seed=0, method="nelder-mead",
        global_method="lhs", n_global=None, max_evaluations=None, backend="auto",
        n_bootstrap=200, max_cost=4.0, max_z=5.0, nan="raise"):
    """Fit free parameters of ``base_params`` to measured data.

    Parameters
    ----------
    measured : xarray.Dataset or str or os.PathLike
        Measured data in the schema of :mod:`pcmphys.fit` (or a file for
        :func:`~pcmphys.fit.read_measured`).
    base_params : ParameterSet or str
        Start point; every parameter not in ``free`` stays as it is.
    free : list of str
        Fitted parameters, ``"section.field"`` (e.g. ``"conduction.activation_energy"``).
    bounds : dict of str -> (lo, hi), optional
        Search range per free parameter, SI numbers or unit strings (``("0.2 eV", "0.5 eV")``);
        default [value/4, 4 value] clipped to the field's allowed range.
    n_devices : int, optional
        Simulated cells per evaluation (default: as many as measured, at least 200).
    seed : int
        Seed of the simulations; the same for every evaluation (common random numbers), so
        the cost is a deterministic function of the parameters.
    method : {"nelder-mead", "least_squares"}
        Local refinement (bounded Nelder-Mead on the cost, or trust-region least squares on
        the standardised residuals with 2 % finite-difference steps).
    global_method : {"lhs", "differential_evolution", None}
        Global stage: a Latin-hypercube scan of ``n_global`` points (plus the start), a
        small differential evolution, or none.
    n_global : int, optional
        Points of the global stage (default 6 per free parameter + 2).
    max_evaluations : int, optional
        Simulations allowed in the local stage (default 40 per free parameter + 20).
    backend : str
        Simulation backend ("auto" uses the GPU when present).
    n_bootstrap : int
        Bootstrap replicates over measured and simulated cells for the uncertainties.
    max_cost : float
        Largest acceptable cost (mean z^2); a worse optimum raises :class:`FitError`.
    max_z : float
        Largest acceptable standardised residual |z| of any single statistic (a
        discrepancy the mean would dilute); a larger one raises :class:`FitError`.
    nan : {"raise", "drop-devices"}
        Handling of NaN readings (:func:`~pcmphys.fit.validate_measured`).

    Returns
    -------
    FitResult

    Raises
    ------
    MeasuredDataError
        The measured data break the schema.
    ParameterError
        Unknown free parameter or bounds outside its allowed range (named with unit).
    FitError
        No simulation succeeded, or the best cost exceeds ``max_cost``.

    Notes
    -----
    Cost: ``mean_k ((s_k(theta) - m_k) / se_k)^2`` over the statistics k of
    :mod:`pcmphys.fit.statistics`, with ``se_k^2`` = bootstrap variance of the measured
    statistic + that of the simulated one at the start. Uncertainties: the Jacobian J of the
    standardised residuals at the optimum (central differences, step 0.02 of each range)
    linearises the fit, and every bootstrap replicate of measured minus simulated statistics
    is mapped through ``(J^T J)^-1 J^T``; the spread of the mapped replicates is the
    reported standard uncertainty. Directions in which moving across the whole range changes
    the summed z^2 by less than 1 are reported as unidentified (uncertainty inf).
    """
    from pcmphys.fit.schema import read_measured
    from pcmphys.parameters import ParameterSet

    t_start = time.perf_counter()
    if not isinstance(base_params, ParameterSet):
        base_params = ParameterSet.load(base_params)
    if not hasattr(measured, "dims"):
        measured = read_measured(measured, nan=nan)
    ambient = base_params.thermal.ambient_temperature
    measured = validate_measured(measured, nan=nan, ambient_temperature=ambient)
    if method not in ("nelder-mead", "least_squares"):
        raise ValueError(f"method must be 'nelder-mead' or 'least_squares', got {method!r}")
    if global_method not in ("lhs", "differential_evolution", None):
        raise ValueError("global_method must be 'lhs', 'differential_evolution' or None, got "
                         f"{global_method!r}")
    params = _free_parameters(base_params, free, bounds)
    p = len(params)
    if n_devices is None:
        n_devices = max(200, measured.sizes.get("device", 0))
    _check_count("n_devices", n_devices, 2, "cells simulated per evaluation")
    _check_count("seed", seed, 0, "simulation seed")
    _check_count("n_bootstrap", n_bootstrap, 10, "bootstrap replicates")
    n_global = 6 * p + 2 if n_global is None else int(n_global)
    max_evaluations = 40 * p + 20 if max_evaluations is None else int(max_evaluations)

    plan = StatisticsPlan(measured)
    m_values, m_se, m_reps = plan.measured_values(measured, n_bootstrap, seed + 1)
    problem = _Problem(base_params, params, measured, plan, m_values, n_devices, seed, backend)
    u0 = np.array([fp.coordinate(getattr(getattr(base_params, fp.name.split(".")[0]),
                                         fp.name.split(".")[1])) for fp in params])
    first = problem.simulate(u0)
    if first is None:
        raise FitError(f"the simulation at the start point failed: {problem.last_error}")
    s_reps0 = plan.bootstrap(first, n_bootstrap, seed + 2)
    problem.se = np.sqrt(m_se ** 2 + floor_se(s_reps0.std(axis=0, ddof=1),
                                              plan.compute(first)) ** 2)

    u_best = _global_stage(problem, u0, global_method, n_global, seed)
    u_best = _local_stage(problem, u_best, method, max_evaluations)
    cost = problem.cost(u_best)
    if not math.isfinite(cost):
        raise FitError(f"no simulation gave finite statistics (last error: "
                       f"{problem.last_error}); check the bounds and the protocol")
    g_best = problem.simulate(u_best)
    table = problem.table(u_best)
    z_max = float(table["z"].abs().max())
    if cost > max_cost or z_max > max_z:
        worst = table.reindex(table["z"].abs().sort_values(ascending=False).index).head(5)
        raise FitError(
            f"fit failed: best cost {cost:.3g} (mean z^2; max_cost {max_cost:g}), largest "
            f"|z| {z_max:.3g} ({worst['name'].iloc[0]}; max_z {max_z:g}): the model with free "
            f"parameters {[fp.name for fp in params]} does not reproduce the data. Worst "
            "statistics:\n" + worst.to_string(index=False) +
            "\nTry other free parameters, wider bounds, or more evaluations.")
    sigma_u, corr, messages = _uncertainty(problem, u_best, g_best, m_reps, n_bootstrap, seed)
    messages += [f"{fp.name} = {fp.value(u):.6g} {fp.unit} sits at a search bound "
                 f"[{fp.lo:g}, {fp.hi:g}]; widen the bounds" for fp, u in zip(params, u_best)
                 if u < 0.005 or u > 0.995]
    for msg in messages:
        warnings.warn(msg, FitWarning, stacklevel=2)
    fitted = problem.params_at(u_best)
    return FitResult(
        params=fitted,
        values={fp.name: fp.value(u) for fp, u in zip(params, u_best)},
        uncertainty={fp.name: abs(fp.scale(u)) * s for fp, u, s in
                     zip(params, u_best, sigma_u)},
        start={fp.name: fp.value(u) for fp, u in zip(params, u0)},
        units={fp.name: fp.unit for fp in params}, cost=cost, correlation=corr,
        statistics=table, warnings=messages, n_evaluations=problem.n_evaluations,
        measured=measured, simulated=problem.as_dataset(g_best),
        elapsed=time.perf_counter() - t_start,
        settings={"n_devices": n_devices, "seed": seed, "method": method,
                  "global_method": global_method, "backend": backend,
                  "bounds": {fp.name: (fp.lo, fp.hi) for fp in params}})


def _check_count(name, value, lo, what):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < lo:
        raise ValueError(f"{name} ({what}) must be an integer >= {lo}, got {value!r}")


class _Problem:
    """Simulations with common random numbers, memoised by normalised coordinates."""

    def __init__(self, base, params, measured, plan, m_values, n_devices, seed, backend):
        self.base, self.free, self.measured, self.plan = base, params, measured, plan
        self.m_values, self.n_devices, self.seed, self.backend = m_values, n_devices, seed, \
            backend
        self.se = None
        self.cache = {}
        self.n_evaluations = 0
        self.last_error = None

    def params_at(self, u):
        changes = {fp.name: fp.value(x) for fp, x in zip(self.free, u)}
        return self.base.replace(**changes, name=f"{self.base.name}_fit",
                                 description=f"{self.base.name} with "
                                 f"{', '.join(changes)} fitted by pcmphys.fit")

    def simulate(self, u):
        """Conductance [S] (cells, events) at ``u``, or None when the simulation fails."""
        from pcmphys.parameters import ParameterError
        from pcmphys.protocol import ProtocolError

        key = tuple(np.round(np.clip(u, 0, 1), 12))
        if key not in self.cache:
            self.n_evaluations += 1
            try:
                ds = simulate_measurement(self.params_at(key), self.measured, self.n_devices,
                                          self.seed, self.backend)
                self.cache[key] = ds["conductance"].values
            except (ParameterError, ProtocolError, ValueError) as exc:
                self.last_error = f"{type(exc).__name__}: {exc}"
                self.cache[key] = None
        return self.cache[key]

    def statistics(self, u):
        g = self.simulate(u)
        if g is None:
            return None
        s = self.plan.compute(g)
        return s if np.isfinite(s).all() else None

    def residuals(self, u):
        s = self.statistics(u)
        if s is None:
            return np.full(self.m_values.size, 1e3)
        return (s - self.m_values) / self.se

    def cost(self, u):
        s = self.statistics(u)
        if s is None:
            return math.inf
        return float(np.mean(((s - self.m_values) / self.se) ** 2))

    def table(self, u):
        import pandas as pd

        s = self.statistics(u)
        return pd.DataFrame({"name": self.plan.names, "kind": self.plan.kinds,
                             "measured": self.m_values, "simulated": s, "se": self.se,
                             "z": (s - self.m_values) / self.se})

    def as_dataset(self, g):
        import xarray as xr

        from pcmphys.fit.schema import EVENT_COORDS

        return xr.Dataset({"conductance": (("device", "event"), g, {"units": "S"})},
                          coords={k: ("event", self.measured[k].values)
                                  for k in EVENT_COORDS})


def _global_stage(problem, u0, global_method, n_global, seed):
    from scipy.optimize import differential_evolution
    from scipy.stats import qmc

    p = u0.size
    best_u, best_c = u0, problem.cost(u0)
    if global_method == "lhs" and n_global > 0:
        for u in qmc.LatinHypercube(d=p, seed=seed).random(n_global):
            c = problem.cost(u)
            if c < best_c:
                best_u, best_c = u, c
    elif global_method == "differential_evolution":
        popsize = max(2, n_global // max(p, 1))
        res = differential_evolution(problem.cost, [(0.0, 1.0)] * p, maxiter=3,
                                     popsize=popsize, seed=seed, polish=False, x0=u0,
                                     init="latinhypercube", tol=0)
        if res.fun < best_c:
            best_u = res.x
    return np.asarray(best_u, float)


def _local_stage(problem, u, method, max_evaluations):
    from scipy.optimize import least_squares, minimize

    p = u.size
    if method == "least_squares":
        res = least_squares(problem.residuals, u, bounds=(0.0, 1.0), diff_step=0.02,
                            max_nfev=max(2, max_evaluations // (p + 1)), x_scale=0.1)
        cand = np.clip(res.x, 0, 1)
    else:
        simplex = np.vstack([u] + [u + np.where(np.arange(p) == i,
                                                0.08 if u[i] < 0.9 else -0.08, 0.0)
                                   for i in range(p)])
        res = minimize(problem.cost, u, method="Nelder-Mead", bounds=[(0.0, 1.0)] * p,
                       options={"maxfev": max_evaluations, "initial_simplex": simplex,
                                "xatol": 2e-3, "fatol": 1e-3})
        cand = np.clip(res.x, 0, 1)
    return cand if problem.cost(cand) <= problem.cost(u) else u


def _jacobian(problem, u, step=0.02):
    r0 = problem.residuals(u)
    J = np.empty((r0.size, u.size))
    for i in range(u.size):
        up, dn = u.copy(), u.copy()
        up[i] = min(1.0, u[i] + step)
        dn[i] = max(0.0, u[i] - step)
        J[:, i] = (problem.residuals(up) - problem.residuals(dn)) / (up[i] - dn[i])
    return J


def _uncertainty(problem, u, g_best, m_reps, n_bootstrap, seed):
    """Standard uncertainties in u, correlation matrix and identifiability messages."""
    names = [fp.name for fp in problem.free]
    J = _jacobian(problem, u)
    s_best = problem.plan.compute(g_best)
    s_reps = problem.plan.bootstrap(g_best, n_bootstrap, seed + 3)
    delta = ((m_reps - problem.m_values) - (s_reps - s_best)) / problem.se
    H = J.T @ J
    eigval, eigvec = np.linalg.eigh(H)
    # summed z^2 changes by eigval * du^2: < 1 across the whole range (du = 1) is flat
    flat_dirs = eigval < 1.0
    messages = []
    flat = np.zeros(u.size, bool)
    for k in np.flatnonzero(flat_dirs):
        involved = np.abs(eigvec[:, k]) > 0.3
        flat |= involved
        messages.append("the cost is flat along " + " + ".join(
            f"{eigvec[i, k]:+.2f}*{names[i]}" for i in np.flatnonzero(involved)) +
            " (normalised to the bounds): the data do not identify "
            f"{' / '.join(names[i] for i in np.flatnonzero(involved))}")
    keep = ~flat_dirs
    H_pinv = (eigvec[:, keep] / eigval[keep]) @ eigvec[:, keep].T
    du = delta @ (J @ H_pinv)  # (B, p): replicate shifts of the optimum
    cov = np.cov(du, rowvar=False).reshape(u.size, u.size)
    sigma = np.sqrt(np.clip(np.diag(cov), 0, None))
    sigma[flat] = np.inf
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = cov / np.outer(sigma, sigma)
    corr[np.ix_(flat, flat)] = np.nan
    np.fill_diagonal(corr, 1.0)
    for i in range(u.size):
        for j in range(i + 1, u.size):
            if not (flat[i] or flat[j]) and abs(corr[i, j]) > 0.95:
                messages.append(f"{names[i]} and {names[j]} are strongly correlated "
                                f"(rho = {corr[i, j]:+.3f}): the data fix mainly a combination")
    for i in np.flatnonzero(~flat):
        if sigma[i] > 0.25:
            messages.append(f"{names[i]} is weakly identified: its uncertainty spans "
                            f"{sigma[i]:.0%} of the search range")
    return sigma, corr, messages
