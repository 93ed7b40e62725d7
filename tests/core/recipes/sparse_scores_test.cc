#include "core/recipes/sparse_scores.h"

#include <cmath>
#include <vector>

#include "gtest/gtest.h"

namespace hrnn {
namespace {

TEST(SparseScoresTest, AccumulatesInFirstTouchOrder) {
  SparseScores scores(5);
  EXPECT_EQ(scores.num_items(), 5);
  EXPECT_TRUE(scores.empty());
  scores.Add(3, 0.5f);
  scores.Add(1, 2.0f);
  scores.Add(3, 0.25f);
  scores.Add(4, 0.0f);  // Touched although its sum is 0.
  EXPECT_EQ(scores.Get(3), 0.75f);
  EXPECT_EQ(scores.Get(1), 2.0f);
  EXPECT_EQ(scores.Get(0), 0.0f);
  EXPECT_EQ(std::vector<int32_t>(scores.touched().begin(), scores.touched().end()),
            (std::vector<int32_t>{3, 1, 4}));
  EXPECT_EQ(scores.Max(), 2.0f);

  scores.Clear();
  EXPECT_TRUE(scores.empty());
  for (int32_t i = 0; i < 5; ++i) EXPECT_EQ(scores.Get(i), 0.0f) << "item " << i;
  scores.Add(0, 1.0f);  // Usable again after Clear().
  EXPECT_EQ(std::vector<int32_t>(scores.touched().begin(), scores.touched().end()),
            (std::vector<int32_t>{0}));
}

TEST(SparseScoresTest, AddToWritesOnlyTouchedItemsWithTheWeight) {
  SparseScores scores(4);
  scores.Add(2, 3.0f);
  scores.Add(0, 1.0f);
  std::vector<float> dense = {10, 20, 30, 40};
  scores.AddTo(absl::MakeSpan(dense), 0.5f);
  EXPECT_EQ(dense, (std::vector<float>{10.5f, 20, 31.5f, 40}));
  SparseScores empty(4);
  empty.AddTo(absl::MakeSpan(dense), 2.0f);
  EXPECT_EQ(dense, (std::vector<float>{10.5f, 20, 31.5f, 40}));
}

TEST(SparseScoresTest, NormalizeByMaxMakesTheBestItemScoreOne) {
  SparseScores scores(4);
  scores.Add(1, 4.0f);
  scores.Add(3, 1.0f);
  scores.NormalizeByMax();
  EXPECT_EQ(scores.Get(1), 1.0f);
  EXPECT_EQ(scores.Get(3), 0.25f);
  EXPECT_EQ(scores.Get(0), 0.0f);
}

TEST(SparseScoresTest, NormalizeByMaxEdgeCasesNeverMakeNaN) {
  SparseScores empty(3);
  EXPECT_EQ(empty.Max(), 0.0f);
  empty.NormalizeByMax();
  EXPECT_TRUE(empty.empty());

  SparseScores zeros(3);
  zeros.Add(0, 0.0f);
  zeros.Add(2, 0.0f);
  zeros.NormalizeByMax();  // Max 0: unchanged, no 0/0.
  EXPECT_EQ(zeros.Get(0), 0.0f);
  EXPECT_EQ(zeros.Get(2), 0.0f);
  EXPECT_FALSE(std::isnan(zeros.Get(0)));

  SparseScores negative(3);
  negative.Add(1, -2.0f);
  negative.NormalizeByMax();  // Max <= 0: unchanged (no sign flip).
  EXPECT_EQ(negative.Get(1), -2.0f);

  SparseScores none(0);  // An empty catalogue.
  none.NormalizeByMax();
  std::vector<float> dense;
  none.AddTo(absl::MakeSpan(dense), 1.0f);
  EXPECT_TRUE(none.empty());
}

TEST(SparseScoresTest, DenseNormalizeByMax) {
  std::vector<float> scores = {1, 4, 2};
  EXPECT_EQ(NormalizeByMax(absl::MakeSpan(scores)), 4.0f);
  EXPECT_EQ(scores, (std::vector<float>{0.25f, 1, 0.5f}));
  std::vector<float> empty;
  EXPECT_EQ(NormalizeByMax(absl::MakeSpan(empty)), 1.0f);
  std::vector<float> zeros = {0, 0};
  EXPECT_EQ(NormalizeByMax(absl::MakeSpan(zeros)), 1.0f);
  EXPECT_EQ(zeros, (std::vector<float>{0, 0}));
  std::vector<float> negative = {-1, -3};
  EXPECT_EQ(NormalizeByMax(absl::MakeSpan(negative)), 1.0f);
  EXPECT_EQ(negative, (std::vector<float>{-1, -3}));
  for (float s : zeros) EXPECT_FALSE(std::isnan(s));
}

}  // namespace
}  // namespace hrnn
