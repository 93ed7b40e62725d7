#include "core/kernels/simd_level.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/kernels/internal/simd_kernels.h"

namespace hrnn {
namespace {

#if defined(__x86_64__) || defined(__i386__)
// F16C (CPUID leaf 1, ECX bit 29), read directly: clang 14's __builtin_cpu_supports does not
// know "f16c".
bool CpuHasF16c() {
  unsigned int eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return false;
  return (ecx & (1u << 29)) != 0;
}
#endif

SimdLevel DetectOnce() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && CpuHasF16c();
  if (!avx2) return SimdLevel::kScalar;
  const bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
  return avx512 ? SimdLevel::kAvx512 : SimdLevel::kAvx2;
#else
  return SimdLevel::kScalar;
#endif
}

SimdLevel ResolveActive() {
  std::string warning;
  const SimdLevel level =
      internal::ResolveSimdLevel(std::getenv("HRNN_SIMD"), DetectedSimdLevel(), &warning);
  if (!warning.empty()) std::fprintf(stderr, "hrnn: warning: %s\n", warning.c_str());
  return level;
}

}  // namespace

namespace internal {

SimdLevel ResolveSimdLevel(const char* env_value, SimdLevel detected, std::string* warning) {
  warning->clear();
  if (env_value == nullptr || *env_value == '\0') return detected;
  const std::optional<SimdLevel> requested = ParseSimdLevel(env_value);
  if (!requested.has_value()) {
    *warning = absl::StrCat("HRNN_SIMD=", env_value, " is not one of scalar|avx2|avx512; using ",
                            SimdLevelName(detected));
    return detected;
  }
  if (static_cast<int>(*requested) > static_cast<int>(detected)) {
    *warning = absl::StrCat("HRNN_SIMD=", env_value, " is not supported by this CPU; using ",
                            SimdLevelName(detected));
    return detected;
  }
  return *requested;
}

}  // namespace internal

absl::string_view SimdLevelName(SimdLevel level) {
  switch (level) {
    case SimdLevel::kScalar:
      return "scalar";
    case SimdLevel::kAvx2:
      return "avx2";
    case SimdLevel::kAvx512:
      return "avx512";
  }
  return "unknown";
}

std::optional<SimdLevel> ParseSimdLevel(absl::string_view name) {
  if (name == "scalar") return SimdLevel::kScalar;
  if (name == "avx2") return SimdLevel::kAvx2;
  if (name == "avx512") return SimdLevel::kAvx512;
  return std::nullopt;
}

SimdLevel DetectedSimdLevel() {
  static const SimdLevel level = DetectOnce();
  return level;
}

SimdLevel ActiveSimdLevel() {
  static const SimdLevel level = ResolveActive();
  return level;
}

std::vector<SimdLevel> SupportedSimdLevels() {
  std::vector<SimdLevel> levels;
  for (int i = 0; i <= static_cast<int>(DetectedSimdLevel()); ++i) {
    levels.push_back(static_cast<SimdLevel>(i));
  }
  return levels;
}

}  // namespace hrnn
