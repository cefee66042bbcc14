// pcm_math_selftest.cu -- accuracy check of the inline math helpers of pcm_common.cuh that
// replace library calls on the host (pcm_expm1, pcm_floor_i64). Not physics.
// Mirrors: pcmphys.backends.selftest.math_reference
#include "pcm_common.cuh"

// out_expm1[i] = pcm_expm1(x[i]); out_floor[i] = pcm_floor_i64(x[i])
extern "C" __global__ void pcm_math_selftest(const double* __restrict__ x,
                                             double* __restrict__ out_expm1,
                                             pcm_i64* __restrict__ out_floor, pcm_i64 n) {
    PCM_FOR_EACH(i, n) {
        out_expm1[i] = pcm_expm1(x[i]);
        out_floor[i] = pcm_floor_i64(x[i]);
    }
}
