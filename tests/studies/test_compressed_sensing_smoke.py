"""studies/compressed_sensing runs from the CLI with --smoke and writes zarr + PNG."""
import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_compressed_sensing_smoke(tmp_path):
    import xarray as xr

    proc = subprocess.run([sys.executable, str(ROOT / "studies/compressed_sensing/run.py"),
                           "--smoke", "--backend", "numpy", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr
    ds = xr.open_zarr(tmp_path / "compressed_sensing.zarr")
    nmse = ds["nmse"]
    floor_exact = float(nmse.sel(matrix="exact")[-1])
    floor_pcm = float(nmse.sel(matrix="pcm_verify")[-1])
    assert floor_exact < floor_pcm < 1.0  # PCM raises the error floor
    assert float(nmse.sel(matrix="pcm_verify")[-1]) < 0.5 * float(nmse.sel(matrix="pcm_verify")[0])
    assert (tmp_path / "cs_nmse.png").stat().st_size > 0
