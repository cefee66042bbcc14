"""Measured-data schema: validation, readers (CSV / zarr / netCDF) and the protocol it implies.

The schema itself is documented in :mod:`pcmphys.fit` (package docstring). This module turns a
user's table or file into the canonical Dataset, with errors that say what is wrong and how to
fix it, and converts the per-event protocol description into a
:class:`~pcmphys.protocol.PulseTrain`.
Nothing here unpickles: CSV is parsed as text, zarr and netCDF through xarray.
"""
from __future__ import annotations

import itertools
import math
import pathlib

import numpy as np

from pcmphys.protocol import ProtocolError, Pulse, PulseTrain, Read, Wait

__all__ = [
    "EVENT_COORDS",
    "MeasuredDataError",
    "event_table",
    "from_table",
    "read_measured",
    "segments",
    "to_protocol",
    "to_table",
    "validate_measured",
]


class MeasuredDataError(ValueError):
    """Measured data do not follow the schema (the message names the column and the fix)."""


#: per-event protocol coordinates: name -> (SI unit, default or None if required,
#: plausible range (lo, hi) in SI, the unit a user most likely used when outside it)
EVENT_COORDS = {
    "n_pulses": ("1", None, (0, 1e9), None),
    "pulse_mode": ("", "current", None, None),
    "pulse_amplitude": ("A or V", np.nan, None, None),
    "pulse_width": ("s", np.nan, (0.0, 1e-3), "ns (x 1e-9) or us (x 1e-6)"),
    "pulse_rise_time": ("s", 2e-9, (0.0, 1e-3), "ns (x 1e-9)"),
    "pulse_fall_time": ("s", 2e-9, (0.0, 1e-3), "ns (x 1e-9)"),
    "time_since_pulse": ("s", None, (0.0, 1e12), None),
    "wait_temperature": ("K", np.nan, (150.0, 1500.0), "degC (add 273.15)"),
    "read_temperature": ("K", np.nan, (150.0, 1500.0), "degC (add 273.15)"),
    "read_voltage": ("V", 0.2, (1e-6, 100.0), "mV (x 1e-3)"),
    "include": ("bool", True, None, None),
}
#: plausible ranges of the measured quantities for one PCM cell [SI]
_QUANTITY_RANGE = {"conductance": ("S", 1e-13, 1e-2, "uS (x 1e-6)"),
                   "resistance": ("Ohm", 1e3, 1e13, "kOhm (x 1e3) or MOhm (x 1e6)")}
_AMPLITUDE_RANGE = {"current": (0.0, 0.1, "uA (x 1e-6)"), "voltage": (0.0, 100.0, "mV")}


# ---------------------------------------------------------------------- units
def _unit_factor(unit_text, expected, where):
    """(scale, offset) converting values in ``unit_text`` to ``expected`` SI unit."""
    from pcmphys.parameters.core import ParameterError, parse_unit

    try:
        given, want = parse_unit(unit_text), parse_unit(expected)
    except (ValueError, ParameterError) as exc:
        raise MeasuredDataError(f"{where}: unknown unit {unit_text!r} ({exc}); expected "
                                f"{expected}") from None
    if given.dims != want.dims:
        raise MeasuredDataError(f"{where}: unit {unit_text!r} is not a unit of {expected}")
    return float(given.scale / want.scale), float((given.offset - want.offset) / want.scale)


def _numeric(values, where):
    """``values`` as float64, or MeasuredDataError naming the column and the bad entries."""
    try:
        return np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        pass
    flat = np.ravel(np.asarray(values, dtype=object))
    bad = []
    for k, v in enumerate(flat):
        try:
            float(v)
        except (TypeError, ValueError, OverflowError):
            bad.append((k, v))
    shown = ", ".join(f"{v!r} at position {k}" for k, v in bad[:5])
    raise MeasuredDataError(f"column {where!r} must hold numbers; {len(bad)} entries do not "
                            f"({shown}{', ...' if len(bad) > 5 else ''})")


_TRUE = {"true", "yes", "y", "t", "1", "1.0"}
_FALSE = {"false", "no", "n", "f", "0", "0.0"}


