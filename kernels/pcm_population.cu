// pcm_population.cu -- entry kernels of pcmphys.population.Population on the host and cupy
// backends.
// Mirrors: pcmphys.physics.cell.initial_state (pcm_init), pcmphys.physics.cell.pulse_update
//          with wait_update between pulses of a train (pcm_apply_pulse),
//          pcmphys.physics.cell.wait_update (pcm_wait), pcmphys.physics.cell.read_cells (pcm_read),
//          pcmphys.physics.crystallization.growth_velocity,
//          pcmphys.physics.crystallization.nucleation_rate,
//          (pcm_launch_memo).
// Common arguments: params (by value), seed, device_offset (global index of cell 0), n.
#include "pcm_common.cuh"
#include "philox.cuh"
#include "params.cuh"
#include "pcm_physics.cuh"

// ---------------------------------------------------------------- cell-level helpers
struct pcm_power_t { double current, power; };

PCM_FN pcm_power_t pcm_power(int mode, double amplitude, double u, const pcm_params& p) {
    pcm_power_t r;
    r.current = (mode == PCM_MODE_CURRENT) ? amplitude : pcm_voltage_mode_current(amplitude, u, p);
    r.power = pcm_joule_power(r.current, pcm_on_state_voltage(r.current, u, p));
    return r;
}

PCM_FN double pcm_growth_rate(double u, double gfac, double rth, int mode, double amplitude,
                              double ambient, const pcm_params& p) {
    pcm_power_t pw = pcm_power(mode, amplitude, u, p);
    double T = pcm_interface_temperature(pw.power, u, rth, ambient, p);
    return gfac * pcm_growth_velocity(T, p);
}

// Mirrors pcmphys.physics.cell._grow_flat_top
PCM_FN double pcm_rk2_growth_step(double u, double h, double gfac, double rth, int mode,
                                  double amplitude, double ambient, const pcm_params& p) {
    double u_mid = pcm_maxd(u - 0.5 * h * pcm_growth_rate(u, gfac, rth, mode, amplitude, ambient, p), 0.0);
    return pcm_maxd(u - h * pcm_growth_rate(u_mid, gfac, rth, mode, amplitude, ambient, p), 0.0);
}
PCM_FN double pcm_grow_flat_top(double u, double t_eff, double gfac, double rth, int mode,
                                double amplitude, double ambient, const pcm_params& p) {
    double nsteps = pcm_clampd(ceil(t_eff / PCM_GROWTH_STEP), 1.0, (double)PCM_MAX_GROWTH_STEPS);
    double fine_end = PCM_MAX_GROWTH_STEPS * PCM_GROWTH_STEP;
    double h = (t_eff > fine_end) ? PCM_GROWTH_STEP : t_eff / nsteps;
    int ns = (int)nsteps;
    for (int j = 0; j < ns; ++j) u = pcm_rk2_growth_step(u, h, gfac, rth, mode, amplitude, ambient, p);
    double rem = (t_eff > fine_end) ? t_eff - fine_end : 0.0;
    h = 2.0 * PCM_GROWTH_STEP;
    while (rem > 0.0) {   /* long flat tops: doubling steps (see the reference) */
        double hh = pcm_mind(h, rem);
        u = pcm_rk2_growth_step(u, hh, gfac, rth, mode, amplitude, ambient, p);
        rem -= hh;
        h *= 2.0;
    }
    return u;
}

