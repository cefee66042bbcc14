// pcm_physics.cuh -- device physics of one PCM cell, the kernel twin of pcmphys/physics/.
// Mirrors: pcmphys.physics.thermal, amorphization, crystallization, relaxation, conduction,
//          threshold, noise, variability and cell (one function here per function there,
//          named pcm_<python name>). Everything is computed in double precision; the state is
//          stored as in pcmphys.physics.cell.STATE_FIELDS.
#pragma once
#include "pcm_common.cuh"
#include "philox.cuh"
#include "params.cuh"

#define PCM_FAULT_NONE 0
#define PCM_FAULT_STUCK_SET 1
#define PCM_FAULT_OPEN 2
#define PCM_MODE_CURRENT 0
#define PCM_MODE_VOLTAGE 1
#define PCM_GROWTH_STEP 5e-9
#define PCM_MAX_GROWTH_STEPS 200
#define PCM_MAX_OCTAVES 64
#define PCM_LN2 0.6931471805599453

// ---------------------------------------------------------------- elementary functions
// The physics' exp, ln, ln(1 + y), power, random draws and normals. On the GPU these are the
// CUDA library's functions and pcm_rng_draw / pcm_normal2. On the host they are the
// arithmetic-only versions of philox.cuh (no library call, no branch), so that the host's
// loops over the cells of a block vectorise (`#pragma omp simd`, kernels/pcm_population.cu);
// they agree with the library to < 1e-14 relative (pcm_exp returns 0 below -708, where the
// library gives a denormal < 3.1e-308 or 0), far inside the 1e-5 of the parity tests.
#ifdef PCM_HOST
// exp x = 2^k e^r, |r| <= ln2/2, e^r by its Taylor sum to r^11 in Estrin's order (truncation
// < 6.3e-15 relative; the shallow order lets the vector pipes overlap the terms)
PCM_FN_SIMD double pcm_exp(double x) {
    const double xc = x < -708.0 ? -708.0 : (x > 709.0 ? 709.0 : x);
    const double dk = (xc * 1.4426950408889634 + 6755399441055744.0) - 6755399441055744.0;
    const pcm_i32 k = (pcm_i32)dk;
    const double r = (xc - dk * 6.93147180369123816490e-01) - dk * 1.90821492927058770002e-10;
    const double r2 = r * r, r4 = r2 * r2, r8 = r4 * r4;
    const double a0 = 1.0 + r, a1 = 0.5 + r * (1.0 / 6.0), a2 = 1.0 / 24.0 + r * (1.0 / 120.0),
                 a3 = 1.0 / 720.0 + r * (1.0 / 5040.0), a4 = 1.0 / 40320.0 + r * (1.0 / 362880.0),
                 a5 = 1.0 / 3628800.0 + r * (1.0 / 39916800.0);
    const double b0 = a0 + r2 * a1, b1 = a2 + r2 * a3, b2 = a4 + r2 * a5;
    const double e = (b0 + r4 * b1) + r8 * b2;
    const double y = e * pcm_f64_from_bits((pcm_u64)(pcm_i64)(k + 1023) << 52);
    return x < -708.0 ? 0.0 : (x > 709.0 ? __builtin_inf() : y);
}
// x a positive normal number
PCM_FN_SIMD double pcm_log(double x) { return pcm_log_poly(x); }
// y >= 0: ln(1 + y) with the rounding of 1 + y corrected (u == 1 gives y itself)
PCM_FN_SIMD double pcm_log1p(double y) {
    const double u = 1.0 + y, l = pcm_log_poly(u), d = u - 1.0;
    return u == 1.0 ? y : l * (y / (u == 1.0 ? 1.0 : d));
}
// x > 0 (a positive normal number), any b
PCM_FN_SIMD double pcm_pow_pos(double x, double b) { return pcm_exp(b * pcm_log_poly(x)); }
PCM_FN_SIMD pcm_u32x4 pcm_draw(pcm_u64 seed, pcm_u64 dev, pcm_u32 event, pcm_u32 stream,
                               pcm_u32 block) {
    return pcm_rng_draw_unrolled(seed, dev, event, stream, block);
}
PCM_FN_SIMD void pcm_normals(pcm_u32x4 r, double* z0, double* z1) { pcm_normal2_poly(r, z0, z1); }
PCM_FN_SIMD double pcm_uniform(pcm_u32 a, pcm_u32 b) { return pcm_uniform_f64_split(a, b); }
#else
PCM_FN double pcm_exp(double x) { return exp(x); }
PCM_FN double pcm_log(double x) { return log(x); }
PCM_FN double pcm_log1p(double y) { return log1p(y); }
PCM_FN double pcm_pow_pos(double x, double b) { return pow(x, b); }
PCM_FN pcm_u32x4 pcm_draw(pcm_u64 seed, pcm_u64 dev, pcm_u32 event, pcm_u32 stream,
                          pcm_u32 block) {
    return pcm_rng_draw(seed, dev, event, stream, block);
}
PCM_FN void pcm_normals(pcm_u32x4 r, double* z0, double* z1) { pcm_normal2(r, z0, z1); }
PCM_FN double pcm_uniform(pcm_u32 a, pcm_u32 b) { return pcm_uniform_f64(a, b); }
#endif
// exp(x) - 1: on the host a degree-6 Taylor sum for |x| < 2^-10 (truncation < 1e-22 relative)
// and pcm_exp(x) - 1 above (cancellation < 1.2e-13 relative), both computed and one selected;
// on the GPU the library's expm1.
PCM_FN double pcm_expm1v(double x) {
#ifdef PCM_HOST
    const double t = pcm_expm1_taylor(x);
    const double e = pcm_exp(x) - 1.0;
    return (x < 0.0009765625 && x > -0.0009765625) ? t : e;
#else
    return expm1(x);
#endif
}

