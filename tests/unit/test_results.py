"""Results stores: lossless round trip, compact encoding error bound, zarr v2 export, attribute
completeness, overwrite refusal, incomplete/foreign stores, resume after SIGKILL, the ds.pcm
accessor and the ``pcmphys simulate`` / ``pcmphys plot`` commands."""
import json
import os
import pathlib
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
import xarray as xr

import pcmphys as pcm
from pcmphys.cli import main
from pcmphys.protocol import Protocol
from pcmphys.results import (
    ForeignStoreError,
    IncompleteResultsError,
    ResultsError,
    StoreExistsError,
    export_results,
    open_results,
)
from pcmphys.storage import bitround

zarr = pytest.importorskip("zarr")  # the GPU image has no zarr: skip, do not break collection

N = 600
RECORD = ("conductance", "resistance", "u_a", "fault", "temperatures")
ROOT_ATTRS = ("pcmphys_results", "complete", "seed", "backend", "n_devices", "chunk_devices",
              "parameter_set", "parameter_set_name", "citations", "references", "protocol",
              "pcmphys_version", "git_revision", "created", "recorded", "zarr_version")


@pytest.fixture(scope="module")
def params():
    return pcm.ParameterSet.load("sebastian2017_gst90nm")


def _protocol(n=N):
    amps = np.linspace(0.7, 1.0, n)
    return Protocol([pcm.Pulse.reset(), pcm.Pulse.set(100e-6, 50e-9)]
                    + [pcm.Read(at=t) for t in (1.0, 10.0, 100.0, 1000.0)],
                    scales={1: amps}, name="results test")


def _run(params, store=None, **kwargs):
    args = {"n_devices": N, "seed": 9, "backend": "numpy", "record": RECORD,
            "progress": False, "chunk_devices": 256, **kwargs}
    return pcm.simulate(params, _protocol(args["n_devices"]), store=store, **args)


@pytest.fixture(scope="module")
def memory(params):
    return _run(params)


def _same(a, b):
    assert set(a.data_vars) == set(b.data_vars)
    for name in a.data_vars:
        assert a[name].dtype == b[name].dtype, name
        np.testing.assert_array_equal(np.asarray(a[name].values), np.asarray(b[name].values),
                                      err_msg=name)
    for name in a.coords:
        np.testing.assert_array_equal(a[name].values, b[name].values, err_msg=name)


def test_store_round_trip_is_lossless_and_lazy(params, memory, tmp_path):
    ds = _run(params, tmp_path / "run.zarr")
    assert ds["conductance"].chunks is not None          # dask-backed
    _same(memory, ds)
    assert ds.attrs["complete"] is True
    again = open_results(tmp_path / "run.zarr")
    assert list(again.data_vars)[:2] == ["conductance", "resistance"]
    # plain xarray reads it too (consolidated metadata, no warnings)
    with xr.open_zarr(tmp_path / "run.zarr") as plain:
        assert plain.attrs["complete"] is True and plain["fault"].dtype == np.uint8


def test_attribute_completeness(params, memory, tmp_path):
    ds = _run(params, tmp_path / "run.zarr")
    for d in (memory, ds):
        for name, var in d.variables.items():
            assert var.attrs.get("units"), f"{name} has no units"
            assert var.attrs.get("long_name"), f"{name} has no long_name"
        missing = [k for k in ROOT_ATTRS if k not in d.attrs]
        assert not missing, missing
        assert d.attrs["seed"] == 9 and d.attrs["backend"] == "numpy"
        assert d.pcm.parameters().to_toml() == params.to_toml()
        assert d.pcm.protocol() == _protocol()
        assert "@" in d.attrs["citations"]
    assert ds.attrs["zarr_format"] == 3 and json.loads(ds.attrs["pcmphys_run"])["seed"] == 9
    assert ds["conductance"].attrs["units"] == "S" and ds["time"].attrs["units"] == "s"


def test_compact_encoding_error_bound(params, memory, tmp_path):
    ds = _run(params, tmp_path / "compact.zarr", encoding="compact")
    assert ds["conductance"].dtype == np.float32 and ds["fault"].dtype == np.uint8
    for name in ("conductance", "resistance", "u_a", "interface_temperature"):
        exact = memory[name].values.astype(np.float64)
        stored = ds[name].values.astype(np.float64)
        finite = np.isfinite(exact) & (exact != 0)
        rel = np.abs(stored[finite] - exact[finite]) / np.abs(exact[finite])
        assert rel.max() <= 2.0 ** -13 + 2.0 ** -24, (name, rel.max())
    np.testing.assert_array_equal(ds["fault"].values, memory["fault"].values)


