"""Parameter dataclasses, one per physical mechanism (data only, no algorithms).

Every field carries its SI unit, the bibtex key of its source in ``CITATIONS.bib``, an
evidence tag ([V] read in the source, [L] literature value not re-checked, [E] estimate or
calibration), the allowed range and a one-line description. Values marked "calibrated" were
fitted jointly to the SET/RESET operating window of the IBM 90 nm cell
(``studies/operating_window``): the mean accumulation curve at 100 uA (Nandakumar/Demirag
statistics), visible accumulation at 40 uA, no melting by 50 ns SET pulses up to 150 uA, the
~0.2 uS RESET conductance and 10-1000 year retention at 85 C.
"""
from __future__ import annotations

from dataclasses import dataclass

from pcmphys.parameters.core import Mechanism, param

INF = float("inf")


@dataclass(frozen=True)
class ThermalParams(Mechanism):
    """Electro-thermal model of a write pulse, with the filament-confined SET heating."""

    ambient_temperature: float = param(300.0, "K", "", "E", (1.0, 1500.0),
                                       "chip ambient temperature when a step names none")
    holding_voltage: float = param(0.33, "V", "sebastian2018tutorial", "E", (0.0, 5.0),
                                   "ON-state intercept V_h, fit to 0.5 V@100 uA, 1.2 V@500 uA")
    on_resistance: float = param(1750.0, "Ohm", "sebastian2018tutorial", "E", (0.0, 1e6),
                                 "ON-state slope R_on of the crystalline/molten path")
    amorphous_on_field: float = param(6.0e6, "V/m", "scirep2022routemaps", "E", (0.0, 1e9),
                                      "extra ON-state voltage per metre of amorphous plug "
                                      "(calibrated; RESET cell 0.64 V at 100 uA)")
    series_resistance: float = param(3000.0, "Ohm", "scirep2022routemaps", "E", (0.0, 1e8),
                                     "access/series resistance in voltage mode")
    rth_heater: float = param(2.3e6, "K/W", "sebastian2017correlation", "E", (1e4, 1e9),
                              "R_th of the heater-area hot spot; melt onset P_m = "
                              "(T_m - T_amb)/R_th = 252 uW")
    rth_interface_thin: float = param(2.15e6, "K/W", "sebastian2017correlation", "E",
                                      (0.0, 1e9),
                                      "front R_th line at u_a = 0 with the filament filling the "
                                      "heater, before the heat-sink factor (calibrated)")
    rth_interface_thick: float = param(2.15e6, "K/W", "sebastian2017correlation", "E",
                                       (0.0, 1e9), "front R_th line at u_a = u_max")
    heater_sink_length: float = param(4.8e-9, "m", "sebastian2017correlation", "E", (1e-11, 1e-6),
                                      "decay length of the heater heat sink in R_th(u_a) "
                                      "(calibrated)")
    on_state_current_density: float = param(2.4e11, "A/m^2", "karpov2011filaments", "E",
                                             (1e8, 1e14),
                                             "ON-state filament current density J_on; the "
                                             "filament fills the heater at J_on pi r_h^2 = 302 uA")
    filament_confinement_exponent: float = param(1.0, "1", "binhafiz2025snapback", "E",
                                                 (0.0, 1.5),
                                                 "beta: front R_th x (I_sat/I)^beta below I_sat "
                                                 "(1 = filament temperature pinned)")


@dataclass(frozen=True)
class AmorphizationParams(Mechanism):
    """Melt-quench RESET and the molten-dome geometry."""

    melting_temperature: float = param(880.0, "K", "sebastian2018tutorial", "L", (300.0, 2000.0),
                                       "melting temperature of doped GST")
    heater_radius: float = param(20e-9, "m", "sebastian2017correlation", "V", (1e-9, 1e-6),
                                 "bottom-electrode (heater) radius r_h")
    melt_exponent: float = param(0.85, "1", "", "E", (0.05, 5.0),
                                 "exponent alpha of T fall-off outside the dome "
                                 "(22.5 nm plug at 440 uA)")
    max_amorphous_thickness: float = param(100e-9, "m", "sebastian2017correlation", "V",
                                           (1e-9, 1e-5), "largest plug u_max (GST thickness)")


