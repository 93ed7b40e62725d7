#include "core/train/negative_sampler.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace hrnn {
namespace {

using ::hrnn::testing::StatusIs;

// Pearson's chi-square of the observed counts against probabilities `expected` (over the items
// with expected > 0); also fails the test if an item with expected == 0 was drawn.
double ChiSquare(const std::vector<int64_t>& counts, const std::vector<double>& expected,
                 int64_t draws) {
  double chi2 = 0.0;
  for (size_t i = 0; i < counts.size(); ++i) {
    if (expected[i] == 0.0) {
      EXPECT_EQ(counts[i], 0) << "item " << i << " has probability 0";
      continue;
    }
    const double e = expected[i] * static_cast<double>(draws);
    chi2 += (counts[i] - e) * (counts[i] - e) / e;
  }
  return chi2;
}

std::vector<int64_t> Histogram(NegativeSampler& sampler, int64_t draws) {
  std::vector<int32_t> out(static_cast<size_t>(draws));
  sampler.Sample(absl::MakeSpan(out));
  std::vector<int64_t> counts(static_cast<size_t>(sampler.num_items()));
  for (int32_t item : out) {
    EXPECT_GE(item, 0);
    EXPECT_LT(item, sampler.num_items());
    ++counts[item];
  }
  return counts;
}

TEST(NegativeSamplerTest, FrequenciesFollowPopularityToTheAlpha) {
  const std::vector<int64_t> pop = {0, 1, 2, 5, 10, 100, 3, 0, 7, 50};
  const float alpha = 0.75f;
  ASSERT_OK_AND_ASSIGN(NegativeSampler sampler, NegativeSampler::Create(pop, alpha, 42));
  std::vector<double> p(pop.size());
  double total = 0.0;
  for (size_t i = 0; i < pop.size(); ++i) total += p[i] = std::pow(double(pop[i]), alpha);
  for (double& x : p) x /= total;
  constexpr int64_t kDraws = 400000;
  // 8 nonzero items: 7 degrees of freedom; P(chi2 > 29.9) = 1e-4.
  EXPECT_LT(ChiSquare(Histogram(sampler, kDraws), p, kDraws), 29.9);
}

TEST(NegativeSamplerTest, SkewedManyItems) {
  std::vector<int64_t> pop(1000);
  for (size_t i = 0; i < pop.size(); ++i) pop[i] = (i % 7 == 3) ? 0 : 100000 / (i + 1);
  ASSERT_OK_AND_ASSIGN(NegativeSampler sampler, NegativeSampler::Create(pop, 1.0f, 7));
  std::vector<double> p(pop.size());
  double total = 0.0;
  int64_t nonzero = 0;
  for (size_t i = 0; i < pop.size(); ++i) {
    total += p[i] = double(pop[i]);
    nonzero += pop[i] > 0;
  }
  for (double& x : p) x /= total;
  constexpr int64_t kDraws = 2000000;
  const double df = static_cast<double>(nonzero - 1);
  // Normal approximation: mean df, sd sqrt(2 df); allow 5 sd.
  EXPECT_LT(ChiSquare(Histogram(sampler, kDraws), p, kDraws), df + 5 * std::sqrt(2 * df));
}

TEST(NegativeSamplerTest, AlphaZeroIsUniformEvenOverUnseenItems) {
  const std::vector<int64_t> pop = {0, 5, 1000, 1};
  ASSERT_OK_AND_ASSIGN(NegativeSampler sampler, NegativeSampler::Create(pop, 0.0f, 3));
  constexpr int64_t kDraws = 200000;
  // 3 degrees of freedom; P(chi2 > 21.1) = 1e-4.
  EXPECT_LT(ChiSquare(Histogram(sampler, kDraws), std::vector<double>(4, 0.25), kDraws), 21.1);
  for (int32_t i = 0; i < 4; ++i) EXPECT_NEAR(sampler.LogProbability(i), std::log(0.25), 1e-6);
}

TEST(NegativeSamplerTest, SingleDrawableItem) {
  const std::vector<int64_t> pop = {0, 0, 9, 0};
  ASSERT_OK_AND_ASSIGN(NegativeSampler sampler, NegativeSampler::Create(pop, 0.5f, 1));
  std::vector<int32_t> out(1000);
  sampler.Sample(absl::MakeSpan(out));
  EXPECT_THAT(out, ::testing::Each(2));
  EXPECT_EQ(sampler.LogProbability(2), 0.0f);
  EXPECT_EQ(sampler.LogProbability(0), -std::numeric_limits<float>::infinity());
}

TEST(NegativeSamplerTest, DeterministicForASeed) {
  const std::vector<int64_t> pop = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5};
  ASSERT_OK_AND_ASSIGN(NegativeSampler a, NegativeSampler::Create(pop, 0.5f, 2024));
  ASSERT_OK_AND_ASSIGN(NegativeSampler b, NegativeSampler::Create(pop, 0.5f, 2024));
  ASSERT_OK_AND_ASSIGN(NegativeSampler c, NegativeSampler::Create(pop, 0.5f, 2025));
  std::vector<int32_t> xa(500), xb(500), xc(500);
  a.Sample(absl::MakeSpan(xa));
  // Drawing in pieces continues the same stream.
  b.Sample(absl::MakeSpan(xb).subspan(0, 123));
  b.Sample(absl::MakeSpan(xb).subspan(123));
  c.Sample(absl::MakeSpan(xc));
  EXPECT_EQ(xa, xb);
  EXPECT_NE(xa, xc);
  // Pinned: mt19937_64 is fully specified and the draw uses only its raw bits, so these must
  // not change across compilers or standard libraries.
  EXPECT_EQ(std::vector<int32_t>(xa.begin(), xa.begin() + 8),
            (std::vector<int32_t>{10, 8, 2, 7, 0, 5, 10, 10}));
}

