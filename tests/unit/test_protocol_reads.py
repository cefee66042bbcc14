"""Read times relative to the protocol start or a labelled step, and errors that number the
steps as the user wrote them (frictions: read times counted only from the last pulse; a 6-step
file reported "step 19")."""
import numpy as np
import pytest

import pcmphys as pcm
from pcmphys.protocol import Protocol, ProtocolError

RELATIVE = """
name = "relative reads"
[[step]]
type = "reset"
label = "programmed"
[[step]]
type = "set"
repeat = 3
[[step]]
type = "read"
at = ["1 s", "10 s"]
since = "programmed"
[[step]]
type = "read"
at = "100 s"
since = "start"
[[step]]
type = "read"
at = "200 s"
"""


@pytest.fixture(scope="module")
def ps():
    return pcm.ParameterSet.load("sebastian2017_gst90nm")


def test_reads_relative_to_a_label_and_to_the_start(ps):
    protocol = pcm.PulseTrain.from_toml(RELATIVE)
    assert protocol.labels == {"programmed": 0}
    assert protocol.origins == (0, 1, 1, 1, 2, 2, 3, 4)
    ds = pcm.simulate(ps, protocol, 4, 1, backend="numpy", progress=False)
    reset_end = pcm.Pulse.reset().duration
    last_set_end = reset_end + 3 * pcm.Pulse.set().duration
    np.testing.assert_allclose(ds["time"].values,
                               [reset_end + 1.0, reset_end + 10.0, 100.0, last_set_end + 200.0],
                               rtol=1e-12)
    # the default (since the last pulse) is unchanged: time_since_pulse of the last read
    assert ds["time_since_pulse"].values[-1] == pytest.approx(200.0, rel=1e-12)
    # Population.run follows the same rules
    pop = pcm.Population(ps, 4, 1, "numpy")
    reads = pop.run(protocol)
    np.testing.assert_array_equal(reads[-1], ds["conductance"].values[:, -1])
    assert pop.clock == pytest.approx(last_set_end + 200.0, rel=1e-12)


def test_labels_and_since_round_trip_through_toml():
    protocol = pcm.PulseTrain.from_toml(RELATIVE)
    again = pcm.PulseTrain.from_toml(protocol.to_toml())
    assert again == protocol and again.labels == protocol.labels
    python = Protocol([pcm.Pulse.reset(), pcm.Wait(5.0), pcm.Read(at=1.0, since="bake")],
                      labels={"bake": 1})
    assert pcm.PulseTrain.from_toml(python.to_toml()) == python


def test_unknown_or_later_labels_are_refused():
    with pytest.raises(ProtocolError, match="'nope' is not a step label"):
        pcm.PulseTrain([pcm.Pulse.reset(), pcm.Read(at=1.0, since="nope")])
    with pytest.raises(ProtocolError, match="not before the read"):
        Protocol([pcm.Read(at=1.0, since="x"), pcm.Pulse.reset()], labels={"x": 1})
    with pytest.raises(ProtocolError, match=r"step 3 .*\(read\).*'later'"):
        pcm.PulseTrain.from_toml(RELATIVE.replace('since = "start"', 'since = "later"'))


def test_errors_number_the_steps_as_written(ps):
    text = """
[[step]]
type = "reset"
[[step]]
type = "set"
repeat = 15
[[step]]
type = "wait"
duration = "10 s"
[[step]]
type = "read"
at = ["1 s", "2 s"]
[[step]]
type = "read"
at = "5 s"
[[step]]
type = "read"
at = "1 s"
"""
    protocol = pcm.PulseTrain.from_toml(text)
    assert len(protocol.steps) == 21 and len(protocol.origins) == 21
    with pytest.raises(ProtocolError) as info:
        pcm.simulate(ps, protocol, 2, 0, backend="numpy", progress=False)
    message = str(info.value)
    assert "protocol step 3 (expanded step 17)" in message, message
    with pytest.raises(ProtocolError, match=r"step 3 \(expanded step 17\)"):
        pcm.Population(ps, 2, 0, "numpy").run(protocol)
    # a protocol built in Python keeps its own numbering
    with pytest.raises(ProtocolError, match=r"protocol step 2: Read"):
        pcm.simulate(ps, [pcm.Pulse.reset(), pcm.Wait(10.0), pcm.Read(at=1.0)], 2, 0,
                     backend="numpy", progress=False)
