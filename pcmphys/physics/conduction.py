"""Subthreshold read conduction of the amorphous plug (physics.md section 5)."""
from __future__ import annotations

import numpy as np

KB_EV = 8.617333262e-5
Q = 1.602176634e-19
LN2 = 0.6931471805599453


def log_sinh(x):
    """``log(sinh(x))`` for x > 0 without overflow."""
    x = np.asarray(x, dtype=np.float64)
    return x + np.log(-np.expm1(-2.0 * x)) - LN2


def amorphous_resistance(voltage, temperature, u_a, activation_energy, heater_radius, conduction):
    """Resistance ``V / I`` of the amorphous plug [Ohm] (Ielmini-Zhang hopping).

    Notes
    -----
    ``I = 2 q A N_T (dz/tau_0) exp(-E_a/kT) sinh(q V dz / (2 kT u_a))`` with ``A = pi r_h^2``
    (physics.md 5.3). Plugs thinner than ``min_conduction_thickness`` are percolated by
    crystal and contribute no resistance.
    """
    kT = KB_EV * np.asarray(temperature, dtype=np.float64)
    u_eff = np.maximum(u_a, conduction.min_conduction_thickness)
    area = np.pi * heater_radius * heater_radius
    pref = (2.0 * Q * area * conduction.trap_density * conduction.trap_spacing
            / conduction.attempt_time)
    x = voltage * conduction.trap_spacing / (2.0 * kT * u_eff)
    log_i = np.log(pref) - activation_energy / kT + log_sinh(x)
    r = voltage * np.exp(-log_i)
    return np.where(u_a > conduction.min_conduction_thickness, r, 0.0)


def read_conductance(voltage, temperature, u_a, activation_energy, heater_radius, conduction):
    """Low-field read conductance of the cell ``1 / (R_read + R_a)`` [S] (physics.md 5.3)."""
    r_a = amorphous_resistance(voltage, temperature, u_a, activation_energy, heater_radius,
                               conduction)
    return 1.0 / (conduction.read_series_resistance + r_a)
