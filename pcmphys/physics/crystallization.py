"""Crystal growth velocity, nucleation and growth during pulses.

The default growth law is one continuous function of temperature, with no switch between
laws: the ns-scale programming law (a Gaussian fitted to the growth velocities extracted by
Sebastian et al. 2014, as Sci. Rep. 2022 approximates them) acts in series with the growth of
the glass (Arrhenius with the retention activation energy of GST), ``1/v = 1/v_gauss +
1/v_glass``. Whichever limit is slower sets the velocity: the Gaussian above ~600 K, the glass
law at bake and retention temperatures.
"""
from __future__ import annotations

import numpy as np

KB_EV = 8.617333262e-5   # [eV/K]
KB_J = 1.380649e-23      # [J/K]
EV = 1.602176634e-19     # [J/eV]

#: positive nodes and weights of the 8-point Gauss-Legendre rule on [-1, 1]; used for the
#: growth law over a temperature ramp (kernel twin: the constants of pcm_growth_integral)
GAUSS_LEGENDRE8_NODES = (0.1834346424956498, 0.5255324099163290, 0.7966664774136267,
                         0.9602898564975363)
GAUSS_LEGENDRE8_WEIGHTS = (0.3626837833783620, 0.3137066458778873, 0.2223810344533745,
                           0.1012285362903763)
#: smallest volumetric driving force [J/m^3] used in the nucleation barrier (avoids 1/0 at T_m)
DRIVING_FORCE_FLOOR = 1e-100


def growth_velocity_gaussian(T, cr, melting_temperature):
    """Gaussian growth law ``v_max exp(-(T - T_pk)^2 / (2 sigma_T^2))`` for T < T_m [m/s]."""
    z = (T - cr.peak_growth_temperature) / cr.growth_temperature_width
    v = cr.max_growth_velocity * np.exp(-0.5 * z * z)
    return np.where(T < melting_temperature, v, 0.0)


def growth_velocity_glass(T, cr, melting_temperature):
    """Arrhenius growth velocity of the glass ``v_Tg exp(-(E_r/k_B)(1/T - 1/T_g))`` [m/s].

    ``v_Tg`` is ``glass_growth_velocity`` (the velocity at T_g) and ``E_r``
    ``glass_growth_activation_energy``; it sets the retention of a RESET cell at bake and
    operating temperatures. Zero at and above T_m.
    """
    T = np.asarray(T, dtype=np.float64)
    x = (-cr.glass_growth_activation_energy / KB_EV
         * (1.0 / T - 1.0 / cr.glass_transition_temperature))
    v = cr.glass_growth_velocity * np.exp(np.minimum(x, 700.0))
    return np.where(T < melting_temperature, v, 0.0)


