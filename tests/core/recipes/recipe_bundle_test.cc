#include "core/recipes/recipe_bundle.h"

#include <map>
#include <memory>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace hrnn {
namespace {

using ::hrnn::testing::StatusIs;

TrainingSessions Sessions() {
  TrainingSessions sessions;
  sessions.num_items = 4;
  const int32_t a[] = {0, 1};
  const int32_t b[] = {1, 2, 1};
  sessions.Add(a, 1000);
  sessions.Add(b, 1000);
  return sessions;
}

RecipeSettings Settings(std::vector<RecipeKind> recipes) {
  RecipeSettings settings;
  settings.recipes = std::move(recipes);
  return settings;
}

TEST(RecipeBundleTest, BuildsOnlyWhatIsServed) {
  RecipeSettings settings = Settings({RecipeKind::kHrnn, RecipeKind::kSr});
  // GetSimilarItems' co-occurrence reads the sknn index (and live sessions) unless its weight
  // is 0.
  ASSERT_OK_AND_ASSIGN(auto similar, RecipeBundle::Build(settings, Sessions(), 4));
  EXPECT_NE(similar->sknn(), nullptr);
  EXPECT_NE(similar->live_sessions(), nullptr);
  settings.similar_items.cooccurrence_weight = 0;
  ASSERT_OK_AND_ASSIGN(auto bundle, RecipeBundle::Build(settings, Sessions(), 4));
  EXPECT_EQ(bundle->sknn(), nullptr);
  EXPECT_EQ(bundle->live_sessions(), nullptr);
  ASSERT_NE(bundle->rules(), nullptr);
  EXPECT_EQ(bundle->rules()->RulesFrom(0).size(), 1u);
  ASSERT_NE(bundle->trending(), nullptr);
  // Trending is seeded with every click at its session's time: item 1 three times.
  EXPECT_DOUBLE_EQ(bundle->trending()->Score(1, 1000), 3.0);
  EXPECT_DOUBLE_EQ(bundle->trending()->Score(3, 1000), 0.0);
}

TEST(RecipeBundleTest, BlendedComponentsAreBuiltToo) {
  RecipeSettings settings = Settings({RecipeKind::kHrnn, RecipeKind::kSknn, RecipeKind::kAuto});
  settings.blend = {{"hrnn", 1}, {"sknn", 1}};
  ASSERT_OK_AND_ASSIGN(auto bundle, RecipeBundle::Build(settings, Sessions(), 4));
  ASSERT_NE(bundle->sknn(), nullptr);
  EXPECT_EQ(bundle->sknn()->num_sessions(), 2);
  EXPECT_EQ(bundle->rules(), nullptr);
}

TEST(RecipeBundleTest, FromModelFiles) {
  const RecipeSettings settings = Settings({RecipeKind::kHrnn, RecipeKind::kSknn});
  std::map<std::string, std::string> files = {
      {kSessionsFileName, SerializeTrainingSessions(Sessions())},
      {kRecipesFileName, RecipeSettingsToJson(settings)}};
  ASSERT_OK_AND_ASSIGN(auto bundle, RecipeBundle::FromModelFiles(files, 4));
  ASSERT_NE(bundle, nullptr);
  EXPECT_TRUE(bundle->settings().Serves(RecipeKind::kSknn));
  EXPECT_NE(bundle->sknn(), nullptr);

  EXPECT_EQ(bundle->user_items().num_users(), 0);  // Optional: versions before it have none.

  // With user_items.bin the personal recipe's training histories come along.
  UserItemHistory users;
  users.set_num_items(4);
  users.Add("ann", {{2, 3, 1000, 0}}, 10);
  files[kUserItemsFileName] = users.Serialize();
  ASSERT_OK_AND_ASSIGN(bundle, RecipeBundle::FromModelFiles(files, 4));
  ASSERT_EQ(bundle->user_items().Find("ann").size(), 1u);
  EXPECT_EQ(bundle->user_items().Find("ann")[0].count, 3);
  files[kUserItemsFileName] = "HRNNUSR";
  EXPECT_THAT(RecipeBundle::FromModelFiles(files, 4),
              StatusIs(absl::StatusCode::kInvalidArgument, "user_items.bin: bad magic"));
  files.erase(kUserItemsFileName);
  users.set_num_items(5);
  EXPECT_THAT(RecipeBundle::Build(settings, Sessions(), 4, LiveSessionsOptions(), users),
              StatusIs(absl::StatusCode::kInvalidArgument, "user items are over 5 items"));

  ASSERT_OK_AND_ASSIGN(auto none, RecipeBundle::FromModelFiles({}, 4));
  EXPECT_EQ(none, nullptr);  // A version from before the recipes.

  EXPECT_THAT(RecipeBundle::FromModelFiles(files, 5),
              StatusIs(absl::StatusCode::kInvalidArgument, "sessions.bin"));
  files.erase(kSessionsFileName);
  EXPECT_THAT(
      RecipeBundle::FromModelFiles(files, 4),
      StatusIs(absl::StatusCode::kInvalidArgument, "recipes.json is listed without sessions.bin"));
}

}  // namespace
}  // namespace hrnn
