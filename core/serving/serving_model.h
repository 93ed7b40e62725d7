// ServingModel: one loaded model version ready to answer requests — the validated model, its
// packed network, the serving logic (Recommender), the recipes' indexes and live trending
// (RecipeBundle), the catalogue's availability bitmap, its item attributes and the named
// filters compiled for them —
// and ServingModelHandle, the slot that requests read it from (tensorflow/serving's servable
// handle). ServingModel is immutable apart from its thread-safe availability; the handle is
// thread-safe, and a request keeps the shared_ptr it took for its whole duration.
#ifndef HRNN_CORE_SERVING_SERVING_MODEL_H_
#define HRNN_CORE_SERVING_SERVING_MODEL_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "core/base/mutex.h"
#include "core/catalogue/filters_file.h"
#include "core/catalogue/item_attributes.h"
#include "core/catalogue/item_filter_program.h"
#include "core/model/hrnn_network.h"
#include "core/recipes/recipe_bundle.h"
#include "core/serving/filter_mask_cache.h"
#include "core/serving/recommender.h"
#include "core/state/item_availability.h"

namespace hrnn {

struct ServingModel {
  std::string name;          // The model root's folder name (models/<name>/).
  int64_t version = 0;       // The integer version folder.
  std::string version_dir;   // Where it was read from.
  int64_t loaded_at_ms = 0;  // When it was loaded (ms since the epoch).
  std::shared_ptr<const HrnnNetwork> network;
  std::unique_ptr<Recommender> recommender;
  std::unique_ptr<ItemAvailability> availability;
  // The recipes besides "hrnn" (recipes.json + sessions.bin); null for a version without them,
  // which serves "hrnn" alone.
  std::shared_ptr<const RecipeBundle> recipes;
  // The items' attributes (item_attributes.csv, from hrnn-train --items) aligned to the items:
  // row i is item i. Never null: a version without the file has a table without fields.
  std::shared_ptr<const ItemAttributes> attributes;
  // How many of the items have a row in the items file (0 without one).
  int64_t items_with_attributes = 0;
  // The server's named filters (--filters_file), compiled for this version's fields, in file
  // order.
  struct ServedFilter {
    std::string text;  // As written in the file.
    ItemFilterProgram program;
  };
  std::vector<ServedFilter> filters;
  // The masks of filters that depend on their parameter values only, by filter and values
  // (EvaluateNamedFilter fills it). Never null.
  std::unique_ptr<FilterMaskCache> filter_masks = std::make_unique<FilterMaskCache>();

  // The named filter `name`, or null.
  const ItemFilterProgram* FindFilter(absl::string_view name) const {
    for (const ServedFilter& filter : filters) {
      if (filter.program.name() == name) return &filter.program;
    }
    return nullptr;
  }

  // The recipe a request without one gets: the bundle's default, else "hrnn".
  RecipeKind default_recipe() const {
    return recipes != nullptr ? recipes->settings().default_recipe : RecipeKind::kHrnn;
  }
  // True when this version can answer with `kind`.
  bool Serves(RecipeKind kind) const {
    return kind == RecipeKind::kHrnn || (recipes != nullptr && recipes->settings().Serves(kind));
  }

  // A new user's state, tagged with this model's version.
  UserState NewUserState() const {
    UserState state = recommender->NewUserState();
    state.model_version = version;
    return state;
  }
  // True when `state` was produced by this model (same version and shapes): states from another
  // version are never used with this one.
  bool Owns(const UserState& state) const {
    return state.model_version == version && recommender->CheckShape(state).ok();
  }

  const Model& model() const { return network->model(); }
  const ItemVocabulary& items() const { return network->model().items(); }
};

// A ServingModel around `network` with every item available and no item attributes or filters
// (name, version and paths left for the caller). REQUIRES: network != nullptr,
// policy.Validate().ok().
std::shared_ptr<ServingModel> MakeServingModel(std::shared_ptr<const HrnnNetwork> network,
                                               const SessionPolicy& policy);

// Reads and validates the version directory `version_dir` (models/<name>/<version>/: the name
// and version come from the path) and builds everything needed to serve it, the recipes'
// indexes included, and compiles `filters` for its item fields. Errors: the loader's refusal
// (bad header, shapes, checksums, non-finite values, bad recipe or items files...) or a filter
// that does not compile for this version's fields, with the directory named in the message.
absl::StatusOr<std::shared_ptr<const ServingModel>> LoadServingModel(
    const std::string& version_dir, const NetworkOptions& network_options,
    const SessionPolicy& policy, int64_t now_ms, const std::vector<NamedFilter>& filters = {});

// Reads and validates the highest complete version under `model_root` (models/<name>/) and
// builds everything needed to serve it. Errors: no version, or the loader's refusal (bad
// header, shapes, checksums, non-finite values...), with the directory named in the message.
absl::StatusOr<std::shared_ptr<const ServingModel>> LoadLatestServingModel(
    const std::string& model_root, const NetworkOptions& network_options,
    const SessionPolicy& policy, int64_t now_ms, const std::vector<NamedFilter>& filters = {});

class ServingModelHandle {
 public:
  // The model being served, or null before the first one is set.
  std::shared_ptr<const ServingModel> Get() const ABSL_LOCKS_EXCLUDED(mutex_) {
    MutexLock lock(&mutex_);
    return model_;
  }
  // Serves `model` from now on; requests already holding the previous one finish on it.
  void Set(std::shared_ptr<const ServingModel> model) ABSL_LOCKS_EXCLUDED(mutex_) {
    MutexLock lock(&mutex_);
    model_ = std::move(model);
  }

 private:
  mutable Mutex mutex_;
  std::shared_ptr<const ServingModel> model_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace hrnn

#endif  // HRNN_CORE_SERVING_SERVING_MODEL_H_
