"""Device-to-device and cycle-to-cycle factors, faults.

Every factor is a pure function of (seed, device index, purpose): device factors are drawn
from the counter RNG keyed on the variability stream whenever they are needed and never
stored, so results do not depend on chunking or backend.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pcmphys import rng

#: fault codes stored per cell
FAULT_NONE, FAULT_STUCK_SET, FAULT_OPEN = 0, 1, 2


def lognormal_factor(z, sigma):
    """Mean-one lognormal factor ``exp(sigma z - sigma^2/2)`` for standard normals z."""
    return np.exp(sigma * z - 0.5 * sigma * sigma)


@dataclass
class DeviceFactors:
    """Per-cell static factors (all arrays over cells)."""

    heater_radius: np.ndarray      # [m]
    rth_factor: np.ndarray         # [1]
    vth0_factor: np.ndarray        # [1]
    growth_factor: np.ndarray      # [1]
    ea_offset: np.ndarray          # [eV]
    zeta_factor: np.ndarray        # [1]
    endurance_cycles: np.ndarray   # [1]


def device_factors(seed, device, params):
    """Static factors of the cells ``device`` (global indices) [see DeviceFactors].

    Draws: variability stream, event 0, blocks 0-3, two normals each (pcm_device_factors).
    """
    v = params.variability
    z_rh, z_rth = rng.normal2(seed, device, 0, rng.STREAM_VARIABILITY, 0)
    z_vth, z_g = rng.normal2(seed, device, 0, rng.STREAM_VARIABILITY, 1)
    z_ea, z_zeta = rng.normal2(seed, device, 0, rng.STREAM_VARIABILITY, 2)
    z_end, _ = rng.normal2(seed, device, 0, rng.STREAM_VARIABILITY, 3)
    return DeviceFactors(
        heater_radius=params.amorphization.heater_radius
        * lognormal_factor(z_rh, v.heater_radius_sigma),
        rth_factor=lognormal_factor(z_rth, v.thermal_resistance_sigma),
        vth0_factor=lognormal_factor(z_vth, v.threshold_voltage_sigma),
        growth_factor=lognormal_factor(z_g, v.growth_device_sigma),
        ea_offset=v.activation_energy_sigma * z_ea,
        zeta_factor=lognormal_factor(z_zeta, v.drift_coupling_sigma),
        endurance_cycles=params.faults.endurance_median_cycles
        * np.exp(params.faults.endurance_sigma * z_end),
    )


def cycle_factors(seed, device, cycles, params):
    """Factors of the glass made by melt-quench number ``cycles`` (growth [1], quench [1]).

    A new glass brings new crystallisation kinetics (intra-device randomness).
    """
    v = params.variability
    z_g, z_q = rng.normal2(seed, device, cycles, rng.STREAM_CYCLE, 0)
    return lognormal_factor(z_g, v.growth_cycle_sigma), lognormal_factor(z_q, v.quench_sigma)


def initial_faults(seed, device, params):
    """Fault code of each cell as fabricated (FAULT_NONE / FAULT_STUCK_SET / FAULT_OPEN)."""
    u_def, u_kind = rng.uniform(seed, device, 0, rng.STREAM_FAULT, 0)
    return np.where(u_def < params.faults.initial_defect_fraction,
                    failure_kind(u_kind, params), FAULT_NONE).astype(np.uint8)


def failure_kind(u_kind, params):
    """Fault code of a failed cell from a uniform draw: stuck-SET with the given probability."""
    return np.where(u_kind < params.faults.stuck_set_fraction, FAULT_STUCK_SET, FAULT_OPEN)


def endurance_fault(seed, device, params):
    """Fault code a cell takes when it exhausts its cycle budget."""
    _, u_kind = rng.uniform(seed, device, 0, rng.STREAM_FAULT, 0)
    return failure_kind(u_kind, params).astype(np.uint8)
