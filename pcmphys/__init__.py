"""pcmphys: physical Monte Carlo simulation of phase-change memory cells on GPUs and CPUs.

Importing this package is cheap: it never imports cupy, dask or matplotlib, and loads
submodules (and the heavier libraries they need) only on first attribute access.
"""

from __future__ import annotations

import importlib

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
