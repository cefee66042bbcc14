"""Parameter infrastructure: units, validation, TOML round trip, struct layout, params.cuh."""

import dataclasses
import math
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pcmphys.parameters import (
    Mechanism,
    ParameterError,
    ParameterSet,
    ThermalParams,
    available_sets,
    format_si,
    param,
    params_dtype,
    to_si,
)
from pcmphys.parameters.codegen import generate_params_cuh, params_cuh_path
from pcmphys.parameters.codegen import main as codegen_main

SET = "sebastian2017_gst90nm"
REPO = Path(__file__).resolve().parents[2]
KERNELS = REPO / "kernels"
GXX = shutil.which("g++") or shutil.which("c++")
NVCC = shutil.which("nvcc")


@pytest.fixture(scope="module")
def ps():
    return ParameterSet.load(SET)


def _write(tmp_path, text, name="set.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------- loading and printing
def test_load_named_set(ps):
    assert SET in available_sets()
    assert ps.name == SET
    assert ps.thermal.rth_heater == 2.3e6                    # "2.3 K/uW"
    assert ps.conduction.trap_density == 1e25                # "1e19 cm^-3"
    assert ps.crystallization.max_growth_velocity == 0.5     # "0.5 nm/ns"
    assert ps.crystallization.growth_model == "gaussian"
    assert ps == ParameterSet.load(SET) and hash(ps) == hash(ParameterSet.load(SET))


def test_str_shows_units_and_tags(ps):
    text = str(ps)
    assert text.startswith(f"ParameterSet {SET!r}")
    for expected in ("[thermal]", "[faults]", "rth_heater", "K/µW", "20 nm", "[V]", "[E]",
                     "1e+19 cm^-3", "gaussian"):
        assert expected in text
    assert len(text.splitlines()) > sum(len(c.fields_info()) for _, c in ps.mechanisms())


def test_load_path_defaults_and_missing_keys(tmp_path):
    path = _write(tmp_path, '[thermal]\nrth_heater = "2.2 K/uW"\n', "mine.toml")
    loaded = ParameterSet.load(path)
    assert loaded.name == "mine"
    assert loaded.thermal.rth_heater == 2.2e6
    assert loaded.amorphization == ParameterSet().amorphization       # defaults
    assert ParameterSet.load(str(path)) == loaded


def test_misspelled_key_suggests_right_one(tmp_path):
    path = _write(tmp_path, "[thermal]\nrth_heatr = 7e6\n")
    with pytest.raises(ParameterError, match="did you mean 'rth_heater'") as info:
        ParameterSet.load(path)
    assert "rth_heatr" in str(info.value) and "[thermal]" in str(info.value)


def test_unknown_mechanism_table_suggests(tmp_path):
    path = _write(tmp_path, "[thermall]\nrth_heater = 7e6\n")
    with pytest.raises(ParameterError, match="did you mean 'thermal'"):
        ParameterSet.load(path)


def test_unknown_set_lists_valid_names():
    with pytest.raises(ParameterError, match=SET) as info:
        ParameterSet.load("sebastian2017_gst")
    assert "did you mean" in str(info.value)
    with pytest.raises(ParameterError, match="valid"):
        ParameterSet.load("..")


def test_missing_file_and_bad_toml(tmp_path):
    with pytest.raises(FileNotFoundError):
        ParameterSet.load(tmp_path / "absent.toml")
    with pytest.raises(ParameterError, match="not valid TOML"):
        ParameterSet.load(_write(tmp_path, "[thermal\n"))
    with pytest.raises(ParameterError, match="must be a table"):
        ParameterSet.load(_write(tmp_path, "thermal = 3\n"))


def test_meta_table_accepted(tmp_path):
    path = _write(tmp_path, 'name = "x"\n[meta]\nauthor = "me"\n[noise]\nnoise_max = 0.3\n')
    assert ParameterSet.load(path).noise.noise_max == 0.3


# ---------------------------------------------------------------- validation messages
def test_wrong_unit_names_field_and_units(tmp_path):
    path = _write(tmp_path, '[amorphization]\nheater_radius = "65 ns"\n')
    with pytest.raises(ParameterError) as info:
        ParameterSet.load(path)
    message = str(info.value)
    for expected in ("amorphization.heater_radius", "65 ns", "'ns'", " m ", "allowed range"):
        assert expected in message, message


@pytest.mark.parametrize("value, fragment", [
    (-1.0, "out of range"), (2e9, "out of range"), (math.inf, "out of range"),
    (math.nan, "not a number"), ("-5 K/uW", "out of range"),
])
def test_out_of_bounds_and_nan(ps, value, fragment):
    with pytest.raises(ParameterError, match=fragment) as info:
        ps.replace(thermal={"rth_heater": value})
    message = str(info.value)
    assert "thermal.rth_heater" in message and "K/W" in message
    assert "allowed range [10000, 1e+09] K/W" in message


@pytest.mark.parametrize("value", [True, None, [1.0], {"a": 1}])
def test_wrong_type_rejected(ps, value):
    with pytest.raises(ParameterError, match=r"thermal\.rth_heater.*allowed range"):
        ps.replace(**{"thermal.rth_heater": value})


def test_bad_choice_and_unitless_string(ps):
    with pytest.raises(ParameterError, match="crystallization.growth_model.*'gaussian'"):
        ps.replace(crystallization={"growth_model": "gausian"})
    with pytest.raises(ParameterError, match="no unit"):
        ps.replace(thermal={"rth_heater": "7e6"})
    assert ps.replace(amorphization={"melt_exponent": "2.5"}).amorphization.melt_exponent == 2.5


def test_mechanism_standalone_converts_units():
    thermal = ThermalParams(rth_heater="2 K/uW", heater_sink_length="5 nm")
    assert thermal.rth_heater == 2e6 and thermal.heater_sink_length == 5e-9
    assert isinstance(ThermalParams(rth_heater=3_000_000).rth_heater, float)
    with pytest.raises(dataclasses.FrozenInstanceError):
        thermal.rth_heater = 1.0
    info = {i.name: i for i in ThermalParams.fields_info()}
    assert info["rth_heater"].unit == "K/W" and info["rth_heater"].tag in "VLE"


def test_param_declaration_checks():
    with pytest.raises(ValueError, match="unit"):
        param(1.0, "furlong", "", "E", (0, 1), "x")
    with pytest.raises(ValueError, match="tag"):
        param(1.0, "m", "", "X", (0, 1), "x")
    with pytest.raises(ValueError, match="bounds"):
        param(1.0, "m", "", "E", (1, 0), "x")
    with pytest.raises(ValueError, match="choices"):
        param("c", "1", "", "E", (0, 1), "x", choices=("a", "b"))

    @dataclasses.dataclass(frozen=True)
    class ToyParams(Mechanism):
        width: float = param(1.0, "m", "", "E", (0.0, math.inf), "unbounded above")

    assert ToyParams(width=math.inf).width == math.inf
    with pytest.raises(ParameterError, match="toy.width"):
        ToyParams(width=-1.0)


# ---------------------------------------------------------------- variants
def test_replace_dotted_nested_and_instances(ps):
    a = ps.replace(thermal={"rth_heater": 2e6})
    b = ps.replace(**{"thermal.rth_heater": "2 K/uW"})
    c = ps.replace(thermal=dataclasses.replace(ps.thermal, rth_heater=2e6))
    assert a == b == c and a != ps
    assert ps.thermal.rth_heater == 2.3e6                               # original untouched
    d = ps.replace(**{"thermal.rth_heater": 2e6, "thermal.heater_sink_length": "5 nm"},
                   noise={"noise_max": 0.3}, name="mine", description="test")
    assert (d.thermal.rth_heater, d.thermal.heater_sink_length) == (2e6, 5e-9)
    assert d.noise.noise_max == 0.3 and d.name == "mine" and d.description == "test"
    assert d.amorphization is ps.amorphization


def test_replace_errors(ps):
    with pytest.raises(ParameterError, match="did you mean 'rth_heater'"):
        ps.replace(thermal={"rth_heatr": 1e6})
    with pytest.raises(ParameterError, match="did you mean 'thermal'"):
        ps.replace(**{"thermall.rth_heater": 1e6})
    with pytest.raises(ParameterError, match="twice"):
        ps.replace(**{"thermal.rth_heater": 1e6}, thermal={"rth_heater": 2e6})


def test_deterministic_zeroes_exactly_stochastic_fields(ps):
    det = ps.deterministic()
    stochastic = 0
    for (section, info, before), (_, _, after) in zip(ps.items(), det.items()):
        if info.stochastic:
            stochastic += 1
            assert after == 0.0, f"{section}.{info.name}"
        else:
            assert after == before, f"{section}.{info.name}"
    assert stochastic >= 5
    assert det.noise.noise_coefficient == 0.0 and det.variability.quench_sigma == 0.0


# ---------------------------------------------------------------- TOML round trip
def _random_set(seed):
    """A set with awkward float64 values (17 significant digits) inside every bound."""
    rng = np.random.default_rng(seed)
    changes = {}
    for section, info, _ in ParameterSet().items():
        if info.choices:
            changes[f"{section}.{info.name}"] = info.choices[-1]
            continue
        lo, hi = max(info.bounds[0], -1e30), min(info.bounds[1], 1e30)
        if lo > 0:
            value = float(np.exp(rng.uniform(np.log(lo), np.log(hi))))
        else:
            value = float(rng.uniform(lo, hi))
        changes[f"{section}.{info.name}"] = min(max(value, lo), hi)
    return ParameterSet().replace(**changes, name="random", description='quote " and \\ µ')


@pytest.mark.parametrize("make", [lambda: ParameterSet.load(SET), lambda: _random_set(11),
                                  lambda: _random_set(12), lambda: ParameterSet()])
def test_to_toml_round_trip_exact(tmp_path, make):
    original = make()
    path = _write(tmp_path, original.to_toml(), "round.toml")
    loaded = ParameterSet.load(path)
    assert loaded == original
    for (_, info, a), (_, _, b) in zip(original.items(), loaded.items()):
        assert a == b and type(a) is type(b), info.name
    assert ParameterSet.from_dict(original.to_dict()) == original


def test_to_toml_is_readable(ps):
    text = ps.to_toml()
    assert 'rth_heater = "2.3 K/uW"' in text
    assert 'heater_radius = "20 nm"' in text
    assert "# [V] sebastian2017correlation" in text


# ---------------------------------------------------------------- citations
def test_every_ref_in_citations_bib(ps):
    bib = ps.citations()
    assert "% missing" not in bib
    for key in ps.references():
        assert f"{{{key}," in bib
    assert bib.count("@") == len(ps.references())


# ---------------------------------------------------------------- struct and params.cuh
def test_to_struct_layout_and_values(ps):
    dtype = params_dtype()
    assert dtype is params_dtype() and dtype.isalignedstruct
    expected = [f"{s}_{i.name}" for s, i, _ in ps.items()]
    assert list(dtype.names) == expected
    struct = ps.to_struct()
    assert struct.dtype == dtype
    assert struct["thermal_rth_heater"] == 2.3e6
    assert struct["crystallization_growth_model"] == 0
    assert dtype["crystallization_growth_model"] == np.int32
    physical = ps.replace(crystallization={"growth_model": "physical"}).to_struct()
    assert physical["crystallization_growth_model"] == 1
    for name in dtype.names:
        offset = dtype.fields[name][1]
        assert offset % dtype[name].alignment == 0


def test_committed_params_cuh_is_current(tmp_path):
    assert params_cuh_path() == KERNELS / "params.cuh"
    assert (KERNELS / "params.cuh").read_text(encoding="utf-8") == generate_params_cuh()
    assert codegen_main(["--check"]) == 0
    stale = _write(tmp_path, "// old\n", "params.cuh")
    assert codegen_main(["--check", "--output", str(stale)]) == 1
    assert codegen_main(["--output", str(stale)]) == 0
    assert stale.read_text(encoding="utf-8") == generate_params_cuh()


def test_params_cuh_content():
    text = generate_params_cuh()
    assert "generated by python -m pcmphys.parameters.codegen; do not edit" in text
    assert "#pragma once" in text and '#include "pcm_common.cuh"' in text
    assert "#define PCM_CRYSTALLIZATION_GROWTH_MODEL_GAUSSIAN 0" in text
    assert "pcm_i32 crystallization_growth_model;" in text
    assert f"sizeof(pcm_params) == {params_dtype().itemsize}" in text
    assert text.count("static_assert(__builtin_offsetof") == len(params_dtype().names)
    assert "#ifndef __CUDACC_RTC__" in text   # NVRTC 13.0 rejects them (test_nvrtc.py)


_CPP_MAIN = ('#include "params.cuh"\n'
             "int main() { pcm_params p{}; p.thermal_rth_heater = 1.0; "
             "return (int)p.crystallization_growth_model; }\n")


def _gxx(source_dir, tmp_path):
    src = _write(tmp_path, _CPP_MAIN, "main.cpp")
    return subprocess.run([GXX, "-std=c++17", "-include", str(KERNELS / "host_shim.h"),
                           f"-I{source_dir}", f"-I{KERNELS}", "-fsyntax-only", str(src)],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(GXX is None, reason="no C++ compiler (g++/c++) on PATH")
def test_static_asserts_hold_in_gxx(tmp_path):
    proc = _gxx(KERNELS, tmp_path)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.skipif(GXX is None, reason="no C++ compiler (g++/c++) on PATH")
def test_static_asserts_catch_layout_change(tmp_path):
    """A header whose struct differs from the dtype must not compile."""
    broken = tmp_path / "inc"
    broken.mkdir()
    text = generate_params_cuh().replace("struct pcm_params {",
                                         "struct pcm_params {\n    double stray;", 1)
    (broken / "params.cuh").write_text(text, encoding="utf-8")
    proc = _gxx(broken, tmp_path)
    assert proc.returncode != 0 and "regenerate" in proc.stderr


@pytest.mark.skipif(NVCC is None, reason="nvcc not found on PATH")
def test_params_cuh_compiles_in_nvcc(tmp_path):
    src = _write(tmp_path, '#include "params.cuh"\n'
                           'extern "C" __global__ void k(pcm_params p, double* out) '
                           "{ out[0] = p.thermal_rth_heater + p.crystallization_growth_model; }\n",
                 "k.cu")
    proc = subprocess.run([NVCC, "-std=c++17", "-ptx", f"-I{KERNELS}", str(src),
                           "-o", str(tmp_path / "k.ptx")],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr


# ---------------------------------------------------------------- unit parser
@pytest.mark.parametrize("text, unit, expected", [
    ("65 nm", "m", 65e-9), ("50 ns", "s", 50e-9), ("440 uA", "A", 440e-6),
    ("440 µA", "A", 440e-6), ("440 μA", "A", 440e-6), ("2.2 K/uW", "K/W", 2.2e6),
    ("25 V/um", "V/m", 25e6), ("0.5 nm/ns", "m/s", 0.5), ("1e19 cm^-3", "1/m^3", 1e25),
    ("85 degC", "K", 358.15), ("85 °C", "K", 358.15), ("1.5 eV", "eV", 1.5),
    ("10 meV", "eV", 0.01), ("5 kOhm", "Ohm", 5e3), ("5 kΩ", "Ohm", 5e3),
    ("0.1 uS", "S", 1e-7), ("1 um^2", "m^2", 1e-12), ("1 µm²", "m^2", 1e-12),
    ("1e13 1/s", "1/s", 1e13), ("1e13 Hz", "1/s", 1e13), ("1 fs", "s", 1e-15),
    ("1e30 1/(m^3 s)", "1/(m^3 s)", 1e30), ("1e30 m^-3 s^-1", "1/(m^3 s)", 1e30),
    ("1e24 cm^-3 s^-1", "1/(m^3 s)", 1e30), ("1e30 m^-3*s^-1", "1/(m^3 s)", 1e30),
    ("0.06 J/m^2", "J/m^2", 0.06), ("5e8 J/m^3", "J/m^3", 5e8), ("3 mPa s", "Pa s", 3e-3),
    ("1.5e-3 1/K", "1/K", 1.5e-3), ("5 %", "1", 0.05), ("0.25", "1", 0.25),
    ("2 mW", "W", 2e-3), ("1.2 V", "V", 1.2), ("7", "1", 7.0), ("65nm", "m", 65e-9),
    ("-3 m", "m", -3.0), ("1 kg m^2 s^-2", "eV", 1 / 1.602176634e-19),
    ("1 h", "s", 3600.0), ("1 (m s)^-1", "1/(m s)", 1.0),
])
def test_to_si_conversions(text, unit, expected):
    assert to_si(text, unit, "x.y") == pytest.approx(expected, rel=1e-15)


def test_to_si_exact_for_powers_of_ten():
    assert to_si("20 nm", "m", "x") == 20e-9 == 2e-8
    assert to_si("440 uA", "A", "x") == 0.00044
    assert to_si(5, "m", "x") == 5.0 and isinstance(to_si(5, "m", "x"), float)


@pytest.mark.parametrize("text, unit, fragment", [
    ("65 ns", "m", "field is in m"), ("65 nm", "K/W", "field is in K/W"),
    ("1e19 cm^-2", "1/m^3", "1/m^3"), ("65 furlong", "m", "unknown unit"),
    ("nm", "m", "number"), ("65 nm^", "m", "exponent"), ("65 n m", "m", "unknown unit"),
    ("65 (nm", "m", "missing"), ("65 m^1.5", "m", "integer"), ("65 2 m", "m", "must be 1"),
    ("65 m)", "m", "unexpected"), ("65 m$", "m", "unexpected character"),
    ("65", "m", "no unit"), ("", "m", "number"), ("5 kK/W/", "K/W", "unit"),
])
def test_to_si_bad_strings(text, unit, fragment):
    with pytest.raises(ParameterError, match="thermal.x") as info:
        to_si(text, unit, "thermal.x")
    assert fragment in str(info.value), str(info.value)
    assert unit in str(info.value)


@pytest.mark.parametrize("value, unit, expected", [
    (65e-9, "m", "65 nm"), (440e-6, "A", "440 µA"), (7e6, "K/W", "7 K/µW"),
    (2.5e7, "V/m", "25 V/µm"), (1e25, "1/m^3", "1e+19 cm^-3"), (300.0, "K", "300 K"),
    (0.01, "eV", "10 meV"), (3e3, "Ohm", "3 kOhm"), (1e-12, "m^2", "1 µm^2"),
    (2.18, "1", "2.18"), (0.0, "m", "0 m"), (1e9, "s", "1e+09 s"), (0.5, "m/s", "0.5 m/s"),
])
def test_format_si(value, unit, expected):
    assert format_si(value, unit) == expected
    assert to_si(format_si(value, unit), unit, "x") == value


def test_format_si_round_trip_random():
    rng = np.random.default_rng(5)
    units = ["m", "s", "K", "W", "A", "V", "Ohm", "S", "K/W", "eV", "1/s", "m/s", "V/m",
             "1/m^3", "1/(m^3 s)", "J/m^2", "J/m^3", "Pa s", "1", "1/K", "m^2"]
    values = np.concatenate([10 ** rng.uniform(-30, 30, 400) * rng.uniform(1, 10, 400),
                             -rng.uniform(0, 1e-6, 50), rng.standard_normal(50)])
    for unit in units:
        for value in values:
            for ascii_only in (True, False):
                text = format_si(float(value), unit, ascii=ascii_only)
                assert to_si(text, unit, "x") == float(value), (value, unit, text)
    assert format_si(2.2727272727e6, "K/W", precision=3) == "2.27 K/µW"


# ---------------------------------------------------------------- import hygiene
def test_import_is_light():
    code = ("import sys, pcmphys.parameters as p; p.ParameterSet.load('sebastian2017_gst90nm')"
            ".to_struct(); heavy = [m for m in ('scipy', 'xarray', 'cupy', 'matplotlib', 'dask')"
            " if m in sys.modules]; assert not heavy, heavy")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=REPO, env={"PYTHONPATH": str(REPO), "PATH": ""}, timeout=120)
    assert proc.returncode == 0, proc.stderr
