"""Figures of the training study: accuracy vs epoch per scheme (the tutorial's Fig. 10a),
conductance histograms of the trained first layer, accuracy after drift.

Usage: python studies/burr2015_ambrogio2018_training/plot.py [--out folder]
(reads <out>/results.json written by run.py).
"""
from __future__ import annotations

import argparse
import json
import math
import pathlib

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent


def _groups(records):
    groups = {}
    for r in records:
        groups.setdefault((r["section"], r["label"]), []).append(r)
    return groups


def make_figures(records, out):
    """Write accuracy_vs_epoch.png, conductance_histograms.png, drift.png into `out`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = pathlib.Path(out)
    groups = _groups(records)
    sections = sorted({s for s, _ in groups})
    fig, axes = plt.subplots(1, len(sections), figsize=(6 * len(sections), 4.2), squeeze=False)
    for ax, sec in zip(axes[0], sections):
        for (s, label), recs in groups.items():
            if s != sec:
                continue
            c = np.array([r["curve"] for r in recs]) * 100
            m = c.mean(0)
            se = c.std(0, ddof=1) / math.sqrt(len(c)) if len(c) > 1 else 0 * m
            ep = np.arange(len(m))
            ax.errorbar(ep, m, yerr=se, marker="o", ms=3, capsize=2,
                        label=f"{label} [{recs[0]['cells']}]")
        r0 = next(r for (s, _), rr in groups.items() if s == sec for r in rr)
        ax.set_title(f"{sec} cells: {r0['source']}, {'-'.join(map(str, r0['sizes']))}")
        ax.set_xlabel("epoch")
        ax.set_ylabel("test accuracy [%]")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "accuracy_vs_epoch.png", dpi=120)
    plt.close(fig)

    hists = [(sec, label, r) for (sec, label), rr in groups.items() for r in rr
             if r.get("conductances")]
    if hists:
        n = len(hists)
        cols = min(4, n)
        rows = int(math.ceil(n / cols))
        fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols, 2.8 * rows), squeeze=False)
        for ax, (_, label, r) in zip(axes.flat, hists):
            h = r["conductances"]
            e = np.array(h["edges"]) * 1e6
            for i, name in enumerate(("G+", "G-")):
                ax.stairs(h["counts"][i], e, label=name)
            ax.set_yscale("log")
            ax.set_title(f"{label} [{r['cells']}]", fontsize=8)
            ax.set_xlabel("G [uS]", fontsize=8)
            ax.legend(fontsize=7)
        for ax in list(axes.flat)[n:]:
            ax.axis("off")
        fig.tight_layout()
        fig.savefig(out / "conductance_histograms.png", dpi=120)
        plt.close(fig)

    fig, axes = plt.subplots(1, len(sections), figsize=(6 * len(sections), 4.2), squeeze=False)
    times = ["0", "3600", "86400", "2.592e+06"]
    for ax, sec in zip(axes[0], sections):
        for (s, label), recs in groups.items():
            if s != sec or recs[0]["cells"] == "float":
                continue
            for comp, ls in (("raw", "--"), ("comp", "-")):
                v = np.array([[r["drift"][f"{t}/{comp}"] for t in times] for r in recs]) * 100
                ax.plot([1, 3600, 86400, 2.592e6], v.mean(0), ls, marker="o", ms=3,
                        label=f"{label} {comp}")
        ax.set_xscale("log")
        ax.set_xlabel("time after training [s] (0 plotted at 1 s)")
        ax.set_ylabel("test accuracy [%]")
        ax.set_title(f"{sec} cells: drift (dashed: no compensation)")
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=6, ncol=2)
    fig.tight_layout()
    fig.savefig(out / "drift.png", dpi=120)
    plt.close(fig)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(HERE / "out"))
    args = ap.parse_args(argv)
    out = pathlib.Path(args.out)
    records = list(json.loads((out / "results.json").read_text()).values())
    make_figures(records, out)


if __name__ == "__main__":
    main()