def test_bitround_properties():
    rng = np.random.default_rng(0)
    x = rng.lognormal(0, 5, 10000)
    for dtype, bits in ((np.float32, 12), (np.float64, 20), (np.float32, 1)):
        v = x.astype(dtype)
        r = bitround(v, bits)
        assert r.dtype == dtype
        assert np.all(np.abs(r.astype(float) - v) <= 2.0 ** -(bits + 1) * np.abs(v))
        np.testing.assert_array_equal(bitround(r, bits), r)      # idempotent
        tail = r.view(np.uint32 if dtype == np.float32 else np.uint64)
        assert not np.any(tail & ((1 << ((23 if dtype == np.float32 else 52) - bits)) - 1))
    special = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0], np.float32)
    np.testing.assert_array_equal(bitround(special, 5), special)
    # round half to even: 1 + 2**-13 with 12 bits kept is a tie -> 1.0
    assert bitround(np.float32([1 + 2.0 ** -13]), 12)[0] == 1.0


def test_zarr_v2_write_and_export(params, memory, tmp_path):
    v2 = _run(params, tmp_path / "v2.zarr", zarr_format=2)
    _same(memory, v2)
    assert (tmp_path / "v2.zarr" / ".zgroup").is_file()
    src = _run(params, tmp_path / "v3.zarr", encoding="compact")
    out = export_results(tmp_path / "v3.zarr", tmp_path / "exported.zarr", zarr_format=2)
    assert (out / ".zmetadata").is_file()
    exported = open_results(out)
    _same(src, exported)
    assert exported.attrs["zarr_format"] == 2
    with xr.open_zarr(out) as plain:                          # plain xarray, v2 reader
        assert plain["fault"].dtype == np.uint8 and plain["device"].dtype == np.int64
    with pytest.raises(StoreExistsError):
        export_results(tmp_path / "v3.zarr", out)


def test_overwrite_refusal(params, tmp_path):
    store = tmp_path / "run.zarr"
    _run(params, store, n_devices=50)
    with pytest.raises(StoreExistsError, match="complete run; pass overwrite=True"):
        _run(params, store, n_devices=50)
    ds = _run(params, store, n_devices=60, overwrite=True)
    assert ds.sizes["device"] == 60
    foreign = tmp_path / "notes"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("precious")
    with pytest.raises(StoreExistsError, match="not a pcmphys results store"):
        _run(params, foreign, n_devices=50, overwrite=True)
    assert (foreign / "thesis.tex").read_text() == "precious"


def test_open_errors(params, tmp_path):
    with pytest.raises(ResultsError, match="no results store"):
        open_results(tmp_path / "absent.zarr")
    zarr.open_group(str(tmp_path / "other.zarr"), mode="w").create_array(
        "x", shape=(3,), dtype="f8")
    with pytest.raises(ForeignStoreError, match="not a pcmphys results store"):
        open_results(tmp_path / "other.zarr")
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(ForeignStoreError):
        open_results(tmp_path / "file.txt")


def _interrupt(store):
    """Mark a finished store as interrupted after its first chunk (as a kill would)."""
    group = zarr.open_group(str(store), mode="r+", use_consolidated=False)
    group.attrs["complete"] = False
    group["_progress/chunks"][1:] = 0


def test_incomplete_store(params, tmp_path):
    store = tmp_path / "run.zarr"
    _run(params, store)
    _interrupt(store)
    with pytest.raises(IncompleteResultsError, match=r"1 of 3 chunks .* resume=True"):
        open_results(store)
    assert open_results(store, allow_incomplete=True).sizes["device"] == N
    with pytest.raises(StoreExistsError, match="interrupted run; pass resume=True"):
        _run(params, store)
    with pytest.raises(ResultsError, match="different arguments.*seed"):
        _run(params, store, seed=10, resume=True)
    with pytest.raises(ResultsError, match="chunk_devices"):
        _run(params, store, chunk_devices=128, resume=True)


def test_resume_of_a_store_whose_template_was_interrupted(params, memory, tmp_path):
    store = tmp_path / "run.zarr"
    _run(params, store)
    _interrupt(store)
    import shutil

    shutil.rmtree(store / "_progress")          # killed before the template was finished
    shutil.rmtree(store / "conductance")
    _same(memory, _run(params, store, resume=True))


_CHILD = textwrap.dedent("""
    import sys, time
    import pcmphys as pcm
    from pcmphys import results
    from tests.unit.test_results import _protocol, RECORD

    write = results.ResultsStore.write_chunk

    def slow_write(self, index, data):      # make the kill land between chunk writes
        write(self, index, data)
        time.sleep(0.4)

    results.ResultsStore.write_chunk = slow_write
    params = pcm.ParameterSet.load("sebastian2017_gst90nm")
    pcm.simulate(params, _protocol(), {n}, seed=9, backend="numpy", record=RECORD,
                 store=sys.argv[1], chunk_devices=64, progress=False)
""")


def _done_chunks(store):
    folder = pathlib.Path(store) / "_progress" / "chunks" / "c"
    return len(list(folder.iterdir())) if folder.is_dir() else 0


