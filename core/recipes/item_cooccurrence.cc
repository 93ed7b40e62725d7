#include "core/recipes/item_cooccurrence.h"

#include <cmath>

#include "absl/strings/str_cat.h"

namespace hrnn {

BlendWeights SimilarItemsOptions::AsBlendWeights() const {
  BlendWeights weights;
  weights.Set(BlendComponent::kSknn, cooccurrence_weight);
  weights.Set(BlendComponent::kHrnn, hrnn_weight);
  return weights;
}

absl::Status SimilarItemsOptions::Validate() const {
  for (auto [name, weight] : {std::pair<const char*, double>{"cooccurrence", cooccurrence_weight},
                              std::pair<const char*, double>{"hrnn", hrnn_weight}}) {
    if (!std::isfinite(weight) || weight < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("similar_items.", name, ": must be a finite weight >= 0, got ", weight));
    }
  }
  if (!(cooccurrence_weight > 0 || hrnn_weight > 0)) {
    return absl::InvalidArgumentError("similar_items: needs a positive weight");
  }
  return absl::OkStatus();
}

absl::Status ScoreItemCooccurrence(const SessionKnnIndex& index, int32_t item,
                                   SessionKnnScratch* scratch, SparseScores* scores,
                                   const LiveSessions* live) {
  const int32_t prefix[1] = {item};
  return index.Score(prefix, scratch, scores, live);
}

}  // namespace hrnn
