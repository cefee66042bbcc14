"""pcm.read_measurements: lab layouts (long, wide per pulse number, wide per device), units in
headers (``[kOhm]``, ``(kΩ)``, ``[C]`` = degC, ``_s`` suffixes), comment lines, column and unit
mapping, magnitude checks (frictions: ``device_id, read_time_s, resistance_ohm`` was rejected,
``[C]`` was not degC, kΩ values without a unit were read as Ω)."""
import numpy as np
import pytest

import pcmphys as pcm
from pcmphys.fit import MeasuredDataError, read_measured

DATA = "data/measured/synthetic_drift_arrhenius.csv"


@pytest.fixture(scope="module")
def ref():
    """The drift part of the shipped synthetic data: one RESET, reads at 1 s .. 1e4 s, 300 K."""
    return read_measured(DATA).isel(event=slice(0, 5))


def _lab_long(ref, path, header, scale, comment=True, sep=","):
    g = ref["conductance"].values
    t = ref["time_since_pulse"].values
    lines = ["# lab export 2026-11-30", "# operator: someone"] if comment else []
    lines.append(sep.join(header))
    for d in range(g.shape[0]):
        for e in range(g.shape[1]):
            lines.append(sep.join([f"cell{d:02d}", repr(float(t[e])),
                                   repr(float(scale / g[d, e])), "26.85"]))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


RESET = {"pulse_amplitude": "440 uA", "pulse_width": "1 us"}


def _same(ds, ref):
    np.testing.assert_allclose(ds["conductance"].values, ref["conductance"].values, rtol=1e-12)
    for name in ("n_pulses", "time_since_pulse", "pulse_amplitude", "pulse_width"):
        np.testing.assert_allclose(ds[name].values, ref[name].values, rtol=1e-12)
    np.testing.assert_allclose(ds["read_temperature"].values, 300.0, rtol=1e-12)


def test_the_schema_file_reads_the_same(ref):
    ds = pcm.read_measurements(DATA)
    full = read_measured(DATA)
    np.testing.assert_array_equal(ds["conductance"].values, full["conductance"].values)
    for name in full.coords:
        np.testing.assert_array_equal(ds[name].values, full[name].values)


def test_long_table_with_mapped_columns_and_unit_suffixes(ref, tmp_path):
    path = _lab_long(ref, tmp_path / "lab.csv",
                     ["device_id", "read_time_s", "resistance_ohm", "T [C]"], 1.0)
    ds = pcm.read_measurements(path, columns={"read_temperature": "T"}, events=RESET)
    _same(ds, ref)
    # the same with every column named explicitly
    ds = pcm.read_measurements(path, columns={"device": "device_id",
                                              "time_since_pulse": "read_time_s",
                                              "resistance": "resistance_ohm",
                                              "read_temperature": "T"}, events=RESET)
    _same(ds, ref)


@pytest.mark.parametrize("header", [["cell", "t (s)", "R (kΩ)", "T [C]"],
                                    ["device", "time [s]", "resistance [kOhm]", "T (°C)"],
                                    ["dev", "time / s", "R / kohm", "T / degC"]])
def test_units_in_the_header(ref, tmp_path, header):
    path = _lab_long(ref, tmp_path / "lab.tsv", header, 1e-3, sep="\t")
    ds = pcm.read_measurements(path, columns={"read_temperature": header[3].split()[0]},
                               events=RESET)
    _same(ds, ref)


def test_kohm_without_a_unit_is_caught(ref, tmp_path):
    path = _lab_long(ref, tmp_path / "lab.csv", ["device", "time [s]", "R", "T [C]"], 1e-3)
    with pytest.raises(MeasuredDataError) as info:
        pcm.read_measurements(path, columns={"read_temperature": "T"}, events=RESET)
    message = str(info.value)
    for needle in ("after RESET", "amorphous", "looks like kOhm", "units={'resistance': 'kOhm'}"):
        assert needle in message, message
    ds = pcm.read_measurements(path, columns={"read_temperature": "T"}, events=RESET,
                               units={"resistance": "kOhm"})
    _same(ds, ref)


