// The validation predictions the auto recipe's weights are fit on (blend_fit.h): for every
// next-item prediction of a validation split, the blend terms (blend.h) of the target and of
// each component's best items, computed from the states the server would hold (UserReplay) with
// the serving code (Recommender, recipe_scoring.h). Stateless; safe to call concurrently.
#ifndef HRNN_CORE_EVAL_BLEND_PREDICTIONS_H_
#define HRNN_CORE_EVAL_BLEND_PREDICTIONS_H_

#include <cstdint>
#include <vector>

#include "core/data/dataset.h"
#include "core/recipes/blend_fit.h"
#include "core/serving/serving_model.h"

namespace hrnn {

struct BlendPredictionOptions {
  // Competing items per component: its top_m items by score. Default: 100.
  int top_m = 100;
  // At most this many predictions, in validation order (0 = all). Default: 0.
  int64_t max_predictions = 0;
};

// One BlendPrediction per click pair of `validation` whose user has a state (users are matched
// to `history` by id; a pair the pipeline would answer with the trending fallback — the user
// has no state yet — does not depend on the weights and is skipped). Components: the GRU
// (always) and every sparse recipe the bundle has an index for. REQUIRES: model.recipes is set;
// history, validation and the model share one item indexing (hrnn-train's splits).
std::vector<BlendPrediction> CollectBlendPredictions(const ServingModel& model,
                                                     const Dataset& history,
                                                     const Dataset& validation,
                                                     const BlendPredictionOptions& options);

// The predictions GetSimilarItems' two weights (similar_items.h: co-occurrence on kSknn, the GRU
// on kHrnn) are fit on: for every click pair (i, j) of `validation`'s sessions with j != i (the
// answer never holds i itself), the terms of j and of each term's top_m items other than i, as
// PrepareSimilarItems scores them — the sknn index's co-occurrence of i (without live sessions)
// and the GRU's logits after one click on i from a new user's state. Ties as the server breaks
// them (the lower index first). Pairs whose i no session contains still count (the GRU alone
// ranks them). REQUIRES: model.recipes is set with an sknn index; validation shares the model's
// item indexing.
std::vector<BlendPrediction> CollectSimilarItemPredictions(const ServingModel& model,
                                                           const Dataset& validation,
                                                           const BlendPredictionOptions& options);

}  // namespace hrnn

#endif  // HRNN_CORE_EVAL_BLEND_PREDICTIONS_H_
