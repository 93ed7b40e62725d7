// Named filters (--filters_file) over a model version's item attributes, through the request
// handlers: every recommendation call honours them, their errors name the field, and
// ListFilters / GetModelInfo describe them.
#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/catalogue/filters_file.h"
#include "core/catalogue/items_csv.h"
#include "core/recipes/recipe_files.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/recommender_service.h"
#include "server/request_handlers.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/model_dir.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace hrnn {
namespace {

using ::hrnn::testing::StatusIs;
using ::testing::Each;
using ::testing::ElementsAre;

constexpr int kItems = 200;
constexpr char kColors[][6] = {"red", "green", "blue"};

// item-i: COLOR kColors[i % 3], PRICE i; items 190..199 have no row; "extra-1" is an item the
// model does not know.
std::string ItemsCsv() {
  std::string csv = "ITEM_ID,COLOR,PRICE:number\n";
  for (int i = 0; i < 190; ++i)
    absl::StrAppend(&csv, "item-", i, ",", kColors[i % 3], ",", i, "\n");
  absl::StrAppend(&csv, "extra-1,red,5\n");
  return csv;
}

constexpr char kFilters[] =
    "# Filters of the test shop.\n"
    "no_colour: EXCLUDE ItemID WHERE Items.COLOR IN ($COLORS)\n"
    "cheap: INCLUDE ItemID WHERE Items.PRICE < $MAX\n"
    "not_bought: EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN (\"purchase\")\n"
    "same_colour: INCLUDE ItemID WHERE Items.COLOR IN (CurrentItem.COLOR)\n";

class NamedFilterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = testing::FreshTestDir() / "models" / "shop";
    config_.model_dir = root_.string();
    config_.purchase_event_types = {"purchase"};
    std::shared_ptr<const Model> model =
        Model::CreateRandom(testing::SmallModelConfig(ModelMode::kHrnnInit, kItems), 5);
    std::filesystem::create_directories(root_);
    ASSERT_OK(WriteModelDirectory(*model, (root_ / "1").string(),
                                  {{kItemAttributesFileName, ItemsCsv()}}));
    auto filters = ParseFiltersFile(kFilters, "filters.txt");
    ASSERT_OK(filters.status());
    filters_ = *filters;
    auto loaded = LoadLatestServingModel(config_.model_dir, NetworkOptions(), SessionPolicy(),
                                         clock_.NowMs(), filters_);
    ASSERT_OK(loaded.status());
    handle_.Set(*loaded);
    store_ = std::make_unique<UserStateStore>(UserStateStoreOptions());
    catalogue_ = std::make_unique<CatalogueUpdater>(&handle_, nullptr, &clock_);
    handlers_ = std::make_unique<RequestHandlers>(&config_, &handle_, catalogue_.get(),
                                                  store_.get(), &clock_, nullptr);
  }

  static v1::Filter Named(
      const std::string& name,
      const std::vector<std::pair<std::string, std::vector<std::string>>>& values = {}) {
    v1::Filter filter;
    filter.set_name(name);
    for (const auto& [parameter, listed] : values) {
      for (const std::string& value : listed) {
        (*filter.mutable_values())[parameter].add_values(value);
      }
    }
    return filter;
  }

  absl::StatusOr<std::vector<int>> Recommend(const v1::Filter& filter, int n = 100,
                                             const std::string& recipe = "") {
    v1::GetRecommendationsRequest request;
    request.set_user_id("ann");
    request.set_num_results(n);
    request.set_recipe(recipe);
    *request.mutable_filter() = filter;
    v1::GetRecommendationsResponse response;
    absl::Status status = handlers_->GetRecommendations(request, &response);
    if (!status.ok()) return status;
    return Indices(response.items());
  }

  template <typename Items>
  static std::vector<int> Indices(const Items& items) {
    std::vector<int> indices;
    for (const v1::ScoredItem& item : items) {
      indices.push_back(std::stoi(item.item_id().substr(std::string("item-").size())));
    }
    return indices;
  }

  void Put(const std::string& item, const std::string& type) {
    v1::PutEventsRequest request;
    v1::Event* event = request.add_events();
    event->set_user_id("ann");
    event->set_item_id(item);
    event->set_event_type(type);
    v1::PutEventsResponse response;
    ASSERT_OK(handlers_->PutEvents(request, &response));
    ASSERT_EQ(response.accepted(), 1);
  }

  std::filesystem::path root_;
  std::vector<NamedFilter> filters_;
  ServerConfig config_;
  FakeClock clock_;
  ServingModelHandle handle_;
  std::unique_ptr<UserStateStore> store_;
  std::unique_ptr<CatalogueUpdater> catalogue_;
  std::unique_ptr<RequestHandlers> handlers_;
};

