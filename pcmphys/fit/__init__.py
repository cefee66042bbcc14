"""Fitting device parameters to measured data.

Measured-data schema
--------------------
An :class:`xarray.Dataset` in one of two forms.

*Per-device form* (data from your own array), dims ``(device, event)``:

``conductance`` (device, event) [S] -- or ``resistance`` [Ohm] (converted to G = 1/R)
    One reading per cell and event. ``attrs["units"]`` may declare another unit ("uS",
    "kOhm"); without it SI is assumed and checked by magnitude: a median outside
    1e-13..1e-2 S (1e3..1e13 Ohm) raises an error saying which unit the values look like.
    NaN readings raise (or drop their devices with ``nan="drop-devices"``); readings must be
    > 0. Remove defective cells beforehand, as the simulated side does.

*Summary form* (published curves), dim ``event``:

``conductance_mean``, ``conductance_std`` (event) [S]
    Mean and standard deviation of G over the cells, with ``conductance_mean_uncertainty``
    and ``conductance_std_uncertainty`` [S] or ``attrs["relative_uncertainty"]``.

Event coordinates (the protocol that produced the data; one event = one read):

=====================  ========  =========================================================
``n_pulses``           1         identical pulses applied since the previous event (>= 1
                                  for the first event; 0 for a further read of the same
                                  state). Required.
``pulse_mode``         --        "current" (default) or "voltage"
``pulse_amplitude``    A or V    pulse current (current mode) or voltage; needed where
                                  n_pulses > 0
``pulse_width``        s         flat-top width; needed where n_pulses > 0
``pulse_rise_time``    s         default 2 ns
``pulse_fall_time``    s         default 2 ns
``time_since_pulse``   s         time of the read after the end of the last pulse.
                                  Required; must not decrease between events without a
                                  pulse in between.
``wait_temperature``   K         temperature of the rest before the read (bake); NaN or
                                  absent: ambient
``read_temperature``   K         temperature of the read (Arrhenius); NaN: ambient
``read_voltage``       V         default 0.2 V
``include``            bool      False: simulate the event's pulses but leave its reading
                                  out of the statistics (default True)
=====================  ========  =========================================================

Out-of-range protocol values are reported with the unit they look like (a pulse width of 50
"s" looks like ns, a temperature of 85 "K" like degC, a current of 100 "A" like uA).

CSV long tables (:func:`read_measured`, :func:`from_table`) have one row per device and
event with columns ``device``, ``event``, ``conductance`` (or ``resistance``) and the event
coordinates above; a header may carry its unit in brackets: ``conductance [uS]``,
``pulse_width [ns]``, ``read_temperature [degC]``. zarr stores and netCDF files are opened
with xarray; nothing is ever unpickled.

Fitting
-------
:func:`fit` simulates the measured protocol with a fixed seed (common random numbers),
compares summary statistics (:mod:`pcmphys.fit.statistics`), minimises their standardised
discrepancy with scipy.optimize (global Latin-hypercube or differential-evolution stage, then
Nelder-Mead or least squares), and returns a :class:`FitResult` with the fitted ParameterSet,
the cost, bootstrap uncertainties, identifiability warnings and a comparison figure. It
raises :class:`FitError` rather than return a fit that does not reproduce the data.

Published curves to fit against ship in ``data/published`` (:func:`load_published`).
"""
from __future__ import annotations

import sys as _sys
import types as _types

from pcmphys.fit.core import FitError, FitResult, FitWarning, FreeParameter, fit
from pcmphys.fit.protocols import (
    accumulation_events,
    arrhenius_events,
    concat_events,
    drift_events,
    events_dataset,
    simulate_measurement,
)
from pcmphys.fit.published import list_published, load_published
from pcmphys.fit.schema import (
    EVENT_COORDS,
    MeasuredDataError,
    from_table,
    read_measured,
    to_protocol,
    to_table,
    validate_measured,
)

__all__ = [
    "EVENT_COORDS",
    "FitError",
    "FitResult",
    "FitWarning",
    "FreeParameter",
    "MeasuredDataError",
    "accumulation_events",
    "arrhenius_events",
    "concat_events",
    "drift_events",
    "events_dataset",
    "fit",
    "from_table",
    "list_published",
    "load_published",
    "read_measured",
    "simulate_measurement",
    "to_protocol",
    "to_table",
    "validate_measured",
]


class _CallableModule(_types.ModuleType):
    """``import pcmphys.fit`` binds this package to the attribute ``pcmphys.fit`` that the
    public API uses for the function; calling the package calls :func:`fit`, so
    ``pcmphys.fit(...)`` works whatever was imported first (as for ``pcmphys.simulate``)."""

    def __call__(self, *args, **kwargs):
        return fit(*args, **kwargs)


_sys.modules[__name__].__class__ = _CallableModule
#: the package itself: ``pcmphys.fit`` resolves to it (callable, and with every name above)
_package = _sys.modules[__name__]
