"""Melt-quench RESET: molten dome, falling-edge recrystallisation."""
from __future__ import annotations

import numpy as np


def molten_thickness(liquid_power, rth_factor, heater_radius, ambient, thermal, amorphization):
    """Thickness of the molten dome above the heater [m].

    Parameters
    ----------
    liquid_power : array_like
        Joule power with the plug molten, ``I (V_h + R_on I)`` [W].
    rth_factor : array_like
        Per-cell factor on the thermal resistances [1].
    heater_radius : array_like
        Per-cell heater radius r_h [m].
    ambient : float or array_like
        Ambient temperature [K].

    Notes
    -----
    With ``T(r) - T_amb = (T_peak - T_amb)(r_h/r)^alpha`` outside the hot region the melt
    front sits at ``r_m = r_h (P/P_m)^(1/alpha)`` where ``P_m = (T_m - T_amb)/R_th,heater`` is
    the melting-onset power, so ``u_melt = clamp(r_m - r_h, 0, u_max)``.
    """
    melt_onset_power = ((amorphization.melting_temperature - ambient)
                        / (rth_factor * thermal.rth_heater))
    ratio = np.maximum(liquid_power / melt_onset_power, 0.0)
    u = heater_radius * (ratio ** (1.0 / amorphization.melt_exponent) - 1.0)
    return np.clip(u, 0.0, amorphization.max_amorphous_thickness)
