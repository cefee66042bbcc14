// philox.cuh -- counter-based random numbers: Philox4x32-10 (Salmon et al., SC'11), written
// for pcmphys. Bit-identical twin of pcmphys/rng.py (philox4x32_10, draw, uniform_f32,
// uniform_f64); normals (Box-Muller, library log/cos/sin) agree to a few ulp (design.md s. 4).
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
