"""Lab measurement files in the layouts labs write, turned into the measured-data schema.

:func:`read_measurements` reads a CSV/TSV file (or a pandas DataFrame) as

- a **long** table: one row per device and read (``device_id, read_time_s, resistance_ohm``),
- a **wide** table: one row per event (a pulse number or a read time) and one column per
  device (``pulse, dev1, dev2, ...``), or
- a **wide-devices** table: one row per device and one column per event.

Column names may carry the unit as ``resistance [kOhm]``, ``R (kΩ)``, ``T / degC`` or a
suffix ``read_time_s``, ``resistance_kohm``; ``[C]`` of a temperature is degC. ``columns=`` maps
the schema's names to the file's columns and ``units=`` gives units the header does not. The
result is the canonical Dataset of :func:`pcmphys.fit.validate_measured`, ready for
:func:`pcmphys.fit.fit`. Numbers are parsed as text; nothing is unpickled or executed.

Magnitudes are checked against the quantity: a column without a declared unit whose values
cannot be SI for a PCM cell is refused with the likely unit (a kOhm column read as Ohm,
degrees Celsius read as kelvin), also when only the reads after RESET pulses are implausible
(an amorphous cell below 100 kOhm).
"""
from __future__ import annotations

import pathlib
import re

import numpy as np

from pcmphys.fit.schema import EVENT_COORDS, MeasuredDataError, from_table

__all__ = ["read_measurements", "ALIASES"]

#: column names recognised without ``columns=`` (lower case, unit stripped): schema name ->
#: aliases
ALIASES = {
    "device": ("device", "device_id", "dev", "cell", "cell_id", "id", "sample"),
    "event": ("event", "event_id", "index", "step"),
    "resistance": ("resistance", "R", "res", "r_read", "resistance_read"),
    "conductance": ("conductance", "G", "cond", "g_read"),
    "time_since_pulse": ("time_since_pulse", "time", "t", "read_time", "time_after_pulse",
                         "delay", "t_read"),
    "pulse_number": ("pulse_number", "pulse", "pulses", "n", "pulse_index", "pulse_no"),
    "read_temperature": ("read_temperature", "T", "temperature", "temp"),
    "wait_temperature": ("wait_temperature", "bake_temperature", "anneal_temperature"),
    "pulse_amplitude": ("pulse_amplitude", "amplitude", "current", "i_pulse", "pulse_current"),
    "pulse_width": ("pulse_width", "width"),
    "read_voltage": ("read_voltage", "v_read"),
}
#: SI unit of each schema column the reader converts
_SI = {"resistance": "Ohm", "conductance": "S", "time_since_pulse": "s", "pulse_width": "s",
       "pulse_rise_time": "s", "pulse_fall_time": "s", "read_temperature": "K",
       "wait_temperature": "K", "read_voltage": "V", "pulse_amplitude": "A"}
_UNIT_WORDS = {"c": "degC", "°c": "degC", "degc": "degC", "deg c": "degC", "celsius": "degC",
               "k": "K", "kelvin": "K", "ohm": "Ohm", "ohms": "Ohm", "sec": "s", "secs": "s",
               "second": "s", "seconds": "s"}
#: an amorphous (RESET) cell read at low voltage is above this resistance [Ohm]; reads after a
#: current pulse of at least _RESET_CURRENT are held to it when their unit was not declared
_AMORPHOUS_MIN = 1e5
_RESET_CURRENT = 300e-6
_HEADER = (re.compile(r"^(?P<name>.*?)\s*\[(?P<unit>[^\]]*)\]\s*$"),
           re.compile(r"^(?P<name>.*?)\s*\((?P<unit>[^)]*)\)\s*$"),
           re.compile(r"^(?P<name>.*?)\s+/\s*(?P<unit>\S+)\s*$"))


