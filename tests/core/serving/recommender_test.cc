#include "core/serving/recommender.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/model_modes.h"
#include "tests/testing/random.h"
#include "tests/testing/status_matchers.h"

namespace hrnn {
namespace {

using ::hrnn::testing::ExpectAllNear;
using ::hrnn::testing::StatusIs;

constexpr int64_t kMinute = 60 * 1000;
constexpr int64_t kT0 = 1'700'000'000'000;  // Some time in 2023, in ms.

class RecommenderTest : public ::testing::TestWithParam<ModelMode> {
 protected:
  void SetUp() override {
    ModelConfig config;
    config.mode = GetParam();
    config.num_items = 300;
    config.hidden_size = 24;
    config.user_hidden_size = 16;
    model_ = Model::CreateRandom(config, 7);
    ASSERT_OK_AND_ASSIGN(auto network, HrnnNetwork::Create(model_));
    recommender_ = std::make_unique<Recommender>(network, SessionPolicy{30 * kMinute});
    reference_ = std::make_unique<HrnnReference>(model_);
  }

  bool has_user_level() const { return GetParam() != ModelMode::kSessionOnly; }

  EventOutcome Apply(UserState& state, int64_t item, int64_t t, absl::string_view session = "") {
    auto outcome = recommender_->ApplyEvent(state, ItemEvent{item, t, session});
    EXPECT_TRUE(outcome.ok()) << outcome.status();
    return outcome.value_or(EventOutcome::kDuplicate);
  }

