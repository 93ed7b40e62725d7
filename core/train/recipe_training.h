// What hrnn-train adds to a model version for the recipes (DESIGN §2b, §4): the training
// sessions (sessions.bin, from which the server builds the sknn and sr indexes) and the settings
// (recipes.json). Stateless functions; safe to call concurrently.
#ifndef HRNN_CORE_TRAIN_RECIPE_TRAINING_H_
#define HRNN_CORE_TRAIN_RECIPE_TRAINING_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/data/dataset.h"
#include "core/recipes/recipe_files.h"

namespace hrnn {

// The recipe list of hrnn-train's --recipes (comma-separated RecipeKindName's) as settings:
// "auto" means every component plus their blend; "hrnn" is always included; the first name
// listed is the default recipe. Component options keep their defaults. Errors: InvalidArgument
// from ParseRecipeList (unknown, repeated or empty names).
absl::StatusOr<RecipeSettings> RecipeSettingsFromList(absl::string_view list);

// Every session of `dataset` (users in order, sessions in time order), each with the time of
// its last click; sessions without clicks are skipped.
TrainingSessions TrainingSessionsOf(const Dataset& dataset);

// The extra files of a model version: sessions.bin from `sessions` and recipes.json from
// `settings`. Errors: InvalidArgument when settings are invalid.
absl::StatusOr<std::map<std::string, std::string>> RecipeFiles(const TrainingSessions& sessions,
                                                               const RecipeSettings& settings);

}  // namespace hrnn

#endif  // HRNN_CORE_TRAIN_RECIPE_TRAINING_H_
