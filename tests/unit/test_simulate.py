"""simulate(): chunk invariance (numpy and host), backend agreement,
recording at reads and after pulses, timeline coordinates, argument errors."""
import numpy as np
import pytest

import pcmphys as pcm
from pcmphys.protocol import Protocol, ProtocolError

N = 1200
RECORD = ("conductance", "resistance", "u_a", "V_th", "cycles", "fault")


@pytest.fixture(scope="module")
def params():
    return pcm.ParameterSet.load("sebastian2017_gst90nm")


def _protocol(n=N):
    """RESET, SET train, scaled partial pulse, hot wait, reads at three times."""
    amps = np.random.default_rng(1).uniform(0.6, 1.1, n)
    steps = ([pcm.Pulse.reset()] + [pcm.Pulse.set(100e-6, 50e-9)] * 3
             + [pcm.Read(at=1.0), pcm.Pulse.reset(current=300e-6), pcm.Wait(60.0, 358.0)]
             + [pcm.Read(at=t, temperature=320.0 if t == 100.0 else None)
                for t in (100.0, 1000.0)])
    return Protocol(steps, scales={5: amps}, name="test")


def _host():
    try:
        pcm.get_backend("host")
    except pcm.BackendUnavailable as exc:
        pytest.skip(f"host backend unavailable: {exc}")


def _arrays(ds):
    return {k: np.asarray(v.values) for k, v in ds.data_vars.items()}


@pytest.mark.parametrize("backend", ["numpy", "host"])
def test_results_do_not_depend_on_chunking(params, backend):
    if backend == "host":
        _host()
    protocol = _protocol()
    runs = [pcm.simulate(params, protocol, N, seed=11, backend=backend, record=RECORD,
                         chunk_devices=c, progress=False) for c in (N, 500, 347)]
    ref = _arrays(runs[0])
    for ds in runs[1:]:
        for name, values in _arrays(ds).items():
            np.testing.assert_array_equal(values, ref[name], err_msg=name)
        for coord in ("time", "event", "time_since_pulse"):
            np.testing.assert_array_equal(ds[coord].values, runs[0][coord].values)
    assert runs[0].attrs["backend"] == backend


def test_host_equals_numpy_within_design_tolerances(params):
    _host()
    protocol = _protocol()
    a = pcm.simulate(params, protocol, N, seed=5, backend="numpy", record=RECORD,
                     progress=False)
    b = pcm.simulate(params, protocol, N, seed=5, backend="host", record=RECORD,
                     chunk_devices=400, progress=False)
    bad = np.zeros(N, bool)
    for name in ("conductance", "resistance", "threshold_voltage", "u_a"):
        x, y = a[name].values, b[name].values
        bad |= ~np.all(np.isclose(y, x, rtol=1e-5, atol=0) | (x == y), axis=1)
    for name in ("cycles", "fault"):
        bad |= np.any(a[name].values != b[name].values, axis=1)
    assert bad.mean() <= 1e-4 or bad.sum() <= 1, f"{bad.sum()} of {N} cells differ"
    np.testing.assert_array_equal(a["time"].values, b["time"].values)


def test_matches_population_run(params):
    train = pcm.PulseTrain([pcm.Pulse.reset(), pcm.Read(at=1.0), pcm.Wait(5.0),
                            pcm.Read(), pcm.Read(at=100.0, voltage=0.3)])
    pop = pcm.Population(params, 300, seed=3, backend="numpy")
    expected = np.stack(pop.run(train), axis=1)
    ds = pcm.simulate(params, train, 300, seed=3, backend="numpy", progress=False,
                      chunk_devices=128)
    np.testing.assert_array_equal(ds["conductance"].values, expected)
    reset_end = pcm.Pulse.reset().duration
    np.testing.assert_array_equal(ds["time"].values,
                                  [reset_end + 1.0, reset_end + 6.0, reset_end + 100.0])
    np.testing.assert_array_equal(ds["time_since_pulse"].values,
                                  ds["time"].values - reset_end)
    np.testing.assert_array_equal(ds["read_voltage"].values, [0.2, 0.2, 0.3])
    assert ds["read_protocol_step"].values.tolist() == [1, 3, 4]
    assert list(ds["device"].values) == list(range(300))


