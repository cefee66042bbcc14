"""Units at the Python API: SI floats, unit strings, pint Quantities, validity ranges, unit-slip
hints and refused bools, all through the one check :func:`pcmphys.protocol.check_quantity`
(frictions of "A package users can learn and trust": ``Pulse.set(width=50)`` ran a 50 s pulse,
``wait(3600, temperature=85)`` baked at 85 K, ``"440 uA"`` was refused in Python, ``True`` was
1 s / 1 K)."""
import re

import numpy as np
import pytest

import pcmphys as pcm
from pcmphys.protocol import ProtocolError, check_quantity, validity_ranges


@pytest.fixture(scope="module")
def ps():
    return pcm.ParameterSet.load("sebastian2017_gst90nm")


@pytest.fixture(scope="module")
def pop(ps):
    return pcm.Population(ps, 4, 1, "numpy")


def test_width_in_seconds_by_mistake_is_refused_with_the_slip():
    with pytest.raises(ProtocolError) as info:
        pcm.Pulse.set(width=50)
    message = str(info.value)
    for needle in ("Pulse.width", "50.0 [s]", "[0, 0.001] s", "did you mean 50 ns?"):
        assert needle in message, message


def test_temperature_in_celsius_by_mistake_is_refused_with_the_kelvin_value(pop):
    with pytest.raises(ProtocolError) as info:
        pop.wait(3600, temperature=85)
    message = str(info.value)
    for needle in ("temperature", "85.0 [K]", "[200, 800] K", "85 degC = 358.15 K?"):
        assert needle in message, message
    with pytest.raises(ProtocolError, match="did you mean 85 degC"):
        pcm.Wait(3600, temperature=85)


def test_current_in_microamps_by_mistake():
    with pytest.raises(ProtocolError, match=r"did you mean 440 uA\?"):
        pcm.Pulse.reset(current=440)


def test_unit_strings_are_read_by_the_toml_parser():
    assert pcm.Pulse.reset(current="440 uA").amplitude == pytest.approx(440e-6, rel=1e-15)
    assert pcm.Pulse.set(width="50 ns").width == 50e-9
    assert pcm.Wait("1 h", temperature="85 degC") == pcm.Wait(3600.0, 358.15)
    assert pcm.Read(at="10 ms", voltage="200 mV", temperature="25 degC") == \
        pcm.Read(at=1e-2, voltage=0.2, temperature=298.15)
    # the TOML and Python paths agree value for value
    toml = pcm.PulseTrain.from_toml('[[step]]\ntype = "reset"\ncurrent = "440 uA"\n')
    assert toml.steps[0] == pcm.Pulse.reset(current="440 uA")


def test_wrong_dimension_in_a_string_is_named():
    with pytest.raises(ProtocolError, match=r"Pulse.width.*unit 'uA'.*\[s\]"):
        pcm.Pulse.set(width="50 uA")


@pytest.mark.parametrize("make", [
    lambda: pcm.Read(temperature=True),
    lambda: pcm.Read(at=True),
    lambda: pcm.Pulse.set(width=True),
    lambda: pcm.Pulse.reset(current=np.bool_(True)),
    lambda: pcm.Wait(True),
])
def test_bools_are_refused_by_the_steps(make):
    with pytest.raises(ProtocolError, match="bool"):
        make()


def test_bools_are_refused_by_the_population(pop):
    with pytest.raises(ProtocolError, match="bool"):
        pop.wait(True)
    with pytest.raises(ProtocolError, match="period.*bool"):
        pop.apply(pcm.Pulse.set(), period=True)
    with pytest.raises(ProtocolError, match="bool"):
        pop.read(voltage=True)
    with pytest.raises(ProtocolError, match="bool"):
        pop.read(temperature=True)


def test_population_methods_take_unit_strings(ps):
    a = pcm.Population(ps, 8, 3, "numpy")
    b = pcm.Population(ps, 8, 3, "numpy")
    a.apply(pcm.Pulse.reset())
    a.wait(60.0, temperature=358.15)
    ga = a.read(voltage=0.2, temperature=300.0)
    b.apply(pcm.Pulse.reset(current="440 uA", width="1 us"))
    b.wait("1 min", temperature="85 degC")
    gb = b.read(voltage="200 mV", temperature="26.85 degC")
    np.testing.assert_array_equal(ga, gb)


def test_pint_quantities():
    pint = pytest.importorskip("pint")
    u = pint.UnitRegistry()
    assert pcm.Pulse.set(width=50 * u.ns).width == pytest.approx(50e-9, rel=1e-15)
    assert pcm.Wait(2 * u.hour, temperature=u.Quantity(85, u.degC)).temperature == \
        pytest.approx(358.15, rel=1e-15)
    with pytest.raises(ProtocolError, match="Pulse.width: cannot convert"):
        pcm.Pulse.set(width=50 * u.uA)


def test_nan_inf_and_junk_are_refused():
    for value in (float("nan"), float("inf"), "fast", [1e-9], None):
        with pytest.raises(ProtocolError, match="Pulse.width"):
            pcm.Pulse.set(width=value)


def test_validity_ranges_are_stated_per_quantity():
    ranges = validity_ranges()
    for name in ("current", "voltage", "width", "temperature", "duration", "at",
                 "read_voltage", "period"):
        unit, lo, hi, what = ranges[name]
        assert lo < hi and unit and what
        with pytest.raises(ProtocolError, match=re.escape(f"[{lo:g}, {hi:g}] {unit}")):
            check_quantity(name, hi * 1.5 + 1.0, unit, lo, hi, what)


def test_crossbar_arguments_use_the_same_check():
    from pcmphys import statistical as st
    from pcmphys.computing.crossbar import Crossbar

    xb = Crossbar(3, 2, params=st.StatisticalParams().deterministic(), backend="numpy",
                  read_voltage="200 mV")
    assert xb.read_voltage == pytest.approx(0.2, rel=1e-15)
    with pytest.raises(ValueError, match="read_voltage.*bool"):
        Crossbar(3, 2, backend="numpy", read_voltage=True)
    xb.program(np.eye(3, 2), verify_time="1 s")
    with pytest.raises(ValueError, match="did you mean"):
        Crossbar(3, 2, backend="numpy", read_voltage=200)
    y = xb.mvm(np.ones(2), t="1 h")
    assert y.shape == (3,)


def test_statistical_read_times_use_the_same_check():
    from pcmphys import statistical as st

    cells = st.StatisticalPopulation(4, 0)
    cells.program([1e-5] * 4)
    a = cells.read("1 h", noise=False)
    b = cells.read(3600.0, noise=False)
    np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="bool"):
        cells.read(True)