struct pcm_pulse {          // numpy twin: pcmphys.population.PULSE_DTYPE
    pcm_i32 mode;
    double amplitude, width, rise, fall, ambient;
};

PCM_FN double pcm_maxd(double a, double b) { return a > b ? a : b; }
PCM_FN double pcm_mind(double a, double b) { return a < b ? a : b; }
PCM_FN double pcm_clampd(double x, double lo, double hi) { return pcm_mind(pcm_maxd(x, lo), hi); }

// ---------------------------------------------------------------- thermal
PCM_FN double pcm_on_state_voltage(double current, double u_a, const pcm_params& p) {
    return p.thermal_holding_voltage + p.thermal_on_resistance * current
         + p.thermal_amorphous_on_field * u_a;
}
PCM_FN double pcm_joule_power(double current, double voltage) { return current * voltage; }
PCM_FN double pcm_interface_thermal_resistance(double u_a, const pcm_params& p) {
    /* products with parameter reciprocals (hoisted by the compiler) instead of divisions: this
       and the Gaussian law sit on the latency-bound RK2 chain of the flat top (-7 % per pulse
       on the host); <= 1 ulp from the reference's divisions */
    double x = u_a * (1.0 / p.amorphization_max_amorphous_thickness);
    double line = p.thermal_rth_interface_thin
                + (p.thermal_rth_interface_thick - p.thermal_rth_interface_thin) * x;
    return line * -pcm_expm1v(u_a * (-1.0 / p.thermal_heater_sink_length));
}
PCM_FN double pcm_interface_temperature(double power, double u_a, double rth_factor,
                                        double ambient, const pcm_params& p) {
    return ambient + rth_factor * pcm_interface_thermal_resistance(u_a, p) * power;
}
PCM_FN double pcm_hotspot_temperature(double power, double rth_factor, double ambient,
                                      const pcm_params& p) {
    return ambient + rth_factor * p.thermal_rth_heater * power;
}
PCM_FN double pcm_voltage_mode_current(double voltage, double u_a, const pcm_params& p) {
    double drive = voltage - p.thermal_holding_voltage - p.thermal_amorphous_on_field * u_a;
    return pcm_maxd(drive, 0.0) / (p.thermal_series_resistance + p.thermal_on_resistance);
}
PCM_FN double pcm_filament_saturation_current(double heater_radius, const pcm_params& p) {
    return p.thermal_on_state_current_density * PCM_PI * heater_radius * heater_radius;
}
PCM_FN double pcm_filament_fraction(double current, double heater_radius, double area_factor,
                                    const pcm_params& p) {
    return pcm_mind(current / pcm_filament_saturation_current(heater_radius, p) * area_factor, 1.0);
}
PCM_FN double pcm_filament_confinement(double current, const pcm_params& p) {
    double i_sat = pcm_filament_saturation_current(p.amorphization_heater_radius, p);
    double ratio = current > 0.0 ? i_sat / current : 1.0;
    double x = pcm_maxd(ratio, 1.0), beta = p.thermal_filament_confinement_exponent;
#ifdef PCM_HOST
    return pcm_pow_pos(x, beta);   /* exp(beta ln x), no select: within a few ulp of x at 1 */
#else
    return beta == 1.0 ? x : pow(x, beta);   /* pow(x, 1) == x exactly; saves the pow */
#endif
}

