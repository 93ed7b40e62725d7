// The recipes as the pipeline serves them: hand-computed answers of sknn, sr, personal and
// trending from a user's state, the back-fill, the trending fallback for users without state,
// and recipe resolution.
#include "core/serving/recipe_scoring.h"

#include <limits>
#include <memory>
#include <vector>

#include "core/serving/recommendation_pipeline.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/scored_items.h"
#include "tests/testing/status_matchers.h"

namespace hrnn {
namespace {

using ::hrnn::testing::Indices;
using ::hrnn::testing::StatusIs;
using ::testing::ElementsAre;

constexpr int64_t kMinute = 60 * 1000;
constexpr int64_t kT0 = 1'700'000'000'000;  // ms.
constexpr int kItems = 10;

class RecipeScoringTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ModelConfig config;
    config.mode = ModelMode::kHrnnInit;
    config.num_items = kItems;
    config.hidden_size = 8;
    config.user_hidden_size = 8;
    ASSERT_OK_AND_ASSIGN(auto network, HrnnNetwork::Create(Model::CreateRandom(config, 3)));
    serving_ = MakeServingModel(network, SessionPolicy{30 * kMinute});
    serving_->version = 4;
    // Past sessions (all ending at kT0 / 1000 s): [1 2 3], [1 2], [2 4], [5 6].
    TrainingSessions sessions;
    sessions.num_items = kItems;
    const int32_t a[] = {1, 2, 3}, b[] = {1, 2}, c[] = {2, 4}, d[] = {5, 6};
    for (absl::Span<const int32_t> s :
         {absl::Span<const int32_t>(a), absl::Span<const int32_t>(b), absl::Span<const int32_t>(c),
          absl::Span<const int32_t>(d)}) {
      sessions.Add(s, kT0 / 1000);
    }
    RecipeSettings settings;
    settings.recipes = {RecipeKind::kHrnn, RecipeKind::kSknn, RecipeKind::kSr,
                        RecipeKind::kPersonal, RecipeKind::kTrending};
    settings.default_recipe = RecipeKind::kSknn;
    settings.personal.half_life_seconds = 3600;
    settings.trending.half_life_seconds = 3600;
    ASSERT_OK_AND_ASSIGN(serving_->recipes, RecipeBundle::Build(settings, sessions, kItems));
    model_ = serving_;
  }

  void Click(UserState& state, int64_t item, int64_t t) {
    ASSERT_OK(serving_->recommender->ApplyEvent(state, ItemEvent{item, t, ""}).status());
  }
  Recommendation Ask(const UserState& state, bool known, std::optional<RecipeKind> recipe, int k,
                     int64_t now = kT0 + kMinute) {
    RecommendationRequest request;
    request.now_ms = now;
    request.num_results = k;
    request.recipe = recipe;
    return Recommend(model_, state, known, request, ScoringMode::kSingle);
  }

  std::shared_ptr<ServingModel> serving_;
  std::shared_ptr<const ServingModel> model_;
};

TEST_F(RecipeScoringTest, SknnScoresTheLiveSessionAgainstPastSessions) {
  UserState state = serving_->NewUserState();
  Click(state, 1, kT0);
  // Prefix [1]: w(1) = 1; neighbours containing 1: [1 2 3] and [1 2], vec similarity 1 / 1 = 1.
  // Scores: 1 -> 2, 2 -> 2, 3 -> 1. Ties by lower index. Then back-fill from trending
  // (item 2 is the most clicked: 3 times; then 1: 2 + the live click...).
  const Recommendation answer = Ask(state, true, RecipeKind::kSknn, 3);
  EXPECT_EQ(answer.recipe, RecipeKind::kSknn);
  EXPECT_THAT(Indices(answer.items), ElementsAre(1, 2, 3));
  EXPECT_FLOAT_EQ(answer.items[0].score, 2.0f);
  EXPECT_FLOAT_EQ(answer.items[2].score, 1.0f);
  EXPECT_EQ(answer.backfilled, 0);
}

TEST_F(RecipeScoringTest, SparseAnswersAreBackFilledFromTrending) {
  UserState state = serving_->NewUserState();
  Click(state, 5, kT0);
  // sr from 5: only 5 -> 6 (weight 1). Then trending: 2 (3 clicks), 1 (2), then 3, 4, 5, 6
  // (1 each: ties by lower index), skipping 6, already listed.
  const Recommendation answer = Ask(state, true, RecipeKind::kSr, 4);
  EXPECT_EQ(answer.recipe, RecipeKind::kSr);
  EXPECT_THAT(Indices(answer.items), ElementsAre(6, 2, 1, 3));
  EXPECT_EQ(answer.backfilled, 3);
}