def log10_viscosity(T, cr):
    """log10 of the viscosity [Pa s]: MYEGA above T_g, Arrhenius glass continuation below.

    Notes
    -----
    MYEGA: ``log10 eta = l_inf + (12 - l_inf)(T_g/T) exp[(m/(12 - l_inf) - 1)(T_g/T - 1)]``;
    below T_g, ``eta = eta(T_g) exp(E_glass/k_B (1/T - 1/T_g))`` (Orava et al. 2012).
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
    # 1/eta = 10^(-log10 eta) as one exp (kernel twin: same expression)
    return (KB_J * T / (3.0 * np.pi * cr.atomic_radius)
            * np.exp(-2.302585092994046 * log10_viscosity(T, cr)))


def growth_velocity_physical(T, cr, melting_temperature):
    """Wilson-Frenkel growth velocity with Thompson-Spaepen driving force [m/s].

    ``v = (4 r D / lambda^2)(1 - exp(-dmu/k_B T))``,
    ``dmu = dH_m (T_m - T)/T_m * 2T/(T_m + T)`` (Orava et al. 2012); zero at and above T_m.
    """
    T = np.asarray(T, dtype=np.float64)
    Tm = melting_temperature
    dmu = cr.melt_enthalpy_per_atom * (Tm - T) / Tm * 2.0 * T / (Tm + T)
    v = (4.0 * cr.atomic_radius * diffusivity(T, cr) / cr.jump_distance ** 2
         * -np.expm1(-dmu / (KB_EV * T)))
    return np.where(T < Tm, v, 0.0)


def growth_velocity(T, cr, melting_temperature):
    """Growth velocity of the selected law [m/s].

    ``growth_model = "gaussian"``: the Gaussian programming law in series with the glass law,
    ``v = v_gauss v_glass / (v_gauss + v_glass)`` (continuous and smooth over the whole range;
    zero where either is zero). ``"physical"``: Wilson-Frenkel with MYEGA viscosity everywhere.
    """
    T = np.asarray(T, dtype=np.float64)
    if cr.growth_model == "physical":
        return growth_velocity_physical(T, cr, melting_temperature)
    return series_growth_velocity(growth_velocity_gaussian(T, cr, melting_temperature),
                                  growth_velocity_glass(T, cr, melting_temperature))


def series_growth_velocity(v_gauss, v_glass):
    """Two kinetic limits in series, ``v_1 v_2 / (v_1 + v_2)`` [m/s]; 0 where both are 0."""
    total = v_gauss + v_glass
    return np.divide(v_gauss * v_glass, total, out=np.zeros(np.shape(total)), where=total > 0)


def growth_integral(T_a, T_b, cr, melting_temperature):
    """``integral_{T_a}^{T_b} v_g dT`` [m K/s] of the selected law by 8-point Gauss-Legendre.

    Relative error below 1e-3 for the default law between room temperature and T_m (checked
    against a fine trapezoid rule in the tests); ramps last a few ns, so this is far below
    the per-pulse randomness of growth.
    """
    T_a = np.asarray(T_a, dtype=np.float64)
    T_b = np.asarray(T_b, dtype=np.float64)
    mid, half = 0.5 * (T_a + T_b), 0.5 * (T_b - T_a)
    acc = np.zeros(np.broadcast(T_a, T_b).shape)
    for x, w in zip(GAUSS_LEGENDRE8_NODES, GAUSS_LEGENDRE8_WEIGHTS):
        acc = acc + w * (growth_velocity(mid - half * x, cr, melting_temperature)
                         + growth_velocity(mid + half * x, cr, melting_temperature))
    return half * acc


def ramp_growth(duration, T_low, T_high, cr, melting_temperature):
    """Growth [m] during a linear temperature ramp between T_low and T_high.

    ``du = duration / (T_high - T_low) * integral_{T_low}^{min(T_high, T_m)} v_g dT``: the
    time spent per kelvin is constant on a linear ramp, so the growth is the mean velocity
    over the temperatures crossed (``growth_integral``). Zero for a zero-length ramp; a ramp
    with T_high <= T_low grows at v_g(T_low).
    """
    T_low = np.asarray(T_low, dtype=np.float64)
    T_high = np.asarray(T_high, dtype=np.float64)
    duration = np.asarray(duration, dtype=np.float64)
    span = np.maximum(T_high - T_low, 0.0)
    top = np.maximum(np.minimum(T_high, melting_temperature), T_low)
    integral = growth_integral(T_low, top, cr, melting_temperature)
    mean_rate = np.divide(integral, span, out=np.zeros(np.shape(integral)), where=span > 0)
    flat = duration * growth_velocity(T_low, cr, melting_temperature)
    return np.where(duration > 0, np.where(span > 0, duration * mean_rate, flat), 0.0)


def nucleation_rate(T, cr, melting_temperature):
    """Classical nucleation rate ``N_s (D/lambda^2) exp(-dG*/k_B T)`` [1/(m^3 s)].

    ``dG* = 16 pi sigma^3 / (3 dg_v^2)``, ``dg_v = dH_v (T_m - T)/T_m * 2T/(T_m + T)``;
    the mobility is the Stokes-Einstein diffusivity of the physical growth law.
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