// ---------------------------------------------------------------- amorphization
PCM_FN double pcm_molten_thickness(double liquid_power, double rth_factor, double heater_radius,
                                   double ambient, const pcm_params& p) {
    double onset = (p.amorphization_melting_temperature - ambient)
                 / (rth_factor * p.thermal_rth_heater);
    double ratio = pcm_maxd(liquid_power / onset, 0.0);
    double u = heater_radius * (pow(ratio, 1.0 / p.amorphization_melt_exponent) - 1.0);
    return pcm_clampd(u, 0.0, p.amorphization_max_amorphous_thickness);
}

// ---------------------------------------------------------------- crystallization
PCM_FN double pcm_growth_velocity_gaussian(double T, const pcm_params& p) {
    double z = (T - p.crystallization_peak_growth_temperature)
             * (1.0 / p.crystallization_growth_temperature_width);
    double v = p.crystallization_max_growth_velocity * pcm_exp(-0.5 * z * z);
    return (T < p.amorphization_melting_temperature) ? v : 0.0;
}
PCM_FN double pcm_log10_viscosity(double T, const pcm_params& p) {
    double linf = p.crystallization_log10_viscosity_infinity;
    double Tg = p.crystallization_glass_transition_temperature;
    double r = Tg / T;
    double liquid = linf + (12.0 - linf) * r
                  * pcm_exp((p.crystallization_fragility / (12.0 - linf) - 1.0) * (r - 1.0));
    double glass = 12.0 + p.crystallization_glass_activation_energy
                 / (PCM_KB_EV * 2.302585092994046) * (1.0 / T - 1.0 / Tg);
    return (T >= Tg) ? liquid : glass;
}
PCM_FN double pcm_diffusivity(double T, const pcm_params& p) {
    /* 1/eta = 10^(-log10 eta), written as one exp (pow costs ~3x more) */
    return PCM_KB_J * T / (3.0 * PCM_PI * p.crystallization_atomic_radius)
         * pcm_exp(-2.302585092994046 * pcm_log10_viscosity(T, p));
}
PCM_FN double pcm_growth_velocity_physical(double T, const pcm_params& p) {
    double Tm = p.amorphization_melting_temperature;
    if (!(T < Tm)) return 0.0;
    double dmu = p.crystallization_melt_enthalpy_per_atom * (Tm - T) / Tm * 2.0 * T / (Tm + T);
    double lam = p.crystallization_jump_distance;
    return 4.0 * p.crystallization_atomic_radius * pcm_diffusivity(T, p) / (lam * lam)
         * -pcm_expm1v(-dmu / (PCM_KB_EV * T));
}
PCM_FN double pcm_growth_velocity_glass(double T, const pcm_params& p) {
    double x = -p.crystallization_glass_growth_activation_energy / PCM_KB_EV
             * (1.0 / T - 1.0 / p.crystallization_glass_transition_temperature);
    double v = p.crystallization_glass_growth_velocity * pcm_exp(pcm_mind(x, 700.0));
    return (T < p.amorphization_melting_temperature) ? v : 0.0;
}
PCM_FN double pcm_series_growth_velocity(double v_gauss, double v_glass) {
    double total = v_gauss + v_glass;
    double v = v_gauss * v_glass / (total > 0.0 ? total : 1.0);
    return total > 0.0 ? v : 0.0;
}
// the default law alone (crystallization_growth_model "gaussian")
PCM_FN double pcm_growth_velocity_series(double T, const pcm_params& p) {
    return pcm_series_growth_velocity(pcm_growth_velocity_gaussian(T, p),
                                      pcm_growth_velocity_glass(T, p));
}
PCM_FN double pcm_growth_velocity(double T, const pcm_params& p) {
    if (p.crystallization_growth_model == PCM_CRYSTALLIZATION_GROWTH_MODEL_PHYSICAL)
        return pcm_growth_velocity_physical(T, p);
    return pcm_growth_velocity_series(T, p);
}
// The growth law as a type: pcm_v_any dispatches on crystallization_growth_model, pcm_v_series
// is the default law alone (the host's vectorised SET path, where the model is known).
struct pcm_v_any {
    static PCM_FN double at(double T, const pcm_params& p) { return pcm_growth_velocity(T, p); }
};
struct pcm_v_series {
    static PCM_FN double at(double T, const pcm_params& p) {
        return pcm_growth_velocity_series(T, p);
    }
};
// Mirrors pcmphys.physics.crystallization.growth_integral (8-point Gauss-Legendre)
template <class V>
PCM_FN double pcm_growth_integral_t(double T_a, double T_b, const pcm_params& p) {
    /* the four node pairs written out (no loop, so a loop over cells vectorises) */
    const double x0 = 0.1834346424956498, x1 = 0.5255324099163290, x2 = 0.7966664774136267,
                 x3 = 0.9602898564975363;
    const double w0 = 0.3626837833783620, w1 = 0.3137066458778873, w2 = 0.2223810344533745,
                 w3 = 0.1012285362903763;
    double mid = 0.5 * (T_a + T_b), half = 0.5 * (T_b - T_a), acc = 0.0;
    acc += w0 * (V::at(mid - half * x0, p) + V::at(mid + half * x0, p));
    acc += w1 * (V::at(mid - half * x1, p) + V::at(mid + half * x1, p));
    acc += w2 * (V::at(mid - half * x2, p) + V::at(mid + half * x2, p));
    acc += w3 * (V::at(mid - half * x3, p) + V::at(mid + half * x3, p));
    return half * acc;
}
PCM_FN double pcm_growth_integral(double T_a, double T_b, const pcm_params& p) {
    return pcm_growth_integral_t<pcm_v_any>(T_a, T_b, p);
}
// Mirrors pcmphys.physics.crystallization.ramp_growth (every case computed, one selected)
template <class V>
PCM_FN double pcm_ramp_growth_t(double duration, double T_low, double T_high,
                                const pcm_params& p) {
    /* a duration <= 0 (or NaN) gives 0: d is 0 then, and the growth terms are finite */
    double d = pcm_maxd(duration, 0.0);
    double span = pcm_maxd(T_high - T_low, 0.0);
    double flat = d * V::at(T_low, p);
    double top = pcm_maxd(pcm_mind(T_high, p.amorphization_melting_temperature), T_low);
    double ramp = d * (pcm_growth_integral_t<V>(T_low, top, p) / (span > 0.0 ? span : 1.0));
    return span > 0.0 ? ramp : flat;
}
PCM_FN double pcm_ramp_growth(double duration, double T_low, double T_high, const pcm_params& p) {
    return pcm_ramp_growth_t<pcm_v_any>(duration, T_low, T_high, p);
}
PCM_FN double pcm_nucleation_rate(double T, const pcm_params& p) {
    double Tm = p.amorphization_melting_temperature;
    double dgv = p.crystallization_melt_enthalpy_volumetric * (Tm - T) / Tm * 2.0 * T / (Tm + T);
    dgv = pcm_maxd(dgv, 1e-100);   /* DRIVING_FORCE_FLOOR */
    double s = p.crystallization_interfacial_energy;
    double barrier = 16.0 * PCM_PI * s * s * s / (3.0 * dgv * dgv);
    double lam = p.crystallization_jump_distance;
    double rate = p.crystallization_nucleation_site_density * pcm_diffusivity(T, p) / (lam * lam)
                * pcm_exp(-barrier / (PCM_KB_J * T));
    return (T < Tm) ? rate : 0.0;
}
PCM_FN double pcm_plug_volume(double u_a, double r) {
    double ro = r + u_a;
    return 2.0 / 3.0 * PCM_PI * (ro * ro * ro - r * r * r);
}