// Per-cell memo of one launch: quantities that depend only on the ambient temperature (the
// temperature of the waits; from pcm_launch_memo, see pcm_memo_from) or on the cycle count
// (filled at first use), which a fused pulse train would otherwise recompute at every pulse.
// Each memoised value is the same function of the same arguments as its recomputation, so
// results are unchanged bit for bit.
struct pcm_memo_t {
    double T_wait;             /* the ambient the values below belong to */
    double v_wait, rate_wait;  /* growth velocity [m/s], nucleation rate [1/(m^3 s)] at it */
    pcm_u32 cycles; int cycle_ready; double g_cyc, q;
};
// The cell-independent part of the memo, from the two values pcm_launch_memo wrote once per
// population and temperature (memo_in). Passed through global memory (one cached broadcast
// load), so no thread recomputes them.
PCM_FN pcm_memo_t pcm_memo_from(double ambient, const double* __restrict__ memo_in) {
    pcm_memo_t m;
    m.T_wait = ambient;
    m.v_wait = memo_in[0];
    m.rate_wait = memo_in[1];
    m.cycles = 0u; m.cycle_ready = 0; m.g_cyc = 1.0; m.q = 1.0;
    return m;
}

// pcm_cycle_factors through the memo (keyed by the cycle count)
PCM_FN void pcm_memo_cycle_factors(pcm_memo_t& m, pcm_u64 seed, pcm_u64 dev, pcm_u32 cycles,
                                   const pcm_params& p, double* growth, double* quench) {
    if (!m.cycle_ready || m.cycles != cycles) {
        pcm_cycle_factors(seed, dev, cycles, p, &m.g_cyc, &m.q);
        m.cycles = cycles; m.cycle_ready = 1;
    }
    *growth = m.g_cyc; *quench = m.q;
}
// growth velocity and nucleation rate at a wait temperature T: the memo's at its ambient
PCM_FN void pcm_memo_wait_rates(const pcm_memo_t& m, double T, const pcm_params& p, double* v,
                                double* rate) {
    if (T == m.T_wait) { *v = m.v_wait; *rate = m.rate_wait; return; }
    *v = pcm_growth_velocity(T, p);
    *rate = pcm_nucleation_rate(T, p);
}

// Mirrors pcmphys.physics.cell._nucleation_factor (rate = nucleation_rate(T) [1/(m^3 s)])
PCM_FN double pcm_nucleation_factor(double u, double rate, double duration, double r_h,
                                    pcm_u64 seed, pcm_u64 dev, pcm_u32 event, pcm_u32 block,
                                    const pcm_params& p) {
    double lam = rate * pcm_plug_volume(u, r_h) * duration;
    pcm_u32x4 r = pcm_rng_draw(seed, dev, event, PCM_STREAM_NUCLEATION, block);
    double u_hit = pcm_uniform_f64(r.x, r.y), u_frac = pcm_uniform_f64(r.z, r.w);
    if (u_hit < -pcm_expm1(-lam)) return 1.0 - p.crystallization_nucleation_shortening * u_frac;
    return 1.0;
}
// Mirrors pcmphys.physics.cell._nucleate
PCM_FN double pcm_nucleate(double u, double rate, double duration, double r_h, pcm_u64 seed,
                           pcm_u64 dev, pcm_u32 event, pcm_u32 block, const pcm_params& p) {
    return u * pcm_nucleation_factor(u, rate, duration, r_h, seed, dev, event, block, p);
}

// Mirrors pcmphys.physics.cell._wait_cells (updates u, u_cap and sigma in place)
PCM_FN void pcm_wait_cell(double* u, double* u_cap, double* sigma, pcm_u32 cycles,
                          double duration, double T, pcm_u32 event, pcm_u32 block, pcm_u64 seed,
                          pcm_u64 dev, const pcm_device_factors& f, const pcm_params& p,
                          pcm_memo_t& m) {
    double g_cyc, q, vT, rate;
    pcm_memo_cycle_factors(m, seed, dev, cycles, p, &g_cyc, &q);
    pcm_memo_wait_rates(m, T, p, &vT, &rate);
    double v = f.growth_factor * g_cyc * vT;
    double un = pcm_maxd(*u - v * duration, 0.0);
    double cn = pcm_maxd(*u_cap - v * duration, 0.0);
    double k = pcm_nucleation_factor(cn, rate, duration, f.heater_radius, seed, dev, event,
                                     block, p);
    *u = un * k;
    *u_cap = cn * k;
    *sigma = pcm_relax_order(*sigma, T, duration, p);
}

