// What hrnn-train adds to a model version for the recipes (DESIGN §2b, §4): the training
// sessions (sessions.bin, from which the server builds the sknn and sr indexes) and the settings
// (recipes.json). Stateless functions; safe to call concurrently.
#ifndef HRNN_CORE_TRAIN_RECIPE_TRAINING_H_
#define HRNN_CORE_TRAIN_RECIPE_TRAINING_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/data/dataset.h"
#include "core/model/hrnn_network.h"
#include "core/model/item_vocabulary.h"
#include "core/recipes/recipe_files.h"
#include "core/recipes/user_item_history.h"

namespace hrnn {

// The recipe list of hrnn-train's --recipes (comma-separated RecipeKindName's) as settings:
// "auto" means every component plus their blend; "hrnn" is always included; the first name
// listed is the default recipe. Component options keep their defaults. Errors: InvalidArgument
// from ParseRecipeList (unknown, repeated or empty names).
absl::StatusOr<RecipeSettings> RecipeSettingsFromList(absl::string_view list);

// Every session of `dataset` (users in order, sessions in time order), each with the time of
// its last click; sessions without clicks are skipped.
TrainingSessions TrainingSessionsOf(const Dataset& dataset);

// `sessions`, whose items index `item_ids`, re-indexed to `vocabulary` (the model's) by item id:
// clicks of items the vocabulary lacks are dropped, and sessions left empty with them. (A split
// re-indexes its training side, so the sessions of the whole prepared log must be mapped to the
// model's items before they go to sessions.bin.)
TrainingSessions MapToVocabulary(const TrainingSessions& sessions,
                                 const std::vector<std::string>& item_ids,
                                 const ItemVocabulary& vocabulary);

// How many of a training user's items user_items.bin keeps: the ones with the most interactions.
inline constexpr int kUserItemsPerUser = 100;

// Each user of `dataset` with their items (count of interactions, latest time), at most
// max_items_per_user of them (UserItemHistory::Add's choice), in the dataset's item indexing.
UserItemHistory UserItemHistoryOf(const Dataset& dataset, int max_items_per_user);

// `history`, whose items index `item_ids`, re-indexed to `vocabulary` by item id: entries of
// items the vocabulary lacks are dropped, and users left without entries with them.
UserItemHistory MapToVocabulary(const UserItemHistory& history,
                                const std::vector<std::string>& item_ids,
                                const ItemVocabulary& vocabulary, int max_items_per_user);

// The extra files of a model version: sessions.bin from `sessions`, recipes.json from
// `settings`, and user_items.bin from `user_items` when the personal recipe is served or
// blended. Errors: InvalidArgument when settings are invalid.
absl::StatusOr<std::map<std::string, std::string>> RecipeFiles(const TrainingSessions& sessions,
                                                               const UserItemHistory& user_items,
                                                               const RecipeSettings& settings);

struct RecipeFitOptions {
  // Evaluation threads. Default: 1.
  int threads = 1;
  // Validation predictions the weights are fit on (0 = all; the figures reported use all).
  // Default: 20,000.
  int64_t max_fit_predictions = 20000;
  // Keep a blend that is worse on validation than its best component (with a loud warning)
  // instead of refusing the version. Default: false.
  bool allow_worse = false;
  // Lines to print. Default: none.
  std::function<void(const std::string&)> log = nullptr;
};

// Measures the recipes of `settings` on `validation` (never test) through the serving code,
// with the indexes built from `train` only and the GRU `network`, and — when "auto" is served —
// fits its blend weights there (blend_fit.h over CollectBlendPredictions). Returns `settings`
// with "blend" set and "validation" holding every recipe's Recall@20 / MRR@20 (the exact
// evaluator, hrnn-eval's recipe rows). Errors: FailedPrecondition when the blend's MRR@20 or
// Recall@20 is below the best single component's and !allow_worse (the message has the
// table); InvalidArgument for bad settings.
absl::StatusOr<RecipeSettings> FitRecipes(RecipeSettings settings,
                                          std::shared_ptr<const HrnnNetwork> network,
                                          const Dataset& train, const Dataset& validation,
                                          const RecipeFitOptions& options);

}  // namespace hrnn

#endif  // HRNN_CORE_TRAIN_RECIPE_TRAINING_H_