def read_measurements(source, columns=None, units=None, layout="auto", events=None,
                      quantity=None, nan="raise", comment="#", sep=None, **attrs):
    """Read a lab measurement table into the measured-data schema of :mod:`pcmphys.fit`.

    Parameters
    ----------
    source : str, os.PathLike or pandas.DataFrame
        A ``.csv``/``.tsv``/``.txt`` file (separator sniffed unless ``sep`` is given; lines
        starting with ``comment`` are skipped) or a DataFrame. ``.zarr``/``.nc`` files in the
        schema are read by :func:`pcmphys.fit.read_measured`.
    columns : dict of str -> str, optional
        Schema name -> the file's column, e.g. ``{"device": "device_id", "time_since_pulse":
        "read_time_s", "resistance": "resistance_ohm"}``; names not given are found by the
        aliases of :data:`ALIASES`. Schema names: ``device``, ``event``, ``resistance`` or
        ``conductance``, ``pulse_number``, the event coordinates of
        :data:`pcmphys.fit.schema.EVENT_COORDS`.
    units : dict of str -> str, optional
        Unit of a column the header does not state (key: schema name or the file's column),
        e.g. ``{"resistance": "kOhm", "read_temperature": "degC"}``.
    layout : {"auto", "long", "wide", "wide-devices"}
        ``long``: a row per device and read; ``wide``: a row per event (pulse number or read
        time in the first column) and a column per device; ``wide-devices``: a row per device
        and a column per event (headers are pulse numbers or read times). ``auto``: long when
        a device column is found, else wide.
    events : dict of str -> scalar, str or sequence, optional
        Per-event protocol values the table does not hold (scalars apply to every event; unit
        strings allowed): e.g. ``{"pulse_amplitude": "440 uA", "pulse_width": "1 us"}``. When
        ``n_pulses`` is neither a column nor given, it is derived: from a pulse-number column
        (pulses since the previous event), else one pulse before the first read of each
        series (a series restarts where the read time decreases).
    quantity : {"resistance", "conductance"}, optional
        What a wide table's device columns hold (default: from the headers' units, else
        resistance).
    nan : {"raise", "drop-devices"}
        NaN readings (see :func:`pcmphys.fit.validate_measured`).
    comment : str
        Comment character of the file.
    sep : str, optional
        Column separator (default: sniffed).
    **attrs
        Attributes of the returned Dataset (``source`` defaults to the file name).

    Returns
    -------
    xarray.Dataset
        Canonical measured Dataset (conductance [S], event coordinates in SI).

    Raises
    ------
    MeasuredDataError
        A column that cannot be found or converted (named, with the file's columns), a unit
        of the wrong dimension, or magnitudes that do not fit the quantity in SI (with the
        unit they look like).
    """
    import pandas as pd

    columns, units, events = dict(columns or {}), dict(units or {}), dict(events or {})
    if layout not in ("auto", "long", "wide", "wide-devices"):
        raise ValueError(f"layout must be 'auto', 'long', 'wide' or 'wide-devices', got "
                         f"{layout!r}")
    if isinstance(source, pd.DataFrame):
        df, label = source.copy(), attrs.pop("source", "<DataFrame>")
    else:
        path = pathlib.Path(source)
        if not path.is_file():
            raise FileNotFoundError(f"measurement file {str(path)!r} not found")
        df, label = _read_text_table(path, comment, sep), attrs.pop("source", str(path))
    df.columns = [str(c).strip() for c in df.columns]
    headers = {c: _split_header(c) for c in df.columns}
    if layout == "auto":
        found = _find(df, headers, columns, "device", required=False)
        layout = "long" if found is not None else "wide"
    if layout == "wide-devices":
        df, headers = _devices_to_wide(df, headers, columns)
        layout = "wide"
    table, declared = (_long(df, headers, columns, units) if layout == "long"
                       else _wide(df, headers, columns, units, quantity))
    _add_events(table, events)
    _check_reset_reads(table, declared)
    try:
        return from_table(table, nan=nan, source=label, layout=layout, **attrs)
    except MeasuredDataError as exc:
        raise MeasuredDataError(f"{label}: {exc}") from None


# ---------------------------------------------------------------------- reading
def _read_text_table(path, comment, sep):
    import pandas as pd

    if sep is None and path.suffix.lower() == ".tsv":
        sep = "\t"
    try:
        return pd.read_csv(path, sep=sep, comment=comment, skipinitialspace=True,
                           engine="python" if sep is None else "c", encoding="utf-8-sig")
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise MeasuredDataError(f"{path}: cannot read as a table ({exc})") from None


def _split_header(column):
    """``(name, unit or None)`` of a column header: ``R (kΩ)``, ``resistance [kOhm]``,
    ``T / degC``, ``read_time_s``."""
    text = column.strip()
    for pattern in _HEADER:
        match = pattern.match(text)
        if match and match.group("name").strip():
            return match.group("name").strip(), match.group("unit").strip()
    return text, None


def _normal_unit(unit, si):
    """A header's unit in the parser's spelling (``C`` of a temperature is degC)."""
    word = unit.strip()
    key = word.lower()
    if si == "K" and key in ("c", "°c", "degc", "deg c", "celsius", "oc"):
        return "degC"
    if key in _UNIT_WORDS and not (si == "K" and key == "k"):
        return _UNIT_WORDS[key]
    for long, short in (("ohms", "Ohm"), ("ohm", "Ohm")):
        if key.endswith(long) and len(key) == len(long) + 1:
            return {"k": "k", "m": "M" if word[0] == "M" else "m", "g": "G"}.get(
                key[0], key[0]) + short
    return word


