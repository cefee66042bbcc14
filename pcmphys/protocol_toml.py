"""TOML reading and writing of protocols (data, no code): :meth:`PulseTrain.to_toml`,
:meth:`PulseTrain.save` and :meth:`PulseTrain.from_toml` delegate here.

Values are SI numbers or '<number> <unit>' strings converted by
:func:`pcmphys.parameters.core.to_si`; written values use
:func:`~pcmphys.parameters.core.format_si`, whose digits convert back exactly.
"""
from __future__ import annotations

import difflib
import os
import pathlib

import numpy as np

from pcmphys.parameters.core import ParameterError, format_si, to_si
from pcmphys.protocol import Protocol, ProtocolError, Pulse, Read, Wait, as_scale, scaled_groups
from pcmphys.tomlfile import decode, parse_toml, read_toml_text

#: TOML step fields: type -> {key: unit}; "repeat" and "scale" (pulses) are unitless extras
_STEP_KEYS = {
    "pulse": {"mode": None, "current": "A", "voltage": "V", "width": "s", "rise_time": "s",
              "fall_time": "s", "temperature": "K", "repeat": None, "scale": None},
    "wait": {"duration": "s", "temperature": "K"},
    "read": {"at": "s", "voltage": "V", "temperature": "K"},
}
_STEP_KEYS["reset"] = _STEP_KEYS["set"] = {k: u for k, u in _STEP_KEYS["pulse"].items()
                                          if k not in ("mode", "voltage")}
_STEP_KEYS["read"]["since"] = None  # reference of 'at': last_pulse, start or a step label
for _keys in _STEP_KEYS.values():
    _keys["label"] = None  # a name Read.since can refer to
_TOP_KEYS = ("name", "description", "parameters", "step")
#: scale arrays longer than this go to .npy sidecar files in :meth:`PulseTrain.save`
INLINE_SCALE_LIMIT = 64


def _toml_string(text):
    """A TOML basic string (quotes, backslashes and control characters escaped)."""
    escaped = "".join(ch if ch >= " " and ch not in '"\\\x7f' else
                      {"\n": "\\n", "\t": "\\t", '"': '\\"', "\\": "\\\\"}.get(
                          ch, f"\\u{ord(ch):04x}") for ch in str(text))
    return f'"{escaped}"'


def _quantity(value, unit):
    return _toml_string(format_si(value, unit, ascii=True))


def _scale_toml(scale, ref, arrays, sidecar):
    """TOML text of a scale array: inline list, ``{ref = ...}`` or ``{file = ...}``."""
    if arrays == "refs":
        return f"{{ ref = {_toml_string(ref)} }}"
    if sidecar is not None and scale.size > INLINE_SCALE_LIMIT:
        return f"{{ file = {_toml_string(sidecar(ref, scale))} }}"
    body = ", ".join(repr(float(v)) for v in scale)
    return f"[{body}]"


def _pulse_lines(step, count, scale, first, arrays, sidecar):
    lines = ['type = "pulse"', f"mode = {_toml_string(step.mode)}",
             f"{step.mode} = {_quantity(step.amplitude, 'A' if step.mode == 'current' else 'V')}",
             f"width = {_quantity(step.width, 's')}",
             f"rise_time = {_quantity(step.rise_time, 's')}",
             f"fall_time = {_quantity(step.fall_time, 's')}"]
    if step.temperature is not None:
        lines.append(f"temperature = {_quantity(step.temperature, 'K')}")
    if count > 1:
        lines.append(f"repeat = {count}")
    if scale is not None:
        lines.append(f"scale = {_scale_toml(scale, f'scale_step{first}', arrays, sidecar)}")
    return lines


def _read_runs(groups, labelled=()):
    """Merge consecutive Reads with the same voltage/temperature/since and an ``at`` into one
    entry (labelled reads stay alone)."""
    out = []
    for g in groups:
        step = g[0]
        prev = out[-1][0] if out else None
        if (isinstance(step, Read) and step.at is not None and isinstance(prev, list)
                and prev[-1].voltage == step.voltage and prev[-1].temperature == step.temperature
                and prev[-1].since == step.since and g[3] not in labelled
                and out[-1][3] not in labelled):
            prev.append(step)
        elif isinstance(step, Read) and step.at is not None:
            out.append(([step],) + tuple(g[1:]))
        else:
            out.append(g)
    return out


def _step_lines(entry, arrays, sidecar):
    step = entry[0]
    if isinstance(step, Pulse):
        return _pulse_lines(*entry, arrays, sidecar)
    if isinstance(step, Wait):
        lines = ['type = "wait"', f"duration = {_quantity(step.duration, 's')}"]
        temperature = step.temperature
    else:
        reads = step if isinstance(step, list) else [step]
        step = reads[0]
        lines = ['type = "read"']
        if step.at is not None:
            ats = [_quantity(r.at, "s") for r in reads]
            lines.append(f"at = {ats[0]}" if len(ats) == 1 else f"at = [{', '.join(ats)}]")
        lines.append(f"voltage = {_quantity(step.voltage, 'V')}")
        if step.since != "last_pulse":
            lines.append(f"since = {_toml_string(step.since)}")
        temperature = step.temperature
    if temperature is not None:
        lines.append(f"temperature = {_quantity(temperature, 'K')}")
    return lines


