#include "core/eval/baselines.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/eval/next_item_evaluator.h"
#include "core/eval/scorer_evaluator.h"
#include "gtest/gtest.h"
#include "tests/testing/dataset_builder.h"
#include "tests/testing/status_matchers.h"

namespace hrnn {
namespace {

using ::hrnn::testing::MakeDataset;
using ::hrnn::testing::UserClicks;

std::vector<float> ScoresOf(const BaselineModel& model, const std::vector<int32_t>& prefix,
                            const Dataset* history = nullptr, const UserSpan* user = nullptr) {
  std::unique_ptr<NextItemScorer> scorer = model.NewScorer();
  const Dataset empty;
  scorer->BeginUser(history != nullptr ? *history : empty, user);
  std::vector<float> scores(model.num_items(), -1.0f);
  scorer->Score(prefix, absl::MakeSpan(scores));
  return scores;
}

// Items 0..5. Sessions (in time order): s0 [0 1 2], s1 [0 1], s2 [0 3], s3 [2 4 2].
// Clicks: 0:3 1:2 2:3 3:1 4:1 5:0. Session support: 0:3 1:2 2:2 3:1 4:1.
// Co-occurrence: (0,1):2 (0,2):1 (0,3):1 (1,2):1 (2,4):1.
Dataset SmallTrain() {
  return MakeDataset(6, {{"a", {{0, 1, 2}, {0, 1}}}, {"b", {{0, 3}, {2, 4, 2}}}});
}

TEST(BaselinePopTest, ScoresAreTrainingClickCounts) {
  const Dataset train = SmallTrain();
  const std::unique_ptr<BaselineModel> pop = NewPopModel(train);
  EXPECT_EQ(pop->name(), "pop");
  EXPECT_EQ(ScoresOf(*pop, {4}), (std::vector<float>{3, 2, 3, 1, 1, 0}));
  EXPECT_EQ(ScoresOf(*pop, {0, 5, 1}), (std::vector<float>{3, 2, 3, 1, 1, 0}));
}

TEST(BaselinePersonalPopTest, PrefersTheUsersOwnItemsWithPopAsTieBreak) {
  const Dataset train = SmallTrain();
  const std::unique_ptr<BaselineModel> ppop = NewPersonalPopModel(train);
  // Max Pop 3: tie-break Pop / 8. User b clicked 0, 3, 2, 4, 2.
  const std::vector<float> b = ScoresOf(*ppop, {5}, &train, &train.users[1]);
  const std::vector<float> expected_b = {1 + 3.0f / 8, 2.0f / 8,     2 + 3.0f / 8,
                                         1 + 1.0f / 8, 1 + 1.0f / 8, 0};
  ASSERT_EQ(b.size(), expected_b.size());
  for (size_t i = 0; i < b.size(); ++i) EXPECT_FLOAT_EQ(b[i], expected_b[i]) << "item " << i;
  // Item 1 (Pop 2) now ranks below the less popular items 3 and 4 that user b clicked.
  EXPECT_EQ(ConservativeRank(b.data(), 6, 2), 1);
  EXPECT_EQ(ConservativeRank(b.data(), 6, 1), 5);
  // User a clicked 0, 1, 2, 0, 1; without history the order is Pop's.
  const std::vector<float> a = ScoresOf(*ppop, {5}, &train, &train.users[0]);
  EXPECT_FLOAT_EQ(a[1], 2 + 2.0f / 8);
  EXPECT_FLOAT_EQ(a[2], 1 + 3.0f / 8);
  EXPECT_FLOAT_EQ(a[3], 1.0f / 8);
  const std::vector<float> none = ScoresOf(*ppop, {5});
  for (size_t i = 0; i < none.size(); ++i) {
    EXPECT_FLOAT_EQ(none[i], (std::vector<float>{3, 2, 3, 1, 1, 0})[i] / 8) << "item " << i;
  }
  // A scorer reused for the next user forgets the previous one.
  std::unique_ptr<NextItemScorer> scorer = ppop->NewScorer();
  std::vector<float> scores(6);
  scorer->BeginUser(train, &train.users[1]);
  scorer->BeginUser(train, nullptr);
  scorer->Score(std::vector<int32_t>{0}, absl::MakeSpan(scores));
  EXPECT_EQ(scores, none);
}

TEST(BaselineItemKnnTest, CosineOverSessionCoOccurrence) {
  const Dataset train = SmallTrain();
  for (bool self : {false, true}) {
    SCOPED_TRACE(::testing::Message() << "self_similarity=" << self);
    ItemKnnOptions options;
    options.self_similarity = self;
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<BaselineModel> knn, NewItemKnnModel(train, options));
    EXPECT_EQ(knn->name(), self ? "item-knn(self)" : "item-knn(no-self)");
    // Only the last click counts.
    const std::vector<float> after0 = ScoresOf(*knn, {2, 4, 0});
    const std::vector<float> expected0 = {
        self ? 1.0f : 0.0f, 2 / std::sqrt(6.0f), 1 / std::sqrt(6.0f), 1 / std::sqrt(3.0f), 0, 0};
    for (size_t i = 0; i < 6; ++i) EXPECT_FLOAT_EQ(after0[i], expected0[i]) << "item " << i;
    const std::vector<float> after2 = ScoresOf(*knn, {2});
    const std::vector<float> expected2 = {1 / std::sqrt(6.0f), 0.5f, self ? 1.0f : 0.0f, 0,
                                          1 / std::sqrt(2.0f), 0};
    for (size_t i = 0; i < 6; ++i) EXPECT_FLOAT_EQ(after2[i], expected2[i]) << "item " << i;
    // The repeat 2 -> 2 (as in s3) ranks first only with self-similarity; without it, it ties
    // with the items that never co-occur with 2.
    EXPECT_EQ(ConservativeRank(after2.data(), 6, 2), self ? 1 : 6);
  }
}

TEST(BaselineItemKnnTest, KeepsOnlyTheBestNeighbours) {
  const Dataset train = SmallTrain();
  ItemKnnOptions options;
  options.neighbors = 1;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<BaselineModel> knn, NewItemKnnModel(train, options));
  const std::vector<float> after0 = ScoresOf(*knn, {0});
  const std::vector<float> expected0 = {0, 2 / std::sqrt(6.0f), 0, 0, 0, 0};
  for (size_t i = 0; i < 6; ++i) EXPECT_FLOAT_EQ(after0[i], expected0[i]) << "item " << i;
  options.neighbors = 0;
  EXPECT_THAT(NewItemKnnModel(train, options).status(),
              testing::StatusIs(absl::StatusCode::kInvalidArgument, "neighbors"));
}