// ---------------------------------------------------------------- relaxation
PCM_FN double pcm_relax_order(double sigma, double T, double duration, const pcm_params& p) {
    double kT = PCM_KB_EV * T;
    double Es = p.relaxation_barrier_scale;
    double a = -Es * sigma / kT;
    double b = pcm_log(Es / kT * p.relaxation_attempt_frequency
                       * (duration > 0.0 ? duration : 1.0)) - Es / kT;
    double m = pcm_maxd(a, b);
    double lse = m + pcm_log1p(pcm_exp(-fabs(a - b)));
    double s = pcm_maxd(-(kT / Es) * lse, 0.0);
    return (duration > 0.0) ? s : sigma;
}
PCM_FN double pcm_pulse_order(double sigma, double T, double duration, const pcm_params& p) {
    double s = pcm_relax_order(sigma, T, duration, p);
    const double fresh = p.relaxation_initial_order;   /* a plain value: selects, no load */
    return (T >= p.crystallization_glass_transition_temperature) ? fresh : s;
}
PCM_FN double pcm_activation_energy(double sigma, double zeta_factor, double ea_offset,
                                    const pcm_params& p) {
    double zeta = p.relaxation_activation_coupling * zeta_factor;
    return p.conduction_activation_energy + ea_offset + zeta * (p.relaxation_initial_order - sigma);
}

