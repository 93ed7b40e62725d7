#include "core/eval/next_item_evaluator.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "tests/testing/dataset_builder.h"
#include "tests/testing/status_matchers.h"

namespace hrnn {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

TEST(ConservativeRankTest, CountsHigherScoresAndOtherTies) {
  const std::vector<float> s = {0.5f, 0.9f, 0.5f, 0.5f, 0.1f, 0.5f};
  // Target 0 is tied with 3 others and below one: 1 + 1 + 3.
  EXPECT_EQ(ConservativeRank(s.data(), 6, 0), 5);
  EXPECT_EQ(ConservativeRank(s.data(), 6, 3), 5);
  EXPECT_EQ(ConservativeRank(s.data(), 6, 1), 1);
  EXPECT_EQ(ConservativeRank(s.data(), 6, 4), 6);
  const float one = 1.0f;
  EXPECT_EQ(ConservativeRank(&one, 1, 0), 1);
}

TEST(ConservativeRankTest, NonFiniteScores) {
  // A NaN target ranks last; NaN elsewhere is neither higher nor tied.
  const std::vector<float> s = {0.2f, kNaN, -kInf, kInf, 0.2f, kNaN, -kInf};
  EXPECT_EQ(ConservativeRank(s.data(), 7, 1), 7);
  EXPECT_EQ(ConservativeRank(s.data(), 7, 5), 7);
  EXPECT_EQ(ConservativeRank(s.data(), 7, 3), 1);  // +inf: nothing higher or tied.
  EXPECT_EQ(ConservativeRank(s.data(), 7, 0), 3);  // +inf and the other 0.2 above/tied.
  EXPECT_EQ(ConservativeRank(s.data(), 7, 2), 5);  // -inf: 3 higher, the other -inf tied.
  const std::vector<float> both_inf = {kInf, 0.0f, kInf};
  EXPECT_EQ(ConservativeRank(both_inf.data(), 3, 2), 2);
}

TEST(MetricsFromRanksTest, KnownValues) {
  const NextItemMetrics m = MetricsFromRanks({1, 2, 5, 11, 30}, {1, 5, 10, 20});
  EXPECT_EQ(m.predictions, 5);
  EXPECT_EQ(m.ranks, (std::vector<int64_t>{1, 2, 5, 11, 30}));
  EXPECT_DOUBLE_EQ(m.recall.at(1), 0.2);
  EXPECT_DOUBLE_EQ(m.recall.at(5), 0.6);
  EXPECT_DOUBLE_EQ(m.recall.at(10), 0.6);
  EXPECT_DOUBLE_EQ(m.recall.at(20), 0.8);
  EXPECT_DOUBLE_EQ(m.mrr.at(1), 0.2);
  EXPECT_DOUBLE_EQ(m.mrr.at(5), (1.0 + 0.5 + 0.2) / 5);
  EXPECT_DOUBLE_EQ(m.mrr.at(20), (1.0 + 0.5 + 0.2 + 1.0 / 11) / 5);
  EXPECT_DOUBLE_EQ(m.ndcg.at(1), 0.2);
  EXPECT_DOUBLE_EQ(m.ndcg.at(5), (1.0 + 1.0 / std::log2(3.0) + 1.0 / std::log2(6.0)) / 5);
  EXPECT_DOUBLE_EQ(m.ndcg.at(20),
                   (1.0 + 1.0 / std::log2(3.0) + 1.0 / std::log2(6.0) + 1.0 / std::log2(12.0)) / 5);
}

TEST(MetricsFromRanksTest, EmptyGivesZerosNotNaN) {
  const NextItemMetrics m = MetricsFromRanks({}, {5, 10});
  EXPECT_EQ(m.predictions, 0);
  EXPECT_TRUE(m.ranks.empty());
  for (int k : {5, 10}) {
    SCOPED_TRACE(k);
    EXPECT_EQ(m.recall.at(k), 0.0);
    EXPECT_EQ(m.mrr.at(k), 0.0);
    EXPECT_EQ(m.ndcg.at(k), 0.0);
  }
}

// ---- EvaluateNextItem against a reference loop over HrnnReference. ----

constexpr int kNumItems = 40;

using ::hrnn::testing::MakeDataset;
using ::hrnn::testing::UserClicks;

// Users named by `ids`, 1-4 sessions of 1-6 random clicks each (length-1 sessions included).
std::vector<UserClicks> RandomUsers(const std::vector<std::string>& ids, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> sessions(1, 4), length(1, 6), item(0, kNumItems - 1);
  std::vector<UserClicks> users;
  for (const std::string& id : ids) {
    users.push_back({id, {}});
    for (int s = sessions(rng); s > 0; --s) {
      users.back().sessions.emplace_back();
      for (int c = length(rng); c > 0; --c) users.back().sessions.back().push_back(item(rng));
    }
  }
  return users;
}

// The rank of every prediction by the reference network, as the bracket [lo, hi] of conservative
// ranks consistent with scores within `tol` (float differences between the SIMD network and the
// scalar reference may reorder near-ties; nothing else may move a rank).
struct RankBracket {
  int64_t lo, hi;
};

std::vector<RankBracket> ReferenceRanks(const std::shared_ptr<const Model>& model,
                                        const Dataset& history, const Dataset& test) {
  constexpr float kTol = 1e-5f;
  const HrnnReference ref(model);
  const ModelConfig& config = model->config();
  const bool user_level = config.HasUserLevel();
  std::vector<float> c(user_level ? config.user_hidden_size : 0), s(config.hidden_size);
  std::vector<float> scores(kNumItems);
  float* c_ptr = user_level ? c.data() : nullptr;
  std::vector<RankBracket> ranks;
  auto replay = [&](const Dataset& d, const SessionSpan& span, bool predict) {
    ref.InitSession(c_ptr, s.data());
    for (int64_t e = span.begin; e < span.end; ++e) {
      ref.SessionStep(d.items[e], c_ptr, s.data());
      if (!predict || e + 1 == span.end) continue;
      ref.Score(s.data(), scores.data());
      const int32_t target = d.items[e + 1];
      const float t = scores[target];
      RankBracket r{1, 1};
      for (int i = 0; i < kNumItems; ++i) {
        if (i == target) continue;
        r.lo += scores[i] > t + kTol;
        r.hi += scores[i] >= t - kTol;
      }
      ranks.push_back(r);
    }
    if (user_level) ref.UserUpdate(s.data(), c_ptr);
  };
  for (const UserSpan& user : test.users) {
    std::fill(c.begin(), c.end(), 0.0f);
    for (const UserSpan& past : history.users) {
      if (past.id != user.id) continue;
      for (int64_t i = past.session_begin; i < past.session_end; ++i) {
        replay(history, history.sessions[i], false);
      }
    }
    for (int64_t i = user.session_begin; i < user.session_end; ++i) {
      replay(test, test.sessions[i], true);
    }
  }
  return ranks;
}

class EvaluateNextItemTest : public ::testing::TestWithParam<ModelMode> {
 protected:
  void SetUp() override {
    ModelConfig config;
    config.mode = GetParam();
    config.num_items = kNumItems;
    config.hidden_size = 8;
    config.user_hidden_size = 6;
    model_ = Model::CreateRandom(config, 17);
    ASSERT_NE(model_, nullptr);
    ASSERT_OK_AND_ASSIGN(network_, HrnnNetwork::Create(model_));
    // History users u0..u11; test users drawn from u0..u15 in another order, so some have no
    // history (u12..u15) and matching must go by id, not position.
    std::vector<std::string> history_ids, test_ids;
    for (int i = 0; i < 12; ++i) history_ids.push_back("u" + std::to_string(i));
    for (int i : {5, 13, 0, 11, 3, 15, 7, 12, 1, 9}) test_ids.push_back("u" + std::to_string(i));
    history_users_ = RandomUsers(history_ids, 1);
    history_ = MakeDataset(kNumItems, history_users_);
    test_ = MakeDataset(kNumItems, RandomUsers(test_ids, 2));
  }

