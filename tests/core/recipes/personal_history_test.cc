#include "core/recipes/personal_history.h"

#include <cmath>
#include <limits>
#include <vector>

#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace hrnn {
namespace {

constexpr int64_t kDay = 24 * 3600;

TEST(PersonalHistoryTest, CountTimesHalvingPerHalfLife) {
  PersonalHistoryOptions options;
  options.half_life_seconds = 2.0 * kDay;
  const int64_t now = 100 * kDay;
  // Item 0: 3 clicks, the latest 2 days ago (one half-life): 3 * 1/2 = 1.5.
  // Item 1: 1 click 6 days ago (three half-lives): 1/8 = 0.125.
  // Item 2: per-event entries 0 and 4 days ago: 1 + 1/4 = 1.25 (entries of an item add up).
  // Item 3: the current session's click, now: 1. Item 4: a time after `now` counts as now: 2.
  const std::vector<ItemInteraction> history = {{0, 3, now - 2 * kDay},
                                                {1, 1, now - 6 * kDay},
                                                {2, 1, now},
                                                {2, 1, now - 4 * kDay},
                                                {3, 1, now},
                                                {4, 2, now + kDay}};
  SparseScores scores(6);
  ASSERT_OK(ScorePersonalHistory(history, now, options, &scores));
  EXPECT_FLOAT_EQ(scores.Get(0), 1.5f);
  EXPECT_FLOAT_EQ(scores.Get(1), 0.125f);
  EXPECT_FLOAT_EQ(scores.Get(2), 1.25f);
  EXPECT_FLOAT_EQ(scores.Get(3), 1.0f);
  EXPECT_FLOAT_EQ(scores.Get(4), 2.0f);
  EXPECT_EQ(scores.Get(5), 0.0f);
  EXPECT_EQ(scores.touched().size(), 5u);
  // The same as exp(-ln 2 * age / half_life).
  EXPECT_FLOAT_EQ(scores.Get(1), std::exp(-std::log(2.0f) * 6 / 2));
}

TEST(PersonalHistoryTest, InfiniteHalfLifeIsPlainCountsAndZeroCountsAddNothing) {
  PersonalHistoryOptions options;
  options.half_life_seconds = std::numeric_limits<double>::infinity();
  const std::vector<ItemInteraction> history = {{0, 3, 0}, {1, 0, 5}, {2, 4, 1000 * kDay}};
  SparseScores scores(3);
  ASSERT_OK(ScorePersonalHistory(history, 2000 * kDay, options, &scores));
  EXPECT_EQ(scores.Get(0), 3.0f);
  EXPECT_EQ(scores.Get(2), 4.0f);
  EXPECT_EQ(scores.touched().size(), 2u);
  SparseScores none(3);
  ASSERT_OK(ScorePersonalHistory({}, 0, PersonalHistoryOptions{}, &none));
  EXPECT_TRUE(none.empty());
}

TEST(PersonalHistoryTest, SessionClicksCountWithTheSessionWeight) {
  PersonalHistoryOptions options;
  options.half_life_seconds = std::numeric_limits<double>::infinity();
  options.session_weight = 0.25;
  // Item 0: 3 interactions, 2 of them in the open session: 1 + 0.25 * 2 = 1.5.
  // Item 1: only in the session: 0.25. Item 2: none in the session: 2.
  const std::vector<ItemInteraction> history = {{0, 3, 10, 2}, {1, 1, 10, 1}, {2, 2, 5, 0}};
  SparseScores scores(3);
  ASSERT_OK(ScorePersonalHistory(history, 10, options, &scores));
  EXPECT_EQ(scores.Get(0), 1.5f);
  EXPECT_EQ(scores.Get(1), 0.25f);
  EXPECT_EQ(scores.Get(2), 2.0f);
  // Weight 0: the session's own items score nothing from it.
  options.session_weight = 0;
  SparseScores without(3);
  ASSERT_OK(ScorePersonalHistory(history, 10, options, &without));
  EXPECT_EQ(without.Get(0), 1.0f);
  EXPECT_EQ(without.Get(2), 2.0f);
  EXPECT_EQ(without.touched().size(), 2u);  // Item 1 is not touched.
}

TEST(PersonalHistoryTest, TrainingHistoryRaisesEachItemToItsTrainingPart) {
  PersonalHistoryOptions options;
  options.half_life_seconds = 10;
  options.session_weight = 0;
  SparseScores scores(5);
  // Live: item 0 counted 4 times now (4), item 1 once now (1), item 2 only in the session (0).
  ASSERT_OK(ScorePersonalHistory({{0, 4, 100, 0}, {1, 1, 100, 0}, {2, 1, 100, 1}}, 100, options,
                                 &scores));
  // Training: item 0 three times 10 s ago (1.5 < 4: stays 4), item 1 six times 10 s ago (3 > 1:
  // raised to 3, not 4), item 3 twice 20 s ago (0.5, new). Item 2 is untouched by both.
  ASSERT_OK(
      MergeTrainingHistory({{0, 3, 90, 0}, {1, 6, 90, 0}, {3, 2, 80, 0}}, 100, options, &scores));
  EXPECT_EQ(scores.Get(0), 4.0f);
  EXPECT_EQ(scores.Get(1), 3.0f);
  EXPECT_EQ(scores.Get(2), 0.0f);
  EXPECT_EQ(scores.Get(3), 0.5f);
  EXPECT_EQ(scores.touched().size(), 3u);
  // Errors leave the scores as they were.
  EXPECT_THAT(MergeTrainingHistory({{4, 1, 0, 1}}, 100, options, &scores),
              testing::StatusIs(absl::StatusCode::kInvalidArgument, "session_count must be 0"));
  EXPECT_THAT(MergeTrainingHistory({{5, 1, 0, 0}}, 100, options, &scores),
              testing::StatusIs(absl::StatusCode::kInvalidArgument, "item = 5"));
  EXPECT_EQ(scores.touched().size(), 3u);
}

TEST(PersonalHistoryTest, ErrorsNameTheFieldAndAddNothing) {
  SparseScores scores(3);
  PersonalHistoryOptions options;
  options.half_life_seconds = 0;
  EXPECT_THAT(ScorePersonalHistory({}, 0, options, &scores),
              testing::StatusIs(absl::StatusCode::kInvalidArgument, "half_life_seconds"));
  options.half_life_seconds = std::nan("");
  EXPECT_THAT(ScorePersonalHistory({}, 0, options, &scores),
              testing::StatusIs(absl::StatusCode::kInvalidArgument, "half_life_seconds"));
  const std::vector<ItemInteraction> bad_item = {{0, 1, 0}, {3, 1, 0}};
  EXPECT_THAT(ScorePersonalHistory(bad_item, 0, PersonalHistoryOptions{}, &scores),
              testing::StatusIs(absl::StatusCode::kInvalidArgument, "interactions[1].item = 3"));
  const std::vector<ItemInteraction> bad_count = {{1, -2, 0}};
  EXPECT_THAT(ScorePersonalHistory(bad_count, 0, PersonalHistoryOptions{}, &scores),
              testing::StatusIs(absl::StatusCode::kInvalidArgument, "interactions[0].count = -2"));
  const std::vector<ItemInteraction> bad_session = {{1, 2, 0, 3}};
  EXPECT_THAT(ScorePersonalHistory(bad_session, 0, PersonalHistoryOptions{}, &scores),
              testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                "interactions[0].session_count = 3 is outside [0, 2]"));
  options = PersonalHistoryOptions();
  options.session_weight = -1;
  EXPECT_THAT(ScorePersonalHistory({}, 0, options, &scores),
              testing::StatusIs(absl::StatusCode::kInvalidArgument, "session_weight"));
  EXPECT_TRUE(scores.empty());
}

}  // namespace
}  // namespace hrnn
