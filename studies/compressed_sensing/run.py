"""Compressed sensing with AMP on a PCM crossbar: tutorial Fig. 6 on simulated cells.

A 128 x 128 image (scikit-image's ``camera``, downsampled) is cut into 16 x 16 blocks; every
block (N = 256 pixels) is compressed to M = 128 measurements (50 %) by one Gaussian measurement
matrix stored on a crossbar (one batched MVM for all blocks). Recovery is approximate message
passing (Donoho, Maleki & Montanari 2009) in the 2-D DCT domain, whose products with the
measurement matrix and its transpose run as ``mvm`` / ``mvm_t`` on the same crossbar.
Reported: NMSE vs iteration for the exact matrix and for PCM crossbars; the claim is the same
convergence rate with a higher error floor (Le Gallo et al., IEEE TED 65, 4304 (2018)).

Usage: python studies/compressed_sensing/run.py [--iterations K] [--backend B] [--smoke]
"""
from __future__ import annotations

import argparse
import pathlib
import sys
import time

import numpy as np
from scipy import fft

import pcmphys as pcm
from pcmphys.computing.crossbar import Crossbar
from pcmphys.storage import save_dataset

HERE = pathlib.Path(__file__).resolve().parent
BLOCK = 16


def parse(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=128, help="image size (pixels per side)")
    ap.add_argument("--iterations", type=int, default=30, help="AMP iterations")
    ap.add_argument("--ratio", type=float, default=0.5, help="measurements / pixels")
    ap.add_argument("--threshold", type=float, default=1.5,
                    help="AMP threshold factor alpha (theta = alpha ||z|| / sqrt(M))")
    ap.add_argument("--time", type=float, default=3600.0, help="time after programming [s]")
    ap.add_argument("--backend", default="auto", help="numpy | host | cupy | auto")
    ap.add_argument("--seed", type=int, default=2018)
    ap.add_argument("--out", default=None,
                    help="output folder (default out/, out-smoke/ with --smoke)")
    ap.add_argument("--smoke", action="store_true", help="64 x 64 image, 10 iterations")
    args = ap.parse_args(argv)
    if args.out is None:  # a smoke run never writes over the full run's output
        args.out = str(HERE / ("out-smoke" if args.smoke else "out"))
    return args


def load_image(size):
    """scikit-image's camera (512 x 512, uint8) block-averaged to size x size, in [0, 1]."""
    from skimage import data

    img = data.camera().astype(np.float64) / 255.0
    f = img.shape[0] // size
    return img[:f * size, :f * size].reshape(size, f, size, f).mean(axis=(1, 3))


def to_blocks(img):
    """(size, size) image -> (BLOCK*BLOCK, n_blocks) pixel columns."""
    s = img.shape[0] // BLOCK
    return img.reshape(s, BLOCK, s, BLOCK).transpose(1, 3, 0, 2).reshape(BLOCK * BLOCK, s * s)


def from_blocks(cols, size):
    s = size // BLOCK
    return cols.reshape(BLOCK, BLOCK, s, s).transpose(2, 0, 3, 1).reshape(size, size)


def dct(cols):
    """Orthonormal 2-D DCT of every block column."""
    b = cols.reshape(BLOCK, BLOCK, -1)
    return fft.dctn(b, axes=(0, 1), norm="ortho").reshape(BLOCK * BLOCK, -1)


def idct(cols):
    b = cols.reshape(BLOCK, BLOCK, -1)
    return fft.idctn(b, axes=(0, 1), norm="ortho").reshape(BLOCK * BLOCK, -1)


def amp(y, forward, adjoint, n, iterations, alpha, truth):
    """AMP with soft thresholding on DCT coefficients; returns (estimate, NMSE per iteration).

    forward(s) = Phi idct(s), adjoint(z) = dct(Phi^T z); y has shape (M, blocks).
    """
    m = y.shape[0]
    s = np.zeros((n, y.shape[1]))
    z = y.copy()
    nmse = []
    for _ in range(iterations):
        r = s + adjoint(z)
        theta = alpha * np.linalg.norm(z, axis=0) / np.sqrt(m)
        s = np.sign(r) * np.maximum(np.abs(r) - theta, 0.0)
        onsager = (n / m) * np.mean(np.abs(r) > theta, axis=0)
        z = y - forward(s) + z * onsager
        est = idct(s)
        nmse.append(float(np.sum((est - truth) ** 2) / np.sum(truth ** 2)))
    return idct(s), np.array(nmse)