// Items 0..5. Training sessions in time order: n0 = [1 3] (older), n1 = [0 2] (newer),
// n2 = [4 5] (shares nothing).
Dataset SknnTrain() { return MakeDataset(6, {{"x", {{1, 3}, {0, 2}, {4, 5}}}}); }

// V-SKNN is the sknn recipe with session-rec's `vec` similarity: sim = (sum of the prefix
// weights of the shared items) / (number of distinct prefix items). These expectations were
// the cosine's (divided by ||w|| sqrt(|n|)) before the recipe; the ranks asserted are unchanged.
TEST(BaselineSessionKnnTest, CoOccurringItemsFirstWithPositionDecay) {
  const Dataset train = SknnTrain();
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<BaselineModel> sknn,
                       NewSessionKnnModel(train, SessionKnnOptions{}));
  EXPECT_EQ(sknn->name(), "v-sknn");
  // Prefix [0 1]: weights 0 -> 1/2, 1 -> 1; 2 distinct items.
  // n0 = [1 3]: 1 / 2 = 1/2; n1 = [0 2]: (1/2) / 2 = 1/4.
  const std::vector<float> s01 = ScoresOf(*sknn, {0, 1});
  const std::vector<float> expected01 = {0.25f, 0.5f, 0.25f, 0.5f, 0, 0};
  for (size_t i = 0; i < 6; ++i) EXPECT_FLOAT_EQ(s01[i], expected01[i]) << "item " << i;
  // 3 co-occurs with the latest click: it beats 2 (tied with the current item 1 only).
  EXPECT_EQ(ConservativeRank(s01.data(), 6, 3), 2);
  EXPECT_EQ(ConservativeRank(s01.data(), 6, 2), 4);
  EXPECT_EQ(ConservativeRank(s01.data(), 6, 4), 6);
  // The reverse order flips the preference: decay matters. [1 0]: n0: 1/4, n1: 1/2.
  const std::vector<float> s10 = ScoresOf(*sknn, {1, 0});
  EXPECT_FLOAT_EQ(s10[2], 0.5f);
  EXPECT_FLOAT_EQ(s10[3], 0.25f);
  EXPECT_EQ(ConservativeRank(s10.data(), 6, 2), 2);
  EXPECT_EQ(ConservativeRank(s10.data(), 6, 3), 4);
  // A repeated click keeps its latest weight: [1 0 1] weighs 0 -> 2/3, 1 -> 1; 2 distinct.
  // n0: 1 / 2 = 1/2; n1: (2/3) / 2 = 1/3.
  const std::vector<float> s101 = ScoresOf(*sknn, {1, 0, 1});
  EXPECT_FLOAT_EQ(s101[3], 0.5f);
  EXPECT_FLOAT_EQ(s101[2], 1.0f / 3);
}

