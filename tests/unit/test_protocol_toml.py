"""Protocols as TOML (data, no code): exact round trips, unit strings, per-cell scales, and
error messages that name the step, field, unit and allowed range."""
import numpy as np
import pytest

import pcmphys as pcm
from pcmphys.protocol import Protocol, ProtocolError, scale_arrays, scaled_groups


def _mixed():
    return pcm.PulseTrain(
        [pcm.Pulse.reset(temperature=310.0)]
        + [pcm.Pulse.set(current=97.5e-6, width=50e-9)] * 20
        + [pcm.Wait(3600.0, temperature=358.15)]
        + [pcm.Read(at=t) for t in (1.0, 10.0, 123.456789)]
        + [pcm.Read(), pcm.Pulse.voltage_pulse(1.5, 100e-9, fall_time=3e-7)]
        + [pcm.Read(at=1e-3, voltage=0.1, temperature=350.0)])


def test_round_trip_is_exact():
    train = _mixed()
    text = train.to_toml()
    back = pcm.PulseTrain.from_toml(text)
    assert isinstance(back, pcm.PulseTrain)
    assert back == train and train == back
    assert back.steps == train.steps
    assert "repeat = 20" in text and 'current = "440 uA"' in text
    assert pcm.PulseTrain.from_toml(back.to_toml()).to_toml() == text


def test_unit_strings_and_numbers_are_si():
    text = """
    name = "units"
    parameters = "sebastian2017_gst90nm"
    [[step]]
    type = "pulse"
    current = "440 uA"
    width = "1 us"
    rise_time = 2e-9
    fall_time = "10 ns"
    temperature = "85 degC"
    [[step]]
    type = "wait"
    duration = "1 h"
    [[step]]
    type = "read"
    at = ["1 s", "1 min", 3600]
    voltage = "200 mV"
    """
    p = pcm.PulseTrain.from_toml(text)
    pulse = p.steps[0]
    assert (pulse.mode, pulse.amplitude, pulse.width) == ("current", 440e-6, 1e-6)
    assert (pulse.rise_time, pulse.fall_time, pulse.temperature) == (2e-9, 1e-8, 358.15)
    assert p.steps[1] == pcm.Wait(3600.0)
    assert [r.at for r in p.steps[2:]] == [1.0, 60.0, 3600.0]
    assert all(r.voltage == 0.2 for r in p.steps[2:])
    assert p.name == "units" and p.parameters == "sebastian2017_gst90nm"


def test_reset_set_shorthands_and_repeat():
    p = pcm.PulseTrain.from_toml("""
    [[step]]
    type = "reset"
    [[step]]
    type = "set"
    current = "90 uA"
    repeat = 3
    [[step]]
    type = "read"
    """)
    assert p.steps[0] == pcm.Pulse.reset()
    assert p.steps[1:4] == (pcm.Pulse.set(current=90e-6),) * 3
    assert p.steps[4] == pcm.Read()


def test_scale_arrays_inline_file_and_refs(tmp_path):
    big = np.linspace(0.5, 1.5, 100)
    small = np.array([1.0, 0.5, 0.0])
    p = Protocol([pcm.Pulse.reset(), pcm.Pulse.set(), pcm.Pulse.set(), pcm.Read(at=1.0)],
                 scales={0: small, 1: big, 2: big}, name="scaled", description="two arrays")
    assert [g[1] for g in scaled_groups(p)] == [1, 2, 1]
    assert list(scale_arrays(p)) == ["scale_step0", "scale_step1"]
    # inline
    assert pcm.PulseTrain.from_toml(p.to_toml()) == p
    # sidecar .npy files next to the TOML file
    path = p.save(tmp_path / "prot.toml")
    assert (tmp_path / "prot.scale_step1.npy").is_file()
    assert "file = " in path.read_text()
    back = pcm.PulseTrain.from_toml(path)
    assert back == p and back.description == "two arrays"
    np.testing.assert_array_equal(back.scales[2], big)
    # references resolved from given arrays
    text = p.to_toml(arrays="refs")
    assert 'ref = "scale_step1"' in text
    assert pcm.PulseTrain.from_toml(text, arrays=scale_arrays(p)) == p
    with pytest.raises(ProtocolError, match="scale_step0"):
        pcm.PulseTrain.from_toml(text)


