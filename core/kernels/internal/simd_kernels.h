// Internal: the per-level kernel tables behind KernelsFor(), one per translation unit
// (kernels_scalar.cc, kernels_avx2.cc, kernels_avx512.cc), and the HRNN_SIMD parsing rule.
// The tables are constant after static initialisation; thread-safe.
#ifndef HRNN_CORE_KERNELS_INTERNAL_SIMD_KERNELS_H_
#define HRNN_CORE_KERNELS_INTERNAL_SIMD_KERNELS_H_

#include <string>

#include "core/kernels/matvec.h"
#include "core/kernels/simd_level.h"

namespace hrnn::internal {

// REQUIRES for Avx2Kernels()/Avx512Kernels(): the CPU supports that level (only calling the
// kernels needs it; taking the table is always safe).
const SimdKernels& ScalarKernels();
const SimdKernels& Avx2Kernels();
const SimdKernels& Avx512Kernels();

// The level HRNN_SIMD=`env_value` selects on a CPU whose best level is `detected`: `detected`
// when env_value is null or empty; clamped to `detected` (with `*warning` set) when it asks for
// more or names no level. `*warning` is cleared otherwise.
SimdLevel ResolveSimdLevel(const char* env_value, SimdLevel detected, std::string* warning);

}  // namespace hrnn::internal

#endif  // HRNN_CORE_KERNELS_INTERNAL_SIMD_KERNELS_H_