// Mirrors pcmphys.physics.cell._melt
PCM_FN double pcm_melt(double u, pcm_u32 cycles, double current_liq, const pcm_device_factors& f,
                       pcm_u64 seed, pcm_u64 dev, double fall, double ambient, const pcm_params& p,
                       pcm_memo_t& m) {
    double Tm = p.amorphization_melting_temperature;
    pcm_power_t pl = pcm_power(PCM_MODE_CURRENT, current_liq, 0.0, p);
    double u_melt = pcm_molten_thickness(pl.power, f.rth_factor, f.heater_radius, ambient, p);
    double T_top = pcm_maxd(pcm_hotspot_temperature(pl.power, f.rth_factor, ambient, p), Tm);
    double g_cyc, q;
    pcm_memo_cycle_factors(m, seed, dev, cycles + 1u, p, &g_cyc, &q);
    double du_rc = f.growth_factor * g_cyc * pcm_ramp_growth(fall, ambient, T_top, p);
    double un = (pcm_maxd(u_melt, u) - du_rc) * q;
    return pcm_clampd(un, 0.0, p.amorphization_max_amorphous_thickness);
}

struct pcm_cell_t { double u, sigma, t_melt, t_prog, u_cap, a_col; pcm_u32 cycles; pcm_u8 fault; };
struct pcm_diag_t { double power, T_int, T_peak, energy, melted; };

