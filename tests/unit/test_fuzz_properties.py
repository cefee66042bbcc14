"""Property-based tests (hypothesis) of every input pcmphys parses: parameter values, parameter
sets, protocols and TOML files (issue 18).

The properties: any value in any field is either accepted as an in-range float (or a valid
choice) or refused with a ParameterError naming the field; in-range sets survive a TOML round
trip; any protocol table is either a protocol that survives its TOML round trip or a
ProtocolError; any bytes given as a parameter or protocol file give a result or the module's
error, never another exception. Bounded for CI: fixed example counts, derandomized (the same
examples on every run), no deadline, no example database; about 20 s in total.
"""
import math
import os
import tempfile

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from pcmphys.parameters import ParameterError, ParameterSet  # noqa: E402
from pcmphys.protocol import ProtocolError, PulseTrain  # noqa: E402


def bounded(n):
    return settings(max_examples=n, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow])


BASE = ParameterSet.load("sebastian2017_gst90nm")
FIELDS = [(mech.section, info) for _, mech in BASE.mechanisms() for info in mech.fields_info()]
UNITS = ["", "K", "degC", "m", "nm", "um", "s", "ns", "ms", "Ohm", "kOhm", "S", "uS", "K/uW",
         "K/W", "eV", "meV", "1/(m^3 s)", "m^-3", "cm^-3", "Pa s", "W", "A", "uA", "V", "mV",
         "furlong", "m^99", "K^-2", "(", "1/", "m^3^2", "%", "ppm", "Hz", "J"]
NUMBER_TEXT = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-10 ** 500, max_value=10 ** 500).map(str),
    st.from_regex(r"[+-]?(\d{1,6}(\.\d{0,4})?|\.\d{1,4})([eE][+-]?\d{1,8})?", fullmatch=True),
    st.sampled_from(["inf", "-inf", "nan", "infinity", "1e400", "-1e400", "1e-400", "0x10",
                     "1_000", "", " ", "--1", "1..2"]))
QUANTITY = st.builds(lambda n, u, sep: f"{n}{sep}{u}", NUMBER_TEXT, st.sampled_from(UNITS),
                     st.sampled_from([" ", "", "  "]))
SCALAR = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-10 ** 500, max_value=10 ** 500),
    st.booleans(), st.none(), QUANTITY, st.text(max_size=12))
VALUE = st.one_of(SCALAR, st.lists(SCALAR, max_size=3),
                  st.dictionaries(st.text(max_size=4), SCALAR, max_size=2))


@bounded(150)
@given(field=st.sampled_from(FIELDS), value=VALUE)
def test_any_value_in_any_field_is_in_range_or_refused_by_name(field, value):
    section, info = field
    key = f"{section}.{info.name}"
    try:
        ps = BASE.replace(**{key: value})
    except ParameterError as exc:
        assert key in str(exc)
        return
    got = getattr(getattr(ps, section), info.name)
    if info.choices:
        assert got in info.choices
    else:
        assert isinstance(got, float) and not math.isnan(got)
        assert info.bounds[0] <= got <= info.bounds[1]


def _in_range(info, u):
    lo, hi = max(info.bounds[0], -1e300), min(info.bounds[1], 1e300)
    if lo > 0 and hi / lo > 100:
        value = math.exp(math.log(lo) + u * (math.log(hi) - math.log(lo)))
    else:
        value = lo + u * (hi - lo)
    return min(max(value, info.bounds[0]), info.bounds[1])


@bounded(25)
@given(st.lists(st.tuples(st.sampled_from([f for f in FIELDS if not f[1].choices]),
                          st.floats(0.0, 1.0)), min_size=1, max_size=8))
def test_in_range_sets_round_trip_through_toml(changes):
    ps = BASE.replace(**{f"{s}.{info.name}": _in_range(info, u) for (s, info), u in changes})
    again = ParameterSet.from_toml(ps.to_toml())
    assert again.to_dict() == ps.to_dict()


