// The sparse recipes (sknn, sr, personal, trending; DESIGN §2b) scored for one user's state —
// the bridge between the UserState the server keeps and the recipes' own code in
// core/recipes/ — and the answer of a sparse recipe with its back-fill. One implementation for
// serving and for evaluation. Stateless functions; RecipeScratch is per thread.
#ifndef HRNN_CORE_SERVING_RECIPE_SCORING_H_
#define HRNN_CORE_SERVING_RECIPE_SCORING_H_

#include <cstdint>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "core/kernels/top_k.h"
#include "core/recipes/blend.h"
#include "core/recipes/personal_history.h"
#include "core/recipes/recipe_bundle.h"
#include "core/recipes/recipe_kind.h"
#include "core/recipes/session_knn.h"
#include "core/recipes/sparse_scores.h"
#include "core/state/user_state.h"

namespace hrnn {

// The sparse recipes and the blend component (blend.h) each one is in `auto`.
inline constexpr std::pair<BlendComponent, RecipeKind> kSparseBlendComponents[] = {
    {BlendComponent::kSknn, RecipeKind::kSknn},
    {BlendComponent::kSr, RecipeKind::kSr},
    {BlendComponent::kPersonal, RecipeKind::kPersonal},
    {BlendComponent::kTrending, RecipeKind::kTrending}};

// How many of trending's best items a request scores.
inline constexpr int kTrendingItems = 1000;

// Per-thread working memory of the sparse recipes over one catalogue. Not thread-safe.
struct RecipeScratch {
  explicit RecipeScratch(int32_t num_items) : scores(num_items), fill(num_items) {}
  SparseScores scores;  // The recipe's scores.
  SparseScores fill;    // Trending's, for the back-fill.
  SessionKnnScratch sknn;
  std::vector<int32_t> prefix;
  std::vector<ItemInteraction> history;
};

// The thread's scratch for a catalogue of `num_items` (re-created when the size changes).
RecipeScratch& ThreadRecipeScratch(int32_t num_items);

// What each sparse recipe reads from the state:
// - sknn, sr: the live session's clicks in order (session_clicks; nothing when `session_live`
//   is false: these recipes need a session to continue);
// - personal: the user's item history (counts and last times; the live session's clicks are in
//   it: Personal Pop counts the current session, weighted by the settings' session_weight; each
//   entry's session part is its clicks among session_clicks while `session_live`, capped at
//   its count; clicks of an expired session are plain history), then `user_id`'s training
//   history from the bundle (MergeTrainingHistory: per item the larger of the two);
// - trending: nothing from the user, the bundle's live counts at `now_ms`, for its
//   kTrendingItems best items (Trending::AddTopScores; the others score 0, in the blend too),
//   so that a request costs O(kTrendingItems), not O(catalogue).
// Clears `*scores` and adds the recipe's scores. REQUIRES: kind is one of the four and the
// bundle has what it needs (the settings serve or blend it); scores->num_items() ==
// bundle.num_items(); the state's items are in range.
void ScoreSparseRecipe(const RecipeBundle& bundle, RecipeKind kind, const UserState& state,
                       absl::string_view user_id, bool session_live, int64_t now_ms,
                       RecipeScratch* scratch, SparseScores* scores);

struct SparseAnswer {
  std::vector<ScoredItem> items;  // Best first.
  // The recipe that ranked the first items: `kind`, or kTrending when `kind` scored nothing
  // that the exclusions allow.
  RecipeKind answered = RecipeKind::kTrending;
  int backfilled = 0;  // Trailing items that came from the back-fill.
};

// The top `k` items of sparse recipe `kind` for the state, not excluded: its scored items by
// score (ties by the lower index), then — when it scored fewer than k — trending's (its own
// scores), then the most popular training items (index order; score 0), so that a request
// gets k items whenever the catalogue allows. REQUIRES: as ScoreSparseRecipe, k >= 1.
SparseAnswer AnswerSparseRecipe(const RecipeBundle& bundle, RecipeKind kind, const UserState& state,
                                absl::string_view user_id, bool session_live, int64_t now_ms,
                                const ItemExclusions& exclusions, int k);

}  // namespace hrnn

#endif  // HRNN_CORE_SERVING_RECIPE_SCORING_H_
