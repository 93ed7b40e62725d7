#include "core/serving/similar_items.h"

#include <cassert>
#include <utility>
#include <vector>

#include "core/recipes/item_cooccurrence.h"
#include "core/serving/recipe_scoring.h"

namespace hrnn {
namespace {

// The catalogue mask of what an include list leaves out, on top of `unavailable`: bit i set
// unless item i is listed (and in the catalogue).
std::shared_ptr<const ItemAvailability::Mask> IncludeOnlyMask(
    const ItemAvailability::Mask& unavailable, int64_t num_items,
    const std::vector<int64_t>& include_items) {
  auto mask = std::make_shared<ItemAvailability::Mask>(unavailable.size(), ~uint64_t{0});
  for (int64_t item : include_items) {
    if (item >= 0 && item < num_items) (*mask)[item / 64] &= ~(uint64_t{1} << (item % 64));
  }
  for (size_t w = 0; w < mask->size(); ++w) (*mask)[w] |= unavailable[w];
  return mask;
}

}  // namespace

PreparedRecommendation PrepareSimilarItems(std::shared_ptr<const ServingModel> model,
                                           const UserState& state, bool known,
                                           const SimilarItemsRequest& request, ScoringMode mode) {
  assert(request.item >= 0 && request.item < model->network->num_items());
  const Recommender& recommender = *model->recommender;
  const bool session_live = recommender.SessionLive(state, request.now_ms, request.session_id);
  PreparedRecommendation prepared;
  prepared.answer_state = !known         ? AnswerState::kNewUser
                          : session_live ? AnswerState::kSession
                                         : AnswerState::kUser;
  CataloguePass& pass = prepared.pass;
  pass.num_results = request.num_results;
  pass.mode = mode;
  pass.unavailable = CombineMasks(model->availability->Snapshot(), request.filter.excluded_mask);
  if (request.filter.include_items.has_value()) {
    pass.unavailable = IncludeOnlyMask(*pass.unavailable, model->network->num_items(),
                                       *request.filter.include_items);
  }
  pass.exclusions = FilterExclusions(state, session_live, request.filter, pass.unavailable.get());
  pass.exclusions.Add(request.item);
  pass.exclusions.Finalize();

  // The GRU term: the session state after one click on the item, from a new user's state.
  UserState one_click = model->NewUserState();
  const absl::StatusOr<EventOutcome> stepped =
      recommender.ApplyEvent(one_click, {request.item, request.now_ms, {}});
  assert(stepped.ok());  // The item is in range and the state is the model's.
  (void)stepped;
  pass.query.resize(model->network->hidden_size());
  recommender.QueryState(one_click, request.now_ms, pass.query.data());

  const RecipeBundle* bundle = model->recipes.get();
  if (bundle != nullptr) {
    const SimilarItemsOptions& options = bundle->settings().similar_items;
    pass.recipe = RecipeKind::kAuto;
    pass.blend_weights = options.AsBlendWeights();
    if (options.cooccurrence_weight > 0 && bundle->sknn() != nullptr) {
      RecipeScratch& scratch = ThreadRecipeScratch(bundle->num_items());
      scratch.scores.Clear();
      const absl::Status scored =
          ScoreItemCooccurrence(*bundle->sknn(), static_cast<int32_t>(request.item), &scratch.sknn,
                                &scratch.scores, bundle->live_sessions());
      assert(scored.ok());
      (void)scored;
      scratch.scores.NormalizeByMax();
      std::vector<ScoredItem>& out = pass.blend_sparse[ComponentIndex(BlendComponent::kSknn)];
      out.reserve(scratch.scores.touched().size());
      for (int32_t item : scratch.scores.touched()) out.push_back({item, scratch.scores.Get(item)});
      scratch.scores.Clear();
    }
  }
  prepared.recipe = pass.recipe;
  pass.model = std::move(model);
  return prepared;
}

Recommendation SimilarItems(std::shared_ptr<const ServingModel> model, const UserState& state,
                            bool known, const SimilarItemsRequest& request, ScoringMode mode) {
  return CompleteWithOwnPass(PrepareSimilarItems(std::move(model), state, known, request, mode));
}

}  // namespace hrnn
