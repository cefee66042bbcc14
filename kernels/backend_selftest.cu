// backend_selftest.cu -- self-test of the kernel loaders (host and cupy backends): every kind of
// launch argument arrives intact. Not physics.
// Mirrors: pcmphys.backends.selftest_reference
#include "pcm_common.cuh"

// Layout twin: pcmphys.backends.selftest.SELFTEST_PARAMS_DTYPE (np.dtype(..., align=True)).
struct pcm_selftest_params {
    double a;
    float b;
    int c;
    double w[3];
    pcm_u8 flag;
};
static_assert(sizeof(pcm_selftest_params) == 48, "pcm_selftest_params layout changed");

// out[i] = a x[i] + b + c scale + mask[i] (0 when mask is NULL) + (use_w ? w[i % 3] : 0) + k
//          + flag, summed left to right in double; index[i] = offset + i stride (mod 2^64),
// skipped when index is NULL.
extern "C" __global__ void pcm_selftest(const double* __restrict__ x,
                                        const double* __restrict__ mask,
                                        pcm_selftest_params p, float scale, pcm_i32 k,
                                        pcm_u32 stride, pcm_u64 offset, pcm_u8 use_w,
                                        double* __restrict__ out,
                                        pcm_u64* __restrict__ index, pcm_i64 n) {
    PCM_FOR_EACH(i, n) {
        double v = p.a * x[i];
        v = v + (double)p.b;
        v = v + (double)p.c * (double)scale;
        if (mask != 0) v = v + mask[i];
        if (use_w) v = v + p.w[i % 3];
        v = v + (double)k;
        v = v + (double)p.flag;
        out[i] = v;
        if (index != 0) index[i] = offset + (pcm_u64)i * (pcm_u64)stride;
    }
}