def _si_unit_ok(unit, si):
    from pcmphys.parameters.core import parse_unit

    try:
        return parse_unit(unit).dims == parse_unit(si).dims
    except ValueError:
        return False


def _find(df, headers, columns, name, required=True):
    """The file's column holding schema ``name`` (columns= mapping, exact name, aliases,
    alias with a unit suffix)."""
    if name in columns:
        wanted = columns[name]
        for col, (bare, _) in headers.items():
            if wanted in (col, bare):
                return col
        raise MeasuredDataError(f"columns={{{name!r}: {wanted!r}}}: no such column; the "
                                f"table has {list(df.columns)}")
    mapped = set(columns.values())
    aliases = ALIASES.get(name, (name,))
    for col, (bare, _) in headers.items():
        if col not in mapped and _is_alias(bare, aliases):
            return col
    si = _SI.get(name)
    for col, (bare, unit) in headers.items():
        stem, _, suffix = bare.rpartition("_")
        if col in mapped or unit or not stem or not _is_alias(stem, aliases):
            continue
        if si and _si_unit_ok(_normal_unit(suffix, si), si):
            return col
    if required:
        raise MeasuredDataError(
            f"no column for {name!r} (looked for {', '.join(aliases)}); the table has "
            f"{list(df.columns)}: map it with columns={{{name!r}: '<column>'}}")
    return None


def _is_alias(text, aliases):
    """One-letter aliases match case (t is a time, T a temperature), longer ones do not."""
    return text in aliases or (len(text) > 1 and text.lower() in aliases)


def _unit_of(col, name, headers, units):
    """``(unit or None, declared)``: from units= (schema name or column), the header, or a
    unit suffix such as ``_s`` / ``_kohm``."""
    si = _SI.get(name)
    given = units.get(name, units.get(col))
    bare, header_unit = headers[col]
    if given is None:
        given = header_unit
    if given is None and si:
        stem, _, suffix = bare.rpartition("_")
        if stem and _si_unit_ok(_normal_unit(suffix, si), si):
            given = suffix
    if given is None:
        return None, False
    unit = _normal_unit(str(given), si) if si else str(given)
    if si and not _si_unit_ok(unit, si):
        raise MeasuredDataError(f"column {col!r} ({name}): unit {given!r} is not a unit of "
                                f"{si}")
    return unit, True


def _numbers(series, col):
    import pandas as pd

    values = pd.to_numeric(series, errors="coerce")
    bad = values.isna() & series.notna() & (series.astype(str).str.strip() != "")
    if bad.any():
        rows = list(series.index[bad][:5])
        raise MeasuredDataError(f"column {col!r}: {int(bad.sum())} cells are not numbers "
                                f"(rows {rows}, e.g. {series[bad].iloc[0]!r})")
    return values.to_numpy(dtype=float)


# ---------------------------------------------------------------------- layouts
def _long(df, headers, columns, units):
    import pandas as pd

    quantity = _quantity_column(df, headers, columns)
    qname, qcol = quantity
    device_col = _find(df, headers, columns, "device")
    devices = df[device_col]
    out = pd.DataFrame({"device": devices.astype(str).str.strip().to_numpy()
                        if devices.dtype == object else devices.to_numpy()})
    unit, declared = _unit_of(qcol, qname, headers, units)
    out[f"{qname} [{unit}]" if unit else qname] = _numbers(df[qcol], qcol)
    event_col = _find(df, headers, columns, "event", required=False)
    out["event"] = (_numbers(df[event_col], event_col).astype(np.int64) if event_col
                    else out.groupby("device", sort=False).cumcount().to_numpy())
    _copy_event_columns(df, headers, columns, units, out, skip={device_col, qcol, event_col})
    return out, {qname: declared}


