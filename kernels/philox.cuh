// philox.cuh -- counter-based random numbers: Philox4x32-10 (Salmon et al., SC'11), written
// for pcmphys. Bit-identical twin of pcmphys/rng.py (philox4x32_10, draw, uniform_f32,
// uniform_f64); normals (Box-Muller, library log/cos/sin) agree to a few ulp (see pcmphys/rng.py).
//
// Every draw is a pure function of (seed, device, event, stream, block):
//   key     = (seed low 32, seed high 32)
//   counter = (device low 32, device high 32, event, stream << 16 | (block & 0xFFFF))
// so results never depend on launch geometry, chunking, worker count or backend.
#pragma once
#include "pcm_common.cuh"

// Stream ids (16 bit); twins of the STREAM_* constants of pcmphys/rng.py (checked by
// tests/unit/test_rng.py). Noise octave k uses PCM_STREAM_NOISE_BASE + k; studies use
// PCM_STREAM_USER + n.
#define PCM_STREAM_VARIABILITY 1u
#define PCM_STREAM_CYCLE 2u
#define PCM_STREAM_PULSE 3u
#define PCM_STREAM_READ 4u
#define PCM_STREAM_NOISE_PHASE 5u
#define PCM_STREAM_NUCLEATION 6u
#define PCM_STREAM_THRESHOLD 7u
#define PCM_STREAM_FAULT 8u
#define PCM_STREAM_STAT_PROGRAM 9u
#define PCM_STREAM_STAT_READ 10u
#define PCM_STREAM_STAT_PULSE 11u
#define PCM_STREAM_MEMTRANSISTOR 24u
#define PCM_STREAM_GATE 25u
#define PCM_STREAM_NOISE_BASE 64u
#define PCM_STREAM_USER 1024u

// Philox4x32 round multipliers and Weyl key increments.
#define PCM_PHILOX_M0 0xD2511F53u
#define PCM_PHILOX_M1 0xCD9E8D57u
#define PCM_PHILOX_W0 0x9E3779B9u
#define PCM_PHILOX_W1 0xBB67AE85u

struct pcm_u32x4 {
    pcm_u32 x, y, z, w;
};

// High 32 bits of the 64-bit product a * b.
PCM_FN pcm_u32 pcm_mulhi32(pcm_u32 a, pcm_u32 b) {
#ifdef __CUDA_ARCH__
    return __umulhi(a, b);
#else
    return (pcm_u32)(((pcm_u64)a * (pcm_u64)b) >> 32);
#endif
}

// One Philox4x32 round with round key (k0, k1).
PCM_FN pcm_u32x4 pcm_philox4x32_round(pcm_u32x4 c, pcm_u32 k0, pcm_u32 k1) {
    const pcm_u32 hi0 = pcm_mulhi32(PCM_PHILOX_M0, c.x);
    const pcm_u32 lo0 = PCM_PHILOX_M0 * c.x;
    const pcm_u32 hi1 = pcm_mulhi32(PCM_PHILOX_M1, c.z);
    const pcm_u32 lo1 = PCM_PHILOX_M1 * c.z;
    pcm_u32x4 r;
    r.x = hi1 ^ c.y ^ k0;
    r.y = lo1;
    r.z = hi0 ^ c.w ^ k1;
    r.w = lo0;
    return r;
}

// Philox4x32-10: ten rounds; the key is bumped by the Weyl increments before rounds 2..10.
PCM_FN pcm_u32x4 pcm_philox4x32_10(pcm_u32x4 ctr, pcm_u32 k0, pcm_u32 k1) {
    ctr = pcm_philox4x32_round(ctr, k0, k1);
#ifdef __CUDA_ARCH__
#pragma unroll
#endif
    for (int r = 1; r < 10; ++r) {
        k0 += PCM_PHILOX_W0;
        k1 += PCM_PHILOX_W1;
        ctr = pcm_philox4x32_round(ctr, k0, k1);
    }
    return ctr;
}

