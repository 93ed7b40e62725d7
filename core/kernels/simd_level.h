// SIMD instruction-set levels and the one dispatch decision: which level the kernels use.
// The level is chosen once, on first use, from the CPU's features, and may be lowered with the
// environment variable HRNN_SIMD=scalar|avx2|avx512 (a level above what the CPU supports is
// clamped to the supported one, with a warning on stderr). Thread-safe.
#ifndef HRNN_CORE_KERNELS_SIMD_LEVEL_H_
#define HRNN_CORE_KERNELS_SIMD_LEVEL_H_

#include <optional>
#include <vector>

#include "absl/strings/string_view.h"

namespace hrnn {

enum class SimdLevel {
  kScalar = 0,  // Portable C++; the reference every other level is tested against.
  kAvx2 = 1,    // AVX2 + FMA + F16C.
  kAvx512 = 2,  // AVX-512 F/BW/VL/DQ.
};

absl::string_view SimdLevelName(SimdLevel level);
// Parses "scalar", "avx2" or "avx512"; nullopt otherwise.
std::optional<SimdLevel> ParseSimdLevel(absl::string_view name);

// The highest level this CPU (and OS) supports.
SimdLevel DetectedSimdLevel();
// The level the dispatching kernels use: DetectedSimdLevel(), lowered by HRNN_SIMD if set.
// Decided once per process.
SimdLevel ActiveSimdLevel();
// Every level from kScalar up to DetectedSimdLevel(), for tests and benchmarks.
std::vector<SimdLevel> SupportedSimdLevels();

}  // namespace hrnn

#endif  // HRNN_CORE_KERNELS_SIMD_LEVEL_H_