  NextItemMetrics Evaluate(const Dataset& history, int64_t max_predictions, int threads) const {
    NextItemEvalOptions options;
    options.cutoffs = {1, 5, 10};
    options.max_predictions = max_predictions;
    options.threads = threads;
    return EvaluateNextItem(*network_, history, test_, options);
  }

  std::shared_ptr<const Model> model_;
  std::shared_ptr<const HrnnNetwork> network_;
  std::vector<UserClicks> history_users_;
  Dataset history_, test_;
};

TEST_P(EvaluateNextItemTest, MatchesReferenceLoop) {
  const std::vector<RankBracket> expected = ReferenceRanks(model_, history_, test_);
  int64_t pairs = 0;
  for (const SessionSpan& s : test_.sessions) pairs += std::max<int64_t>(0, s.length() - 1);
  ASSERT_EQ(static_cast<int64_t>(expected.size()), pairs);
  ASSERT_GT(pairs, 20);
  const NextItemMetrics m = Evaluate(history_, 0, 1);
  ASSERT_EQ(m.predictions, pairs);
  ASSERT_EQ(m.ranks.size(), expected.size());
  int64_t ambiguous = 0;
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_GE(m.ranks[i], expected[i].lo) << "prediction " << i;
    EXPECT_LE(m.ranks[i], expected[i].hi) << "prediction " << i;
    ambiguous += expected[i].lo != expected[i].hi;
  }
  EXPECT_LE(ambiguous * 10, pairs) << "too many near-ties for the comparison to mean much";
  // The metrics are those of the ranks.
  const NextItemMetrics from_ranks = MetricsFromRanks(m.ranks, {1, 5, 10});
  EXPECT_EQ(m.recall, from_ranks.recall);
  EXPECT_EQ(m.mrr, from_ranks.mrr);
  EXPECT_EQ(m.ndcg, from_ranks.ndcg);
}

