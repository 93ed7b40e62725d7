#include "core/recipes/recipe_kind.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace hrnn {
namespace {

using ::hrnn::testing::StatusIs;

using ::testing::ElementsAre;

TEST(RecipeKindTest, NamesRoundTrip) {
  for (RecipeKind kind : AllRecipeKinds()) {
    ASSERT_OK_AND_ASSIGN(RecipeKind parsed, ParseRecipeKind(RecipeKindName(kind)));
    EXPECT_EQ(parsed, kind);
  }
  EXPECT_EQ(AllRecipeKinds().size(), static_cast<size_t>(kNumRecipeKinds));
}

TEST(RecipeKindTest, UnknownNameListsTheChoices) {
  EXPECT_THAT(ParseRecipeKind("SKNN"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "unknown recipe \"SKNN\"; choose one of hrnn, sknn, sr"));
  EXPECT_THAT(ParseRecipeKind(""),
              StatusIs(absl::StatusCode::kInvalidArgument, "unknown recipe \"\""));
}

TEST(RecipeKindTest, ListIsSortedAndChecked) {
  ASSERT_OK_AND_ASSIGN(std::vector<RecipeKind> kinds, ParseRecipeList("trending,hrnn,sr"));
  EXPECT_THAT(kinds, ElementsAre(RecipeKind::kHrnn, RecipeKind::kSr, RecipeKind::kTrending));
  EXPECT_THAT(ParseRecipeList("hrnn,,sr"),
              StatusIs(absl::StatusCode::kInvalidArgument, "empty element"));
  EXPECT_THAT(ParseRecipeList("sr,sr"),
              StatusIs(absl::StatusCode::kInvalidArgument, "\"sr\" twice"));
  EXPECT_THAT(ParseRecipeList("hrnn,knn"),
              StatusIs(absl::StatusCode::kInvalidArgument, "unknown recipe \"knn\""));
  EXPECT_THAT(ParseRecipeList(""), StatusIs(absl::StatusCode::kInvalidArgument, "empty element"));
}

}  // namespace
}  // namespace hrnn
