// The recipes' files in a model version directory (DESIGN §4), written by hrnn-train and read
// by the server and hrnn-eval: `sessions.bin`, the training sessions the sknn and sr indexes
// (and the trending seed) are built from at load, and `recipes.json`, which recipes the version
// serves, their settings and the blend. Both are listed with size and SHA-256 in config.json.
// Pure functions and value types: thread-safe.
//
// sessions.bin (integers little-endian):
//   1. 8 bytes: magic "HRNNSES\0".
//   2. u32: format version, kSessionsFormatVersion.
//   3. u32: num_items, the model's catalogue size (every item below is < num_items).
//   4. u64: S, the number of sessions, at most 2^31 - 1.
//   5. u64: C, the number of clicks, at most 2^40.
//   6. S times: i64 last_time (seconds since the epoch, the session's last click), u32 length;
//      the lengths add up to C. Sessions are in the training log's order (by user, then time).
//   7. C times i32: the clicks, session after session, in click order (repeats kept).
//   Nothing after 7. Building the indexes from the sessions at load costs O(C) (sknn) and
//   O(C x sr.max_distance) (sr); storing the sessions rather than the indexes keeps one
//   format for the two recipes and lets the server add its live sessions to the same index.
//
// recipes.json (an object; unknown keys are rejected so that typos do not pass silently):
//   "format_version": 1,
//   "recipes": ["hrnn", "sknn", ...]   the recipes this version serves (RecipeKindName), at
//                                      least "hrnn";
//   "default": "auto"                  one of "recipes": what a request without `recipe` gets;
//   "sknn": {"k": 100, "sample_size": 1000, "similarity": "vec"|"cosine"},
//   "sr": {"max_distance": 10, "max_rules_per_item": 20},
//   "personal": {"half_life_seconds": 604800 | "none", "session_weight": 1},   "none" = plain
//            counts (no decay); session_weight optional (default 1, what versions before it
//            did: the open session counted like the rest of the history),
//   "trending": {"half_life_seconds": 86400},
//   "blend": {"hrnn": w, "sknn": w, "sr": w, "personal": w, "trending": w}   weights >= 0 of
//            the auto recipe's normalised components (present when "auto" is served),
//   "similar_items": {"cooccurrence": w, "hrnn": w}   GetSimilarItems' blend weights
//            (item_cooccurrence.h); optional, default 1 and 1,
//   "validation": {"<recipe>": {"recall@20": r, "mrr@20": m, "predictions": n}, ...}   the
//            figures hrnn-train measured on its validation split (may be empty).
#ifndef HRNN_CORE_RECIPES_RECIPE_FILES_H_
#define HRNN_CORE_RECIPES_RECIPE_FILES_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/recipes/item_cooccurrence.h"
#include "core/recipes/personal_history.h"
#include "core/recipes/recipe_kind.h"
#include "core/recipes/sequential_rules.h"
#include "core/recipes/session_knn.h"
#include "core/recipes/trending.h"

namespace hrnn {

inline constexpr char kSessionsFileName[] = "sessions.bin";
inline constexpr char kRecipesFileName[] = "recipes.json";
inline constexpr uint32_t kSessionsFormatVersion = 1;

// Past sessions in compressed-row form.
struct TrainingSessions {
  int32_t num_items = 0;
  std::vector<int64_t> begin = {0};  // num_sessions() + 1 offsets into items.
  std::vector<int32_t> items;
  std::vector<int64_t> last_time;  // Per session, seconds since the epoch.

  int64_t num_sessions() const { return static_cast<int64_t>(last_time.size()); }
  absl::Span<const int32_t> session(int64_t s) const {
    return absl::MakeConstSpan(items).subspan(begin[s], begin[s + 1] - begin[s]);
  }
  // Appends one session. REQUIRES: every item in [0, num_items).
  void Add(absl::Span<const int32_t> clicks, int64_t time) {
    items.insert(items.end(), clicks.begin(), clicks.end());
    begin.push_back(static_cast<int64_t>(items.size()));
    last_time.push_back(time);
  }
};

std::string SerializeTrainingSessions(const TrainingSessions& sessions);

// Parses sessions.bin. Errors: InvalidArgument naming what is wrong (magic, version, counts,
// lengths, an item outside [0, num_items) with its session, trailing bytes) or when num_items
// differs from `expected_num_items` (the model's catalogue).
absl::StatusOr<TrainingSessions> ParseTrainingSessions(absl::string_view bytes,
                                                       int32_t expected_num_items);

// The IndexedSession views SessionKnnIndex::Build takes, pointing into `sessions`.
std::vector<IndexedSession> IndexedSessionsOf(const TrainingSessions& sessions);
// The spans SequentialRules::Build takes, pointing into `sessions`.
std::vector<absl::Span<const int32_t>> SessionSpansOf(const TrainingSessions& sessions);

struct RecipeValidation {
  double recall_at_20 = 0;
  double mrr_at_20 = 0;
  int64_t predictions = 0;
};

// recipes.json as a value.
struct RecipeSettings {
  std::vector<RecipeKind> recipes = {RecipeKind::kHrnn};  // AllRecipeKinds() order.
  RecipeKind default_recipe = RecipeKind::kHrnn;
  SessionKnnOptions sknn;
  SequentialRulesOptions sr;
  PersonalHistoryOptions personal;
  TrendingOptions trending;
  // Component name (RecipeKindName of hrnn, sknn, sr, personal, trending) -> weight.
  std::map<std::string, double> blend;
  SimilarItemsOptions similar_items;
  std::map<std::string, RecipeValidation> validation;  // Recipe name -> figures.

  bool Serves(RecipeKind kind) const;
  // InvalidArgument naming the field: no "hrnn", the default not among the recipes, invalid
  // component options, a blend weight negative, not finite or not a component, a blend without
  // auto or auto without a positive weight, invalid similar_items weights.
  absl::Status Validate() const;
};

std::string RecipeSettingsToJson(const RecipeSettings& settings);
// Parses and validates recipes.json. Errors: InvalidArgument naming the key at fault.
absl::StatusOr<RecipeSettings> ParseRecipeSettingsJson(absl::string_view text);

}  // namespace hrnn

#endif  // HRNN_CORE_RECIPES_RECIPE_FILES_H_
