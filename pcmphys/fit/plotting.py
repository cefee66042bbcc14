"""Comparison figure of a FitResult (matplotlib is imported only here).

Each protocol segment is drawn on its own axes: drift segments against the time since the
pulse on a log axis, Arrhenius segments against 1/kT, pulse trains (accumulation) against the
pulse number; a last panel shows the standardised residual of every statistic.
"""
from __future__ import annotations

import numpy as np

_K_B = 8.617333262e-5  # Boltzmann constant [eV/K]


def comparison_figure(result, path=None):
    """Measured vs fitted statistics on the protocol's own axes, and z-residuals.

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

    panels = protocol_panels(result.measured)
    fig, axes = plt.subplots(1, len(panels) + 1, figsize=(4.6 * (len(panels) + 1), 4.2),
                             constrained_layout=True, squeeze=False)
    axes = axes[0]
    summary = result.measured.attrs.get("form") == "summary"
    stats = _per_event(result.statistics, summary)
    for ax, (kind, groups) in zip(axes, panels):
        _draw_panel(ax, kind, groups, result.measured, stats, summary)
    ax = axes[-1]
    table = result.statistics
    ax.axhspan(-2, 2, color="0.9", label="|z| < 2")
    ax.plot(np.arange(len(table)), table["z"], ".", ms=4)
    ax.set_xlabel("statistic (index)")
    ax.set_ylabel("z = (model - measured) / se")
    text = "\n".join(f"{k.split('.')[-1]} = {v:.4g} ± {result.uncertainty[k]:.2g} "
                     f"{result.units[k]}" for k, v in result.values.items())
    ax.set_title(f"cost {result.cost:.2f}\n{text}", fontsize="small")
    ax.legend(fontsize="small", loc="best")
    if path is not None:
        fig.savefig(path, dpi=120, bbox_inches="tight")
    return fig


def protocol_panels(measured):
    """The panels a measured Dataset calls for.

    Returns
    -------
    list of (kind, list of ndarray of int)
        kind ``"drift"`` (event groups of each drift segment), ``"arrhenius"``,
        ``"accumulation"`` (the events that follow pulses, when there are at least 3) or,
        when none applies, ``"event"``.
    """
    from pcmphys.fit.schema import segments

    drift, arrhenius = segments(measured)
    n = measured["n_pulses"].values
    include = (measured["include"].values if "include" in measured.coords
               else np.ones(n.size, bool))
    pulsed = np.flatnonzero((n > 0) & include)
    panels = []
    if drift:
        panels.append(("drift", drift))
    if arrhenius:
        panels.append(("arrhenius", arrhenius))
    if pulsed.size >= 3 and not drift:
        panels.append(("accumulation", [pulsed]))
    if not panels:
        panels.append(("event", [np.flatnonzero(include)]))
    return panels


def _per_event(table, summary):
    """``{kind: {event: (measured, simulated, se)}}`` of the per-event statistics."""
    out = {}
    for name, m, s, se in zip(table["name"], table["measured"], table["simulated"],
                              table["se"]):
        if "@event" not in name:
            continue
        head, event = name.rsplit("@event", 1)
        kind = head.split()[0]  # mean, std, q10, q90
        out.setdefault(kind, {})[int(event)] = (m, s, se)
    return out


def _draw_panel(ax, kind, groups, measured, stats, summary):
    n_pulses = measured["n_pulses"].values
    x_all = {"drift": measured["time_since_pulse"].values,
             "arrhenius": 1.0 / (_K_B * measured["read_temperature"].values),
             "accumulation": np.cumsum(n_pulses).astype(float),
             "event": np.arange(n_pulses.size, dtype=float)}[kind]
    label = {"drift": "time since the pulse [s]", "arrhenius": "1 / kT [1/eV]",
             "accumulation": "pulse number", "event": "event"}[kind]
    means = stats.get("mean", {})
    for i, events in enumerate(groups):
        events = [e for e in events if e in means]
        if not events:
            continue
        x = x_all[events]
        m, s, se = (np.array([means[e][j] for e in events]) for j in range(3))
        color = f"C{i % 10}"
        tag = f" ({kind} {i})" if len(groups) > 1 else ""
        ax.errorbar(x, m, yerr=se, fmt="o", ms=3, color=color, label=f"measured{tag}")
        ax.plot(x, s, "-", color=color, alpha=0.8, label=f"fitted model{tag}")
        if not summary:
            for q in ("q10", "q90"):
                qs = stats.get(q, {})
                sel = [e for e in events if e in qs]
                if sel:
                    ax.plot(x_all[sel], [qs[e][0] for e in sel], ".", ms=2, color=color,
                            alpha=0.4)
                    ax.plot(x_all[sel], [qs[e][1] for e in sel], "--", color=color,
                            alpha=0.5)
    if kind == "drift":
        ax.set_xscale("log")
    ax.set_xlabel(label)
    ax.set_ylabel("mean G [µS]" if summary else "log10(G / S): mean ± se\n"
                  "(dots/dashes: 10 % and 90 % quantiles)")
    ax.set_title({"drift": "drift after programming", "arrhenius": "read temperature "
                  "(Arrhenius)", "accumulation": "pulse train (accumulation)",
                  "event": "per event"}[kind], fontsize="medium")
    ax.legend(fontsize="x-small")
