"""The example protocol files of data/protocols/: each loads, and each reproduces the pulse
sequence of the study it names, cell for cell where the study's sequence is a fixed protocol
(friction: "no example protocol TOML")."""
import importlib.util
import inspect
import pathlib
import sys

import numpy as np
import pytest

import pcmphys as pcm
from pcmphys import characterization as ch

ROOT = pathlib.Path(__file__).resolve().parents[2]
FOLDER = ROOT / "data" / "protocols"
FILES = sorted(FOLDER.glob("*.toml"))
PS = pcm.ParameterSet.load("sebastian2017_gst90nm")
N, SEED = 6, 3
#: the same backend on both sides of each comparison (host when it builds: faster)
BACKEND = "host" if pcm.available_backends()["host"][0] else "numpy"


def _study(name):
    folder = ROOT / "studies" / name
    sys.path.insert(0, str(folder))
    try:
        spec = importlib.util.spec_from_file_location(f"proto_{name}", folder / "run.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(folder))
    return module


def _run(name, record=("conductance",)):
    ds = pcm.simulate(PS, FOLDER / name, N, SEED, backend=BACKEND, record=record,
                      progress=False)
    return ds[record[0]].values


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_every_example_loads_and_names_its_parameter_set(path):
    protocol = pcm.PulseTrain.from_toml(path)
    assert protocol.name and protocol.parameters == "sebastian2017_gst90nm"
    assert path.read_text().startswith("# ")  # says what it is and where it comes from
    assert pcm.PulseTrain.from_toml(protocol.to_toml()) == protocol


def test_every_study_has_an_example():
    text = " ".join(p.read_text() for p in FILES)
    for run in sorted((ROOT / "studies").glob("*/run.py")):
        assert run.parent.name in text, f"no example protocol names {run.parent.name}"


def test_accumulation_file_reproduces_the_study_cell_for_cell():
    expected = ch.accumulation(PS, n_devices=N, seed=SEED, backend=BACKEND)["conductance"].T
    np.testing.assert_array_equal(_run("device_characterization_accumulation_100uA.toml"),
                                  expected)


def test_drift_file_reproduces_the_study():
    study = _study("device_characterization")
    expected = ch.drift_after_reset(PS, study.DRIFT_TIMES, n_devices=N, seed=SEED,
                                    backend=BACKEND)["resistance"].T
    np.testing.assert_array_equal(_run("device_characterization_drift.toml", ("resistance",)),
                                  expected)


def test_arrhenius_file_reproduces_the_study():
    expected = ch.arrhenius(PS, (250.0, 275.0, 300.0, 325.0, 350.0, 375.0), n_devices=N,
                            seed=SEED, backend=BACKEND)["conductance"].T
    np.testing.assert_array_equal(_run("device_characterization_arrhenius.toml"), expected)


def test_programming_curve_file_reproduces_the_study():
    currents = np.linspace(50e-6, 700e-6, 27)
    expected = ch.programming_curve(PS, currents, n_devices=N, seed=SEED,
                                    backend=BACKEND)["resistance"].T
    got = _run("device_characterization_programming_curve.toml", ("resistance",))
    np.testing.assert_allclose(got, expected, rtol=1e-15)


def test_published_accumulation_file_is_the_fit_protocol():
    from pcmphys import fit as F

    measured = F.load_published("nandakumar2018/accumulation_100uA", as_measured=True)
    protocol = pcm.PulseTrain.from_toml(FOLDER / "nandakumar2018_accumulation_100uA.toml")
    assert protocol.steps == F.to_protocol(measured).steps


def test_neuron_file_reproduces_the_integration_phase():
    study = _study("tuma2016_neurons")
    res = study.run_neurons(PS, N, 100e-6, 1e-3, 20, SEED, BACKEND)  # 1 mS: nobody fires
    assert not res["spikes"].any()
    np.testing.assert_array_equal(_run("tuma2016_neuron_integration.toml"),
                                  res["conductance"].T)
    protocol = pcm.PulseTrain.from_toml(FOLDER / "tuma2016_neuron_integration.toml")
    assert protocol.steps[0] == study.RESET
    assert protocol.steps[1].width == study.SET_WIDTH


def test_correlation_crossbar_and_stp_files_use_the_studies_pulses():
    from pcmphys.computing.correlation import PUBLISHED
    from pcmphys.computing.crossbar import Crossbar

    cell = pcm.PulseTrain.from_toml(FOLDER / "sebastian2017_correlation_cell.toml")
    assert cell.steps[0] == pcm.Pulse.reset(PUBLISHED["reset_current"], PUBLISHED["reset_width"])
    assert cell.steps[1] == pcm.Pulse.set(PUBLISHED["maximum"], PUBLISHED["set_width"])
    defaults = inspect.signature(Crossbar.program).parameters
    xbar = pcm.PulseTrain.from_toml(FOLDER / "crossbar_program_verify.toml")
    assert xbar.steps[1] == pcm.Pulse.set(defaults["set_current"].default)
    assert xbar.steps[-1].at == defaults["verify_time"].default
    stp = _study("sarwat2022_stp")
    programming = pcm.PulseTrain.from_toml(FOLDER / "sarwat2022_stp_programming.toml")
    assert programming.steps[0] == stp.RESET and programming.steps[2] == stp.SET
    assert len(_run("sarwat2022_stp_programming.toml")[0]) == 2
