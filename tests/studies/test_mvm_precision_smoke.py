"""studies/mvm_precision runs from the CLI with --smoke and writes zarr + PNG."""
import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_mvm_precision_smoke(tmp_path):
    import xarray as xr

    proc = subprocess.run([sys.executable, str(ROOT / "studies/mvm_precision/run.py"), "--smoke",
                           "--backend", "numpy", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr
    assert "equivalent bits" in proc.stdout
    ds = xr.open_zarr(tmp_path / "mvm_precision.zarr")
    bits = ds["equivalent_bits"].sel(model_variant="verify_compensated").values
    assert (bits > 2).all() and (bits < 8).all()
    assert (tmp_path / "mvm_bits_vs_time.png").stat().st_size > 0
