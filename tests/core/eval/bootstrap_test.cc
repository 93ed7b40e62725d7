#include "core/eval/bootstrap.h"

#include <vector>

#include "gtest/gtest.h"
#include "tests/testing/dataset_builder.h"

namespace hrnn {
namespace {

TEST(BootstrapTest, GroupOffsetsFollowTestUsersAndCap) {
  const Dataset test =
      testing::MakeDataset(5, {{"a", {{0, 1, 2}, {3}}}, {"b", {{1, 2}}}, {"c", {{4, 0, 1, 2}}}});
  EXPECT_EQ(PredictionGroupOffsets(test, 100), (std::vector<int64_t>{0, 2, 3, 6}));
  EXPECT_EQ(PredictionGroupOffsets(test, 4), (std::vector<int64_t>{0, 2, 3, 4}));
}

TEST(BootstrapTest, OneGroupGivesItsOwnValue) {
  // A single group: every resample is that group, so the interval is the point value.
  const ConfidenceInterval ci =
      BootstrapInterval({1, 30, 2, 4}, {0, 4}, RankMetric::kRecall, 20, BootstrapOptions());
  EXPECT_DOUBLE_EQ(ci.low, 0.75);
  EXPECT_DOUBLE_EQ(ci.high, 0.75);
  const ConfidenceInterval mrr =
      BootstrapInterval({1, 30, 2, 4}, {0, 4}, RankMetric::kMrr, 20, BootstrapOptions());
  EXPECT_DOUBLE_EQ(mrr.low, (1 + 0.5 + 0.25) / 4);
}

TEST(BootstrapTest, DeterministicBracketsThePointEstimateAndDependsOnSeed) {
  std::vector<int64_t> ranks;
  std::vector<int64_t> offsets = {0};
  for (int g = 0; g < 200; ++g) {
    for (int p = 0; p < 1 + g % 3; ++p) ranks.push_back(1 + (g * 7 + p * 13) % 40);
    offsets.push_back(static_cast<int64_t>(ranks.size()));
  }
  double hits = 0;
  for (int64_t r : ranks) hits += r <= 20;
  const double point = hits / static_cast<double>(ranks.size());
  BootstrapOptions options;
  const ConfidenceInterval a = BootstrapInterval(ranks, offsets, RankMetric::kRecall, 20, options);
  const ConfidenceInterval b = BootstrapInterval(ranks, offsets, RankMetric::kRecall, 20, options);
  EXPECT_EQ(a.low, b.low);
  EXPECT_EQ(a.high, b.high);
  EXPECT_LT(a.low, point);
  EXPECT_GT(a.high, point);
  EXPECT_LT(a.high - a.low, 0.2);
  options.seed = 43;
  const ConfidenceInterval c = BootstrapInterval(ranks, offsets, RankMetric::kRecall, 20, options);
  EXPECT_TRUE(c.low != a.low || c.high != a.high);
  const ConfidenceInterval empty = BootstrapInterval({}, {0}, RankMetric::kNdcg, 20, options);
  EXPECT_EQ(empty.low, 0);
  EXPECT_EQ(empty.high, 0);
}

TEST(BootstrapTest, ValidatesOptions) {
  BootstrapOptions options;
  EXPECT_TRUE(options.Validate().ok());
  options.resamples = 0;
  EXPECT_FALSE(options.Validate().ok());
  options.resamples = 10;
  options.confidence = 1.0;
  EXPECT_FALSE(options.Validate().ok());
}

}  // namespace
}  // namespace hrnn
