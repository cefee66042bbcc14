// pcm_statistical.cu -- entry kernels of the statistical PCM mode (host and cupy backends).
// Mirrors: pcmphys.statistical.program (pcm_stat_program), pcmphys.statistical.read
//          (pcm_stat_read), pcmphys.statistical.drift, pcmphys.statistical.set_pulse and
//          pcmphys.statistical.reset_pulse (pcm_stat_pulse), pcmphys.statistical.programming_sigma,
//          pcmphys.statistical.drift_exponent_stats, pcmphys.statistical.read_noise_sigma,
//          pcmphys.statistical.read_noise_coefficient.
// Common arguments: params (by value), seed, device_offset (global index of cell 0), n.
// Formulas: shared/statistical_model.md; conductances in S, times in s.
#include "pcm_common.cuh"
#include "philox.cuh"

// Layout twin: pcmphys.statistical.STAT_PARAMS_DTYPE (all float64, declaration order).
struct pcm_stat_params {
    double g_max, t0, t_read;
    double prog_c0, prog_c1, prog_c2;
    double nu_mean_slope, nu_mean_intercept, nu_mean_min, nu_mean_max;
    double nu_std_slope, nu_std_intercept, nu_std_min, nu_std_max;
    double g_floor;
    double read_q, read_exponent, read_g_floor, read_q_max;
    double acc_mean_intercept, acc_mean_slope, acc_std_intercept, acc_std_slope;
    double acc_g_min, acc_g_max;
    double reset_conductance, reset_relative_sigma, reset_g_min;
};
static_assert(sizeof(pcm_stat_params) == 28 * 8, "pcm_stat_params layout changed");

PCM_FN double pcm_stat_clip(double x, double lo, double hi) {
    return x < lo ? lo : (x > hi ? hi : x);
}

// Mirrors pcmphys.statistical.programming_sigma
PCM_FN double pcm_stat_prog_sigma(double g_target, const pcm_stat_params& p) {
    double g = g_target / p.g_max;
    double s = (p.prog_c0 + p.prog_c1 * g + p.prog_c2 * g * g) * (p.g_max / 25.0);
    return s > 0.0 ? s : 0.0;
}

// Mirrors pcmphys.statistical.drift_exponent (with drift_exponent_stats)
PCM_FN double pcm_stat_nu(double g_target, double z, const pcm_stat_params& p) {
    double g = g_target / p.g_max;
    if (!(g > p.g_floor)) g = p.g_floor;
    double lg = log(g);
    double mu = pcm_stat_clip(p.nu_mean_slope * lg + p.nu_mean_intercept, p.nu_mean_min,
                              p.nu_mean_max);
    double sd = pcm_stat_clip(p.nu_std_slope * lg + p.nu_std_intercept, p.nu_std_min,
                              p.nu_std_max);
    return fabs(mu + sd * z);
}

// Mirrors pcmphys.statistical.read_noise_coefficient
PCM_FN double pcm_stat_read_q(double g_prog, const pcm_stat_params& p) {
    double g = (g_prog > 0.0 ? g_prog : 0.0) / p.g_max;
    double den = pow(g, p.read_exponent);
    if (!(den > p.read_g_floor)) den = p.read_g_floor;
    double q = p.read_q / den;
    return q > p.read_q_max ? p.read_q_max : q;
}

// sqrt(ln((t + t0 + t_read) / (2 t_read))): the 1/f band factor of read_noise_sigma
PCM_FN double pcm_stat_band(double t, const pcm_stat_params& p) {
    return sqrt(log((t + p.t0 + p.t_read) / (2.0 * p.t_read)));
}

// ---------------------------------------------------------------- entry kernels
extern "C" __global__ void pcm_stat_program(pcm_stat_params p, pcm_u64 seed, pcm_i64 offset,
                                            pcm_i64 n, pcm_u32 event,
                                            const pcm_u8* __restrict__ where,
                                            const double* __restrict__ g_target,
                                            double* __restrict__ g_prog,
                                            double* __restrict__ nu) {
    PCM_FOR_EACH(i, n) {
        if (where != 0 && where[i] == 0) continue;
        double z0, z1;
        pcm_normal2(pcm_rng_draw(seed, (pcm_u64)(offset + i), event, PCM_STREAM_STAT_PROGRAM, 0u),
                    &z0, &z1);
        double gt = g_target[i];
        double gp = gt + pcm_stat_prog_sigma(gt, p) * z0;
        g_prog[i] = gp > 0.0 ? gp : 0.0;
        nu[i] = pcm_stat_nu(gt, z1, p);
    }
}

// out[r * n + i]: read r (event event0 + r) of cell i at time t [s] after programming;
// noise = 0 gives the drifted conductance without read noise.
extern "C" __global__ void pcm_stat_read(pcm_stat_params p, pcm_u64 seed, pcm_i64 offset,
                                         pcm_i64 n, pcm_u32 event0, pcm_i32 repeats, double t,
                                         pcm_i32 noise, const double* __restrict__ g_prog,
                                         const double* __restrict__ nu,
                                         double* __restrict__ out) {
    const double log_age = log((t + p.t0) / p.t0);  // drift: G_prog exp(-nu ln((t+t0)/t0))
    const double band = pcm_stat_band(t, p);
    PCM_FOR_EACH(i, n) {
        double gp = g_prog[i];
        double gd = gp * exp(-nu[i] * log_age);
        double s = noise ? pcm_stat_read_q(gp, p) * band : 0.0;
        for (pcm_i32 r = 0; r < repeats; ++r) {
            double g = gd;
            if (noise) {
                double z0, z1;
                pcm_normal2(pcm_rng_draw(seed, (pcm_u64)(offset + i), event0 + (pcm_u32)r,
                                         PCM_STREAM_STAT_READ, 0u), &z0, &z1);
                g = gd + fabs(gd) * s * z0;
                g = g > 0.0 ? g : 0.0;
            }
            out[(pcm_i64)r * n + i] = g;
        }
    }
}

// kind 0: `repeat` SET pulses (accumulation), kind 1: RESET (repeat ignored beyond the last);
// where (NULL = all cells) selects the cells that receive the pulses.
extern "C" __global__ void pcm_stat_pulse(pcm_stat_params p, pcm_u64 seed, pcm_i64 offset,
                                          pcm_i64 n, pcm_u32 event0, pcm_i32 repeat,
                                          pcm_i32 kind, const pcm_u8* __restrict__ where,
                                          double* __restrict__ g_prog, double* __restrict__ nu) {
    PCM_FOR_EACH(i, n) {
        if (where != 0 && where[i] == 0) continue;
        double g = g_prog[i], v = nu[i];
        for (pcm_i32 k = 0; k < repeat; ++k) {
            double z0, z1;
            pcm_normal2(pcm_rng_draw(seed, (pcm_u64)(offset + i), event0 + (pcm_u32)k,
                                     PCM_STREAM_STAT_PULSE, 0u), &z0, &z1);
            if (kind == 0) {
                double mu = p.acc_mean_intercept + p.acc_mean_slope * g;
                double sd = p.acc_std_intercept + p.acc_std_slope * g;
                g = pcm_stat_clip(g + mu + sd * z0, p.acc_g_min, p.acc_g_max);
            } else {
                g = p.reset_conductance * (1.0 + p.reset_relative_sigma * z0);
                if (!(g > p.reset_g_min)) g = p.reset_g_min;
            }
            v = pcm_stat_nu(g, z1, p);
        }
        g_prog[i] = g; nu[i] = v;
    }
}
