"""The ``ds.pcm`` xarray accessor: common analysis of simulate() results, and the citations
of a run (:func:`citations`, :func:`print_citations`).

Registered for every Dataset once pcmphys and xarray are both imported (``import pcmphys``
installs a one-shot hook if xarray comes later), so ``xarray.open_zarr(store).pcm`` works too.
Works on in-memory and lazily opened (dask) Datasets; statistics load one read at a time.
"""
from __future__ import annotations

import re

import numpy as np
import xarray as xr

__all__ = ["PcmAccessor", "citations", "print_citations"]

_DEFAULT_VARIABLES = ("resistance", "conductance", "current", "threshold_voltage", "u_a")


@xr.register_dataset_accessor("pcm")
class PcmAccessor:
    """Analysis helpers on a results Dataset: ``ds.pcm.drift_exponent()``,
    ``ds.pcm.statistics()``, ``ds.pcm.segments()``, ``ds.pcm.plot_trajectories()`` (split by
    protocol segment), ``ds.pcm.plot_distributions()``, ``ds.pcm.protocol()``,
    ``ds.pcm.parameters()``, ``ds.pcm.citations()``."""

    def __init__(self, ds):
        self._ds = ds

    # ------------------------------------------------------------------ helpers
    def _variable(self, variable):
        if variable is None:
            for name in _DEFAULT_VARIABLES:
                if name in self._ds.data_vars:
                    return name
            variable = next(iter(self._ds.data_vars), None)
        if variable not in self._ds.data_vars:
            raise KeyError(f"no variable {variable!r} in the results; recorded: "
                           f"{', '.join(map(str, self._ds.data_vars))}")
        return variable

    def last_relaxation_reads(self):
        """Indices of the reads after the last pulse (time since pulse > 0): the reads a
        drift fit uses by default."""
        ds = self._ds
        since = np.asarray(ds["time_since_pulse"].values, float)
        pulse_end = np.asarray(ds["last_pulse_end"].values, float)
        return np.flatnonzero((pulse_end == pulse_end[-1]) & (since > 0))

    # ------------------------------------------------------------------ analysis
    def drift_exponent(self, variable=None, reads=None):
        """Per-cell drift exponent from a least-squares fit of log X = log X0 + s log t.

        Parameters
        ----------
        variable : {"resistance", "conductance", "current"}, optional
            X; for resistance the exponent is nu = s, for conductance/current nu = -s.
            Default: the first of these that was recorded.
        reads : array_like of int, optional
            Read indices (default :meth:`last_relaxation_reads`); t is ``time_since_pulse``.

        Returns
        -------
        xarray.Dataset
            ``drift_exponent`` nu [1] and ``prefactor`` X0 (the value at t = 1 s) per
            device; NaN where a value is not positive and finite (lazy with dask).

        Notes
        -----
        R(t) = R0 (t / 1 s)^nu (Ielmini et al., IEEE TED 54, 308 (2007)).
        """
        if variable is None:
            recorded = [v for v in ("resistance", "conductance", "current") if v in self._ds]
            variable = recorded[0] if recorded else "resistance"   # _variable names the rest
        variable = self._variable(variable)
        ds = self._ds
        idx = self.last_relaxation_reads() if reads is None else np.asarray(reads)
        if len(idx) < 2:
            raise ValueError("a drift fit needs at least two reads after the last pulse "
                             f"(found {len(idx)})")
        x = np.log(ds["time_since_pulse"].values[idx].astype(float))
        xc = xr.DataArray(x - x.mean(), dims="read")
        values = ds[variable].isel(read=idx)
        y = np.log(values.where(values > 0))
        slope = (xc * (y - y.mean("read"))).sum("read") / float((xc ** 2).sum())
        intercept = y.mean("read") - slope * x.mean()
        sign = 1.0 if variable == "resistance" else -1.0
        units = ds[variable].attrs.get("units", "")
        return xr.Dataset({
            "drift_exponent": (sign * slope).assign_attrs(
                units="1", long_name=f"drift exponent nu of {variable}"),
            "prefactor": np.exp(intercept).assign_attrs(
                units=units, long_name=f"{variable} at 1 s after the last pulse (fit)"),
        })

    def statistics(self, variable=None, quantiles=(0.05, 0.5, 0.95), log=False):
        """Statistics over cells at each read (or recorded pulse).

        Parameters
        ----------
        variable : str, optional
            Default: resistance, else conductance, else the first variable.
        quantiles : sequence of float
            Quantiles in [0, 1] (NaN ignored).
        log : bool
            Statistics of log10 of the values (positive values only).

        Returns
        -------
        xarray.Dataset
            ``mean``, ``std``, ``min``, ``max``, ``count`` and ``quantiles`` (dim quantile),
            each along the variable's read/step dim; computed one column at a time so
            memory stays at one column of cells.
        """
        variable = self._variable(variable)
        da = self._ds[variable]
        if da.ndim != 2:
            raise ValueError(f"{variable} has dims {da.dims}; statistics need (device, read) "
                             "or (device, step)")
        dim = da.dims[1]
        rows = [self._column_stats(da.isel({dim: c}), quantiles, log)
                for c in range(da.sizes[dim])]
        units = "1" if log else da.attrs.get("units", "")
        label = f"log10 {variable}" if log else variable
        out = xr.Dataset(coords={"quantile": ("quantile", np.asarray(quantiles, float),
                                              {"units": "1", "long_name": "quantile level"})})
        for key in rows[0] if rows else ():
            values = np.array([r[key] for r in rows])
            out[key] = ((dim, "quantile") if key == "quantiles" else (dim,), values,
                        {"units": "1" if key == "count" else units,
                         "long_name": f"{key} of {label} over cells"})
        return out.assign_coords({k: v for k, v in da.coords.items() if v.dims == (dim,)})

    @staticmethod
    def _column_stats(da, quantiles, log):
        values = np.asarray(da.values, dtype=float)
        if log:
            values = np.log10(np.where(values > 0, values, np.nan))
        good = values[np.isfinite(values)]
        if good.size == 0:
            nan = float("nan")
            return {"mean": nan, "std": nan, "min": nan, "max": nan, "count": 0,
                    "quantiles": np.full(len(quantiles), nan)}
        return {"mean": good.mean(), "std": good.std(ddof=1) if good.size > 1 else 0.0,
                "min": good.min(), "max": good.max(), "count": good.size,
                "quantiles": np.quantile(good, quantiles)}

    # ------------------------------------------------------------------ provenance
    def protocol(self):
        """The protocol of the run (scale arrays loaded from the ``scale_step*`` variables)."""
        from pcmphys.protocol import PulseTrain

        arrays = {k: np.asarray(v.values) for k, v in self._ds.data_vars.items()
                  if str(k).startswith("scale_step")}
        return PulseTrain.from_toml(self._ds.attrs["protocol"], arrays=arrays)

    def citations(self, format="text"):
        """The references the run used (see :func:`pcmphys.citations`)."""
        return citations(self._ds, format)

    def parameters(self):
        """The ParameterSet of the run (from the ``parameter_set`` TOML attribute)."""
        from pcmphys.parameters import ParameterSet

        return ParameterSet.from_toml(self._ds.attrs["parameter_set"], source="results attrs")

    # ------------------------------------------------------------------ plots
    def plot_trajectories(self, variable=None, devices=20, x="time_since_pulse", ax=None):
        """Plot ``variable`` of some cells, split by protocol segment
        (:func:`pcmphys.plotting.plot_trajectories`): against the time since each segment's
        last pulse on a log axis by default.

        Parameters
        ----------
        devices : int or array_like of int
            Number of cells (evenly spread) or their indices.
        x : {"time_since_pulse", "time", "read"}
        """
        from pcmphys.plotting import plot_trajectories

        return plot_trajectories(self._ds, self._variable(variable), devices, x, ax)

    def segments(self):
        """Read indices per protocol segment (reads after the same pulse)."""
        from pcmphys.plotting import read_segments

        return read_segments(self._ds)

    def plot_distributions(self, variable=None, reads=None, bins=60, ax=None, log=True):
        """Histograms of ``variable`` over cells at a few reads (default first, middle,
        last), of log10 values when ``log``."""
        import matplotlib.pyplot as plt

        variable = self._variable(variable)
        da = self._ds[variable]
        dim = da.dims[1]
        n = da.sizes[dim]
        reads = sorted({0, n // 2, n - 1}) if reads is None else list(reads)
        ax = ax or plt.subplots(figsize=(6, 4))[1]
        for r in reads:
            values = np.asarray(da.isel({dim: r}).values, float)
            if log:
                values = np.log10(values[values > 0])
            values = values[np.isfinite(values)]
            label = f"{dim} {r}"
            if "time_since_pulse" in da[dim].coords or "time_since_pulse" in da.coords:
                label += f" (t = {float(da['time_since_pulse'][r]):.3g} s)"
            ax.hist(values, bins=bins, histtype="step", density=True, label=label)
        unit = da.attrs.get("units", "")
        ax.set_xlabel(f"log10({variable} / {unit})" if log else f"{variable} [{unit}]")
        ax.set_ylabel("density")
        ax.legend(fontsize="small")
        return ax


# ---------------------------------------------------------------------- citations
def _bibtex_of(source):
    """(bibtex text, what it is) of a Dataset, a results store, or a parameter set."""
    import os

    from pcmphys.parameters import ParameterSet

    if isinstance(source, xr.Dataset):
        attrs = source.attrs
        if attrs.get("citations"):
            return str(attrs["citations"]), _run_label(attrs)
        for key in ("parameter_set", "parameters"):
            text = attrs.get(key)
            if isinstance(text, str) and "[" in text:
                ps = ParameterSet.from_toml(text, source=f"results attribute {key!r}")
                return ps.citations(), _run_label(attrs)
        raise KeyError("the Dataset records no citations and no parameter set (attributes "
                       "'citations', 'parameter_set' or 'parameters')")
    path = os.fspath(source)
    if os.path.isdir(path):
        from pcmphys.results import open_results

        return _bibtex_of(open_results(path, allow_incomplete=True))
    ps = ParameterSet.load(path)
    return ps.citations(), f"parameter set {ps.name!r}"


def _run_label(attrs):
    parts = [str(attrs[k]) for k in ("title", "study", "parameter_set_name") if attrs.get(k)]
    version = attrs.get("pcmphys_version")
    return (", ".join(parts) or "run") + (f" (pcmphys {version})" if version else "")


def _bib_fields(entry):
    """``(type, key, {field: value})`` of one bibtex entry (brace-delimited values)."""
    head = re.match(r"@\s*(\w+)\s*\{\s*([^,\s]+)\s*,", entry)
    fields, pos = {}, head.end() if head else 0
    for match in re.finditer(r"(\w+)\s*=\s*", entry[pos:]):
        start = pos + match.end()
        if start >= len(entry):
            break
        if entry[start] == "{":
            depth = 0
            for end in range(start, len(entry)):
                depth += {"{": 1, "}": -1}.get(entry[end], 0)
                if depth == 0:
                    break
            value = entry[start + 1:end]
        else:
            value = re.match(r"[^,}\s]*", entry[start:]).group()
        fields.setdefault(match.group(1).lower(), re.sub(r"[{}]", "", value).strip())
    return (head.group(1), head.group(2), fields) if head else ("", "", fields)


def _text_line(entry):
    kind, key, f = _bib_fields(entry)
    authors = [a.strip() for a in f.get("author", "").split(" and ") if a.strip()]
    who = (authors[0].split(",")[0] + (" et al." if len(authors) > 2 else
                                        f" and {authors[1].split(',')[0]}"
                                        if len(authors) == 2 else "")) if authors else ""
    where = " ".join(x for x in (f.get("journal") or f.get("booktitle", ""), f.get("volume", ""))
                     if x)
    pages = f", {f['pages']}" if f.get("pages") else ""
    year = f" ({f['year']})" if f.get("year") else ""
    doi = f", doi:{f['doi']}" if f.get("doi") else ""
    text = ", ".join(x for x in (who, f.get("title", "")) if x)
    return f"[{key}] {text}. {where}{pages}{year}{doi}".replace(" .", ".")


def citations(source, format="text"):
    """The references a run used (its parameter set's sources), as text.

    Parameters
    ----------
    source : xarray.Dataset, str or os.PathLike
        A results Dataset (its ``citations`` attribute, else its parameter set), the path of
        a results store, or a parameter set name / TOML file.
    format : {"text", "bibtex"}
        One line per reference (author, title, journal, year, doi) or the bibtex entries.

    Returns
    -------
    str
    """
    if format not in ("text", "bibtex"):
        raise ValueError(f"format must be 'text' or 'bibtex', got {format!r}")
    bibtex, label = _bibtex_of(source)
    entries = [e for e in re.split(r"\n(?=@|%)", bibtex.strip()) if e.strip()]
    if format == "bibtex":
        return f"% references of {label}\n" + "\n".join(entries) + "\n"
    lines = [f"References of {label}: {len(entries)}"]
    lines += [e.strip() if e.startswith("%") else _text_line(e) for e in entries]
    return "\n".join(lines) + "\n"


def print_citations(source, format="text"):
    """Print :func:`citations` of a Dataset, a results store or a parameter set."""
    print(citations(source, format), end="")
