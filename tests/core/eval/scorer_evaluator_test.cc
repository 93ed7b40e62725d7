#include "core/eval/scorer_evaluator.h"

#include <memory>
#include <vector>

#include "core/eval/list_metrics.h"
#include "gtest/gtest.h"
#include "tests/testing/dataset_builder.h"

namespace hrnn {
namespace {

using ::hrnn::testing::MakeDataset;

// Train clicks: item 0 x3, 1 x2, 2 x1, 3 x1, 4 x0, so Pop scores [3, 2, 1, 1, 0] with 2 and 3
// tied. Test: a [2 3 2 1] (a repeat of 2), b [0 1].
class ScorerEvaluatorTest : public ::testing::Test {
 protected:
  Dataset train_ = MakeDataset(5, {{"a", {{0, 1, 2}, {0, 1}}}, {"b", {{3, 0}}}});
  Dataset test_ = MakeDataset(5, {{"a", {{2, 3, 2, 1}}}, {"b", {{0, 1}}}});
  std::unique_ptr<BaselineModel> pop_ = NewPopModel(train_);
};

TEST_F(ScorerEvaluatorTest, HandComputedRanksWithTiesAndRepeats) {
  NextItemEvalOptions options;
  options.cutoffs = {1, 2};
  options.list_size = 2;
  const NextItemMetrics m = EvaluateScorer(*pop_, train_, test_, options);
  // Target 3 (score 1): 0 and 1 higher, 2 tied -> 4. Target 2: same -> 4. Target 1: 2, twice.
  EXPECT_EQ(m.ranks, (std::vector<int64_t>{4, 4, 2, 2}));
  EXPECT_DOUBLE_EQ(m.recall.at(2), 0.5);
  EXPECT_DOUBLE_EQ(m.mrr.at(2), 0.25);
  EXPECT_DOUBLE_EQ(m.recall.at(1), 0.0);
  // Every top-2 list is {0, 1}.
  EXPECT_EQ(m.recommended, (std::vector<int64_t>{4, 4, 0, 0, 0}));
  EXPECT_DOUBLE_EQ(CatalogueCoverage(m.recommended), 0.4);
  // Percentiles of counts [3 2 1 1 0]: 100, 75, 37.5, 37.5, 0.
  EXPECT_DOUBLE_EQ(MeanPopularityPercentile(m.recommended, train_.item_counts), 87.5);
}

TEST_F(ScorerEvaluatorTest, ExcludeSeenMasksPrefixButKeepsARepeatedTarget) {
  NextItemEvalOptions options;
  options.cutoffs = {1, 2};
  options.list_size = 2;
  options.exclude_seen_items = true;
  const NextItemMetrics m = EvaluateScorer(*pop_, train_, test_, options);
  // Target 3 after [2]: 2 masked -> 3. Target 2 (repeat) after [2 3]: 3 masked, 2 keeps its
  // score -> 3. Target 1 after [2 3 2]: 2. Target 1 after [0]: 0 masked -> 1.
  EXPECT_EQ(m.ranks, (std::vector<int64_t>{3, 3, 2, 1}));
  // Lists leave seen items out: a's are {0, 1} three times; b's after [0] is {1, 2}.
  EXPECT_EQ(m.recommended, (std::vector<int64_t>{3, 4, 1, 0, 0}));
  EXPECT_DOUBLE_EQ(CatalogueCoverage(m.recommended), 0.6);
}

TEST_F(ScorerEvaluatorTest, ReportsProgressAndHonoursMaxPredictions) {
  NextItemEvalOptions options;
  options.max_predictions = 3;
  options.threads = 2;
  int64_t last_done = -1, last_total = -1;
  options.progress = [&](int64_t done, int64_t total) {
    last_done = done;
    last_total = total;
  };
  const NextItemMetrics m = EvaluateScorer(*pop_, train_, test_, options);
  EXPECT_EQ(m.predictions, 3);
  EXPECT_EQ(last_done, 3);
  EXPECT_EQ(last_total, 3);
  EXPECT_TRUE(m.recommended.empty());
}

}  // namespace
}  // namespace hrnn
