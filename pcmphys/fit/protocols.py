"""Event tables of the standard characterisation protocols, and synthetic measurements.

The event tables follow the measured-data schema of :mod:`pcmphys.fit`; combine several with
:func:`concat_events`. :func:`simulate_measurement` runs such a table on simulated cells and
returns a measured-schema Dataset, which is how fits are compared and how the recovery tests
make synthetic "measurements".
"""
from __future__ import annotations

import numpy as np

from pcmphys.fit.schema import EVENT_COORDS, event_table, to_protocol, validate_measured

__all__ = [
    "accumulation_events",
    "arrhenius_events",
    "concat_events",
    "drift_events",
    "events_dataset",
    "simulate_measurement",
]

#: RESET of the IBM 90 nm chip experiments (Sebastian et al. 2017): 440 uA, 1 us
RESET_CURRENT, RESET_WIDTH = 440e-6, 1e-6


def accumulation_events(current=100e-6, n_pulses=40, width=50e-9, first_read=38.6,
                        read_delay=1.0, reset_current=RESET_CURRENT, reset_width=RESET_WIDTH):
    """RESET, read after ``first_read`` [s], then ``n_pulses`` SET pulses of ``current`` [A]
    and ``width`` [s], each read ``read_delay`` [s] later (n_pulses + 1 events)."""
    n = np.ones(n_pulses + 1)
    amp = np.full(n_pulses + 1, float(current))
    wid = np.full(n_pulses + 1, float(width))
    amp[0], wid[0] = reset_current, reset_width
    t = np.full(n_pulses + 1, float(read_delay))
    t[0] = first_read
    return event_table(n, t, amp, wid)


def drift_events(times, reset_current=RESET_CURRENT, reset_width=RESET_WIDTH,
                 wait_temperature=np.nan):
    """RESET, then reads at ``times`` [s] after it (increasing), resting at
    ``wait_temperature`` [K] (NaN: ambient)."""
    times = np.asarray(times, float)
    n = np.zeros(times.size)
    n[0] = 1
    return event_table(n, times, reset_current, reset_width,
                       wait_temperature=wait_temperature)


def arrhenius_events(temperatures, delay=100.0, reset_current=RESET_CURRENT,
                     reset_width=RESET_WIDTH):
    """RESET, rest ``delay`` [s] at ambient, then read at each of ``temperatures`` [K]."""
    temps = np.asarray(temperatures, float)
    n = np.zeros(temps.size)
    n[0] = 1
    return event_table(n, delay, reset_current, reset_width, read_temperature=temps)


def concat_events(*tables):
    """Join event tables in order (each must start with a pulse)."""
    return {k: np.concatenate([t[k] for t in tables]) for k in tables[0]}


def events_dataset(events):
    """An xarray Dataset with only the event coordinates of ``events`` (dict of arrays)."""
    import xarray as xr

    n = len(events["n_pulses"])
    return xr.Dataset(coords={**{k: ("event", np.asarray(v)) for k, v in events.items()},
                              "event": np.arange(n)})


def simulate_measurement(params, events, n_devices, seed, backend="auto", drop_faulty=True):
    """Simulate the protocol of ``events`` and return it as a measured-schema Dataset.

    Parameters
    ----------
    params : ParameterSet
    events : dict of arrays or xarray.Dataset
        Event table (:func:`accumulation_events`, ...) or a measured Dataset whose event
        coordinates are used.
    n_devices : int
        Cells simulated.
    seed : int
        RNG seed (the same seed gives the same cells: common random numbers).
    backend : str
    drop_faulty : bool
        Leave out cells with a fault flag (as experimenters exclude defective cells).

    Returns
    -------
    xarray.Dataset
        Canonical measured Dataset (per-device form), ``conductance`` [S].
    """
    import xarray as xr

    from pcmphys.simulate import simulate

    if isinstance(events, dict):
        events = events_dataset(events)
    coords = {k: ("event", events[k].values) for k in EVENT_COORDS if k in events.coords
              or k in events.data_vars}
    ambient = params.thermal.ambient_temperature
    template = validate_measured(_template(coords, events.sizes["event"]),
                                 ambient_temperature=ambient)
    protocol = to_protocol(template)
    sim = simulate(params, protocol, n_devices, seed, backend=backend,
                   record=("conductance", "fault"), progress=False)
    g = np.asarray(sim["conductance"].values, np.float64)
    if drop_faulty:
        g = g[np.asarray(sim["fault"].values).max(axis=1) == 0]
    ds = xr.Dataset({"conductance": (("device", "event"), g, {"units": "S"})},
                    coords={k: ("event", template[k].values) for k in EVENT_COORDS},
                    attrs={"source": f"pcmphys simulation of {params.name!r}, seed {seed}, "
                                     f"{n_devices} cells, backend {sim.attrs.get('backend')}"})
    return validate_measured(ds)


def _template(coords, n):
    import xarray as xr

    return xr.Dataset({"conductance": (("device", "event"), np.full((2, n), 1e-6))},
                      coords=coords)