// The four words for (seed, global device index, event, 16-bit stream id, 16-bit block).
// Twin of pcmphys.rng.draw.
PCM_FN pcm_u32x4 pcm_rng_draw(pcm_u64 seed, pcm_u64 device, pcm_u32 event, pcm_u32 stream,
                              pcm_u32 block) {
    pcm_u32x4 ctr;
    ctr.x = (pcm_u32)(device & 0xFFFFFFFFull);
    ctr.y = (pcm_u32)(device >> 32);
    ctr.z = event;
    ctr.w = (stream << 16) | (block & 0xFFFFu);
    return pcm_philox4x32_10(ctr, (pcm_u32)(seed & 0xFFFFFFFFull), (pcm_u32)(seed >> 32));
}

// float32 uniform in (0, 1): ((x >> 8) | 1) * 2^-24, exact; never 0 or 1.
// Twin of pcmphys.rng.uniform_f32.
PCM_FN float pcm_uniform_f32(pcm_u32 x) {
    return (float)((x >> 8) | 1u) * 5.9604644775390625e-8f;  // 2^-24
}

// float64 uniform in (0, 1) from two words: v = (a >> 5) << 26 | (b >> 6) (53 bits);
// (v | 1) * 2^-53, exact (no rounding anywhere); in [2^-53, 1 - 2^-53], never 0 or 1.
// Twin of pcmphys.rng.uniform_f64.
PCM_FN double pcm_uniform_f64(pcm_u32 a, pcm_u32 b) {
    const pcm_u64 v = ((pcm_u64)(a >> 5) << 26) | (pcm_u64)(b >> 6);
    return (double)(v | 1ull) * 1.1102230246251565404236316680908203125e-16;  // 2^-53
}

// Two independent standard normals from one draw (Box-Muller in double):
// u1 = uniform_f64(x, y), u2 = uniform_f64(z, w), rad = sqrt(-2 log u1),
// z0 = rad cos(2 pi u2), z1 = rad sin(2 pi u2). Twin of pcmphys.rng.normal2.
PCM_FN void pcm_normal2(pcm_u32x4 r, double* z0, double* z1) {
    const double u1 = pcm_uniform_f64(r.x, r.y);
    const double u2 = pcm_uniform_f64(r.z, r.w);
    const double rad = sqrt(-2.0 * log(u1));
    const double theta = (2.0 * PCM_PI) * u2;
    *z0 = rad * cos(theta);
    *z1 = rad * sin(theta);
}

// z0 of pcm_normal2 alone (the 1/f octave values use one normal per draw).
PCM_FN double pcm_normal_first(pcm_u32x4 r) {
    const double u1 = pcm_uniform_f64(r.x, r.y);
    const double u2 = pcm_uniform_f64(r.z, r.w);
    return sqrt(-2.0 * log(u1)) * cos((2.0 * PCM_PI) * u2);
}

// ---------------------------------------------------------------- vectorisable normals
// The functions below use only arithmetic, comparisons and bit casts (no library calls), so a
// host loop over cells under `#pragma omp simd` vectorises them, and NVRTC compiles them too.
// Inputs are the positive normal numbers the uniforms produce (no 0, denormal, inf or NaN).
// pcm_normal2_poly equals pcm_normal2 to ~1e-15 (same draw, same formula); pcm_normal4_f32
// mirrors pcmphys.rng.normal4_f32 to a few float32 ulp.

#ifdef PCM_HOST
#define PCM_FN_SIMD inline __attribute__((always_inline))
#else
#define PCM_FN_SIMD PCM_FN
#endif

PCM_FN_SIMD pcm_u64 pcm_f64_bits(double x) {
#ifdef __CUDA_ARCH__
    return (pcm_u64)__double_as_longlong(x);
#else
    pcm_u64 u;
    __builtin_memcpy(&u, &x, sizeof u);
    return u;
#endif
}

PCM_FN_SIMD double pcm_f64_from_bits(pcm_u64 u) {
#ifdef __CUDA_ARCH__
    return __longlong_as_double((long long)u);
#else
    double x;
    __builtin_memcpy(&x, &u, sizeof x);
    return x;
#endif
}

PCM_FN_SIMD pcm_u32 pcm_f32_bits(float x) {
#ifdef __CUDA_ARCH__
    return __float_as_uint(x);
#else
    pcm_u32 u;
    __builtin_memcpy(&u, &x, sizeof u);
    return u;
#endif
}