TEST_F(NamedFilterTest, AnExcludedColourIsNeverRecommended) {
  auto unfiltered = Recommend(v1::Filter(), kItems);
  ASSERT_OK(unfiltered.status());
  ASSERT_EQ(unfiltered->size(), static_cast<size_t>(kItems));
  auto filtered = Recommend(Named("no_colour", {{"COLORS", {"red", "blue"}}}), kItems);
  ASSERT_OK(filtered.status());
  // Green items (i % 3 == 1) and the 10 items without attributes remain.
  int expected = 10;
  for (int i = 0; i < 190; ++i) expected += i % 3 == 1 ? 1 : 0;
  EXPECT_EQ(filtered->size(), static_cast<size_t>(expected));
  for (int i : *filtered) EXPECT_TRUE(i >= 190 || i % 3 == 1) << i;
  // The order among what is left is the unfiltered order.
  std::vector<int> kept;
  for (int i : *unfiltered) {
    if (i >= 190 || i % 3 == 1) kept.push_back(i);
  }
  EXPECT_EQ(*filtered, kept);
}

TEST_F(NamedFilterTest, MasksAreCachedPerFilterAndValues) {
  for (const char* colour : {"red", "green", "red", "blue", "green"}) {
    auto filtered = Recommend(Named("no_colour", {{"COLORS", {colour}}}), kItems);
    ASSERT_OK(filtered.status());
    const int excluded = colour == std::string("red") ? 0 : colour == std::string("green") ? 1 : 2;
    for (int i : *filtered) EXPECT_TRUE(i >= 190 || i % 3 != excluded) << colour << " " << i;
    EXPECT_EQ(filtered->size(), static_cast<size_t>(kItems - 190 / 3 - (excluded == 0 ? 1 : 0)));
  }
  // A value list that concatenates to the same text is another key.
  auto two = Recommend(Named("no_colour", {{"COLORS", {"re", "d"}}}), kItems);
  ASSERT_OK(two.status());
  EXPECT_EQ(two->size(), static_cast<size_t>(kItems));
  const FilterMaskCache::Stats stats = handle_.Get()->filter_masks->stats();
  EXPECT_EQ(stats.misses, 4);
  EXPECT_EQ(stats.hits, 2);
  EXPECT_EQ(stats.entries, 4);
}

TEST_F(NamedFilterTest, ANumericParameterBoundsThePriceAndShortListsAreNotPadded) {
  auto cheap = Recommend(Named("cheap", {{"MAX", {"30"}}}), 100);
  ASSERT_OK(cheap.status());
  EXPECT_EQ(cheap->size(), 30u);  // Items 0..29: PRICE < 30; items without a price never pass.
  EXPECT_THAT(*cheap, Each(::testing::Lt(30)));
}

TEST_F(NamedFilterTest, InteractionsExcludeWhatTheUserBought) {
  Put("item-7", "purchase");
  Put("item-8", "click");
  auto recommended = Recommend(Named("not_bought"), kItems);
  ASSERT_OK(recommended.status());
  EXPECT_EQ(recommended->size(), static_cast<size_t>(kItems - 1));
  EXPECT_THAT(*recommended, ::testing::Not(::testing::Contains(7)));
  EXPECT_THAT(*recommended, ::testing::Contains(8));
}