def test_resume_after_sigkill_equals_uninterrupted_run(params, tmp_path):
    store = tmp_path / "killed.zarr"
    repo = pathlib.Path(pcm.__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(repo), os.environ.get(
        "PYTHONPATH", "")])}
    child = subprocess.Popen([sys.executable, "-c", _CHILD.format(n=N), str(store)],
                             cwd=repo, env=env, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while _done_chunks(store) < 2 and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert child.poll() is None, child.stderr.read().decode()
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    child.stderr.close()
    n_chunks = -(-N // 64)
    assert 2 <= _done_chunks(store) < n_chunks
    with pytest.raises(IncompleteResultsError):
        open_results(store)
    resumed = _run(params, store, chunk_devices=None, resume=True)
    assert resumed.attrs["complete"] is True and "resumed" in resumed.attrs
    reference = _run(params, tmp_path / "straight.zarr", chunk_devices=64)
    _same(reference, resumed)
    _same(_run(params), resumed)                       # and any other chunking, in memory
    again = _run(params, store, chunk_devices=None, resume=True)   # complete: no-op
    _same(resumed, again)


def test_accessor_drift_fit_and_statistics():
    t = np.array([1.0, 10.0, 100.0, 1000.0])
    nu = np.array([0.05, 0.1, 0.11])
    r = 1e6 * (1 + np.arange(3))[:, None] * t[None, :] ** nu[:, None]
    ds = xr.Dataset({"resistance": (("device", "read"), r, {"units": "Ohm",
                                                           "long_name": "R"})},
                    coords={"time_since_pulse": ("read", t), "time": ("read", t + 1e-6),
                            "last_pulse_end": ("read", np.full(4, 1e-6))})
    fit = ds.pcm.drift_exponent("resistance")
    np.testing.assert_allclose(fit["drift_exponent"].values, nu, rtol=1e-12)
    np.testing.assert_allclose(fit["prefactor"].values, [1e6, 2e6, 3e6], rtol=1e-12)
    ds["conductance"] = 1 / ds["resistance"]
    ds["conductance"].attrs.update(units="S", long_name="G")
    np.testing.assert_allclose(ds.pcm.drift_exponent("conductance")["drift_exponent"].values,
                               nu, rtol=1e-12)
    only_g = ds.drop_vars("resistance")                # default: the recorded quantity
    fit_g = only_g.pcm.drift_exponent()
    assert "conductance" in fit_g["drift_exponent"].attrs["long_name"]
    np.testing.assert_allclose(fit_g["drift_exponent"].values, nu, rtol=1e-12)
    stats = ds.pcm.statistics("resistance", quantiles=(0.5,))
    np.testing.assert_allclose(stats["mean"].values, r.mean(axis=0))
    np.testing.assert_allclose(stats["std"].values, r.std(axis=0, ddof=1))
    np.testing.assert_allclose(stats["quantiles"].values[:, 0], np.median(r, axis=0))
    assert stats["mean"].attrs["units"] == "Ohm"


def test_accessor_plots(memory):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ax = memory.pcm.plot_trajectories("resistance", devices=5)
    assert len(ax.lines) == 5
    ax = memory.pcm.plot_distributions("resistance")
    assert ax.get_legend() is not None
    plt.close("all")


def test_cli_simulate_and_plot(tmp_path, capsys):
    prot = tmp_path / "p.toml"
    prot.write_text('[[step]]\ntype = "reset"\n[[step]]\ntype = "read"\n'
                    'at = ["1 s", "10 s", "100 s"]\n')
    out = tmp_path / "run.zarr"
    argv = ["simulate", str(prot), "--devices", "1e2", "--seed", "4", "--out", str(out),
            "--backend", "numpy", "--record", "resistance,u_a", "--no-progress"]
    assert main(argv) == 0
    assert "device 100, read 3" in capsys.readouterr().out
    assert open_results(out)["resistance"].shape == (100, 3)
    assert main(argv) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert main(["plot", str(out), "--out", str(tmp_path / "fig.png")]) == 0
    assert (tmp_path / "fig.png").stat().st_size > 1000
    capsys.readouterr()


@pytest.mark.parametrize("content, needle", [
    ('[[step]]\ntype = "reset"\nwidht = "1 us"\n', "did you mean 'width'"),
    ('[[step]]\ntype = "read"\nat = "-1 s"\n', "step 0 (read)"),
    ("[[step]\n", "not valid TOML"),
    (None, "not found"),
])
def test_cli_bad_protocol_files(tmp_path, capsys, content, needle):
    prot = tmp_path / "bad.toml"
    if content is not None:
        prot.write_text(content)
    code = main(["simulate", str(prot), "-n", "10", "-s", "1", "-o", str(tmp_path / "x.zarr")])
    err = capsys.readouterr().err
    assert code == 2 and needle in err and err.count("\n") == 1, err
    assert not (tmp_path / "x.zarr").exists()


def test_cli_plot_errors(tmp_path, capsys):
    assert main(["plot", str(tmp_path)]) == 2
    assert "no results store" in capsys.readouterr().err
