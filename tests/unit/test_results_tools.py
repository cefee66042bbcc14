"""Results tools that fit together: ``ds.pcm`` on any Dataset after ``import pcmphys`` (also
plain xarray), study stores open with open_results, and trajectories split by protocol
segment (frictions: "import pcmphys does not register ds.pcm on datasets opened with plain
xarray"; "the main job's own store cannot be opened with open_results"; "pcmphys plot joins a
cell's reads across protocol segments, so lines run back in time")."""
import os
import pathlib
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import pcmphys as pcm
from pcmphys.cli import main
from pcmphys.storage import save_dataset


@pytest.mark.parametrize("order", ["pcmphys first", "xarray first"])
def test_import_pcmphys_registers_the_accessor_for_plain_xarray(tmp_path, order):
    store = tmp_path / "run.zarr"
    pcm.simulate("sebastian2017_gst90nm", [pcm.Pulse.reset(), pcm.Read(at=1.0),
                                           pcm.Read(at=10.0)], 4, 0, backend="numpy",
                 store=store, progress=False)
    imports = "import pcmphys\nimport xarray as xr" if order == "pcmphys first" else \
        "import xarray as xr\nimport pcmphys"
    code = textwrap.dedent(f"""
        import sys
        {imports.splitlines()[0]}
        assert ("xarray" in sys.modules) == {order == "xarray first"}
        {imports.splitlines()[1]}
        ds = xr.open_zarr({str(store)!r}, consolidated=False)
        print(ds.pcm.drift_exponent()["drift_exponent"].shape)
    """)
    root = str(pathlib.Path(pcm.__file__).parents[1])
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, env=dict(os.environ, PYTHONPATH=root))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "(4,)"


def test_study_summary_stores_open_with_open_results(tmp_path):
    import xarray as xr

    ds = xr.Dataset({"drift_resistance": (("drift_time", "device_d"), np.ones((3, 2)))},
                    coords={"drift_time": [1.0, 10.0, 100.0]},
                    attrs={"study": "device_characterization"})
    store = save_dataset(ds, tmp_path / "device_characterization.zarr")
    opened = pcm.open_results(store)
    assert opened.attrs["study"] == "device_characterization"
    assert opened.attrs["store_kind"] == "summary"
    np.testing.assert_array_equal(opened["drift_resistance"].values, 1.0)


def test_every_study_writes_stores_through_save_dataset_or_simulate():
    studies = pathlib.Path(__file__).resolve().parents[2] / "studies"
    for run in studies.glob("*/*.py"):
        text = run.read_text(encoding="utf-8")
        assert ".to_zarr(" not in text, f"{run} writes a zarr store open_results cannot open"


@pytest.fixture(scope="module")
def two_segments():
    protocol = ([pcm.Pulse.reset()] + [pcm.Read(at=t) for t in (1.0, 10.0, 100.0)]
                + [pcm.Pulse.set()] + [pcm.Read(at=t) for t in (0.0, 1.0, 10.0)])
    return pcm.simulate("sebastian2017_gst90nm", protocol, 6, 2, backend="numpy",
                        progress=False)


def test_trajectories_are_split_by_segment_on_a_log_time_axis(two_segments):
    import matplotlib

    matplotlib.use("Agg")
    ds = two_segments
    segments = ds.pcm.segments()
    assert [s.tolist() for s in segments] == [[0, 1, 2], [3, 4, 5]]
    ax = ds.pcm.plot_trajectories(devices=3)
    assert ax.get_xscale() == "log"
    assert "since the segment's last pulse" in ax.get_xlabel()
    assert "1 reads at 0 s not shown" in ax.get_title()
    for line in ax.get_lines():  # no line runs back in time
        x = line.get_xdata()
        assert np.all(np.diff(x) > 0)
    assert len(ax.get_lines()) == 3 * 2
    import matplotlib.pyplot as plt

    plt.close("all")


def test_cli_plot_uses_the_segments(two_segments, tmp_path, capsys):
    store = tmp_path / "r.zarr"
    pcm.simulate("sebastian2017_gst90nm", two_segments.pcm.protocol(), 6, 2, backend="numpy",
                 progress=False, store=store)
    assert main(["plot", str(store), "--out", str(tmp_path / "r.png")]) == 0
    assert (tmp_path / "r.png").stat().st_size > 10_000