PCM_FN_SIMD float pcm_f32_from_bits(pcm_u32 u) {
#ifdef __CUDA_ARCH__
    return __uint_as_float(u);
#else
    float x;
    __builtin_memcpy(&x, &u, sizeof x);
    return x;
#endif
}

// pcm_rng_draw with the ten rounds written out (no loop, so a loop over cells vectorises);
// bit-identical to pcm_rng_draw.
PCM_FN_SIMD pcm_u32x4 pcm_rng_draw_unrolled(pcm_u64 seed, pcm_u64 device, pcm_u32 event,
                                       pcm_u32 stream, pcm_u32 block) {
    pcm_u32x4 c;
    c.x = (pcm_u32)(device & 0xFFFFFFFFull);
    c.y = (pcm_u32)(device >> 32);
    c.z = event;
    c.w = (stream << 16) | (block & 0xFFFFu);
    const pcm_u32 k0 = (pcm_u32)(seed & 0xFFFFFFFFull), k1 = (pcm_u32)(seed >> 32);
    c = pcm_philox4x32_round(c, k0, k1);
    c = pcm_philox4x32_round(c, k0 + 1u * PCM_PHILOX_W0, k1 + 1u * PCM_PHILOX_W1);
    c = pcm_philox4x32_round(c, k0 + 2u * PCM_PHILOX_W0, k1 + 2u * PCM_PHILOX_W1);
    c = pcm_philox4x32_round(c, k0 + 3u * PCM_PHILOX_W0, k1 + 3u * PCM_PHILOX_W1);
    c = pcm_philox4x32_round(c, k0 + 4u * PCM_PHILOX_W0, k1 + 4u * PCM_PHILOX_W1);
    c = pcm_philox4x32_round(c, k0 + 5u * PCM_PHILOX_W0, k1 + 5u * PCM_PHILOX_W1);
    c = pcm_philox4x32_round(c, k0 + 6u * PCM_PHILOX_W0, k1 + 6u * PCM_PHILOX_W1);
    c = pcm_philox4x32_round(c, k0 + 7u * PCM_PHILOX_W0, k1 + 7u * PCM_PHILOX_W1);
    c = pcm_philox4x32_round(c, k0 + 8u * PCM_PHILOX_W0, k1 + 8u * PCM_PHILOX_W1);
    c = pcm_philox4x32_round(c, k0 + 9u * PCM_PHILOX_W0, k1 + 9u * PCM_PHILOX_W1);
    return c;
}

// pcm_uniform_f64 computed with 32-bit integer conversions only (vectorises without 64-bit
// integer-to-double instructions): (a >> 5) 2^26 + ((b >> 6) | 1) is exact; bit-identical.
PCM_FN_SIMD double pcm_uniform_f64_split(pcm_u32 a, pcm_u32 b) {
    const double hi = (double)(pcm_i32)(a >> 5);
    const double lo = (double)(pcm_i32)((b >> 6) | 1u);
    return (hi * 67108864.0 + lo) * 1.1102230246251565404236316680908203125e-16;
}

// pcm_uniform_f32 through a signed conversion (the value is < 2^24); bit-identical.
PCM_FN_SIMD float pcm_uniform_f32_signed(pcm_u32 x) {
    return (float)(pcm_i32)((x >> 8) | 1u) * 5.9604644775390625e-8f;
}

// ln x for a positive normal double: x = 2^e m, m in [sqrt(1/2), sqrt(2)),
// ln m = 2 atanh(f), f = (m - 1)/(m + 1), |f| < 0.1716, series to f^19 (truncation < 1e-18).
PCM_FN_SIMD double pcm_log_poly(double x) {
    const pcm_u64 b = pcm_f64_bits(x);
    pcm_i32 e = (pcm_i32)(b >> 52) - 1023;
    double m = pcm_f64_from_bits((b & 0x000FFFFFFFFFFFFFull) | 0x3FF0000000000000ull);
    const bool big = m > 1.4142135623730951;
    m = big ? 0.5 * m : m;
    e = big ? e + 1 : e;
    const double f = (m - 1.0) / (m + 1.0), s = f * f;
    const double p = 2.0 + s * (2.0 / 3 + s * (2.0 / 5 + s * (2.0 / 7 + s * (2.0 / 9
                     + s * (2.0 / 11 + s * (2.0 / 13 + s * (2.0 / 15 + s * (2.0 / 17
                     + s * (2.0 / 19)))))))));
    const double de = (double)e;
    return de * 6.93147180369123816490e-01 + (f * p + de * 1.90821492927058770002e-10);
}

