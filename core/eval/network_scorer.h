// A trained HrnnNetwork seen as a BaselineModel, so that models and baselines go through one
// evaluator (core/eval/scorer_evaluator.h) on one catalogue: the evaluation's training
// vocabulary, mapped to the model's by item id. Immutable; thread-safe (scorers are per thread).
#ifndef HRNN_CORE_EVAL_NETWORK_SCORER_H_
#define HRNN_CORE_EVAL_NETWORK_SCORER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "core/data/dataset.h"
#include "core/eval/baselines.h"
#include "core/model/hrnn_network.h"

namespace hrnn {

struct NetworkModelInfo {
  int64_t catalogue_items = 0;         // Items of the evaluation's training vocabulary ...
  int64_t items_unknown_to_model = 0;  // ... that the model lacks (they score -inf).
  int64_t model_items = 0;             // Items in the model's vocabulary.
};

// Wraps `network`. Scoring replays the user's training sessions (BeginUser) through the
// session GRU and folds each into the user state (none in session-only mode), then steps the
// session GRU over the current prefix and scores every catalogue item: an item the model knows
// gets its model score, an unknown item -inf (and an unknown clicked item leaves the session
// state unchanged). Each finished test session is folded into the user state (EndSession), as
// in EvaluateNextItem, which gives the same ranks when the vocabularies agree.
// Errors: InvalidArgument when no catalogue item is known to the model.
absl::StatusOr<std::unique_ptr<BaselineModel>> NewNetworkModel(
    std::shared_ptr<const HrnnNetwork> network, const Dataset& train, std::string name,
    NetworkModelInfo* info);

}  // namespace hrnn

#endif  // HRNN_CORE_EVAL_NETWORK_SCORER_H_