TEST_F(NamedFilterTest, SparseRecipesAndTheirBackFillHonourTheFilter) {
  // Version 2 has the recipes: in sr, item-3 leads to item-23 and item-43 (TestSessions).
  RecipeSettings settings;
  settings.recipes = {RecipeKind::kHrnn, RecipeKind::kSr, RecipeKind::kTrending};
  std::shared_ptr<const Model> model =
      Model::CreateRandom(testing::SmallModelConfig(ModelMode::kHrnnInit, kItems), 5);
  ASSERT_OK(WriteModelDirectory(
      *model, (root_ / "2").string(),
      {{kItemAttributesFileName, ItemsCsv()},
       {kSessionsFileName, SerializeTrainingSessions(testing::TestSessions(kItems))},
       {kRecipesFileName, RecipeSettingsToJson(settings)}}));
  auto loaded = LoadLatestServingModel(config_.model_dir, NetworkOptions(), SessionPolicy(),
                                       clock_.NowMs(), filters_);
  ASSERT_OK(loaded.status());
  handle_.Set(*loaded);
  Put("item-3", "click");

  auto unfiltered = Recommend(v1::Filter(), 2, "sr");
  ASSERT_OK(unfiltered.status());
  EXPECT_THAT(*unfiltered, ElementsAre(23, 43));
  // Neither rule target is under 12: the whole list is trending's, restricted to the filter.
  v1::GetRecommendationsRequest request;
  request.set_user_id("ann");
  request.set_num_results(5);
  request.set_recipe("sr");
  *request.mutable_filter() = Named("cheap", {{"MAX", {"12"}}});
  v1::GetRecommendationsResponse response;
  ASSERT_OK(handlers_->GetRecommendations(request, &response));
  ASSERT_EQ(response.items_size(), 5);
  EXPECT_THAT(Indices(response.items()), Each(::testing::Lt(12)));
  EXPECT_EQ(response.recipe(), "trending");
  // A user without state gets trending; the filter holds there too.
  request.set_user_id("new");
  *request.mutable_filter() = Named("no_colour", {{"COLORS", {"red", "green"}}});
  v1::GetRecommendationsResponse fallback;
  ASSERT_OK(handlers_->GetRecommendations(request, &fallback));
  EXPECT_EQ(fallback.state(), "new_user");
  ASSERT_EQ(fallback.items_size(), 5);
  for (int i : Indices(fallback.items())) EXPECT_TRUE(i >= 190 || i % 3 == 2) << i;
}

TEST_F(NamedFilterTest, SimilarItemsShareTheCurrentItemsColour) {
  v1::GetSimilarItemsRequest request;
  request.set_item_id("item-4");  // green
  request.set_num_results(kItems);
  *request.mutable_filter() = Named("same_colour");
  v1::GetSimilarItemsResponse response;
  ASSERT_OK(handlers_->GetSimilarItems(request, &response));
  const std::vector<int> similar = Indices(response.items());
  EXPECT_EQ(similar.size(), 62u);  // 63 green items below 190, less item-4 itself.
  for (int i : similar) EXPECT_EQ(i % 3, 1) << i;
}

TEST_F(NamedFilterTest, BadFilterRequestsAreInvalidArgumentNamingTheProblem) {
  EXPECT_THAT(Recommend(Named("nope")).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "filter.name: no filter named \"nope\" (the server has: "
                       "no_colour, cheap, not_bought, same_colour)"));
  EXPECT_THAT(Recommend(Named("no_colour")).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, "$COLORS"));
  EXPECT_THAT(Recommend(Named("cheap", {{"MAX", {"ten"}}})).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, "$MAX"));
  EXPECT_THAT(Recommend(Named("cheap", {{"MAX", {"1", "2"}}})).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, "$MAX"));
  // CurrentItem needs GetSimilarItems' item.
  EXPECT_THAT(Recommend(Named("same_colour")).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, "CurrentItem"));
  v1::Filter too_many = Named("no_colour");
  for (int i = 0; i <= 500; ++i) {
    (*too_many.mutable_values())["COLORS"].add_values(absl::StrCat("c", i));
  }
  EXPECT_THAT(Recommend(too_many).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, "filter.values[COLORS]"));
}

