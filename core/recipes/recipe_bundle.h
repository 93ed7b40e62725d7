// RecipeBundle: everything one model version needs to serve its non-GRU recipes (DESIGN §2b) —
// the settings of recipes.json, the sknn index and the sequential rules built from sessions.bin
// at load, the training users' item histories of user_items.bin (the personal recipe's long
// memory), the live trending counts fed by the event stream (seeded from the training sessions
// so that a fresh server has a fallback), and the sessions that finish on the server, which
// sknn and GetSimilarItems read with the index. Immutable apart from trending() and
// live_sessions(), which are thread-safe; share it as std::shared_ptr<const RecipeBundle>.
#ifndef HRNN_CORE_RECIPES_RECIPE_BUNDLE_H_
#define HRNN_CORE_RECIPES_RECIPE_BUNDLE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "core/recipes/blend.h"
#include "core/recipes/live_sessions.h"
#include "core/recipes/recipe_files.h"
#include "core/recipes/sequential_rules.h"
#include "core/recipes/session_knn.h"
#include "core/recipes/trending.h"
#include "core/recipes/user_item_history.h"

namespace hrnn {

class RecipeBundle {
 public:
  // Builds the indexes `settings` asks for from `sessions` (over `num_items` items): sknn when
  // served, blended or read by GetSimilarItems (similar_items.cooccurrence_weight > 0), sr when
  // served or blended, trending always (seeded with every training click at its
  // session's last time), and live sessions (`live`) with the sknn index. Errors:
  // `user_items` is kept for the personal recipe (empty: none). Errors: InvalidArgument for
  // invalid settings or options, or sessions or user items over another catalogue size.
  static absl::StatusOr<std::unique_ptr<const RecipeBundle>> Build(
      RecipeSettings settings, const TrainingSessions& sessions, int32_t num_items,
      const LiveSessionsOptions& live = LiveSessionsOptions(),
      UserItemHistory user_items = UserItemHistory());

  // The bundle of a model directory from its extra files (ModelDirectoryContents::extra_files):
  // with neither sessions.bin nor recipes.json, a version from before the recipes — it serves
  // "hrnn" alone and has no trending fallback (a null bundle is returned). user_items.bin is
  // optional (versions before it have none). Errors: one of sessions.bin and recipes.json
  // without the other, or any file's parse error (the message names the file).
  static absl::StatusOr<std::unique_ptr<const RecipeBundle>> FromModelFiles(
      const std::map<std::string, std::string>& files, int32_t num_items,
      const LiveSessionsOptions& live = LiveSessionsOptions());

  const RecipeSettings& settings() const { return settings_; }
  // The time of the latest training click (the sessions' latest last_time, seconds since the
  // epoch; 0 without sessions): the trending seed and the sknn index hold what came before it.
  int64_t training_end_seconds() const { return training_end_seconds_; }
  // The training users' item histories (empty for a version without user_items.bin).
  const UserItemHistory& user_items() const { return user_items_; }
  int32_t num_items() const { return num_items_; }
  // Null when neither served, blended nor used for similar items.
  const SessionKnnIndex* sknn() const { return sknn_.get(); }
  const SequentialRules* rules() const { return rules_.get(); }
  // The live popularity; never null. Record() on it from the event path.
  Trending* trending() const { return trending_.get(); }
  // The sessions finished on the server; null exactly when sknn() is. RecordClick() on it from
  // the event path, FinishIdle() from a timer.
  LiveSessions* live_sessions() const { return live_sessions_.get(); }
  // The auto recipe's weights (settings().blend as BlendWeights; all 0 when auto is not
  // served).
  const BlendWeights& blend_weights() const { return blend_weights_; }

 private:
  RecipeBundle() = default;

  RecipeSettings settings_;
  int32_t num_items_ = 0;
  int64_t training_end_seconds_ = 0;
  UserItemHistory user_items_;
  std::unique_ptr<const SessionKnnIndex> sknn_;
  std::unique_ptr<const SequentialRules> rules_;
  std::unique_ptr<Trending> trending_;
  std::unique_ptr<LiveSessions> live_sessions_;
  BlendWeights blend_weights_;
};

}  // namespace hrnn

#endif  // HRNN_CORE_RECIPES_RECIPE_BUNDLE_H_
