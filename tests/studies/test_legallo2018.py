"""studies/legallo2018_mixed_precision runs from the CLI with --smoke and writes zarr + PNG."""
import os
import pathlib
import subprocess
import sys

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_legallo2018_smoke(tmp_path):
    import xarray as xr

    proc = subprocess.run([sys.executable,
                           str(ROOT / "studies/legallo2018_mixed_precision/run.py"), "--smoke",
                           "--backend", "numpy", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"})
    assert proc.returncode == 0, proc.stderr
    assert "largest size run: 128" in proc.stdout
    ds = xr.open_zarr(tmp_path / "legallo2018_mixed_precision.zarr").load()
    # every size reaches 1e-12 on the noisy cells (accuracy not limited by the memory) ...
    assert ds["converged"].values.all()
    final = [r[~np.isnan(r)][-1] for r in ds["residual"].values]
    assert max(final) < 1e-12
    assert (ds["refinements"] > 2).all()  # ... but it takes more than the exact inner solve
    assert ((ds["fraction_in_memory"] > 0) & (ds["fraction_in_memory"] < 1)).all()
    # refinements grow with the cells' noise while the runs converge
    nr = ds["noise_refinements"].sel(noise_scale=[0.5, 1.0]).values
    assert nr[0] < nr[1]
    assert ds["noise_mvm_error"].sel(noise_scale=2.0) > ds["noise_mvm_error"].sel(noise_scale=1.0)
    for name in ("error_vs_refinement", "noise_sweep", "drift_sweep"):
        assert (tmp_path / f"{name}.png").stat().st_size > 0