def _bools(values, where):
    """``values`` as bool: booleans, 0/1, or true/false/yes/no (any case); anything else is
    a MeasuredDataError naming the column (``astype(bool)`` made "no" True)."""
    arr = np.asarray(values)
    if arr.dtype == bool:
        return arr
    out, bad = [], []
    for k, v in enumerate(np.ravel(arr)):
        text = str(v).strip().lower()
        if isinstance(v, (bool, np.bool_)):
            out.append(bool(v))
        elif text in _TRUE or text in _FALSE:
            out.append(text in _TRUE)
        else:
            bad.append((k, v))
            out.append(False)
    if bad:
        shown = ", ".join(f"{v!r} at position {k}" for k, v in bad[:5])
        raise MeasuredDataError(f"column {where!r} must be true/false (or yes/no, 1/0); "
                                f"{len(bad)} entries are not ({shown})")
    return np.array(out, dtype=bool).reshape(arr.shape)


def _convert(values, unit_text, expected, where):
    values = _numeric(values, where)
    if unit_text in (None, "", expected):
        return values
    scale, offset = _unit_factor(unit_text, expected, where)
    return values * scale + offset


def _check_magnitude(name, values, unit, lo, hi, hint):
    finite = np.asarray(values, float)[np.isfinite(values)]
    if finite.size == 0:
        return
    median = float(np.median(np.abs(finite)))
    if median != 0 and not lo <= median <= hi:
        raise MeasuredDataError(
            f"{name}: median {median:.4g} {unit} is implausible for a PCM cell (expected "
            f"{lo:g} to {hi:g} {unit}); the values look like {hint}. Convert them to {unit} "
            f"or declare the unit (attrs['units'] in a Dataset, '{name} [unit]' as a CSV "
            "column name)")


# ---------------------------------------------------------------------- validation
def validate_measured(ds, nan="raise", ambient_temperature=None):
    """Check a measured Dataset against the schema and return its canonical form.

    Parameters
    ----------
    ds : xarray.Dataset
        Per-device form: dims ``(device, event)`` with ``conductance`` [S] or ``resistance``
        [Ohm]. Summary form: dim ``event`` with ``conductance_mean`` and ``conductance_std``
        [S] (optionally ``conductance_mean_uncertainty`` and ``conductance_std_uncertainty``
        [S], else ``attrs['relative_uncertainty']``). Event coordinates as in
        :data:`EVENT_COORDS`; a variable's ``attrs['units']`` declares a non-SI unit.
    nan : {"raise", "drop-devices"}
        What to do with NaN readings: raise (default) or drop every device that has one.
    ambient_temperature : float, optional
        Ambient [K] used where read/wait temperatures are missing (default: keep NaN, which
        means the parameter set's ambient temperature).

    Returns
    -------
    xarray.Dataset
        Copy with ``conductance`` [S] (float64; resistance converted as 1/R), every event
        coordinate present in SI (defaults filled), ``attrs['form']`` = "devices" or "summary".

    Raises
    ------
    MeasuredDataError
        Missing variable or coordinate, wrong dims, unit mistakes (judged by magnitude),
        NaN or non-positive readings, decreasing ``time_since_pulse`` without a pulse between.
    """
    import xarray as xr

    if not isinstance(ds, xr.Dataset):
        raise MeasuredDataError(f"measured data must be an xarray.Dataset, got "
                                f"{type(ds).__name__}; read files with read_measured()")
    if nan not in ("raise", "drop-devices"):
        raise ValueError(f"nan must be 'raise' or 'drop-devices', got {nan!r}")
    if "event" not in ds.dims:
        raise MeasuredDataError(f"measured data need an 'event' dimension (one per read); "
                                f"found dims {tuple(ds.dims)}")
    out = xr.Dataset(attrs=dict(ds.attrs))
    if "conductance_mean" in ds:
        out = _summary_form(ds, out)
    else:
        out = _device_form(ds, out, nan)
    coords = _event_coords(ds, ambient_temperature)
    out = out.assign_coords({k: ("event", v) for k, v in coords.items()})
    out = out.assign_coords(event=np.arange(out.sizes["event"]))
    _check_times(out)
    return out


