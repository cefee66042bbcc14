// Mirrors: pcmphys.rng.draw, pcmphys.rng.uniform_f32, pcmphys.rng.normal2 (pcm_rng_fill)
// rng_check.cu -- the counter RNG of philox.cuh, exposed for tests/unit/test_rng.py (parity
// with the NumPy twin) and bench/bench_rng.py. Not physics.
#include "pcm_common.cuh"
#include "philox.cuh"

// For local index i (global device = device_offset + i), 0 <= i < n:
//   raw[4i + 0..3]  = pcm_rng_draw(seed, device, event, stream, block)   (x, y, z, w)
//   uf32[4i + 0..3] = pcm_uniform_f32 of each word
//   normals[2i + 0..1] = pcm_normal2 of the draw (z0, z1)
// Any of raw, uf32, normals may be NULL (skipped).
extern "C" __global__ void pcm_rng_fill(pcm_u64 seed, pcm_i64 device_offset, pcm_u32 event,
                                        pcm_u32 stream, pcm_u32 block, pcm_i64 n,
                                        pcm_u32* __restrict__ raw, float* __restrict__ uf32,
                                        double* __restrict__ normals) {
    PCM_FOR_EACH(i, n) {
        const pcm_u64 device = (pcm_u64)(device_offset + i);
        const pcm_u32x4 r = pcm_rng_draw(seed, device, event, stream, block);
        if (raw != 0) {
            raw[4 * i + 0] = r.x;
            raw[4 * i + 1] = r.y;
            raw[4 * i + 2] = r.z;
            raw[4 * i + 3] = r.w;
        }
        if (uf32 != 0) {
            uf32[4 * i + 0] = pcm_uniform_f32(r.x);
            uf32[4 * i + 1] = pcm_uniform_f32(r.y);
            uf32[4 * i + 2] = pcm_uniform_f32(r.z);
            uf32[4 * i + 3] = pcm_uniform_f32(r.w);
        }
        if (normals != 0) {
            double z0, z1;
            pcm_normal2(r, &z0, &z1);
            normals[2 * i + 0] = z0;
            normals[2 * i + 1] = z1;
        }
    }
}
