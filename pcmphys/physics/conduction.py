"""Subthreshold read conduction of the amorphous plug and the crystallised column.

A partially SET cell is a crystalline column of footprint a (fraction of the heater area) with
a thin amorphous layer u_a left inside it, in parallel with the rest of the melt-quenched cap
(thickness u_cap). Both paths carry the crystalline series resistance R_c of the column region
(scaled by its area), and all of it is in series with the access resistance R_acc;
``R_acc + R_c = read_series_resistance`` reads a fully crystalline cell.
"""
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
    (Ielmini and Zhang 2007). Plugs thinner than ``min_conduction_thickness`` are percolated
    by crystal and contribute no resistance.
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
    """Low-field read conductance ``1 / (R_read + R_a)`` of a uniform plug [S]."""
    r_a = amorphous_resistance(voltage, temperature, u_a, activation_energy, heater_radius,
                               conduction)
    return 1.0 / (conduction.read_series_resistance + r_a)


def column_read_conductance(voltage, temperature, u_a, u_cap, a_col, activation_energy,
                            heater_radius, conduction):
    """Read conductance of a cell with a crystallised column [S].

    Parameters
    ----------
    u_a : array_like
        Amorphous thickness left inside the column [m].
    u_cap : array_like
        Thickness of the melt-quenched cap outside the column [m].
    a_col : array_like
        Column footprint over the heater area [1], in [0, 1].

    Notes
    -----
    ``G = 1 / (R_acc + 1 / (a / (R_c + R_a(u_a)) + (1 - a) / (R_c + R_a(u_cap))))`` with
    ``R_c = s R_s``, ``R_acc = (1 - s) R_s`` (s = ``column_resistance_share``, R_s =
    ``read_series_resistance``) and R_a the hopping resistance over the full heater area
    (a path of area fraction a has R/a). A fully crystalline cell reads ``1/R_s``; a cell with
    a = 0 reads as a uniform plug u_cap.
    """
    rs = conduction.read_series_resistance
    r_c = conduction.column_resistance_share * rs
    r_col = r_c + amorphous_resistance(voltage, temperature, u_a, activation_energy,
                                       heater_radius, conduction)
    r_rest = r_c + amorphous_resistance(voltage, temperature, u_cap, activation_energy,
                                        heater_radius, conduction)
    g_par = a_col / r_col + (1.0 - a_col) / r_rest
    return 1.0 / ((rs - r_c) + 1.0 / g_par)
