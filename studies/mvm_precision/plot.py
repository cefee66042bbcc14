"""Figures of the MVM precision study (tutorial Fig. 5b)."""
from __future__ import annotations

import pathlib
import sys

from pcmphys.plotting import save_figure


def plot_all(ds, out):
    """Write mvm_error_histograms.png and mvm_bits_vs_time.png; return their paths."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = pathlib.Path(out)
    paths = []
    fig, axs = plt.subplots(1, ds.sizes["variant"], figsize=(4 * ds.sizes["variant"], 3.6),
                            squeeze=False)
    for ax, v in zip(axs[0], ds["variant"].values):
        for t in ds["time"].values:
            e = ds["error"].sel(variant=v, time=t).values.ravel()
            ax.hist(e, bins=80, histtype="step", density=True, label=f"t = {t:g} s")
        ax.set(title=str(v), xlabel="error of y = A x", ylabel="density")
    axs[0][0].legend(fontsize=7)
    paths.append(save_figure(fig, out / "mvm_error_histograms.png"))

    fig, ax = plt.subplots(figsize=(5.5, 4))
    for v in ds["model_variant"].values:
        ax.semilogx(ds["time"], ds["equivalent_bits"].sel(model_variant=v), "o-", label=str(v))
    ax.axhline(4, color="k", ls=":", label="tutorial: ~4 bits")
    ax.set(xlabel="time after programming [s]", ylabel="equivalent fixed-point bits",
           title="MVM precision (256x256 Gaussian)" if ds.attrs["matrix_size"] == 256
           else f"MVM precision ({ds.attrs['matrix_size']}x{ds.attrs['matrix_size']})")
    ax.legend(fontsize=7)
    paths.append(save_figure(fig, out / "mvm_bits_vs_time.png"))
    return paths


if __name__ == "__main__":
    import xarray as xr

    here = pathlib.Path(__file__).resolve().parent
    folder = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else here / "out"
    print(plot_all(xr.open_zarr(folder / "mvm_precision.zarr"), folder))