def _device_form(ds, out, nan):
    names = [n for n in ("conductance", "resistance") if n in ds]
    if not names:
        raise MeasuredDataError(
            "measured data need a 'conductance' [S] or 'resistance' [Ohm] variable with dims "
            f"(device, event), or 'conductance_mean'/'conductance_std' [S] over event; found "
            f"variables {sorted(map(str, ds.data_vars))}")
    name = names[0]
    var = ds[name]
    if set(var.dims) != {"device", "event"}:
        raise MeasuredDataError(f"{name} must have dims (device, event), got {var.dims}")
    var = var.transpose("device", "event")
    unit, lo, hi, hint = _QUANTITY_RANGE[name]
    values = _convert(var.values, var.attrs.get("units"), unit, name)
    bad = ~np.isfinite(values)
    if bad.any():
        devices = np.flatnonzero(bad.any(axis=1))
        if nan == "raise":
            events = np.flatnonzero(bad.any(axis=0))
            raise MeasuredDataError(
                f"{name} has {int(bad.sum())} NaN/inf readings in {devices.size} devices "
                f"(device positions {devices[:10].tolist()}, event positions "
                f"{events[:10].tolist()}); remove those devices or pass nan='drop-devices'")
        keep = ~bad.any(axis=1)
        if not keep.any():
            raise MeasuredDataError(f"every device has a NaN {name} reading; nothing is left")
        values = values[keep]
        var = var.isel(device=np.flatnonzero(keep))
    _check_magnitude(name, values, unit, lo, hi, hint)
    if (values <= 0).any():
        raise MeasuredDataError(f"{name} must be > 0 {unit} (log statistics); "
                                f"{int((values <= 0).sum())} readings are <= 0")
    if values.shape[0] < 2:
        raise MeasuredDataError(f"measured data need at least 2 devices, got {values.shape[0]}")
    g = values if name == "conductance" else 1.0 / values
    out["conductance"] = (("device", "event"), g, {"units": "S", "long_name": "conductance"})
    out = out.assign_coords(device=np.asarray(var["device"].values) if "device" in var.coords
                            else np.arange(g.shape[0]))
    out.attrs["form"] = "devices"
    return out


def _summary_form(ds, out):
    for name in ("conductance_mean", "conductance_std"):
        if name not in ds:
            raise MeasuredDataError(f"summary data need {name} [S] over event")
        var = ds[name]
        if var.dims != ("event",):
            raise MeasuredDataError(f"{name} must have the single dim event, got {var.dims}")
        values = _convert(var.values, var.attrs.get("units"), "S", name)
        if not np.isfinite(values).all():
            raise MeasuredDataError(f"{name} has NaN/inf values at event positions "
                                    f"{np.flatnonzero(~np.isfinite(values)).tolist()}")
        _check_magnitude(name, values, "S", 1e-13, 1e-2, "uS (x 1e-6)")
        if (values < 0).any() or (name == "conductance_mean" and (values == 0).any()):
            raise MeasuredDataError(f"{name} must be positive")
        out[name] = ("event", values, {"units": "S"})
        uname = f"{name}_uncertainty"
        if uname in ds:
            u = _convert(ds[uname].values, ds[uname].attrs.get("units"), "S", uname)
        else:
            rel = ds.attrs.get("relative_uncertainty")
            if rel is None or not float(rel) > 0:
                raise MeasuredDataError(
                    f"summary data need {uname} [S] or attrs['relative_uncertainty'] (> 0) to "
                    "weight the fit")
            u = float(rel) * np.maximum(values, 1e-3 * values.max())
        if not (np.isfinite(u).all() and (u > 0).all()):
            raise MeasuredDataError(f"{uname} must be finite and > 0")
        out[uname] = ("event", u, {"units": "S"})
    out.attrs["form"] = "summary"
    return out


