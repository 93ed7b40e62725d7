// GetSimilarItems in core: the co-occurrence term by hand on four past sessions, the GRU term
// against GetRecommendations after a one-click session, the blend of both computed by hand with
// blend.h's terms, and the filters (include list, availability, the caller's session, the item
// itself).
#include "core/serving/similar_items.h"

#include <algorithm>
#include <memory>
#include <vector>

#include "core/recipes/blend.h"
#include "core/recipes/item_cooccurrence.h"
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
using ::testing::IsEmpty;
using ::testing::Not;

constexpr int64_t kMinute = 60 * 1000;
constexpr int64_t kT0 = 1'700'000'000'000;  // ms.
constexpr int kItems = 10;

class SimilarItemsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ModelConfig config;
    config.mode = ModelMode::kHrnnInit;
    config.num_items = kItems;
    config.hidden_size = 8;
    config.user_hidden_size = 8;
    ASSERT_OK_AND_ASSIGN(network_, HrnnNetwork::Create(Model::CreateRandom(config, 5)));
    // Past sessions: [1 2 3], [1 2], [2 4], [5 6].
    sessions_.num_items = kItems;
    const int32_t a[] = {1, 2, 3}, b[] = {1, 2}, c[] = {2, 4}, d[] = {5, 6};
    for (absl::Span<const int32_t> s :
         {absl::Span<const int32_t>(a), absl::Span<const int32_t>(b), absl::Span<const int32_t>(c),
          absl::Span<const int32_t>(d)}) {
      sessions_.Add(s, kT0 / 1000);
    }
  }

  // A model version with recipes whose similar-items blend has the given weights.
  std::shared_ptr<ServingModel> WithRecipes(double cooccurrence_weight, double hrnn_weight) {
    auto serving = MakeServingModel(network_, SessionPolicy{30 * kMinute});
    RecipeSettings settings;
    settings.recipes = {RecipeKind::kHrnn, RecipeKind::kTrending};
    settings.default_recipe = RecipeKind::kHrnn;
    settings.similar_items.cooccurrence_weight = cooccurrence_weight;
    settings.similar_items.hrnn_weight = hrnn_weight;
    absl::StatusOr<std::unique_ptr<const RecipeBundle>> bundle =
        RecipeBundle::Build(settings, sessions_, kItems);
    EXPECT_OK(bundle.status());
    if (bundle.ok()) serving->recipes = *std::move(bundle);
    return serving;
  }

  static Recommendation Similar(const std::shared_ptr<ServingModel>& model, int64_t item, int k,
                                ItemFilter filter = {}, const UserState* state = nullptr) {
    SimilarItemsRequest request;
    request.item = item;
    request.num_results = k;
    request.now_ms = kT0 + kMinute;
    request.filter = std::move(filter);
    const UserState fresh = model->NewUserState();
    return SimilarItems(model, state != nullptr ? *state : fresh, state != nullptr, request,
                        ScoringMode::kSingle);
  }

  std::shared_ptr<const HrnnNetwork> network_;
  TrainingSessions sessions_;
};

TEST_F(SimilarItemsTest, CooccurrenceCountsTheSessionsThatShareTheItem) {
  ASSERT_OK_AND_ASSIGN(auto index, SessionKnnIndex::Build(kItems, IndexedSessionsOf(sessions_),
                                                          SessionKnnOptions()));
  SessionKnnScratch scratch;
  SparseScores scores(kItems);
  // Item 1 is in [1 2 3] and [1 2], each of similarity 1 to the session {1}: 1 -> 2, 2 -> 2,
  // 3 -> 1.
  ASSERT_OK(ScoreItemCooccurrence(*index, 1, &scratch, &scores));
  EXPECT_FLOAT_EQ(scores.Get(1), 2.0f);
  EXPECT_FLOAT_EQ(scores.Get(2), 2.0f);
  EXPECT_FLOAT_EQ(scores.Get(3), 1.0f);
  EXPECT_FLOAT_EQ(scores.Get(4), 0.0f);
  scores.Clear();
  // Item 0 is in no session: nothing.
  ASSERT_OK(ScoreItemCooccurrence(*index, 0, &scratch, &scores));
  EXPECT_THAT(scores.touched(), IsEmpty());
  EXPECT_THAT(ScoreItemCooccurrence(*index, kItems, &scratch, &scores),
              StatusIs(absl::StatusCode::kInvalidArgument, ""));
}

