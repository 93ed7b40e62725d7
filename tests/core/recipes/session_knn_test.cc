#include "core/recipes/session_knn.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace hrnn {
namespace {

constexpr int32_t kItems = 8;

// Five past sessions over items 0..7 (distinct items in braces):
//   A = [0 1 2]    at t=10  {0 1 2}
//   B = [1 3]      at t=20  {1 3}
//   C = [0 3 4 3]  at t=30  {0 3 4}
//   D = [5 6]      at t=40  {5 6}
//   E = [2 5 1]    at t=50  {1 2 5}
class SessionKnnTest : public ::testing::Test {
 protected:
  std::unique_ptr<const SessionKnnIndex> Build(const SessionKnnOptions& options) {
    std::vector<IndexedSession> sessions;
    for (size_t s = 0; s < items_.size(); ++s) sessions.push_back({items_[s], times_[s]});
    absl::StatusOr<std::unique_ptr<const SessionKnnIndex>> index =
        SessionKnnIndex::Build(kItems, sessions, options);
    EXPECT_TRUE(index.ok()) << index.status();
    return index.ok() ? *std::move(index) : nullptr;
  }

  // Scores of `prefix` over all items (0 where untouched).
  std::vector<float> Scores(const SessionKnnIndex& index, const std::vector<int32_t>& prefix) {
    SparseScores sparse(kItems);
    EXPECT_OK(index.Score(prefix, &scratch_, &sparse));
    std::vector<float> dense(kItems, 0.0f);
    sparse.AddTo(absl::MakeSpan(dense), 1.0f);
    return dense;
  }

  static void ExpectScores(const std::vector<float>& actual, const std::vector<float>& expected) {
    ASSERT_EQ(actual.size(), expected.size());
    for (size_t i = 0; i < actual.size(); ++i) {
      EXPECT_FLOAT_EQ(actual[i], expected[i]) << "item " << i;
    }
  }

