// pcm_statistical.cu -- entry kernels of the statistical PCM mode (host and cupy backends).
// Mirrors: pcmphys.statistical.program (pcm_stat_program, float32: pcm_stat_program_f32),
//          pcmphys.statistical.read_times and .read (pcm_stat_read, pcm_stat_read_f32),
//          pcmphys.statistical.drift, pcmphys.statistical.set_pulse and
//          pcmphys.statistical.reset_pulse (pcm_stat_pulse), pcmphys.statistical.programming_sigma,
//          pcmphys.statistical.drift_exponent_stats, pcmphys.statistical.read_noise_sigma,
//          pcmphys.statistical.read_noise_coefficient; pcmphys.rng.normal2 and
//          pcmphys.rng.normal4_f32 (pcm_stat_normals, a test kernel).
// Common arguments: params (by value), seed, device_offset (global index of cell 0), n.
// Conductances in S, times in s; the formulas are in the docstrings of pcmphys.statistical.
#ifdef PCM_HOST
// FP exceptions are never inspected: let the vectoriser compute both sides of a select (the
// values are unchanged; with trapping math GCC keeps them as branches and does not vectorise)
#pragma GCC optimize("no-trapping-math")
#endif
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

// ------------------------------------------------ vectorisable program and read (f32, f64)
// The host build runs each entry kernel as an OpenMP loop over blocks of PCM_STAT_BLOCK cells
// and the body as a `#pragma omp simd` loop over the cells of a block, in a function compiled
// for x86-64-v3 (AVX2 + FMA) and baseline x86-64, chosen by the CPU's features when the
// library loads; in these functions products and sums contract into FMAs (the rest of the
// library keeps -ffp-contract=off), so the last bits depend on the clone. (An x86-64-v4
// AVX-512 clone is left out until the bit-exact fused-vs-per-call tests have run on such a
// CPU; AVX-512 machines take the v3 clone.) On the GPU a thread
// runs the same body for the range [i, i + 1). The math is pcm_log_poly / pcm_exp_poly /
// pcm_normal2_poly (float64) and their float32 twins (philox.cuh): no library calls.
#ifdef PCM_HOST
#define PCM_STAT_BLOCK 1024
#define PCM_STAT_SIMD _Pragma("omp simd")
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define PCM_STAT_CLONES \
    __attribute__((target_clones("arch=x86-64-v3", "default"), optimize("fp-contract=fast")))
#else
#define PCM_STAT_CLONES
#endif
#define PCM_STAT_RANGE_FN static PCM_STAT_CLONES
#define PCM_STAT_INLINE inline __attribute__((always_inline))
// for (lo, hi) over the blocks of [0, n), OpenMP-parallel for n >= PCM_OMP_MIN_CELLS
#define PCM_STAT_RANGES(lo, hi, n)                                                    \
    for (pcm_i64 pcm_n_ = (pcm_i64)(n), pcm_once_ = 1; pcm_once_; pcm_once_ = 0)       \
        _Pragma("omp parallel for schedule(static) if(pcm_n_ >= PCM_OMP_MIN_CELLS)")   \
        for (pcm_i64 pcm_b_ = 0; pcm_b_ < (pcm_n_ + PCM_STAT_BLOCK - 1) / PCM_STAT_BLOCK; \
             ++pcm_b_)                                                                 \
            for (pcm_i64 lo = pcm_b_ * PCM_STAT_BLOCK,                                  \
                 hi = (lo + PCM_STAT_BLOCK < pcm_n_ ? lo + PCM_STAT_BLOCK : pcm_n_),    \
                 pcm_o_ = 1; pcm_o_; pcm_o_ = 0)
#else
#define PCM_STAT_SIMD
#define PCM_STAT_RANGE_FN PCM_FN
#define PCM_STAT_INLINE PCM_FN
#define PCM_STAT_RANGES(lo, hi, n) \
    PCM_FOR_EACH(lo, n) for (pcm_i64 hi = lo + 1, pcm_o_ = 1; pcm_o_; pcm_o_ = 0)
#endif

