"""Figures of the tuma2016_neurons study (PNG under out/)."""
from __future__ import annotations

import pathlib

import numpy as np


def plot_all(res, out):
    """Write isi.png and population_coding.png; return their paths."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = pathlib.Path(out)
    paths = []
    rows = res["isi_rows"]
    fig, axs = plt.subplots(1, 3, figsize=(14, 4))
    bins = np.arange(1, 61)
    for r in rows:
        if r["amplitude"] == 100e-6 and r["hist"].sum():
            axs[0].step(bins, r["hist"] / r["hist"].sum(), where="mid",
                        label=f"G_fire {r['g_fire'] * 1e6:.0f} µS")
    axs[0].set(xlabel="ISI [input pulses]", ylabel="fraction", title="ISI distributions (100 µA)",
               xlim=(0, 40))
    axs[0].legend()
    g = [r for r in rows if r["amplitude"] == 100e-6]
    axs[1].errorbar([r["g_fire"] * 1e6 for r in g], [r["mean"] for r in g],
                    [r["std"] for r in g], fmt="o-", capsize=3, label="physical model (mean ± sd)")
    st = [r for r in g if "stat_mean" in r]
    axs[1].errorbar([r["g_fire"] * 1e6 + 0.1 for r in st], [r["stat_mean"] for r in st],
                    [r["stat_std"] for r in st], fmt="s--", capsize=3,
                    label="statistical model (Demirag re-fit)")
    axs[1].set(xlabel="G_fire [µS]", ylabel="ISI [pulses]", title="ISI vs threshold")
    axs[1].legend(fontsize=8)
    a = sorted([r for r in rows if r["g_fire"] == 5e-6], key=lambda r: r["amplitude"])
    axs[2].errorbar([r["amplitude"] * 1e6 for r in a], [r["mean"] for r in a],
                    [r["std"] for r in a], fmt="o-", capsize=3)
    axs[2].set(xlabel="input SET current [µA]", ylabel="ISI [pulses]",
               title="ISI vs input amplitude (G_fire 5 µS)")
    fig.tight_layout()
    fig.savefig(out / "isi.png", dpi=110)
    plt.close(fig)
    paths.append(out / "isi.png")

    pc = res["coding"]
    fig, axs = plt.subplots(1, 2, figsize=(11, 4))
    sp = pc["spikes"]
    t = np.arange(sp.shape[0])
    rate = sp.mean(1)
    axs[0].plot(t, rate, label=f"population rate ({sp.shape[1]} neurons)")
    axs[0].plot(t, rate.mean() + rate.std() * pc["signal"], "k--", lw=0.8, label="input (scaled)")
    axs[0].set(xlabel="input pulse", ylabel="spikes / neuron / pulse", title="population coding")
    axs[0].legend(fontsize=8)
    tab = pc["table"]
    axs[1].loglog([r["neurons"] for r in tab], [r["nrmse"] for r in tab], "o-")
    axs[1].set(xlabel="neurons", ylabel="NRMSE of the reconstructed input",
               title="reconstruction error vs population size")
    fig.tight_layout()
    fig.savefig(out / "population_coding.png", dpi=110)
    plt.close(fig)
    paths.append(out / "population_coding.png")
    return paths