TEST(NegativeSamplerTest, LogProbabilitiesSumToOne) {
  const std::vector<int64_t> pop = {0, 17, 2, 400, 1, 0, 33};
  for (float alpha : {0.0f, 0.5f, 1.0f, 2.0f}) {
    ASSERT_OK_AND_ASSIGN(NegativeSampler sampler, NegativeSampler::Create(pop, alpha, 5));
    EXPECT_EQ(sampler.num_items(), 7);
    double sum = 0.0;
    for (int32_t i = 0; i < sampler.num_items(); ++i) sum += std::exp(sampler.LogProbability(i));
    EXPECT_NEAR(sum, 1.0, 1e-5) << "alpha=" << alpha;
    if (alpha > 0) {
      EXPECT_EQ(sampler.LogProbability(5), -std::numeric_limits<float>::infinity());
    }
  }
}

TEST(NegativeSamplerTest, RejectsBadInput) {
  const std::vector<int64_t> empty;
  EXPECT_THAT(NegativeSampler::Create(empty, 0.5f, 1),
              StatusIs(absl::StatusCode::kInvalidArgument, "popularity"));
  const std::vector<int64_t> negative = {1, 2, -3};
  EXPECT_THAT(NegativeSampler::Create(negative, 0.5f, 1),
              StatusIs(absl::StatusCode::kInvalidArgument, "popularity[2]"));
  const std::vector<int64_t> pop = {1, 2, 3};
  EXPECT_THAT(NegativeSampler::Create(pop, -0.5f, 1),
              StatusIs(absl::StatusCode::kInvalidArgument, "alpha"));
  EXPECT_THAT(NegativeSampler::Create(pop, std::numeric_limits<float>::quiet_NaN(), 1),
              StatusIs(absl::StatusCode::kInvalidArgument, "alpha"));
  const std::vector<int64_t> zeros = {0, 0, 0};
  EXPECT_THAT(NegativeSampler::Create(zeros, 0.75f, 1),
              StatusIs(absl::StatusCode::kInvalidArgument, "all sampling weights are 0"));
  EXPECT_OK(NegativeSampler::Create(zeros, 0.0f, 1));  // 0^0 = 1: uniform.
}

}  // namespace
}  // namespace hrnn