def experiments(args):
    size = 64 if args.smoke else args.size
    iterations = 10 if args.smoke else args.iterations
    img = load_image(size)
    pix = to_blocks(img)
    n = BLOCK * BLOCK
    m = int(round(args.ratio * n))
    rng = np.random.default_rng(args.seed)
    phi = rng.standard_normal((m, n)) / np.sqrt(m)
    backend = pcm.get_backend(args.backend)
    results = {}
    # exact matrix (float64)
    y = phi @ pix
    est, nmse = amp(y, lambda s: phi @ idct(s), lambda z: dct(phi.T @ z), n, iterations,
                    args.threshold, pix)
    results["exact"] = (est, nmse)
    for name, method in (("pcm_one_shot", "statistical"), ("pcm_verify", "verify")):
        xb = Crossbar(m, n, seed=args.seed, backend=backend, drift_compensation=True)
        xb.program(phi, method=method, tolerance=0.02, max_iterations=10)
        t = args.time

        def forward(s, xb=xb, t=t):
            return np.asarray(backend.to_numpy(xb.mvm(backend.asarray(idct(s)), t=t)))

        def adjoint(z, xb=xb, t=t):
            return dct(np.asarray(backend.to_numpy(xb.mvm_t(backend.asarray(z), t=t))))

        y_pcm = np.asarray(backend.to_numpy(xb.mvm(backend.asarray(pix), t=t)))  # compression
        est, nmse = amp(y_pcm, forward, adjoint, n, iterations, args.threshold, pix)
        results[name] = (est, nmse)
    return img, results, m, n, backend.name


def main(argv=None):
    args = parse(argv)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    img, results, m, n, backend_name = experiments(args)
    size = img.shape[0]
    print(f"compressed sensing: {size}x{size} image in {BLOCK}x{BLOCK} blocks, M/N = {m}/{n}, "
          f"PCM read {args.time:g} s after programming, backend '{backend_name}', "
          f"{time.perf_counter() - t0:.1f} s")
    for name, (_, nmse) in results.items():
        settle = int(np.argmax(nmse <= 1.05 * nmse[-1])) + 1
        drop = nmse[0] / nmse[1]
        print(f"  {name:<14} NMSE floor {nmse[-1]:.4g} ({10 * np.log10(nmse[-1]):.1f} dB); "
              f"NMSE ratio iteration 1/2: {drop:.2f}; within 5 % of its floor after "
              f"{settle} iterations")
    import xarray as xr

    names = list(results)
    ds = xr.Dataset(
        {"nmse": (("matrix", "iteration"), np.array([results[k][1] for k in names]),
                  {"units": "1", "long_name": "normalised mean-square error of the image"}),
         "recovered": (("matrix", "y", "x"),
                       np.array([from_blocks(results[k][0], size) for k in names]),
                       {"units": "1", "long_name": "recovered image (pixel values 0-1)"}),
         "original": (("y", "x"), img, {"units": "1", "long_name": "original image"})},
        coords={"matrix": names, "iteration": np.arange(1, len(results["exact"][1]) + 1)},
        attrs={"study": "compressed_sensing", "measurements": m, "pixels_per_block": n,
               "seed": args.seed, "backend": backend_name, "time_after_programming_s": args.time,
               "pcmphys_version": pcm.__version__,
               "reference": "Le Gallo et al., IEEE TED 65, 4304 (2018); tutorial Fig. 6"})
    store = out / "compressed_sensing.zarr"
    save_dataset(ds, store)
    sys.path.insert(0, str(HERE))
    from plot import plot_all  # noqa: E402  (local module of the study)
    figs = plot_all(ds, out)
    print(f"wrote {store} and {', '.join(str(f) for f in figs)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