@dataclass(frozen=True)
class CrystallizationParams(Mechanism):
    """Crystal growth and nucleation."""

    growth_model: str = param("gaussian", "1", "scirep2022routemaps", "V", (0, 1),
                              "v_g(T) law: Gaussian in series with the glass law, or "
                              "Wilson-Frenkel everywhere", choices=("gaussian", "physical"))
    max_growth_velocity: float = param(0.5, "m/s", "sebastian2017correlation", "E", (0.0, 100.0),
                                       "peak of the Gaussian v_g(T)")
    peak_growth_temperature: float = param(750.0, "K", "sebastian2017correlation", "V",
                                           (300.0, 2000.0), "temperature of fastest growth")
    growth_temperature_width: float = param(70.0, "K", "", "E", (1.0, 1000.0),
                                            "standard deviation sigma_T of the Gaussian v_g(T)")
    glass_growth_velocity: float = param(5e-10, "m/s", "", "E", (0.0, 1.0),
                                         "growth velocity of the glass law at T_g (calibrated "
                                         "to ~100 year retention at 85 C)")
    glass_growth_activation_energy: float = param(3.3, "eV", "sebastian2018tutorial", "L",
                                                  (0.1, 10.0),
                                                  "Arrhenius energy of growth in the glass "
                                                  "(retention E_a of GST 2-3.5 eV)")
    glass_transition_temperature: float = param(430.0, "K", "pries2019", "L", (100.0, 1500.0),
                                                "glass transition T_g (MYEGA anchor)")
    fragility: float = param(70.0, "1", "orava2012", "L", (15.0, 300.0),
                             "kinetic fragility m of the supercooled liquid")
    log10_viscosity_infinity: float = param(-3.0, "1", "orava2012", "L", (-10.0, 5.0),
                                            "log10 of the high-T viscosity limit [Pa s]")
    glass_activation_energy: float = param(2.5, "eV", "sebastian2014crystal", "L", (0.1, 10.0),
                                           "Arrhenius activation of mobility below T_g")
    melt_enthalpy_per_atom: float = param(0.114, "eV", "orava2012", "L", (1e-3, 2.0),
                                          "enthalpy of fusion per atom (Thompson-Spaepen)")
    atomic_radius: float = param(1.5e-10, "m", "orava2012", "L", (1e-11, 1e-9),
                                 "atomic/hydrodynamic radius (Stokes-Einstein)")
    jump_distance: float = param(3.0e-10, "m", "orava2012", "L", (1e-11, 1e-9),
                                 "interatomic jump distance lambda")
    interfacial_energy: float = param(0.06, "J/m^2", "", "L", (1e-3, 1.0),
                                      "crystal-amorphous interfacial energy (CNT)")
    melt_enthalpy_volumetric: float = param(5e8, "J/m^3", "", "L", (1e6, 1e10),
                                            "enthalpy of fusion per volume (CNT driving force)")
    nucleation_site_density: float = param(3e28, "1/m^3", "", "E", (0.0, 1e31),
                                           "density of nucleation sites (CNT prefactor)")
    nucleation_shortening: float = param(0.5, "1", "", "E", (0.0, 1.0),
                                         "largest fraction of u_a removed by one nucleus")


@dataclass(frozen=True)
class RelaxationParams(Mechanism):
    """Collective structural relaxation of the glass."""

    attempt_frequency: float = param(1e13, "1/s", "legallo2018relaxation", "E", (1.0, 1e16),
                                     "attempt frequency nu_0")
    barrier_scale: float = param(1.5, "eV", "legallo2018relaxation", "E", (0.05, 10.0),
                                 "E_s: barrier E_s(1 - Sigma) rises as the glass relaxes")
    initial_order: float = param(0.7, "1", "legallo2018relaxation", "E", (0.0, 1.0),
                                 "Sigma_0 of a freshly melt-quenched glass")
    activation_coupling: float = param(0.15, "eV", "legallo2018relaxation", "E", (0.0, 5.0),
                                       "zeta in E_a = E_a0 + zeta (Sigma_0 - Sigma); nu = zeta/E_s")


