// pcm_common.cuh -- portability layer shared by every pcmphys kernel.
//
// The same kernel sources compile three ways:
//   * NVRTC through CuPy (backend "cupy"): no standard headers are available;
//   * nvcc (-ptx / --cubin) in the test suite;
//   * the system C++ compiler (backend "host") after kernels/host_shim.h, which defines
//     PCM_HOST and maps the CUDA qualifiers to plain C++.
// Entry kernels loop over cells with PCM_FOR_EACH(i, n): a grid-stride loop on the GPU and an
// OpenMP-parallel loop on the host. Results never depend on the launch geometry.
#pragma once

typedef unsigned int pcm_u32;
typedef unsigned long long pcm_u64;
typedef long long pcm_i64;
typedef int pcm_i32;
typedef unsigned char pcm_u8;

#ifdef PCM_HOST
#define PCM_FN inline __attribute__((always_inline))
/* Small launches run serially: starting an OpenMP team costs ~0.1-10 ms on a loaded machine,
   more than the work of a few thousand cells. */
#define PCM_OMP_MIN_CELLS 8192
#define PCM_FOR_EACH(i, n)                                                          \
    for (pcm_i64 pcm_n_ = (pcm_i64)(n), pcm_once_ = 1; pcm_once_; pcm_once_ = 0)     \
        _Pragma("omp parallel for schedule(static) if(pcm_n_ >= PCM_OMP_MIN_CELLS)") \
        for (pcm_i64 i = 0; i < pcm_n_; ++i)
#else
#define PCM_FN __host__ __device__ __forceinline__
#define PCM_FOR_EACH(i, n)                                                     \
    for (pcm_i64 i = (pcm_i64)blockIdx.x * blockDim.x + threadIdx.x; i < (pcm_i64)(n); \
         i += (pcm_i64)blockDim.x * gridDim.x)
#endif

#define PCM_PI 3.14159265358979323846
#define PCM_KB_EV 8.617333262e-5      /* Boltzmann constant [eV/K] */
#define PCM_Q 1.602176634e-19         /* elementary charge [C] */
#define PCM_KB_J 1.380649e-23         /* Boltzmann constant [J/K] */

// exp(x) - 1. On the GPU the library expm1. On the host glibc's expm1 costs ~2x its exp and
// was a third of a SET pulse (perf), so: a degree-6 Taylor sum for |x| < 2^-10 (truncation
// < 1e-22 relative) and exp(x) - 1 above (cancellation < 1.2e-13 relative). The NumPy
// reference keeps np.expm1; the parity tolerance (1e-5) is eight orders looser.
// The Taylor sum of exp(x) - 1 to x^6 (used for |x| < 2^-10; also by pcm_physics.cuh)
PCM_FN double pcm_expm1_taylor(double x) {
    return x * (1.0 + x * (0.5 + x * (1.0 / 6.0 + x * (1.0 / 24.0 + x * (1.0 / 120.0
                + x * (1.0 / 720.0))))));
}
PCM_FN double pcm_expm1(double x) {
#ifdef PCM_HOST
    if (fabs(x) < 0.0009765625) return pcm_expm1_taylor(x);
    return exp(x) - 1.0;
#else
    return expm1(x);
#endif
}

// floor of x as an integer, for |x| < 2^63 (inline: the host's libm floor is a call)
PCM_FN pcm_i64 pcm_floor_i64(double x) {
    pcm_i64 i = (pcm_i64)x;
    return i - (pcm_i64)(x < (double)i);
}
