"""Electro-thermal model of one write pulse.

After threshold switching the current of a cell with an amorphous cap flows in an ON-state
filament whose cross-section grows with current at a constant ON-state current density J_on
(Karpov et al. 2011: at high current the filament current density becomes a material
property; Bin Hafiz et al. 2025: the current collapses onto a filament that widens with bias).
Two temperatures follow from the Joule power P:

* the crystal-growth front, heated by the filament: ``T_f = T_amb + f R_th(u) c(I) P`` with
  the confinement ``c(I) = (I_sat/I)^beta`` below the current I_sat = J_on pi r_h^2 that fills
  the heater; with beta = 1 the front temperature follows the filament's power density, which
  is nearly current independent, and the current sets the crystallised footprint instead;
* the heater-area hot spot ``T_amb + f R_th,heater P``, which decides melt-quench: the molten
  region spans the heater only once P exceeds the melt-onset power P_m.

All functions are vectorised over cells and work in SI units. Kernel twins live in
``kernels/pcm_physics.cuh`` under the same names with a ``pcm_`` prefix.
"""
from __future__ import annotations

import numpy as np


def on_state_voltage(current, u_a, thermal):
    """Cell voltage in the ON state [V].

    Parameters
    ----------
    current : array_like
        Cell current [A].
    u_a : array_like
        Effective amorphous thickness [m]; the amorphous ON region adds ``E_h u_a``.
    thermal : ThermalParams

    Notes
    -----
    ``V = V_h + R_on I + E_h u_a``; the first two terms fit the tutorial's 0.5 V at 100 uA and
    1.2 V at 500 uA of a crystalline cell, the last is the ON-state field across the amorphous
    part of the current path.
    """
    return (thermal.holding_voltage + thermal.on_resistance * current
            + thermal.amorphous_on_field * u_a)


def joule_power(current, voltage):
    """Joule power ``P = V I`` [W] (Peltier and Thomson terms neglected)."""
    return current * voltage


def interface_thermal_resistance(u_a, thermal, amorphization):
    """Thermal resistance R_th(u_a) seen by the amorphous-crystalline interface [K/W].

    Notes
    -----
    ``R_th = [R_0 + (R_1 - R_0) u_a/u_max] (1 - exp(-u_a/lambda_h))``: a straight line between
    ``rth_interface_thin`` (R_0) and ``rth_interface_thick`` (R_1 at u_max) as Sci. Rep. 2022
    uses once the heater is covered, times a heat-sink factor that takes R_th to 0 when the
    interface reaches the metal heater (Sebastian 2017 Fig. 2c starts at 0 K/uW at u_a = 0).
    The sink makes the interface cool as the plug thins, so accumulation is gradual and
    saturates.
    """
    x = u_a / amorphization.max_amorphous_thickness
    line = thermal.rth_interface_thin + (thermal.rth_interface_thick
                                         - thermal.rth_interface_thin) * x
    return line * -np.expm1(-u_a / thermal.heater_sink_length)


def interface_temperature(power, u_a, rth_factor, ambient, thermal, amorphization):
    """Steady interface temperature ``T_amb + f R_th(u_a) P`` [K].

    For the growth front of a SET pulse ``rth_factor`` includes the filament confinement
    (``filament_confinement``).
    """
    return ambient + rth_factor * interface_thermal_resistance(u_a, thermal, amorphization) * power


def hotspot_temperature(power, rth_factor, ambient, thermal):
    """Hottest point above the heater, ``T_amb + f R_th,heater P`` [K]; decides melting."""
    return ambient + rth_factor * thermal.rth_heater * power


def voltage_mode_current(voltage, u_a, thermal):
    """Current after threshold switching in voltage mode [A].

    Solves ``V_app = (R_s + R_on) I + V_h + E_h u_a`` for I; negative results (an applied
    voltage below the ON-state intercept) give zero current.
    """
    drive = voltage - thermal.holding_voltage - thermal.amorphous_on_field * u_a
    return np.maximum(drive, 0.0) / (thermal.series_resistance + thermal.on_resistance)


def filament_saturation_current(heater_radius, thermal):
    """Current at which the ON filament fills the heater, ``J_on pi r_h^2`` [A]."""
    return thermal.on_state_current_density * np.pi * heater_radius * heater_radius


def filament_fraction(current, heater_radius, area_factor, thermal):
    """Cross-section of the ON filament over the heater area, ``min(I/I_sat * e, 1)`` [1].

    Parameters
    ----------
    current : array_like
        Cell current [A].
    heater_radius : array_like
        Per-cell heater radius [m] (sets I_sat of the cell).
    area_factor : array_like
        Per-pulse lognormal factor e on the filament area [1].
    """
    i_sat = filament_saturation_current(heater_radius, thermal)
    return np.minimum(np.asarray(current, np.float64) / i_sat * area_factor, 1.0)


def filament_confinement(current, thermal, amorphization):
    """Factor ``max(I_sat,0 / I, 1)^beta`` on the front thermal resistance [1].

    I_sat,0 uses the nominal heater radius: the filament temperature is set by the material's
    ON-state power density, so the device radius changes only the footprint. Zero current
    gives 1 (no pulse).
    """
    current = np.asarray(current, np.float64)
    i_sat = filament_saturation_current(amorphization.heater_radius, thermal)
    ratio = np.divide(i_sat, current, out=np.ones(np.shape(current)), where=current > 0)
    return np.maximum(ratio, 1.0) ** thermal.filament_confinement_exponent
