// Next-item evaluation of a BaselineModel (core/eval/baselines.h) with the protocol, metrics and
// output layout of EvaluateNextItem (DESIGN §3). Stateless; safe to call concurrently.
#ifndef HRNN_CORE_EVAL_SCORER_EVALUATOR_H_
#define HRNN_CORE_EVAL_SCORER_EVALUATOR_H_

#include "core/data/dataset.h"
#include "core/eval/baselines.h"
#include "core/eval/next_item_evaluator.h"

namespace hrnn {

// Evaluates `model` on `test`: for each test user (matched to `history` by user id; nullptr
// history if absent) one scorer per thread gets BeginUser, then every click of every test
// session predicts the next one from the session prefix up to and including that click.
// Ranks are conservative over all items, in test order, as in EvaluateNextItem; the options'
// max_predictions, threads and exclude_seen_items apply the same way. Both datasets must share
// the item indexing the model was built with.
NextItemMetrics EvaluateScorer(const BaselineModel& model, const Dataset& history,
                               const Dataset& test, const NextItemEvalOptions& options);

}  // namespace hrnn

#endif  // HRNN_CORE_EVAL_SCORER_EVALUATOR_H_
