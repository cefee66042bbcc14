"""What ``pcmphys fit`` hands back to a user: the whole diagnostic table on failure, a fitted
TOML whose fitted values carry the ``fit`` tag, their uncertainty and ~4 significant digits,
and a figure on the protocol's own axes (frictions: "pcmphys fit prints the first line of its
error and drops the table of worst statistics"; "the fit figure has the event index as x axis
and a clipped label; the fitted TOML keeps the literature tags on fitted values and writes 17
digits")."""
import re
import warnings

import numpy as np
import pytest

import pcmphys as pcm
from pcmphys import fit as F
from pcmphys.cli import main
from pcmphys.fit import FitWarning
from pcmphys.fit.plotting import protocol_panels

TRUE = pcm.ParameterSet.load("sebastian2017_gst90nm")


@pytest.fixture(scope="module")
def drift_fit(host):
    events = F.concat_events(F.drift_events([1.0, 10.0, 100.0, 1e3]),
                             F.arrhenius_events([300.0, 340.0, 380.0], delay=1e3))
    measured = F.simulate_measurement(TRUE, events, 100, seed=11, backend=host)
    start = TRUE.replace(**{"conduction.activation_energy": 0.3})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FitWarning)
        return F.fit(measured, start, ["conduction.activation_energy"], n_devices=100, seed=5,
                     backend=host, n_global=3, max_evaluations=15, n_bootstrap=50)


def test_fitted_toml_tags_fitted_values(drift_fit):
    text = drift_fit.to_toml()
    line = next(x for x in text.splitlines() if x.startswith("activation_energy ="))
    value = re.search(r'"([-\d.e+]+) meV"', line).group(1)
    assert len(value.replace(".", "").lstrip("0")) <= 6, line  # ~4 significant digits
    assert "# [fit] (+- " in line and "fitted to" in line, line
    assert '"conduction.activation_energy" = "fit: +- ' in text
    refit = pcm.ParameterSet.from_toml(text)
    tag, ref, note = refit.source_of("conduction", "activation_energy")
    assert tag == "fit" and ref == "" and "1 sd" in note
    # the other values keep their declared tags
    assert refit.source_of("thermal", "rth_heater") == TRUE.source_of("thermal", "rth_heater")
    sigma = drift_fit.uncertainty["conduction.activation_energy"]
    fitted = drift_fit.values["conduction.activation_energy"]
    assert abs(refit.conduction.activation_energy - fitted) <= 0.05 * sigma


def test_figure_uses_the_protocol_axes_and_keeps_labels_inside(drift_fit, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    fig = drift_fit.plot(tmp_path / "fit.png")
    kinds = [k for k, _ in protocol_panels(drift_fit.measured)]
    assert kinds == ["drift", "arrhenius"]
    drift_ax, arrhenius_ax = fig.axes[:2]
    assert drift_ax.get_xscale() == "log" and "time since the pulse" in drift_ax.get_xlabel()
    assert arrhenius_ax.get_xlabel() == "1 / kT [1/eV]"
    fig.canvas.draw()
    box = fig.bbox
    for ax in fig.axes:
        for label in (ax.xaxis.label, ax.yaxis.label, ax.title):
            extent = label.get_window_extent()
            assert box.x0 - 1 <= extent.x0 and extent.x1 <= box.x1 + 1, label.get_text()
            assert box.y0 - 1 <= extent.y0 and extent.y1 <= box.y1 + 1, label.get_text()
    assert (tmp_path / "fit.png").stat().st_size > 10_000


def test_accumulation_panel_is_against_pulse_number(host):
    measured = F.simulate_measurement(TRUE, F.accumulation_events(n_pulses=6), 20, seed=1,
                                      backend=host)
    (kind, groups), = protocol_panels(measured)
    assert kind == "accumulation"
    np.testing.assert_array_equal(np.cumsum(measured["n_pulses"].values)[groups[0]][:3],
                                  [1, 2, 3])


def test_cli_prints_the_whole_diagnostic_table(host, tmp_path, capsys):
    steep = TRUE.replace(**{"relaxation.activation_coupling": 0.3})
    measured = F.simulate_measurement(steep, F.drift_events([1.0, 10.0, 100.0, 1e3, 1e4]),
                                      100, seed=11, backend=host)
    measured.to_zarr(tmp_path / "m.zarr", consolidated=False)
    status = main(["fit", str(tmp_path / "m.zarr"), "--params", "sebastian2017_gst90nm",
                   "--free", "conduction.activation_energy", "--devices", "100", "--backend",
                   host, "--out", str(tmp_path / "f.toml"), "--max-evaluations", "15"])
    err = capsys.readouterr().err
    assert status == 2
    lines = err.splitlines()
    assert lines[0].startswith("pcmphys fit: fit failed: best cost")
    header = next(i for i, x in enumerate(lines) if re.match(r"\s*name\s+kind\s+measured", x))
    assert len([x for x in lines[header + 1:] if "@event" in x or "nu" in x]) >= 5, err
    assert "Try other free parameters" in err
    assert lines[-1] == "pcmphys fit: failed (diagnostics above)"


def test_cli_reads_a_lab_table(host, tmp_path):
    measured = F.simulate_measurement(TRUE, F.drift_events([1.0, 10.0, 100.0]), 40, seed=11,
                                      backend=host)
    g = measured["conductance"].values
    t = measured["time_since_pulse"].values
    rows = ["device_id,read_time_s,R (kOhm)"]
    rows += [f"{d},{float(t[e])!r},{float(1e-3 / g[d, e])!r}" for d in range(g.shape[0])
             for e in range(g.shape[1])]
    (tmp_path / "lab.csv").write_text("\n".join(rows) + "\n")
    out = tmp_path / "f.toml"
    status = main(["fit", str(tmp_path / "lab.csv"), "--event", "pulse_amplitude=440 uA",
                   "--event", "pulse_width=1 us", "--params", "sebastian2017_gst90nm",
                   "--free", "conduction.activation_energy", "--devices", "40", "--backend",
                   host, "--out", str(out), "--max-evaluations", "6", "--global", "none",
                   "--max-cost", "100", "--max-z", "100"])
    assert status == 0 and out.is_file()
