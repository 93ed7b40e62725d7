#include "core/eval/list_metrics.h"

#include <vector>

#include "gtest/gtest.h"

namespace hrnn {
namespace {

TEST(ListMetricsTest, CoverageIsTheShareOfItemsEverRecommended) {
  EXPECT_DOUBLE_EQ(CatalogueCoverage({3, 0, 1, 0}), 0.5);
  EXPECT_DOUBLE_EQ(CatalogueCoverage({0, 0}), 0.0);
  EXPECT_DOUBLE_EQ(CatalogueCoverage({}), 0.0);
  EXPECT_DOUBLE_EQ(CatalogueCoverage({1, 1, 1}), 1.0);
}

TEST(ListMetricsTest, PopularityPercentilesUseMidRanksForTies) {
  // Counts 10, 5, 5, 1, 20: sorted 1 | 5 5 | 10 | 20 over n - 1 = 4.
  const std::vector<double> p = PopularityPercentiles({10, 5, 5, 1, 20});
  ASSERT_EQ(p.size(), 5u);
  EXPECT_DOUBLE_EQ(p[3], 0.0);              // Least popular.
  EXPECT_DOUBLE_EQ(p[1], 100.0 * 1.5 / 4);  // 1 lower + half of 1 equal.
  EXPECT_DOUBLE_EQ(p[2], 100.0 * 1.5 / 4);
  EXPECT_DOUBLE_EQ(p[0], 75.0);   // 3 lower.
  EXPECT_DOUBLE_EQ(p[4], 100.0);  // Most popular.
  EXPECT_EQ(PopularityPercentiles({7, 7, 7}), (std::vector<double>{50, 50, 50}));
  EXPECT_EQ(PopularityPercentiles({4}), (std::vector<double>{50}));
}

TEST(ListMetricsTest, MeanPercentileWeightsBySlots) {
  // Percentiles of counts {1, 2, 3}: 0, 50, 100. Slots: item 2 three times, item 0 once.
  EXPECT_DOUBLE_EQ(MeanPopularityPercentile({1, 0, 3}, {1, 2, 3}), (0.0 + 3 * 100.0) / 4);
  EXPECT_DOUBLE_EQ(MeanPopularityPercentile({0, 0, 0}, {1, 2, 3}), 0.0);
}

}  // namespace
}  // namespace hrnn