TEST_F(SimilarItemsTest, CooccurrenceAloneRanksByNormalisedCountThenBackFills) {
  auto model = WithRecipes(/*cooccurrence_weight=*/1, /*hrnn_weight=*/0);
  const Recommendation answer = Similar(model, 1, 4);
  EXPECT_EQ(answer.recipe, RecipeKind::kAuto);
  EXPECT_EQ(answer.answer_state, AnswerState::kNewUser);
  // 2 -> 2 / 2 = 1, 3 -> 1 / 2; the item itself is left out; then index order: 0, 4.
  EXPECT_THAT(Indices(answer.items), ElementsAre(2, 3, 0, 4));
  EXPECT_FLOAT_EQ(answer.items[0].score, 1.0f);
  EXPECT_FLOAT_EQ(answer.items[1].score, 0.5f);
  EXPECT_FLOAT_EQ(answer.items[2].score, 0.0f);
  EXPECT_EQ(answer.backfilled, 2);
}

TEST_F(SimilarItemsTest, WithoutRecipesTheGruAnswersAfterAOneClickSession) {
  auto plain = MakeServingModel(network_, SessionPolicy{30 * kMinute});
  const Recommendation answer = Similar(plain, 4, 5);
  EXPECT_EQ(answer.recipe, RecipeKind::kHrnn);
  // The reference: GetRecommendations for a user whose only click is item 4, without item 4.
  UserState clicked = plain->NewUserState();
  ASSERT_OK(plain->recommender->ApplyEvent(clicked, ItemEvent{4, kT0 + kMinute, ""}).status());
  RecommendationRequest request;
  request.now_ms = kT0 + kMinute;
  request.num_results = 5;
  request.filter.exclude_items = {4};
  const Recommendation reference = Recommend(plain, clicked, true, request, ScoringMode::kSingle);
  ASSERT_EQ(reference.recipe, RecipeKind::kHrnn);
  EXPECT_EQ(Indices(answer.items), Indices(reference.items));
  for (size_t i = 0; i < answer.items.size(); ++i) {
    EXPECT_FLOAT_EQ(answer.items[i].score, reference.items[i].score);
  }
}

TEST_F(SimilarItemsTest, TheBlendIsBlendHsScoreOfBothTerms) {
  auto model = WithRecipes(/*cooccurrence_weight=*/2, /*hrnn_weight=*/0.5);
  SimilarItemsRequest request;
  request.item = 2;
  request.num_results = kItems - 1;
  request.now_ms = kT0 + kMinute;
  PreparedRecommendation prepared =
      PrepareSimilarItems(model, model->NewUserState(), false, request, ScoringMode::kSingle);
  std::vector<float> logits(kItems);
  ScoreCatalogue(prepared.pass, absl::MakeSpan(logits));
  // Item 2 is in all of [1 2 3], [1 2], [2 4] (similarity 1 each): 1 -> 2, 3 -> 1, 4 -> 1;
  // normalised by the maximum, 3 (item 2 itself): 1 -> 2/3, 3 -> 1/3, 4 -> 1/3.
  const float cooccurrence[kItems] = {0, 2.0f / 3, 1, 1.0f / 3, 1.0f / 3, 0, 0, 0, 0, 0};
  const float max_logit = GruMaxLogit(logits);
  BlendWeights weights;
  weights.Set(BlendComponent::kSknn, 2);
  weights.Set(BlendComponent::kHrnn, 0.5);
  std::vector<ScoredItem> expected;
  for (int32_t i = 0; i < kItems; ++i) {
    if (i == 2) continue;
    BlendTerms terms{};
    terms[ComponentIndex(BlendComponent::kSknn)] = cooccurrence[i];
    terms[ComponentIndex(BlendComponent::kHrnn)] = GruBlendTerm(logits[i], max_logit);
    expected.push_back({i, BlendedScore(weights, terms)});
  }
  std::stable_sort(expected.begin(), expected.end(),
                   [](const ScoredItem& a, const ScoredItem& b) { return a.score > b.score; });

  const Recommendation answer = Similar(model, 2, kItems - 1);
  ASSERT_EQ(answer.items.size(), expected.size());
  EXPECT_EQ(Indices(answer.items), Indices(expected));
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_FLOAT_EQ(answer.items[i].score, expected[i].score) << "rank " << i;
  }
  // The co-occurring items all outrank the others: their term adds at least 2 / 3.
  const std::vector<int32_t> order = Indices(answer.items);
  EXPECT_THAT(std::vector<int32_t>(order.begin(), order.begin() + 3),
              ::testing::UnorderedElementsAre(1, 3, 4));
}

