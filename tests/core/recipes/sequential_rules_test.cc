#include "core/recipes/sequential_rules.h"

#include <memory>
#include <vector>

#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace hrnn {
namespace {

constexpr int32_t kItems = 20;

// S1 = [0 1 2]: 0->1 (d=1) +1, 1->2 (d=1) +1, 0->2 (d=2) +1/2
// S2 = [0 2]:   0->2 (d=1) +1
// S3 = [1 0 1]: 1->0 (d=1) +1, 0->1 (d=1) +1, 1->1 (d=2) +1/2 (a repeat is a rule)
// S4 = [5 6 7 ... 16]: 5->(5+d) weighs 1/d for d = 1..10; 5->16 (d=11) is too far.
// Rules: 0->1 = 2, 0->2 = 3/2, 1->0 = 1, 1->2 = 1, 1->1 = 1/2.
std::vector<std::vector<int32_t>> Sessions() {
  return {{0, 1, 2}, {0, 2}, {1, 0, 1}, {5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}};
}

absl::StatusOr<std::unique_ptr<const SequentialRules>> Build(
    const std::vector<std::vector<int32_t>>& sessions, const SequentialRulesOptions& options) {
  std::vector<absl::Span<const int32_t>> spans(sessions.begin(), sessions.end());
  return SequentialRules::Build(kItems, spans, options);
}

std::vector<std::pair<int32_t, float>> Rules(const SequentialRules& rules, int32_t item) {
  std::vector<std::pair<int32_t, float>> out;
  for (const SequentialRule& rule : rules.RulesFrom(item)) out.push_back({rule.item, rule.weight});
  return out;
}

using RuleList = std::vector<std::pair<int32_t, float>>;

TEST(SequentialRulesTest, WeighsPairsByOneOverDistance) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<const SequentialRules> rules,
                       Build(Sessions(), SequentialRulesOptions{}));
  EXPECT_EQ(Rules(*rules, 0), (RuleList{{1, 2.0f}, {2, 1.5f}}));
  // Ties (1->0 and 1->2, both 1) by the lower item.
  EXPECT_EQ(Rules(*rules, 1), (RuleList{{0, 1.0f}, {2, 1.0f}, {1, 0.5f}}));
  EXPECT_TRUE(Rules(*rules, 2).empty());
  const RuleList from5 = Rules(*rules, 5);
  ASSERT_EQ(from5.size(), 10u);
  for (int d = 1; d <= 10; ++d) {
    EXPECT_EQ(from5[d - 1].first, 5 + d);
    EXPECT_FLOAT_EQ(from5[d - 1].second, 1.0f / d) << "d=" << d;
  }

  // Only the last click counts: [2 0] scores the rules from 0.
  SparseScores scores(kItems);
  ASSERT_OK(rules->Score(std::vector<int32_t>{2, 0}, &scores));
  EXPECT_EQ(scores.Get(1), 2.0f);
  EXPECT_EQ(scores.Get(2), 1.5f);
  EXPECT_EQ(scores.touched().size(), 2u);
  scores.Clear();
  ASSERT_OK(rules->Score(std::vector<int32_t>{0, 1}, &scores));
  EXPECT_EQ(scores.Get(0), 1.0f);
  EXPECT_EQ(scores.Get(1), 0.5f);
  EXPECT_EQ(scores.Get(2), 1.0f);
  scores.Clear();
  ASSERT_OK(rules->Score({}, &scores));
  EXPECT_TRUE(scores.empty());
}

TEST(SequentialRulesTest, OptionsBoundDistanceAndRulesPerItem) {
  SequentialRulesOptions options;
  options.max_distance = 1;  // 0->2 loses S1's 1/2; 1->1 (d=2) goes.
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<const SequentialRules> near, Build(Sessions(), options));
  EXPECT_EQ(Rules(*near, 0), (RuleList{{1, 2.0f}, {2, 1.0f}}));
  EXPECT_EQ(Rules(*near, 1), (RuleList{{0, 1.0f}, {2, 1.0f}}));
  EXPECT_EQ(Rules(*near, 5), (RuleList{{6, 1.0f}}));

  options = SequentialRulesOptions{};
  options.max_rules_per_item = 1;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<const SequentialRules> top, Build(Sessions(), options));
  EXPECT_EQ(Rules(*top, 0), (RuleList{{1, 2.0f}}));
  EXPECT_EQ(Rules(*top, 1), (RuleList{{0, 1.0f}}));
  EXPECT_EQ(Rules(*top, 5), (RuleList{{6, 1.0f}}));
}

TEST(SequentialRulesTest, ErrorsNameTheField) {
  SequentialRulesOptions options;
  options.max_distance = 0;
  EXPECT_THAT(Build(Sessions(), options).status(),
              testing::StatusIs(absl::StatusCode::kInvalidArgument, "max_distance"));
  options = SequentialRulesOptions{};
  options.max_rules_per_item = 0;
  EXPECT_THAT(Build(Sessions(), options).status(),
              testing::StatusIs(absl::StatusCode::kInvalidArgument, "max_rules_per_item"));
  EXPECT_THAT(Build({{0, 1}, {3, 20}}, SequentialRulesOptions{}).status(),
              testing::StatusIs(absl::StatusCode::kInvalidArgument, "sessions[1][1] = 20"));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<const SequentialRules> rules,
                       Build(Sessions(), SequentialRulesOptions{}));
  SparseScores scores(kItems);
  EXPECT_THAT(rules->Score(std::vector<int32_t>{0, 25}, &scores),
              testing::StatusIs(absl::StatusCode::kInvalidArgument, "prefix[1] = 25"));
}

}  // namespace
}  // namespace hrnn
