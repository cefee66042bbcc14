"""Recovery of known parameters from synthetic measurements (issue 9, validation (a)).

The "measured" cells come from the reference set at seed 11; the fit simulates other cells
(seed 5, common random numbers) from a perturbed start. Each free parameter must come back
within 3 of its reported standard uncertainties (a 99.7 % interval for a Gaussian error),
and the uncertainty must be informative (a few per cent of the value), so the check can
fail both ways. Populations are small so the default suite stays fast.
"""
import warnings

import numpy as np
import pytest

import pcmphys as pcm
from pcmphys import fit as F
from pcmphys.fit import FitError, FitWarning

TRUE = pcm.ParameterSet.load("sebastian2017_gst90nm")




def _value(params, name):
    section, field = name.split(".")
    return getattr(getattr(params, section), field)


def _check_recovery(result, max_relative_uncertainty):
    for name, value in result.values.items():
        truth = _value(TRUE, name)
        sigma = result.uncertainty[name]
        assert np.isfinite(sigma) and 0 < sigma < max_relative_uncertainty * truth, \
            f"{name}: uncertainty {sigma:.3g} is not informative"
        assert abs(value - truth) < 3 * sigma, \
            f"{name}: fitted {value:.5g} +- {sigma:.3g}, true {truth:.5g}"
        assert abs(result.start[name] - truth) > 3 * sigma, \
            f"{name}: the start {result.start[name]:.5g} was already within 3 sigma"


def test_drift_and_arrhenius_recover_activation_energy_and_coupling(host):
    events = F.concat_events(F.drift_events([1.0, 10.0, 100.0, 1e3, 1e4]),
                             F.arrhenius_events([300.0, 325.0, 350.0, 375.0], delay=1e4))
    measured = F.simulate_measurement(TRUE, events, 300, seed=11, backend=host)
    start = TRUE.replace(**{"conduction.activation_energy": 0.28,
                            "relaxation.activation_coupling": 0.10})
    result = F.fit(measured, start, ["conduction.activation_energy",
                                     "relaxation.activation_coupling"],
                   n_devices=300, seed=5, backend=host)
    assert result.cost < 2.0
    _check_recovery(result, max_relative_uncertainty=0.1)
    assert not result.warnings


def test_drift_recovers_coupling_and_its_spread(host):
    events = F.drift_events([1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1e3, 3e3, 1e4])
    measured = F.simulate_measurement(TRUE, events, 300, seed=11, backend=host)
    free = ["relaxation.activation_coupling", "variability.drift_coupling_sigma"]
    start = TRUE.replace(**{free[0]: 0.2, free[1]: 0.15})
    result = F.fit(measured, start, free, n_devices=300, seed=5, backend=host)
    _check_recovery(result, max_relative_uncertainty=0.2)


def test_accumulation_recovers_growth_velocity(host):
    measured = F.simulate_measurement(TRUE, F.accumulation_events(n_pulses=20), 200, seed=11,
                                      backend=host)
    name = "crystallization.max_growth_velocity"
    result = F.fit(measured, TRUE.replace(**{name: 0.8}), [name], n_devices=200, seed=5,
                   backend=host)
    _check_recovery(result, max_relative_uncertainty=0.15)
    refit = pcm.ParameterSet.from_toml(result.to_toml())
    # written with ~4 significant digits, finer than a twentieth of the uncertainty
    assert abs(_value(refit, name) - result.values[name]) <= 0.05 * result.uncertainty[name]
    assert refit.source_of(*name.split("."))[0] == "fit"


def test_flat_parameter_is_reported(host):
    """Current-mode pulses never use the switching delay: its cost is flat."""
    measured = F.simulate_measurement(TRUE, F.drift_events([1.0, 10.0, 100.0, 1e3]), 100,
                                      seed=11, backend=host)
    free = ["conduction.activation_energy", "threshold.delay_voltage_scale"]
    with pytest.warns(FitWarning, match="flat along .*threshold.delay_voltage_scale"):
        result = F.fit(measured, TRUE, free, n_devices=100, seed=5, backend=host,
                       n_global=4, max_evaluations=30)
    assert result.uncertainty["threshold.delay_voltage_scale"] == np.inf
    assert np.isfinite(result.uncertainty["conduction.activation_energy"])


def test_fit_that_cannot_reproduce_the_data_raises(host):
    """Data with twice the drift exponent; only E_a is free, which cannot change nu."""
    steep = TRUE.replace(**{"relaxation.activation_coupling": 0.3})
    measured = F.simulate_measurement(steep, F.drift_events([1.0, 10.0, 100.0, 1e3, 1e4]),
                                      100, seed=11, backend=host)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FitWarning)
        with pytest.raises(FitError, match=r"fit failed: .* largest \|z\| [\d.]+ \(mean nu"):
            F.fit(measured, TRUE, ["conduction.activation_energy"], n_devices=100, seed=5,
                  backend=host, n_global=3, max_evaluations=15)


def test_cli_fit_writes_a_loadable_set(host, tmp_path, capsys):
    from pcmphys.cli import main

    events = F.concat_events(F.drift_events([1.0, 10.0, 100.0]),
                             F.arrhenius_events([300.0, 340.0, 380.0], delay=100.0))
    measured = F.simulate_measurement(TRUE, events, 100, seed=11, backend=host)
    measured.to_zarr(tmp_path / "m.zarr", consolidated=False)
    out = tmp_path / "fit.toml"
    args = [str(tmp_path / "m.zarr"), "--params", "sebastian2017_gst90nm",
            "--free", "conduction.activation_energy", "--bounds",
            "conduction.activation_energy=0.25eV:0.45eV", "--devices", "100", "--seed", "5",
            "--backend", host, "--out", str(out), "--max-evaluations", "25"]
    assert main(["fit", *args]) == 0
    fitted = pcm.ParameterSet.load(out)
    assert fitted.conduction.activation_energy == pytest.approx(0.34, abs=0.02)
    assert "conduction.activation_energy" in capsys.readouterr().out
    bad = [a.replace("activation_energy", "nonsense") for a in args]
    assert main(["fit", *bad]) == 2
    assert "unknown free parameter 'conduction.nonsense'" in capsys.readouterr().err