// ---------------------------------------------------------------- conduction
// x > 0; the argument of the log is floored at the smallest normal double (x < 1e-308 only)
PCM_FN double pcm_log_sinh(double x) {
    return x + pcm_log(pcm_maxd(-pcm_expm1v(-2.0 * x), 2.2250738585072014e-308)) - PCM_LN2;
}
// branch-free: a layer at or below the conduction thickness gives 0 (selected at the end)
PCM_FN double pcm_amorphous_resistance(double V, double T, double u_a, double Ea, double r_h,
                                       const pcm_params& p) {
    const bool conducts = u_a > p.conduction_min_conduction_thickness;
    const double uu = conducts ? u_a : 1.0;
    double kT = PCM_KB_EV * T;
    double area = PCM_PI * r_h * r_h;
    double pref = 2.0 * PCM_Q * area * p.conduction_trap_density * p.conduction_trap_spacing
                / p.conduction_attempt_time;
    double x = V * p.conduction_trap_spacing / (2.0 * kT * uu);
    double log_i = pcm_log(pref) - Ea / kT + pcm_log_sinh(x);
    const double r = V * pcm_exp(-log_i);
    return conducts ? r : 0.0;
}
PCM_FN double pcm_read_conductance(double V, double T, double u_a, double Ea, double r_h,
                                   const pcm_params& p) {
    return 1.0 / (p.conduction_read_series_resistance
                  + pcm_amorphous_resistance(V, T, u_a, Ea, r_h, p));
}
PCM_FN double pcm_column_read_conductance(double V, double T, double u_a, double u_cap,
                                          double a_col, double Ea, double r_h,
                                          const pcm_params& p) {
    double rs = p.conduction_read_series_resistance;
    double r_c = p.conduction_column_resistance_share * rs;
    double r_col = r_c + pcm_amorphous_resistance(V, T, u_a, Ea, r_h, p);
    double r_rest = r_c + pcm_amorphous_resistance(V, T, u_cap, Ea, r_h, p);
    double g_par = a_col / r_col + (1.0 - a_col) / r_rest;
    return 1.0 / ((rs - r_c) + 1.0 / g_par);
}