PCM_STAT_INLINE double pcm_stat_log(double x) { return pcm_log_poly(x); }
PCM_STAT_INLINE float pcm_stat_log(float x) { return pcm_log_polyf(x); }
PCM_STAT_INLINE double pcm_stat_exp(double x) { return pcm_exp_poly(x); }
PCM_STAT_INLINE float pcm_stat_exp(float x) { return pcm_exp_polyf(x); }
PCM_STAT_INLINE double pcm_stat_abs(double x) { return x < 0.0 ? -x : x; }
PCM_STAT_INLINE float pcm_stat_abs(float x) { return x < 0.0f ? -x : x; }
// smallest positive normal number (ln and the power below take normal numbers only)
PCM_STAT_INLINE double pcm_stat_tiny(double) { return 2.2250738585072014e-308; }
PCM_STAT_INLINE float pcm_stat_tiny(float) { return 1.17549435e-38f; }
// (z0, z1) of the programming draw; float64: pcm_normal2, float32: pair (x, y) of normal4_f32
PCM_STAT_INLINE void pcm_stat_pair(pcm_u32x4 r, double* z0, double* z1) {
    pcm_normal2_poly(r, z0, z1);
}
PCM_STAT_INLINE void pcm_stat_pair(pcm_u32x4 r, float* z0, float* z1) {
    pcm_normal2_f32(r, z0, z1);
}
// normal `idx` of one read draw: of the two of pcm_normal2 (float64) or the four of
// pcm_normal4_f32 (float32), computing only that one; idx is the same for every cell
PCM_STAT_INLINE double pcm_stat_normal_at(pcm_u32x4 r, pcm_i32 idx, double) {
    double z0, z1;
    pcm_normal2_poly(r, &z0, &z1);
    return idx == 0 ? z0 : z1;
}
PCM_STAT_INLINE float pcm_stat_normal_at(pcm_u32x4 r, pcm_i32 idx, float) {
    const bool second = idx >= 2;
    const pcm_u32 a = second ? r.z : r.x, b = second ? r.w : r.y;
    const float rad = sqrtf(-2.0f * pcm_log_polyf(pcm_uniform_f32_signed(a)));
    float s, c;
    pcm_sincos_2pi_polyf(pcm_uniform_f32_signed(b), &s, &c);
    return (idx & 1) ? rad * s : rad * c;
}

// Mirrors pcmphys.statistical.program for cells [lo, hi) in precision `real`.
// `masked`: only cells with where[i] != 0 change.
template <typename real, bool masked>
PCM_STAT_INLINE void pcm_stat_program_body(const pcm_stat_params& p, pcm_u64 seed,
                                           pcm_i64 offset, pcm_i64 lo, pcm_i64 hi,
                                           pcm_u32 event, const pcm_u8* __restrict__ where,
                                           const real* __restrict__ g_target,
                                           real* __restrict__ g_prog, real* __restrict__ nu) {
    const real g_max = (real)p.g_max, inv_g_max = (real)(1.0 / p.g_max);
    const real c0 = (real)p.prog_c0, c1 = (real)p.prog_c1, c2 = (real)p.prog_c2;
    const real scale = (real)(p.g_max / 25.0), g_floor = (real)p.g_floor;
    const real ma = (real)p.nu_mean_slope, mb = (real)p.nu_mean_intercept;
    const real mlo = (real)p.nu_mean_min, mhi = (real)p.nu_mean_max;
    const real sa = (real)p.nu_std_slope, sb = (real)p.nu_std_intercept;
    const real slo = (real)p.nu_std_min, shi = (real)p.nu_std_max;
    (void)g_max;
    PCM_STAT_SIMD
    for (pcm_i64 i = lo; i < hi; ++i) {
        real z0, z1;
        pcm_stat_pair(pcm_rng_draw_unrolled(seed, (pcm_u64)(offset + i), event,
                                            PCM_STREAM_STAT_PROGRAM, 0u), &z0, &z1);
        const real gt = g_target[i];
        const real g = gt * inv_g_max;
        real sig = (c0 + c1 * g + c2 * g * g) * scale;
        sig = sig > (real)0 ? sig : (real)0;
        real gp = gt + sig * z0;
        gp = gp > (real)0 ? gp : (real)0;
        const real gf = g > g_floor ? g : g_floor;
        const real lg = pcm_stat_log(gf);
        real mu = ma * lg + mb, sd = sa * lg + sb;
        mu = mu < mlo ? mlo : (mu > mhi ? mhi : mu);
        sd = sd < slo ? slo : (sd > shi ? shi : sd);
        const real v = pcm_stat_abs(mu + sd * z1);
        const bool sel = !masked || where[i] != 0;
        g_prog[i] = sel ? gp : g_prog[i];
        nu[i] = sel ? v : nu[i];
    }
}