def test_celsius_without_a_unit_is_caught(ref, tmp_path):
    path = _lab_long(ref, tmp_path / "lab.csv", ["device", "time [s]", "R [Ohm]", "T"], 1.0)
    with pytest.raises(MeasuredDataError, match=r"read_temperature.*degC"):
        pcm.read_measurements(path, columns={"read_temperature": "T"}, events=RESET)


def test_wide_table_per_pulse_number(tmp_path):
    g = np.array([[1.0, 2.0, 3.5], [1.2, 2.5, 4.0], [1.1, 2.2, 3.9], [0.9, 2.0, 3.0]])  # uS
    lines = ["# accumulation, 100 uA 50 ns SET pulses", "pulse,dev1 [uS],dev2 [uS],dev3 [uS]"]
    lines += [f"{p},{','.join(str(v) for v in row)}" for p, row in zip((1, 2, 4, 5), g)]
    path = tmp_path / "acc.csv"
    path.write_text("\n".join(lines) + "\n")
    ds = pcm.read_measurements(path, events={"pulse_amplitude": "100 uA", "pulse_width": "50 ns",
                                             "time_since_pulse": "38.6 s"})
    assert ds.attrs["layout"] == "wide"
    np.testing.assert_array_equal(ds["n_pulses"].values, [1, 1, 2, 1])
    np.testing.assert_allclose(ds["conductance"].values, g.T * 1e-6, rtol=1e-12)
    np.testing.assert_allclose(ds["time_since_pulse"].values, 38.6, rtol=1e-15)
    # the same data written one row per device
    lines = ["device,1,2,4,5"] + [f"dev{d + 1},{','.join(str(v) for v in g[:, d])}"
                                  for d in range(3)]
    path.write_text("\n".join(lines) + "\n")
    wide = pcm.read_measurements(path, layout="wide-devices", units={"conductance": "uS"},
                                 events={"pulse_amplitude": "100 uA", "pulse_width": "50 ns",
                                         "time_since_pulse": "38.6 s"})
    np.testing.assert_allclose(wide["conductance"].values, ds["conductance"].values,
                               rtol=1e-12)


def test_bad_cells_and_columns_are_named(ref, tmp_path):
    path = _lab_long(ref, tmp_path / "lab.csv", ["device", "time [s]", "R [Ohm]", "T [C]"], 1.0)
    text = path.read_text().replace("26.85", "warm", 1)
    path.write_text(text)
    with pytest.raises(MeasuredDataError, match=r"column 'T \[C\]': 1 cells are not numbers"):
        pcm.read_measurements(path, columns={"read_temperature": "T"}, events=RESET)
    with pytest.raises(MeasuredDataError, match=r"columns=\{'device': 'chip'\}: no such column"):
        pcm.read_measurements(path, columns={"device": "chip"})
    with pytest.raises(MeasuredDataError, match="is not a unit of Ohm"):
        pcm.read_measurements(path, units={"resistance": "uA"}, events=RESET)


def test_the_result_feeds_the_fit_pipeline(ref, tmp_path):
    from pcmphys.fit.schema import to_protocol
    from pcmphys.fit.statistics import StatisticsPlan

    path = _lab_long(ref, tmp_path / "lab.csv", ["device_id", "read_time_s", "resistance_ohm",
                                                 "T [C]"], 1.0)
    ds = pcm.read_measurements(path, columns={"read_temperature": "T"}, events=RESET)
    plan = StatisticsPlan(ds)
    assert len(plan.drift) == 1 and list(plan.drift[0]) == [0, 1, 2, 3, 4]
    protocol = to_protocol(ds)
    assert sum(isinstance(s, pcm.Read) for s in protocol) == 5