  std::vector<std::vector<int32_t>> items_ = {{0, 1, 2}, {1, 3}, {0, 3, 4, 3}, {5, 6}, {2, 5, 1}};
  std::vector<int64_t> times_ = {10, 20, 30, 40, 50};
  SessionKnnScratch scratch_;
};

// Prefix [3 0 1], L = 3: w(3) = 1/3, w(0) = 2/3, w(1) = 3/3 = 1; 3 distinct items.
// Candidates (hold 0, 1 or 3): A, B, C, E (not D).
// vec: sim = sum of w over the shared items / 3:
//   A {0 1 2}: (2/3 + 1) / 3 = 5/9     B {1 3}: (1 + 1/3) / 3 = 4/9
//   C {0 3 4}: (2/3 + 1/3) / 3 = 3/9   E {1 2 5}: 1 / 3 = 3/9
// score(i) = sum of sims of the neighbours holding i:
//   0: A + C = 8/9    1: A + B + E = 12/9    2: A + E = 8/9    3: B + C = 7/9
//   4: C = 3/9        5: E = 3/9             6, 7: 0 (D is not a candidate)
TEST_F(SessionKnnTest, VecSimilarityOnFiveSessions) {
  const std::unique_ptr<const SessionKnnIndex> index = Build(SessionKnnOptions{});
  ASSERT_NE(index, nullptr);
  EXPECT_EQ(index->num_sessions(), 5);
  ExpectScores(Scores(*index, {3, 0, 1}),
               {8.0f / 9, 12.0f / 9, 8.0f / 9, 7.0f / 9, 3.0f / 9, 3.0f / 9, 0, 0});
}

// k = 3: A (5/9), B (4/9), and of the tie C = E = 3/9 the more recent E (t=50 > 30).
//   0: A = 5/9   1: A + B + E = 12/9   2: A + E = 8/9   3: B = 4/9   4: 0   5: E = 3/9
TEST_F(SessionKnnTest, KKeepsTheMostSimilarTiesByRecency) {
  SessionKnnOptions options;
  options.k = 3;
  const std::unique_ptr<const SessionKnnIndex> index = Build(options);
  ASSERT_NE(index, nullptr);
  ExpectScores(Scores(*index, {3, 0, 1}),
               {5.0f / 9, 12.0f / 9, 8.0f / 9, 4.0f / 9, 0, 3.0f / 9, 0, 0});
}

// sample_size = 2: the two most recent sessions holding a prefix item are E (t=50) and C (t=30);
// D (t=40) holds none. Both score 3/9, so every item of C and E scores 3/9 (1 only from E, 0
// only from C); A and B are not candidates, so 0 gets nothing from A.
TEST_F(SessionKnnTest, SampleTakesTheMostRecentCandidates) {
  SessionKnnOptions options;
  options.sample_size = 2;
  const std::unique_ptr<const SessionKnnIndex> index = Build(options);
  ASSERT_NE(index, nullptr);
  const float third = 1.0f / 3;
  ExpectScores(Scores(*index, {3, 0, 1}), {third, third, third, third, third, third, 0, 0});
}

// Cosine: ||w|| = sqrt(1/9 + 4/9 + 1) = sqrt(14)/3; sim = dot / (||w|| sqrt(|n|)):
//   A: (5/3) / (sqrt(14)/3 * sqrt(3)) = 5/sqrt(42)   B: (4/3) / (sqrt(14)/3 * sqrt(2)) = 4/sqrt(28)
//   C: 1 / (sqrt(14)/3 * sqrt(3)) = 3/sqrt(42)        E: 3/sqrt(42)
TEST_F(SessionKnnTest, CosineSimilarityDiscountsLongNeighbours) {
  SessionKnnOptions options;
  options.similarity = SessionSimilarity::kCosine;
  const std::unique_ptr<const SessionKnnIndex> index = Build(options);
  ASSERT_NE(index, nullptr);
  const float a = 5 / std::sqrt(42.0f), b = 4 / std::sqrt(28.0f), c = 3 / std::sqrt(42.0f),
              e = 3 / std::sqrt(42.0f);
  ExpectScores(Scores(*index, {3, 0, 1}), {a + c, a + b + e, a + e, b + c, c, e, 0, 0});
}

// A repeated click keeps its latest weight: [1 0 1], L = 3: w(1) = 3/3, w(0) = 2/3; 2 distinct.
//   A {0 1 2}: (2/3 + 1) / 2 = 5/6   B {1 3}: 1/2   C {0 3 4}: (2/3) / 2 = 1/3   E {1 2 5}: 1/2
// And the order of the clicks matters: [0 1] vs [1 0] swap the weights 1/2 and 1.
TEST_F(SessionKnnTest, RepeatsKeepTheLatestWeightAndOrderMatters) {
  const std::unique_ptr<const SessionKnnIndex> index = Build(SessionKnnOptions{});
  ASSERT_NE(index, nullptr);
  ExpectScores(Scores(*index, {1, 0, 1}), {5.0f / 6 + 1.0f / 3, 5.0f / 6 + 0.5f + 0.5f,
                                           5.0f / 6 + 0.5f, 0.5f + 1.0f / 3, 1.0f / 3, 0.5f, 0, 0});
  // [4 3]: w(4) = 1/2, w(3) = 1: B {1 3}: 1/2, C {0 3 4}: 3/4. [3 4]: B: 1/4, C: 3/4.
  EXPECT_FLOAT_EQ(Scores(*index, {4, 3})[1], 0.5f);
  EXPECT_FLOAT_EQ(Scores(*index, {3, 4})[1], 0.25f);
  EXPECT_FLOAT_EQ(Scores(*index, {3, 4})[4], 0.75f);
}

TEST_F(SessionKnnTest, NothingSharedOrEmptyPrefixAddsNothing) {
  const std::unique_ptr<const SessionKnnIndex> index = Build(SessionKnnOptions{});
  ASSERT_NE(index, nullptr);
  SparseScores sparse(kItems);
  EXPECT_OK(index->Score({}, &scratch_, &sparse));
  EXPECT_TRUE(sparse.empty());
  EXPECT_OK(index->Score(std::vector<int32_t>{7}, &scratch_, &sparse));  // 7 is in no session.
  EXPECT_TRUE(sparse.empty());
}

TEST_F(SessionKnnTest, ErrorsNameTheField) {
  SessionKnnOptions options;
  options.k = 0;
  EXPECT_THAT(SessionKnnIndex::Build(kItems, {}, options).status(),
              testing::StatusIs(absl::StatusCode::kInvalidArgument, "k must"));
  options = SessionKnnOptions{};
  options.sample_size = 0;
  EXPECT_THAT(SessionKnnIndex::Build(kItems, {}, options).status(),
              testing::StatusIs(absl::StatusCode::kInvalidArgument, "sample_size"));
  const std::vector<int32_t> bad = {1, 8};
  const std::vector<IndexedSession> sessions = {{bad, 0}};
  EXPECT_THAT(SessionKnnIndex::Build(kItems, sessions, SessionKnnOptions{}).status(),
              testing::StatusIs(absl::StatusCode::kInvalidArgument, "sessions[0].items[1] = 8"));
  const std::unique_ptr<const SessionKnnIndex> index = Build(SessionKnnOptions{});
  ASSERT_NE(index, nullptr);
  SparseScores sparse(kItems);
  EXPECT_THAT(index->Score(std::vector<int32_t>{0, -1}, &scratch_, &sparse),
              testing::StatusIs(absl::StatusCode::kInvalidArgument, "prefix[1] = -1"));
  EXPECT_TRUE(sparse.empty());
}

// The postings shortcut equals a scan of every session: random sessions, equal times included.
TEST(SessionKnnReferenceTest, EqualsBruteForceScan) {
  constexpr int32_t kNum = 40;
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> length(0, 6), item(0, kNum - 1), time(0, 30);
  std::vector<std::vector<int32_t>> items(300);
  std::vector<IndexedSession> sessions;
  std::vector<int64_t> times;
  for (auto& s : items) {
    for (int n = length(rng); n > 0; --n) s.push_back(std::min(item(rng), item(rng)));
    times.push_back(time(rng));
  }
  for (size_t s = 0; s < items.size(); ++s) sessions.push_back({items[s], times[s]});
  for (SessionSimilarity similarity : {SessionSimilarity::kVec, SessionSimilarity::kCosine}) {
    SessionKnnOptions options;
    options.sample_size = 25;
    options.k = 7;
    options.similarity = similarity;
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<const SessionKnnIndex> index,
                         SessionKnnIndex::Build(kNum, sessions, options));
    SessionKnnScratch scratch;
    for (int trial = 0; trial < 50; ++trial) {
      std::vector<int32_t> prefix;
      for (int n = 1 + length(rng); n > 0; --n) prefix.push_back(item(rng));
      // Reference: scan all sessions, most recent first (time desc, later index first).
      std::vector<double> w(kNum, 0.0);
      for (size_t p = 0; p < prefix.size(); ++p) w[prefix[p]] = (p + 1.0) / prefix.size();
      double norm = 0, distinct = 0;
      for (double x : w) {
        norm += x * x;
        distinct += x > 0 ? 1 : 0;
      }
      std::vector<int> order(items.size());
      for (size_t s = 0; s < order.size(); ++s) order[s] = static_cast<int>(s);
      std::sort(order.begin(), order.end(),
                [&](int a, int b) { return times[a] != times[b] ? times[a] > times[b] : a > b; });
      std::vector<std::pair<double, int>> neighbors;  // (-sim, recency), to sort ascending.
      for (size_t r = 0; r < order.size() && neighbors.size() < 25; ++r) {
        std::vector<int32_t> set = items[order[r]];
        std::sort(set.begin(), set.end());
        set.erase(std::unique(set.begin(), set.end()), set.end());
        double dot = 0;
        for (int32_t i : set) dot += w[i];
        if (dot == 0) continue;
        const double sim =
            similarity == SessionSimilarity::kVec
                ? dot / distinct
                : dot / (std::sqrt(norm) * std::sqrt(static_cast<double>(set.size())));
        neighbors.push_back({-sim, static_cast<int>(r)});
      }
      std::sort(neighbors.begin(), neighbors.end());
      if (neighbors.size() > 7) neighbors.resize(7);
      std::vector<double> expected(kNum, 0.0);
      for (const auto& [negative_sim, r] : neighbors) {
        std::vector<int32_t> set = items[order[r]];
        std::sort(set.begin(), set.end());
        set.erase(std::unique(set.begin(), set.end()), set.end());
        for (int32_t i : set) expected[i] += -negative_sim;
      }
      SparseScores sparse(kNum);
      ASSERT_OK(index->Score(prefix, &scratch, &sparse));
      for (int32_t i = 0; i < kNum; ++i) {
        EXPECT_NEAR(sparse.Get(i), expected[i], 1e-5) << "trial " << trial << " item " << i;
      }
    }
  }
}

}  // namespace
}  // namespace hrnn