// Mirrors pcmphys.physics.cell.pulse_update for one cell
PCM_FN void pcm_pulse_cell(pcm_cell_t& c, const pcm_pulse& pu, double amplitude, bool active,
                           double t_start, pcm_u32 event, pcm_u64 seed, pcm_u64 dev,
                           const pcm_device_factors& f, const pcm_params& p, pcm_memo_t& m,
                           pcm_diag_t& d) {
    double duration = pu.rise + pu.width + pu.fall;
    double t_end = t_start + duration;
    double ambient = pu.ambient;
    double Tm = p.amorphization_melting_temperature;
    bool ok = (c.fault == PCM_FAULT_NONE) && active;
    bool blocked = c.u > p.conduction_min_conduction_thickness;
    /* counter-based draws: each is taken only where it is used (no draw shifts another) */
    double z_growth = 0.0, z_vth = 0.0, z_delay = 0.0, z_area = 0.0;
    bool have_z0 = false, have_z1 = false;
    double t_eff = pu.width, current_liq = amplitude;
    if (pu.mode == PCM_MODE_VOLTAGE) {
        pcm_normal2(pcm_rng_draw(seed, dev, event, PCM_STREAM_PULSE, 0u), &z_growth, &z_vth);
        pcm_normal2(pcm_rng_draw(seed, dev, event, PCM_STREAM_PULSE, 1u), &z_delay, &z_area);
        have_z0 = have_z1 = true;
        double vth = pcm_threshold_voltage(c.u, c.sigma, ambient, f.vth0_factor, p)
                   * pcm_lognormal_factor(z_vth, p.variability_threshold_cycle_sigma);
        if (!blocked) vth = 0.0;
        bool switched = amplitude >= vth;
        double delay = pcm_switching_delay(amplitude, vth, p)
                     * pcm_lognormal_factor(z_delay, p.variability_delay_sigma);
        t_eff = switched ? pcm_maxd(pu.width - delay, 0.0) : 0.0;
        current_liq = pcm_voltage_mode_current(amplitude, 0.0, p);
    }
    bool maybe = ok && (t_eff > 0.0);
    /* ON filament of the thinnest path and the column it crystallises */
    double u0 = c.u, a_new = c.a_col, heated = 1.0, rth_front = f.rth_factor;
    if (maybe) {
        double current0 = pcm_power(pu.mode, amplitude, c.u, p).current;
        double a_f = c.a_col;   /* a percolated column carries the current ohmically */
        if (blocked) {
            if (!have_z1) {
                pcm_normal2(pcm_rng_draw(seed, dev, event, PCM_STREAM_PULSE, 1u), &z_delay, &z_area);
                have_z1 = true;
            }
            a_f = pcm_filament_fraction(current0, f.heater_radius,
                                        pcm_lognormal_factor(z_area, p.variability_filament_area_sigma), p);
            rth_front = f.rth_factor * pcm_filament_confinement(current0, p);
        }
        if (a_f > c.a_col) u0 = (c.a_col * c.u + (a_f - c.a_col) * c.u_cap) / a_f;
        a_new = pcm_maxd(c.a_col, a_f);
        heated = a_new > 0.0 ? a_f / a_new : 1.0;
    }
    pcm_power_t pw = pcm_power(pu.mode, amplitude, u0, p);
    bool written = maybe && (pw.current > 0.0);
    double T_peak = pcm_hotspot_temperature(pw.power, f.rth_factor, ambient, p);
    double T_int = pcm_interface_temperature(pw.power, u0, rth_front, ambient, p);
    bool melted = written && (T_peak >= Tm);
    bool remelt = written && !melted && blocked && (T_int >= Tm);
    bool grown = written && !melted && !remelt;
    double u_new, s_new, cap_new = c.u_cap, a_out = c.a_col;
    if (melted) {
        u_new = pcm_melt(u0, c.cycles, current_liq, f, seed, dev, pu.fall, ambient, p, m);
        s_new = p.relaxation_initial_order;
        cap_new = u_new; a_out = 0.0;
    } else if (remelt) {
        u_new = c.u_cap; s_new = p.relaxation_initial_order; a_out = a_new;
    } else if (grown) {
        double g_cyc, q;
        pcm_memo_cycle_factors(m, seed, dev, c.cycles, p, &g_cyc, &q);
        if (!have_z0)
            pcm_normal2(pcm_rng_draw(seed, dev, event, PCM_STREAM_PULSE, 0u), &z_growth, &z_vth);
        double gfac = f.growth_factor * g_cyc
                    * pcm_lognormal_factor(z_growth, p.variability_growth_pulse_sigma);
        double ug = pcm_maxd(u0 - gfac * pcm_ramp_growth(pu.rise, ambient, T_int, p), 0.0);
        ug = pcm_grow_flat_top(ug, t_eff, gfac, rth_front, pu.mode, amplitude, ambient, p);
        pcm_power_t pe = pcm_power(pu.mode, amplitude, ug, p);
        double T_end = pcm_interface_temperature(pe.power, ug, rth_front, ambient, p);
        ug = pcm_maxd(ug - gfac * pcm_ramp_growth(pu.fall, ambient, T_end, p), 0.0);
        ug = pcm_nucleate(ug, pcm_nucleation_rate(T_int, p), t_eff, f.heater_radius, seed, dev,
                          event, 0u, p);
        u_new = u0 - (u0 - ug) * heated;
        s_new = pcm_pulse_order(c.sigma, T_int, duration, p);
        a_out = a_new;
    } else if (c.fault != PCM_FAULT_NONE) {
        u_new = c.u; s_new = c.sigma;
    } else {
        u_new = c.u; s_new = c.sigma;
        pcm_wait_cell(&u_new, &cap_new, &s_new, c.cycles, duration, ambient, event, 0u, seed, dev,
                      f, p, m);
    }
    c.u = (double)(float)u_new;
    c.u_cap = (double)(float)cap_new;
    c.a_col = (double)(float)a_out;
    c.sigma = (double)(float)s_new;
    if (melted) { c.t_melt = t_end; c.cycles += 1u; }
    if (written) c.t_prog = t_end;
    if (melted && (double)c.cycles
                  >= pcm_device_factors_of(seed, dev, p, PCM_FACTORS_ENDURANCE).endurance_cycles) {
        c.fault = pcm_endurance_fault(seed, dev, p);
        if (c.fault == PCM_FAULT_STUCK_SET) { c.u = 0.0; c.u_cap = 0.0; c.a_col = 1.0; }
    }
    d.power = written ? pw.power : 0.0;
    d.T_int = written ? T_int : ambient;
    d.T_peak = written ? T_peak : ambient;
    d.energy = written ? pw.power * (t_eff + 0.5 * (pu.rise + pu.fall)) : 0.0;
    d.melted = melted ? 1.0 : 0.0;
}

