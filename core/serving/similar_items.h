// GetSimilarItems (DESIGN §2b, §5): the items most like one item, for the product page's
// "people who looked at this also looked at" (Personalize's SIMS). The score blends (blend.h,
// weights from recipes.json's similar_items) the item's co-occurrence in past sessions
// (item_cooccurrence.h, the sknn index) with the GRU's scores after a one-click session on the
// item; a version without recipes answers with the GRU term alone. Filters, availability and
// the top-k are those of GetRecommendations, and the catalogue pass is the same CataloguePass
// (FinishRecommendation), so the server batches it with the others. Stateless functions of
// their arguments: safe to call concurrently.
#ifndef HRNN_CORE_SERVING_SIMILAR_ITEMS_H_
#define HRNN_CORE_SERVING_SIMILAR_ITEMS_H_

#include <cstdint>
#include <memory>
#include <string>

#include "core/serving/recommendation_pipeline.h"
#include "core/serving/serving_model.h"
#include "core/state/user_state.h"

namespace hrnn {

struct SimilarItemsRequest {
  // The item to find similar items for, a model index. REQUIRES: in [0, num_items).
  int64_t item = 0;
  // How many items to return. REQUIRES: >= 1.
  int num_results = 25;
  // The request's time (ms since the epoch) and the caller's session ("" = whatever is open):
  // they decide, as in RecommendationRequest, which of the user's clicks the filter's session
  // options see.
  int64_t now_ms = 0;
  std::string session_id;
  // What the answer leaves out, on the state passed with the request (the user's, or a new
  // user's state when the caller named no user: then the user-based options exclude nothing).
  // An include list restricts the candidates (still ranked by the blend). The item itself is
  // always left out.
  ItemFilter filter;
};

// The first half: the exclusions (the filter on `state`, availability, the item) and the
// catalogue pass — the query is the GRU's session state after one click on the item from a new
// user's state; when the model has recipes, pass.recipe is kAuto with the similar-items blend
// weights and the co-occurrence scores in pass.blend_sparse (computed here, on the caller's
// thread); otherwise kHrnn. `items` is never set: every answer needs the pass.
// prepared.answer_state describes `state` (kNewUser when !known).
// REQUIRES: model != nullptr, model->Owns(state) or a new state of it, the request's item in
// range, num_results >= 1.
PreparedRecommendation PrepareSimilarItems(std::shared_ptr<const ServingModel> model,
                                           const UserState& state, bool known,
                                           const SimilarItemsRequest& request, ScoringMode mode);

// The whole call with one catalogue pass of its own (kBatched scores as kSingle here); then
// FinishRecommendation. REQUIRES: as PrepareSimilarItems.
Recommendation SimilarItems(std::shared_ptr<const ServingModel> model, const UserState& state,
                            bool known, const SimilarItemsRequest& request, ScoringMode mode);

}  // namespace hrnn

#endif  // HRNN_CORE_SERVING_SIMILAR_ITEMS_H_
