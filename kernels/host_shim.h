// host_shim.h -- lets the CUDA kernel sources compile with the system C++ compiler
// (backend "host"). Included before a .cu file; never included by NVRTC or nvcc.
#pragma once
#include <cmath>
#include <cstdint>
#define PCM_HOST 1
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __restrict__ __restrict
using std::exp; using std::log; using std::sqrt; using std::sin; using std::cos;
using std::pow; using std::fabs; using std::floor; using std::log1p; using std::expm1;
using std::fmin; using std::nan; using std::fmax; using std::sinh; using std::ceil; using std::erf;
