#include "core/serving/recommendation_pipeline.h"

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/model_modes.h"
#include "tests/testing/scored_items.h"
#include "tests/testing/status_matchers.h"

namespace hrnn {
namespace {

using ::hrnn::testing::Indices;
using ::hrnn::testing::StatusIs;

constexpr int64_t kMinute = 60 * 1000;
constexpr int64_t kT0 = 1'700'000'000'000;  // Some time in 2023, in ms.
constexpr int kItems = 300;

class RecommendationPipelineTest : public ::testing::TestWithParam<ModelMode> {
 protected:
  void SetUp() override {
    ModelConfig config;
    config.mode = GetParam();
    config.num_items = kItems;
    config.hidden_size = 24;
    config.user_hidden_size = 16;
    model_ = Model::CreateRandom(config, 7);
    ASSERT_OK_AND_ASSIGN(auto network, HrnnNetwork::Create(model_));
    serving_ = MakeServingModel(network, SessionPolicy{30 * kMinute});
    reference_ = std::make_unique<HrnnReference>(model_);
  }

  void Apply(UserState& state, int64_t item, int64_t t, absl::string_view session = "") {
    ASSERT_OK(serving_->recommender->ApplyEvent(state, ItemEvent{item, t, session}).status());
  }
  // Item indices by the reference network's scores for the session vector, best first.
  std::vector<int> ReferenceOrder(const UserState& state, std::vector<float>* scores) const {
    scores->assign(kItems, 0.0f);
    reference_->Score(state.session.data(), scores->data());
    std::vector<int> order(kItems);
    for (int i = 0; i < kItems; ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [&](int a, int b) { return (*scores)[a] > (*scores)[b]; });
    return order;
  }
  RecommendationRequest Request(int64_t now_ms, int num_results) const {
    RecommendationRequest request;
    request.now_ms = now_ms;
    request.num_results = num_results;
    return request;
  }

