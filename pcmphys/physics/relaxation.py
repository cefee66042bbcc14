"""Collective structural relaxation of the glass.

The order parameter Sigma runs from Sigma_0 (fresh melt-quenched glass) down to 0 (the fully
relaxed glass, where relaxation ends); it never leaves [0, Sigma_0]. Glass heated above its
glass transition during a write pulse is rejuvenated: it re-forms as fresh glass on cooling
(``pulse_order``), so a SET pulse does not age the glass.
"""
from __future__ import annotations

import numpy as np

KB_EV = 8.617333262e-5


def relax_order(sigma, temperature, duration, relaxation):
    """Structural order parameter after an interval at constant temperature [1].

    Parameters
    ----------
    sigma : array_like
        Order parameter Sigma at the start of the interval [1].
    temperature : array_like
        Glass temperature during the interval [K].
    duration : array_like
        Interval length [s] (>= 0).
    relaxation : RelaxationParams

    Notes
    -----
    Exact solution of ``dSigma/dt = -nu_0 exp(-E_s (1 - Sigma)/k_B T)`` for Sigma > 0:
    ``exp(-E_s S_new/kT) = exp(-E_s S_old/kT) + (E_s/kT) nu_0 exp(-E_s/kT) dt``, evaluated in
    log space (Le Gallo et al. 2018); relaxation stops at the fully relaxed glass, Sigma = 0.
    """
    kT = KB_EV * np.asarray(temperature, dtype=np.float64)
    Es = relaxation.barrier_scale
    sigma = np.asarray(sigma, dtype=np.float64)
    a = -Es * sigma / kT
    with np.errstate(divide="ignore"):
        b = (np.log(Es / kT * relaxation.attempt_frequency * np.asarray(duration, np.float64))
             - Es / kT)
    duration = np.asarray(duration, np.float64)
    return np.where(duration > 0, np.maximum(-(kT / Es) * np.logaddexp(a, b), 0.0), sigma)


def pulse_order(sigma, temperature, duration, relaxation, crystallization):
    """Order parameter after a write pulse that holds the glass at ``temperature`` [1].

    Glass at or above T_g (``crystallization.glass_transition_temperature``) is rejuvenated to
    Sigma_0; below T_g it relaxes as in ``relax_order``.
    """
    hot = np.asarray(temperature) >= crystallization.glass_transition_temperature
    return np.where(hot, relaxation.initial_order,
                    relax_order(sigma, temperature, duration, relaxation))


def activation_energy(sigma, zeta_factor, ea_offset, conduction, relaxation):
    """Activation energy of amorphous conduction [eV].

    ``E_a = E_a0 + dE_a,i + zeta_i (Sigma_0 - Sigma)``: rises as the glass relaxes, so
    ``R ~ (1 + t/tau_1)^(zeta/E_s)`` and the drift exponent is ``nu = zeta / E_s``.
    """
    zeta = relaxation.activation_coupling * zeta_factor
    return conduction.activation_energy + ea_offset + zeta * (relaxation.initial_order - sigma)


def drift_onset_time(temperature, relaxation):
    """Onset tau_1 of drift after a melt-quench [s]."""
    kT = KB_EV * np.asarray(temperature, dtype=np.float64)
    Es = relaxation.barrier_scale
    return kT / (Es * relaxation.attempt_frequency) * np.exp(Es * (1.0 - relaxation.initial_order)
                                                            / kT)
