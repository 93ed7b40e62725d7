#include "core/kernels/top_k.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace hrnn {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
const float kNan = std::numeric_limits<float>::quiet_NaN();

std::vector<float> ScoresFromSmallSet(int n, std::mt19937& rng, bool with_specials) {
  std::vector<float> choices = {-2.0f, -0.5f, 0.0f, 0.25f, 1.0f, 3.0f};
  if (with_specials) {
    choices.push_back(kNan);
    choices.push_back(kInf);
    choices.push_back(-kInf);
  }
  std::uniform_int_distribution<size_t> pick(0, choices.size() - 1);
  std::vector<float> scores(static_cast<size_t>(n));
  for (float& s : scores) s = choices[pick(rng)];
  return scores;
}

std::vector<int> KValues(int n) { return {0, 1, 25, n - 1, n, n + 5}; }

TEST(TopKTest, SimpleOrderAndTies) {
  const std::vector<float> scores = {1.0f, 5.0f, 3.0f, 5.0f, 2.0f};
  const std::vector<ScoredItem> expected = {{1, 5.0f}, {3, 5.0f}, {2, 3.0f}};
  EXPECT_EQ(TopK(scores, 3), expected);
  EXPECT_EQ(TopKReference(scores, 3), expected);
}

TEST(TopKTest, EqualScoresPreferLowerIndex) {
  const std::vector<float> scores(100, 1.0f);
  const std::vector<ScoredItem> got = TopK(scores, 3);
  const std::vector<ScoredItem> expected = {{0, 1.0f}, {1, 1.0f}, {2, 1.0f}};
  EXPECT_EQ(got, expected);
}

TEST(TopKTest, EdgeCases) {
  EXPECT_TRUE(TopK({}, 5).empty());
  EXPECT_TRUE(TopKReference({}, 5).empty());
  const std::vector<float> scores = {1.0f, 2.0f};
  EXPECT_TRUE(TopK(scores, 0).empty());
  EXPECT_TRUE(TopK(scores, -3).empty());
  EXPECT_TRUE(TopKReference(scores, -3).empty());
  const std::vector<ScoredItem> both = {{1, 2.0f}, {0, 1.0f}};
  EXPECT_EQ(TopK(scores, 10), both);  // k > n returns everything that qualifies.
  const std::vector<float> nans(50, kNan);
  EXPECT_TRUE(TopK(nans, 5).empty());
  EXPECT_TRUE(TopKReference(nans, 5).empty());
}

TEST(TopKTest, InfinitiesAreOrdinaryAndNanIsNeverReturned) {
  const std::vector<float> scores = {kNan, -kInf, 0.0f, kInf, kNan, kInf, -kInf};
  const std::vector<ScoredItem> expected = {
      {3, kInf}, {5, kInf}, {2, 0.0f}, {1, -kInf}, {6, -kInf}};
  EXPECT_EQ(TopK(scores, 10), expected);
  EXPECT_EQ(TopKReference(scores, 10), expected);
}

TEST(TopKTest, AllExcluded) {
  const std::vector<float> scores = {1.0f, 2.0f, 3.0f};
  const std::vector<uint64_t> mask = {0b111};
  EXPECT_TRUE(TopK(scores, 2, ItemExclusions(&mask)).empty());
  ItemExclusions list;
  for (int i : {2, 0, 1, 1}) list.Add(i);
  EXPECT_TRUE(TopK(scores, 2, list).empty());
}

TEST(ItemExclusionsTest, MaskAndList) {
  std::vector<uint64_t> mask(2, 0);
  mask[0] |= uint64_t{1} << 3;
  mask[1] |= uint64_t{1} << 63;  // Item 127.
  ItemExclusions e(&mask);
  EXPECT_FALSE(e.empty());
  e.Add(500);
  e.Add(7);
  e.Add(500);
  e.Finalize();
  EXPECT_TRUE(e.Contains(3));
  EXPECT_TRUE(e.Contains(127));
  EXPECT_TRUE(e.Contains(7));
  EXPECT_TRUE(e.Contains(500));
  EXPECT_FALSE(e.Contains(4));
  EXPECT_FALSE(e.Contains(128));  // Beyond the mask.
  EXPECT_FALSE(e.Contains(1000));
  EXPECT_FALSE(e.Contains(-1));
  EXPECT_TRUE(ItemExclusions().empty());
  ItemExclusions unsorted;
  unsorted.Add(9);
  unsorted.Add(2);
  EXPECT_TRUE(unsorted.Contains(2));  // Works before Finalize() too.
  EXPECT_FALSE(unsorted.Contains(3));
}

