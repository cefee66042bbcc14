"""Comparison figure of a FitResult (matplotlib is imported only here)."""
from __future__ import annotations

import numpy as np


def comparison_figure(result, path=None):
    """Measured vs fitted statistics per event (left, middle) and z-residuals (right).

    Parameters
    ----------
    result : FitResult
    path : str or os.PathLike, optional
        Image file to write (any matplotlib format).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib

    if path is not None:
        matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    table = result.statistics
    fig, axes = plt.subplots(1, 3, figsize=(14, 4), constrained_layout=True)
    summary = result.measured.attrs.get("form") == "summary"
    for ax, kind in zip(axes[:2], ("mean", "std")):
        rows = table[table["kind"] == kind]
        x = _event_numbers(rows["name"])
        ax.errorbar(x, rows["measured"], yerr=rows["se"], fmt="o", ms=3, label="measured")
        ax.plot(x, rows["simulated"], "-", label="fitted model")
        if kind == "mean" and not summary:
            for q in ("q10", "q90"):
                sel = table[table["name"].str.startswith(q)]
                x = _event_numbers(sel["name"])
                ax.plot(x, sel["measured"], "o", ms=2, color="C0", alpha=0.4)
                ax.plot(x, sel["simulated"], "--", color="C1", alpha=0.6)
        unit = "G [uS]" if summary else "log10 G [log10 S]"
        ax.set_xlabel("event")
        ax.set_ylabel(f"{kind} {unit}" + ("" if summary or kind == "std" else
                                          " (dashed: 10/90 % quantiles)"))
        ax.legend(fontsize="small")
    ax = axes[2]
    ax.axhspan(-2, 2, color="0.9")
    ax.plot(np.arange(len(table)), table["z"], ".", ms=4)
    ax.set_xlabel("statistic")
    ax.set_ylabel("z = (model - measured) / se")
    text = "\n".join(f"{k.split('.')[-1]} = {v:.4g} ± {result.uncertainty[k]:.2g} "
                     f"{result.units[k]}" for k, v in result.values.items())
    ax.set_title(f"cost {result.cost:.2f}\n{text}", fontsize="small")
    if path is not None:
        fig.savefig(path, dpi=120)
    return fig


def _event_numbers(names):
    """Event numbers of per-event statistic names (``"... @event 12"``)."""
    return np.array([int(n.rsplit("@event", 1)[1]) for n in names])