@dataclass(frozen=True)
class ConductionParams(Mechanism):
    """Subthreshold (read) conduction of the amorphous plug."""

    activation_energy: float = param(0.34, "eV", "legallo2015transport", "L", (0.0, 2.0),
                                     "E_a of the fresh glass (Sigma = Sigma_0), calibrated")
    trap_density: float = param(1e25, "1/m^3", "ielmini2007hopping", "L", (1e18, 1e30),
                                "trap density N_T")
    trap_spacing: float = param(10e-9, "m", "ielmini2007hopping", "E", (1e-10, 1e-7),
                                "inter-trap distance Delta z (calibrated; [L] range 2-7 nm)")
    attempt_time: float = param(1e-15, "s", "ielmini2007hopping", "L", (1e-18, 1e-9),
                                "attempt-to-escape time tau_0")
    # > 0: a crystalline or stuck-SET cell has no other resistance (G = 1 / (R_s + R_a))
    read_series_resistance: float = param(40e3, "Ohm", "", "E", (1.0, 1e8),
                                          "crystalline + heater + access resistance at read "
                                          "(G_max 25 uS)")
    min_conduction_thickness: float = param(0.5e-9, "m", "", "E", (0.0, 1e-7),
                                            "thinner plugs are percolated (no amorphous R)")
    # lower bound > 0: a crystallised column always has a resistance of its own (s = 0 made a
    # fully crystallised column a short, and the empty path of a = 0 a 0/0)
    column_resistance_share: float = param(0.75, "1", "", "E", (0.01, 1.0),
                                           "share R_c/(R_acc + R_c) of read_series_resistance "
                                           "in the crystalline column (R_c/a over footprint a)")


@dataclass(frozen=True)
class ThresholdParams(Mechanism):
    """Threshold switching in voltage mode."""

    threshold_voltage_offset: float = param(0.3, "V", "sebastian2011vth", "E", (0.0, 10.0),
                                            "V_th0 in V_th = V_th0 + E_th u_a")
    threshold_field: float = param(2.5e7, "V/m", "sebastian2011vth", "E", (0.0, 1e10),
                                   "E_th, slope of V_th with plug thickness")
    threshold_drift_coefficient: float = param(0.25, "1", "", "E", (0.0, 10.0),
                                               "beta_V: V_th x (1 + beta_V (Sigma_0 - Sigma))")
    threshold_temperature_coefficient: float = param(1.5e-3, "1/K", "", "E", (0.0, 0.1),
                                                     "V_th x exp(-gamma (T - T_ref))")
    threshold_reference_temperature: float = param(300.0, "K", "", "E", (1.0, 2000.0),
                                                   "T_ref of the V_th temperature law")
    delay_time_prefactor: float = param(1e-6, "s", "ielmini2008threshold", "E", (0.0, 1.0),
                                        "t_0 of the switching delay t_d = t_0 exp(-dV/V_0)")
    delay_voltage_scale: float = param(0.1, "V", "ielmini2008threshold", "E", (1e-4, 10.0),
                                       "V_0 of the switching delay")


