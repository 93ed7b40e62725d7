// A served recipe (core/serving: ServingModel + recommendation pipeline) seen as a
// BaselineModel, so that hrnn-eval measures each recipe of a model directory through the very
// code the server runs: the user's state is built by Recommender::ApplyEvent from the user's
// earlier sessions and the current prefix (explicit session ids cut sessions exactly as the
// Dataset does; times are the clicks' own), then Recommend() answers with the recipe.
// Immutable; thread-safe (scorers are per thread; evaluation never records into trending).
#ifndef HRNN_CORE_EVAL_RECIPE_SCORER_H_
#define HRNN_CORE_EVAL_RECIPE_SCORER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "core/data/dataset.h"
#include "core/eval/baselines.h"
#include "core/recipes/recipe_kind.h"
#include "core/serving/serving_model.h"

namespace hrnn {

// The recipe `kind` of `model` over the evaluation's training vocabulary `train` (mapped to the
// model's by item id; items the model lacks are never recommended). Scores: the served list of
// `list_size` items (plus the prefix's distinct items, so that hrnn-eval's --exclude_seen still
// leaves list_size) gets list_size - position, every other item -inf. So a target's rank is its
// position in what the server would return — ties broken as the server breaks them (by the
// lower model index, i.e. training popularity), not conservatively — and a target outside the
// list is a miss at every cutoff <= list_size.
// Errors: InvalidArgument when the model does not serve `kind`, or no catalogue item is known.
absl::StatusOr<std::unique_ptr<BaselineModel>> NewRecipeModel(
    std::shared_ptr<const ServingModel> model, RecipeKind kind, const Dataset& train, int list_size,
    std::string name);

}  // namespace hrnn

#endif  // HRNN_CORE_EVAL_RECIPE_SCORER_H_