def _coord(ds, name):
    if name in ds.coords or name in ds.data_vars:
        var = ds[name]
        if var.dims != ("event",):
            raise MeasuredDataError(f"{name} must be a coordinate over event only, got dims "
                                    f"{var.dims}")
        return var
    return None


def _event_coords(ds, ambient):
    n = ds.sizes["event"]
    out = {}
    for name, (unit, default, _rng, _hint) in EVENT_COORDS.items():
        var = _coord(ds, name)
        if var is None:
            if default is None:
                raise MeasuredDataError(
                    f"missing event coordinate {name!r} [{unit}]; the protocol must be given "
                    f"per event: {', '.join(EVENT_COORDS)} (see pcmphys.fit docstring)")
            out[name] = np.full(n, default, dtype={"pulse_mode": object, "include": bool}.get(
                name, float))
            continue
        if name == "include":
            out[name] = _bools(var.values, name)
            continue
        if name == "pulse_mode":
            modes = np.array([str(x) for x in np.ravel(var.values)], dtype=object)
            bad = sorted(set(modes) - {"current", "voltage", "", "nan"})
            if bad:
                raise MeasuredDataError(f"pulse_mode must be 'current' or 'voltage', got {bad}")
            out[name] = np.where(np.isin(modes, ("", "nan")), "current", modes).astype(object)
            continue
        si = "A" if name == "pulse_amplitude" else unit
        declared = var.attrs.get("units")
        if name == "pulse_amplitude" and declared:
            modes = out["pulse_mode"]
            si = "V" if set(modes) == {"voltage"} else "A"
        values = _convert(var.values, declared, si, name) if unit != "1" else \
            _numeric(var.values, name)
        out[name] = values
    _check_event_values(out, ambient)
    return out


def _check_event_values(c, ambient):
    n_pulses = c["n_pulses"]
    if not np.isfinite(n_pulses).all() or (n_pulses < 0).any() or \
            (n_pulses != np.round(n_pulses)).any():
        raise MeasuredDataError("n_pulses must be whole numbers >= 0 (pulses applied between "
                                "the previous event and this one)")
    c["n_pulses"] = n_pulses.astype(np.int64)
    if n_pulses[0] == 0:
        raise MeasuredDataError("the first event must follow at least one pulse (n_pulses >= 1; "
                                "e.g. the RESET that starts the experiment)")
    pulsed = n_pulses > 0
    for name in ("pulse_amplitude", "pulse_width"):
        v = c[name][pulsed]
        if not np.isfinite(v).all():
            where = np.flatnonzero(pulsed)[~np.isfinite(v)][:10].tolist()
            raise MeasuredDataError(f"{name} is missing (NaN) for events with n_pulses > 0 "
                                    f"(event positions {where})")
    for mode, (lo, hi, hint) in _AMPLITUDE_RANGE.items():
        sel = pulsed & (c["pulse_mode"] == mode)
        amps = c["pulse_amplitude"][sel]
        if amps.size and (amps.max() > hi or amps.min() <= lo):
            unit = "A" if mode == "current" else "V"
            raise MeasuredDataError(
                f"pulse_amplitude of {mode}-mode pulses must be in ({lo:g}, {hi:g}] {unit}; got "
                f"{amps.min():.4g} to {amps.max():.4g} {unit} (values this large look like "
                f"{hint}: convert to {unit} or declare attrs['units'])")
    for name, (unit, _, rng, hint) in EVENT_COORDS.items():
        if rng is None or name in ("n_pulses", "include"):
            continue
        v = c[name]
        if name.startswith("pulse_"):
            v = v[pulsed]
        v = v[np.isfinite(v)]
        if v.size and (v.min() < rng[0] or v.max() > rng[1]):
            extra = f" (values like these look like {hint})" if hint else ""
            raise MeasuredDataError(f"{name} must be in [{rng[0]:g}, {rng[1]:g}] {unit}; got "
                                    f"{v.min():.4g} to {v.max():.4g}{extra}")
    if not np.isfinite(c["time_since_pulse"]).all():
        raise MeasuredDataError("time_since_pulse must be given (no NaN) for every event")
    if ambient is not None:
        for name in ("read_temperature", "wait_temperature"):
            c[name] = np.where(np.isfinite(c[name]), c[name], float(ambient))