// ---------------------------------------------------------------- threshold
PCM_FN double pcm_threshold_voltage(double u_a, double sigma, double T, double vth0_factor,
                                    const pcm_params& p) {
    double base = p.threshold_threshold_voltage_offset * vth0_factor + p.threshold_threshold_field * u_a;
    double drift = 1.0 + p.threshold_threshold_drift_coefficient * (p.relaxation_initial_order - sigma);
    double th = pcm_exp(-p.threshold_threshold_temperature_coefficient
                    * (T - p.threshold_threshold_reference_temperature));
    return base * drift * th;
}
PCM_FN double pcm_switching_delay(double V, double vth, const pcm_params& p) {
    return p.threshold_delay_time_prefactor * exp(-(V - vth) / p.threshold_delay_voltage_scale);
}

// ---------------------------------------------------------------- variability
PCM_FN double pcm_lognormal_factor(double z, double s) { return pcm_exp(s * z - 0.5 * s * s); }

struct pcm_device_factors {
    double heater_radius, rth_factor, vth0_factor, growth_factor, ea_offset, zeta_factor,
           endurance_cycles;
};
// The factors come in four draws (blocks) of two normals each: 0 heater_radius, rth_factor;
// 1 vth0_factor, growth_factor; 2 ea_offset, zeta_factor; 3 endurance_cycles. `blocks` is a
// bit mask of the draws to take (default all); fields of draws not taken are NaN. Kernels take
// only what they use (a pulse: 0-1, endurance only on a melt; a read: 0, 2 and 1 for V_th):
// each draw costs a Philox block, a log, a sincos and one or two exponentials per cell.
#define PCM_FACTORS_ALL 0xFu
#define PCM_FACTORS_PULSE 0x3u
#define PCM_FACTORS_READ 0x5u
#define PCM_FACTORS_THRESHOLD 0x2u
#define PCM_FACTORS_ENDURANCE 0x8u
PCM_FN pcm_device_factors pcm_device_factors_of(pcm_u64 seed, pcm_u64 dev, const pcm_params& p,
                                                pcm_u32 blocks = PCM_FACTORS_ALL) {
    const double unset = nan("");
    pcm_device_factors f;
    f.heater_radius = f.rth_factor = f.vth0_factor = f.growth_factor = unset;
    f.ea_offset = f.zeta_factor = f.endurance_cycles = unset;
    double z0, z1;
    if (blocks & 1u) {
        pcm_normals(pcm_draw(seed, dev, 0u, PCM_STREAM_VARIABILITY, 0u), &z0, &z1);
        f.heater_radius = p.amorphization_heater_radius
                        * pcm_lognormal_factor(z0, p.variability_heater_radius_sigma);
        f.rth_factor = pcm_lognormal_factor(z1, p.variability_thermal_resistance_sigma);
    }
    if (blocks & 2u) {
        pcm_normals(pcm_draw(seed, dev, 0u, PCM_STREAM_VARIABILITY, 1u), &z0, &z1);
        f.vth0_factor = pcm_lognormal_factor(z0, p.variability_threshold_voltage_sigma);
        f.growth_factor = pcm_lognormal_factor(z1, p.variability_growth_device_sigma);
    }
    if (blocks & 4u) {
        pcm_normals(pcm_draw(seed, dev, 0u, PCM_STREAM_VARIABILITY, 2u), &z0, &z1);
        f.ea_offset = p.variability_activation_energy_sigma * z0;
        f.zeta_factor = pcm_lognormal_factor(z1, p.variability_drift_coupling_sigma);
    }
    if (blocks & 8u) {
        pcm_normals(pcm_draw(seed, dev, 0u, PCM_STREAM_VARIABILITY, 3u), &z0, &z1);
        f.endurance_cycles = p.faults_endurance_median_cycles * pcm_exp(p.faults_endurance_sigma * z0);
    }
    return f;
}
PCM_FN void pcm_cycle_factors(pcm_u64 seed, pcm_u64 dev, pcm_u32 cycles, const pcm_params& p,
                              double* growth, double* quench) {
    double zg, zq;
    pcm_normals(pcm_draw(seed, dev, cycles, PCM_STREAM_CYCLE, 0u), &zg, &zq);
    *growth = pcm_lognormal_factor(zg, p.variability_growth_cycle_sigma);
    *quench = pcm_lognormal_factor(zq, p.variability_quench_sigma);
}
PCM_FN pcm_u8 pcm_failure_kind(double u_kind, const pcm_params& p) {
    return u_kind < p.faults_stuck_set_fraction ? PCM_FAULT_STUCK_SET : PCM_FAULT_OPEN;
}
PCM_FN pcm_u8 pcm_initial_faults(pcm_u64 seed, pcm_u64 dev, const pcm_params& p) {
    pcm_u32x4 r = pcm_rng_draw(seed, dev, 0u, PCM_STREAM_FAULT, 0u);
    double u_def = pcm_uniform_f64(r.x, r.y), u_kind = pcm_uniform_f64(r.z, r.w);
    return u_def < p.faults_initial_defect_fraction ? pcm_failure_kind(u_kind, p) : (pcm_u8)PCM_FAULT_NONE;
}
PCM_FN pcm_u8 pcm_endurance_fault(pcm_u64 seed, pcm_u64 dev, const pcm_params& p) {
    pcm_u32x4 r = pcm_rng_draw(seed, dev, 0u, PCM_STREAM_FAULT, 0u);
    return pcm_failure_kind(pcm_uniform_f64(r.z, r.w), p);
}

