// Promotions: how many slots, where the promoted items go (PlacePromotedItems), and the pipeline
// ranking the promoted candidates with the request's recipe — the GRU's catalogue pass (single
// and batched), a sparse recipe, an include list.
#include "core/serving/promotion.h"

#include <algorithm>
#include <memory>
#include <set>
#include <vector>

#include "core/serving/recommendation_pipeline.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/scored_items.h"
#include "tests/testing/status_matchers.h"

namespace hrnn {
namespace {

using ::hrnn::testing::Indices;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::vector<ScoredItem> Items(std::initializer_list<int32_t> indices) {
  std::vector<ScoredItem> items;
  float score = 100;
  for (int32_t index : indices) items.push_back({index, score--});
  return items;
}

TEST(PromotedSlotsTest, RoundsUpSoEveryPromotionGetsASlot) {
  EXPECT_EQ(PromotedSlots(25, 1), 1);
  EXPECT_EQ(PromotedSlots(25, 10), 3);
  EXPECT_EQ(PromotedSlots(25, 20), 5);
  EXPECT_EQ(PromotedSlots(25, 100), 25);
  EXPECT_EQ(PromotedSlots(1, 1), 1);
  EXPECT_EQ(PromotedSlots(500, 99), 495);
}

TEST(PromotionSeedTest, IsFnv1aOfTheIdBytes) {
  // Published FNV-1a 64 test vectors: the seed must not change between releases or machines.
  EXPECT_EQ(PromotionSeed(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(PromotionSeed("a"), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(PromotionSeed("foobar"), 0x85944171f73967e8ULL);
}

TEST(PlacePromotedItemsTest, KeepsBothOrdersAndDropsDuplicates) {
  // Regular 1..6 best first; promoted 9, 3 (3 is also a regular item: it appears once).
  for (uint64_t seed = 0; seed < 50; ++seed) {
    const RankedItems placed =
        PlacePromotedItems(Items({1, 2, 3, 4, 5, 6}), 0, Items({9, 3}), 6, seed);
    ASSERT_EQ(placed.items.size(), 6u);
    ASSERT_EQ(placed.promoted_ranks.size(), 2u);
    EXPECT_LT(placed.promoted_ranks[0], placed.promoted_ranks[1]);
    EXPECT_EQ(placed.items[placed.promoted_ranks[0]].index, 9);
    EXPECT_EQ(placed.items[placed.promoted_ranks[1]].index, 3);
    std::vector<int32_t> regular;
    for (int rank = 0; rank < 6; ++rank) {
      if (std::find(placed.promoted_ranks.begin(), placed.promoted_ranks.end(), rank) ==
          placed.promoted_ranks.end()) {
        regular.push_back(placed.items[rank].index);
      }
    }
    EXPECT_THAT(regular, ElementsAre(1, 2, 4, 5));
  }
}

TEST(PlacePromotedItemsTest, TheSameSeedGivesTheSameLayoutAndSeedsSpreadIt) {
  const RankedItems a = PlacePromotedItems(Items({1, 2, 3, 4, 5}), 0, Items({7}), 5, 42);
  const RankedItems b = PlacePromotedItems(Items({1, 2, 3, 4, 5}), 0, Items({7}), 5, 42);
  EXPECT_EQ(Indices(a.items), Indices(b.items));
  EXPECT_EQ(a.promoted_ranks, b.promoted_ranks);
  // Over many seeds the one promoted item lands on every position, about equally often.
  std::vector<int> count(5, 0);
  for (uint64_t id = 0; id < 5000; ++id) {
    const std::string recommendation_id = std::to_string(id);
    const RankedItems placed = PlacePromotedItems(Items({1, 2, 3, 4, 5}), 0, Items({7}), 5,
                                                  PromotionSeed(recommendation_id));
    ASSERT_EQ(placed.promoted_ranks.size(), 1u);
    ++count[placed.promoted_ranks[0]];
  }
  for (int position = 0; position < 5; ++position) {
    EXPECT_GT(count[position], 850) << position;  // 1,000 expected; sd ~28.
    EXPECT_LT(count[position], 1150) << position;
  }
}

TEST(PlacePromotedItemsTest, ShortListsAndBackFillCounts) {
  // Fewer promoted items than slots: the regular items take the rest.
  RankedItems placed = PlacePromotedItems(Items({1, 2, 3, 4}), 0, Items({8}), 4, 1);
  EXPECT_EQ(placed.items.size(), 4u);
  EXPECT_EQ(placed.promoted_ranks.size(), 1u);
  // No promoted items: the regular list unchanged.
  placed = PlacePromotedItems(Items({1, 2, 3}), 1, {}, 3, 1);
  EXPECT_THAT(Indices(placed.items), ElementsAre(1, 2, 3));
  EXPECT_THAT(placed.promoted_ranks, IsEmpty());
  EXPECT_EQ(placed.backfilled, 1);
  // Too few regular items: the list is shorter than asked.
  placed = PlacePromotedItems(Items({1}), 0, Items({8, 9}), 5, 1);
  EXPECT_EQ(placed.items.size(), 3u);
  // Regular 1 2 | 3 4 back-filled; a promoted slot pushes the back-filled 4 out.
  placed = PlacePromotedItems(Items({1, 2, 3, 4}), 2, Items({8}), 4, 3);
  EXPECT_EQ(placed.items.size(), 4u);
  EXPECT_EQ(placed.backfilled, 1);
  // Every slot promoted.
  placed = PlacePromotedItems(Items({1, 2}), 0, Items({8, 9}), 2, 3);
  EXPECT_THAT(Indices(placed.items), ElementsAre(8, 9));
  EXPECT_THAT(placed.promoted_ranks, ElementsAre(0, 1));
}

// The pipeline with a random GRU model: the promoted items are the best of the promotion's
// candidates by the same scores, wherever the catalogue pass runs.
class PromotionPipelineTest : public ::testing::Test {
 protected:
  static constexpr int kItems = 200;
  static constexpr int64_t kT0 = 1'700'000'000'000;

  void SetUp() override {
    ModelConfig config;
    config.mode = ModelMode::kSessionOnly;
    config.num_items = kItems;
    config.hidden_size = 16;
    ASSERT_OK_AND_ASSIGN(auto network, HrnnNetwork::Create(Model::CreateRandom(config, 11)));
    serving_ = MakeServingModel(network, SessionPolicy{30 * 60 * 1000});
    state_ = serving_->NewUserState();
    ASSERT_OK(serving_->recommender->ApplyEvent(state_, ItemEvent{5, kT0, ""}).status());
    // The promotion's filter lets only even items through.
    auto mask = std::make_shared<ItemAvailability::Mask>((kItems + 63) / 64, 0);
    for (int i = 1; i < kItems; i += 2) (*mask)[i / 64] |= uint64_t{1} << (i % 64);
    odd_items_ = mask;
  }
  RecommendationRequest Request(int num_results) const {
    RecommendationRequest request;
    request.now_ms = kT0 + 1;
    request.num_results = num_results;
    return request;
  }
  RecommendationRequest Promoted(int num_results, int percent, uint64_t seed) const {
    RecommendationRequest request = Request(num_results);
    request.promotion = PromotionRequest{"sale", percent, odd_items_, seed};
    return request;
  }
  // Checks `got` against the plain recommendation and the best promotion candidates.
  void ExpectPromotion(const Recommendation& got, int num_results, int slots) {
    const Recommendation regular =
        Recommend(serving_, state_, true, Request(num_results), ScoringMode::kSingle);
    RecommendationRequest candidates_only = Request(slots);
    candidates_only.filter.excluded_mask = odd_items_;
    const Recommendation best =
        Recommend(serving_, state_, true, candidates_only, ScoringMode::kSingle);
    const RankedItems expected = PlacePromotedItems(regular.items, 0, best.items, num_results,
                                                    7);  // The seed every request here uses.
    EXPECT_EQ(Indices(got.items), Indices(expected.items));
    EXPECT_EQ(got.promoted_ranks, expected.promoted_ranks);
    std::set<int32_t> distinct;
    for (const ScoredItem& item : got.items) distinct.insert(item.index);
    EXPECT_EQ(distinct.size(), got.items.size());
    for (int rank : got.promoted_ranks) EXPECT_EQ(got.items[rank].index % 2, 0) << rank;
  }

  std::shared_ptr<ServingModel> serving_;
  UserState state_;
  std::shared_ptr<const ItemAvailability::Mask> odd_items_;
};

TEST_F(PromotionPipelineTest, CataloguePassPromotesTheBestCandidates) {
  const Recommendation got =
      Recommend(serving_, state_, true, Promoted(20, 25, 7), ScoringMode::kSingle);
  EXPECT_EQ(got.items.size(), 20u);
  EXPECT_EQ(got.promoted_ranks.size(), 5u);
  ExpectPromotion(got, 20, 5);
}

TEST_F(PromotionPipelineTest, BatchedPassGivesTheSameList) {
  PreparedRecommendation prepared =
      PrepareRecommendation(serving_, state_, true, Promoted(20, 25, 7), ScoringMode::kBatched);
  ASSERT_FALSE(prepared.items.has_value());
  std::vector<float> scores(kItems);
  serving_->network->ScoreBatch({prepared.pass.query.data()}, {scores.data()});
  const RankedItems ranked = FinishRecommendation(prepared.pass, scores);
  EXPECT_EQ(ranked.promotion, "sale");
  const Recommendation single =
      Recommend(serving_, state_, true, Promoted(20, 25, 7), ScoringMode::kSingle);
  EXPECT_EQ(Indices(ranked.items), Indices(single.items));
  EXPECT_EQ(ranked.promoted_ranks, single.promoted_ranks);
}

TEST_F(PromotionPipelineTest, RequestExclusionsAndAvailabilityBindPromotedItemsToo) {
  const Recommendation unfiltered =
      Recommend(serving_, state_, true, Promoted(10, 50, 7), ScoringMode::kSingle);
  const int32_t best_promoted = unfiltered.items[unfiltered.promoted_ranks[0]].index;
  RecommendationRequest request = Promoted(10, 50, 7);
  request.filter.exclude_items = {best_promoted};
  const Recommendation got = Recommend(serving_, state_, true, request, ScoringMode::kSingle);
  for (const ScoredItem& item : got.items) EXPECT_NE(item.index, best_promoted);
  EXPECT_EQ(got.promoted_ranks.size(), 5u);
}

TEST_F(PromotionPipelineTest, IncludeListPromotesItsBestCandidates) {
  RecommendationRequest request = Promoted(4, 50, 7);
  request.filter.include_items = std::vector<int64_t>{1, 2, 3, 4, 6, 9, 11};
  const Recommendation got = Recommend(serving_, state_, true, request, ScoringMode::kSingle);
  ASSERT_EQ(got.items.size(), 4u);
  ASSERT_EQ(got.promoted_ranks.size(), 2u);
  // The promoted items are the two best even listed items by the GRU.
  RecommendationRequest even_only = Request(2);
  even_only.filter.include_items = std::vector<int64_t>{2, 4, 6};
  const Recommendation best = Recommend(serving_, state_, true, even_only, ScoringMode::kSingle);
  EXPECT_EQ(got.items[got.promoted_ranks[0]].index, best.items[0].index);
  EXPECT_EQ(got.items[got.promoted_ranks[1]].index, best.items[1].index);
}

TEST_F(PromotionPipelineTest, AFilterNobodyPassesLeavesTheRegularList) {
  auto everything = std::make_shared<ItemAvailability::Mask>((kItems + 63) / 64, ~uint64_t{0});
  RecommendationRequest request = Request(10);
  request.promotion = PromotionRequest{"none", 30, everything, 7};
  const Recommendation got = Recommend(serving_, state_, true, request, ScoringMode::kSingle);
  const Recommendation regular =
      Recommend(serving_, state_, true, Request(10), ScoringMode::kSingle);
  EXPECT_EQ(Indices(got.items), Indices(regular.items));
  EXPECT_THAT(got.promoted_ranks, IsEmpty());
}

// A sparse recipe answers the promoted slots with a second answer under the promotion's filter.
TEST(PromotionSparseRecipeTest, TrendingPromotesItsBestCandidates) {
  constexpr int kItems = 10;
  constexpr int64_t kT0 = 1'700'000'000'000;
  ModelConfig config;
  config.mode = ModelMode::kSessionOnly;
  config.num_items = kItems;
  config.hidden_size = 8;
  ASSERT_OK_AND_ASSIGN(auto network, HrnnNetwork::Create(Model::CreateRandom(config, 3)));
  std::shared_ptr<ServingModel> serving = MakeServingModel(network, SessionPolicy{30 * 60 * 1000});
  TrainingSessions sessions;
  sessions.num_items = kItems;
  // Popularity: 1 (4 clicks) > 2 (3) > 3 (2) > 4 (1).
  const int32_t a[] = {1, 2, 3, 4}, b[] = {1, 2, 3}, c[] = {1, 2}, d[] = {1};
  for (absl::Span<const int32_t> s : {absl::Span<const int32_t>(a), absl::Span<const int32_t>(b),
                                      absl::Span<const int32_t>(c), absl::Span<const int32_t>(d)}) {
    sessions.Add(s, kT0 / 1000);
  }
  RecipeSettings settings;
  settings.recipes = {RecipeKind::kHrnn, RecipeKind::kTrending};
  settings.default_recipe = RecipeKind::kTrending;
  settings.trending.half_life_seconds = 3600;
  ASSERT_OK_AND_ASSIGN(serving->recipes, RecipeBundle::Build(settings, sessions, kItems));
  auto odd_excluded = std::make_shared<ItemAvailability::Mask>(1, 0);
  for (int i = 1; i < kItems; i += 2) (*odd_excluded)[0] |= uint64_t{1} << i;

  RecommendationRequest request;
  request.now_ms = kT0 + 1000;
  request.num_results = 4;
  request.recipe = RecipeKind::kTrending;
  request.promotion = PromotionRequest{"even", 50, odd_excluded, 5};
  const Recommendation got =
      Recommend(serving, serving->NewUserState(), false, request, ScoringMode::kSingle);
  EXPECT_EQ(got.recipe, RecipeKind::kTrending);
  // Promoted: the two most popular even items, 2 and 4; regular: 1, 3 (2 is promoted already).
  const RankedItems expected = PlacePromotedItems(Items({1, 2, 3, 4}), 0, Items({2, 4}), 4, 5);
  EXPECT_EQ(Indices(got.items), Indices(expected.items));
  EXPECT_EQ(got.promoted_ranks, expected.promoted_ranks);
  std::vector<int32_t> promoted;
  for (int rank : got.promoted_ranks) promoted.push_back(got.items[rank].index);
  EXPECT_THAT(promoted, ElementsAre(2, 4));
}

}  // namespace
}  // namespace hrnn
