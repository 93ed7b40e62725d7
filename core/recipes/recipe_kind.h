// RecipeKind: the names of the recipes a model version can serve (DESIGN §2b) — what
// GetRecommendations' `recipe`, hrnn-train's --recipes and hrnn-eval's rows call them — and
// parsing of recipe lists. Pure functions: thread-safe.
#ifndef HRNN_CORE_RECIPES_RECIPE_KIND_H_
#define HRNN_CORE_RECIPES_RECIPE_KIND_H_

#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hrnn {

enum class RecipeKind {
  kHrnn,      // The GRU model (HRNN-Init / HRNN-All / session-only): dense scores.
  kSknn,      // V-SKNN over past sessions (session_knn.h).
  kSr,        // Sequential rules (sequential_rules.h).
  kPersonal,  // The user's own history with recency decay (personal_history.h).
  kTrending,  // Decayed popularity of the live stream (trending.h).
  kAuto,      // The blend of the others fit on validation (blend.h).
};

inline constexpr int kNumRecipeKinds = 6;

// Every recipe, in the order above (reports list them so).
const std::vector<RecipeKind>& AllRecipeKinds();

// "hrnn", "sknn", "sr", "personal", "trending", "auto".
absl::string_view RecipeKindName(RecipeKind kind);

// The recipe named `name` (exactly, lower case). Errors: InvalidArgument quoting the name and
// listing the choices.
absl::StatusOr<RecipeKind> ParseRecipeKind(absl::string_view name);

// A comma-separated list of recipe names ("auto,hrnn"), each once, in AllRecipeKinds() order
// whatever the input order. Errors: InvalidArgument for an empty list or element, an unknown
// name or a repeated one (naming it).
absl::StatusOr<std::vector<RecipeKind>> ParseRecipeList(absl::string_view list);

}  // namespace hrnn

#endif  // HRNN_CORE_RECIPES_RECIPE_KIND_H_
