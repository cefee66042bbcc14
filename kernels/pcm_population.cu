// pcm_population.cu -- entry kernels of pcmphys.population.Population on the host and cupy
// backends.
// Mirrors: pcmphys.physics.cell.initial_state (pcm_init), pcmphys.physics.cell.pulse_update
//          with wait_update between pulses of a train (pcm_apply_pulse),
//          pcmphys.physics.cell.wait_update (pcm_wait), pcmphys.physics.cell.read_cells (pcm_read),
//          pcmphys.physics.crystallization.growth_velocity,
//          pcmphys.physics.crystallization.nucleation_rate,
//          (pcm_launch_memo).
// Common arguments: params (by value), seed, device_offset (global index of cell 0), n.
#ifdef PCM_HOST
// FP exceptions are never inspected: let the vectoriser compute both sides of a select (the
// values are unchanged; with trapping math GCC keeps them as branches and does not vectorise)
#pragma GCC optimize("no-trapping-math")
#endif
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

template <class V>
PCM_FN double pcm_growth_rate(double u, double gfac, double rth, int mode, double amplitude,
                              double ambient, const pcm_params& p) {
    pcm_power_t pw = pcm_power(mode, amplitude, u, p);
    double T = pcm_interface_temperature(pw.power, u, rth, ambient, p);
    return gfac * V::at(T, p);
}

// Mirrors pcmphys.physics.cell._grow_flat_top
template <class V>
PCM_FN double pcm_rk2_growth_step_t(double u, double h, double gfac, double rth, int mode,
                                    double amplitude, double ambient, const pcm_params& p) {
    double u_mid = pcm_maxd(u - 0.5 * h * pcm_growth_rate<V>(u, gfac, rth, mode, amplitude,
                                                                ambient, p), 0.0);
    return pcm_maxd(u - h * pcm_growth_rate<V>(u_mid, gfac, rth, mode, amplitude, ambient, p),
                    0.0);
}
PCM_FN double pcm_rk2_growth_step(double u, double h, double gfac, double rth, int mode,
                                  double amplitude, double ambient, const pcm_params& p) {
    return pcm_rk2_growth_step_t<pcm_v_any>(u, h, gfac, rth, mode, amplitude, ambient, p);
}
// The step schedule of pcm_grow_flat_top for a flat top t_eff: ns steps of h, then the
// doubling steps of the remainder rem.
PCM_FN void pcm_flat_top_schedule(double t_eff, int* ns, double* h, double* rem) {
    double nsteps = pcm_clampd(ceil(t_eff / PCM_GROWTH_STEP), 1.0, (double)PCM_MAX_GROWTH_STEPS);
    double fine_end = PCM_MAX_GROWTH_STEPS * PCM_GROWTH_STEP;
    *h = (t_eff > fine_end) ? PCM_GROWTH_STEP : t_eff / nsteps;
    *ns = (int)nsteps;
    *rem = (t_eff > fine_end) ? t_eff - fine_end : 0.0;
}
PCM_FN double pcm_grow_flat_top(double u, double t_eff, double gfac, double rth, int mode,
                                double amplitude, double ambient, const pcm_params& p) {
    int ns; double h, rem;
    pcm_flat_top_schedule(t_eff, &ns, &h, &rem);
    for (int j = 0; j < ns; ++j) u = pcm_rk2_growth_step(u, h, gfac, rth, mode, amplitude, ambient, p);
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
    pcm_u32x4 r = pcm_draw(seed, dev, event, PCM_STREAM_NUCLEATION, block);
    double u_hit = pcm_uniform(r.x, r.y), u_frac = pcm_uniform(r.z, r.w);
    double k = 1.0 - p.crystallization_nucleation_shortening * u_frac;
    return (u_hit < -pcm_expm1v(-lam)) ? k : 1.0;
}
// Mirrors pcmphys.physics.cell._nucleate
PCM_FN double pcm_nucleate(double u, double rate, double duration, double r_h, pcm_u64 seed,
                           pcm_u64 dev, pcm_u32 event, pcm_u32 block, const pcm_params& p) {
    return u * pcm_nucleation_factor(u, rate, duration, r_h, seed, dev, event, block, p);
}