TEST_F(SimilarItemsTest, AnIncludeListRestrictsTheCandidatesAndKeepsTheBlendOrder) {
  auto model = WithRecipes(1, 0);
  ItemFilter filter;
  filter.include_items = std::vector<int64_t>{3, 7, 1, 1, 99, -4};
  // Listed and in the catalogue: 3, 7 (1 is the item itself). 3 co-occurs; 7 is back-filled.
  const Recommendation answer = Similar(model, 1, 5, filter);
  EXPECT_THAT(Indices(answer.items), ElementsAre(3, 7));
}

TEST_F(SimilarItemsTest, UnavailableAndExplicitlyExcludedItemsAreLeftOut) {
  auto model = WithRecipes(1, 0);
  const std::pair<int64_t, bool> out_of_stock[] = {{2, false}};
  model->availability->Update(out_of_stock);
  ItemFilter filter;
  filter.exclude_items = {0};
  EXPECT_THAT(Indices(Similar(model, 1, 3, filter).items), ElementsAre(3, 4, 5));
}

TEST_F(SimilarItemsTest, SessionFiltersApplyToTheCallersState) {
  auto model = WithRecipes(1, 0);
  UserState state = model->NewUserState();
  ASSERT_OK(model->recommender->ApplyEvent(state, ItemEvent{2, kT0, ""}).status());
  ItemFilter filter;
  filter.exclude_session_items = true;
  const Recommendation answer = Similar(model, 1, 2, filter, &state);
  EXPECT_EQ(answer.answer_state, AnswerState::kSession);
  EXPECT_THAT(Indices(answer.items), ElementsAre(3, 0));
  // Without a user the same filter has nothing to exclude.
  EXPECT_THAT(Indices(Similar(model, 1, 2, filter).items), ElementsAre(2, 3));
}

TEST_F(SimilarItemsTest, EveryModeGivesTheSameItems) {
  auto model = WithRecipes(1, 1);
  SimilarItemsRequest request;
  request.item = 5;
  request.num_results = 4;
  request.now_ms = kT0;
  std::vector<int32_t> first;
  for (ScoringMode mode : {ScoringMode::kSingle, ScoringMode::kBatched, ScoringMode::kNaive}) {
    const Recommendation answer = SimilarItems(model, model->NewUserState(), false, request, mode);
    ASSERT_EQ(answer.items.size(), 4u);
    EXPECT_EQ(answer.items[0].index, 6) << ScoringModeName(mode);  // The one co-occurring item.
    if (first.empty()) first = Indices(answer.items);
    EXPECT_EQ(Indices(answer.items), first) << ScoringModeName(mode);
    EXPECT_THAT(Indices(answer.items), Not(::testing::Contains(5)));
  }
}

TEST(SimilarItemsOptionsTest, ValidateNamesTheWeight) {
  SimilarItemsOptions options;
  EXPECT_OK(options.Validate());
  options.hrnn_weight = -1;
  EXPECT_THAT(options.Validate(),
              StatusIs(absl::StatusCode::kInvalidArgument, "similar_items.hrnn: must be"));
  options.hrnn_weight = 0;
  options.cooccurrence_weight = 0;
  EXPECT_THAT(options.Validate(),
              StatusIs(absl::StatusCode::kInvalidArgument, "needs a positive weight"));
  options.cooccurrence_weight = std::nan("");
  EXPECT_THAT(options.Validate(),
              StatusIs(absl::StatusCode::kInvalidArgument, "similar_items.cooccurrence"));
}

}  // namespace
}  // namespace hrnn