// ---------------------------------------------------------------- entry kernels
extern "C" __global__ void pcm_init(pcm_params p, pcm_u64 seed, pcm_i64 offset, pcm_i64 n,
                                    float* __restrict__ u_a, float* __restrict__ sigma,
                                    double* __restrict__ t_melt, double* __restrict__ t_prog,
                                    pcm_u32* __restrict__ cycles, pcm_u8* __restrict__ fault,
                                    float* __restrict__ u_cap, float* __restrict__ a_col) {
    PCM_FOR_EACH(i, n) {
        u_a[i] = 0.0f;
        sigma[i] = (float)p.relaxation_initial_order;
        t_melt[i] = 0.0; t_prog[i] = 0.0; cycles[i] = 0u;
        fault[i] = pcm_initial_faults(seed, (pcm_u64)(offset + i), p);
        u_cap[i] = 0.0f; a_col[i] = 1.0f;
    }
}

// out[0]: growth velocity [m/s], out[1]: nucleation rate [1/(m^3 s)] at T [K]. One item; the
// memo_in of pcm_apply_pulse and pcm_wait (pcm_memo_from).
extern "C" __global__ void pcm_launch_memo(pcm_params p, double T, double* __restrict__ out) {
    PCM_FOR_EACH(i, 1) {
        out[0] = pcm_growth_velocity(T, p);
        out[1] = pcm_nucleation_rate(T, p);
    }
}

extern "C" __global__ void pcm_apply_pulse(
        pcm_params p, pcm_u64 seed, pcm_i64 offset, pcm_i64 n, pcm_pulse pu, pcm_u32 event0,
        pcm_i32 repeat, double t_start, double period,
        float* __restrict__ u_a, float* __restrict__ sigma, double* __restrict__ t_melt,
        double* __restrict__ t_prog, pcm_u32* __restrict__ cycles, pcm_u8* __restrict__ fault,
        float* __restrict__ u_cap, float* __restrict__ a_col,
        const pcm_u8* __restrict__ where, const double* __restrict__ scale,
        double* __restrict__ d_power, double* __restrict__ d_tint, double* __restrict__ d_tpeak,
        double* __restrict__ d_energy, double* __restrict__ d_melted,
        const double* __restrict__ memo_in) {
    const pcm_memo_t m0 = pcm_memo_from(pu.ambient, memo_in);
    PCM_FOR_EACH(i, n) {
        pcm_u64 dev = (pcm_u64)(offset + i);
        pcm_device_factors f = pcm_device_factors_of(seed, dev, p, PCM_FACTORS_PULSE);
        pcm_cell_t c;
        c.u = u_a[i]; c.sigma = sigma[i]; c.t_melt = t_melt[i]; c.t_prog = t_prog[i];
        c.cycles = cycles[i]; c.fault = fault[i]; c.u_cap = u_cap[i]; c.a_col = a_col[i];
        bool active = (where == 0) || (where[i] != 0);
        double amp = (scale == 0) ? pu.amplitude : pu.amplitude * scale[i];
        double rest = period - (pu.rise + pu.width + pu.fall);
        pcm_diag_t d;
        pcm_memo_t m = m0;
        for (pcm_i32 k = 0; k < repeat; ++k) {
            pcm_u32 ev = event0 + (pcm_u32)k;
            pcm_pulse_cell(c, pu, amp, active, t_start + k * period, ev, seed, dev, f, p, m, d);
            if (rest > 0.0 && c.fault == PCM_FAULT_NONE) {
                double un = c.u, cn = c.u_cap, sn = c.sigma;
                pcm_wait_cell(&un, &cn, &sn, c.cycles, rest, pu.ambient, ev, 1u, seed, dev, f, p,
                              m);
                c.u = (double)(float)un; c.u_cap = (double)(float)cn; c.sigma = (double)(float)sn;
            }
        }
        u_a[i] = (float)c.u; sigma[i] = (float)c.sigma; t_melt[i] = c.t_melt;
        t_prog[i] = c.t_prog; cycles[i] = c.cycles; fault[i] = c.fault;
        u_cap[i] = (float)c.u_cap; a_col[i] = (float)c.a_col;
        if (d_power) { d_power[i] = d.power; d_tint[i] = d.T_int; d_tpeak[i] = d.T_peak;
                       d_energy[i] = d.energy; d_melted[i] = d.melted; }
    }
}

