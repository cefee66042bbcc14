"""Measured-data schema and readers: conversions and the errors for bad input (issue 9)."""
import numpy as np
import pandas as pd
import pytest
import xarray as xr

import pcmphys as pcm
from pcmphys import fit as F
from pcmphys.fit import MeasuredDataError


def _table(n_devices=4, g_values=None):
    """Long table: RESET then reads at 1, 10, 100 s; conductance in uS (declared)."""
    rows = []
    times = [1.0, 10.0, 100.0]
    for d in range(n_devices):
        for e, t in enumerate(times):
            g = 1.0 / (1 + d) * t ** -0.1 if g_values is None else g_values[d][e]
            rows.append({"device": d, "event": e, "conductance [uS]": g,
                         "n_pulses": 1 if e == 0 else 0, "pulse_amplitude [uA]": 440.0,
                         "pulse_width [ns]": 1000.0, "time_since_pulse": t,
                         "read_temperature [degC]": 26.85})
    return pd.DataFrame(rows)


def test_csv_units_in_headers_are_converted(tmp_path):
    path = tmp_path / "m.csv"
    _table().to_csv(path, index=False)
    ds = F.read_measured(path)
    assert ds.sizes == {"device": 4, "event": 3}
    np.testing.assert_allclose(ds.conductance.values[1, 0], 0.5e-6, rtol=1e-12)
    np.testing.assert_allclose(ds.pulse_amplitude.values, 440e-6, rtol=1e-12)
    np.testing.assert_allclose(ds.pulse_width.values, 1e-6, rtol=1e-12)
    np.testing.assert_allclose(ds.read_temperature.values, 300.0, rtol=1e-12)
    assert ds.conductance.attrs["units"] == "S"
    protocol = F.to_protocol(ds)
    assert [type(s).__name__ for s in protocol] == ["Pulse", "Wait", "Read", "Wait", "Read",
                                                    "Wait", "Read"]
    assert protocol.steps[3].duration == pytest.approx(9.0)


def test_resistance_is_converted_to_conductance():
    ds = xr.Dataset({"resistance": (("device", "event"), [[1e6, 2e6], [4e6, 5e6]],
                                    {"units": "Ohm"})},
                    coords={"n_pulses": ("event", [1, 0]), "time_since_pulse": ("event", [1., 2.]),
                            "pulse_amplitude": ("event", [440e-6, np.nan]),
                            "pulse_width": ("event", [1e-6, np.nan])})
    out = F.validate_measured(ds)
    np.testing.assert_allclose(out.conductance.values, [[1e-6, 5e-7], [2.5e-7, 2e-7]])


def test_missing_quantity_column(tmp_path):
    path = tmp_path / "m.csv"
    _table().drop(columns=["conductance [uS]"]).to_csv(path, index=False)
    with pytest.raises(MeasuredDataError, match="'conductance'.*'resistance'"):
        F.read_measured(path)


def test_missing_protocol_column():
    with pytest.raises(MeasuredDataError, match="missing event coordinate 'time_since_pulse'"):
        F.from_table(_table().drop(columns=["time_since_pulse"]))


def test_conductance_in_microsiemens_declared_as_siemens():
    table = _table().rename(columns={"conductance [uS]": "conductance"})
    with pytest.raises(MeasuredDataError, match=r"conductance: median .* S is implausible.*uS"):
        F.from_table(table)


def test_resistance_in_kiloohm_declared_as_ohm():
    table = _table().rename(columns={"conductance [uS]": "resistance"})
    table["resistance"] = 50.0 / table["resistance"]  # 50-250 kOhm written in kOhm
    with pytest.raises(MeasuredDataError, match=r"resistance: median .* Ohm .*kOhm"):
        F.from_table(table)


def test_pulse_width_in_ns_without_unit():
    table = _table().rename(columns={"pulse_width [ns]": "pulse_width"})
    with pytest.raises(MeasuredDataError, match=r"pulse_width must be in \[0, 0.001\] s.*ns"):
        F.from_table(table)


def test_current_in_microampere_without_unit():
    table = _table().rename(columns={"pulse_amplitude [uA]": "pulse_amplitude"})
    with pytest.raises(MeasuredDataError, match=r"pulse_amplitude .* A; got 440.*uA"):
        F.from_table(table)


def test_temperature_in_celsius_without_unit():
    table = _table().rename(columns={"read_temperature [degC]": "read_temperature"})
    with pytest.raises(MeasuredDataError, match=r"read_temperature must be in .* K.*degC"):
        F.from_table(table)


def test_nan_readings_raise_or_drop_devices():
    g = [[1.0, 0.9, 0.8], [1.0, np.nan, 0.8], [0.5, 0.4, 0.3], [0.6, 0.5, 0.4]]
    with pytest.raises(MeasuredDataError, match=r"1 NaN/inf readings in 1 devices \(device "
                                                r"positions \[1\], event positions \[1\]\)"):
        F.from_table(_table(g_values=g))
    ds = F.from_table(_table(g_values=g), nan="drop-devices")
    assert ds.device.values.tolist() == [0, 2, 3]