def protocol_to_toml(train, arrays="inline", sidecar=None):
    """TOML text of a PulseTrain or Protocol (see :meth:`PulseTrain.to_toml`)."""
    if arrays not in ("inline", "refs"):
        raise ValueError(f"arrays must be 'inline' or 'refs', got {arrays!r}")
    lines = ["# pcmphys protocol (PulseTrain.to_toml). Steps run in order; numbers are SI,",
             "# strings are '<number> <unit>'. Read.at is measured from the end of the last pulse."]
    for key in ("name", "description", "parameters"):
        value = getattr(train, key, None)
        if value:
            lines.append(f"{key} = {_toml_string(value)}")
    labels = {v: k for k, v in (getattr(train, "labels", None) or {}).items()}
    for entry in _read_runs(scaled_groups(train), labels):
        lines += ["", "[[step]]"] + _step_lines(entry, arrays, sidecar)
        last = entry[3] + (len(entry[0]) if isinstance(entry[0], list) else entry[1]) - 1
        if last in labels:
            lines.append(f"label = {_toml_string(labels[last])}")
    return "\n".join(lines) + "\n"


def save_protocol(train, path):
    """Write ``train`` to the TOML file ``path`` (see :meth:`PulseTrain.save`)."""
    path = pathlib.Path(path)

    def sidecar(ref, scale):
        name = f"{path.stem}.{ref}.npy"
        np.save(path.parent / name, np.asarray(scale), allow_pickle=False)
        return name

    path.write_text(protocol_to_toml(train, "inline", sidecar), encoding="utf-8")
    return path


# ---------------------------------------------------------------------- reading TOML
def _source_text(path_or_text):
    """(text, source label, base directory) of a path or TOML text."""
    if isinstance(path_or_text, bytes):
        path_or_text = decode(path_or_text, "protocol text", ProtocolError)
    if isinstance(path_or_text, os.PathLike) or (
            isinstance(path_or_text, str) and "\n" not in path_or_text
            and (path_or_text.endswith(".toml") or _is_file(path_or_text))):
        path = pathlib.Path(path_or_text)
        if not path.is_file():
            raise ProtocolError(f"protocol file {str(path)!r} not found")
        return read_toml_text(path, "protocol file", ProtocolError), str(path), path.parent
    if not isinstance(path_or_text, str):
        raise TypeError(f"from_toml expects a path or TOML text, got "
                        f"{type(path_or_text).__name__}")
    return path_or_text, "<string>", pathlib.Path.cwd()


def _is_file(text):
    try:
        return len(text) < 4096 and os.path.isfile(text)
    except (OSError, ValueError):  # NUL bytes, names too long
        return False