extern "C" __global__ void pcm_wait(pcm_params p, pcm_u64 seed, pcm_i64 offset, pcm_i64 n,
                                    pcm_u32 event, double duration, double T,
                                    float* __restrict__ u_a, float* __restrict__ sigma,
                                    double* __restrict__ t_melt, double* __restrict__ t_prog,
                                    pcm_u32* __restrict__ cycles, pcm_u8* __restrict__ fault,
                                    float* __restrict__ u_cap, float* __restrict__ a_col,
                                    const double* __restrict__ memo_in) {
    const pcm_memo_t m0 = pcm_memo_from(T, memo_in);
    PCM_FOR_EACH(i, n) {
        if (fault[i] != PCM_FAULT_NONE) continue;
        pcm_u64 dev = (pcm_u64)(offset + i);
        pcm_device_factors f = pcm_device_factors_of(seed, dev, p, PCM_FACTORS_PULSE);
        double u = u_a[i], cap = u_cap[i], s = sigma[i];
        pcm_memo_t m = m0;
        pcm_wait_cell(&u, &cap, &s, cycles[i], duration, T, event, 0u, seed, dev, f, p, m);
        u_a[i] = (float)u; u_cap[i] = (float)cap; sigma[i] = (float)s;
    }
}

// quantity: 0 conductance [S], 1 resistance [Ohm], 2 current [A], 3 threshold voltage [V]
extern "C" __global__ void pcm_read(pcm_params p, pcm_u64 seed, pcm_i64 offset, pcm_i64 n,
                                    double V, double T, double t, pcm_i32 quantity,
                                    const float* __restrict__ u_a, const float* __restrict__ sigma,
                                    const double* __restrict__ t_melt, const double* __restrict__ t_prog,
                                    const pcm_u32* __restrict__ cycles, const pcm_u8* __restrict__ fault,
                                    const float* __restrict__ u_cap, const float* __restrict__ a_col,
                                    double* __restrict__ out) {
    const pcm_flicker_consts fc = pcm_flicker_consts_of(p);
    PCM_FOR_EACH(i, n) {
        pcm_u64 dev = (pcm_u64)(offset + i);
        pcm_device_factors f = pcm_device_factors_of(
            seed, dev, p, quantity == 3 ? PCM_FACTORS_THRESHOLD : PCM_FACTORS_READ);
        double u = u_a[i], s = sigma[i];
        if (quantity == 3) {
            out[i] = (u > p.conduction_min_conduction_thickness)
                   ? pcm_threshold_voltage(u, s, T, f.vth0_factor, p) : 0.0;
            continue;
        }
        double ea = pcm_activation_energy(s, f.zeta_factor, f.ea_offset, p);
        double g = pcm_column_read_conductance(V, T, u, u_cap[i], a_col[i], ea, f.heater_radius, p);
        if (fault[i] == PCM_FAULT_STUCK_SET) g = 1.0 / p.conduction_read_series_resistance;
        if (fault[i] == PCM_FAULT_OPEN) g = p.faults_open_conductance;
        if (p.noise_noise_coefficient > 0.0) {
            double nsum = pcm_flicker_sum(seed, dev, t, t_prog[i], fc, p);
            g = pcm_noisy_conductance(g, nsum, p);
        }
        out[i] = (quantity == 0) ? g : (quantity == 1 ? 1.0 / g : g * V);
    }
}