def _check_times(ds):
    t = ds["time_since_pulse"].values
    n = ds["n_pulses"].values
    for k in range(1, t.size):
        if n[k] == 0 and t[k] < t[k - 1]:
            raise MeasuredDataError(
                f"time_since_pulse decreases at event {k} ({t[k]:g} s after {t[k - 1]:g} s) "
                "with no pulse in between; events must be in time order (sort by time within "
                "each series, or set n_pulses where a new pulse starts a series)")


# ---------------------------------------------------------------------- tables
def _parse_header(column):
    text = str(column).strip()
    if text.endswith("]") and "[" in text:
        name, _, unit = text[:-1].partition("[")
        return name.strip(), unit.strip()
    return text, None


def from_table(table, nan="raise", **attrs):
    """Build the measured Dataset from a long table (one row per device and event).

    Parameters
    ----------
    table : pandas.DataFrame or mapping of column -> sequence
        Columns ``device``, ``event``, ``conductance`` or ``resistance`` and the per-event
        protocol columns of :data:`EVENT_COORDS`. A column name may carry its unit in
        brackets, ``"conductance [uS]"``, ``"pulse_width [ns]"``, ``"read_temperature
        [degC]"``; without brackets SI is assumed and checked by magnitude.
    nan : {"raise", "drop-devices"}
        See :func:`validate_measured`.
    **attrs
        Dataset attributes (e.g. ``source``).

    Returns
    -------
    xarray.Dataset
        Canonical measured Dataset (:func:`validate_measured`).
    """
    import pandas as pd
    import xarray as xr

    df = table if isinstance(table, pd.DataFrame) else pd.DataFrame(dict(table))
    units, rename = {}, {}
    for col in df.columns:
        name, unit = _parse_header(col)
        rename[col] = name
        if unit:
            units[name] = unit
    df = df.rename(columns=rename)
    for req in ("device", "event"):
        if req not in df.columns:
            raise MeasuredDataError(f"the table needs a {req!r} column (long format: one row "
                                    f"per device and event); columns are {list(df.columns)}")
    quantity = [q for q in ("conductance", "resistance") if q in df.columns]
    if not quantity:
        raise MeasuredDataError("the table needs a 'conductance' [S] or 'resistance' [Ohm] "
                                f"column; columns are {list(df.columns)}")
    q = quantity[0]
    if df.duplicated(["device", "event"]).any():
        raise MeasuredDataError("the table has repeated (device, event) rows")
    df[q] = _numeric_column(pd, df, q)
    wide = df.pivot(index="device", columns="event", values=q)
    ds = xr.Dataset({q: (("device", "event"), wide.to_numpy(dtype=float),
                         {"units": units[q]} if q in units else {})},
                    coords={"device": wide.index.to_numpy()}, attrs=attrs)
    events = wide.columns.to_numpy()
    for name in EVENT_COORDS:
        if name not in df.columns:
            continue
        per_event = df.groupby("event")[name]
        counts = per_event.nunique(dropna=False)
        if (counts > 1).any():
            where = counts[counts > 1].index[:10].tolist()
            raise MeasuredDataError(f"column {name!r} must be the same for every device of an "
                                    f"event; it differs at events {where}")
        values = per_event.first().reindex(events).to_numpy()
        ds = ds.assign_coords({name: ("event", values, {"units": units[name]}
                                      if name in units else {})})
    return validate_measured(ds, nan=nan)


def _numeric_column(pd, df, name):
    """Column ``name`` as floats; MeasuredDataError naming it and the bad rows otherwise."""
    column = df[name]
    values = pd.to_numeric(column, errors="coerce")
    bad = values.isna() & column.notna() & ~column.astype(str).str.strip().str.lower().isin(
        ("nan", ""))
    if bad.any():
        rows = df.loc[bad, ["device", "event", name]].head(5)
        shown = "; ".join(f"device {r.device!r}, event {r.event!r}: {getattr(r, name)!r}"
                          for r in rows.itertuples(index=False))
        raise MeasuredDataError(f"column {name!r} must hold numbers; {int(bad.sum())} cells "
                                f"do not ({shown})")
    return values.astype(float)


