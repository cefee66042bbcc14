"""Figures of the sidler2017_snn study (PNG under out/), drawn from its zarr store.

Usage: python studies/sidler2017_snn/plot.py [--out DIR]   (reads DIR/sidler2017_snn.zarr)
"""
from __future__ import annotations

import argparse
import pathlib

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent


def _maps(w, side, n_px):
    """Per-neuron image of the weights: the original-pixel part, plus for the complementary
    encoding the evidence ``w_orig - w_inv`` (ink minus background preference)."""
    w = np.asarray(w, np.float64)
    valid = ~np.isnan(w[0])
    w = w[:, valid]
    if w.shape[1] == 2 * n_px:
        w = w[:, :n_px] - w[:, n_px:]
    return w.reshape(-1, side, side)


def plot_all(ds, out):
    """Write weights_<run>.png (Fig. 16c), accuracy_vs_images.png, conductances.png."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = pathlib.Path(out)
    side = int(ds.attrs["side"])
    n_px = side * side
    runs = [str(r) for r in ds["run"].values]
    paths = []
    for i, run in enumerate(runs):
        maps = _maps(ds["weights"].values[i], side, n_px)
        n = maps.shape[0]
        cols = 10 if n >= 10 else n
        rows = -(-n // cols)
        fig, axs = plt.subplots(rows, cols, figsize=(cols * 1.0, rows * 1.05 + 0.4))
        axs = np.atleast_1d(axs).reshape(-1)
        lim = float(np.nanpercentile(np.abs(maps), 99.5)) or 1.0   # a few outlier cells
        signed = np.nanmin(maps) < -0.05 * lim
        for k, ax in enumerate(axs):
            ax.axis("off")
            if k < n:
                ax.imshow(maps[k], cmap="RdBu_r" if signed else "gray_r",
                          vmin=-lim if signed else 0, vmax=lim)
        fig.suptitle(f"synaptic weights of the {n} output neurons: {run.replace('|', ', ')}",
                     fontsize=9)
        name = out / f"weights_{run.replace('|', '_').replace('+', '_')}.png"
        fig.savefig(name, dpi=110)
        plt.close(fig)
        paths.append(name)
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for i, run in enumerate(runs):
        x = ds["images_trained"].values[i]
        a = ds["accuracy_curve"].values[i]
        ok = ~np.isnan(x)
        m = np.nanmean(a, 0)[ok]
        n = np.sum(~np.isnan(a), 0)[ok]
        se = np.nanstd(a, 0, ddof=1)[ok] / np.sqrt(np.maximum(n, 1)) if a.shape[0] > 1 else 0
        ax.errorbar(x[ok], 100 * m, 100 * np.nan_to_num(se), fmt="o-", capsize=3, ms=3,
                    label=run.replace("|", ", "))
    ax.set(xscale="log", xlabel="training images", ylabel="test accuracy [%]",
           title="accuracy vs number of training images (mean ± se over seeds)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    name = out / "accuracy_vs_images.png"
    fig.savefig(name, dpi=110)
    plt.close(fig)
    paths.append(name)
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    g = ds["g_bin"].values * 1e6
    for i, run in enumerate(runs):
        if run.endswith("float"):
            continue
        h = ds["conductance_hist"].values[i]
        for role, style, lab in ((0, "-", "G" if "pair" not in run else "G+"),
                                 (1, "--", "G-")):
            if h[role].sum() > 0:
                ax.step(g, h[role] / h[role].sum(), style, where="mid",
                        label=f"{run.replace('|', ', ')}: {lab}")
    ax.set(yscale="log", xlabel="read conductance [µS]", ylabel="fraction of cells",
           title="synapse conductances after training")
    ax.legend(fontsize=6)
    fig.tight_layout()
    name = out / "conductances.png"
    fig.savefig(name, dpi=110)
    plt.close(fig)
    paths.append(name)
    return paths


def main(argv=None):
    import xarray as xr

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", default=str(HERE / "out"))
    args = ap.parse_args(argv)
    ds = xr.open_zarr(pathlib.Path(args.out) / "sidler2017_snn.zarr")
    for p in plot_all(ds.load(), args.out):
        print(p)


if __name__ == "__main__":
    main()
