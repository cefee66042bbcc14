"""Figures of the compressed-sensing study (tutorial Fig. 6)."""
from __future__ import annotations

import pathlib
import sys


def plot_all(ds, out):
    """Write cs_nmse.png and cs_images.png; return their paths."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = pathlib.Path(out)
    fig, ax = plt.subplots(figsize=(5, 4))
    for name in ds["matrix"].values:
        ax.semilogy(ds["iteration"], ds["nmse"].sel(matrix=name), "o-", ms=3, label=str(name))
    ax.set(xlabel="AMP iteration", ylabel="NMSE", title="AMP recovery, 50 % compression")
    ax.legend()
    fig.tight_layout()
    p1 = out / "cs_nmse.png"
    fig.savefig(p1, dpi=120)
    plt.close(fig)
    n = ds.sizes["matrix"] + 1
    fig, axs = plt.subplots(1, n, figsize=(3 * n, 3.2))
    axs[0].imshow(ds["original"], cmap="gray", vmin=0, vmax=1)
    axs[0].set_title("original")
    for ax, name in zip(axs[1:], ds["matrix"].values):
        ax.imshow(ds["recovered"].sel(matrix=name), cmap="gray", vmin=0, vmax=1)
        ax.set_title(f"{name}\nNMSE {float(ds['nmse'].sel(matrix=name)[-1]):.3g}")
    for ax in axs:
        ax.axis("off")
    fig.tight_layout()
    p2 = out / "cs_images.png"
    fig.savefig(p2, dpi=120)
    plt.close(fig)
    return [p1, p2]


if __name__ == "__main__":
    import xarray as xr

    here = pathlib.Path(__file__).resolve().parent
    folder = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else here / "out"
    print(plot_all(xr.open_zarr(folder / "compressed_sensing.zarr"), folder))