def test_protocol_equality_and_concatenation():
    a = Protocol([pcm.Pulse.set(), pcm.Read()], scales={0: [1.0, 2.0]})
    b = Protocol([pcm.Pulse.reset()], scales={0: [0.5, 0.5]})
    c = a + b
    assert set(c.scales) == {0, 2}
    np.testing.assert_array_equal(c.scales[2], [0.5, 0.5])
    assert a != Protocol([pcm.Pulse.set(), pcm.Read()], scales={0: [1.0, 3.0]})
    assert Protocol([pcm.Read()]) == pcm.PulseTrain([pcm.Read()])
    assert not c.scales[0].flags.writeable
    with pytest.raises(ProtocolError, match="step 1, which is not a Pulse"):
        Protocol([pcm.Pulse.set(), pcm.Read()], scales={1: [1.0]})
    with pytest.raises(ProtocolError, match=r"finite and >= 0"):
        Protocol([pcm.Pulse.set()], scales={0: [1.0, -1.0]})


_PULSE = '[[step]]\ntype = "pulse"\ncurrent = "100 uA"\nwidth = "50 ns"\n'


@pytest.mark.parametrize("text, needles", [
    ("[[step]\ntype = 'read'", ["not valid TOML", "line"]),
    ('stepp = 1\n' + _PULSE, ["unknown key 'stepp'", "did you mean 'step'"]),
    (_PULSE + 'widht = "1 ns"\n', ["step 0 (pulse)", "unknown key 'widht'",
                                   "did you mean 'width'"]),
    (_PULSE.replace('"50 ns"', '"-5 ns"'), ["step 0 (pulse)", "width", "s",
                                              "outside the allowed range", "[0, 0.001]"]),
    (_PULSE.replace('"100 uA"', '"100 uV"'), ["step 0 (pulse).current", "unit 'uV'", "A"]),
    (_PULSE.replace('"100 uA"', '"1 A"'), ["step 0 (pulse)", "current", "A",
                                            "[0, 0.01]"]),
    ('[[step]]\ntype = "wait"\n', ["step 0 (wait)", "duration", "[s]"]),
    ('[[step]]\ntype = "read"\n[[step]]\ntype = "wait"\nduration = "1 h"\n'
     'temperature = "0.5 K"\n', ["step 1 (wait)", "temperature", "K", "[200, 800]"]),
    ('[[step]]\ntype = "jump"\n', ["step 0", "'type' must be one of", "pulse, wait, read"]),
    ('[[step]]\ntype = "pulse"\nwidth = "1 ns"\n', ["step 0 (pulse)", "mode"]),
    ('[[step]]\ntype = "pulse"\ncurrent = "1 uA"\nvoltage = "1 V"\nwidth = "1 ns"\n',
     ["step 0 (pulse)", "current", "voltage"]),
    ('[[step]]\ntype = "pulse"\ncurrent = "1 uA"\n', ["step 0 (pulse)", "'width' [s]"]),
    (_PULSE + "repeat = 0\n", ["step 0 (pulse).repeat", "[1, 10000000]"]),
    (_PULSE + "scale = [1.0, -2.0]\n", ["step 0 (pulse).scale", "finite and >= 0"]),
    (_PULSE + 'scale = {file = "nope.npy"}\n', ["step 0 (pulse).scale", "nope.npy"]),
    (_PULSE + 'scale = "x"\n', ["step 0 (pulse).scale must be a list"]),
    ('[[step]]\ntype = "read"\nat = "1 parsec"\n', ["step 0 (read).at", "parsec"]),
    ('[[step]]\ntype = "read"\nat = true\n', ["step 0 (read).at", "must be a number in s"]),
    ('name = "x"\n', ["no steps", "[[step]]"]),
    ('name = 3\n' + _PULSE, ["name must be a string"]),
])
def test_bad_protocols_name_step_field_unit_range(text, needles):
    with pytest.raises(ProtocolError) as info:
        pcm.PulseTrain.from_toml(text)
    message = str(info.value)
    for needle in needles:
        assert needle in message, (needle, message)


def test_bad_file_paths(tmp_path):
    with pytest.raises(ProtocolError, match="not found"):
        pcm.PulseTrain.from_toml(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text('[[step]]\ntype = "read"\nvoltage = "-1 V"\n')
    with pytest.raises(ProtocolError, match=r"bad\.toml: step 0 \(read\)"):
        pcm.PulseTrain.from_toml(str(bad))
