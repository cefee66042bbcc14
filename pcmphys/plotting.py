"""Plotting helpers: figures of results (trajectories split by protocol segment) and the
study scripts' save_figure (matplotlib is imported on use only)."""
from __future__ import annotations

__all__ = ["plot_trajectories", "read_segments", "save_figure"]


def save_figure(fig, path, dpi=120):
    """Lay out ``fig``, write it to ``path`` (PNG by suffix), close it; returns ``path``."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path


def read_segments(ds):
    """Reads grouped by protocol segment: consecutive reads after the same pulse.

    Parameters
    ----------
    ds : xarray.Dataset
        simulate() results (coordinates ``last_pulse_end`` and ``time_since_pulse`` over
        ``read``).

    Returns
    -------
    list of ndarray of int
        Read indices of each segment, in time order. Without ``last_pulse_end`` all reads
        form one segment.
    """
    import numpy as np

    n = ds.sizes.get("read", 0)
    if "last_pulse_end" not in ds.coords:
        return [np.arange(n)]
    ends = np.asarray(ds["last_pulse_end"].values, float)
    cuts = np.flatnonzero(ends[1:] != ends[:-1]) + 1
    return [s for s in np.split(np.arange(n), cuts) if s.size]


def plot_trajectories(ds, variable, devices=20, x="time_since_pulse", ax=None):
    """Cell trajectories of ``variable``, split by protocol segment.

    With ``x="time_since_pulse"`` each segment (the reads after one pulse) is drawn against
    the time since that segment's last pulse on a log axis, one colour per segment, so a
    cell's line never runs back in time across a pulse; reads at 0 s (immediately after a
    pulse) cannot sit on a log axis and are left out (the title says how many). ``x="time"``
    or ``"read"`` draws whole trajectories against the run's clock or the read index.

    Parameters
    ----------
    ds : xarray.Dataset
    variable : str
        A (device, read) variable.
    devices : int or array_like of int
        Number of cells (evenly spread) or their indices.
    x : {"time_since_pulse", "time", "read"}
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt
    import numpy as np

    da = ds[variable]
    dim = da.dims[1]
    picks = (np.linspace(0, da.sizes["device"] - 1, min(int(devices), da.sizes["device"]))
             .astype(int) if np.isscalar(devices) else np.asarray(devices))
    y = np.asarray(da.isel(device=picks).values, float)
    ax = ax or plt.subplots(figsize=(6, 4))[1]
    unit = da.attrs.get("units", "")
    if x == "time_since_pulse" and dim == "read" and x in da.coords:
        t = np.asarray(da[x].values, float)
        segments = read_segments(ds)
        dropped = 0
        for k, seg in enumerate(segments):
            keep = seg[t[seg] > 0]
            dropped += seg.size - keep.size
            if keep.size == 0:
                continue
            start = float(ds["last_pulse_end"].values[seg[0]]) if "last_pulse_end" in \
                ds.coords else 0.0
            lines = ax.plot(t[keep], y[:, keep].T, lw=0.8, alpha=0.7, color=f"C{k % 10}",
                            marker="." if keep.size == 1 else None)
            lines[0].set_label(f"segment {k} (pulse ended at {start:.3g} s)")
        ax.set_xscale("log")
        ax.set_xlabel(f"time since the segment's last pulse [{da[x].attrs.get('units', 's')}]")
        note = f"; {dropped} reads at 0 s not shown" if dropped else ""
        ax.set_title(f"{len(picks)} cells, {len(segments)} protocol segments{note}",
                     fontsize="medium")
        if len(segments) <= 12:
            ax.legend(fontsize="x-small")
    else:
        xs = (np.arange(da.sizes[dim]) if x == "read" or x not in da.coords
              else np.asarray(da[x].values, float))
        ax.plot(xs, y.T, lw=0.8, alpha=0.7)
        if np.all(xs > 0):
            ax.set_xscale("log")
        ax.set_xlabel(f"{x} [{da[x].attrs.get('units', '')}]" if x in da.coords else dim)
        ax.set_title(f"{len(picks)} cell trajectories", fontsize="medium")
    finite = y[np.isfinite(y)]
    if finite.size and np.all(finite > 0):
        ax.set_yscale("log")
    ax.set_ylabel(f"{variable} [{unit}]")
    return ax