TEST(BaselineSessionKnnTest, SampleTakesTheMostRecentAndKTheMostSimilar) {
  const Dataset train = SknnTrain();
  SessionKnnOptions options;
  options.sample_size = 1;  // Only n1 = [0 2], the most recent session with 0 or 1.
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<BaselineModel> recent, NewSessionKnnModel(train, options));
  const std::vector<float> r = ScoresOf(*recent, {0, 1});
  EXPECT_GT(r[2], 0.0f);
  EXPECT_EQ(r[3], 0.0f);
  options = SessionKnnOptions{};
  options.k = 1;  // Only n0 = [1 3], the more similar to [0 1].
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<BaselineModel> top, NewSessionKnnModel(train, options));
  const std::vector<float> t = ScoresOf(*top, {0, 1});
  EXPECT_EQ(t[2], 0.0f);
  EXPECT_GT(t[3], 0.0f);
  // [0 2] vs [0 3 4 5] for the prefix [0]: `vec` does not discount the longer neighbour (both
  // 1 / 1 = 1); the cosine does (1/sqrt(2) vs 1/sqrt(4)).
  const Dataset long_train = MakeDataset(6, {{"y", {{0, 2}, {0, 3, 4, 5}}}});
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<BaselineModel> vec,
                       NewSessionKnnModel(long_train, SessionKnnOptions{}));
  const std::vector<float> v = ScoresOf(*vec, {0});
  EXPECT_FLOAT_EQ(v[2], 1.0f);
  EXPECT_FLOAT_EQ(v[3], 1.0f);
  options = SessionKnnOptions{};
  options.similarity = SessionSimilarity::kCosine;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<BaselineModel> cos, NewSessionKnnModel(long_train, options));
  const std::vector<float> c = ScoresOf(*cos, {0});
  EXPECT_FLOAT_EQ(c[2], 1 / std::sqrt(2.0f));
  EXPECT_FLOAT_EQ(c[3], 0.5f);
  options = SessionKnnOptions{};
  options.sample_size = 0;
  EXPECT_THAT(NewSessionKnnModel(train, options).status(),
              testing::StatusIs(absl::StatusCode::kInvalidArgument, "sample_size"));
  options = SessionKnnOptions{};
  options.k = 0;
  EXPECT_THAT(NewSessionKnnModel(train, options).status(),
              testing::StatusIs(absl::StatusCode::kInvalidArgument, "k must"));
}

