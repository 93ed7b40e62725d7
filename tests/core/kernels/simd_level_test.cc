#include "core/kernels/simd_level.h"

#include <string>

#include "core/kernels/internal/simd_kernels.h"
#include "gtest/gtest.h"

namespace hrnn {
namespace {

TEST(SimdLevelTest, NamesRoundTrip) {
  for (SimdLevel level : {SimdLevel::kScalar, SimdLevel::kAvx2, SimdLevel::kAvx512}) {
    SCOPED_TRACE(SimdLevelName(level));
    EXPECT_EQ(ParseSimdLevel(SimdLevelName(level)), level);
  }
  EXPECT_EQ(SimdLevelName(SimdLevel::kScalar), "scalar");
  EXPECT_EQ(SimdLevelName(SimdLevel::kAvx2), "avx2");
  EXPECT_EQ(SimdLevelName(SimdLevel::kAvx512), "avx512");
  EXPECT_EQ(ParseSimdLevel("AVX2"), std::nullopt);
  EXPECT_EQ(ParseSimdLevel(""), std::nullopt);
  EXPECT_EQ(ParseSimdLevel("sse4"), std::nullopt);
}

TEST(SimdLevelTest, DetectionMatchesCpuFeatures) {
  __builtin_cpu_init();
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                    __builtin_cpu_supports("f16c");
  const bool avx512 = avx2 && __builtin_cpu_supports("avx512f") &&
                      __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
                      __builtin_cpu_supports("avx512dq");
  const SimdLevel expected =
      avx512 ? SimdLevel::kAvx512 : (avx2 ? SimdLevel::kAvx2 : SimdLevel::kScalar);
  EXPECT_EQ(DetectedSimdLevel(), expected);
}

TEST(SimdLevelTest, SupportedLevelsAreScalarUpToDetected) {
  const std::vector<SimdLevel> levels = SupportedSimdLevels();
  ASSERT_FALSE(levels.empty());
  EXPECT_EQ(levels.front(), SimdLevel::kScalar);
  EXPECT_EQ(levels.back(), DetectedSimdLevel());
  EXPECT_EQ(levels.size(), static_cast<size_t>(DetectedSimdLevel()) + 1);
}

TEST(SimdLevelTest, ActiveLevelIsStableAndSupported) {
  const SimdLevel active = ActiveSimdLevel();
  EXPECT_LE(static_cast<int>(active), static_cast<int>(DetectedSimdLevel()));
  EXPECT_EQ(ActiveSimdLevel(), active);
}

TEST(SimdLevelTest, EnvironmentOverride) {
  std::string warning;
  EXPECT_EQ(internal::ResolveSimdLevel(nullptr, SimdLevel::kAvx512, &warning), SimdLevel::kAvx512);
  EXPECT_TRUE(warning.empty());
  EXPECT_EQ(internal::ResolveSimdLevel("", SimdLevel::kAvx2, &warning), SimdLevel::kAvx2);
  EXPECT_TRUE(warning.empty());
  // Lowering is honoured silently.
  EXPECT_EQ(internal::ResolveSimdLevel("scalar", SimdLevel::kAvx512, &warning), SimdLevel::kScalar);
  EXPECT_TRUE(warning.empty());
  EXPECT_EQ(internal::ResolveSimdLevel("avx2", SimdLevel::kAvx512, &warning), SimdLevel::kAvx2);
  EXPECT_TRUE(warning.empty());
  EXPECT_EQ(internal::ResolveSimdLevel("avx512", SimdLevel::kAvx512, &warning), SimdLevel::kAvx512);
  EXPECT_TRUE(warning.empty());
  // Asking for more than the CPU has is clamped, with a warning.
  EXPECT_EQ(internal::ResolveSimdLevel("avx512", SimdLevel::kAvx2, &warning), SimdLevel::kAvx2);
  EXPECT_NE(warning.find("avx512"), std::string::npos) << warning;
  EXPECT_EQ(internal::ResolveSimdLevel("avx2", SimdLevel::kScalar, &warning), SimdLevel::kScalar);
  EXPECT_FALSE(warning.empty());
  // Unknown names fall back to the detected level, with a warning naming the value.
  EXPECT_EQ(internal::ResolveSimdLevel("sse9", SimdLevel::kAvx2, &warning), SimdLevel::kAvx2);
  EXPECT_NE(warning.find("sse9"), std::string::npos) << warning;
}

}  // namespace
}  // namespace hrnn