def _wide(df, headers, columns, units, quantity):
    import pandas as pd

    key_col = None
    for name in ("pulse_number", "time_since_pulse", "event"):
        key_col = _find(df, headers, columns, name, required=False)
        if key_col is not None:
            key_name = name
            break
    if key_col is None:
        key_col, key_name = df.columns[0], "event"
    device_cols = [c for c in df.columns if c != key_col and c not in
                   {_find(df, headers, columns, n, required=False) for n in EVENT_COORDS}]
    if not device_cols:
        raise MeasuredDataError(f"a wide table needs device columns after {key_col!r}; the "
                                f"table has {list(df.columns)}")
    qname = quantity or _wide_quantity(device_cols, headers, columns, units)
    if qname not in ("resistance", "conductance"):
        raise MeasuredDataError(f"quantity must be 'resistance' or 'conductance', got {qname!r}")
    unit_set = {_unit_of(c, qname, headers, units) for c in device_cols}
    if len(unit_set) != 1:
        raise MeasuredDataError(f"the device columns of the wide table state different units "
                                f"{sorted(str(u) for u, _ in unit_set)}")
    unit, declared = unit_set.pop()
    n_events = len(df)
    frames = []
    for col in device_cols:
        frame = pd.DataFrame({"device": headers[col][0], "event": np.arange(n_events)})
        frame[f"{qname} [{unit}]" if unit else qname] = _numbers(df[col], col)
        frames.append(frame)
    keys = _numbers(df[key_col], key_col)
    extra = pd.DataFrame(index=range(n_events))
    if key_name == "pulse_number":
        extra["pulse_number"] = keys
    elif key_name == "time_since_pulse":
        kunit, _ = _unit_of(key_col, key_name, headers, units)
        extra[f"time_since_pulse [{kunit}]" if kunit else "time_since_pulse"] = keys
    _copy_event_columns(df, headers, columns, units, extra,
                        skip={key_col, *device_cols})
    out = pd.concat(frames, ignore_index=True)
    for col in extra.columns:
        out[col] = np.tile(extra[col].to_numpy(), len(device_cols))
    return out, {qname: declared}


def _devices_to_wide(df, headers, columns):
    """A row-per-device table turned into a row-per-event one (column headers -> key)."""
    import pandas as pd

    device_col = _find(df, headers, columns, "device", required=False) or df.columns[0]
    event_cols = [c for c in df.columns if c != device_col]
    keys = [headers[c][0] for c in event_cols]
    units = {headers[c][1] for c in event_cols}
    try:
        key_values = [float(k) for k in keys]
    except ValueError:
        raise MeasuredDataError(f"a wide-devices table needs numeric column headers (pulse "
                                f"numbers or read times) after {device_col!r}; got "
                                f"{keys[:5]}") from None
    key = "pulse_number" if columns.get("pulse_number", "") == "columns" or all(
        float(k).is_integer() for k in key_values) else "time_since_pulse"
    wide = pd.DataFrame({key: key_values})
    unit = units.pop() if len(units) == 1 else None
    for _, row in df.iterrows():
        name = str(row[device_col]).strip()
        wide[f"{name} [{unit}]" if unit else name] = row[event_cols].to_numpy()
    return wide, {c: _split_header(c) for c in wide.columns}


def _quantity_column(df, headers, columns):
    for name in ("resistance", "conductance"):
        col = _find(df, headers, columns, name, required=False)
        if col is not None:
            return name, col
    raise MeasuredDataError(f"no resistance or conductance column (looked for "
                            f"{', '.join(ALIASES['resistance'] + ALIASES['conductance'])}); "
                            f"the table has {list(df.columns)}: map it with "
                            "columns={'resistance': '<column>'}")


def _wide_quantity(device_cols, headers, columns, units):
    if "conductance" in columns or "conductance" in units:
        return "conductance"
    for col in device_cols:
        unit = units.get(col) or headers[col][1]
        if unit and _si_unit_ok(_normal_unit(unit, "S"), "S"):
            return "conductance"
    return "resistance"


def _copy_event_columns(df, headers, columns, units, out, skip):
    """Event-coordinate columns of the file, with their units in brackets."""
    for name in (*EVENT_COORDS, "pulse_number"):
        if name in out.columns:
            continue
        col = _find(df, headers, columns, name, required=False)
        if col is None or col in skip:
            continue
        if name in ("pulse_mode", "include"):
            values = df[col].to_numpy()
            if name == "include":
                values = _booleans(df[col], col)
            out[name] = values
            continue
        unit, _ = _unit_of(col, name, headers, units)
        out[f"{name} [{unit}]" if unit and name in _SI else name] = _numbers(df[col], col)


def _booleans(series, col):
    table = {"true": True, "yes": True, "1": True, "1.0": True, "false": False, "no": False,
             "0": False, "0.0": False}
    out = []
    for value in series:
        key = str(value).strip().lower()
        if key not in table:
            raise MeasuredDataError(f"column {col!r}: {value!r} is not true/false/yes/no/1/0")
        out.append(table[key])
    return np.array(out, bool)