// Constants of a read: Q_s = min(read_q / max((G_prog/g_max)^read_exponent, floor), q_max).
template <typename real>
struct pcm_stat_readc {
    real inv_g_max, expo, qf, q0, qmax;
    PCM_STAT_INLINE explicit pcm_stat_readc(const pcm_stat_params& p)
        : inv_g_max((real)(1.0 / p.g_max)), expo((real)p.read_exponent),
          qf((real)p.read_g_floor), q0((real)p.read_q), qmax((real)p.read_q_max) {}
    // Mirrors pcmphys.statistical.read_noise_coefficient
    PCM_STAT_INLINE real q(real gp) const {
        const real tiny = pcm_stat_tiny((real)0);
        const real gn = (gp > (real)0 ? gp : (real)0) * inv_g_max;
        const real gs = gn >= tiny ? gn : (real)1;
        real den = gn >= tiny ? pcm_stat_exp(expo * pcm_stat_log(gs)) : (real)0;
        den = den > qf ? den : qf;
        const real qs = q0 / den;
        return qs > qmax ? qmax : qs;
    }
};

// one noisy read: max(G_d + |G_d| Q_s band z, 0), G_d = G_prog exp(-nu ln((t + t0)/t0))
template <typename real>
PCM_STAT_INLINE real pcm_stat_noisy(real gp, real v, real la, real bd, real q, real z) {
    const real gd = gp * pcm_stat_exp(-v * la);
    const real g = gd + pcm_stat_abs(gd) * (q * bd) * z;
    return g > (real)0 ? g : (real)0;
}

// The reads of one whole draw group (2 in float64, 4 in float32) for cells [lo, hi): the
// draw, the logarithm and Q_s are computed once per cell for all of them.
PCM_STAT_INLINE void pcm_stat_read_group(const pcm_stat_readc<double>& c, pcm_u64 seed,
                                         pcm_i64 offset, pcm_i64 n, pcm_i64 lo, pcm_i64 hi,
                                         pcm_u32 base, const double* la, const double* bd,
                                         const double* __restrict__ g_prog,
                                         const double* __restrict__ nu,
                                         double* __restrict__ out) {
    double* __restrict__ o0 = out;
    double* __restrict__ o1 = out + n;
    const double la0 = la[0], la1 = la[1], bd0 = bd[0], bd1 = bd[1];
    PCM_STAT_SIMD
    for (pcm_i64 i = lo; i < hi; ++i) {
        double z0, z1;
        pcm_normal2_poly(pcm_rng_draw_unrolled(seed, (pcm_u64)(offset + i), base,
                                               PCM_STREAM_STAT_READ, 0u), &z0, &z1);
        const double gp = g_prog[i], v = nu[i], q = c.q(gp);
        o0[i] = pcm_stat_noisy(gp, v, la0, bd0, q, z0);
        o1[i] = pcm_stat_noisy(gp, v, la1, bd1, q, z1);
    }
}

PCM_STAT_INLINE void pcm_stat_read_group(const pcm_stat_readc<float>& c, pcm_u64 seed,
                                         pcm_i64 offset, pcm_i64 n, pcm_i64 lo, pcm_i64 hi,
                                         pcm_u32 base, const double* la, const double* bd,
                                         const float* __restrict__ g_prog,
                                         const float* __restrict__ nu,
                                         float* __restrict__ out) {
    float* __restrict__ o0 = out;
    float* __restrict__ o1 = out + n;
    float* __restrict__ o2 = out + 2 * n;
    float* __restrict__ o3 = out + 3 * n;
    const float la0 = (float)la[0], la1 = (float)la[1], la2 = (float)la[2], la3 = (float)la[3];
    const float bd0 = (float)bd[0], bd1 = (float)bd[1], bd2 = (float)bd[2], bd3 = (float)bd[3];
    PCM_STAT_SIMD
    for (pcm_i64 i = lo; i < hi; ++i) {
        float z0, z1, z2, z3;
        pcm_normal4_f32(pcm_rng_draw_unrolled(seed, (pcm_u64)(offset + i), base,
                                              PCM_STREAM_STAT_READ, 0u), &z0, &z1, &z2, &z3);
        const float gp = g_prog[i], v = nu[i], q = c.q(gp);
        o0[i] = pcm_stat_noisy(gp, v, la0, bd0, q, z0);
        o1[i] = pcm_stat_noisy(gp, v, la1, bd1, q, z1);
        o2[i] = pcm_stat_noisy(gp, v, la2, bd2, q, z2);
        o3[i] = pcm_stat_noisy(gp, v, la3, bd3, q, z3);
    }
}

