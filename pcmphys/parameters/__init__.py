"""Physical parameters: one frozen dataclass per mechanism, composed into ParameterSet.

Parameter sets are TOML files in ``sets/`` named after the paper that fixed them; every
parameter carries an SI unit, a reference key in ``CITATIONS.bib`` and an evidence tag.
Importing this package needs only NumPy (never scipy, xarray, cupy, matplotlib or dask).

>>> from pcmphys.parameters import ParameterSet, available_sets
>>> ps = ParameterSet.load("sebastian2017_gst90nm")        # doctest: +SKIP
"""
from pcmphys.parameters.core import (
    FieldInfo,
    Mechanism,
    ParameterError,
    format_si,
    param,
    parse_unit,
    to_si,
)
from pcmphys.parameters.mechanisms import (
    AmorphizationParams,
    ConductionParams,
    CrystallizationParams,
    FaultParams,
    NoiseParams,
    RelaxationParams,
    ThermalParams,
    ThresholdParams,
    VariabilityParams,
)
from pcmphys.parameters.set import ParameterSet, available_sets, params_dtype

__all__ = [
    "ParameterError", "ParameterSet", "available_sets", "params_dtype", "param", "Mechanism",
    "FieldInfo", "to_si", "format_si", "parse_unit",
    "ThermalParams", "AmorphizationParams", "CrystallizationParams", "RelaxationParams",
    "ConductionParams", "ThresholdParams", "NoiseParams", "VariabilityParams", "FaultParams",
]