// Sequential rules on SmallTrain (s0 [0 1 2], s1 [0 1], s2 [0 3], s3 [2 4 2]); a before b at
// distance d adds 1/d: 0->1 = 1 + 1 = 2, 1->2 = 1, 0->2 = 1/2, 0->3 = 1, 2->4 = 1, 4->2 = 1,
// 2->2 = 1/2 (d = 2 in s3).
TEST(BaselineSequentialRulesTest, ScoresAreTheRulesFromTheLastClick) {
  const Dataset train = SmallTrain();
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<BaselineModel> sr,
                       NewSequentialRulesModel(train, SequentialRulesOptions{}));
  EXPECT_EQ(sr->name(), "sr");
  EXPECT_EQ(ScoresOf(*sr, {3, 0}), (std::vector<float>{0, 2, 0.5f, 1, 0, 0}));
  EXPECT_EQ(ScoresOf(*sr, {2}), (std::vector<float>{0, 0, 0.5f, 0, 1, 0}));
  EXPECT_EQ(ScoresOf(*sr, {5}), (std::vector<float>(6, 0.0f)));
  SequentialRulesOptions options;
  options.max_distance = 0;
  EXPECT_THAT(NewSequentialRulesModel(train, options).status(),
              testing::StatusIs(absl::StatusCode::kInvalidArgument, "max_distance"));
}

// ---- EvaluateScorer ----

constexpr int kNumItems = 30;

std::vector<UserClicks> RandomUsers(const std::vector<std::string>& ids, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> sessions(1, 4), length(1, 6), item(0, kNumItems - 1);
  std::vector<UserClicks> users;
  for (const std::string& id : ids) {
    users.push_back({id, {}});
    for (int s = sessions(rng); s > 0; --s) {
      users.back().sessions.emplace_back();
      for (int c = length(rng); c > 0; --c) {
        // Skewed items and frequent repeats, so scores and masks matter.
        const int32_t next = std::min(item(rng), item(rng));
        const std::vector<int32_t>& current = users.back().sessions.back();
        users.back().sessions.back().push_back(!current.empty() && c % 3 == 0 ? current.back()
                                                                              : next);
      }
    }
  }
  return users;
}

class EvaluateScorerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<std::string> history_ids, test_ids;
    for (int i = 0; i < 15; ++i) history_ids.push_back("u" + std::to_string(i));
    for (int i : {5, 16, 0, 11, 3, 17, 7, 12, 1, 9, 14})
      test_ids.push_back("u" + std::to_string(i));
    train_ = MakeDataset(kNumItems, RandomUsers(history_ids, 3));
    test_ = MakeDataset(kNumItems, RandomUsers(test_ids, 4));
    models_.push_back(NewPopModel(train_));
    models_.push_back(NewPersonalPopModel(train_));
    for (bool self : {false, true}) {
      ItemKnnOptions options;
      options.self_similarity = self;
      models_.push_back(*NewItemKnnModel(train_, options));
    }
    SessionKnnOptions options;
    options.sample_size = 10;
    options.k = 5;
    models_.push_back(*NewSessionKnnModel(train_, options));
    models_.push_back(*NewSequentialRulesModel(train_, SequentialRulesOptions{}));
  }

  NextItemMetrics Evaluate(const BaselineModel& model, int threads, bool exclude_seen = false,
                           int64_t max_predictions = 0) const {
    NextItemEvalOptions options;
    options.threads = threads;
    options.exclude_seen_items = exclude_seen;
    options.max_predictions = max_predictions;
    return EvaluateScorer(model, train_, test_, options);
  }

  // Pop ranks computed directly from click counts.
  std::vector<int64_t> DirectPopRanks(bool exclude_seen) const {
    std::vector<int64_t> count(kNumItems, 0), ranks;
    for (int32_t item : train_.items) ++count[item];
    for (const SessionSpan& s : test_.sessions) {
      for (int64_t e = s.begin; e + 1 < s.end; ++e) {
        const int32_t target = test_.items[e + 1];
        int64_t rank = 1;
        for (int32_t i = 0; i < kNumItems; ++i) {
          const bool seen = std::find(test_.items.begin() + s.begin, test_.items.begin() + e + 1,
                                      i) != test_.items.begin() + e + 1;
          if (i == target || (exclude_seen && seen)) continue;
          rank += count[i] >= count[target];
        }
        ranks.push_back(rank);
      }
    }
    return ranks;
  }

  Dataset train_, test_;
  std::vector<std::unique_ptr<BaselineModel>> models_;
};

