"""Threshold switching in voltage mode."""
from __future__ import annotations

import numpy as np


def threshold_voltage(u_a, sigma, temperature, vth0_factor, threshold, relaxation):
    """Threshold voltage [V].

    ``V_th = (V_th0 f_i + E_th u_a)(1 + beta_V (Sigma_0 - Sigma)) exp(-gamma (T - T_ref))``:
    linear in the plug thickness, drifting with structural relaxation, lower when hot.
    """
    base = threshold.threshold_voltage_offset * vth0_factor + threshold.threshold_field * u_a
    drift = 1.0 + threshold.threshold_drift_coefficient * (relaxation.initial_order - sigma)
    thermal = np.exp(-threshold.threshold_temperature_coefficient
                     * (temperature - threshold.threshold_reference_temperature))
    return base * drift * thermal


def switching_delay(voltage, vth, threshold):
    """Delay before switching ``t_d = t_0 exp(-(V - V_th)/V_0)`` [s]."""
    return threshold.delay_time_prefactor * np.exp(-(voltage - vth) / threshold.delay_voltage_scale)
