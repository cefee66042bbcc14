"""Figures of the correlation-detection study (Sebastian et al. 2017, tutorial Fig. 7).

Usage: python studies/sebastian2017_correlation/plot.py [out/sebastian2017_correlation.zarr]
"""
from __future__ import annotations

import pathlib
import sys

import numpy as np

from pcmphys.plotting import save_figure

HERE = pathlib.Path(__file__).resolve().parent


def _image(values, side):
    """Cell values as a side x side picture (NaN where N is not a square)."""
    img = np.full(side * side, np.nan)
    img[:values.size] = values
    return img.reshape(side, side)


def plot_all(ds, out):
    """Write corr_map.png, corr_histograms.png, corr_separation.png (and corr_sweep.png when
    several c were run); return the paths."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = pathlib.Path(out)
    side = int(ds.attrs["image_side"])
    truth = ds["correlated"].values.astype(bool)
    reads = ds["read_step"].values
    K = int(reads.max())
    paths = []

    # Fig. 7b: ground truth beside the final conductance map, for every c
    cs = ds["c"].values
    fig, axes = plt.subplots(1, 1 + len(cs), figsize=(4 * (1 + len(cs)), 4.2))
    axes[0].imshow(_image(truth.astype(float), side), cmap="gray_r", interpolation="nearest")
    axes[0].set_title(f"correlated processes ({truth.sum()} of {truth.size})")
    for ax, c in zip(axes[1:], cs):
        g = ds["conductance"].sel(c=c, read_step=K).values * 1e6
        im = ax.imshow(_image(g, side), cmap="viridis", interpolation="nearest",
                       vmin=np.nanpercentile(g, 1), vmax=np.nanpercentile(g, 99.5))
        auc = float(ds["auc"].sel(c=c, read_step=K))
        ax.set_title(f"conductance after k = {K}, c = {c:g}\nAUC = {auc:.3f}")
        fig.colorbar(im, ax=ax, fraction=0.046, label="G [µS]")
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    paths.append(save_figure(fig, out / "corr_map.png", dpi=110))

    # conductance histograms of both groups at the paper's snapshot steps
    snaps = [k for k in (252, 1312) if k in reads] + [K]
    fig, axes = plt.subplots(len(cs), len(snaps), figsize=(4 * len(snaps), 3.2 * len(cs)),
                             squeeze=False)
    for i, c in enumerate(cs):
        for j, k in enumerate(snaps):
            g = ds["conductance"].sel(c=c, read_step=k).values * 1e6
            bins = np.linspace(np.percentile(g, 0.1), np.percentile(g, 99.9), 80)
            ax = axes[i, j]
            ax.hist(g[~truth], bins, density=True, alpha=0.6, label="uncorrelated")
            ax.hist(g[truth], bins, density=True, alpha=0.6, label="correlated")
            ax.set(xlabel="G [µS]", ylabel="density", yscale="log",
                   title=f"c = {c:g}, k = {k}")
    axes[0, 0].legend()
    paths.append(save_figure(fig, out / "corr_histograms.png", dpi=110))

    # separation over time
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 4))
    steps = reads[reads > 0]
    for c in cs:
        a1.semilogx(steps, ds["auc"].sel(c=c, read_step=steps), "o-", label=f"c = {c:g}")
        a2.semilogx(steps, ds["separation"].sel(c=c, read_step=steps), "o-", label=f"c = {c:g}")
    a1.axhline(0.5, color="gray", lw=0.8)
    a1.set(xlabel="time step k", ylabel="ROC AUC (log G vs ground truth)")
    a2.set(xlabel="time step k", ylabel="separation d' of log G")
    a1.legend()
    paths.append(save_figure(fig, out / "corr_separation.png", dpi=110))

    if len(cs) > 1:
        fig, ax = plt.subplots(figsize=(5, 4))
        order = np.argsort(cs)
        ax.semilogx(cs[order], ds["auc"].sel(read_step=K).values[order], "o-",
                    label="PCM conductance")
        if "exact_auc" in ds:
            ax.semilogx(cs[order], ds["exact_auc"].values[order], "s--", label="exact W_i")
        ax.axhline(0.5, color="gray", lw=0.8)
        ax.set(xlabel="correlation coefficient c", ylabel=f"ROC AUC after k = {K}",
               ylim=(0.45, 1.02))
        ax.legend()
        paths.append(save_figure(fig, out / "corr_sweep.png", dpi=110))
    return paths


def main(argv=None):
    import xarray as xr

    argv = sys.argv[1:] if argv is None else argv
    store = pathlib.Path(argv[0]) if argv else HERE / "out" / "sebastian2017_correlation.zarr"
    if not store.exists():
        raise SystemExit(f"no results store at {store}; run run.py first")
    ds = xr.open_zarr(store).load()
    for p in plot_all(ds, store.parent):
        print(p)
    return 0


if __name__ == "__main__":
    sys.exit(main())