// exp x for -708 <= x <= 709 (clamped there): 2^k e^r, |r| <= ln2/2, Taylor to r^13.
PCM_FN_SIMD double pcm_exp_poly(double x) {
    x = x < -708.0 ? -708.0 : (x > 709.0 ? 709.0 : x);
    // nearest integer of x / ln 2 by the 1.5 * 2^52 shift (round to nearest even)
    const double dk = (x * 1.4426950408889634 + 6755399441055744.0) - 6755399441055744.0;
    const pcm_i32 k = (pcm_i32)dk;
    const double r = (x - dk * 6.93147180369123816490e-01) - dk * 1.90821492927058770002e-10;
    double p = 1.0 / 6227020800.0;
    p = 1.0 / 479001600.0 + r * p;
    p = 1.0 / 39916800.0 + r * p;
    p = 1.0 / 3628800.0 + r * p;
    p = 1.0 / 362880.0 + r * p;
    p = 1.0 / 40320.0 + r * p;
    p = 1.0 / 5040.0 + r * p;
    p = 1.0 / 720.0 + r * p;
    p = 1.0 / 120.0 + r * p;
    p = 1.0 / 24.0 + r * p;
    p = 1.0 / 6.0 + r * p;
    p = 0.5 + r * p;
    p = 1.0 + r * p;
    p = 1.0 + r * p;
    return p * pcm_f64_from_bits((pcm_u64)(pcm_i64)(k + 1023) << 52);
}

// cos(2 pi u) and sin(2 pi u) for u in (0, 1): u = j/4 + r with j = round(4u), |r| <= 1/8
// (exact), then Taylor series of theta = 2 pi r in [-pi/4, pi/4] (to theta^15 / theta^16)
// rotated by the quarter turn j.
PCM_FN_SIMD void pcm_sincos_2pi_poly(double u, double* s, double* c) {
    const pcm_i32 j = (pcm_i32)(4.0 * u + 0.5);
    const double r = u - 0.25 * (double)j;
    const double t = 6.283185307179586 * r, t2 = t * t;
    const double sn = t * (1.0 + t2 * (-1.0 / 6 + t2 * (1.0 / 120 + t2 * (-1.0 / 5040
                      + t2 * (1.0 / 362880 + t2 * (-1.0 / 39916800 + t2 * (1.0 / 6227020800.0
                      + t2 * (-1.0 / 1307674368000.0))))))));
    const double cs = 1.0 + t2 * (-0.5 + t2 * (1.0 / 24 + t2 * (-1.0 / 720 + t2 * (1.0 / 40320
                      + t2 * (-1.0 / 3628800 + t2 * (1.0 / 479001600 + t2 * (-1.0 / 87178291200.0
                      + t2 * (1.0 / 20922789888000.0))))))));
    const pcm_i32 q = j & 3;
    const double c0 = (q & 1) ? sn : cs, s0 = (q & 1) ? cs : sn;
    *c = (q == 1 || q == 2) ? -c0 : c0;
    *s = (q >= 2) ? -s0 : s0;
}

// pcm_normal2 (same draw, same Box-Muller formula) from the arithmetic functions above.
PCM_FN_SIMD void pcm_normal2_poly(pcm_u32x4 r, double* z0, double* z1) {
    const double u1 = pcm_uniform_f64_split(r.x, r.y);
    const double u2 = pcm_uniform_f64_split(r.z, r.w);
    const double rad = sqrt(-2.0 * pcm_log_poly(u1));
    double s, c;
    pcm_sincos_2pi_poly(u2, &s, &c);
    *z0 = rad * c;
    *z1 = rad * s;
}

