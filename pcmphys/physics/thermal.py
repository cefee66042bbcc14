"""Electro-thermal model of one write pulse (physics.md section 1).

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
    ``V = V_h + R_on I + E_h u_a`` (physics.md 1.2 and 3, "P = I (V_h + E_h u_a)"); the first
    two terms fit the tutorial's 0.5 V at 100 uA and 1.2 V at 500 uA of a crystalline cell.
    """
    return (thermal.holding_voltage + thermal.on_resistance * current
            + thermal.amorphous_on_field * u_a)


def joule_power(current, voltage):
    """Joule power ``P = V I`` [W] (Peltier and Thomson terms neglected, physics.md 1.3)."""
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
    saturates (physics.md section 3, "important modelling finding").
    """
    x = u_a / amorphization.max_amorphous_thickness
    line = thermal.rth_interface_thin + (thermal.rth_interface_thick
                                         - thermal.rth_interface_thin) * x
    return line * -np.expm1(-u_a / thermal.heater_sink_length)


def interface_temperature(power, u_a, rth_factor, ambient, thermal, amorphization):
    """Steady interface temperature ``T_amb + f R_th(u_a) P`` [K] (physics.md 1.4)."""
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
