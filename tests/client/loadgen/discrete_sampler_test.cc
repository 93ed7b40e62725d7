#include "client/loadgen/discrete_sampler.h"

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace hrnn::client::loadgen {
namespace {

using ::hrnn::testing::StatusIs;

TEST(DiscreteSamplerTest, ZipfProbabilitiesFollowThePowerLaw) {
  ASSERT_OK_AND_ASSIGN(const DiscreteSampler zipf, DiscreteSampler::Zipf(1000, 1.0));
  EXPECT_EQ(zipf.size(), 1000);
  double harmonic = 0;
  for (int k = 1; k <= 1000; ++k) harmonic += 1.0 / k;
  for (const int64_t k : {0, 1, 9, 99, 999}) {
    EXPECT_NEAR(zipf.Probability(k), 1.0 / (k + 1) / harmonic, 1e-12) << k;
  }
}

TEST(DiscreteSamplerTest, ZipfSamplesMatchTheDistribution) {
  constexpr int64_t kN = 100;
  constexpr int kDraws = 400000;
  ASSERT_OK_AND_ASSIGN(const DiscreteSampler zipf, DiscreteSampler::Zipf(kN, 1.2));
  std::mt19937_64 gen(5);
  std::vector<int64_t> counts(kN, 0);
  for (int i = 0; i < kDraws; ++i) {
    const int64_t k = zipf.Sample(gen);
    ASSERT_GE(k, 0);
    ASSERT_LT(k, kN);
    ++counts[k];
  }
  // Each frequency within 5 standard deviations of its expectation (binomial).
  for (int64_t k = 0; k < kN; ++k) {
    const double p = zipf.Probability(k);
    const double sd = std::sqrt(kDraws * p * (1 - p));
    EXPECT_NEAR(static_cast<double>(counts[k]), kDraws * p, 5 * sd + 1) << "rank " << k;
  }
  EXPECT_GT(counts[0], counts[1]);
  EXPECT_GT(counts[1], counts[10]);
}

TEST(DiscreteSamplerTest, ExponentZeroIsUniform) {
  ASSERT_OK_AND_ASSIGN(const DiscreteSampler uniform, DiscreteSampler::Zipf(4, 0.0));
  for (int64_t k = 0; k < 4; ++k) EXPECT_NEAR(uniform.Probability(k), 0.25, 1e-12);
}

TEST(DiscreteSamplerTest, ZeroWeightsAreNeverDrawn) {
  ASSERT_OK_AND_ASSIGN(const DiscreteSampler sampler,
                       DiscreteSampler::FromWeights({0.0, 3.0, 0.0, 1.0, 0.0}));
  std::mt19937_64 gen(9);
  int threes = 0;
  for (int i = 0; i < 20000; ++i) {
    const int64_t k = sampler.Sample(gen);
    ASSERT_TRUE(k == 1 || k == 3) << k;
    threes += k == 3;
  }
  EXPECT_NEAR(threes / 20000.0, 0.25, 0.02);
  EXPECT_DOUBLE_EQ(sampler.Probability(0), 0.0);
  EXPECT_DOUBLE_EQ(sampler.Probability(1), 0.75);
}

TEST(DiscreteSamplerTest, RejectsBadInput) {
  EXPECT_THAT(DiscreteSampler::Zipf(0, 1.0).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, "n is 0"));
  EXPECT_THAT(DiscreteSampler::Zipf(10, -1.0).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, "exponent"));
  EXPECT_THAT(DiscreteSampler::FromWeights({}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, "no weights"));
  EXPECT_THAT(DiscreteSampler::FromWeights({1.0, -1.0}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, "weight 1"));
  EXPECT_THAT(DiscreteSampler::FromWeights({0.0, 0.0}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, "sum to 0"));
}

}  // namespace
}  // namespace hrnn::client::loadgen