@dataclass(frozen=True)
class NoiseParams(Mechanism):
    """1/f read noise (aihwkit PCM fit with an amorphous-bulk plateau)."""

    noise_coefficient: float = param(0.0088, "1", "joshi2020", "V", (0.0, 10.0),
                                     "Q_s = coefficient / g^exponent (g = G / g_ref)",
                                     stochastic=True)
    noise_exponent: float = param(0.65, "1", "joshi2020", "V", (0.0, 5.0),
                                  "exponent of the state dependence of Q_s")
    noise_max: float = param(0.05, "1", "fantini2008noise", "E", (0.0, 10.0),
                             "plateau Q_a of Q_s: relative 1/f noise of a full amorphous cap")
    noise_reference_conductance: float = param(25e-6, "S", "joshi2020", "V", (1e-9, 1.0),
                                               "g_max used to normalise G in Q_s")
    read_time: float = param(250e-9, "s", "joshi2020", "V", (1e-12, 1.0),
                             "read integration time t_read (shortest noise period 2 t_read)")
    noise_octave_ratio: float = param(4.0, "1", "", "E", (1.5, 100.0),
                                      "ratio of successive correlation times of the noise terms")
    noise_max_correlation_time: float = param(1e9, "s", "", "E", (1e-6, 1e12),
                                              "longest correlation time of the noise sum")


@dataclass(frozen=True)
class VariabilityParams(Mechanism):
    """Device-to-device, cycle-to-cycle and pulse-to-pulse spread."""

    heater_radius_sigma: float = param(0.05, "1", "", "E", (0.0, 2.0),
                                       "lognormal sigma of the heater radius", stochastic=True)
    thermal_resistance_sigma: float = param(0.05, "1", "", "E", (0.0, 2.0),
                                            "lognormal sigma of R_th", stochastic=True)
    threshold_voltage_sigma: float = param(0.05, "1", "", "E", (0.0, 2.0),
                                           "lognormal sigma of V_th0", stochastic=True)
    growth_device_sigma: float = param(0.25, "1", "", "E", (0.0, 3.0),
                                       "lognormal sigma of the growth prefactor per device",
                                       stochastic=True)
    growth_cycle_sigma: float = param(0.2, "1", "sebastian2017correlation", "E", (0.0, 3.0),
                                      "lognormal sigma of growth, redrawn at every melt-quench",
                                      stochastic=True)
    growth_pulse_sigma: float = param(0.45, "1", "gong2018", "E", (0.0, 3.0),
                                      "lognormal sigma of growth per pulse (intra-device)",
                                      stochastic=True)
    quench_sigma: float = param(0.07, "1", "", "E", (0.0, 2.0),
                                "lognormal sigma of the quenched plug thickness",
                                stochastic=True)
    activation_energy_sigma: float = param(0.01, "eV", "", "E", (0.0, 0.5),
                                           "normal sigma of E_a per device", stochastic=True)
    drift_coupling_sigma: float = param(0.3, "1", "joshi2020", "E", (0.0, 3.0),
                                        "lognormal sigma of zeta (spread of nu)",
                                        stochastic=True)
    threshold_cycle_sigma: float = param(0.03, "1", "", "E", (0.0, 2.0),
                                         "lognormal sigma of V_th per pulse", stochastic=True)
    delay_sigma: float = param(1.15, "1", "", "E", (0.0, 10.0),
                               "lognormal sigma of the switching delay", stochastic=True)
    filament_area_sigma: float = param(0.10, "1", "", "E", (0.0, 2.0),
                                       "lognormal sigma of the ON-filament area per pulse",
                                       stochastic=True)


@dataclass(frozen=True)
class FaultParams(Mechanism):
    """Endurance failure and as-fabricated defects."""

    endurance_median_cycles: float = param(1e9, "1", "sebastian2018tutorial", "V", (1.0, 1e16),
                                           "median number of melt-quench cycles to failure")
    endurance_sigma: float = param(1.0, "1", "", "E", (0.0, 10.0),
                                   "lognormal sigma of the cycles to failure", stochastic=True)
    stuck_set_fraction: float = param(0.5, "1", "tsai2018", "E", (0.0, 1.0),
                                      "probability that a failed cell is stuck-SET (else open)")
    initial_defect_fraction: float = param(0.002, "1", "tsai2018", "E", (0.0, 1.0),
                                           "fraction of cells defective as fabricated",
                                           stochastic=True)
    open_conductance: float = param(1e-12, "S", "", "E", (0.0, 1e-3),
                                    "read conductance of an open (stuck-RESET) cell")