// Mirrors pcmphys.statistical.read_times for cells [lo, hi): out[r * n + i] is read r
// (event event0 + r) at the time whose drift term ln((t + t0)/t0) is log_age[r] and whose
// read-noise band factor sqrt(ln((t + t0 + t_read)/(2 t_read))) is band[r]. Read event e
// uses normal (e mod G) of the draw at event e - (e mod G) (G = 2 in float64, 4 in float32):
// consecutive reads share one draw and no normal is discarded.
template <typename real, int G>
PCM_STAT_INLINE void pcm_stat_read_body(const pcm_stat_params& p, pcm_u64 seed, pcm_i64 offset,
                                        pcm_i64 n, pcm_i64 lo, pcm_i64 hi, pcm_u32 event0,
                                        pcm_i32 n_reads, const double* __restrict__ log_age,
                                        const double* __restrict__ band, pcm_i32 noise,
                                        const real* __restrict__ g_prog,
                                        const real* __restrict__ nu, real* __restrict__ out) {
    const pcm_stat_readc<real> c(p);
    for (pcm_i32 r0 = 0; r0 < n_reads;) {
        real* __restrict__ row = out + (pcm_i64)r0 * n;
        const real la = (real)log_age[r0];
        if (!noise) {
            PCM_STAT_SIMD
            for (pcm_i64 i = lo; i < hi; ++i) row[i] = g_prog[i] * pcm_stat_exp(-nu[i] * la);
            r0 += 1;
            continue;
        }
        const pcm_u32 e0 = event0 + (pcm_u32)r0;
        const pcm_u32 base = e0 - e0 % (pcm_u32)G;   // event of the shared draw
        const pcm_i32 idx = (pcm_i32)(e0 - base);    // index of read r0's normal in it
        if (idx == 0 && r0 + G <= n_reads) {          // a whole group
            pcm_stat_read_group(c, seed, offset, n, lo, hi, base, log_age + r0, band + r0,
                                g_prog, nu, row);
            r0 += G;
            continue;
        }
        const real bd = (real)band[r0];               // a read of a partial group
        PCM_STAT_SIMD
        for (pcm_i64 i = lo; i < hi; ++i) {
            const real gp = g_prog[i];
            const real z = pcm_stat_normal_at(pcm_rng_draw_unrolled(
                seed, (pcm_u64)(offset + i), base, PCM_STREAM_STAT_READ, 0u), idx, gp);
            row[i] = pcm_stat_noisy(gp, nu[i], la, bd, c.q(gp), z);
        }
        r0 += 1;
    }
}

PCM_STAT_RANGE_FN void pcm_stat_program_range_f64(const pcm_stat_params& p, pcm_u64 seed,
        pcm_i64 offset, pcm_i64 lo, pcm_i64 hi, pcm_u32 event, const pcm_u8* where,
        const double* g_target, double* g_prog, double* nu) {
    if (where == 0)
        pcm_stat_program_body<double, false>(p, seed, offset, lo, hi, event, where, g_target,
                                             g_prog, nu);
    else
        pcm_stat_program_body<double, true>(p, seed, offset, lo, hi, event, where, g_target,
                                            g_prog, nu);
}

PCM_STAT_RANGE_FN void pcm_stat_program_range_f32(const pcm_stat_params& p, pcm_u64 seed,
        pcm_i64 offset, pcm_i64 lo, pcm_i64 hi, pcm_u32 event, const pcm_u8* where,
        const float* g_target, float* g_prog, float* nu) {
    if (where == 0)
        pcm_stat_program_body<float, false>(p, seed, offset, lo, hi, event, where, g_target,
                                             g_prog, nu);
    else
        pcm_stat_program_body<float, true>(p, seed, offset, lo, hi, event, where, g_target,
                                            g_prog, nu);
}

PCM_STAT_RANGE_FN void pcm_stat_read_range_f64(const pcm_stat_params& p, pcm_u64 seed,
        pcm_i64 offset, pcm_i64 n, pcm_i64 lo, pcm_i64 hi, pcm_u32 event0, pcm_i32 n_reads,
        const double* log_age, const double* band, pcm_i32 noise, const double* g_prog,
        const double* nu, double* out) {
    pcm_stat_read_body<double, 2>(p, seed, offset, n, lo, hi, event0, n_reads, log_age, band,
                                  noise, g_prog, nu, out);
}

