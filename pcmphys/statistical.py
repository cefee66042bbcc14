"""Statistical PCM mode: the field's empirical conductance model, on every backend.

The formulas are the PCM model calibrated on IBM's 1M-device chip (Nandakumar et al.,
ICECS 2019; Joshi et al., Nat. Commun. 11, 2473 (2020)), as used by aihwkit's
``PCMLikeNoiseModel``, plus the Nandakumar et al. (JAP 124, 152135 (2018)) accumulation
statistics in the per-pulse re-fit of Demirag (meta-analog). The code is our own.

Three layers:

* pure functions of NumPy arrays (:func:`programming_sigma`, :func:`drift_exponent_stats`,
  :func:`program`, :func:`drift`, :func:`read_noise_sigma`, :func:`read`, :func:`read_times`,
  :func:`set_pulse`, :func:`reset_pulse`) -- the reference;
* :class:`StatisticalParams`, the coefficients as a frozen, validated parameter dataclass;
* :class:`StatisticalPopulation`, per-device state on a backend, running the reference on
  ``numpy`` and the kernel twins of ``kernels/pcm_statistical.cu`` on ``host`` and ``cupy``.

Precision: ``dtype=float64`` (default) or ``float32`` (aihwkit's precision, 1.5-2 times as
fast on the host backend: twice the SIMD lanes, four normals per random draw instead of
two). Both follow the same formulas; the float32 conductances agree with float64 ones to
float32 rounding in distribution, not draw for draw (the normals come from other bits).

Randomness is the counter RNG of :mod:`pcmphys.rng`, keyed on (seed, global device index,
event, stream): results do not depend on chunking or backend.

* programming event: one draw on ``STREAM_STAT_PROGRAM``; float64: the Box-Muller pair
  :func:`~pcmphys.rng.normal2` ``(z0, z1)``; float32: :func:`~pcmphys.rng.normal2_f32`;
  ``z0`` programming noise, ``z1`` drift exponent;
* read event ``e``: normal number ``e mod G`` of the draw at event ``e - (e mod G)`` of
  ``STREAM_STAT_READ``, with ``G = 2`` normals per draw in float64 (:func:`~pcmphys.rng.normal2`)
  and ``G = 4`` in float32 (:func:`~pcmphys.rng.normal4_f32`). Consecutive reads share one
  draw and no normal is thrown away. (Earlier versions gave float64 read event ``e``
  ``z0`` of its own draw and discarded ``z1``: the float64 read-noise values changed with
  this scheme, their distribution did not.)
* SET/RESET pulse event: ``z0`` of ``STREAM_STAT_PULSE`` for the conductance step, ``z1`` for
  the drift exponent of the new state (float64 in both precisions).

All conductances are in siemens [S] at the API; the published coefficients (in uS) are
converted in :class:`StatisticalParams`.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from pcmphys import rng
from pcmphys.parameters.core import Mechanism, ParameterError, param

__all__ = [
    "STAT_PARAMS_DTYPE",
    "StatisticalParams",
    "StatisticalPopulation",
    "accumulation_mean_curve",
    "drift",
    "drift_exponent",
    "drift_exponent_stats",
    "program",
    "programming_sigma",
    "read",
    "read_noise_coefficient",
    "read_noise_sigma",
    "read_times",
    "reset_pulse",
    "set_pulse",
]

_US = 1e-6


@dataclass(frozen=True)
class StatisticalParams(Mechanism):
    """Coefficients of the statistical PCM model, SI units.

    Defaults are the published values (aihwkit PCMLikeNoiseModel / Joshi 2020 for programming
    noise, drift and read noise; Nandakumar 2018 as re-fitted by Demirag for accumulation).
    Construct with keyword overrides (``StatisticalParams(g_max=10e-6)`` or ``"10 uS"``);
    bad values raise :class:`~pcmphys.parameters.ParameterError` naming field, unit and range.
    """

    section = "statistical"

    g_max: float = param(25e-6, "S", "joshi2020", "V", (1e-9, 1e-2),
                         "conductance that maps to g = 1 (full-scale weight)")
    t0: float = param(20.0, "s", "joshi2020", "V", (1e-9, 1e9),
                      "reference time of drift: G(t) = G_prog ((t + t0)/t0)^-nu")
    t_read: float = param(250e-9, "s", "joshi2020", "V", (1e-12, 1.0),
                          "read duration (upper band edge 1/(2 t_read) of the 1/f noise)")
    prog_c0: float = param(0.26348, "1", "joshi2020", "V", (0.0, 10.0),
                           "programming sigma polynomial, constant term (x g_max/25)",
                           stochastic=True)
    prog_c1: float = param(1.9650, "1", "joshi2020", "V", (-10.0, 10.0),
                           "programming sigma polynomial, linear term (x g_max/25)",
                           stochastic=True)
    prog_c2: float = param(-1.1731, "1", "joshi2020", "V", (-10.0, 10.0),
                           "programming sigma polynomial, quadratic term (x g_max/25)",
                           stochastic=True)
    nu_mean_slope: float = param(-0.0155, "1", "joshi2020", "V", (-1.0, 1.0),
                                 "drift exponent mean: coefficient of ln g")
    nu_mean_intercept: float = param(0.0244, "1", "joshi2020", "V", (-1.0, 1.0),
                                     "drift exponent mean: intercept")
    nu_mean_min: float = param(0.049, "1", "joshi2020", "V", (0.0, 1.0),
                               "drift exponent mean: lower clip")
    nu_mean_max: float = param(0.1, "1", "joshi2020", "V", (0.0, 1.0),
                               "drift exponent mean: upper clip")
    nu_std_slope: float = param(-0.0125, "1", "joshi2020", "V", (-1.0, 1.0),
                                "drift exponent std: coefficient of ln g", stochastic=True)
    nu_std_intercept: float = param(-0.0059, "1", "joshi2020", "V", (-1.0, 1.0),
                                    "drift exponent std: intercept", stochastic=True)
    nu_std_min: float = param(0.008, "1", "joshi2020", "V", (0.0, 1.0),
                              "drift exponent std: lower clip", stochastic=True)
    nu_std_max: float = param(0.045, "1", "joshi2020", "V", (0.0, 1.0),
                              "drift exponent std: upper clip", stochastic=True)
    g_floor: float = param(1e-7, "1", "joshi2020", "V", (1e-30, 1.0),
                           "lower clip of g = G_target/g_max in the drift terms")
    read_q: float = param(0.0088, "1", "joshi2020", "V", (0.0, 10.0),
                          "read noise: Q_s = read_q / max(g_prog^read_exponent, floor)",
                          stochastic=True)
    read_exponent: float = param(0.65, "1", "joshi2020", "V", (0.0, 5.0),
                                 "read noise: exponent of g_prog")
    read_g_floor: float = param(1e-3, "1", "joshi2020", "V", (1e-30, 1.0),
                                "read noise: floor of g_prog^read_exponent")
    read_q_max: float = param(0.2, "1", "joshi2020", "V", (0.0, 10.0),
                              "read noise: upper clip of Q_s", stochastic=True)
    acc_mean_intercept: float = param(0.892e-6, "S", "nandakumar2018", "V", (-1e-3, 1e-3),
                                      "mean SET step: intercept (0.892 uS)")
    acc_mean_slope: float = param(-0.084, "1", "nandakumar2018", "V", (-10.0, 10.0),
                                  "mean SET step: coefficient of G")
    acc_std_intercept: float = param(0.575e-6, "S", "nandakumar2018", "V", (0.0, 1e-3),
                                     "SET step std: intercept (0.575 uS)", stochastic=True)
    acc_std_slope: float = param(0.09, "1", "nandakumar2018", "V", (0.0, 10.0),
                                 "SET step std: coefficient of G", stochastic=True)
    acc_g_min: float = param(0.1e-6, "S", "nandakumar2018", "V", (0.0, 1e-2),
                             "lower clip of G after a SET pulse")
    acc_g_max: float = param(20e-6, "S", "nandakumar2018", "V", (0.0, 1e-2),
                             "upper clip of G after a SET pulse")
    reset_conductance: float = param(0.1e-6, "S", "nandakumar2018", "V", (0.0, 1e-2),
                                     "mean conductance after RESET")
    reset_relative_sigma: float = param(0.1, "1", "nandakumar2018", "V", (0.0, 10.0),
                                        "relative std of the RESET conductance",
                                        stochastic=True)
    reset_g_min: float = param(0.01e-6, "S", "nandakumar2018", "V", (0.0, 1e-2),
                               "lower clip of the RESET conductance")

    def __post_init__(self):
        super().__post_init__()
        for lo, hi in (("nu_mean_min", "nu_mean_max"), ("nu_std_min", "nu_std_max"),
                       ("acc_g_min", "acc_g_max")):
            if getattr(self, lo) > getattr(self, hi):
                raise ParameterError(
                    f"statistical.{lo} = {getattr(self, lo)!r} must be <= statistical.{hi} = "
                    f"{getattr(self, hi)!r}", f"statistical.{lo}")

    #: named coefficient sets: the published values
    NAMED = ("joshi2020",)

    @classmethod
    def load(cls, name_or_path):
        """A named coefficient set (``"joshi2020"``: the published values) or a TOML file.

        Raises
        ------
        ParameterError
            For an unknown name (the message lists the valid names) or a bad file.
        FileNotFoundError
            For a path that does not exist.
        """
        from pathlib import Path

        text = str(name_or_path)
        if text in cls.NAMED:
            return cls()
        if text.endswith(".toml") or "/" in text or "\\" in text:
            path = Path(text)
            if not path.is_file():
                raise FileNotFoundError(f"statistical parameter file {text!r} not found")
            return cls.from_toml(path.read_text(encoding="utf-8"), text)
        raise ParameterError(f"unknown statistical parameter set {text!r}; valid names: "
                             f"{', '.join(cls.NAMED)}, or a path to a .toml file", text)

    @classmethod
    def from_toml(cls, text, source="<string>"):
        """Coefficients from TOML text with a ``[statistical]`` table.

        Keys are field names; values numbers (SI) or ``"<number> <unit>"`` strings
        (``g_max = "25 uS"``). Missing keys keep the published defaults; unknown keys raise
        :class:`~pcmphys.parameters.ParameterError` listing the valid names.
        """
        import difflib
        import tomllib

        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ParameterError(f"{source}: invalid TOML: {exc}", source) from None
        table = data.get("statistical")
        if not isinstance(table, dict):
            raise ParameterError(f"{source}: no [statistical] table", source)
        names = cls.field_names()
        for key in table:
            if key not in names:
                close = difflib.get_close_matches(key, names, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise ParameterError(f"{source}: unknown parameter statistical.{key}{hint}; "
                                     f"valid: {', '.join(names)}", f"statistical.{key}")
        return cls(**table)

    def to_toml(self):
        """TOML text (``[statistical]`` table, SI numbers) that :meth:`from_toml` reads back."""
        lines = ["[statistical]"]
        for info in self.fields_info():
            lines.append(f"{info.name} = {float(getattr(self, info.name))!r}  "
                         f"# [{info.unit}] [{info.tag}] {info.ref}: {info.doc}")
        return "\n".join(lines) + "\n"

    def replace(self, **changes):
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def deterministic(self):
        """A copy with every noise and spread set to 0 (fields marked stochastic)."""
        zero = {f.name: 0.0 for f in self.fields_info() if f.stochastic}
        return dataclasses.replace(self, **zero)

    def to_struct(self):
        """The coefficients as a NumPy structured scalar matching ``pcm_stat_params``."""
        out = np.zeros((), STAT_PARAMS_DTYPE)
        for name in self.field_names():
            out[name] = getattr(self, name)
        return out[()]


#: layout of ``struct pcm_stat_params`` in kernels/pcm_statistical.cu (all float64)
STAT_PARAMS_DTYPE = np.dtype([(n, np.float64) for n in StatisticalParams.field_names()],
                             align=True)


def _params(params):
    if params is None:
        return StatisticalParams()
    if not isinstance(params, StatisticalParams):
        raise TypeError(f"params must be a StatisticalParams, got {type(params).__name__}")
    return params


#: precisions of the statistical mode
DTYPES = (np.dtype(np.float64), np.dtype(np.float32))
#: normals per read draw in each precision (see the module docstring)
READS_PER_DRAW = {np.dtype(np.float64): 2, np.dtype(np.float32): 4}


def _dtype(dtype):
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    if dt not in DTYPES:
        raise ValueError(f"dtype must be float64 or float32, got {dtype!r}")
    return dt


def _conductance(name, g, dtype=np.float64):
    g = np.asarray(g, dtype=dtype)
    if not np.all(np.isfinite(g)) or np.any(g < 0):
        raise ValueError(f"{name} must be finite and >= 0 [S]; allowed range [0, inf) S")
    return g


def _time(name, t):
    if np.ndim(t) == 0 and not isinstance(t, np.ndarray):  # one time: the API's unit check
        from pcmphys.protocol import check_quantity

        return np.asarray(check_quantity(name, t, "s", 0.0, np.inf, "time since programming",
                                         error=ValueError))
    if np.asarray(t).dtype == bool:
        raise ValueError(f"{name} must be times [s], got a bool array")
    t = np.asarray(t, dtype=np.float64)
    if not np.all(np.isfinite(t)) or np.any(t < 0):
        raise ValueError(f"{name} must be finite and >= 0 [s] (time since programming); "
                         "allowed range [0, inf) s")
    return t


# ------------------------------------------------------------------ formulas (reference)
def programming_sigma(g_target, params=None):
    """Standard deviation of the programming error [S].

    Parameters
    ----------
    g_target : array_like
        Target conductance [S], >= 0.
    params : StatisticalParams, optional

    Returns
    -------
    numpy.ndarray
        ``sigma = g_max (c0 + c1 g + c2 g^2) / 25`` [S] with ``g = G_target / g_max``, at least 0.

    Notes
    -----
    Nandakumar et al. ICECS 2019; the coefficients refer to g_max = 25 uS.
    """
    return _programming_sigma(_conductance("g_target", g_target), _params(params))


def _programming_sigma(g_target, p):
    """programming_sigma in the precision of `g_target` (float64 or float32)."""
    g = g_target / p.g_max
    sig = (p.prog_c0 + p.prog_c1 * g + p.prog_c2 * g * g) * (p.g_max / 25.0)
    return np.maximum(sig, 0.0)


def drift_exponent_stats(g_target, params=None):
    """Mean and std of the drift exponent for a target conductance.

    Parameters
    ----------
    g_target : array_like
        Target conductance [S].
    params : StatisticalParams, optional

    Returns
    -------
    mu, sigma : numpy.ndarray
        ``mu = clip(a ln g + b, mu_min, mu_max)``, ``sigma = clip(c ln g + d, s_min, s_max)``
        [1], ``g = max(G_target/g_max, g_floor)``.
    """
    return _drift_exponent_stats(_conductance("g_target", g_target), _params(params))


def _drift_exponent_stats(g_target, p):
    """drift_exponent_stats in the precision of `g_target`."""
    g = np.maximum(g_target / p.g_max, p.g_floor)
    lg = np.log(g)
    mu = np.clip(p.nu_mean_slope * lg + p.nu_mean_intercept, p.nu_mean_min, p.nu_mean_max)
    sd = np.clip(p.nu_std_slope * lg + p.nu_std_intercept, p.nu_std_min, p.nu_std_max)
    return mu, sd


def drift_exponent(g_target, z, params=None):
    """Per-device drift exponent ``nu = |mu + sigma z|`` [1] for standard normals `z`."""
    mu, sd = drift_exponent_stats(g_target, params)
    return np.abs(mu + sd * np.asarray(z, np.float64))


def _drift_exponent(g_target, z, p):
    mu, sd = _drift_exponent_stats(g_target, p)
    return np.abs(mu + sd * z)


def program(g_target, seed, device, event=0, params=None, dtype=np.float64):
    """Program target conductances: programming noise and per-device drift exponent.

    Parameters
    ----------
    g_target : array_like
        Target conductance [S], >= 0, one per device.
    seed : int
        Seed of the counter RNG.
    device : array_like of int
        Global device indices (same shape as `g_target`).
    event : int
        Programming event index (a reprogrammed device needs a new event).
    params : StatisticalParams, optional
    dtype : {float64, float32}
        Precision of the computation and the result; float32 draws its normals with
        :func:`pcmphys.rng.normal2_f32`.

    Returns
    -------
    g_prog : numpy.ndarray
        ``max(G_target + sigma_prog z0, 0)`` [S].
    nu : numpy.ndarray
        Drift exponent ``|mu_nu + sigma_nu z1|`` [1], fixed per device until reprogrammed.
    """
    p = _params(params)
    dt = _dtype(dtype)
    g_target = _conductance("g_target", g_target, dt)
    normal = rng.normal2 if dt == np.float64 else rng.normal2_f32
    z0, z1 = normal(seed, device, event, rng.STREAM_STAT_PROGRAM)
    g_prog = np.maximum(g_target + _programming_sigma(g_target, p) * z0, 0.0)
    return g_prog, _drift_exponent(g_target, z1, p)


def drift(g_prog, nu, t, params=None, dtype=np.float64):
    """Drifted conductance ``G_prog ((t + t0)/t0)^-nu`` [S], `t` [s] since programming.

    Computed in `dtype` (float64 or float32) as ``G_prog exp(-nu ln((t + t0)/t0))``, the
    logarithm in float64 (it depends on `t` only), like the kernels.
    """
    p = _params(params)
    dt = _dtype(dtype)
    log_age = np.asarray(_log_age(_time("t", t), p), dt)
    return np.asarray(g_prog, dt) * np.exp(-np.asarray(nu, dt) * log_age)


def _log_age(t, p):
    """``ln((t + t0)/t0)`` [1] in float64: the drift factor is ``exp(-nu ln(.))``."""
    return np.log((t + p.t0) / p.t0)


def _band(t, p):
    """``sqrt(ln((t + t0 + t_read)/(2 t_read)))`` [1] in float64: the 1/f band factor."""
    return np.sqrt(np.log((t + p.t0 + p.t_read) / (2.0 * p.t_read)))


def read_noise_coefficient(g_prog, params=None):
    """``Q_s = min(read_q / max((G_prog/g_max)^0.65, 1e-3), 0.2)`` [1]."""
    return _read_noise_coefficient(np.asarray(g_prog, np.float64), _params(params))


def _read_noise_coefficient(g_prog, p):
    """read_noise_coefficient in the precision of `g_prog`."""
    g = np.maximum(g_prog, 0.0) / p.g_max
    return np.minimum(p.read_q / np.maximum(g ** p.read_exponent, p.read_g_floor), p.read_q_max)


def read_noise_sigma(g_prog, t, params=None):
    """Relative read-noise std ``Q_s sqrt(ln((t + t0 + t_read)/(2 t_read)))`` [1].

    Notes
    -----
    1/f noise integrated from f = 1/(t + t0) to 1/(2 t_read) (Joshi 2020).
    """
    p = _params(params)
    return read_noise_coefficient(g_prog, p) * _band(_time("t", t), p)


def read(g_prog, nu, t, seed, device, event, params=None, noise=True, dtype=np.float64):
    """Read devices `t` seconds after programming: drift plus read noise [S].

    Parameters
    ----------
    g_prog, nu : array_like
        Programmed conductance [S] and drift exponent [1] (from :func:`program`).
    t : float
        Time since programming [s], >= 0.
    seed, device, event
        Counter-RNG key; each read needs its own `event` (noise is redrawn per read). Read
        event ``e`` takes normal ``e mod G`` of the draw at event ``e - (e mod G)``
        (``G = 2`` in float64, 4 in float32; module docstring).
    params : StatisticalParams, optional
    noise : bool
        False returns the drifted conductance without read noise.
    dtype : {float64, float32}
        Precision of the computation and the result.

    Returns
    -------
    numpy.ndarray
        ``max(G_d + |G_d| sigma_nG z, 0)`` [S] with ``G_d`` from :func:`drift`.
    """
    p = _params(params)
    dt = _dtype(dtype)
    gd = drift(g_prog, nu, t, p, dt)
    if not noise:
        return gd
    event = np.asarray(event)
    group = READS_PER_DRAW[dt]
    z = _read_normal(seed, device, event - event % group, event % group, dt)
    q = _read_noise_coefficient(np.asarray(g_prog, dt), p)
    return _noisy(gd, q, _band(_time("t", t), p), z)


def _read_normal(seed, device, base, index, dt):
    """Normal number `index` of the read draw at event `base` (arrays broadcast)."""
    if np.ndim(index) == 0 and dt == np.float32:   # one read: only the pair it needs
        words = rng.draw(seed, device, base, rng.STREAM_STAT_READ)
        k = int(index)
        a, b = (words[0], words[1]) if k < 2 else (words[2], words[3])
        return rng.box_muller_f32(rng.uniform_f32(a), rng.uniform_f32(b))[k & 1]
    if dt == np.float64:
        normals = rng.normal2(seed, device, base, rng.STREAM_STAT_READ)
    else:
        normals = rng.normal4_f32(seed, device, base, rng.STREAM_STAT_READ)
    if np.ndim(index) == 0:
        return normals[int(index)]
    return np.choose(np.broadcast_to(index, normals[0].shape), normals)


def _noisy(gd, q, band, z):
    """``max(G_d + |G_d| Q_s band z, 0)`` in the precision of `gd` (q: Q_s)."""
    sigma = q * np.asarray(band, gd.dtype)
    return np.maximum(gd + np.abs(gd) * sigma * z, 0.0)


def read_times(g_prog, nu, times, seed, device, event0, params=None, noise=True,
               dtype=np.float64):
    """Reads at several times after programming, one per time, events ``event0 + r`` [S].

    Equal, read for read, to ``read(g_prog, nu, times[r], seed, device, event0 + r)`` for
    ``r = 0 .. len(times) - 1``, but each random draw is made once for the ``G`` reads that
    share it (``G = 2`` float64, 4 float32).

    Parameters
    ----------
    g_prog, nu : array_like, shape (n,)
        Programmed conductance [S] and drift exponent [1].
    times : array_like, shape (T,)
        Times since programming [s], >= 0 (any order, repeats allowed).
    seed, device : int, array_like of int
        Counter-RNG key (`device`: global device indices, shape (n,)).
    event0 : int
        Event index of the first read, 0 <= event0 and event0 + T <= 2**32.
    params : StatisticalParams, optional
    noise : bool
        False: drifted conductances only.
    dtype : {float64, float32}

    Returns
    -------
    numpy.ndarray, shape (T, n)
    """
    p = _params(params)
    dt = _dtype(dtype)
    times = _time("times", np.atleast_1d(times))
    g_prog, nu = np.asarray(g_prog, dt), np.asarray(nu, dt)
    log_age, band = _log_age(times, p).astype(dt), _band(times, p)
    out = np.empty((times.size, g_prog.size), dt)
    group = READS_PER_DRAW[dt]
    q = _read_noise_coefficient(g_prog, p) if noise else None
    r = 0
    while r < times.size:
        e = int(event0) + r
        base, first = e - e % group, e % group
        count = min(group - first, times.size - r) if noise else times.size - r
        if noise and count == 1:
            normals = {first: _read_normal(seed, device, base, first, dt)}
        elif noise:
            normals = dict(enumerate(rng.normal2(seed, device, base, rng.STREAM_STAT_READ)
                                     if dt == np.float64 else
                                     rng.normal4_f32(seed, device, base, rng.STREAM_STAT_READ)))
        for k in range(count):
            gd = g_prog * np.exp(-nu * log_age[r + k])
            out[r + k] = _noisy(gd, q, band[r + k], normals[first + k]) if noise else gd
        r += count
    return out


def set_pulse(g, seed, device, event, params=None):
    """One SET pulse of the accumulation statistics; returns ``(G_new, nu_new)``.

    ``dG ~ N(a0 + a1 G, b0 + b1 G)``, ``G_new = clip(G + dG, acc_g_min, acc_g_max)``
    (Nandakumar 2018, per-pulse re-fit by Demirag). ``nu_new`` is drawn for the new state.
    """
    p = _params(params)
    g = np.asarray(g, np.float64)
    z0, z1 = rng.normal2(seed, device, event, rng.STREAM_STAT_PULSE)
    mu = p.acc_mean_intercept + p.acc_mean_slope * g
    sd = p.acc_std_intercept + p.acc_std_slope * g
    g_new = np.clip(g + mu + sd * z0, p.acc_g_min, p.acc_g_max)
    return g_new, drift_exponent(g_new, z1, p)


def reset_pulse(seed, device, event, params=None):
    """One RESET pulse: ``G = max(G_reset (1 + s z), reset_g_min)``; returns ``(G, nu)``."""
    p = _params(params)
    z0, z1 = rng.normal2(seed, device, event, rng.STREAM_STAT_PULSE)
    g_new = np.maximum(p.reset_conductance * (1.0 + p.reset_relative_sigma * z0), p.reset_g_min)
    return g_new, drift_exponent(g_new, z1, p)


def accumulation_mean_curve(n_pulses, params=None):
    """Noise-free accumulation: G after 0..n_pulses SET pulses from the RESET mean [S].

    The recursion ``G <- clip(G + a0 + a1 G, g_min, g_max)``; for the published coefficients
    this gives 0.98, 3.83, 6.24, 8.79, 10.30 uS after 1, 5, 10, 20, 40 pulses.
    """
    p = _params(params)
    out = np.empty(int(n_pulses) + 1)
    g = p.reset_conductance
    out[0] = g
    for k in range(1, int(n_pulses) + 1):
        g = min(max(g + p.acc_mean_intercept + p.acc_mean_slope * g, p.acc_g_min), p.acc_g_max)
        out[k] = g
    return out


# ------------------------------------------------------------------ orchestration
class StatisticalPopulation:
    """Devices of the statistical PCM mode on one backend (state: G_prog [S], nu [1]).

    Parameters
    ----------
    n_devices : int
        Number of devices (>= 1).
    seed : int
        Seed of the counter RNG, 0 <= seed < 2**64.
    params : StatisticalParams, optional
        Model coefficients (default: the published values).
    backend : str or Backend
        "numpy" (reference), "host", "cupy" or "auto".
    device_offset : int
        Global index of the first device; populations (k, n) and (k + n, m) are the two
        halves of (k, n + m), device for device.
    dtype : {"float64", "float32"}
        Precision of the state and of program / read (float32: aihwkit's precision,
        1.5-2 times as fast on the host backend). SET/RESET pulses compute in float64.

    Notes
    -----
    Time is counted from the last :meth:`program` (or pulse) call, as in the published model:
    ``read(t)`` is the conductance `t` seconds after programming. Every program, pulse and
    read uses new event indices, so repeated reads carry independent noise.

    Examples
    --------
    >>> pop = StatisticalPopulation(4, seed=1, backend="numpy")
    >>> pop.program([0.0, 5e-6, 10e-6, 25e-6])
    >>> pop.read(3600.0).shape
    (4,)
    """

    def __init__(self, n_devices, seed, params=None, backend="auto", device_offset=0,
                 dtype="float64"):
        from pcmphys.backends import get_backend
        from pcmphys.population import _check_int

        self.n_devices = _check_int("n_devices", n_devices, 1, 2 ** 40)
        self.seed = _check_int("seed", seed, 0, 2 ** 64 - 1)
        self.device_offset = _check_int("device_offset", device_offset, 0, 2 ** 62)
        self.params = _params(params)
        self.dtype = _dtype(dtype)
        self.backend = get_backend(backend)
        self.xp = self.backend.xp
        self.event = 1
        self._struct = self.params.to_struct()
        self._devices = np.arange(self.device_offset, self.device_offset + self.n_devices,
                                  dtype=np.int64)
        self.g_prog = self.backend.zeros(self.n_devices, self.dtype)
        self.nu = self.backend.zeros(self.n_devices, self.dtype)
        self._suffix = "" if self.dtype == np.float64 else "_f32"
        self._module = self.backend.module("pcm_statistical.cu") if self.backend.compiled else None

    def _launch(self, name, *args):
        self._module.launch(name, self.n_devices, self._struct, np.uint64(self.seed),
                            np.int64(self.device_offset), np.int64(self.n_devices), *args)

    def _take_events(self, count):
        event = self.event
        if event + count >= 2 ** 32:
            raise OverflowError("event index exhausted (2**32 events per population)")
        self.event += count
        return event

    def program(self, g_target, where=None):
        """Program devices to `g_target` [S] (array of n_devices values, >= 0).

        Parameters
        ----------
        g_target : array_like
            Target conductance per device [S].
        where : array of bool, optional
            Devices to program (default all); the others keep their state. Used by
            program-and-verify loops.
        """
        xp = self.xp
        g_target = self.backend.asarray(g_target, self.dtype)
        if g_target.shape != (self.n_devices,):
            raise ValueError(f"g_target must have shape ({self.n_devices},), got {g_target.shape}")
        # min/max reductions (no temporaries); NaN fails both comparisons
        if not (bool(xp.min(g_target) >= 0) and bool(xp.max(g_target) < np.inf)):
            raise ValueError("g_target must be finite and >= 0 [S]; allowed range [0, inf) S")
        where = self._where(where)
        event = self._take_events(1)
        if self._module is not None:
            self._launch("pcm_stat_program" + self._suffix, np.uint32(event), where, g_target,
                         self.g_prog, self.nu)
            return
        g, nu = program(g_target, self.seed, self._devices, event, self.params, self.dtype)
        mask = slice(None) if where is None else where.astype(bool)
        self.g_prog[mask], self.nu[mask] = g[mask], nu[mask]

    def _where(self, where):
        if where is None:
            return None
        where = self.backend.asarray(where)
        if where.shape != (self.n_devices,):
            raise ValueError(f"where must have shape ({self.n_devices},), got {where.shape}")
        return where.astype(np.uint8)

    def read(self, t, repeats=None, noise=True):
        """Conductance [S] `t` seconds after programming.

        Parameters
        ----------
        t : float
            Time since programming [s], >= 0.
        repeats : int, optional
            Number of independent reads; the result then has shape (repeats, n_devices).
        noise : bool
            False: drifted conductance without read noise (no events are used).

        Returns
        -------
        backend array of the population's dtype, shape (n_devices,) or (repeats, n_devices)
        """
        from pcmphys.population import _check_int

        t = float(_time("t", t))
        r = 1 if repeats is None else _check_int("repeats", repeats, 1, 2 ** 31 - 1)
        out = self.read_times(np.full(r, t), noise=noise)
        return out[0] if repeats is None else out

    def read_times(self, times, noise=True, out=None):
        """One read at each of several times after programming, in one pass [S].

        Equal, read for read, to calling :meth:`read` once per time in order (same events),
        but fused: the state is loaded once and each random draw serves several reads.

        Parameters
        ----------
        times : array_like of float, shape (T,)
            Times since programming [s], >= 0 (any order, repeats allowed), 1 <= T < 2**31.
        noise : bool
            False: drifted conductances without read noise (no events are used).
        out : backend array, optional
            C-contiguous array of shape (T, n_devices) and the population's dtype to write
            into (reusing one avoids the page faults of a fresh (T, n) allocation).

        Returns
        -------
        backend array of the population's dtype, shape (T, n_devices) (`out` if given)
        """
        times = _time("times", np.atleast_1d(np.asarray(times, np.float64)))
        if times.ndim != 1 or not 1 <= times.size < 2 ** 31:
            raise ValueError(f"times must be a 1-d array of 1 to 2**31 - 1 times [s], "
                             f"got shape {times.shape}")
        count = times.size
        if out is not None and (out.shape != (count, self.n_devices) or out.dtype != self.dtype
                                or not out.flags.c_contiguous):
            raise ValueError(f"out must be a C-contiguous {self.dtype.name} array of shape "
                             f"({count}, {self.n_devices}), got {out.dtype} {out.shape}")
        event = self._take_events(count) if noise else 0
        if self._module is None:
            res = read_times(self.g_prog, self.nu, times, self.seed, self._devices, event,
                             self.params, noise, self.dtype)
            if out is None:
                return res
            out[...] = res
            return out
        if out is None:
            out = self.backend.empty((count, self.n_devices), self.dtype)
        log_age = self.backend.asarray(_log_age(times, self.params), np.float64)
        band = self.backend.asarray(_band(times, self.params), np.float64)
        self._launch("pcm_stat_read" + self._suffix, np.uint32(event), np.int32(count),
                     log_age, band, np.int32(bool(noise)), self.g_prog, self.nu, out)
        return out

    def _pulse(self, kind, where, repeat):
        from pcmphys.population import _check_int

        repeat = _check_int("repeat", repeat, 1, 2 ** 31 - 1)
        where = self._where(where)
        event = self._take_events(repeat)
        if self._module is not None:
            g, nu = self.g_prog.astype(np.float64), self.nu.astype(np.float64)  # copies
            self._launch("pcm_stat_pulse", np.uint32(event), np.int32(repeat), np.int32(kind),
                         where, g, nu)
            self.g_prog[...], self.nu[...] = g, nu
            return
        g, nu = self.g_prog.astype(np.float64), self.nu.astype(np.float64)
        for k in range(repeat):
            if kind == 0:
                g, nu = set_pulse(g, self.seed, self._devices, event + k, self.params)
            else:
                g, nu = reset_pulse(self.seed, self._devices, event + k, self.params)
        mask = slice(None) if where is None else where.astype(bool)
        self.g_prog[mask], self.nu[mask] = g[mask], nu[mask]

    def apply_set(self, where=None, repeat=1):
        """`repeat` SET pulses with the accumulation statistics (Nandakumar 2018).

        Parameters
        ----------
        where : array of bool, optional
            Devices that receive the pulses (default all).
        repeat : int
            Number of pulses (>= 1).
        """
        self._pulse(0, where, repeat)

    def apply_reset(self, where=None):
        """One RESET pulse: G = reset_conductance (1 + reset_relative_sigma z)."""
        self._pulse(1, where, 1)

    def __repr__(self):
        return (f"StatisticalPopulation({self.n_devices} devices from #{self.device_offset}, "
                f"backend={self.backend.name!r}, seed={self.seed}, dtype={self.dtype.name})")
