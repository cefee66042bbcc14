"""pcmphys: physical Monte Carlo simulation of phase-change memory cells on GPUs and CPUs.

Importing this package is cheap: it never imports cupy, dask or matplotlib, and loads
submodules (and the heavier libraries they need) only on first attribute access.

The ``ds.pcm`` accessor is registered for every xarray Dataset, also ones opened with plain
``xarray.open_zarr``: if xarray is already imported, ``import pcmphys`` registers it at once
(cheap: xarray is loaded); otherwise a one-shot import hook registers it right after the first
``import xarray``, so ``import pcmphys`` itself never imports xarray.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys

from ._version import __version__

# ---------------------------------------------------------------- public API (lead: edit here)
# Public names, resolved lazily on first access: name -> (module, attribute).
_LAZY_ATTRIBUTES = {
    "get_backend": ("pcmphys.backends", "get_backend"),
    "available_backends": ("pcmphys.backends", "available_backends"),
    "BackendUnavailable": ("pcmphys.backends", "BackendUnavailable"),
    "ParameterSet": ("pcmphys.parameters", "ParameterSet"),
    "ParameterError": ("pcmphys.parameters", "ParameterError"),
    "Population": ("pcmphys.population", "Population"),
    "Pulse": ("pcmphys.protocol", "Pulse"),
    "Read": ("pcmphys.protocol", "Read"),
    "Wait": ("pcmphys.protocol", "Wait"),
    "PulseTrain": ("pcmphys.protocol", "PulseTrain"),
    "ProtocolError": ("pcmphys.protocol", "ProtocolError"),
    "simulate": ("pcmphys.simulate", "simulate"),
    "open_results": ("pcmphys.results", "open_results"),
    "Crossbar": ("pcmphys.computing.crossbar", "Crossbar"),
    "StatisticalParams": ("pcmphys.statistical", "StatisticalParams"),
    "StatisticalPopulation": ("pcmphys.statistical", "StatisticalPopulation"),
    "fit": ("pcmphys.fit", "_package"),  # the callable pcmphys.fit package
    "simulate_distributed": ("pcmphys.distributed", "simulate_distributed"),
    "mixed_precision_solve": ("pcmphys.computing.solvers", "mixed_precision_solve"),
    "read_measurements": ("pcmphys.fit.measurements", "read_measurements"),
    "print_citations": ("pcmphys.accessor", "print_citations"),
    "citations": ("pcmphys.accessor", "citations"),
    "register_parameter_set": ("pcmphys.parameters.registry", "register_parameter_set"),
}
# ---------------------------------------------------------------- end of public API

# Submodules reachable as attributes (pcmphys.physics, pcmphys.backends, ...) on first use.
# (``simulate`` is left out on purpose: ``pcmphys.simulate`` is meant to be the function.)
_LAZY_SUBMODULES = frozenset({
    "backends", "characterization", "cli", "computing", "distributed", "fit", "memtransistor",
    "parameters", "physics", "plotting", "population", "protocol", "results", "rng",
    "statistical", "storage", "testing",
})

__all__ = ["__version__", *_LAZY_ATTRIBUTES]


def __getattr__(name):
    if name in _LAZY_ATTRIBUTES:
        module, attribute = _LAZY_ATTRIBUTES[name]
        value = getattr(importlib.import_module(module), attribute)
    elif name in _LAZY_SUBMODULES:
        value = importlib.import_module(f"{__name__}.{name}")
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value  # later look-ups skip __getattr__
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY_ATTRIBUTES) | _LAZY_SUBMODULES)


# ---------------------------------------------------------------- ds.pcm for every Dataset
class _AccessorHook(importlib.abc.MetaPathFinder):
    """One-shot finder: lets xarray load as usual, then registers ``ds.pcm``."""

    def find_spec(self, name, path=None, target=None):
        if name != "xarray":
            return None
        _remove_hook()
        spec = importlib.util.find_spec("xarray")
        if spec is not None and spec.loader is not None:
            spec.loader = _RegisteringLoader(spec.loader)
        return spec


class _RegisteringLoader(importlib.abc.Loader):
    def __init__(self, inner):
        self._inner = inner

    def create_module(self, spec):
        return self._inner.create_module(spec)

    def exec_module(self, module):
        self._inner.exec_module(module)
        _register_accessor()

    def __getattr__(self, name):  # resource readers and the like: the real loader's
        return getattr(self._inner, name)


def _remove_hook():
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, _AccessorHook)]


def _register_accessor():
    try:
        importlib.import_module("pcmphys.accessor")
    except ImportError:  # a broken xarray install: the accessor stays unavailable
        pass


if "xarray" in sys.modules:
    _register_accessor()
elif not any(isinstance(f, _AccessorHook) for f in sys.meta_path):
    sys.meta_path.insert(0, _AccessorHook())