// ---------------------------------------------------------------- noise
PCM_FN double pcm_noise_coefficient(double G, const pcm_params& p) {
    double g = pcm_maxd(G, 0.0) / p.noise_noise_reference_conductance;
    const double a = p.noise_noise_exponent;
    /* g^a, branch-free: 0^a is 0 (1 for a = 0) */
    const double ga = g > 0.0 ? pcm_pow_pos(g > 0.0 ? g : 1.0, a) : (a == 0.0 ? 1.0 : 0.0);
    return pcm_mind(p.noise_noise_coefficient / pcm_maxd(ga, 1e-3), p.noise_noise_max);
}
PCM_FN double pcm_noisy_conductance(double G, double nsum, const pcm_params& p) {
    return G * pcm_exp(pcm_noise_coefficient(G, p) * nsum);
}
PCM_FN double pcm_octave_time(int k, const pcm_params& p) {
    double r = p.noise_noise_octave_ratio;
    return 2.0 * p.noise_read_time * pow(r, k + 0.5 + 1.0 / log(r));
}
PCM_FN int pcm_octave_count(const pcm_params& p) {
    double r = p.noise_noise_octave_ratio;
    int k = (int)floor(log(p.noise_noise_max_correlation_time / pcm_octave_time(0, p)) / log(r));
    k += 1;
    return k < 1 ? 1 : (k > PCM_MAX_OCTAVES ? PCM_MAX_OCTAVES : k);
}
PCM_FN double pcm_octave_value(pcm_u64 seed, pcm_u64 dev, int k, pcm_i64 bin) {
    pcm_u32x4 r = pcm_draw(seed, dev, (pcm_u32)(bin & 0xFFFFFFFFll), PCM_STREAM_NOISE_BASE + k,
                           (pcm_u32)((bin >> 32) & 0xFFFF));
#ifdef PCM_HOST
    double z0, z1;   /* pcm_normal_first through the arithmetic-only normals */
    pcm_normals(r, &z0, &z1);
    return z0;
#else
    return pcm_normal_first(r);
#endif
}
#ifdef PCM_HOST
// Floor of x >= 0 in double arithmetic (no conversion to an integer, which AVX2 lacks for
// 64-bit integers): round to nearest by adding and removing 2^52, step down where that rounded
// up; x >= 2^52 is already an integer. Equals (double)pcm_floor_i64(x) for 0 <= x < 2^63.
PCM_FN double pcm_floor_nonneg(double x) {
    const double r = (x + 4503599627370496.0) - 4503599627370496.0;
    const double f = r > x ? r - 1.0 : r;
    return x >= 4503599627370496.0 ? x : f;
}
// pcm_octave_value of the bin (pcm_i64)d, for an integer-valued double 0 <= d < 2^63: the low
// 32 bits and bits 32-47 of the bin by exact double arithmetic (the same draw, vectorisable).
PCM_FN double pcm_octave_value_d(pcm_u64 seed, pcm_u64 dev, int k, double d) {
    const double hi = pcm_floor_nonneg(d * 2.3283064365386962890625e-10);   /* d / 2^32 */
    const double lo = d - hi * 4294967296.0;
    const pcm_u32 ev = (pcm_u32)pcm_f64_bits(lo + 4503599627370496.0);
    const pcm_u32 blk = (pcm_u32)(pcm_f64_bits(hi + 4503599627370496.0) & 0xFFFFull);
    pcm_u32x4 r = pcm_draw(seed, dev, ev, PCM_STREAM_NOISE_BASE + k, blk);
    double z0, z1;
    pcm_normals(r, &z0, &z1);
    return z0;
}
#endif
// Cell-independent constants of the octave sum, computed once per launch.
struct pcm_flicker_consts { int K; double w, tau0; };
PCM_FN pcm_flicker_consts pcm_flicker_consts_of(const pcm_params& p) {
    pcm_flicker_consts c;
    c.K = pcm_octave_count(p);
    c.w = sqrt(0.5 * log(p.noise_noise_octave_ratio));
    c.tau0 = pcm_octave_time(0, p);
    return c;
}
PCM_FN double pcm_flicker_sum(pcm_u64 seed, pcm_u64 dev, double t, double t_ref,
                              const pcm_flicker_consts& c, const pcm_params& p) {
    double total = 0.0, phase0 = 0.0, phase1 = 0.0;
    double tau = c.tau0;   /* tau_k = tau_0 r^k, by repeated products */
    for (int k = 0; k < c.K; ++k, tau *= p.noise_noise_octave_ratio) {
        if (k % 2 == 0) {
            pcm_u32x4 r = pcm_draw(seed, dev, (pcm_u32)(k / 2), PCM_STREAM_NOISE_PHASE, 0u);
            phase0 = pcm_uniform(r.x, r.y);
            phase1 = pcm_uniform(r.z, r.w);
        }
        double phase = (k % 2 == 0) ? phase0 : phase1;
        pcm_i64 b1 = pcm_floor_i64(t / tau + phase);
        pcm_i64 b0 = pcm_floor_i64(t_ref / tau + phase);
        if (b1 != b0)
            total += c.w * (pcm_octave_value(seed, dev, k, b1) - pcm_octave_value(seed, dev, k, b0));
    }
    return total;
}