// pcm_wait_cell with its rates given: g_cyc the cycle growth factor, vT [m/s] and rate
// [1/(m^3 s)] the growth velocity and nucleation rate at T; heater_radius and growth_factor
// the device's. Branch-free (the host's vectorised loops call it).
PCM_FN void pcm_wait_core(double* u, double* u_cap, double* sigma, double g_cyc, double vT,
                          double rate, double duration, double T, pcm_u32 event, pcm_u32 block,
                          pcm_u64 seed, pcm_u64 dev, double heater_radius, double growth_factor,
                          const pcm_params& p) {
    double v = growth_factor * g_cyc * vT;
    double un = pcm_maxd(*u - v * duration, 0.0);
    double cn = pcm_maxd(*u_cap - v * duration, 0.0);
    double k = pcm_nucleation_factor(cn, rate, duration, heater_radius, seed, dev, event,
                                     block, p);
    *u = un * k;
    *u_cap = cn * k;
    *sigma = pcm_relax_order(*sigma, T, duration, p);
}
// Mirrors pcmphys.physics.cell._wait_cells (updates u, u_cap and sigma in place)
PCM_FN void pcm_wait_cell(double* u, double* u_cap, double* sigma, pcm_u32 cycles,
                          double duration, double T, pcm_u32 event, pcm_u32 block, pcm_u64 seed,
                          pcm_u64 dev, const pcm_device_factors& f, const pcm_params& p,
                          pcm_memo_t& m) {
    double g_cyc, q, vT, rate;
    pcm_memo_cycle_factors(m, seed, dev, cycles, p, &g_cyc, &q);
    pcm_memo_wait_rates(m, T, p, &vT, &rate);
    pcm_wait_core(u, u_cap, sigma, g_cyc, vT, rate, duration, T, event, block, seed, dev,
                  f.heater_radius, f.growth_factor, p);
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

// The growth factor of one SET pulse: device x cycle x pulse-to-pulse (z_growth its normal)
PCM_FN double pcm_pulse_growth_factor(double growth_factor, double g_cyc, double z_growth,
                                      const pcm_params& p) {
    return growth_factor * g_cyc * pcm_lognormal_factor(z_growth, p.variability_growth_pulse_sigma);
}
// Growth during the rise of a SET pulse that heats the front to T_int
template <class V>
PCM_FN double pcm_grow_rise(double u0, double gfac, double rise, double ambient, double T_int,
                            const pcm_params& p) {
    return pcm_maxd(u0 - gfac * pcm_ramp_growth_t<V>(rise, ambient, T_int, p), 0.0);
}
// The end of a SET pulse after its flat top (ug the amorphous thickness then): growth during
// the fall, nucleation, the column mix (heated: the share of the column that was heated) and
// the order parameter. Branch-free (the host's vectorised path calls it too).
template <class V>
PCM_FN void pcm_grow_finish(double ug, double u0, double heated, double gfac, double rth_front,
                            double T_int, double t_eff, double duration, int mode,
                            double amplitude, double fall, double ambient, double sigma,
                            double heater_radius, pcm_u64 seed, pcm_u64 dev, pcm_u32 event,
                            const pcm_params& p, double* u_new, double* s_new) {
    pcm_power_t pe = pcm_power(mode, amplitude, ug, p);
    double T_end = pcm_interface_temperature(pe.power, ug, rth_front, ambient, p);
    ug = pcm_maxd(ug - gfac * pcm_ramp_growth_t<V>(fall, ambient, T_end, p), 0.0);
    ug = pcm_nucleate(ug, pcm_nucleation_rate(T_int, p), t_eff, heater_radius, seed, dev,
                      event, 0u, p);
    *u_new = u0 - (u0 - ug) * heated;
    *s_new = pcm_pulse_order(sigma, T_int, duration, p);
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
        pcm_normals(pcm_draw(seed, dev, event, PCM_STREAM_PULSE, 0u), &z_growth, &z_vth);
        pcm_normals(pcm_draw(seed, dev, event, PCM_STREAM_PULSE, 1u), &z_delay, &z_area);
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
                pcm_normals(pcm_draw(seed, dev, event, PCM_STREAM_PULSE, 1u), &z_delay, &z_area);
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
            pcm_normals(pcm_draw(seed, dev, event, PCM_STREAM_PULSE, 0u), &z_growth, &z_vth);
        double gfac = pcm_pulse_growth_factor(f.growth_factor, g_cyc, z_growth, p);
        double ug = pcm_grow_rise<pcm_v_any>(u0, gfac, pu.rise, ambient, T_int, p);
        ug = pcm_grow_flat_top(ug, t_eff, gfac, rth_front, pu.mode, amplitude, ambient, p);
        pcm_grow_finish<pcm_v_any>(ug, u0, heated, gfac, rth_front, T_int, t_eff, duration,
                                   pu.mode, amplitude, pu.fall, ambient, c.sigma,
                                   f.heater_radius, seed, dev, event, p, &u_new, &s_new);
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

#ifdef PCM_HOST
// ---------------------------------------------------------------- host: vectorised SET pulses
// The host runs pcm_apply_pulse as an OpenMP loop over blocks of PCM_PULSE_BLOCK cells. In a
// block, each pulse of the train is taken in stages, each a `#pragma omp simd` loop over the
// cells (compiled for AVX2 with FMA and for baseline x86-64, chosen at load):
//   1. every cell: the preamble of pcm_pulse_cell for a current-mode pulse (filament, column,
//      power, temperatures) and its class; the cells whose pulse grows the crystal (not
//      melted, not re-melted, written) are packed into a list;
//   2. the packed cells: the rise (pcm_grow_rise), the RK2 steps of the flat top one step at a
//      time for all of them (a current pulse has one step schedule for every cell), the end
//      (pcm_grow_finish);
//   3. every other cell (masked out, faulty, melting, voltage mode, or the physical growth law):
//      pcm_pulse_cell, the scalar code the GPU runs;
//   4. the wait between pulses of a train (pcm_wait_core).
// Every stage calls the functions the GPU's per-thread code calls, with the same arguments, so a
// cell's result does not depend on its block or lane. Device and cycle factors are drawn once
// per launch (the cycle factors again after a melt, as the memo of pcm_pulse_cell does).
#define PCM_PULSE_BLOCK 64
#define PCM_PULSE_SIMD _Pragma("omp simd")
// for each block [lo, lo + nb) of PCM_PULSE_BLOCK cells of [0, n), OpenMP-parallel over the
// blocks for n >= PCM_OMP_MIN_CELLS (the host entry kernels' loop)
#define PCM_FOR_EACH_BLOCK(lo, nb, n)                                                       \
    for (pcm_i64 pcm_n_ = (pcm_i64)(n), pcm_once_ = 1; pcm_once_; pcm_once_ = 0)           \
        _Pragma("omp parallel for schedule(static) if(pcm_n_ >= PCM_OMP_MIN_CELLS)")       \
        for (pcm_i64 pcm_bk_ = 0; pcm_bk_ < (pcm_n_ + PCM_PULSE_BLOCK - 1) / PCM_PULSE_BLOCK; \
             ++pcm_bk_)                                                                    \
            for (pcm_i64 lo = pcm_bk_ * PCM_PULSE_BLOCK, pcm_o_ = 1; pcm_o_; pcm_o_ = 0)   \
                for (int nb = (int)((lo + PCM_PULSE_BLOCK < pcm_n_ ? lo + PCM_PULSE_BLOCK  \
                                                                   : pcm_n_) - lo),         \
                         pcm_p_ = 1; pcm_p_; pcm_p_ = 0)
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
/* x86-64-v3: AVX2 and FMA, chosen by the CPU's features (an "arch=haswell" clone is chosen
   only on Intel Haswell-family models, never on AMD); the block's products and sums contract
   into FMAs there (the rest of the library keeps -ffp-contract=off), so a cell's last bits
   depend on the CPU's clone */
#define PCM_PULSE_CLONES \
    __attribute__((target_clones("arch=x86-64-v3", "default"), optimize("fp-contract=fast")))
#else
#define PCM_PULSE_CLONES
#endif


struct pcm_pulse_block_t {
    double u[PCM_PULSE_BLOCK], sg[PCM_PULSE_BLOCK], cap[PCM_PULSE_BLOCK], acol[PCM_PULSE_BLOCK];
    double tm[PCM_PULSE_BLOCK], tp[PCM_PULSE_BLOCK], amp[PCM_PULSE_BLOCK];
    /* flags as 64-bit integers: the vectorised loops then hold one element size */
    pcm_u32 cyc[PCM_PULSE_BLOCK]; pcm_i64 flt[PCM_PULSE_BLOCK], act[PCM_PULSE_BLOCK];
    double hr[PCM_PULSE_BLOCK], rth[PCM_PULSE_BLOCK], vth0[PCM_PULSE_BLOCK], gf[PCM_PULSE_BLOCK];
    double gcyc[PCM_PULSE_BLOCK], q[PCM_PULSE_BLOCK]; pcm_u32 ckey[PCM_PULSE_BLOCK];
    double conf[PCM_PULSE_BLOCK];   /* filament confinement of the cell's current */
    /* stage 1 per cell */
    double u0[PCM_PULSE_BLOCK], heated[PCM_PULSE_BLOCK], anew[PCM_PULSE_BLOCK];
    double rthf[PCM_PULSE_BLOCK], tint[PCM_PULSE_BLOCK], tpeak[PCM_PULSE_BLOCK];
    double pw[PCM_PULSE_BLOCK], zg[PCM_PULSE_BLOCK]; pcm_i64 grown[PCM_PULSE_BLOCK];
    /* packed growing cells */
    int idx[PCM_PULSE_BLOCK];
    double pu0[PCM_PULSE_BLOCK], pgfac[PCM_PULSE_BLOCK], prth[PCM_PULSE_BLOCK];
    double pamp[PCM_PULSE_BLOCK], ptint[PCM_PULSE_BLOCK], pheat[PCM_PULSE_BLOCK];
    double psg[PCM_PULSE_BLOCK], phr[PCM_PULSE_BLOCK], pug[PCM_PULSE_BLOCK];
    double pun[PCM_PULSE_BLOCK], psn[PCM_PULSE_BLOCK]; pcm_u64 pdev[PCM_PULSE_BLOCK];
    /* the ambient once per cell: GCC (12) does not vectorise the growth ramps with a
       loop-invariant low temperature */
    double pamb[PCM_PULSE_BLOCK];
    /* diagnostics of the last pulse */
    double dpow[PCM_PULSE_BLOCK], dti[PCM_PULSE_BLOCK], dtp[PCM_PULSE_BLOCK];
    double den[PCM_PULSE_BLOCK], dmel[PCM_PULSE_BLOCK];
};

static PCM_PULSE_CLONES void pcm_apply_pulse_block(
        const pcm_params& p, pcm_u64 seed, pcm_i64 offset, pcm_i64 lo, int nb,
        const pcm_pulse& pu, pcm_u32 event0, pcm_i32 repeat, double t_start, double period,
        float* __restrict__ u_a, float* __restrict__ sigma, double* __restrict__ t_melt,
        double* __restrict__ t_prog, pcm_u32* __restrict__ cycles, pcm_u8* __restrict__ fault,
        float* __restrict__ u_cap, float* __restrict__ a_col,
        const pcm_u8* __restrict__ where, const double* __restrict__ scale,
        double* __restrict__ d_power, double* __restrict__ d_tint, double* __restrict__ d_tpeak,
        double* __restrict__ d_energy, double* __restrict__ d_melted, const pcm_memo_t& m0) {
    pcm_pulse_block_t b;
    const pcm_u64 dev0 = (pcm_u64)(offset + lo);
    const double duration = pu.rise + pu.width + pu.fall;
    const double rest = period - duration;
    const double ambient = pu.ambient, Tm = p.amorphization_melting_temperature;
    const double thin = p.conduction_min_conduction_thickness;
    const bool vector_path = pu.mode == PCM_MODE_CURRENT && pu.width > 0.0
        && p.crystallization_growth_model == PCM_CRYSTALLIZATION_GROWTH_MODEL_GAUSSIAN;
    for (int l = 0; l < nb; ++l) {
        const pcm_i64 i = lo + l;
        b.u[l] = u_a[i]; b.sg[l] = sigma[i]; b.cap[l] = u_cap[i]; b.acol[l] = a_col[i];
        b.tm[l] = t_melt[i]; b.tp[l] = t_prog[i]; b.cyc[l] = cycles[i]; b.flt[l] = fault[i];
        b.act[l] = (where == 0) || (where[i] != 0);
        b.amp[l] = (scale == 0) ? pu.amplitude : pu.amplitude * scale[i];
    }
    PCM_PULSE_SIMD
    for (int l = 0; l < nb; ++l) {
        const pcm_u64 dev = dev0 + (pcm_u64)l;
        pcm_device_factors f = pcm_device_factors_of(seed, dev, p, PCM_FACTORS_PULSE);
        b.hr[l] = f.heater_radius; b.rth[l] = f.rth_factor;
        b.vth0[l] = f.vth0_factor; b.gf[l] = f.growth_factor;
        double g, q;
        pcm_cycle_factors(seed, dev, b.cyc[l], p, &g, &q);
        b.gcyc[l] = g; b.q[l] = q; b.ckey[l] = b.cyc[l];
    }
    PCM_PULSE_SIMD
    for (int l = 0; l < nb; ++l) b.conf[l] = pcm_filament_confinement(b.amp[l], p);
    int ns = 0; double h0 = 0.0, rem0 = 0.0;
    pcm_flat_top_schedule(pu.width, &ns, &h0, &rem0);
    for (pcm_i32 k = 0; k < repeat; ++k) {
        const pcm_u32 ev = event0 + (pcm_u32)k;
        const double t_end = t_start + k * period + duration;
        int m = 0;
        if (vector_path) {
            /* stage 1: pcm_pulse_cell's preamble for a current pulse, every cell */
            PCM_PULSE_SIMD
            for (int l = 0; l < nb; ++l) {
                const pcm_u64 dev = dev0 + (pcm_u64)l;
                double z_growth, z_vth, z_delay, z_area;
                pcm_normals(pcm_draw(seed, dev, ev, PCM_STREAM_PULSE, 0u), &z_growth, &z_vth);
                pcm_normals(pcm_draw(seed, dev, ev, PCM_STREAM_PULSE, 1u), &z_delay, &z_area);
                const double u = b.u[l], acol = b.acol[l], amp = b.amp[l];
                /* & and | instead of && and || below: no branches in a vectorised loop */
                const bool ok = (b.flt[l] == PCM_FAULT_NONE) & (b.act[l] != 0);
                const bool blocked = u > thin;
                const double af_fil = pcm_filament_fraction(
                    amp, b.hr[l], pcm_lognormal_factor(z_area, p.variability_filament_area_sigma), p);
                const double a_f = blocked ? af_fil : acol;
                const double rth = b.rth[l];
                const double rthf = blocked ? rth * b.conf[l] : rth;
                const double mix = (acol * u + (a_f - acol) * b.cap[l]) / (a_f > 0.0 ? a_f : 1.0);
                const double u0 = a_f > acol ? mix : u;
                const double a_new = pcm_maxd(acol, a_f);
                const double heated = a_new > 0.0 ? a_f / (a_new > 0.0 ? a_new : 1.0) : 1.0;
                const pcm_power_t pw = pcm_power(PCM_MODE_CURRENT, amp, u0, p);
                const bool written = ok & (pw.current > 0.0);
                const double T_peak = pcm_hotspot_temperature(pw.power, b.rth[l], ambient, p);
                const double T_int = pcm_interface_temperature(pw.power, u0, rthf, ambient, p);
                const bool melted = written & (T_peak >= Tm);
                const bool remelt = written & !melted & blocked & (T_int >= Tm);
                b.grown[l] = (written & !melted & !remelt) ? 1 : 0;
                b.u0[l] = u0; b.heated[l] = heated; b.anew[l] = a_new; b.rthf[l] = rthf;
                b.tint[l] = T_int; b.tpeak[l] = T_peak; b.pw[l] = pw.power; b.zg[l] = z_growth;
            }
            for (int l = 0; l < nb; ++l) {
                if (!b.grown[l]) continue;
                b.idx[m] = l;
                b.pu0[m] = b.u0[l]; b.prth[m] = b.rthf[l]; b.pamp[m] = b.amp[l];
                b.ptint[m] = b.tint[l]; b.pheat[m] = b.heated[l]; b.psg[m] = b.sg[l];
                b.phr[m] = b.hr[l]; b.pdev[m] = dev0 + (pcm_u64)l; b.pamb[m] = ambient;
                b.pgfac[m] = pcm_pulse_growth_factor(b.gf[l], b.gcyc[l], b.zg[l], p);
                ++m;
            }
            /* stage 2: the growing cells */
            PCM_PULSE_SIMD
            for (int j = 0; j < m; ++j)
                b.pug[j] = pcm_grow_rise<pcm_v_series>(b.pu0[j], b.pgfac[j], pu.rise, b.pamb[j],
                                                       b.ptint[j], p);
            for (int s = 0; s < ns; ++s) {
                PCM_PULSE_SIMD
                for (int j = 0; j < m; ++j)
                    b.pug[j] = pcm_rk2_growth_step_t<pcm_v_series>(
                        b.pug[j], h0, b.pgfac[j], b.prth[j], PCM_MODE_CURRENT, b.pamp[j],
                        ambient, p);
            }
            for (double rem = rem0, h = 2.0 * PCM_GROWTH_STEP; rem > 0.0; h *= 2.0) {
                const double hh = pcm_mind(h, rem);
                PCM_PULSE_SIMD
                for (int j = 0; j < m; ++j)
                    b.pug[j] = pcm_rk2_growth_step_t<pcm_v_series>(
                        b.pug[j], hh, b.pgfac[j], b.prth[j], PCM_MODE_CURRENT, b.pamp[j],
                        ambient, p);
                rem -= hh;
            }
            PCM_PULSE_SIMD
            for (int j = 0; j < m; ++j) {
                double un, sn;
                pcm_grow_finish<pcm_v_series>(b.pug[j], b.pu0[j], b.pheat[j], b.pgfac[j],
                                              b.prth[j], b.ptint[j], pu.width, duration,
                                              PCM_MODE_CURRENT, b.pamp[j], pu.fall, b.pamb[j],
                                              b.psg[j], b.phr[j], seed, b.pdev[j], ev, p,
                                              &un, &sn);
                b.pun[j] = un; b.psn[j] = sn;
            }
            for (int j = 0; j < m; ++j) {
                const int l = b.idx[j];
                b.u[l] = (double)(float)b.pun[j];
                b.acol[l] = (double)(float)b.anew[l];
                b.cap[l] = (double)(float)b.cap[l];
                b.sg[l] = (double)(float)b.psn[j];
                b.tp[l] = t_end;
                b.dpow[l] = b.pw[l]; b.dti[l] = b.tint[l]; b.dtp[l] = b.tpeak[l];
                b.den[l] = b.pw[l] * (pu.width + 0.5 * (pu.rise + pu.fall));
                b.dmel[l] = 0.0;
            }
        }
        /* stage 3: every other cell, scalar */
        for (int l = 0; l < nb; ++l) {
            if (vector_path && b.grown[l]) continue;
            const pcm_u64 dev = dev0 + (pcm_u64)l;
            pcm_device_factors f;
            f.heater_radius = b.hr[l]; f.rth_factor = b.rth[l]; f.vth0_factor = b.vth0[l];
            f.growth_factor = b.gf[l];
            f.ea_offset = f.zeta_factor = f.endurance_cycles = nan("");
            pcm_memo_t mm = m0;
            mm.cycles = b.ckey[l]; mm.cycle_ready = 1; mm.g_cyc = b.gcyc[l]; mm.q = b.q[l];
            pcm_cell_t c;
            c.u = b.u[l]; c.sigma = b.sg[l]; c.t_melt = b.tm[l]; c.t_prog = b.tp[l];
            c.cycles = b.cyc[l]; c.fault = (pcm_u8)b.flt[l]; c.u_cap = b.cap[l]; c.a_col = b.acol[l];
            pcm_diag_t d;
            pcm_pulse_cell(c, pu, b.amp[l], b.act[l] != 0, t_start + k * period, ev, seed, dev,
                           f, p, mm, d);
            if (mm.cycles != c.cycles) pcm_memo_cycle_factors(mm, seed, dev, c.cycles, p,
                                                              &b.gcyc[l], &b.q[l]);
            b.ckey[l] = mm.cycles; b.gcyc[l] = mm.g_cyc; b.q[l] = mm.q;
            b.u[l] = c.u; b.sg[l] = c.sigma; b.tm[l] = c.t_melt; b.tp[l] = c.t_prog;
            b.cyc[l] = c.cycles; b.flt[l] = c.fault; b.cap[l] = c.u_cap; b.acol[l] = c.a_col;
            b.dpow[l] = d.power; b.dti[l] = d.T_int; b.dtp[l] = d.T_peak; b.den[l] = d.energy;
            b.dmel[l] = d.melted;
        }
        /* stage 4: the wait between pulses */
        if (rest > 0.0) {
            double vT, rate;
            pcm_memo_wait_rates(m0, ambient, p, &vT, &rate);
            PCM_PULSE_SIMD
            for (int l = 0; l < nb; ++l) {
                double un = b.u[l], cn = b.cap[l], sn = b.sg[l];
                pcm_wait_core(&un, &cn, &sn, b.gcyc[l], vT, rate, rest, ambient, ev, 1u, seed,
                              dev0 + (pcm_u64)l, b.hr[l], b.gf[l], p);
                const bool w = b.flt[l] == PCM_FAULT_NONE;
                b.u[l] = w ? (double)(float)un : b.u[l];
                b.cap[l] = w ? (double)(float)cn : b.cap[l];
                b.sg[l] = w ? (double)(float)sn : b.sg[l];
            }
        }
    }
    for (int l = 0; l < nb; ++l) {
        const pcm_i64 i = lo + l;
        u_a[i] = (float)b.u[l]; sigma[i] = (float)b.sg[l]; t_melt[i] = b.tm[l];
        t_prog[i] = b.tp[l]; cycles[i] = b.cyc[l]; fault[i] = (pcm_u8)b.flt[l];
        u_cap[i] = (float)b.cap[l]; a_col[i] = (float)b.acol[l];
        if (d_power) { d_power[i] = b.dpow[l]; d_tint[i] = b.dti[l]; d_tpeak[i] = b.dtp[l];
                       d_energy[i] = b.den[l]; d_melted[i] = b.dmel[l]; }
    }
}
#endif

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
#ifdef PCM_HOST
    PCM_FOR_EACH_BLOCK(lo, nb, n) {
        pcm_apply_pulse_block(p, seed, offset, lo, nb, pu, event0, repeat, t_start, period,
                              u_a, sigma, t_melt, t_prog, cycles, fault, u_cap, a_col, where,
                              scale, d_power, d_tint, d_tpeak, d_energy, d_melted, m0);
    }
#else
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
#endif
}

#ifdef PCM_HOST
// The host's pcm_wait: blocks of PCM_PULSE_BLOCK cells, the state loaded into doubles, then one
// vectorised loop of pcm_wait_cell's arithmetic (pcm_wait_core with the device and cycle
// factors drawn in the loop; a faulty cell keeps its state, as the GPU's `continue`).
struct pcm_wait_block_t {
    double u[PCM_PULSE_BLOCK], cap[PCM_PULSE_BLOCK], sg[PCM_PULSE_BLOCK];
    double cyc[PCM_PULSE_BLOCK], ok[PCM_PULSE_BLOCK];
};
static PCM_PULSE_CLONES void pcm_wait_block(
        const pcm_params& p, pcm_u64 seed, pcm_i64 offset, pcm_i64 lo, int nb, pcm_u32 event,
        double duration, double T, float* __restrict__ u_a, float* __restrict__ sigma,
        const pcm_u32* __restrict__ cycles, const pcm_u8* __restrict__ fault,
        float* __restrict__ u_cap, double vT, double rate) {
    pcm_wait_block_t b;
    const pcm_u64 dev0 = (pcm_u64)(offset + lo);
    for (int l = 0; l < nb; ++l) {
        const pcm_i64 i = lo + l;
        b.u[l] = u_a[i]; b.cap[l] = u_cap[i]; b.sg[l] = sigma[i];
        b.cyc[l] = (double)cycles[i]; b.ok[l] = fault[i] == PCM_FAULT_NONE ? 1.0 : 0.0;
    }
    PCM_PULSE_SIMD
    for (int l = 0; l < nb; ++l) {
        const pcm_u64 dev = dev0 + (pcm_u64)l;
        pcm_device_factors f = pcm_device_factors_of(seed, dev, p, PCM_FACTORS_PULSE);
        double g_cyc, q;
        pcm_cycle_factors(seed, dev, (pcm_u32)b.cyc[l], p, &g_cyc, &q);
        double u = b.u[l], cap = b.cap[l], s = b.sg[l];
        pcm_wait_core(&u, &cap, &s, g_cyc, vT, rate, duration, T, event, 0u, seed, dev,
                      f.heater_radius, f.growth_factor, p);
        const bool w = b.ok[l] != 0.0;
        b.u[l] = w ? u : b.u[l]; b.cap[l] = w ? cap : b.cap[l]; b.sg[l] = w ? s : b.sg[l];
    }
    for (int l = 0; l < nb; ++l) {
        const pcm_i64 i = lo + l;
        u_a[i] = (float)b.u[l]; u_cap[i] = (float)b.cap[l]; sigma[i] = (float)b.sg[l];
    }
}
#endif

extern "C" __global__ void pcm_wait(pcm_params p, pcm_u64 seed, pcm_i64 offset, pcm_i64 n,
                                    pcm_u32 event, double duration, double T,
                                    float* __restrict__ u_a, float* __restrict__ sigma,
                                    double* __restrict__ t_melt, double* __restrict__ t_prog,
                                    pcm_u32* __restrict__ cycles, pcm_u8* __restrict__ fault,
                                    float* __restrict__ u_cap, float* __restrict__ a_col,
                                    const double* __restrict__ memo_in) {
    const pcm_memo_t m0 = pcm_memo_from(T, memo_in);
#ifdef PCM_HOST
    (void)t_melt; (void)t_prog; (void)a_col;
    double vT, rate;
    pcm_memo_wait_rates(m0, T, p, &vT, &rate);
    PCM_FOR_EACH_BLOCK(lo, nb, n) {
        pcm_wait_block(p, seed, offset, lo, nb, event, duration, T, u_a, sigma, cycles, fault,
                       u_cap, vT, rate);
    }
#else
    PCM_FOR_EACH(i, n) {
        if (fault[i] != PCM_FAULT_NONE) continue;
        pcm_u64 dev = (pcm_u64)(offset + i);
        pcm_device_factors f = pcm_device_factors_of(seed, dev, p, PCM_FACTORS_PULSE);
        double u = u_a[i], cap = u_cap[i], s = sigma[i];
        pcm_memo_t m = m0;
        pcm_wait_cell(&u, &cap, &s, cycles[i], duration, T, event, 0u, seed, dev, f, p, m);
        u_a[i] = (float)u; u_cap[i] = (float)cap; sigma[i] = (float)s;
    }
#endif
}

#ifdef PCM_HOST
// The host's pcm_read: blocks of PCM_PULSE_BLOCK cells, each stage a vectorised loop over the
// block: the noiseless conductance (device factors, activation energy, column conduction), then
// the 1/f octave sum one octave at a time for all cells (pcm_flicker_sum's loop turned inside
// out), then the noisy conductance. An octave's two normals are drawn for every cell of the
// block when at least a third of the cells changed bin since programming (the others add 0),
// and cell by cell otherwise; either way a cell adds exactly the terms of pcm_flicker_sum, in
// its order, so its result does not depend on its neighbours.
struct pcm_read_block_t {
    double g[PCM_PULSE_BLOCK], tp[PCM_PULSE_BLOCK], ns[PCM_PULSE_BLOCK], flt[PCM_PULSE_BLOCK];
    double ph0[PCM_PULSE_BLOCK], ph1[PCM_PULSE_BLOCK];
    double b1[PCM_PULSE_BLOCK], b0[PCM_PULSE_BLOCK];   /* time bins, integer-valued */
};
static PCM_PULSE_CLONES void pcm_read_block(
        const pcm_params& p, pcm_u64 seed, pcm_i64 offset, pcm_i64 lo, int nb, double V,
        double T, double t, pcm_i32 quantity, const pcm_flicker_consts& fc,
        const float* __restrict__ u_a, const float* __restrict__ sigma,
        const double* __restrict__ t_prog, const pcm_u8* __restrict__ fault,
        const float* __restrict__ u_cap, const float* __restrict__ a_col,
        double* __restrict__ out) {
    pcm_read_block_t b;
    const pcm_u64 dev0 = (pcm_u64)(offset + lo);
    const float* __restrict__ ua = u_a + lo;
    const float* __restrict__ sg = sigma + lo;
    const float* __restrict__ uc = u_cap + lo;
    const float* __restrict__ ac = a_col + lo;
    double* __restrict__ o = out + lo;
    if (quantity == 3) {
        PCM_PULSE_SIMD
        for (int l = 0; l < nb; ++l) {
            pcm_device_factors f = pcm_device_factors_of(seed, dev0 + (pcm_u64)l, p,
                                                         PCM_FACTORS_THRESHOLD);
            const double u = ua[l];
            const double v = pcm_threshold_voltage(u, sg[l], T, f.vth0_factor, p);
            o[l] = (u > p.conduction_min_conduction_thickness) ? v : 0.0;
        }
        return;
    }
    for (int l = 0; l < nb; ++l) {
        b.flt[l] = (double)fault[lo + l];
        b.tp[l] = t_prog[lo + l];
    }
    const double g_stuck = 1.0 / p.conduction_read_series_resistance;
    const double g_open = p.faults_open_conductance;
    PCM_PULSE_SIMD
    for (int l = 0; l < nb; ++l) {
        pcm_device_factors f = pcm_device_factors_of(seed, dev0 + (pcm_u64)l, p, PCM_FACTORS_READ);
        const double ea = pcm_activation_energy(sg[l], f.zeta_factor, f.ea_offset, p);
        double g = pcm_column_read_conductance(V, T, ua[l], uc[l], ac[l], ea, f.heater_radius, p);
        g = (b.flt[l] == (double)PCM_FAULT_STUCK_SET) ? g_stuck : g;
        g = (b.flt[l] == (double)PCM_FAULT_OPEN) ? g_open : g;
        b.g[l] = g;
        b.ns[l] = 0.0;
    }
    if (p.noise_noise_coefficient > 0.0) {
        const double w = fc.w;
        double tau = fc.tau0;
        for (int k = 0; k < fc.K; ++k, tau *= p.noise_noise_octave_ratio) {
            if (k % 2 == 0) {
                PCM_PULSE_SIMD
                for (int l = 0; l < nb; ++l) {
                    pcm_u32x4 r = pcm_draw(seed, dev0 + (pcm_u64)l, (pcm_u32)(k / 2),
                                           PCM_STREAM_NOISE_PHASE, 0u);
                    b.ph0[l] = pcm_uniform(r.x, r.y);
                    b.ph1[l] = pcm_uniform(r.z, r.w);
                }
            }
            const double* __restrict__ ph = (k % 2 == 0) ? b.ph0 : b.ph1;
            double changed = 0.0;
            PCM_PULSE_SIMD
            for (int l = 0; l < nb; ++l) {
                const double b1 = pcm_floor_nonneg(t / tau + ph[l]);
                const double b0 = pcm_floor_nonneg(b.tp[l] / tau + ph[l]);
                b.b1[l] = b1; b.b0[l] = b0;
                changed += (b1 != b0) ? 1.0 : 0.0;
            }
            if (changed == 0.0) continue;
            if (3.0 * changed >= (double)nb) {
                PCM_PULSE_SIMD
                for (int l = 0; l < nb; ++l) {
                    const pcm_u64 dev = dev0 + (pcm_u64)l;
                    const double z1 = pcm_octave_value_d(seed, dev, k, b.b1[l]);
                    const double z0 = pcm_octave_value_d(seed, dev, k, b.b0[l]);
                    /* the select before the product: w * d + ns contracts to the same FMA
                       as the scalar loop's, and an unchanged cell adds w * 0 (exactly ns) */
                    const double d = (b.b1[l] != b.b0[l]) ? z1 - z0 : 0.0;
                    b.ns[l] += w * d;
                }
            } else {
                for (int l = 0; l < nb; ++l) {
                    if (b.b1[l] == b.b0[l]) continue;
                    const pcm_u64 dev = dev0 + (pcm_u64)l;
                    b.ns[l] += w * (pcm_octave_value_d(seed, dev, k, b.b1[l])
                                    - pcm_octave_value_d(seed, dev, k, b.b0[l]));
                }
            }
        }
        PCM_PULSE_SIMD
        for (int l = 0; l < nb; ++l) b.g[l] = pcm_noisy_conductance(b.g[l], b.ns[l], p);
    }
    PCM_PULSE_SIMD
    for (int l = 0; l < nb; ++l) {
        const double g = b.g[l];
        o[l] = (quantity == 0) ? g : (quantity == 1 ? 1.0 / g : g * V);
    }
}

#endif

// quantity: 0 conductance [S], 1 resistance [Ohm], 2 current [A], 3 threshold voltage [V]
extern "C" __global__ void pcm_read(pcm_params p, pcm_u64 seed, pcm_i64 offset, pcm_i64 n,
                                    double V, double T, double t, pcm_i32 quantity,
                                    const float* __restrict__ u_a, const float* __restrict__ sigma,
                                    const double* __restrict__ t_melt, const double* __restrict__ t_prog,
                                    const pcm_u32* __restrict__ cycles, const pcm_u8* __restrict__ fault,
                                    const float* __restrict__ u_cap, const float* __restrict__ a_col,
                                    double* __restrict__ out) {
    const pcm_flicker_consts fc = pcm_flicker_consts_of(p);
#ifdef PCM_HOST
    (void)t_melt; (void)cycles;
    PCM_FOR_EACH_BLOCK(lo, nb, n) {
        pcm_read_block(p, seed, offset, lo, nb, V, T, t, quantity, fc, u_a, sigma, t_prog, fault,
                       u_cap, a_col, out);
    }
#else
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
#endif
}