PCM_STAT_RANGE_FN void pcm_stat_read_range_f32(const pcm_stat_params& p, pcm_u64 seed,
        pcm_i64 offset, pcm_i64 n, pcm_i64 lo, pcm_i64 hi, pcm_u32 event0, pcm_i32 n_reads,
        const double* log_age, const double* band, pcm_i32 noise, const float* g_prog,
        const float* nu, float* out) {
    pcm_stat_read_body<float, 4>(p, seed, offset, n, lo, hi, event0, n_reads, log_age, band,
                                 noise, g_prog, nu, out);
}

// ---------------------------------------------------------------- entry kernels
// pcm_stat_program{,_f32}: programming event `event` of the cells selected by `where`
// (NULL = all): g_prog = max(G_target + sigma z0, 0), nu = |mu + sigma_nu z1|.
extern "C" __global__ void pcm_stat_program(pcm_stat_params p, pcm_u64 seed, pcm_i64 offset,
                                            pcm_i64 n, pcm_u32 event,
                                            const pcm_u8* __restrict__ where,
                                            const double* __restrict__ g_target,
                                            double* __restrict__ g_prog,
                                            double* __restrict__ nu) {
    PCM_STAT_RANGES(lo, hi, n) {
        pcm_stat_program_range_f64(p, seed, offset, lo, hi, event, where, g_target, g_prog, nu);
    }
}

extern "C" __global__ void pcm_stat_program_f32(pcm_stat_params p, pcm_u64 seed,
                                                pcm_i64 offset, pcm_i64 n, pcm_u32 event,
                                                const pcm_u8* __restrict__ where,
                                                const float* __restrict__ g_target,
                                                float* __restrict__ g_prog,
                                                float* __restrict__ nu) {
    PCM_STAT_RANGES(lo, hi, n) {
        pcm_stat_program_range_f32(p, seed, offset, lo, hi, event, where, g_target, g_prog, nu);
    }
}

// pcm_stat_read{,_f32}: n_reads reads (events event0 ...) at the times described by
// log_age[r] = ln((t_r + t0)/t0) and band[r] = sqrt(ln((t_r + t0 + t_read)/(2 t_read)));
// out[r * n + i]. noise = 0: drifted conductance only (no draws).
extern "C" __global__ void pcm_stat_read(pcm_stat_params p, pcm_u64 seed, pcm_i64 offset,
                                         pcm_i64 n, pcm_u32 event0, pcm_i32 n_reads,
                                         const double* __restrict__ log_age,
                                         const double* __restrict__ band, pcm_i32 noise,
                                         const double* __restrict__ g_prog,
                                         const double* __restrict__ nu,
                                         double* __restrict__ out) {
    PCM_STAT_RANGES(lo, hi, n) {
        pcm_stat_read_range_f64(p, seed, offset, n, lo, hi, event0, n_reads, log_age, band,
                                noise, g_prog, nu, out);
    }
}

extern "C" __global__ void pcm_stat_read_f32(pcm_stat_params p, pcm_u64 seed, pcm_i64 offset,
                                             pcm_i64 n, pcm_u32 event0, pcm_i32 n_reads,
                                             const double* __restrict__ log_age,
                                             const double* __restrict__ band, pcm_i32 noise,
                                             const float* __restrict__ g_prog,
                                             const float* __restrict__ nu,
                                             float* __restrict__ out) {
    PCM_STAT_RANGES(lo, hi, n) {
        pcm_stat_read_range_f32(p, seed, offset, n, lo, hi, event0, n_reads, log_age, band,
                                noise, g_prog, nu, out);
    }
}

// Test kernel (parity of the normal generators): for cell i, the draw (seed, offset + i,
// event, stream, 0): z64[2i + k] = pcm_normal2_poly, z32[4i + k] = pcm_normal4_f32.
extern "C" __global__ void pcm_stat_normals(pcm_u64 seed, pcm_i64 offset, pcm_i64 n,
                                            pcm_u32 event, pcm_u32 stream,
                                            double* __restrict__ z64, float* __restrict__ z32) {
    PCM_FOR_EACH(i, n) {
        const pcm_u32x4 r = pcm_rng_draw(seed, (pcm_u64)(offset + i), event, stream, 0u);
        pcm_normal2_poly(r, z64 + 2 * i, z64 + 2 * i + 1);
        pcm_normal4_f32(r, z32 + 4 * i, z32 + 4 * i + 1, z32 + 4 * i + 2, z32 + 4 * i + 3);
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
