"""Hostile inputs that used to crash (issue 18 items 5, 6, 8): each now gives a clear error
naming where the problem is, and the command line prints one line instead of a traceback.

Before: a bare OverflowError for 10**400 or "1e400 K" in any numeric field, RecursionError for
deeply nested TOML, "unhashable type: 'list'" for ``type = [1]``, a non-UTF-8 parameter file
without its name, ``include = no`` read as True, a non-numeric conductance cell without the
column, and IndexError tracebacks from ``pcmphys fit`` on a truncated .nc."""
import numpy as np
import pandas as pd
import pytest

from pcmphys.cli import main
from pcmphys.fit import MeasuredDataError
from pcmphys.fit.schema import from_table, read_measured
from pcmphys.parameters import ParameterError, ParameterSet
from pcmphys.protocol import ProtocolError, PulseTrain


@pytest.fixture(scope="module")
def params():
    return ParameterSet.load("sebastian2017_gst90nm")


@pytest.mark.parametrize("value", [10 ** 400, -(10 ** 400), "1e400 K", "1e9999999 K",
                                   "2e308 K", "1e300 kK"])
def test_huge_numbers_give_parameter_errors(params, value):
    """Item 6: huge values are out of range with field, unit and range named (no
    OverflowError, no long big-number computation)."""
    with pytest.raises(ParameterError, match=r"thermal\.ambient_temperature.*K.*allowed "
                                             r"range \[1, 1500\] K"):
        params.replace(**{"thermal.ambient_temperature": value})


def test_every_numeric_field_refuses_a_400_digit_integer(params):
    """Item 6: the 204 numeric fields x huge values of the issue, one call per field."""
    fields = [(m.section, info) for _, m in params.mechanisms() for info in m.fields_info()
              if not info.choices]
    assert len(fields) > 50
    for section, info in fields:
        for value in (10 ** 400, "1e400 " + (info.unit if info.unit != "1" else "")):
            with pytest.raises(ParameterError, match=rf"{section}\.{info.name}"):
                params.replace(**{f"{section}.{info.name}": value})


def test_unit_powers_and_long_numbers_are_bounded(params):
    for value, fragment in [("300 K^99", "exponent 99 is too large"),
                            ("1" * 500 + " K", "500 characters"),
                            ("300 K^123456789", "too large")]:
        with pytest.raises(ParameterError, match=fragment):
            params.replace(**{"thermal.ambient_temperature": value})
    tiny = params.replace(**{"conduction.min_conduction_thickness": "1e-99999 m"})
    assert tiny.conduction.min_conduction_thickness == 0.0


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


DEEP = "x = " + "[" * 2000 + "]" * 2000 + "\n"
DEEP_TABLE = "x = " + "{a = " * 2000 + "1" + "}" * 2000 + "\n"
MEDIUM = "x = " + "[" * 40 + "]" * 40 + "\n"