# ---------------------------------------------------------------------- protocols
def _toml_value(value):
    """TOML text of a JSON-like value (strings as basic strings)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") \
            if math.isinf(value) else repr(value)
    if isinstance(value, str):
        escaped = "".join(ch if " " <= ch < "\x7f" and ch not in '"\\' else f"\\u{ord(ch):04x}"
                          for ch in value)
        return f'"{escaped}"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return "{" + ", ".join(f"{_toml_value(str(k))} = {_toml_value(v)}"
                           for k, v in value.items()) + "}"


STEP_KEYS = ["mode", "current", "voltage", "width", "rise_time", "fall_time", "temperature",
             "repeat", "scale", "duration", "at", "voltage"]
TOML_SCALAR = st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                        st.integers(min_value=-10 ** 400, max_value=10 ** 400),
                        st.booleans(), QUANTITY, st.text(max_size=8),
                        st.sampled_from(["100 uA", "50 ns", "1 s", "0.2 V", "300 K", "2 ns"]))
TOML_VALUE = st.one_of(TOML_SCALAR, st.lists(TOML_SCALAR, max_size=3),
                       st.fixed_dictionaries({}, optional={"ref": st.text(max_size=3),
                                                           "file": st.text(max_size=3)}))
STEP = st.fixed_dictionaries(
    {"type": st.one_of(st.sampled_from(["pulse", "reset", "set", "wait", "read"]),
                       TOML_SCALAR, st.lists(st.integers(), max_size=2))},
    optional={k: TOML_VALUE for k in STEP_KEYS + ["junk"]})


def _protocol_text(steps, extra):
    lines = [f"{k} = {_toml_value(v)}" for k, v in extra.items()]
    for table in steps:
        lines.append("[[step]]")
        lines += [f"{k} = {_toml_value(v)}" for k, v in table.items()]
    return "\n".join(lines) + "\n"


@bounded(150)
@given(st.lists(STEP, max_size=4),
       st.fixed_dictionaries({}, optional={"name": TOML_SCALAR, "parameters": TOML_SCALAR}))
def test_any_protocol_table_is_a_protocol_or_a_protocol_error(steps, extra):
    text = _protocol_text(steps, extra)
    try:
        protocol = PulseTrain.from_toml(text)
    except ProtocolError:
        return
    again = PulseTrain.from_toml(protocol.to_toml())
    assert again.steps == protocol.steps


# ---------------------------------------------------------------------- files
SET_TEXT = BASE.to_toml()
PROTOCOL_TEXT = ('name = "p"\n[[step]]\ntype = "reset"\n[[step]]\ntype = "read"\n'
                 'at = ["1 s", "10 s"]\n')


@st.composite
def mutated(draw, text):
    """``text`` (UTF-8) with a few random byte edits: deletions, insertions, duplications."""
    data = bytearray(text.encode())
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["delete", "insert", "repeat"]))
        if action == "delete":
            del data[at:at + draw(st.integers(1, 8))]
        elif action == "insert":
            data[at:at] = draw(st.one_of(st.binary(min_size=1, max_size=6),
                                         st.sampled_from([b"[", b"]", b"{", b"=", b'"', b"\n",
                                                          b"[[", b"e400", b"9" * 400,
                                                          b"\xff", b"\x00", b"true"])))
        else:
            data[at:at] = data[at:at + draw(st.integers(1, 40))]
    return bytes(data)


FILES = st.one_of(mutated(SET_TEXT), mutated(PROTOCOL_TEXT), st.binary(max_size=300),
                  st.text(max_size=200).map(str.encode))


@bounded(80)
@given(FILES)
def test_any_bytes_as_a_file_give_a_result_or_the_modules_error(data):
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "input.toml")
        with open(path, "wb") as handle:
            handle.write(data)
        try:
            ParameterSet.load(path)
        except ParameterError as exc:
            assert path in str(exc), str(exc)
        try:
            PulseTrain.from_toml(path)
        except ProtocolError:
            pass