def test_non_positive_conductance():
    g = [[1.0, 0.9, 0.8], [1.0, 0.0, 0.8], [0.5, 0.4, 0.3], [0.6, 0.5, 0.4]]
    with pytest.raises(MeasuredDataError, match="must be > 0 S"):
        F.from_table(_table(g_values=g))


def test_unsorted_times():
    table = _table()
    table.loc[table["event"] == 2, "time_since_pulse"] = 5.0
    with pytest.raises(MeasuredDataError, match=r"time_since_pulse decreases at event 2 "
                                                r"\(5 s after 10 s\)"):
        F.from_table(table)


def test_protocol_column_differing_between_devices():
    table = _table()
    table.loc[(table["device"] == 2) & (table["event"] == 1), "time_since_pulse"] = 11.0
    with pytest.raises(MeasuredDataError, match=r"'time_since_pulse' must be the same .* "
                                                r"events \[1\]"):
        F.from_table(table)


def test_first_event_needs_a_pulse():
    table = _table()
    table.loc[table["event"] == 0, "n_pulses"] = 0
    with pytest.raises(MeasuredDataError, match="first event must follow at least one pulse"):
        F.from_table(table)


def test_pickle_is_refused(tmp_path):
    path = tmp_path / "m.pkl"
    path.write_bytes(b"\x80\x04K\x01.")
    with pytest.raises(MeasuredDataError, match="pickles are never loaded"):
        F.read_measured(path)


def test_summary_form_needs_uncertainty():
    ds = F.events_dataset(F.accumulation_events(n_pulses=2))
    ds["conductance_mean"] = ("event", [1e-7, 1e-6, 2e-6])
    ds["conductance_std"] = ("event", [1e-8, 5e-7, 8e-7])
    with pytest.raises(MeasuredDataError, match="relative_uncertainty"):
        F.validate_measured(ds)
    ds.attrs["relative_uncertainty"] = 0.1
    out = F.validate_measured(ds)
    np.testing.assert_allclose(out.conductance_mean_uncertainty.values, [1e-8, 1e-7, 2e-7])




def test_zarr_and_netcdf_round_trip(tmp_path, host):
    params = pcm.ParameterSet.load("sebastian2017_gst90nm")
    ds = F.simulate_measurement(params, F.drift_events([1.0, 10.0, 100.0]), 16, 3, "host")
    ds.to_zarr(tmp_path / "m.zarr", consolidated=False)
    ds.to_netcdf(tmp_path / "m.nc")
    for name in ("m.zarr", "m.nc"):
        back = F.read_measured(tmp_path / name)
        np.testing.assert_array_equal(back.conductance.values, ds.conductance.values)
        np.testing.assert_array_equal(back.time_since_pulse.values, [1.0, 10.0, 100.0])
        assert list(back.pulse_mode.values) == ["current"] * 3


def test_bad_free_parameter_and_bounds(host):
    params = pcm.ParameterSet.load("sebastian2017_gst90nm")
    ds = F.simulate_measurement(params, F.drift_events([1.0, 10.0, 100.0]), 16, 3, "host")
    with pytest.raises(pcm.ParameterError, match="did you mean conduction.activation_energy"):
        F.fit(ds, params, ["conduction.activation_enrgy"])
    with pytest.raises(pcm.ParameterError, match=r"conduction.activation_energy \(0.1, 3\) eV "
                                                 r"leave the allowed range \[0, 2\] eV"):
        F.fit(ds, params, ["conduction.activation_energy"],
              bounds={"conduction.activation_energy": (0.1, 3.0)})
    with pytest.raises(pcm.ParameterError, match="growth_model is a choice"):
        F.fit(ds, params, ["crystallization.growth_model"])


def test_bad_counts_are_named(host):
    params = pcm.ParameterSet.load("sebastian2017_gst90nm")
    ds = F.simulate_measurement(params, F.drift_events([1.0, 10.0, 100.0]), 16, 3, "host")
    with pytest.raises(ValueError, match=r"n_devices \(cells simulated per evaluation\) must "
                                         r"be an integer >= 2, got 1"):
        F.fit(ds, params, ["conduction.activation_energy"], n_devices=1)
    with pytest.raises(ValueError, match=r"seed .* must be an integer >= 0, got -1"):
        F.fit(ds, params, ["conduction.activation_energy"], seed=-1)


def test_table_round_trip(tmp_path, host):
    params = pcm.ParameterSet.load("sebastian2017_gst90nm")
    events = F.concat_events(F.drift_events([1.0, 10.0]), F.accumulation_events(n_pulses=2))
    ds = F.simulate_measurement(params, events, 8, 3, "host")
    path = tmp_path / "m.csv"
    F.to_table(ds).to_csv(path, index=False)
    back = F.read_measured(path)
    np.testing.assert_array_equal(back.conductance.values, ds.conductance.values)
    for name in F.EVENT_COORDS:
        np.testing.assert_array_equal(back[name].values, ds[name].values)