def to_table(ds):
    """Long table (pandas.DataFrame) of a per-device measured Dataset, SI units in brackets.

    The inverse of :func:`from_table`: ``from_table(to_table(ds))`` equals ``ds``.
    """
    import pandas as pd

    ds = validate_measured(ds)
    if ds.attrs["form"] != "devices":
        raise MeasuredDataError("to_table() writes per-device data; summary data are "
                                "already a table (one row per event)")
    g = ds["conductance"].values
    n_dev, n_ev = g.shape
    table = {"device": np.repeat(ds["device"].values, n_ev),
             "event": np.tile(ds["event"].values, n_dev), "conductance [S]": g.ravel()}
    for name, (unit, *_rest) in EVENT_COORDS.items():
        label = name if unit in ("1", "", "bool", "A or V") else f"{name} [{unit}]"
        table[label] = np.tile(ds[name].values, n_dev)
    return pd.DataFrame(table)


def read_measured(path, nan="raise"):
    """Read measured data from a CSV long table, a zarr store or a netCDF file.

    Parameters
    ----------
    path : str or os.PathLike
        ``*.csv`` / ``*.tsv`` (long table, see :func:`from_table`; ``#`` starts a comment
        line), ``*.zarr`` (directory) or ``*.nc`` (netCDF). Pickled formats are refused.
    nan : {"raise", "drop-devices"}

    Returns
    -------
    xarray.Dataset
        Canonical measured Dataset.
    """
    import pandas as pd
    import xarray as xr

    path = pathlib.Path(path)
    if not path.exists():
        raise FileNotFoundError(f"measured data file {str(path)!r} does not exist")
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv", ".txt"):
        sep = "\t" if suffix == ".tsv" else ","
        try:
            table = pd.read_csv(path, sep=sep, comment="#")
        except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
            raise MeasuredDataError(f"cannot read {str(path)!r} as a table: "
                                    f"{type(exc).__name__}: {exc}") from None
        return from_table(table, nan=nan, source=str(path))
    if suffix == ".zarr" or (path.is_dir() and any((path / f).exists() for f in
                                                   ("zarr.json", ".zgroup"))):
        try:
            ds = _open_zarr(path)
        except Exception as exc:
            raise MeasuredDataError(f"cannot read {str(path)!r} as a zarr store: "
                                    f"{type(exc).__name__}: {exc}") from None
    elif suffix in (".nc", ".nc4", ".netcdf", ".h5"):
        try:
            ds = xr.open_dataset(path).load()
        except Exception as exc:  # truncated / damaged files fail deep inside the readers
            raise MeasuredDataError(f"cannot read {str(path)!r} as netCDF: the file is damaged "
                                    f"or truncated ({type(exc).__name__}: {exc})") from None
    else:
        raise MeasuredDataError(f"unsupported measured-data file {path.name!r}: use .csv/.tsv "
                                "(long table), .zarr or .nc (pickles are never loaded)")
    return validate_measured(ds, nan=nan)


def _open_zarr(path):
    import warnings

    import xarray as xr

    with warnings.catch_warnings():
        # zarr v3 calls consolidated metadata unofficial; both layouts are read the same
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            return xr.open_zarr(path, consolidated=True).load()
        except (KeyError, FileNotFoundError, ValueError):
            return xr.open_zarr(path, consolidated=False).load()


