// pcm_correlation.cu -- binary stochastic processes of the temporal-correlation experiment
// (Sebastian et al., Nat. Commun. 8, 1115 (2017)), generated inside the
// kernel from the counter RNG: no N x K array exists anywhere.
// Mirrors: pcmphys.computing.correlation.fired_numpy (pcm_corr_fired),
//          pcmphys.computing.correlation.momentum_numpy (pcm_corr_partial_sums),
//          pcmphys.computing.correlation.covariance_row_sums_numpy (pcm_corr_covariance).
//
// Process of cell i at time step k (k = 0, 1, ...):
//   word  = pcm_rng_draw(seed, i, k >> 2, PCM_STREAM_CORR_PROCESS, 0)[k & 3]
//   X_i(k) = word < threshold,  threshold = floor(P * 2^32) (exact integer comparison),
//   P = p_high if cell i is correlated and X_r(k) = 1, p_low if correlated and X_r(k) = 0,
//   p otherwise. One Philox draw serves four consecutive steps.
// The hidden driver X_r(k) is a function of (seed, k) only; it is computed once by
// pcmphys.computing.correlation.driver (the same numbers on every backend) and passed as a uint8 array.
// Thresholds are uint64 so that P = 1 (threshold 2^32) is representable.
#include "pcm_common.cuh"
#include "philox.cuh"

// Stream ids of this study (PCM_STREAM_USER + n); twins of pcmphys.computing.correlation.STREAM_*.
#define PCM_STREAM_CORR_DRIVER (PCM_STREAM_USER + 16u)
#define PCM_STREAM_CORR_PROCESS (PCM_STREAM_USER + 17u)

// The four random words of cell `dev` for steps 4q .. 4q+3.
PCM_FN pcm_u32x4 pcm_corr_words(pcm_u64 seed, pcm_u64 dev, pcm_u32 quad) {
    return pcm_rng_draw(seed, dev, quad, PCM_STREAM_CORR_PROCESS, 0u);
}

PCM_FN pcm_u32 pcm_corr_word(pcm_u32x4 r, int lane) {
    return lane == 0 ? r.x : (lane == 1 ? r.y : (lane == 2 ? r.z : r.w));
}

// Firing threshold of one cell at one step.
PCM_FN pcm_u64 pcm_corr_threshold(bool correlated, bool driver, pcm_u64 thr_p,
                                  pcm_u64 thr_high, pcm_u64 thr_low) {
    return correlated ? (driver ? thr_high : thr_low) : thr_p;
}

// X_i(step) for every cell into `fired` (uint8, 0/1). driver_k = X_r(step).
extern "C" __global__ void pcm_corr_fired(pcm_u64 seed, pcm_i64 offset, pcm_i64 n, pcm_u64 step,
                                          pcm_u8 driver_k, pcm_u64 thr_p, pcm_u64 thr_high,
                                          pcm_u64 thr_low, const pcm_u8* __restrict__ correlated,
                                          pcm_u8* __restrict__ fired) {
    PCM_FOR_EACH(i, n) {
        pcm_u32x4 r = pcm_corr_words(seed, (pcm_u64)(offset + i), (pcm_u32)(step >> 2));
        pcm_u64 thr = pcm_corr_threshold(correlated[i] != 0, driver_k != 0, thr_p, thr_high,
                                         thr_low);
        fired[i] = ((pcm_u64)pcm_corr_word(r, (int)(step & 3ull)) < thr) ? 1 : 0;
    }
}

// Partial sums of M(k) = sum_i X_i(k): item j = b * n_quads + q sums the cells
// [b * cells_per_block, (b + 1) * cells_per_block) for steps 4 (quad0 + q) .. + 3 into
// partial[j * 4 + lane]. driver[4 q + lane] = X_r of those steps (driver array starts at step
// 4 quad0 and has 4 n_quads entries). n_items = n_blocks * n_quads.
extern "C" __global__ void pcm_corr_partial_sums(
        pcm_u64 seed, pcm_i64 offset, pcm_i64 n, pcm_u64 quad0, pcm_i64 n_quads,
        pcm_i64 cells_per_block, pcm_i64 n_items, pcm_u64 thr_p, pcm_u64 thr_high,
        pcm_u64 thr_low, const pcm_u8* __restrict__ correlated,
        const pcm_u8* __restrict__ driver, pcm_i32* __restrict__ partial) {
    PCM_FOR_EACH(j, n_items) {
        pcm_i64 b = j / n_quads, q = j % n_quads;
        pcm_u32 quad = (pcm_u32)(quad0 + (pcm_u64)q);
        bool d0 = driver[4 * q] != 0, d1 = driver[4 * q + 1] != 0;
        bool d2 = driver[4 * q + 2] != 0, d3 = driver[4 * q + 3] != 0;
        pcm_i32 s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        pcm_i64 lo = b * cells_per_block;
        pcm_i64 hi = lo + cells_per_block < n ? lo + cells_per_block : n;
        for (pcm_i64 i = lo; i < hi; ++i) {
            pcm_u32x4 r = pcm_corr_words(seed, (pcm_u64)(offset + i), quad);
            bool c = correlated[i] != 0;
            s0 += (pcm_u64)r.x < pcm_corr_threshold(c, d0, thr_p, thr_high, thr_low);
            s1 += (pcm_u64)r.y < pcm_corr_threshold(c, d1, thr_p, thr_high, thr_low);
            s2 += (pcm_u64)r.z < pcm_corr_threshold(c, d2, thr_p, thr_high, thr_low);
            s3 += (pcm_u64)r.w < pcm_corr_threshold(c, d3, thr_p, thr_high, thr_low);
        }
        partial[4 * j] = s0; partial[4 * j + 1] = s1;
        partial[4 * j + 2] = s2; partial[4 * j + 3] = s3;
    }
}

// Exact detection on the processor: W_i += sum_k X_i(k) * M(k) over steps 4 quad0 .. 4 quad0 +
// 4 n_quads - 1 (driver and momentum indexed from step 4 quad0; steps with momentum < 0 are
// past the end and skipped). W_i / K is the row sum of the uncentred covariance matrix.
extern "C" __global__ void pcm_corr_covariance(
        pcm_u64 seed, pcm_i64 offset, pcm_i64 n, pcm_u64 quad0, pcm_i64 n_quads,
        pcm_u64 thr_p, pcm_u64 thr_high, pcm_u64 thr_low, const pcm_u8* __restrict__ correlated,
        const pcm_u8* __restrict__ driver, const double* __restrict__ momentum,
        double* __restrict__ w) {
    PCM_FOR_EACH(i, n) {
        bool c = correlated[i] != 0;
        pcm_u64 dev = (pcm_u64)(offset + i);
        double acc = 0.0;
        for (pcm_i64 q = 0; q < n_quads; ++q) {
            pcm_u32x4 r = pcm_corr_words(seed, dev, (pcm_u32)(quad0 + (pcm_u64)q));
            for (int lane = 0; lane < 4; ++lane) {
                pcm_i64 s = 4 * q + lane;
                pcm_u64 thr = pcm_corr_threshold(c, driver[s] != 0, thr_p, thr_high, thr_low);
                if ((pcm_u64)pcm_corr_word(r, lane) < thr && momentum[s] > 0.0) acc += momentum[s];
            }
        }
        w[i] += acc;
    }
}
