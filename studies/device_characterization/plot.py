"""Figures of the device-characterisation study (tutorial Fig. 3 a-d)."""
from __future__ import annotations

import pathlib

import numpy as np

from pcmphys.plotting import save_figure


def plot_all(res, out):
    """Write fig3_programming.png, fig3_drift_noise.png, fig3_accumulation.png; return paths."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = pathlib.Path(out)
    paths = []

    # (a) programming curve
    pr = res["programming"]
    I = res["programming_currents"] * 1e6
    R = pr["resistance"][:, pr["healthy"]]
    fig, ax = plt.subplots(figsize=(5, 4))
    ax.fill_between(I, np.percentile(R, 10, axis=1), np.percentile(R, 90, axis=1), alpha=0.3,
                    label="10-90 %")
    ax.semilogy(I, np.median(R, axis=1), "o-", label="median")
    ax.set(xlabel="RESET current [µA] (50 ns pulses, SET start)", ylabel="resistance [Ω]",
           title="(a) programming curve")
    ax.legend()
    paths.append(save_figure(fig, out / "fig3_programming.png"))

    # (b) drift and 1/f noise
    dr = res["drift"]
    fig, axs = plt.subplots(1, 2, figsize=(10, 4))
    Rd = dr["resistance"][:, dr["healthy"]]
    axs[0].loglog(dr["times"], Rd[:, :30], color="0.7", lw=0.6)
    axs[0].loglog(dr["times"], np.median(Rd, axis=1), "k-o", label="median")
    axs[0].set(xlabel="time after RESET [s]", ylabel="resistance [Ω]", title="(b) drift")
    axs[0].legend()
    nt = res["noise_trace"]
    axs[1].semilogx(nt["times"], nt["conductance"] * 1e9, lw=0.6)
    axs[1].set(xlabel="time after RESET [s]", ylabel="conductance [nS]",
               title="drift with 1/f read noise (4 cells)")
    paths.append(save_figure(fig, out / "fig3_drift_noise.png"))

    # (c, d) accumulation in R and in G
    fig, axs = plt.subplots(1, 2, figsize=(10, 4))
    for key in sorted(k for k in res if k.startswith("acc_")):
        acc = res[key]
        G = acc["conductance"][:, acc["healthy"]]
        n = np.arange(G.shape[0])
        m, s = G.mean(axis=1) * 1e6, G.std(axis=1) * 1e6
        axs[1].errorbar(n, m, yerr=s, capsize=2, lw=1, label=key[4:])
        axs[0].semilogy(n, np.median(1.0 / G, axis=1), "-o", ms=3, label=key[4:])
    axs[0].set(xlabel="SET pulse number (50 ns)", ylabel="median resistance [Ω]",
               title="(c) accumulation in R")
    axs[1].set(xlabel="SET pulse number (50 ns)", ylabel="conductance [µS] (mean ± σ)",
               title="(d) accumulation in G")
    axs[0].legend()
    axs[1].legend()
    paths.append(save_figure(fig, out / "fig3_accumulation.png"))
    return paths