// float32 ln x for a positive normal float (as pcm_log_poly, series to f^9).
PCM_FN_SIMD float pcm_log_polyf(float x) {
    const pcm_u32 b = pcm_f32_bits(x);
    pcm_i32 e = (pcm_i32)(b >> 23) - 127;
    float m = pcm_f32_from_bits((b & 0x007FFFFFu) | 0x3F800000u);
    const bool big = m > 1.41421356f;
    m = big ? 0.5f * m : m;
    e = big ? e + 1 : e;
    const float f = (m - 1.0f) / (m + 1.0f), s = f * f;
    const float p = 2.0f + s * (0.666666667f + s * (0.4f + s * (0.285714286f
                    + s * 0.222222222f)));
    const float de = (float)e;
    return de * 0.693145752f + (f * p + de * 1.42860677e-06f);
}

// float32 exp x for -87 <= x <= 88 (clamped there): 2^k e^r, Taylor to r^7.
PCM_FN_SIMD float pcm_exp_polyf(float x) {
    x = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
    const float dk = (x * 1.44269504f + 12582912.0f) - 12582912.0f;  // 1.5 * 2^23 shift
    const pcm_i32 k = (pcm_i32)dk;
    const float r = (x - dk * 0.693145752f) - dk * 1.42860677e-06f;
    const float p = 1.0f + r * (1.0f + r * (0.5f + r * (0.166666667f + r * (0.0416666667f
                    + r * (0.00833333333f + r * (0.00138888889f + r * 0.000198412698f))))));
    return p * pcm_f32_from_bits((pcm_u32)(k + 127) << 23);
}

// float32 cos(2 pi u), sin(2 pi u) for u in (0, 1), as pcm_sincos_2pi_poly (to t^11 / t^12).
PCM_FN_SIMD void pcm_sincos_2pi_polyf(float u, float* s, float* c) {
    const pcm_i32 j = (pcm_i32)(4.0f * u + 0.5f);
    const float r = u - 0.25f * (float)j;
    const float t = 6.28318531f * r, t2 = t * t;
    const float sn = t * (1.0f + t2 * (-0.166666667f + t2 * (0.00833333333f
                     + t2 * (-0.000198412698f + t2 * (2.75573192e-06f
                     + t2 * -2.50521084e-08f)))));
    const float cs = 1.0f + t2 * (-0.5f + t2 * (0.0416666667f + t2 * (-0.00138888889f
                     + t2 * (2.48015873e-05f + t2 * (-2.75573192e-07f
                     + t2 * 2.08767570e-09f)))));
    const pcm_i32 q = j & 3;
    const float c0 = (q & 1) ? sn : cs, s0 = (q & 1) ? cs : sn;
    *c = (q == 1 || q == 2) ? -c0 : c0;
    *s = (q >= 2) ? -s0 : s0;
}

// Four float32 standard normals from one draw (twin of pcmphys.rng.normal4_f32): Box-Muller
// on the pairs of float32 uniforms (x, y) -> (z0, z1) and (z, w) -> (z2, z3):
// rad = sqrt(-2 ln u_a), (z0, z1) = rad (cos 2 pi u_b, sin 2 pi u_b).
PCM_FN_SIMD void pcm_normal4_f32(pcm_u32x4 r, float* z0, float* z1, float* z2, float* z3) {
    const float ra = sqrtf(-2.0f * pcm_log_polyf(pcm_uniform_f32_signed(r.x)));
    const float rb = sqrtf(-2.0f * pcm_log_polyf(pcm_uniform_f32_signed(r.z)));
    float s, c;
    pcm_sincos_2pi_polyf(pcm_uniform_f32_signed(r.y), &s, &c);
    *z0 = ra * c;
    *z1 = ra * s;
    pcm_sincos_2pi_polyf(pcm_uniform_f32_signed(r.w), &s, &c);
    *z2 = rb * c;
    *z3 = rb * s;
}

// The first pair of pcm_normal4_f32 alone (words x, y).
PCM_FN_SIMD void pcm_normal2_f32(pcm_u32x4 r, float* z0, float* z1) {
    const float ra = sqrtf(-2.0f * pcm_log_polyf(pcm_uniform_f32_signed(r.x)));
    float s, c;
    pcm_sincos_2pi_polyf(pcm_uniform_f32_signed(r.y), &s, &c);
    *z0 = ra * c;
    *z1 = ra * s;
}
