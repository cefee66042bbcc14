"""Collective structural relaxation of the glass (physics.md section 4)."""
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
    Exact solution of ``dSigma/dt = -nu_0 exp(-E_s (1 - Sigma)/k_B T)``:
    ``exp(-E_s S_new/kT) = exp(-E_s S_old/kT) + (E_s/kT) nu_0 exp(-E_s/kT) dt``, evaluated in
    log space (physics.md 4.3, Le Gallo et al. 2018).
    """
    kT = KB_EV * np.asarray(temperature, dtype=np.float64)
    Es = relaxation.barrier_scale
    sigma = np.asarray(sigma, dtype=np.float64)
    a = -Es * sigma / kT
    with np.errstate(divide="ignore"):
        b = (np.log(Es / kT * relaxation.attempt_frequency * np.asarray(duration, np.float64))
             - Es / kT)
    duration = np.asarray(duration, np.float64)
    return np.where(duration > 0, -(kT / Es) * np.logaddexp(a, b), sigma)


def activation_energy(sigma, zeta_factor, ea_offset, conduction, relaxation):
    """Activation energy of amorphous conduction [eV].

    ``E_a = E_a0 + dE_a,i + zeta_i (Sigma_0 - Sigma)``: rises as the glass relaxes, so
    ``R ~ (1 + t/tau_1)^(zeta/E_s)`` and the drift exponent is ``nu = zeta / E_s``.
    """
    zeta = relaxation.activation_coupling * zeta_factor
    return conduction.activation_energy + ea_offset + zeta * (relaxation.initial_order - sigma)


def drift_onset_time(temperature, relaxation):
    """Onset tau_1 of drift after a melt-quench [s] (physics.md 4.3)."""
    kT = KB_EV * np.asarray(temperature, dtype=np.float64)
    Es = relaxation.barrier_scale
    return kT / (Es * relaxation.attempt_frequency) * np.exp(Es * (1.0 - relaxation.initial_order)
                                                            / kT)
