// The item-to-item half of GetSimilarItems (DESIGN §2b: "people who looked at this also looked
// at", Personalize's SIMS): which items share past sessions with an item, computed by the sknn
// recipe's own code (one implementation of V-SKNN), and the settings of the similar-items blend
// (its co-occurrence and GRU weights, kept in recipes.json). Stateless functions and a value
// type: thread-safe; the scratch is per thread.
#ifndef HRNN_CORE_RECIPES_ITEM_COOCCURRENCE_H_
#define HRNN_CORE_RECIPES_ITEM_COOCCURRENCE_H_

#include <cstdint>

#include "absl/status/status.h"
#include "core/recipes/blend.h"
#include "core/recipes/session_knn.h"
#include "core/recipes/sparse_scores.h"

namespace hrnn {

// How GetSimilarItems blends its two terms (blend.h's normalisation and BlendedScore):
// - co-occurrence: ScoreItemCooccurrence max-normalised, i.e. for the sknn index's default
//   "vec" similarity, the share of the item's neighbour sessions that also contain the other
//   item;
// - hrnn: GruBlendTerm of the GRU's scores after a one-click session on the item (the model's
//   own "what is clicked next after this item").
struct SimilarItemsOptions {
  // Default: 1.
  double cooccurrence_weight = 1.0;
  // Default: 1.
  double hrnn_weight = 1.0;

  // The blend weights: cooccurrence_weight on BlendComponent::kSknn, hrnn_weight on kHrnn.
  BlendWeights AsBlendWeights() const;
  // InvalidArgument naming the field unless both weights are finite and >= 0 and one is > 0.
  absl::Status Validate() const;
};

// Adds to *scores the co-occurrence of `item` with every other item: the sknn recipe's scores
// for the one-click session {item} (SessionKnnIndex::Score: its neighbours are the k most
// similar of the sample_size most recent sessions containing `item` — those finished on the
// server (`live`, when not null) first, then the indexed ones — and each item scores the summed
// similarity of the neighbours containing it). `item` itself scores the most; the caller
// excludes it. An item in no session adds nothing.
// Errors: InvalidArgument when `item` is outside [0, index.num_items()) (nothing is added).
// REQUIRES: scores->num_items() == index.num_items(); `scratch` used by one thread at a time.
absl::Status ScoreItemCooccurrence(const SessionKnnIndex& index, int32_t item,
                                   SessionKnnScratch* scratch, SparseScores* scores,
                                   const LiveSessions* live = nullptr);

}  // namespace hrnn

#endif  // HRNN_CORE_RECIPES_ITEM_COOCCURRENCE_H_