v1::Promotion Promotion(const std::string& name, int percent, const v1::Filter& filter) {
  v1::Promotion promotion;
  promotion.set_name(name);
  promotion.set_percent_promoted_items(percent);
  promotion.set_filter_name(filter.name());
  *promotion.mutable_filter_values() = filter.values();
  return promotion;
}

TEST_F(NamedFilterTest, APromotionPlacesTheBestItemsOfItsFilterAndMarksThem) {
  auto unfiltered = Recommend(v1::Filter(), kItems);
  ASSERT_OK(unfiltered.status());
  v1::GetRecommendationsRequest request;
  request.set_user_id("ann");
  request.set_num_results(20);
  *request.mutable_filter() = Named("no_colour", {{"COLORS", {"blue"}}});
  *request.mutable_promotion() = Promotion("sale", 25, Named("cheap", {{"MAX", {"30"}}}));
  v1::GetRecommendationsResponse response;
  ASSERT_OK(handlers_->GetRecommendations(request, &response));
  ASSERT_EQ(response.items_size(), 20);
  std::vector<int> promoted;
  std::vector<int> regular;
  for (const v1::ScoredItem& item : response.items()) {
    const int index = std::stoi(item.item_id().substr(std::string("item-").size()));
    (item.promotion().empty() ? regular : promoted).push_back(index);
    EXPECT_THAT(item.promotion(), ::testing::AnyOf("", "sale"));
    EXPECT_FALSE(index < 190 && index % 3 == 2) << "blue item " << index;
  }
  // ceil(20 * 25%) = 5 slots for the best cheap, non-blue items in the unfiltered order.
  std::vector<int> best_cheap;
  std::vector<int> best_regular;
  for (int i : *unfiltered) {
    const bool allowed = i >= 190 || i % 3 != 2;
    if (allowed && i < 30 && best_cheap.size() < 5) best_cheap.push_back(i);
  }
  for (int i : *unfiltered) {
    const bool allowed = i >= 190 || i % 3 != 2;
    const bool is_promoted = std::find(best_cheap.begin(), best_cheap.end(), i) != best_cheap.end();
    if (allowed && !is_promoted && best_regular.size() < 15) best_regular.push_back(i);
  }
  EXPECT_EQ(promoted, best_cheap);
  EXPECT_EQ(regular, best_regular);
}

TEST_F(NamedFilterTest, BadPromotionsAreInvalidArgumentNamingTheField) {
  auto ask = [&](const v1::Promotion& promotion) {
    v1::GetRecommendationsRequest request;
    request.set_user_id("ann");
    *request.mutable_promotion() = promotion;
    v1::GetRecommendationsResponse response;
    return handlers_->GetRecommendations(request, &response);
  };
  const v1::Filter cheap = Named("cheap", {{"MAX", {"30"}}});
  EXPECT_THAT(ask(Promotion("", 20, cheap)),
              StatusIs(absl::StatusCode::kInvalidArgument, "promotion.name: "));
  EXPECT_THAT(ask(Promotion("sale", 0, cheap)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "promotion.percent_promoted_items: 0 is outside 1..100"));
  EXPECT_THAT(ask(Promotion("sale", 101, cheap)),
              StatusIs(absl::StatusCode::kInvalidArgument, "promotion.percent_promoted_items"));
  EXPECT_THAT(ask(Promotion("sale", 20, v1::Filter())),
              StatusIs(absl::StatusCode::kInvalidArgument, "promotion.filter_name: "));
  EXPECT_THAT(ask(Promotion("sale", 20, Named("nope"))),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "promotion.filter_name: no filter named \"nope\""));
  EXPECT_THAT(ask(Promotion("sale", 20, Named("cheap"))),
              StatusIs(absl::StatusCode::kInvalidArgument, "promotion.filter_values: "));
  v1::Filter too_many = Named("no_colour");
  for (int i = 0; i <= 500; ++i) {
    (*too_many.mutable_values())["COLORS"].add_values(absl::StrCat("c", i));
  }
  EXPECT_THAT(ask(Promotion("sale", 20, too_many)),
              StatusIs(absl::StatusCode::kInvalidArgument, "promotion.filter_values[COLORS]"));
}