@pytest.mark.parametrize("text, fragment", [
    (DEEP, "nested too deeply"), (DEEP_TABLE, "nested too deeply"),
    (MEDIUM, "nested more than 32 levels"),
    ("x = " + "9" * 5000 + "\n", "not valid TOML"),
    (b'name = "\xff\xfe"\n', "not UTF-8 text: byte 0xff at position 8"),
], ids=["deep-array", "deep-table", "depth-40", "5000-digits", "not-utf8"])
def test_toml_reader_names_the_file(tmp_path, text, fragment):
    """Item 6: nesting, digits and encoding errors name the file, for parameter files and
    protocols alike (one reader)."""
    path = _write(tmp_path, "bad.toml", text)
    with pytest.raises(ParameterError, match=fragment) as info:
        ParameterSet.load(path)
    assert str(path) in str(info.value)
    with pytest.raises(ProtocolError, match=fragment) as info:
        PulseTrain.from_toml(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize("table, fragment", [
    ("type = [1]", r"step 0: 'type' must be one of .* got \[1\]"),
    ("type = {a = 1}", "step 0: 'type' must be one of"),
    ('type = "pulse"\nmode = "current"\ncurrent = ' + "9" * 400 + '\nwidth = "1 ns"',
     r"step 0 \(pulse\)\.current: the number given \(an integer of 400 digits\) is too large"),
    ('type = "wait"\nduration = "1e400 s"', r"step 0 \(wait\)\.duration: .*too large"),
    ('type = "reset"\nscale = {ref = [1]}', r"step 0 \(reset\)\.scale refers to array"),
])
def test_protocol_steps_with_hostile_values_are_named(table, fragment):
    with pytest.raises(ProtocolError, match=fragment):
        PulseTrain.from_toml("[[step]]\n" + table + "\n")


@pytest.mark.parametrize("protocol, params_text, fragment", [
    (DEEP, None, "nested too deeply"),
    ('[[step]]\ntype = "wait"\nduration = ' + "9" * 400 + "\n", None, "400 digits"),
    ('[[step]]\ntype = "read"\n', DEEP, "nested too deeply"),
    ('[[step]]\ntype = "read"\n', "[thermal]\nambient_temperature = " + "9" * 400 + "\n",
     "400 digits"),
    ('[[step]]\ntype = "read"\n', b"[thermal]\n# \xff\n", "not UTF-8"),
], ids=["protocol-deep", "protocol-400-digits", "params-deep", "params-400-digits",
        "params-not-utf8"])
def test_cli_simulate_hostile_files_one_line(tmp_path, capsys, protocol, params_text,
                                             fragment):
    """Item 5: ``pcmphys simulate`` with a 400-digit integer or 2,000-deep nesting in the
    protocol or the --params file exits 2 with one line (no traceback)."""
    args = ["simulate", str(_write(tmp_path, "p.toml", protocol)), "-n", "4", "-s", "1",
            "-o", str(tmp_path / "out.zarr"), "--backend", "numpy", "--no-progress"]
    if params_text is not None:
        args += ["--params", str(_write(tmp_path, "set.toml", params_text))]
    else:
        args += ["--params", "sebastian2017_gst90nm"]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and fragment in err, err


def test_cli_unexpected_error_is_one_line(monkeypatch, capsys):
    """The main wrapper turns an error no command handled into one line naming its type."""
    from pcmphys import cli

    def boom(args):
        raise IndexError("deep inside a reader")

    monkeypatch.setitem(cli.COMMANDS, "info", (cli.COMMANDS["info"][0], boom))
    assert main(["info"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.splitlines() == ["pcmphys info: error: IndexError: deep inside a reader (set "
                                "PCMPHYS_TRACEBACK=1 for the traceback)"]


# ---------------------------------------------------------------------- fit reader (item 8)
def _long_table(include=None, g=None):
    rows = []
    for d in range(3):
        for e, t in enumerate([1.0, 10.0, 100.0]):
            rows.append({"device": d, "event": e,
                         "conductance [uS]": (1.0 / (1 + d) * t ** -0.1) if g is None
                         else g[d][e],
                         "n_pulses": 1 if e == 0 else 0, "pulse_amplitude [uA]": 440.0,
                         "pulse_width [ns]": 1000.0, "time_since_pulse": t,
                         **({} if include is None else {"include": include[e]})})
    return pd.DataFrame(rows)


def test_fit_reader_include_no_is_false(tmp_path):
    """Item 8: ``include = no`` (CSV text) excluded the event as True before."""
    path = tmp_path / "m.csv"
    _long_table(include=["yes", "no", "True"]).to_csv(path, index=False)
    assert read_measured(path)["include"].values.tolist() == [True, False, True]
    for values in (["1", "0", "1"], [1, 0, 1], [True, False, True]):
        table = _long_table(include=values)
        assert from_table(table)["include"].values.tolist() == [True, False, True]
    with pytest.raises(MeasuredDataError, match=r"column 'include' must be true/false.*"
                                                r"'maybe'"):
        from_table(_long_table(include=["yes", "maybe", "no"]))


def test_fit_reader_non_numeric_conductance_names_the_column(tmp_path):
    """Item 8: a non-numeric conductance cell names the column, device and event."""
    g = [[1.0, 0.9, 0.8], [0.5, "abc", 0.4], [0.3, 0.3, 0.2]]
    path = tmp_path / "m.csv"
    _long_table(g=g).to_csv(path, index=False)
    with pytest.raises(MeasuredDataError, match=r"column 'conductance' must hold numbers; 1 "
                                                r"cells do not \(device 1, event 1: 'abc'\)"):
        read_measured(path)
    table = _long_table()
    table["pulse_width [ns]"] = table["pulse_width [ns]"].astype(object)
    table.loc[table["event"] == 0, "pulse_width [ns]"] = "wide"
    with pytest.raises(MeasuredDataError, match="column 'pulse_width' must hold numbers"):
        from_table(table)


def test_cli_fit_on_truncated_netcdf_is_one_line(tmp_path, capsys):
    """Items 5 and 8: ``pcmphys fit`` on a truncated .nc raised IndexError from the reader;
    now one line naming the file."""
    xr = pytest.importorskip("xarray")
    path = tmp_path / "m.nc"
    ds = xr.Dataset({"conductance": (("device", "event"), np.ones((3, 3)))})
    ds.to_netcdf(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(MeasuredDataError, match="damaged or truncated"):
        read_measured(path)
    code = main(["fit", str(path), "--params", "sebastian2017_gst90nm", "--free",
                 "conduction.activation_energy", "--out", str(tmp_path / "f.toml")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "truncated" in err, err