  std::shared_ptr<const Model> model_;
  std::shared_ptr<ServingModel> serving_;
  std::unique_ptr<HrnnReference> reference_;
};

TEST_P(RecommendationPipelineTest, RecommendRanksReferenceScoresAndHonoursExclusions) {
  UserState state = serving_->NewUserState();
  Apply(state, 10, kT0);
  Apply(state, 20, kT0 + kMinute);
  std::vector<float> scores;
  const std::vector<int> order = ReferenceOrder(state, &scores);

  const Recommendation top =
      Recommend(serving_, state, true, Request(kT0 + kMinute, 5), ScoringMode::kSingle);
  EXPECT_EQ(top.answer_state, AnswerState::kSession);
  ASSERT_EQ(top.items.size(), 5u);
  for (int j = 0; j < 5; ++j) {
    EXPECT_EQ(top.items[j].index, order[j]) << "rank " << j;
    EXPECT_NEAR(top.items[j].score, scores[order[j]], 1e-4f);
  }
  RecommendationRequest request = Request(kT0 + kMinute, 3);
  request.filter.exclude_items = {order[0], order[2]};
  const Recommendation filtered = Recommend(serving_, state, true, request, ScoringMode::kSingle);
  EXPECT_THAT(Indices(filtered.items), ::testing::ElementsAre(order[1], order[3], order[4]));
}

TEST_P(RecommendationPipelineTest, EveryScoringModeGivesTheSameItems) {
  UserState state = serving_->NewUserState();
  Apply(state, 3, kT0);
  Apply(state, 8, kT0 + 1);
  const RecommendationRequest request = Request(kT0 + 2, 50);
  const Recommendation single = Recommend(serving_, state, true, request, ScoringMode::kSingle);
  const Recommendation naive = Recommend(serving_, state, true, request, ScoringMode::kNaive);
  // The batched path: Prepare, one shared pass (here the pass's own scores), Finish.
  PreparedRecommendation prepared =
      PrepareRecommendation(serving_, state, true, request, ScoringMode::kBatched);
  ASSERT_FALSE(prepared.items.has_value());
  std::vector<float> scores(kItems);
  serving_->network->ScoreBatch({prepared.pass.query.data()}, {scores.data()});
  const std::vector<ScoredItem> batched = FinishRecommendation(prepared.pass, scores).items;
  EXPECT_EQ(Indices(naive.items), Indices(single.items));
  EXPECT_EQ(Indices(batched), Indices(single.items));
  for (size_t i = 0; i < single.items.size(); ++i) {
    EXPECT_NEAR(naive.items[i].score, single.items[i].score, 1e-4f) << i;
  }
}

TEST_P(RecommendationPipelineTest, AnInt8TableReturnsTheFp32ListWithExactScores) {
  NetworkOptions options;
  options.item_table_type = ElementType::kInt8;
  ASSERT_OK_AND_ASSIGN(auto network, HrnnNetwork::Create(model_, options));
  std::shared_ptr<ServingModel> int8 = MakeServingModel(network, SessionPolicy{30 * kMinute});
  for (int64_t first = 0; first < 20; ++first) {
    UserState state = serving_->NewUserState();
    Apply(state, first, kT0);
    Apply(state, (first * 7 + 3) % kItems, kT0 + 1);
    UserState same = int8->NewUserState();
    ASSERT_OK(int8->recommender->ApplyEvent(same, ItemEvent{first, kT0, ""}).status());
    ASSERT_OK(int8->recommender->ApplyEvent(same, ItemEvent{(first * 7 + 3) % kItems, kT0 + 1, ""})
                  .status());
    const RecommendationRequest request = Request(kT0 + 2, 25);
    const Recommendation exact = Recommend(serving_, state, true, request, ScoringMode::kSingle);
    for (ScoringMode mode : {ScoringMode::kSingle, ScoringMode::kBatched}) {
      const Recommendation got = Recommend(int8, same, true, request, mode);
      EXPECT_EQ(Indices(got.items), Indices(exact.items)) << first;
      for (size_t i = 0; i < got.items.size(); ++i) {
        EXPECT_NEAR(got.items[i].score, exact.items[i].score, 1e-4f) << first << " " << i;
      }
    }
  }
}

TEST_P(RecommendationPipelineTest, HistoryFiltersExcludeWhatTheStateHolds) {
  UserState state = serving_->NewUserState();
  Apply(state, 1, kT0, "s1");
  Apply(state, 2, kT0 + 1, "s1");
  serving_->recommender->RecordPurchase(state, 7, kT0 + 1);
  Apply(state, 4, kT0 + 2, "s2");  // A new session: items 1 and 2 are history now.
  const auto all = [&](const ItemFilter& filter) {
    RecommendationRequest request = Request(kT0 + 3, kItems);
    request.filter = filter;
    return Indices(Recommend(serving_, state, true, request, ScoringMode::kSingle).items);
  };
  const auto has = [](const std::vector<int32_t>& items, int32_t item) {
    return std::find(items.begin(), items.end(), item) != items.end();
  };
  EXPECT_EQ(all(ItemFilter()).size(), static_cast<size_t>(kItems));
  ItemFilter session;
  session.exclude_session_items = true;
  const auto without_session = all(session);
  EXPECT_FALSE(has(without_session, 4));
  EXPECT_TRUE(has(without_session, 1));
  ItemFilter history;
  history.exclude_user_history = true;
  const auto without_history = all(history);
  EXPECT_FALSE(has(without_history, 1));
  EXPECT_FALSE(has(without_history, 2));
  EXPECT_FALSE(has(without_history, 4));
  EXPECT_FALSE(has(without_history, 7)) << "a purchase is part of the history";
  ItemFilter purchased;
  purchased.exclude_purchased = true;
  const auto without_purchased = all(purchased);
  EXPECT_FALSE(has(without_purchased, 7));
  EXPECT_EQ(without_purchased.size(), static_cast<size_t>(kItems - 1));
  // Once the session has expired it is no longer "the session": its items stay recommendable.
  RecommendationRequest later = Request(kT0 + 31 * kMinute, kItems);
  later.filter = session;
  const Recommendation expired = Recommend(serving_, state, true, later, ScoringMode::kSingle);
  EXPECT_EQ(expired.answer_state, AnswerState::kUser);
  EXPECT_EQ(expired.items.size(), static_cast<size_t>(kItems));
}

TEST_P(RecommendationPipelineTest, UnavailableItemsAreNeverRecommended) {
  const UserState state = serving_->NewUserState();
  const RecommendationRequest request = Request(kT0, 3);
  const Recommendation before = Recommend(serving_, state, false, request, ScoringMode::kSingle);
  EXPECT_EQ(before.answer_state, AnswerState::kNewUser);
  ASSERT_EQ(before.items.size(), 3u);
  const std::vector<std::pair<int64_t, bool>> out_of_stock = {{before.items[0].index, false}};
  serving_->availability->Update(out_of_stock);
  const Recommendation after = Recommend(serving_, state, false, request, ScoringMode::kSingle);
  EXPECT_EQ(after.items[0].index, before.items[1].index);
  EXPECT_EQ(after.items[1].index, before.items[2].index);
  // Ranking is an explicit question about the listed items: availability does not remove them.
  const std::vector<int64_t> candidates = {before.items[0].index, before.items[1].index};
  ASSERT_OK_AND_ASSIGN(Recommendation ranked,
                       RankCandidates(*serving_, state, false, request, candidates));
  EXPECT_EQ(ranked.items.size(), 2u);
}

TEST_P(RecommendationPipelineTest, IncludeListIsScoredWithoutACataloguePass) {
  UserState state = serving_->NewUserState();
  Apply(state, 10, kT0);
  std::vector<float> scores;
  const std::vector<int> order = ReferenceOrder(state, &scores);
  RecommendationRequest request = Request(kT0 + 1, 2);
  // Listed worst first, with a duplicate, an excluded item and one outside the catalogue.
  request.filter.include_items =
      std::vector<int64_t>{order[5], order[1], order[5], order[0], order[3], kItems + 4};
  request.filter.exclude_items = {order[0]};
  const PreparedRecommendation prepared =
      PrepareRecommendation(serving_, state, true, request, ScoringMode::kBatched);
  ASSERT_TRUE(prepared.items.has_value());
  EXPECT_THAT(Indices(*prepared.items), ::testing::ElementsAre(order[1], order[3]));
  request.filter.include_items = std::vector<int64_t>();
  EXPECT_TRUE(Recommend(serving_, state, true, request, ScoringMode::kSingle).items.empty());
}

TEST_P(RecommendationPipelineTest, RankCandidatesRejectsIndicesOutsideTheCatalogue) {
  const UserState state = serving_->NewUserState();
  const std::vector<int64_t> candidates = {1, kItems};
  EXPECT_THAT(RankCandidates(*serving_, state, false, Request(kT0, 1), candidates),
              StatusIs(absl::StatusCode::kInvalidArgument, "items"));
}

INSTANTIATE_TEST_SUITE_P(Modes, RecommendationPipelineTest, ::hrnn::testing::AllModelModes(),
                         ::hrnn::testing::ModelModeTestName);

TEST(ScoringModeTest, NamesParseBackAndUnknownNamesAreRefused) {
  for (ScoringMode mode : {ScoringMode::kBatched, ScoringMode::kSingle, ScoringMode::kNaive}) {
    ASSERT_OK_AND_ASSIGN(ScoringMode parsed, ParseScoringMode(ScoringModeName(mode)));
    EXPECT_EQ(parsed, mode);
  }
  EXPECT_THAT(ParseScoringMode("fast"),
              StatusIs(absl::StatusCode::kInvalidArgument, "\"fast\" is not batched"));
}

}  // namespace
}  // namespace hrnn