TEST_F(RecipeScoringTest, PopularityFillsWhatTrendingCannot) {
  UserState state = serving_->NewUserState();
  // Trending knows 1..6; items 0, 7, 8, 9 come from the popularity order (index order).
  const Recommendation answer = Ask(state, false, RecipeKind::kTrending, kItems);
  EXPECT_EQ(answer.recipe, RecipeKind::kTrending);
  EXPECT_THAT(Indices(answer.items), ElementsAre(2, 1, 3, 4, 5, 6, 0, 7, 8, 9));
  EXPECT_FLOAT_EQ(answer.items.back().score, 0.0f);
}

TEST_F(RecipeScoringTest, SessionRecipesOutsideASessionFallBackToTrending) {
  UserState state = serving_->NewUserState();
  Click(state, 1, kT0);
  // An hour later the session has expired: sknn has no session to continue.
  const Recommendation answer = Ask(state, true, RecipeKind::kSknn, 2, kT0 + 60 * kMinute);
  EXPECT_EQ(answer.recipe, RecipeKind::kTrending);
  EXPECT_EQ(answer.backfilled, 0);
  EXPECT_THAT(Indices(answer.items), ElementsAre(2, 1));
}

TEST_F(RecipeScoringTest, PersonalCountsTheUsersOwnItemsWithDecay) {
  UserState state = serving_->NewUserState();
  Click(state, 7, kT0 - 120 * kMinute);  // Two half-lives ago: weighs 1/4 at kT0.
  Click(state, 8, kT0);
  Click(state, 7, kT0 - 120 * kMinute + 1000);
  // At kT0: 8 -> 1, 7 -> 2 * 2^(-(7200 - 1) / 3600) ~ 0.5002 (count times the latest's decay).
  const Recommendation answer = Ask(state, true, RecipeKind::kPersonal, 2, kT0);
  EXPECT_EQ(answer.recipe, RecipeKind::kPersonal);
  EXPECT_THAT(Indices(answer.items), ElementsAre(8, 7));
  EXPECT_NEAR(answer.items[1].score, 2 * std::exp2(-(7200.0 - 1) / 3600), 1e-5);
}

TEST_F(RecipeScoringTest, PersonalWeighsTheLiveSessionBySessionWeight) {
  RecipeSettings settings = serving_->recipes->settings();
  settings.personal.half_life_seconds = std::numeric_limits<double>::infinity();
  settings.personal.session_weight = 0;
  TrainingSessions none;
  none.num_items = kItems;
  ASSERT_OK_AND_ASSIGN(serving_->recipes, RecipeBundle::Build(settings, none, kItems));
  UserState state = serving_->NewUserState();
  Click(state, 7, kT0 - 120 * kMinute);  // An earlier session.
  Click(state, 7, kT0);                  // The live session: 7 again, then 8.
  Click(state, 8, kT0 + 1000);
  // Weight 0: 7 counts its one earlier interaction, 8 (only in the session) nothing; the
  // back-fill is popularity (no trending seed), which ranks 0 first.
  Recommendation answer = Ask(state, true, RecipeKind::kPersonal, 2);
  EXPECT_EQ(answer.recipe, RecipeKind::kPersonal);
  EXPECT_THAT(Indices(answer.items), ElementsAre(7, 0));
  EXPECT_EQ(answer.items[0].score, 1.0f);
  EXPECT_EQ(answer.backfilled, 1);
  // Once the session has expired its clicks are plain history: 7 -> 2, 8 -> 1.
  answer = Ask(state, true, RecipeKind::kPersonal, 2, kT0 + 60 * kMinute);
  EXPECT_THAT(Indices(answer.items), ElementsAre(7, 8));
  EXPECT_EQ(answer.items[0].score, 2.0f);
  EXPECT_EQ(answer.items[1].score, 1.0f);
}

