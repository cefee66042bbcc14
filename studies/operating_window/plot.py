"""Figures of the operating-window study."""
from __future__ import annotations

import pathlib

import numpy as np

from pcmphys.plotting import save_figure


def plot_all(r, out):
    """Write the seven figures of the study; return their paths."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from run import BAKE_C, CURRENTS, MELT_CURRENTS, WIDTHS, aihwkit_nu

    out = pathlib.Path(out)
    paths = []

    def done(fig, name):
        paths.append(save_figure(fig, out / name))
        plt.close(fig)

    fig, ax = plt.subplots(figsize=(5.5, 4))
    for current in CURRENTS:
        ax.plot(np.arange(41), r["acc"][current].mean(axis=1) * 1e6,
                label=f"{current * 1e6:.0f} µA")
    ax.plot([1, 5, 10, 20, 40], [0.98, 3.84, 6.24, 8.8, 10.3], "ko", label="Nandakumar 100 µA")
    ax.set(xlabel="SET pulses (50 ns)", ylabel="mean G [µS]", title="accumulation vs current")
    ax.legend(fontsize=7, ncol=2)
    done(fig, "accumulation_vs_current.png")

    fig, ax = plt.subplots(figsize=(5, 4))
    for start, frac in r["melt"].items():
        ax.plot(np.array(MELT_CURRENTS) * 1e6, frac, "o-", label=f"start: {start}")
    ax.axvline(150, color="grey", ls=":")
    ax.set(xlabel="current of one 50 ns pulse [µA]", ylabel="melt-quenched fraction",
           title="melting vs current")
    ax.legend()
    done(fig, "melt_fraction.png")

    fig, ax = plt.subplots(figsize=(5, 4))
    ax.semilogx(WIDTHS, r["width"] * 1e6, "o-", label="100 µA from RESET")
    ax.axhline(r["reset"]["g_set"] * 1e6, color="k", ls="--", label="full SET")
    ax.set(xlabel="pulse width [s]", ylabel="mean G [µS]", title="G vs SET pulse width")
    ax.legend()
    done(fig, "g_vs_width.png")

    fig, ax = plt.subplots(figsize=(5, 4))
    R = r["prog"]["resistance"]
    I = r["prog"]["currents"] * 1e6
    ax.fill_between(I, np.percentile(R, 10, axis=1), np.percentile(R, 90, axis=1), alpha=0.3)
    ax.semilogy(I, np.median(R, axis=1), "o-")
    ax.set(xlabel="pulse current [µA] (50 ns, from a full SET)", ylabel="resistance [Ω]",
           title="programming curve")
    done(fig, "programming_curve.png")

    fig, ax = plt.subplots(figsize=(5, 4))
    g = np.logspace(np.log10(0.002), 0, 100)
    mu, sd = aihwkit_nu(g)
    ax.fill_between(g * 25, mu - sd, mu + sd, color="orange", alpha=0.3, label="aihwkit μ±σ")
    ax.semilogx(r["drift"]["g1"] * 1e6, r["drift"]["nu"], ".", ms=2, alpha=0.4, label="cells")
    ax.set(xlabel="G at 1 s [µS]", ylabel="ν (1 s – 1e5 s)", title="drift exponent vs state")
    ax.legend()
    done(fig, "nu_vs_g.png")

    fig, ax = plt.subplots(figsize=(5, 4))
    ax.loglog(r["noise"]["times"], r["noise"]["trace"] * 1e6, lw=0.7)
    ax.set(xlabel="time after RESET [s]", ylabel="G [µS]", title="read traces, RESET cells")
    done(fig, "read_traces.png")

    fig, ax = plt.subplots(figsize=(5, 4))
    T = np.array(BAKE_C) + 273.15
    t50 = r["ret"]["t50"]
    x = 1.0 / (8.617333262e-5 * T)
    ax.semilogy(x, t50, "o", label="simulated median")
    xs = np.linspace(x.min(), 1.0 / (8.617333262e-5 * 358.15), 50)
    ok = np.isfinite(t50)
    fit = np.polyfit(x[ok], np.log(t50[ok]), 1)
    ax.semilogy(xs, np.exp(np.polyval(fit, xs)), "--",
                label=f"E_a = {fit[0]:.2f} eV; 85 °C: {r['ret']['t85_years']:.3g} y")
    ax.set(xlabel="1 / k_B T [1/eV]", ylabel="time to crystallise [s]",
           title="retention (bake, read at 300 K)")
    ax.legend(fontsize=8)
    done(fig, "retention_arrhenius.png")
    return paths