TEST(ItemExclusionsTest, ForEachVisitsEveryExcludedIndexBelowTheLimit) {
  std::vector<uint64_t> mask(3, 0);
  mask[0] |= uint64_t{1} << 0;
  mask[1] |= uint64_t{1} << 63;  // Item 127.
  mask[2] |= uint64_t{1} << 5;   // Item 133: beyond a limit of 130.
  ItemExclusions e(&mask);
  e.Add(9);
  e.Add(127);  // Also in the mask: visited twice.
  e.Add(129);
  e.Add(400);  // Beyond the limit.
  e.Add(-3);
  e.Finalize();
  std::vector<int64_t> visited;
  e.ForEach(130, [&](int64_t i) { visited.push_back(i); });
  EXPECT_EQ(visited, (std::vector<int64_t>{0, 127, 9, 127, 129}));
  visited.clear();
  ItemExclusions().ForEach(100, [&](int64_t i) { visited.push_back(i); });
  EXPECT_TRUE(visited.empty());
}

// The main property: TopK == TopKReference on scores with many ties, specials and exclusions.
TEST(TopKTest, MatchesReferenceOnRandomScores) {
  std::mt19937 rng(11);
  for (int n : {1, 2, 5, 24, 25, 26, 63, 64, 65, 200, 1000, 5000}) {
    for (bool specials : {false, true}) {
      const std::vector<float> scores = ScoresFromSmallSet(n, rng, specials);
      for (int exclusion_kind = 0; exclusion_kind < 4; ++exclusion_kind) {
        // 0: none; 1: mask; 2: list; 3: both.
        std::vector<uint64_t> mask(static_cast<size_t>((n + 63) / 64), 0);
        std::bernoulli_distribution excluded(0.2);
        for (int i = 0; i < n; ++i) {
          if (excluded(rng)) mask[static_cast<size_t>(i / 64)] |= uint64_t{1} << (i % 64);
        }
        ItemExclusions exclusions(exclusion_kind & 1 ? &mask : nullptr);
        if (exclusion_kind & 2) {
          std::uniform_int_distribution<int> pick(-5, n + 5);  // Out-of-range ones are ignored.
          for (int j = 0; j < n / 4 + 1; ++j) exclusions.Add(pick(rng));
        }
        for (int k : KValues(n)) {
          SCOPED_TRACE(testing::Message() << "n=" << n << " specials=" << specials
                                          << " exclusions=" << exclusion_kind << " k=" << k);
          const std::vector<ScoredItem> got = TopK(scores, k, exclusions);
          const std::vector<ScoredItem> want = TopKReference(scores, k, exclusions);
          ASSERT_EQ(got, want);
          for (const ScoredItem& item : got) {
            ASSERT_FALSE(std::isnan(item.score));
            ASSERT_FALSE(exclusions.Contains(item.index));
          }
        }
      }
    }
  }
}

TEST(TopKTest, MatchesReferenceOnContinuousScores) {
  std::mt19937 rng(12);
  std::normal_distribution<float> dist;
  std::vector<float> scores(100000);
  for (float& s : scores) s = dist(rng);
  for (int k : {1, 25, 500}) {
    SCOPED_TRACE(k);
    EXPECT_EQ(TopK(scores, k), TopKReference(scores, k));
  }
  // Ascending scores: every item displaces the worst, the slowest case for the heap.
  for (size_t i = 0; i < scores.size(); ++i) scores[i] = static_cast<float>(i);
  EXPECT_EQ(TopK(scores, 25), TopKReference(scores, 25));
}

// The reference itself, checked against a hand-written oracle.
TEST(TopKTest, ReferenceBreaksTiesByIndex) {
  const std::vector<float> scores = {2.0f, kNan, 2.0f, 7.0f, 2.0f};
  ItemExclusions e;
  e.Add(2);
  const std::vector<ScoredItem> expected = {{3, 7.0f}, {0, 2.0f}, {4, 2.0f}};
  EXPECT_EQ(TopKReference(scores, 3, e), expected);
  EXPECT_EQ(TopK(scores, 3, e), expected);
}

}  // namespace
}  // namespace hrnn
