#include "core/recipes/recipe_kind.h"

#include <algorithm>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace hrnn {

const std::vector<RecipeKind>& AllRecipeKinds() {
  static const std::vector<RecipeKind> kinds = {RecipeKind::kHrnn,     RecipeKind::kSknn,
                                                RecipeKind::kSr,       RecipeKind::kPersonal,
                                                RecipeKind::kTrending, RecipeKind::kAuto};
  return kinds;
}

absl::string_view RecipeKindName(RecipeKind kind) {
  switch (kind) {
    case RecipeKind::kHrnn:
      return "hrnn";
    case RecipeKind::kSknn:
      return "sknn";
    case RecipeKind::kSr:
      return "sr";
    case RecipeKind::kPersonal:
      return "personal";
    case RecipeKind::kTrending:
      return "trending";
    case RecipeKind::kAuto:
      return "auto";
  }
  return "unknown";
}

absl::StatusOr<RecipeKind> ParseRecipeKind(absl::string_view name) {
  std::vector<std::string> names;
  for (RecipeKind kind : AllRecipeKinds()) {
    if (RecipeKindName(kind) == name) return kind;
    names.emplace_back(RecipeKindName(kind));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown recipe \"", name, "\"; choose one of ", absl::StrJoin(names, ", ")));
}

absl::StatusOr<std::vector<RecipeKind>> ParseRecipeList(absl::string_view list) {
  std::vector<bool> seen(kNumRecipeKinds, false);
  for (absl::string_view element : absl::StrSplit(list, ',')) {
    if (element.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("recipe list \"", list, "\" has an empty element"));
    }
    absl::StatusOr<RecipeKind> kind = ParseRecipeKind(element);
    if (!kind.ok()) return kind.status();
    if (seen[static_cast<int>(*kind)]) {
      return absl::InvalidArgumentError(
          absl::StrCat("recipe list \"", list, "\" names \"", element, "\" twice"));
    }
    seen[static_cast<int>(*kind)] = true;
  }
  std::vector<RecipeKind> kinds;
  for (RecipeKind kind : AllRecipeKinds()) {
    if (seen[static_cast<int>(kind)]) kinds.push_back(kind);
  }
  return kinds;
}

}  // namespace hrnn
