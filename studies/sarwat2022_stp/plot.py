"""Figures of the sarwat2022_stp study (PNG under out/)."""
from __future__ import annotations

import pathlib

import numpy as np

from pcmphys.plotting import save_figure


def plot_all(res, out):
    """Write stp_ppf.png, sequence.png, maxcut.png for the parts present; return paths."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = pathlib.Path(out)
    paths = []
    if "stp" in res:
        s, q, f = res["stp"], res["ppf"], res["ppf_fit"]
        fig, axs = plt.subplots(1, 2, figsize=(10, 4))
        amo = s["state"] == 0
        for sel, name in ((amo, "RESET (amorphous)"), (~amo, "SET (20 pulses)")):
            m = s["rel_change"][:, sel].mean(1)
            sd = s["rel_change"][:, sel].std(1)
            axs[0].plot(s["times"] * 1e3, m, label=name)
            axs[0].fill_between(s["times"] * 1e3, m - sd, m + sd, alpha=0.25)
        for t in s["pulse_times"]:
            axs[0].axvline(t * 1e3, color="0.8", lw=0.5)
        axs[0].set(xlabel="time [ms]", ylabel="ΔG / G_NV",
                   title="(a) STP under a 5-pulse gate train [E]")
        axs[0].legend()
        dt = q["intervals"]
        axs[1].errorbar(dt * 1e3, q["ppf_cell_mean"], q["ppf_cell_se"], fmt="s", ms=3,
                        label="mean of F2/F1 per cell")
        axs[1].semilogx(dt * 1e3, q["ppf"], "o", label="mean F2 / mean F1")
        tt = np.logspace(np.log10(dt.min()), np.log10(dt.max()), 100)
        axs[1].semilogx(tt * 1e3, 1 + f["c"] * np.exp(-tt / f["tau"]), "k-",
                        label=f"fit 1 + {f['c']:.2f} exp(-dt/{f['tau'] * 1e3:.0f} ms)")
        axs[1].set(xlabel="inter-pulse interval [ms]", ylabel="PPF",
                   title="paired-pulse facilitation")
        axs[1].legend(fontsize=8)
        paths.append(save_figure(fig, out / "stp_ppf.png", dpi=110))
    if "seq" in res:
        q = res["seq"]
        fig, axs = plt.subplots(1, 2, figsize=(10, 4), gridspec_kw={"width_ratios": [1.3, 1]})
        for mode, mk in (("long_term", "o-"), ("stp", "s-")):
            c = q[f"correct_{mode}"]
            se = np.sqrt(np.maximum(c.mean(0) * (1 - c.mean(0)), 1e-12) / c.shape[0])
            axs[0].errorbar(np.arange(c.shape[1]), c.mean(0), se, fmt=mk, ms=3,
                            label="long-term only" if mode == "long_term" else "with ST-STDP")
        axs[0].set(xlabel="frame (0 = canonical pose)", ylabel="recognition accuracy",
                   ylim=(-0.05, 1.05), title="(b) transforming shapes")
        axs[0].legend()
        X = q["frames"]
        T = X.shape[1]
        strip = np.concatenate([X[b, k] for b in range(min(4, X.shape[0]))
                                for k in (0, T // 2, T - 1)], axis=1)
        axs[1].imshow(strip, cmap="gray_r")
        axs[1].set(title="frames 0, T/2, T-1 of 4 sequences", xticks=[], yticks=[])
        paths.append(save_figure(fig, out / "sequence.png", dpi=110))
    if "maxcut" in res:
        rows = res["maxcut"]
        fig, axs = plt.subplots(1, 2, figsize=(10, 4))
        for n in sorted({r["n"] for r in rows}):
            rs = [r for r in rows if r["n"] == n]
            v0s = sorted({r["v0"] for r in rs})
            p = [np.concatenate([r["success"] for r in rs if r["v0"] == v]).mean() for v in v0s]
            ratio = [np.concatenate([r["final"] / r["best_known"] for r in rs
                                     if r["v0"] == v]).mean() for v in v0s]
            axs[0].plot(v0s, p, "o-", label=f"n = {n}")
            axs[1].plot(v0s, ratio, "o-", label=f"n = {n}")
        axs[0].set(xlabel="initial gate-noise amplitude V0 [V]", ylabel="P(final cut = reference)",
                   title="(c) Hopfield max-cut success")
        axs[1].set(xlabel="initial gate-noise amplitude V0 [V]",
                   ylabel="mean final cut / reference",
                   title="reference: exact (n<=24) or best known")
        axs[0].legend(fontsize=7)
        paths.append(save_figure(fig, out / "maxcut.png", dpi=110))
    return paths