def test_per_pulse_recording(params):
    train = pcm.PulseTrain([pcm.Pulse.reset()] + [pcm.Pulse.set(100e-6, 50e-9)] * 3
                           + [pcm.Read(at=1.0)])
    runs = [pcm.simulate(params, train, 400, seed=2, backend="numpy",
                         record=("resistance", "temperatures", "melted", "energy"),
                         record_steps=("u_a", "conductance"), chunk_devices=c,
                         progress=False) for c in (400, 150)]
    ds = runs[0]
    assert ds.sizes["step"] == 4 and ds.sizes["read"] == 1
    assert ds["interface_temperature"].dims == ("device", "step")
    assert ds["melted"].dtype == bool
    assert ds["melted"].values[:, 0].mean() > 0.9          # RESET melts
    assert ds["melted"].values[:, 1:].mean() < 0.1          # SET mostly does not
    hot = ds["hotspot_temperature"].values
    assert (hot >= params.thermal.ambient_temperature).all()
    melt = params.amorphization.melting_temperature
    np.testing.assert_array_equal(ds["melted"].values[:, 0] & (hot[:, 0] < melt), False)
    assert (ds["step_u_a"].values[:, 0] > ds["step_u_a"].values[:, 3]).mean() > 0.9
    assert ds["step_protocol_step"].values.tolist() == [0, 1, 2, 3]
    assert np.all(np.diff(ds["step_time"].values) > 0)
    for name, values in _arrays(runs[1]).items():
        np.testing.assert_array_equal(values, _arrays(ds)[name], err_msg=name)


def test_protocol_from_toml_path_and_parameter_name(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text('[[step]]\ntype = "reset"\n[[step]]\ntype = "read"\nat = ["1 s", "2 s"]\n')
    ds = pcm.simulate("sebastian2017_gst90nm", path, 50, seed=1, backend="numpy",
                      progress=False)
    assert ds.sizes == {"device": 50, "read": 2}


def test_module_import_keeps_pcm_simulate_callable(params):
    import pcmphys.simulate  # noqa: F401  (binds the submodule name on the package)

    ds = pcm.simulate(params, [pcm.Pulse.reset(), pcm.Read(at=1.0)], 10, seed=1,
                      backend="numpy", progress=True)
    assert ds.sizes["device"] == 10


@pytest.mark.parametrize("kwargs, error, match", [
    ({"record": ("conductanse",)}, ValueError, "did you mean 'conductance'"),
    ({"record": ("u_a",), "protocol": [pcm.Pulse.reset()]}, ProtocolError, "no Read step"),
    ({"protocol": Protocol([pcm.Pulse.reset(), pcm.Read()], scales={0: np.ones(7)})},
     ProtocolError, "7 values, but n_devices = 20"),
    ({"protocol": [pcm.Pulse.reset(), pcm.Wait(10.0), pcm.Read(at=1.0)]}, ProtocolError,
     "protocol step 2: Read"),
    ({"n_devices": 0}, ValueError, "n_devices"),
    ({"seed": -1}, ValueError, "seed"),
    ({"chunk_devices": 0}, ValueError, "chunk_devices"),
    ({"encoding": "tiny"}, ValueError, "unknown encoding"),
    ({"zarr_format": 4}, ValueError, "zarr_format"),
    ({"zarr_format": 2, "sharding": True}, ValueError, "sharding needs zarr_format=3"),
    ({"protocol": 3}, TypeError, "protocol must be"),
])
def test_argument_errors(params, kwargs, error, match):
    args = {"params": params, "protocol": [pcm.Pulse.reset(), pcm.Read(at=1.0)],
            "n_devices": 20, "seed": 1, "backend": "numpy", "progress": False, **kwargs}
    with pytest.raises(error, match=match):
        pcm.simulate(**args)


_BIG_RUN = """
import json, sys, time
import numpy as np
import pcmphys as pcm
params = pcm.ParameterSet.load("sebastian2017_gst90nm")
reads = [pcm.Read(at=float(t)) for t in np.logspace(0, 6, 100)]
start = time.perf_counter()
ds = pcm.simulate(params, [pcm.Pulse.reset()] + reads, 10**7, seed=1, store=sys.argv[1],
                  progress=False)
print(json.dumps({"seconds": time.perf_counter() - start, "backend": ds.attrs["backend"],
                  "chunk_devices": ds.attrs["chunk_devices"], "shape": list(ds.conductance.shape)}))
"""


@pytest.mark.slow
@pytest.mark.timeout(4 * 3600)
def test_memory_stays_bounded_for_1e7_cells_100_reads(tmp_path):
    """Issue 4: 10^7 cells x 100 reads streamed to zarr with peak RSS under 4 GB."""
    import json
    import os
    import pathlib
    import resource
    import subprocess
    import sys

    repo = pathlib.Path(pcm.__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(repo)}
    proc = subprocess.run([sys.executable, "-c", _BIG_RUN, str(tmp_path / "big.zarr")],
                          capture_output=True, text=True, env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    size = sum(f.stat().st_size for f in (tmp_path / "big.zarr").rglob("*") if f.is_file())
    print(f"\n1e7 x 100: {info}; peak RSS {peak / 2**30:.2f} GiB; {size / 1e9:.2f} GB on disk")
    assert info["shape"] == [10**7, 100]
    assert peak < 4e9
