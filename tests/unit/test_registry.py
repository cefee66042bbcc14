"""Parameter-set registry (entry points, run-time registration, ``base =`` files, per-value
provenance), ``pcmphys params list/show`` and ``pcmphys cite`` (frictions: "only one parameter
set and no way to register another"; "citations stored in every store but nothing prints
them")."""
import re
import sys
import textwrap

import pytest

import pcmphys as pcm
from pcmphys.cli import main
from pcmphys.parameters import ParameterError, ParameterSet, available_sets, registry

LAB_SET = textwrap.dedent("""
    name = "lab_cell"
    base = "sebastian2017_gst90nm"
    description = "a lab's cell: hotter heater"
    [thermal]
    rth_heater = "8 K/uW"
    [provenance]
    "thermal.rth_heater" = "E: our own 2026 measurement"
""")


@pytest.fixture
def lab_package(tmp_path, monkeypatch):
    """An installed 'lab package' declaring a set through the entry-point group."""
    pkg = tmp_path / "mylab_sets"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("import pathlib\n"
                                     "CELL = pathlib.Path(__file__).with_name('cell.toml')\n")
    (pkg / "cell.toml").write_text(LAB_SET.replace('"lab_cell"', '"mylab_cell"'))
    dist = tmp_path / "mylab_sets-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: mylab-sets\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        f"[{registry.ENTRY_POINT_GROUP}]\nmylab_cell = mylab_sets:CELL\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    registry._refresh()
    yield "mylab_cell"
    sys.modules.pop("mylab_sets", None)
    monkeypatch.undo()
    registry._refresh()


def test_an_installed_package_adds_a_set_by_name(lab_package, capsys):
    assert lab_package in available_sets()
    ps = ParameterSet.load(lab_package)
    base = ParameterSet.load("sebastian2017_gst90nm")
    assert ps.thermal.rth_heater == 8e6
    assert ps.replace(thermal={"rth_heater": base.thermal.rth_heater},
                      name=base.name, description=base.description) == base
    assert ps.source_of("thermal", "rth_heater") == ("E", "", "our own 2026 measurement")
    assert main(["params", "list"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"mylab_cell +\[entry point mylab_sets:CELL \(mylab-sets\)\]  a lab's", out)


def test_register_at_run_time_and_refuse_shadowing(tmp_path):
    path = tmp_path / "lab.toml"
    path.write_text(LAB_SET)
    registry.register_parameter_set("lab_cell_test", path, overwrite=True)
    assert ParameterSet.load("lab_cell_test").thermal.rth_heater == 8e6
    pcm.register_parameter_set("lab_cell_text", LAB_SET, overwrite=True)
    assert "lab_cell_text" in available_sets()
    with pytest.raises(ParameterError, match="already exists"):
        registry.register_parameter_set("sebastian2017_gst90nm", path)
    with pytest.raises(ParameterError, match="already registered"):
        registry.register_parameter_set("lab_cell_text", LAB_SET)


def test_provenance_is_kept_in_toml_and_in_the_references():
    ps = ParameterSet.from_toml(LAB_SET.replace('"E: our own 2026 measurement"',
                                                '"V orava2012: Table 1"'))
    assert ps.source_of("thermal", "rth_heater") == ("V", "orava2012", "Table 1")
    text = ps.to_toml()
    assert 'rth_heater = "8 K/uW"  # [V] orava2012 (Table 1)' in text
    again = ParameterSet.from_toml(text)
    assert again == ps and again.provenance == ps.provenance
    with pytest.raises(ParameterError, match="must start with a tag"):
        ParameterSet.from_toml(LAB_SET.replace('"E: our own', '"X: our own'))
    with pytest.raises(ParameterError, match="not a parameter"):
        ParameterSet.from_toml(LAB_SET + '"thermal.nope" = "E: x"\n')


def test_params_show_and_every_shipped_set_loads(capsys):
    shipped = [n for n, origin in registry.registered_sets().items() if origin == "shipped"]
    assert len(shipped) >= 2
    for name in shipped:
        assert main(["params", "show", name]) == 0
        assert f"ParameterSet {name!r}" in capsys.readouterr().out
    assert main(["params", "show", "no_such_set"]) == 2
    assert "unknown parameter set 'no_such_set'" in capsys.readouterr().err


def test_cite_prints_the_references_of_a_store(tmp_path, capsys):
    store = tmp_path / "run.zarr"
    pcm.simulate("sebastian2017_gst90nm", [pcm.Pulse.reset(), pcm.Read(at=1.0)], 2, 0,
                 backend="numpy", store=store, progress=False)
    assert main(["cite", str(store)]) == 0
    out = capsys.readouterr().out
    refs = ParameterSet.load("sebastian2017_gst90nm").references()
    assert f": {len(refs)}\n" in out.splitlines()[0] + "\n"
    for key in refs:
        assert f"[{key}]" in out
    assert "Sebastian et al., Temporal correlation detection" in out
    assert main(["cite", str(store), "--format", "bibtex"]) == 0
    assert "@article{sebastian2017correlation," in capsys.readouterr().out
    ds = pcm.open_results(store)
    pcm.print_citations(ds)
    assert "[joshi2020]" in capsys.readouterr().out
    assert ds.pcm.citations("bibtex").count("@") == len(refs)
    assert main(["cite", str(tmp_path / "missing.zarr")]) == 2


def test_simulate_without_params_still_uses_the_reference_set(tmp_path):
    """With two shipped sets, a protocol that names none runs on sebastian2017_gst90nm."""
    protocol = tmp_path / "p.toml"
    protocol.write_text('[[step]]\ntype = "reset"\n[[step]]\ntype = "read"\nat = "1 s"\n')
    store = tmp_path / "run.zarr"
    assert main(["simulate", str(protocol), "-n", "4", "-s", "0", "-o", str(store),
                 "--backend", "numpy", "--no-progress"]) == 0
    assert pcm.open_results(store).attrs["parameter_set_name"] == "sebastian2017_gst90nm"
