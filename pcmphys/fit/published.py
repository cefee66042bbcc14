"""Published curves to fit against: ``data/published/<bibkey>/<name>.csv`` + ``.json``.

Each CSV has a JSON sidecar with ``source``, ``figure``, ``quantity``, ``units`` (per
column), ``uncertainty``, ``evidence`` (tag [V], [L] or [E]) and ``derivation``. Curves that are
evaluations of published formulas (not digitised data points) say so in ``derivation`` and
are regenerated exactly by the functions below (``python -m pcmphys.fit.published``).

The files live in ``<repo>/data/published`` (sdist, editable installs) and in
``pcmphys/data/published`` inside a wheel.
"""
from __future__ import annotations

import json
import pathlib

import numpy as np

__all__ = [
    "ACCUMULATION_FIT_BOUNDS",
    "aihwkit_drift_table",
    "demirag_accumulation_table",
    "list_published",
    "load_published",
    "published_dir",
]


#: free parameters and search bounds [SI] of the physical model's fit to the published
#: accumulation statistics (studies/fit_published_accumulation and its validation test).
#: The cell-to-cell spread is fitted through the device spread of the growth prefactor: in the
#: filament-confined SET model the growth-front temperature follows the filament's power
#: density, so the spread of R_th (the knob of the lumped heating law) hardly moves it.
ACCUMULATION_FIT_BOUNDS = {"crystallization.max_growth_velocity": (0.2, 8.0),
                           "thermal.amorphous_on_field": (1e5, 2e7),
                           "crystallization.growth_temperature_width": (30.0, 120.0),
                           "variability.growth_device_sigma": (0.0, 0.6)}


def published_dir():
    """Directory of the published curves (wheel copy first, then the repository's)."""
    here = pathlib.Path(__file__).resolve().parent.parent
    for candidate in (here / "data" / "published", here.parent / "data" / "published"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("data/published not found beside the pcmphys package (looked in "
                            f"{here / 'data'} and {here.parent / 'data'})")


def list_published():
    """Names ``"<bibkey>/<name>"`` of the shipped curves."""
    root = published_dir()
    return sorted(str(p.relative_to(root).with_suffix("")) for p in root.glob("*/*.csv"))


def load_published(name, as_measured=False):
    """Load a published curve.

    Parameters
    ----------
    name : str
        ``"<bibkey>/<name>"`` as listed by :func:`list_published`.
    as_measured : bool
        Return the curve as a summary-form measured Dataset (for :func:`pcmphys.fit.fit`);
        only for curves whose sidecar has a ``fit_target`` entry.

    Returns
    -------
    (pandas.DataFrame, dict) or xarray.Dataset
        The table (units in the sidecar) and the sidecar; or the measured Dataset.
    """
    import pandas as pd

    names = list_published()
    if name not in names:
        raise KeyError(f"no published curve {name!r}; available: {', '.join(names)}")
    root = published_dir()
    table = pd.read_csv(root / f"{name}.csv", comment="#")
    meta = json.loads((root / f"{name}.json").read_text())
    if not as_measured:
        return table, meta
    target = meta.get("fit_target")
    if target is None:
        raise ValueError(f"{name} has no fit_target in its sidecar; load it as a table")
    return _as_measured(table, meta, target)


def _as_measured(table, meta, target):

    from pcmphys.fit import protocols
    from pcmphys.fit.schema import validate_measured

    rows = table
    events = getattr(protocols, target["protocol"])(**target["protocol_args"])
    positions = rows[target["event_column"]].to_numpy(int)
    if not np.array_equal(positions, np.arange(len(events["n_pulses"]))):
        raise ValueError("the table rows must be the protocol's events in order")
    events["include"] = ~np.isin(positions, target.get("exclude_events", []))
    scale = float(target["to_si"])
    ds = protocols.events_dataset(events)
    ds["conductance_mean"] = ("event", rows[target["mean_column"]].to_numpy(float) * scale)
    ds["conductance_std"] = ("event", rows[target["std_column"]].to_numpy(float) * scale)
    ds.attrs.update(relative_uncertainty=float(target["relative_uncertainty"]),
                    source=meta["source"])
    return validate_measured(ds)


# ---------------------------------------------------------------------- derived curves
def demirag_accumulation_table(n_pulses=50, n_cells=1_000_000, seed=2018):
    """Accumulation statistics of the Nandakumar/Demirag per-pulse model.

    ``dG ~ N(mu, sigma)`` per SET pulse, ``mu = 0.892 - 0.084 G``, ``sigma = 0.575 + 0.09 G``
    [uS], G clipped to [0.1, 20] uS, start (RESET) G0 = 0.1 uS with 10 % sigma.

    Returns
    -------
    dict of ndarray
        ``pulse``; ``mean_uS`` (mean recursion G_{n+1} = G_n + mu(G_n), which gives the
        quoted 0.98, 3.84, 6.24, 8.8, 10.3 uS); ``mc_mean_uS`` and ``std_uS`` (Monte Carlo of
        the full clipped model, ``n_cells`` cells, numpy default_rng(``seed``)).
    """
    rng = np.random.default_rng(seed)
    g = np.clip(0.1 + 0.01 * rng.standard_normal(n_cells), 0.1, 20.0)
    det = [0.1]
    mc_mean, mc_std = [g.mean()], [g.std(ddof=1)]
    for _ in range(n_pulses):
        det.append(det[-1] + 0.892 - 0.084 * det[-1])
        g = np.clip(g + 0.892 - 0.084 * g + (0.575 + 0.09 * g) * rng.standard_normal(n_cells),
                    0.1, 20.0)
        mc_mean.append(g.mean())
        mc_std.append(g.std(ddof=1))
    return {"pulse": np.arange(n_pulses + 1), "mean_uS": np.array(det),
            "mc_mean_uS": np.array(mc_mean), "std_uS": np.array(mc_std)}


def aihwkit_drift_table(n_points=31, g_max_us=25.0, t0=20.0, t=3600.0):
    """Drift-exponent statistics of the aihwkit PCMLikeNoiseModel on a conductance grid.

    ``mu_nu = clip(-0.0155 ln g + 0.0244, 0.049, 0.1)``,
    ``sigma_nu = clip(-0.0125 ln g - 0.0059, 0.008, 0.045)``, g = G_target / 25 uS, and the
    mean drift factor ``E[((t + t0)/t0)^-|nu|]`` at t = 3600 s (Gauss-Hermite, 64 nodes).
    """
    g_us = np.geomspace(0.1, g_max_us, n_points)
    g = np.maximum(g_us / g_max_us, 1e-7)
    mu = np.clip(-0.0155 * np.log(g) + 0.0244, 0.049, 0.1)
    sigma = np.clip(-0.0125 * np.log(g) - 0.0059, 0.008, 0.045)
    x, w = np.polynomial.hermite_e.hermegauss(64)
    nu = np.abs(mu[:, None] + sigma[:, None] * x[None, :])
    factor = (np.exp(-nu * np.log((t + t0) / t0)) * w).sum(axis=1) / w.sum()
    return {"g_target_uS": g_us, "g_normalized": g, "mu_nu": mu, "sigma_nu": sigma,
            "mean_drift_factor_3600s": factor}


def _write(name, table, digits=6):
    import pandas as pd

    path = published_dir() / f"{name}.csv"
    pd.DataFrame(table).to_csv(path, index=False, float_format=f"%.{digits}g")
    return path


if __name__ == "__main__":
    print(_write("nandakumar2018/accumulation_100uA", demirag_accumulation_table()))
    print(_write("joshi2020/drift_exponent_statistics", aihwkit_drift_table()))