def _unknown_key(key, valid, where):
    close = difflib.get_close_matches(key, valid, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return ProtocolError(f"{where}: unknown key {key!r}{hint} (valid keys: {', '.join(valid)})")


def _si(value, unit, where):
    """A number (SI) or '<number> <unit>' string converted to SI; ProtocolError if bad."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ProtocolError(f"{where} must be a number in {unit} or a string such as "
                            f"'1 {unit}', got {value!r}")
    try:
        return to_si(value, unit, where)
    except ParameterError as exc:
        raise ProtocolError(str(exc)) from None


def _load_scale(value, where, base, arrays):
    """A scale entry: inline list, {file = "x.npy"} (relative to the TOML file) or {ref = ...}."""
    if isinstance(value, list):
        return value
    if not isinstance(value, dict) or len(value) != 1 or not {"file", "ref"} & value.keys():
        raise ProtocolError(f"{where}.scale must be a list of factors [1], {{file = "
                            f"\"cells.npy\"}} or {{ref = \"name\"}}, got {value!r}")
    if "ref" in value:
        if not isinstance(value["ref"], str) or not arrays or value["ref"] not in arrays:
            raise ProtocolError(f"{where}.scale refers to array {value['ref']!r}, which was not "
                                "given (pass arrays={name: values} to from_toml)")
        return arrays[value["ref"]]
    path = base / str(value["file"])
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise ProtocolError(f"{where}.scale: cannot load {str(path)!r} as a .npy array of "
                            f"factors [1] ({exc})") from None


def _parse_pulse(kind, table, where):
    """Pulse from a 'pulse', 'reset' or 'set' table (the defaults of Pulse.reset/.set)."""
    values = {k: _si(v, _STEP_KEYS["pulse"][k], f"{where}.{k}")
              for k, v in table.items() if _STEP_KEYS["pulse"][k] is not None}
    if kind in ("reset", "set"):
        factory = Pulse.reset if kind == "reset" else Pulse.set
        return factory(**values)
    mode = table.get("mode")
    amplitude_keys = [k for k in ("current", "voltage") if k in table]
    if mode is None and len(amplitude_keys) == 1:
        mode = amplitude_keys[0]
    if mode not in ("current", "voltage"):
        raise ProtocolError(f"{where}.mode must be 'current' or 'voltage' (or give exactly "
                            f"one of current [A] / voltage [V]), got {mode!r}")
    if amplitude_keys != [mode]:
        raise ProtocolError(f"{where}: a {mode}-mode pulse needs '{mode}' "
                            f"[{'A' if mode == 'current' else 'V'}] and not the other amplitude")
    if "width" not in values:
        raise ProtocolError(f"{where}: a pulse needs 'width' [s]")
    extra = {k: values[k] for k in ("rise_time", "fall_time", "temperature") if k in values}
    return Pulse(mode, values[mode], values["width"], **extra)


def _repeat(table, where):
    count = table.get("repeat", 1)
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 10 ** 7:
        raise ProtocolError(f"{where}.repeat must be an integer in [1, 10000000], got {count!r}")
    return count


def _parse_reads(table, where):
    ats = table.get("at")
    ats = ats if isinstance(ats, list) else [ats]
    if not ats:
        raise ProtocolError(f"{where}.at must not be an empty list")
    extra = {k: _si(table[k], "V" if k == "voltage" else "K", f"{where}.{k}")
             for k in ("voltage", "temperature") if k in table}
    if "since" in table:
        if not isinstance(table["since"], str):
            raise ProtocolError(f"{where}.since must be 'last_pulse', 'start' or the label of "
                                f"an earlier step, got {table['since']!r}")
        extra["since"] = table["since"]
    return [Read(None if at is None else _si(at, "s", f"{where}.at"), **extra) for at in ats]


def _parse_step(index, table, base, arrays):
    """Steps (a list: repeat and read lists expand) and scale of one [[step]] table."""
    where = f"step {index}"
    if not isinstance(table, dict):
        raise ProtocolError(f"{where} must be a table ([[step]]), got {table!r}")
    kind = table.get("type")
    if not isinstance(kind, str) or kind not in _STEP_KEYS:
        raise ProtocolError(f"{where}: 'type' must be one of {', '.join(_STEP_KEYS)}, "
                            f"got {kind!r}")
    where = f"step {index} ({kind})"
    for key in table:
        if key != "type" and key not in _STEP_KEYS[kind]:
            raise _unknown_key(key, ["type", *_STEP_KEYS[kind]], where)
    try:
        if kind == "wait":
            if "duration" not in table:
                raise ProtocolError(f"{where}: a wait needs 'duration' [s]")
            temperature = table.get("temperature")
            return [Wait(_si(table["duration"], "s", f"{where}.duration"),
                         None if temperature is None
                         else _si(temperature, "K", f"{where}.temperature"))], None
        if kind == "read":
            return _parse_reads(table, where), None
        pulse = _parse_pulse(kind, {k: v for k, v in table.items()
                                    if k not in ("type", "repeat", "scale", "label")}, where)
    except ProtocolError as exc:
        message = str(exc)
        raise ProtocolError(message if message.startswith("step ") else f"{where}: {message}") \
            from None
    scale = table.get("scale")
    if scale is not None:
        scale = _load_scale(scale, where, base, arrays)
    return [pulse] * _repeat(table, where), scale


def protocol_from_toml(path_or_text, arrays=None):
    """Protocol from a TOML file or text (see :meth:`PulseTrain.from_toml`)."""
    text, source, base = _source_text(path_or_text)
    data = parse_toml(text, source, ProtocolError)
    for key in data:
        if key not in _TOP_KEYS:
            raise _unknown_key(key, list(_TOP_KEYS), source)
    tables = data.get("step", [])
    if not isinstance(tables, list) or not tables:
        raise ProtocolError(f"{source}: no steps; add [[step]] tables with type = 'pulse', "
                            "'reset', 'set', 'wait' or 'read'")
    steps, scales, labels, origins = [], {}, {}, []
    for index, table in enumerate(tables):
        try:
            new, scale = _parse_step(index, table, base, arrays)
        except ProtocolError as exc:
            raise ProtocolError(f"{source}: {exc}") from None
        if scale is not None:
            scale = as_scale(scale, f"{source}: step {index} (pulse).scale")
            scales.update({len(steps) + k: scale for k in range(len(new))})
        steps += new
        origins += [index] * len(new)
        label = table.get("label")
        if label is not None:
            if not isinstance(label, str) or not label.strip() or label in labels:
                raise ProtocolError(f"{source}: step {index}.label must be a new non-empty "
                                    f"string, got {label!r}")
            labels[label] = len(steps) - 1
    meta = {k: data[k] for k in ("name", "description", "parameters") if k in data}
    for key, value in meta.items():
        if not isinstance(value, str):
            raise ProtocolError(f"{source}: {key} must be a string, got {value!r}")
    try:
        return Protocol(steps, scales, labels=labels, origins=origins, **meta)
    except ProtocolError as exc:
        raise ProtocolError(f"{source}: {exc}") from None