  std::shared_ptr<const Model> model_;
  std::unique_ptr<Recommender> recommender_;
  std::unique_ptr<HrnnReference> reference_;
};

TEST_P(RecommenderTest, NewUserHasZeroUserStateAndNoSession) {
  const UserState state = recommender_->NewUserState();
  EXPECT_FALSE(state.in_session());
  EXPECT_EQ(state.user, std::vector<float>(has_user_level() ? 16 : 0, 0.0f));
  EXPECT_EQ(state.session.size(), 24u);
  EXPECT_OK(recommender_->CheckShape(state));
}

TEST_P(RecommenderTest, EventsWithinTimeoutContinueTheSession) {
  UserState state = recommender_->NewUserState();
  EXPECT_EQ(Apply(state, 5, kT0), EventOutcome::kAppliedNewSession);
  EXPECT_EQ(Apply(state, 6, kT0 + 10 * kMinute), EventOutcome::kApplied);
  EXPECT_EQ(Apply(state, 7, kT0 + 40 * kMinute), EventOutcome::kApplied);  // 30 min gap exactly
  EXPECT_EQ(state.session_length, 3);
  EXPECT_EQ(state.sessions_folded, 0);
  EXPECT_EQ(state.last_event_ms, kT0 + 40 * kMinute);
}

TEST_P(RecommenderTest, MatchesReferenceReplayAcrossSessions) {
  UserState state = recommender_->NewUserState();
  std::vector<float> user(has_user_level() ? 16 : 0, 0.0f), session(24);
  const float* user_ptr = has_user_level() ? user.data() : nullptr;
  const std::vector<std::vector<int64_t>> sessions = {{3, 9, 27}, {81, 243}, {1}};
  int64_t t = kT0;
  for (size_t m = 0; m < sessions.size(); ++m) {
    if (m > 0 && has_user_level()) reference_->UserUpdate(session.data(), user.data());
    reference_->InitSession(user_ptr, session.data());
    for (size_t n = 0; n < sessions[m].size(); ++n) {
      t += n == 0 ? 2 * 60 * kMinute : kMinute;
      EXPECT_EQ(Apply(state, sessions[m][n], t),
                n == 0 ? EventOutcome::kAppliedNewSession : EventOutcome::kApplied);
      reference_->SessionStep(sessions[m][n], user_ptr, session.data());
    }
    SCOPED_TRACE(::testing::Message() << "after session " << m);
    ExpectAllNear(state.session, session, 1e-4f, 1e-4f);
    ExpectAllNear(state.user, user, 1e-4f, 1e-4f);
  }
  EXPECT_EQ(state.sessions_folded, 2);
}

TEST_P(RecommenderTest, GapLongerThanTimeoutFoldsSessionIntoUserState) {
  UserState state = recommender_->NewUserState();
  Apply(state, 10, kT0);
  Apply(state, 11, kT0 + kMinute);
  const std::vector<float> user_before = state.user;
  EXPECT_EQ(Apply(state, 12, kT0 + 32 * kMinute), EventOutcome::kAppliedNewSession);
  EXPECT_EQ(state.sessions_folded, 1);
  EXPECT_EQ(state.session_length, 1);
  if (has_user_level()) {
    EXPECT_NE(state.user, user_before);
  } else {
    EXPECT_TRUE(state.user.empty());
  }
}

TEST_P(RecommenderTest, NewExplicitSessionIdStartsASession) {
  UserState state = recommender_->NewUserState();
  Apply(state, 10, kT0, "a");
  EXPECT_EQ(Apply(state, 11, kT0 + kMinute, "a"), EventOutcome::kApplied);
  EXPECT_EQ(Apply(state, 12, kT0 + 2 * kMinute, "b"), EventOutcome::kAppliedNewSession);
  EXPECT_EQ(state.session_id, "b");
  // An event without an id continues the open session while within the timeout.
  EXPECT_EQ(Apply(state, 13, kT0 + 3 * kMinute), EventOutcome::kApplied);
  // The same id after a gap longer than the timeout still starts a new session.
  EXPECT_EQ(Apply(state, 14, kT0 + 90 * kMinute, "b"), EventOutcome::kAppliedNewSession);
  EXPECT_EQ(state.sessions_folded, 2);
}

TEST_P(RecommenderTest, DuplicateEventIsIgnored) {
  UserState state = recommender_->NewUserState();
  Apply(state, 10, kT0);
  const std::vector<float> session = state.session;
  EXPECT_EQ(Apply(state, 10, kT0), EventOutcome::kDuplicate);
  EXPECT_EQ(state.session, session);
  EXPECT_EQ(state.session_length, 1);
  // Same item a second later is a real repeat click.
  EXPECT_EQ(Apply(state, 10, kT0 + 1000), EventOutcome::kApplied);
  EXPECT_EQ(state.session_length, 2);
}

TEST_P(RecommenderTest, OlderEventIsAppliedWithoutMovingTimeBack) {
  UserState state = recommender_->NewUserState();
  Apply(state, 10, kT0 + 10 * kMinute);
  EXPECT_EQ(Apply(state, 11, kT0), EventOutcome::kApplied);
  EXPECT_EQ(state.last_event_ms, kT0 + 10 * kMinute);
  EXPECT_EQ(state.session_length, 2);
  // A very old event does not end the session either.
  EXPECT_EQ(Apply(state, 12, kT0 - 1000 * kMinute), EventOutcome::kApplied);
}

TEST_P(RecommenderTest, RejectsOutOfRangeItemAndForeignState) {
  UserState state = recommender_->NewUserState();
  EXPECT_THAT(recommender_->ApplyEvent(state, ItemEvent{300, kT0, ""}),
              StatusIs(absl::StatusCode::kInvalidArgument, "item index 300"));
  EXPECT_THAT(recommender_->ApplyEvent(state, ItemEvent{-1, kT0, ""}),
              StatusIs(absl::StatusCode::kInvalidArgument, "item index -1"));
  EXPECT_FALSE(state.in_session());
  UserState foreign = state;
  foreign.session.resize(10);
  EXPECT_THAT(recommender_->ApplyEvent(foreign, ItemEvent{1, kT0, ""}),
              StatusIs(absl::StatusCode::kFailedPrecondition, "shape"));
}

TEST_P(RecommenderTest, QueryStateIsLiveSessionOrSessionStartPrediction) {
  UserState state = recommender_->NewUserState();
  std::vector<float> query(24), expected(24);
  // No history: init(c = 0).
  recommender_->QueryState(state, kT0, query.data());
  reference_->InitSession(nullptr, expected.data());
  ExpectAllNear(query, expected, 1e-5f);

  Apply(state, 10, kT0);
  Apply(state, 20, kT0 + kMinute);
  recommender_->QueryState(state, kT0 + 2 * kMinute, query.data());
  EXPECT_EQ(query, state.session);

  // After the timeout: the session-start prediction from c folded with the finished session.
  recommender_->QueryState(state, kT0 + 45 * kMinute, query.data());
  std::vector<float> user = state.user;
  if (has_user_level()) reference_->UserUpdate(state.session.data(), user.data());
  reference_->InitSession(has_user_level() ? user.data() : nullptr, expected.data());
  ExpectAllNear(query, expected, 1e-4f, 1e-4f);
}

TEST_P(RecommenderTest, RankOrdersCandidatesByScore) {
  UserState state = recommender_->NewUserState();
  Apply(state, 42, kT0);
  const std::vector<int64_t> candidates = {5, 17, 250, 5, 99};
  ASSERT_OK_AND_ASSIGN(std::vector<ScoredItem> ranked, recommender_->Rank(state, kT0, candidates));
  ASSERT_EQ(ranked.size(), candidates.size());
  std::vector<float> scores(300);
  reference_->Score(state.session.data(), scores.data());
  for (size_t j = 0; j + 1 < ranked.size(); ++j) {
    EXPECT_GE(ranked[j].score, ranked[j + 1].score);
  }
  for (const ScoredItem& item : ranked) EXPECT_NEAR(item.score, scores[item.index], 1e-4f);
  // The duplicate candidate appears twice, next to itself (equal scores keep input order).
  EXPECT_EQ(
      std::count_if(ranked.begin(), ranked.end(), [](const ScoredItem& s) { return s.index == 5; }),
      2);
  EXPECT_THAT(recommender_->Rank(state, kT0, std::vector<int64_t>{1, 300}),
              StatusIs(absl::StatusCode::kInvalidArgument, "items[1] = 300"));
  ASSERT_OK_AND_ASSIGN(auto empty, recommender_->Rank(state, kT0, {}));
  EXPECT_TRUE(empty.empty());
}

TEST_P(RecommenderTest, StateTracksSessionClicksHistoryAndPurchases) {
  UserState state = recommender_->NewUserState();
  Apply(state, 5, kT0, "s1");
  Apply(state, 6, kT0 + 1500, "s1");
  Apply(state, 5, kT0 + 2000, "s1");  // A repeat: kept in the clicks, counted in the history.
  EXPECT_EQ(Apply(state, 5, kT0 + 2000, "s1"), EventOutcome::kDuplicate);  // Recorded nowhere.
  std::vector<int32_t> clicks;
  state.session_clicks.CopyTo(&clicks);
  EXPECT_EQ(clicks, (std::vector<int32_t>{5, 6, 5}));
  constexpr uint32_t kT0Seconds = kT0 / 1000;
  ASSERT_EQ(state.history.size(), 2);
  EXPECT_EQ(state.history.item(0), 5);
  EXPECT_EQ(state.history.count(0), 2);
  EXPECT_EQ(state.history.last_time_seconds(0), kT0Seconds + 2);
  EXPECT_EQ(state.history.item(1), 6);
  EXPECT_EQ(state.history.count(1), 1);
  EXPECT_EQ(state.history.last_time_seconds(1), kT0Seconds + 1);  // Floor of 1.5 s.

  recommender_->RecordPurchase(state, 6, kT0 + 9000);
  EXPECT_TRUE(state.purchased_items.Contains(6));
  EXPECT_EQ(state.history.count(1), 2) << "a purchase is an interaction";
  EXPECT_EQ(state.history.last_time_seconds(1), kT0Seconds + 9);
  EXPECT_EQ(state.session_length, 3) << "a purchase record does not step the session";
  EXPECT_EQ(state.session_clicks.size(), 3) << "nor is it a click";
  recommender_->RecordPurchase(state, 6, kT0 + 9000, /*applied_as_click=*/true);
  EXPECT_EQ(state.history.count(1), 2) << "an event both click and purchase counts once";
  recommender_->RecordPurchase(state, 8, kT0 + 10000);  // Bought without a click.
  EXPECT_TRUE(state.history.Contains(8));
  EXPECT_FALSE(state.session_clicks.Contains(8));

  Apply(state, 7, kT0 + 20000, "s2");  // A new session clears the session clicks only.
  state.session_clicks.CopyTo(&clicks);
  EXPECT_EQ(clicks, (std::vector<int32_t>{7}));
  for (int item : {5, 6, 7, 8}) EXPECT_TRUE(state.history.Contains(item)) << item;
  recommender_->EndSession(state);
  EXPECT_EQ(state.session_clicks.size(), 0);
  EXPECT_EQ(state.history.size(), 4);
  EXPECT_TRUE(state.purchased_items.Contains(6));
}

TEST_P(RecommenderTest, EventsBeforeTheEpochClampTheHistoryTime) {
  UserState state = recommender_->NewUserState();
  Apply(state, 5, -1500);
  ASSERT_EQ(state.history.size(), 1);
  EXPECT_EQ(state.history.last_time_seconds(0), 0u);
}

TEST_P(RecommenderTest, SessionLiveDependsOnTheCallersSessionId) {
  UserState state = recommender_->NewUserState();
  EXPECT_FALSE(recommender_->SessionLive(state, kT0));
  Apply(state, 5, kT0, "s1");
  EXPECT_TRUE(recommender_->SessionLive(state, kT0 + 1));
  EXPECT_TRUE(recommender_->SessionLive(state, kT0 + 1, "s1"));
  EXPECT_FALSE(recommender_->SessionLive(state, kT0 + 1, "s2"));
  EXPECT_FALSE(recommender_->SessionLive(state, kT0 + 31 * kMinute, "s1"));
  // Asking from another session gives the session-start prediction, as after a timeout.
  std::vector<float> other(24), expired(24);
  recommender_->QueryState(state, kT0 + 1, "s2", other.data());
  recommender_->QueryState(state, kT0 + 31 * kMinute, expired.data());
  EXPECT_EQ(other, expired);
}

INSTANTIATE_TEST_SUITE_P(Modes, RecommenderTest, ::hrnn::testing::AllModelModes(),
                         ::hrnn::testing::ModelModeTestName);

TEST(SessionPolicyTest, RejectsNonPositiveTimeout) {
  EXPECT_THAT(SessionPolicy{0}.Validate(), StatusIs(absl::StatusCode::kInvalidArgument, "timeout"));
  EXPECT_OK(SessionPolicy{1}.Validate());
}

}  // namespace
}  // namespace hrnn
