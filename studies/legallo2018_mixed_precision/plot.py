"""Figures of the mixed-precision solver study (Le Gallo et al. 2018, Fig. 8b-like).

Usage: python plot.py [folder]   (redraws from folder/legallo2018_mixed_precision.zarr)
"""
from __future__ import annotations

import pathlib
import sys

from pcmphys.plotting import save_figure

HERE = pathlib.Path(__file__).resolve().parent


def plot_all(ds, out):
    """Write error_vs_refinement.png, noise_sweep.png and drift_sweep.png; return paths."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = pathlib.Path(out)
    tol = float(ds.attrs["tol"])
    paths = []
    fig, axs = plt.subplots(1, 2, figsize=(10, 4))
    for n in ds["size"].values:
        r = ds.sel(size=n)
        axs[0].semilogy(ds["refinement"], r["error"], "o-", ms=3, label=f"n = {int(n)}")
        axs[1].semilogy(ds["refinement"], r["residual"], "o-", ms=3, label=f"n = {int(n)}")
    axs[0].set(xlabel="refinement", ylabel="||x - x*|| / ||x*||",
               title="error norm vs refinement (cf. Fig. 8b)")
    axs[1].axhline(tol, color="k", ls=":", label=f"tol {tol:g}")
    axs[1].set(xlabel="refinement", ylabel="||b - A x|| / ||b||", title="relative residual")
    axs[1].legend(fontsize=7)
    paths.append(save_figure(fig, out / "error_vs_refinement.png"))

    fig, axs = plt.subplots(1, 2, figsize=(10, 4))
    for s in ds["noise_scale"].values:
        r = ds.sel(noise_scale=s)
        axs[0].semilogy(ds["refinement"], r["noise_residual"], "o-", ms=3,
                        label=f"x{s:g} ({100 * float(r.noise_mvm_error):.0f} % MVM err)")
    axs[0].axhline(tol, color="k", ls=":")
    axs[0].set(xlabel="refinement", ylabel="||b - A x|| / ||b||",
               title=f"noise scale sweep (n = {ds.attrs['sweep_size']}, t = 1 s)")
    axs[0].legend(fontsize=7)
    ok = ds["noise_converged"].values.astype(bool)
    axs[1].plot(100 * ds["noise_mvm_error"][ok], ds["noise_refinements"][ok], "o-",
                label="converged")
    axs[1].plot(100 * ds["noise_mvm_error"][~ok], ds["noise_refinements"][~ok], "rx",
                label="stopped (not converged)")
    axs[1].set(xlabel="relative MVM error of the memory [%]",
               ylabel=f"refinements to {tol:g}", title="refinements vs memory imprecision")
    axs[1].legend(fontsize=7)
    paths.append(save_figure(fig, out / "noise_sweep.png"))

    fig, axs = plt.subplots(1, 2, figsize=(10, 4))
    for ax, c in zip(axs, ds["compensation"].values):
        for t in ds["time"].values:
            r = ds.sel(compensation=c, time=t)
            ax.semilogy(ds["refinement"], r["drift_residual"], "o-", ms=3,
                        label=f"t = {t:g} s ({100 * float(r.drift_mvm_error):.0f} %)")
        ax.axhline(tol, color="k", ls=":")
        ax.set(xlabel="refinement", ylabel="||b - A x|| / ||b||",
               title=f"read time sweep, drift compensation {'on' if c else 'off'}")
        ax.legend(fontsize=7)
    paths.append(save_figure(fig, out / "drift_sweep.png"))
    return paths


if __name__ == "__main__":
    import xarray as xr

    folder = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "out"
    ds = xr.open_zarr(folder / "legallo2018_mixed_precision.zarr").load()
    print("\n".join(str(p) for p in plot_all(ds, folder)))