# ---------------------------------------------------------------------- protocol
def to_protocol(ds):
    """The PulseTrain that produced a canonical measured Dataset (one Read per event).

    Events with n_pulses > 0 start with that many identical pulses; the read then follows
    ``time_since_pulse`` seconds after the last pulse, resting at ``wait_temperature``
    (NaN: ambient) and read at ``read_temperature`` and ``read_voltage``.
    """
    steps, elapsed = [], 0.0
    c = {k: ds[k].values for k in EVENT_COORDS}
    for k in range(ds.sizes["event"]):
        try:
            if c["n_pulses"][k] > 0:
                pulse = Pulse(str(c["pulse_mode"][k]), float(c["pulse_amplitude"][k]),
                              float(c["pulse_width"][k]), float(c["pulse_rise_time"][k]),
                              float(c["pulse_fall_time"][k]))
                steps += [pulse] * int(c["n_pulses"][k])
                elapsed = 0.0
            t = float(c["time_since_pulse"][k])
            wait_t = _opt(c["wait_temperature"][k])
            if t > elapsed:
                steps.append(Wait(t - elapsed, wait_t))
            elapsed = t
            steps.append(Read(voltage=float(c["read_voltage"][k]),
                              temperature=_opt(c["read_temperature"][k])))
        except ProtocolError as exc:
            raise MeasuredDataError(f"event {k}: {exc}") from None
    return PulseTrain(steps)


def _opt(value):
    value = float(value)
    return None if math.isnan(value) else value


def event_table(n_pulses, time_since_pulse, pulse_amplitude=np.nan, pulse_width=np.nan,
                pulse_mode="current", read_temperature=np.nan, wait_temperature=np.nan,
                read_voltage=0.2, pulse_fall_time=2e-9):
    """Event coordinates (SI) as a dict of arrays, broadcast to a common length.

    Building block for :func:`pcmphys.fit.protocols` helpers and synthetic data.
    """
    cols = {"n_pulses": n_pulses, "time_since_pulse": time_since_pulse,
            "pulse_amplitude": pulse_amplitude, "pulse_width": pulse_width,
            "read_temperature": read_temperature, "wait_temperature": wait_temperature,
            "read_voltage": read_voltage, "pulse_fall_time": pulse_fall_time}
    arrays = np.broadcast_arrays(*[np.asarray(v, float) for v in cols.values()])
    out = dict(zip(cols, arrays))
    out["n_pulses"] = out["n_pulses"].astype(np.int64)
    out["pulse_mode"] = np.broadcast_to(np.asarray(pulse_mode, object), out["n_pulses"].shape)
    out["pulse_rise_time"] = np.full(out["n_pulses"].shape, 2e-9)
    return {k: np.array(v) for k, v in out.items()}


def segments(ds, min_drift_times=3):
    """Drift and Arrhenius segments of the events.

    A block is an event with pulses plus the pulse-free events that follow it. In a block,
    the events read at the first event's read and wait temperatures with ``>= min_drift_times``
    distinct times spanning at least a decade form a drift segment; the events sharing the
    block's last read time with >= 2 distinct read temperatures form an Arrhenius segment.

    Returns
    -------
    drift : list of ndarray of int
        Event positions of each drift segment.
    arrhenius : list of ndarray of int
        Event positions of each Arrhenius segment.
    """
    n = ds["n_pulses"].values
    t = ds["time_since_pulse"].values
    tr = np.nan_to_num(ds["read_temperature"].values, nan=-1.0)
    tw = np.nan_to_num(ds["wait_temperature"].values, nan=-1.0)
    starts = np.flatnonzero(n > 0).tolist() + [n.size]
    include = ds["include"].values if "include" in ds.coords else np.ones(n.size, bool)
    drift, arrhenius = [], []
    for a, b in itertools.pairwise(starts):
        idx = np.arange(a, b)[include[a:b]]
        if idx.size == 0:
            continue
        a, b = idx[0], idx[-1] + 1
        d = idx[(tr[idx] == tr[a]) & (tw[idx] == tw[a])]
        times = np.unique(t[d])
        if times.size >= min_drift_times and times[0] > 0 and times[-1] / times[0] >= 10:
            # one read per time (the first) so repeated reads do not weigh twice
            first = np.array([d[np.flatnonzero(t[d] == x)[0]] for x in times])
            drift.append(first)
        r = idx[t[idx] == t[b - 1]]
        temps = tr[r]
        if np.unique(temps).size >= 2 and (temps > 0).all():
            arrhenius.append(r)
    return drift, arrhenius
