// The recommendation pipeline (DESIGN §6): the one path from a user's state and a request to
// ranked items — the query vector for the state at the request's time, the exclusions the
// request's filter asks for plus the catalogue's availability, a pass over the item table and
// the top-k. The server maps its proto to a RecommendationRequest, calls Recommend() (or
// PrepareRecommendation(), a shared batched pass, then FinishRecommendation()) and maps the
// items back; tests and tools call the same functions. Stateless functions of their arguments:
// safe to call concurrently, each call with its own copy of the user's state.
#ifndef HRNN_CORE_SERVING_RECOMMENDATION_PIPELINE_H_
#define HRNN_CORE_SERVING_RECOMMENDATION_PIPELINE_H_

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/kernels/top_k.h"
#include "core/recipes/blend.h"
#include "core/recipes/recipe_kind.h"
#include "core/serving/promotion.h"
#include "core/serving/serving_model.h"
#include "core/state/user_state.h"

namespace hrnn {

// How the catalogue is scored. kBatched: concurrent calls share passes over the item table (the
// server's ScoringBatcher), SIMD kernels and the heap top-k; kSingle: one SIMD pass per call;
// kNaive: one Eigen pass per call and std::partial_sort (the benchmarks' baseline).
enum class ScoringMode { kBatched, kSingle, kNaive };

// "batched", "single", "naive".
absl::string_view ScoringModeName(ScoringMode mode);
// The mode named `name`. Errors: InvalidArgument quoting the name and listing the choices.
absl::StatusOr<ScoringMode> ParseScoringMode(absl::string_view name);

// What a request leaves out of (or restricts) the candidates, in model item indices.
struct ItemFilter {
  // The live session's clicks (UserState::session_clicks). Default: false.
  bool exclude_session_items = false;
  // Every item in the user's history (UserState::history) and the live session's clicks.
  // Default: false.
  bool exclude_user_history = false;
  // The items the user bought. Default: false.
  bool exclude_purchased = false;
  // Extra items to leave out. Default: none.
  std::vector<int64_t> exclude_items;
  // When set, only these items are candidates (in this order for equal scores; duplicates
  // count once; indices outside the catalogue are ignored) and they are scored directly,
  // without a catalogue pass; an empty list yields no items. Default: unset (the whole
  // catalogue).
  std::optional<std::vector<int64_t>> include_items;
  // A named filter's verdict (ItemFilterProgram::Evaluate over the model's attributes): bit i
  // set = item i is excluded. Applied on top of the rest, availability included; back-fills
  // respect it too. Default: null (no named filter).
  std::shared_ptr<const ItemAvailability::Mask> excluded_mask;
};

// The exclusions `filter` asks for on `state` (its session's clicks only when `session_live`),
// over the catalogue mask `unavailable` (may be null), finalised. The caller folds
// filter.excluded_mask into `unavailable` first (CombineMasks).
ItemExclusions FilterExclusions(const UserState& state, bool session_live, const ItemFilter& filter,
                                const ItemAvailability::Mask* unavailable);

// `a` OR `b` (either may be null: the other is returned as is). REQUIRES: equal sizes when both
// are set.
std::shared_ptr<const ItemAvailability::Mask> CombineMasks(
    std::shared_ptr<const ItemAvailability::Mask> a,
    std::shared_ptr<const ItemAvailability::Mask> b);

// A promotion (promotion.h): a share of the slots for the best items that pass a second filter.
struct PromotionRequest {
  // The caller's name for it; carried to RankedItems::promotion, not otherwise read.
  std::string name;
  // 1..100: the share of the slots (PromotedSlots).
  int percent = 0;
  // The promotion's filter (a named filter's verdict): bit i set = item i is not promoted. The
  // request's own filter and the catalogue's availability apply to promoted items too. Null =
  // every item the request allows may be promoted.
  std::shared_ptr<const ItemAvailability::Mask> excluded_mask;
  // Draws the promoted items' positions (PlacePromotedItems); the server passes
  // PromotionSeed(recommendation id).
  uint64_t placement_seed = 0;
};

struct RecommendationRequest {
  // The request's time (ms since the epoch): decides whether the open session is still live.
  int64_t now_ms = 0;
  // The caller's session id; "" = whatever session is open.
  std::string session_id;
  // The user's id: the personal recipe reads their training history by it
  // (RecipeBundle::user_items); "" = none.
  std::string user_id;
  // How many items to return. REQUIRES: >= 1.
  int num_results = 25;
  ItemFilter filter;
  // The recipe to answer with; unset = the model's default (ServingModel::default_recipe). A
  // recipe the model does not serve is answered by the default (callers check with
  // ResolveRecipe first).
  std::optional<RecipeKind> recipe;
  // Unset: no promotion.
  std::optional<PromotionRequest> promotion;
};

// The recipe a request for `requested` gets from `model`. Errors: InvalidArgument naming
// "recipe" when the model version does not serve it (listing what it serves).
absl::StatusOr<RecipeKind> ResolveRecipe(const ServingModel& model,
                                         std::optional<RecipeKind> requested);

// Which of the user's states answered (the response's `state` field): no usable state, the live
// session's vector, or the session-start prediction from the user vector.
enum class AnswerState { kNewUser, kSession, kUser };
// "new_user", "session", "user".
absl::string_view AnswerStateName(AnswerState state);

// A promotion's second top-k over a catalogue pass's scores: `slots` items under `exclusions`
// (the request's plus the promotion filter's), placed by `seed`.
struct PassPromotion {
  std::string name;
  int slots = 0;
  uint64_t seed = 0;
  std::shared_ptr<const ItemAvailability::Mask> unavailable;  // Keeps `exclusions`' mask alive.
  ItemExclusions exclusions;
};

// A GetRecommendations call that still needs its pass over the item table.
struct CataloguePass {
  std::shared_ptr<const ServingModel> model;
  std::vector<float> query;  // model->network->hidden_size() floats.
  int num_results = 0;
  ScoringMode mode = ScoringMode::kBatched;
  std::shared_ptr<const ItemAvailability::Mask> unavailable;  // Keeps `exclusions`' mask alive.
  ItemExclusions exclusions;
  // kHrnn: the top-k of the GRU scores; kAuto: of the blend (blend.h, with `blend_weights`) of
  // the GRU scores with the sparse components below, computed when the pass was prepared (on
  // the request's thread) and max-normalised: per component, its touched items with their
  // normalised scores. GetSimilarItems (similar_items.h) blends the same way.
  RecipeKind recipe = RecipeKind::kHrnn;
  BlendWeights blend_weights;
  std::array<std::vector<ScoredItem>, kNumBlendComponents> blend_sparse;
  // A promotion's second top-k over the same scores (unset: none).
  std::optional<PassPromotion> promotion;
};

struct PreparedRecommendation {
  AnswerState answer_state = AnswerState::kNewUser;
  // The recipe that answers (see Recommendation::recipe) and how many trailing items were
  // back-filled from trending.
  RecipeKind recipe = RecipeKind::kHrnn;
  int backfilled = 0;
  // Set when the answer needed no catalogue pass (an include list): the items, best first.
  std::optional<std::vector<ScoredItem>> items;
  // With `items`: the positions in it that hold promoted items (RankedItems::promoted_ranks).
  std::vector<int> promoted_ranks;
  // Otherwise, the pass still to do (then FinishRecommendation).
  CataloguePass pass;
};

// The first half of the pipeline: the recipe, the exclusions for `state` (a usable state of
// `model`, or model->NewUserState() for a user without one; `known` says which) and either the
// answer (sparse recipes, include lists) or the query vector of the catalogue pass (hrnn).
// Recipes: "hrnn" scores the catalogue with the GRU — except for a user without state when
// the model has recipes, who gets "trending" (the fallback for users with no history, instead
// of the GRU's empty-history state); so does "auto" for such a user, unless the version holds
// the user's training history (RecipeBundle::user_items, by request.user_id), which its
// personal component reads; "sknn", "sr", "personal" and "trending" are answered here
// (recipe_scoring.h: their scores, then back-fill); "auto" scores the sparse components it
// blends here and the GRU in the catalogue pass, and FinishRecommendation blends them
// (BlendTopK: exact, without an exp per catalogue item). An include list is always ranked by
// the GRU ("hrnn"). A promotion ranks its candidates with the same recipe and state (a second
// answer of the sparse recipe, a second top-k over the same catalogue pass, or the include list
// less what the promotion's filter excludes) and PlacePromotedItems merges the two lists.
// REQUIRES: model != nullptr, model->Owns(state) or a new state of it, request.num_results >= 1.
PreparedRecommendation PrepareRecommendation(std::shared_ptr<const ServingModel> model,
                                             const UserState& state, bool known,
                                             const RecommendationRequest& request,
                                             ScoringMode mode);

// The second half: the top items from `scores` (every item's GRU score for pass.query) — or,
// for kAuto, of their blend with pass.blend_sparse — best first. A blend without a GRU term
// that finds fewer than pass.num_results items is back-filled in popularity order (item index
// order, score 0), counted in `backfilled` (0 for kHrnn). The GRU's top-k is
// HrnnNetwork::TopItems (an int8 table's candidates rescored exactly in fp32; the blend reads
// the int8 logits as they are). With pass.promotion, a second top-k
// under its exclusions is merged in (PlacePromotedItems). Consumes pass's exclusions.
// REQUIRES: scores.size() == pass.model->network->num_items().
RankedItems FinishRecommendation(CataloguePass& pass, absl::Span<const float> scores);

// Scores the catalogue for `pass` with one pass of its own (kNaive: Eigen; otherwise the SIMD
// kernels) into `scores` (num_items() floats).
void ScoreCatalogue(const CataloguePass& pass, absl::Span<float> scores);

struct Recommendation {
  AnswerState answer_state = AnswerState::kNewUser;
  // The recipe that answered: the one asked for, or kTrending when it had nothing to go on.
  RecipeKind recipe = RecipeKind::kHrnn;
  int backfilled = 0;               // Items back-filled from trending / popularity (RankedItems).
  std::vector<ScoredItem> items;    // Best first.
  std::vector<int> promoted_ranks;  // Positions in `items` of promoted items, ascending.
};

// Completes `prepared` with one catalogue pass of its own (kBatched scores as kSingle here):
// its items when it has them, else ScoreCatalogue then FinishRecommendation.
Recommendation CompleteWithOwnPass(PreparedRecommendation prepared);

// The whole pipeline with one catalogue pass of its own (kBatched scores as kSingle here).
// REQUIRES: as PrepareRecommendation.
Recommendation Recommend(std::shared_ptr<const ServingModel> model, const UserState& state,
                         bool known, const RecommendationRequest& request, ScoringMode mode);

// GetPersonalizedRanking: `candidates` (model indices, in the caller's order) less what the
// filter excludes (its named filter included) — availability does not remove them: the caller
// asked about these items —
// scored for the user and ordered best first (equal scores keep their order; NaN last).
// `request.num_results` and `request.filter.include_items` are ignored. Errors: InvalidArgument
// naming "items" when an index is outside the catalogue.
absl::StatusOr<Recommendation> RankCandidates(const ServingModel& model, const UserState& state,
                                              bool known, const RecommendationRequest& request,
                                              absl::Span<const int64_t> candidates);

}  // namespace hrnn

#endif  // HRNN_CORE_SERVING_RECOMMENDATION_PIPELINE_H_
