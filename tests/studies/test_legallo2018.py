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


def _study():
    path = str(ROOT / "studies/legallo2018_mixed_precision")
    if path not in sys.path:
        sys.path.insert(0, path)
    import banded_memory
    import run
    return banded_memory, run


def test_banded_storage_matches_dense():
    banded_memory, run = _study()
    n, w = 12, 3
    d = run.covariance_diagonals(n, 1.5, w)
    a = run.diagonals_to_sparse(d).toarray()
    i = np.arange(n)
    dist = np.abs(i[:, None] - i[None, :])
    expected = np.where(dist <= w, np.exp(-dist / 1.5), 0.0)
    np.testing.assert_allclose(a, expected, rtol=1e-15)
    np.testing.assert_array_equal(banded_memory.banded_to_diagonals(a, w), d)


def test_banded_pcm_matrix_noise_free_is_exact_and_one_cell_per_nonzero():
    from pcmphys.statistical import StatisticalParams

    banded_memory, run = _study()
    n, w = 40, 4
    d = run.covariance_diagonals(n, 1.0, w)
    a = run.diagonals_to_sparse(d)
    x = np.random.default_rng(3).standard_normal(n)
    quiet = StatisticalParams().deterministic()
    op = banded_memory.BandedPCMMatrix(d, t=0.0, seed=4, backend="numpy", params=quiet,
                                       drift_compensation=False)
    np.testing.assert_allclose(op.mvm(x), a @ x, rtol=1e-12, atol=1e-12)
    assert op.n_cells == a.nnz == op.macs_per_mvm  # positive matrix: G- cells unallocated
    # with noise, each product is a fresh read: two products of the same x differ
    noisy = banded_memory.BandedPCMMatrix(d, t=1.0, seed=4, backend="numpy")
    y1, y2 = noisy.mvm(x), noisy.mvm(x)
    assert not np.array_equal(y1, y2)
    rel = np.linalg.norm(y1 - a @ x) / np.linalg.norm(a @ x)
    assert 0.01 < rel < 0.3  # a few-bit memory: ~8 % relative MVM error
