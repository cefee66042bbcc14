"""Crystal growth velocity, nucleation and growth during pulses (physics.md section 3)."""
from __future__ import annotations

import numpy as np

KB_EV = 8.617333262e-5   # [eV/K]
KB_J = 1.380649e-23      # [J/K]
EV = 1.602176634e-19     # [J/eV]

#: points of the midpoint rule used to average v_g over a linear temperature ramp
RAMP_QUADRATURE_POINTS = 32
#: smallest volumetric driving force [J/m^3] used in the nucleation barrier (avoids 1/0 at T_m)
DRIVING_FORCE_FLOOR = 1e-100


def growth_velocity_gaussian(T, cr, melting_temperature):
    """Gaussian growth law ``v_max exp(-(T - T_pk)^2 / (2 sigma_T^2))`` for T < T_m [m/s]."""
    z = (T - cr.peak_growth_temperature) / cr.growth_temperature_width
    v = cr.max_growth_velocity * np.exp(-0.5 * z * z)
    return np.where(T < melting_temperature, v, 0.0)


def log10_viscosity(T, cr):
    """log10 of the viscosity [Pa s]: MYEGA above T_g, Arrhenius glass continuation below.

    Notes
    -----
    MYEGA: ``log10 eta = l_inf + (12 - l_inf)(T_g/T) exp[(m/(12 - l_inf) - 1)(T_g/T - 1)]``;
    below T_g, ``eta = eta(T_g) exp(E_glass/k_B (1/T - 1/T_g))`` (physics.md 3.3).
    """
    T = np.asarray(T, dtype=np.float64)
    linf = cr.log10_viscosity_infinity
    Tg = cr.glass_transition_temperature
    r = Tg / np.maximum(T, Tg)
    myega = linf + (12.0 - linf) * r * np.exp((cr.fragility / (12.0 - linf) - 1.0) * (r - 1.0))
    glass = 12.0 + cr.glass_activation_energy / (KB_EV * np.log(10.0)) * (1.0 / T - 1.0 / Tg)
    return np.where(T >= Tg, myega, glass)


def diffusivity(T, cr):
    """Stokes-Einstein diffusivity ``k_B T / (3 pi a eta)`` [m^2/s]."""
    eta = 10.0 ** log10_viscosity(T, cr)
    return KB_J * T / (3.0 * np.pi * cr.atomic_radius * eta)


def growth_velocity_physical(T, cr, melting_temperature):
    """Wilson-Frenkel growth velocity with Thompson-Spaepen driving force [m/s].

    ``v = (4 r D / lambda^2)(1 - exp(-dmu/k_B T))``,
    ``dmu = dH_m (T_m - T)/T_m * 2T/(T_m + T)`` (physics.md 3.3); zero at and above T_m.
    """
    T = np.asarray(T, dtype=np.float64)
    Tm = melting_temperature
    dmu = cr.melt_enthalpy_per_atom * (Tm - T) / Tm * 2.0 * T / (Tm + T)
    v = (4.0 * cr.atomic_radius * diffusivity(T, cr) / cr.jump_distance ** 2
         * -np.expm1(-dmu / (KB_EV * T)))
    return np.where(T < Tm, v, 0.0)


def growth_velocity(T, cr, melting_temperature):
    """Growth velocity of the selected law [m/s].

    The Gaussian law (fitted to ns-scale programming data) applies from
    ``gaussian_min_temperature`` up to T_m; below it, and everywhere for
    ``growth_model = "physical"``, the Wilson-Frenkel/MYEGA law gives the slow low-temperature
    growth that sets retention.
    """
    T = np.asarray(T, dtype=np.float64)
    phys = growth_velocity_physical(T, cr, melting_temperature)
    if cr.growth_model == "physical":
        return phys
    gauss = growth_velocity_gaussian(T, cr, melting_temperature)
    return np.where(T >= cr.gaussian_min_temperature, gauss, phys)


def ramp_growth(duration, T_low, T_high, cr, melting_temperature):
    """Growth [m] during a linear temperature ramp between T_low and T_high.

    ``du = duration / (T_high - T_low) * integral_{T_low}^{min(T_high, T_m)} v_g dT``, by the
    midpoint rule with RAMP_QUADRATURE_POINTS points (physics.md 2.4). For the Gaussian law
    it approaches ``v_max sigma_T sqrt(2 pi) t / (T_high - T_low)``.
    """
    T_low = np.asarray(T_low, dtype=np.float64)
    T_high = np.asarray(T_high, dtype=np.float64)
    span = np.maximum(T_high - T_low, 0.0)
    top = np.minimum(T_high, melting_temperature)
    width = np.maximum(top - T_low, 0.0)
    n = RAMP_QUADRATURE_POINTS
    acc = np.zeros(np.broadcast(T_low, T_high, duration).shape)
    for j in range(n):
        acc = acc + growth_velocity(T_low + (j + 0.5) / n * width, cr, melting_temperature)
    mean_v_over_range = acc / n
    frac = np.divide(width, span, out=np.zeros_like(acc), where=span > 0)
    return np.where(span > 0, duration * mean_v_over_range * frac,
                    duration * growth_velocity(T_low, cr, melting_temperature))


def nucleation_rate(T, cr, melting_temperature):
    """Classical nucleation rate ``N_s (D/lambda^2) exp(-dG*/k_B T)`` [1/(m^3 s)].

    ``dG* = 16 pi sigma^3 / (3 dg_v^2)``, ``dg_v = dH_v (T_m - T)/T_m * 2T/(T_m + T)``;
    the mobility is the same diffusivity as growth (physics.md 3.4).
    """
    T = np.asarray(T, dtype=np.float64)
    Tm = melting_temperature
    dgv = cr.melt_enthalpy_volumetric * (Tm - T) / Tm * 2.0 * T / (Tm + T)
    # floor far below any physical driving force: dG* stays finite (exp underflows to 0)
    dgv = np.maximum(dgv, DRIVING_FORCE_FLOOR)
    barrier = 16.0 * np.pi * cr.interfacial_energy ** 3 / (3.0 * dgv * dgv)
    rate = (cr.nucleation_site_density * diffusivity(T, cr) / cr.jump_distance ** 2
            * np.exp(-barrier / (KB_J * T)))
    return np.where(T < Tm, rate, 0.0)


def plug_volume(u_a, heater_radius):
    """Volume of the hemispherical amorphous shell over the heater [m^3]."""
    r = heater_radius
    return 2.0 / 3.0 * np.pi * ((r + u_a) ** 3 - r ** 3)