TEST_F(RecipeScoringTest, PersonalReadsTheUsersTrainingHistoryById) {
  RecipeSettings settings = serving_->recipes->settings();
  settings.personal.half_life_seconds = std::numeric_limits<double>::infinity();
  UserItemHistory users;
  users.set_num_items(kItems);
  users.Add("ann", {{4, 5, kT0 / 1000 - 86400, 0}, {7, 1, kT0 / 1000 - 86400, 0}}, 100);
  TrainingSessions none;
  none.num_items = kItems;
  ASSERT_OK_AND_ASSIGN(serving_->recipes,
                       RecipeBundle::Build(settings, none, kItems, LiveSessionsOptions(), users));
  UserState state = serving_->NewUserState();
  Click(state, 7, kT0);  // Live: 7 twice (weight 1), 9 once.
  Click(state, 9, kT0 + 1000);
  Click(state, 7, kT0 + 2000);
  RecommendationRequest request;
  request.now_ms = kT0 + kMinute;
  request.num_results = 3;
  request.recipe = RecipeKind::kPersonal;
  request.user_id = "ann";
  // Per item the larger of the live and the training part: 4 -> 5 (training), 7 -> 2 (live
  // 2 > training 1), 9 -> 1 (live).
  Recommendation answer = Recommend(model_, state, true, request, ScoringMode::kSingle);
  EXPECT_EQ(answer.recipe, RecipeKind::kPersonal);
  EXPECT_THAT(Indices(answer.items), ElementsAre(4, 7, 9));
  EXPECT_EQ(answer.items[0].score, 5.0f);
  EXPECT_EQ(answer.items[1].score, 2.0f);
  // Another user (or none) has only the live part.
  request.user_id = "bob";
  answer = Recommend(model_, state, true, request, ScoringMode::kSingle);
  EXPECT_THAT(Indices(answer.items), ElementsAre(7, 9, 0));
  EXPECT_EQ(answer.backfilled, 1);

  // Without live state (say, evicted), auto still answers a user with training history — its
  // personal term leads with item 4 — and falls back to trending for one without.
  settings.recipes.push_back(RecipeKind::kAuto);
  settings.blend = {{"hrnn", 0.01}, {"personal", 1}};
  ASSERT_OK_AND_ASSIGN(serving_->recipes,
                       RecipeBundle::Build(settings, none, kItems, LiveSessionsOptions(), users));
  request.recipe = RecipeKind::kAuto;
  request.user_id = "ann";
  answer = Recommend(model_, serving_->NewUserState(), false, request, ScoringMode::kSingle);
  EXPECT_EQ(answer.recipe, RecipeKind::kAuto);
  EXPECT_EQ(answer.answer_state, AnswerState::kNewUser);
  ASSERT_FALSE(answer.items.empty());
  EXPECT_EQ(answer.items[0].index, 4);
  request.user_id = "bob";
  EXPECT_EQ(
      Recommend(model_, serving_->NewUserState(), false, request, ScoringMode::kSingle).recipe,
      RecipeKind::kTrending);
}

TEST_F(RecipeScoringTest, FiltersApplyToEveryRecipe) {
  UserState state = serving_->NewUserState();
  Click(state, 1, kT0);
  RecommendationRequest request;
  request.now_ms = kT0 + kMinute;
  request.num_results = 2;
  request.recipe = RecipeKind::kSknn;
  request.filter.exclude_session_items = true;
  request.filter.exclude_items = {2};
  const std::pair<int64_t, bool> out_of_stock[] = {{3, false}};
  serving_->availability->Update(out_of_stock);
  const Recommendation answer = Recommend(model_, state, true, request, ScoringMode::kSingle);
  // sknn's 1, 2, 3 are all excluded (session item, listed, unavailable): trending fills.
  EXPECT_EQ(answer.recipe, RecipeKind::kTrending);
  EXPECT_THAT(Indices(answer.items), ElementsAre(4, 5));
}

TEST_F(RecipeScoringTest, UsersWithoutStateGetTrendingInsteadOfTheGru) {
  const Recommendation answer = Ask(serving_->NewUserState(), false, RecipeKind::kHrnn, 2);
  EXPECT_EQ(answer.recipe, RecipeKind::kTrending);
  EXPECT_EQ(answer.answer_state, AnswerState::kNewUser);
  EXPECT_THAT(Indices(answer.items), ElementsAre(2, 1));

  UserState state = serving_->NewUserState();
  Click(state, 1, kT0);
  EXPECT_EQ(Ask(state, true, RecipeKind::kHrnn, 2).recipe, RecipeKind::kHrnn);
  // No recipe asked: the model's default (sknn here).
  EXPECT_EQ(Ask(state, true, std::nullopt, 2).recipe, RecipeKind::kSknn);
}

TEST_F(RecipeScoringTest, TrendingFollowsTheLiveStream) {
  for (int i = 0; i < 5; ++i) ASSERT_OK(serving_->recipes->trending()->Record(9, kT0 / 1000));
  const Recommendation answer = Ask(serving_->NewUserState(), false, RecipeKind::kTrending, 1);
  EXPECT_THAT(Indices(answer.items), ElementsAre(9));
}

TEST_F(RecipeScoringTest, ResolveRecipeNamesWhatTheVersionServes) {
  ASSERT_OK_AND_ASSIGN(RecipeKind kind, ResolveRecipe(*model_, std::nullopt));
  EXPECT_EQ(kind, RecipeKind::kSknn);
  ASSERT_OK_AND_ASSIGN(kind, ResolveRecipe(*model_, RecipeKind::kSr));
  EXPECT_EQ(kind, RecipeKind::kSr);
  EXPECT_THAT(ResolveRecipe(*model_, RecipeKind::kAuto),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "recipe: model version 4 does not serve \"auto\" (it serves hrnn, sknn, sr, "
                       "personal, trending)"));
  auto plain = MakeServingModel(serving_->network, SessionPolicy{30 * kMinute});
  EXPECT_THAT(ResolveRecipe(*plain, RecipeKind::kSknn),
              StatusIs(absl::StatusCode::kInvalidArgument, "(it serves hrnn)"));
  ASSERT_OK_AND_ASSIGN(kind, ResolveRecipe(*plain, std::nullopt));
  EXPECT_EQ(kind, RecipeKind::kHrnn);
}

}  // namespace
}  // namespace hrnn