TEST_F(NamedFilterTest, ListFiltersAndModelInfoDescribeThemAndTheFields) {
  v1::ListFiltersResponse listed;
  ASSERT_OK(handlers_->ListFilters(v1::ListFiltersRequest(), &listed));
  std::vector<std::string> names;
  for (const v1::NamedFilterInfo& info : listed.filters()) names.push_back(info.name());
  EXPECT_THAT(names, ElementsAre("no_colour", "cheap", "not_bought", "same_colour"));
  EXPECT_EQ(listed.filters(1).expression(), "INCLUDE ItemID WHERE Items.PRICE < $MAX");
  ASSERT_EQ(listed.filters(1).parameters_size(), 1);
  EXPECT_EQ(listed.filters(1).parameters(0).name(), "MAX");
  EXPECT_TRUE(listed.filters(1).parameters(0).numeric());
  EXPECT_FALSE(listed.filters(0).parameters(0).numeric());

  v1::ModelInfo info;
  ASSERT_OK(handlers_->GetModelInfo(v1::GetModelInfoRequest(), &info));
  ASSERT_EQ(info.item_fields_size(), 2);
  EXPECT_EQ(info.item_fields(0).name(), "COLOR");
  EXPECT_EQ(info.item_fields(0).kind(), "categorical");
  EXPECT_EQ(info.item_fields(1).name(), "PRICE");
  EXPECT_EQ(info.item_fields(1).kind(), "numeric");
  EXPECT_EQ(info.items_with_attributes(), 190);
}

TEST_F(NamedFilterTest, AVersionWhoseFieldsDoNotFitAFilterIsRefusedNamingIt) {
  auto filters = ParseFiltersFile("by_size: EXCLUDE ItemID WHERE Items.SIZE IN ($S)\n", "f.txt");
  ASSERT_OK(filters.status());
  EXPECT_THAT(LoadLatestServingModel(config_.model_dir, NetworkOptions(), SessionPolicy(),
                                     clock_.NowMs(), *filters)
                  .status(),
              StatusIs(absl::StatusCode::kInvalidArgument, "filter by_size: 1:31: "));
}

TEST_F(NamedFilterTest, AVersionWithoutAnItemsFileServesInteractionFiltersOnly) {
  const std::filesystem::path plain = testing::FreshTestDir() / "models" / "plain";
  testing::WriteRandomModel(plain, 1);
  auto interactions_only = ParseFiltersFile(
      "not_bought: EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN (\"purchase\")\n", "f.txt");
  ASSERT_OK(interactions_only.status());
  auto loaded = LoadLatestServingModel(plain.string(), NetworkOptions(), SessionPolicy(),
                                       clock_.NowMs(), *interactions_only);
  ASSERT_OK(loaded.status());
  EXPECT_EQ((*loaded)->attributes->num_rows(), kItems);
  EXPECT_TRUE((*loaded)->attributes->fields().empty());
  EXPECT_EQ((*loaded)->items_with_attributes, 0);
  EXPECT_THAT(LoadLatestServingModel(plain.string(), NetworkOptions(), SessionPolicy(),
                                     clock_.NowMs(), filters_)
                  .status(),
              StatusIs(absl::StatusCode::kInvalidArgument, "COLOR"));
}

}  // namespace
}  // namespace hrnn