TEST_F(EvaluateScorerTest, PopEqualsDirectComputation) {
  for (bool exclude : {false, true}) {
    SCOPED_TRACE(::testing::Message() << "exclude_seen_items=" << exclude);
    const NextItemMetrics m = Evaluate(*models_[0], 1, exclude);
    const std::vector<int64_t> direct = DirectPopRanks(exclude);
    ASSERT_GT(direct.size(), 30u);
    EXPECT_EQ(m.ranks, direct);
    const NextItemMetrics from_ranks = MetricsFromRanks(direct, NextItemEvalOptions{}.cutoffs);
    EXPECT_EQ(m.recall, from_ranks.recall);
    EXPECT_EQ(m.mrr, from_ranks.mrr);
  }
  EXPECT_NE(DirectPopRanks(false), DirectPopRanks(true));
}

TEST_F(EvaluateScorerTest, ThreadsDoNotChangeRanks) {
  for (const std::unique_ptr<BaselineModel>& model : models_) {
    SCOPED_TRACE(model->name());
    const NextItemMetrics one = Evaluate(*model, 1);
    ASSERT_GT(one.predictions, 30);
    EXPECT_EQ(Evaluate(*model, 3).ranks, one.ranks);
    EXPECT_EQ(Evaluate(*model, 3, false, one.predictions / 2).ranks,
              std::vector<int64_t>(one.ranks.begin(), one.ranks.begin() + one.predictions / 2));
  }
}

TEST_F(EvaluateScorerTest, ExcludingSeenItemsNeverHurtsAndMovesSomeRanks) {
  for (const std::unique_ptr<BaselineModel>& model : models_) {
    SCOPED_TRACE(model->name());
    const NextItemMetrics with = Evaluate(*model, 1, false);
    const NextItemMetrics without = Evaluate(*model, 2, true);
    ASSERT_EQ(with.ranks.size(), without.ranks.size());
    bool any_moved = false;
    for (size_t i = 0; i < with.ranks.size(); ++i) {
      EXPECT_LE(without.ranks[i], with.ranks[i]) << "prediction " << i;
      any_moved |= without.ranks[i] != with.ranks[i];
    }
    EXPECT_TRUE(any_moved);
  }
}

TEST_F(EvaluateScorerTest, PersonalPopUsesHistoryMatchedById) {
  const BaselineModel& ppop = *models_[1];
  const NextItemMetrics base = Evaluate(ppop, 1);
  NextItemEvalOptions options;
  const NextItemMetrics no_history = EvaluateScorer(ppop, Dataset{}, test_, options);
  EXPECT_EQ(no_history.ranks, EvaluateScorer(*models_[0], Dataset{}, test_, options).ranks);
  EXPECT_NE(no_history.ranks, base.ranks);
  // The same history with users in reverse order gives the same ranks.
  Dataset reversed = train_;
  std::reverse(reversed.users.begin(), reversed.users.end());
  EXPECT_EQ(EvaluateScorer(ppop, reversed, test_, options).ranks, base.ranks);
}

}  // namespace
}  // namespace hrnn