TEST_P(EvaluateNextItemTest, HistoryMatchedByIdNotPosition) {
  const NextItemMetrics base = Evaluate(history_, 0, 1);
  std::vector<UserClicks> reversed(history_users_.rbegin(), history_users_.rend());
  EXPECT_EQ(Evaluate(MakeDataset(kNumItems, reversed), 0, 1).ranks, base.ranks);
  // Without history every user starts from c = 0: the same as the users absent from history,
  // and (with a user level) different ranks for the others.
  const NextItemMetrics no_history = Evaluate(MakeDataset(kNumItems, {}), 0, 1);
  ASSERT_EQ(no_history.ranks.size(), base.ranks.size());
  bool any_differs = false;
  size_t out = 0;
  for (const UserSpan& user : test_.users) {
    const int index = std::stoi(user.id.substr(1));
    for (int64_t s = user.session_begin; s < user.session_end; ++s) {
      for (int64_t p = 1; p < test_.sessions[s].length(); ++p, ++out) {
        if (index >= 12 || GetParam() == ModelMode::kSessionOnly) {
          EXPECT_EQ(no_history.ranks[out], base.ranks[out]) << user.id << " prediction " << out;
        } else {
          any_differs |= no_history.ranks[out] != base.ranks[out];
        }
      }
    }
  }
  EXPECT_EQ(any_differs, GetParam() != ModelMode::kSessionOnly);
}

TEST_P(EvaluateNextItemTest, MaxPredictionsKeepsAPrefix) {
  const NextItemMetrics full = Evaluate(history_, 0, 1);
  const int64_t total = full.predictions;
  // Predictions of the first test user: a cut at a user boundary.
  int64_t first_user = 0;
  for (int64_t s = test_.users[0].session_begin; s < test_.users[0].session_end; ++s) {
    first_user += std::max<int64_t>(0, test_.sessions[s].length() - 1);
  }
  for (int64_t max : {int64_t{1}, int64_t{2}, first_user, first_user + 1, total / 2, total - 1,
                      total, total + 5}) {
    for (int threads : {1, 3}) {
      SCOPED_TRACE(::testing::Message() << "max_predictions=" << max << " threads=" << threads);
      const NextItemMetrics m = Evaluate(history_, max, threads);
      const int64_t kept = std::min(max, total);
      EXPECT_EQ(m.predictions, kept);
      EXPECT_EQ(m.ranks, std::vector<int64_t>(full.ranks.begin(), full.ranks.begin() + kept));
    }
  }
}

TEST_P(EvaluateNextItemTest, ThreadsDoNotChangeRanks) {
  const NextItemMetrics one = Evaluate(history_, 0, 1);
  for (int threads : {2, 3, 16}) {
    SCOPED_TRACE(::testing::Message() << "threads=" << threads);
    const NextItemMetrics m = Evaluate(history_, 0, threads);
    EXPECT_EQ(m.ranks, one.ranks);
    EXPECT_EQ(m.recall, one.recall);
    EXPECT_EQ(m.mrr, one.mrr);
    EXPECT_EQ(m.ndcg, one.ndcg);
  }
}

TEST_P(EvaluateNextItemTest, ExcludingSeenItemsNeverHurtsAndMovesSomeRanks) {
  const NextItemMetrics with = Evaluate(history_, 0, 1);
  NextItemEvalOptions options;
  options.cutoffs = {1, 5, 10};
  options.exclude_seen_items = true;
  options.threads = 2;
  const NextItemMetrics without = EvaluateNextItem(*network_, history_, test_, options);
  ASSERT_EQ(with.ranks.size(), without.ranks.size());
  bool any_moved = false;
  for (size_t i = 0; i < with.ranks.size(); ++i) {
    EXPECT_LE(without.ranks[i], with.ranks[i]) << "prediction " << i;
    any_moved |= without.ranks[i] != with.ranks[i];
  }
  EXPECT_TRUE(any_moved);
}

TEST(NextItemMaskSeenItemsTest, MasksThePrefixButNotTheTarget) {
  std::vector<float> scores = {1, 2, 3, 4, 5};
  const std::vector<int32_t> prefix = {3, 1, 3, 0};
  MaskSeenItems(prefix.data(), 4, 1, scores.data());
  EXPECT_EQ(scores, (std::vector<float>{-kInf, 2, 3, -kInf, 5}));
  EXPECT_EQ(ConservativeRank(scores.data(), 5, 1), 3);
}

INSTANTIATE_TEST_SUITE_P(Modes, EvaluateNextItemTest,
                         ::testing::Values(ModelMode::kSessionOnly, ModelMode::kHrnnInit,
                                           ModelMode::kHrnnAll),
                         [](const ::testing::TestParamInfo<ModelMode>& info) {
                           std::string name(ModelModeName(info.param));
                           for (char& ch : name) ch = ch == '-' ? '_' : ch;
                           return name;
                         });

}  // namespace
}  // namespace hrnn