# ---------------------------------------------------------------------- protocol
def _add_events(table, events):
    """Fill per-event protocol columns from ``events`` and derive n_pulses."""
    from pcmphys.parameters.core import ParameterError, to_si

    per_event = table.groupby("device", sort=False).cumcount().to_numpy()
    n_events = int(per_event.max()) + 1
    first_device = table["device"].value_counts(sort=True).index[0]  # one with every event
    for name, value in events.items():
        if name not in EVENT_COORDS:
            raise MeasuredDataError(f"events: unknown key {name!r}; valid: "
                                    f"{', '.join(EVENT_COORDS)}")
        if any(c.split(" [")[0] == name for c in table.columns):
            raise MeasuredDataError(f"events: {name!r} is also a column of the table")
        values = value if isinstance(value, (list, tuple, np.ndarray)) else [value] * n_events
        if len(values) != n_events:
            raise MeasuredDataError(f"events[{name!r}] has {len(values)} values for "
                                    f"{n_events} events")
        si = _SI.get(name)
        if name == "pulse_amplitude":
            mode = str(events.get("pulse_mode", "current"))
            si = "V" if mode == "voltage" else "A"
        converted = []
        for v in values:
            if isinstance(v, str) and si:
                try:
                    v = to_si(v, si, f"events[{name!r}]")
                except ParameterError as exc:
                    raise MeasuredDataError(str(exc)) from None
            converted.append(v)
        table[name] = np.asarray(converted, dtype=object if name == "pulse_mode" else None)[
            per_event]
    if "n_pulses" in table.columns:
        for c in [c for c in table.columns if c.startswith("pulse_number")]:
            del table[c]
        return
    ref = table[table["device"] == first_device]
    if "pulse_number" in table.columns:
        numbers = ref["pulse_number"].to_numpy(float)
        n = np.diff(numbers, prepend=0.0)
        if (n < 0).any() or not np.all(np.isfinite(n)):
            raise MeasuredDataError("pulse_number must not decrease from one event to the next")
        del table["pulse_number"]
    else:
        tcol = next((c for c in table.columns if c.startswith("time_since_pulse")), None)
        if tcol is None:
            raise MeasuredDataError("no read-time column (time_since_pulse): map it with "
                                    "columns={'time_since_pulse': '<column>'}")
        t = ref[tcol].to_numpy(float)
        n = np.r_[1.0, (np.diff(t) < 0).astype(float)]
    table["n_pulses"] = n.astype(np.int64)[per_event]


def _check_reset_reads(table, declared):
    """Reads after a RESET-level current pulse must look amorphous (>= 100 kOhm) when the
    quantity's unit was not declared: catches kOhm columns read as Ohm."""
    qcol = next(c for c in table.columns if c.split(" [")[0] in ("resistance", "conductance"))
    qname = qcol.split(" [")[0]
    if declared.get(qname) or "pulse_amplitude" not in table.columns:
        return
    amps = table["pulse_amplitude"]
    if amps.dtype == object:
        return
    mode = table["pulse_mode"] if "pulse_mode" in table.columns else "current"
    n_pulses = table["n_pulses"].to_numpy()
    state = np.zeros(len(table), bool)  # read follows a RESET (until the next pulse)
    for rows in table.groupby("device", sort=False).groups.values():
        rows = np.asarray(rows)
        current = False
        for r in rows:
            if n_pulses[r] > 0:
                is_current = (mode if isinstance(mode, str) else mode.iloc[r]) == "current"
                current = bool(is_current and amps.iloc[r] >= _RESET_CURRENT)
            state[r] = current
    if not state.any():
        return
    values = table[qcol].to_numpy(float)[state]
    values = values[np.isfinite(values) & (values > 0)]
    if values.size == 0:
        return
    r = values if qname == "resistance" else 1.0 / values
    median = float(np.median(r))
    if median < _AMORPHOUS_MIN:
        likely = "kOhm" if qname == "resistance" and 1e2 <= median * 1e3 <= 1e10 else \
            "uS" if qname == "conductance" else "another unit"
        shown = f"{median:.4g} Ohm" if qname == "resistance" else f"{1 / median:.4g} S"
        raise MeasuredDataError(
            f"{qname}: reads after RESET pulses (>= {_RESET_CURRENT * 1e6:g} uA) have median "
            f"{shown}, implausible for an amorphous cell (expected >= "
            f"{_AMORPHOUS_MIN / 1e3:g} kOhm); the column has no unit and looks like {likely}: "
            f"declare it as '{qname} [{likely}]' in the header or units={{{qname!r}: "
            f"{likely!r}}}")
