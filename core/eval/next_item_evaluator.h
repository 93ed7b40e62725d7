// Next-item evaluation over the full catalogue (DESIGN §3): for each test session, the user's
// earlier sessions are replayed through the model to build the user state, then every click
// predicts the next one. Rank = 1 + items scoring strictly higher + other items scoring equal
// (conservative ties). Reports Recall@k, MRR@k and NDCG@k. Stateless; safe to call concurrently.
#ifndef HRNN_CORE_EVAL_NEXT_ITEM_EVALUATOR_H_
#define HRNN_CORE_EVAL_NEXT_ITEM_EVALUATOR_H_

#include <cstdint>
#include <functional>
#include <map>
#include <vector>

#include "core/data/dataset.h"
#include "core/model/hrnn_network.h"

namespace hrnn {

struct NextItemEvalOptions {
  // Cutoffs k. Default: 5, 10, 20.
  std::vector<int> cutoffs = {5, 10, 20};
  // Evaluate at most this many test predictions (0 = all), taken in test order. Default: 0.
  int64_t max_predictions = 0;
  // Threads over test users (results do not depend on it). Default: 1.
  int threads = 1;
  // true: items clicked earlier in the current session (the current click included) score -inf
  // before ranking, except the target itself: a repeated target keeps its own score and rank
  // among the unseen items, so repeats are neither rewarded nor made unreachable. Applies to
  // every evaluator. Default: false (repeats are recommendable).
  bool exclude_seen_items = false;
  // EvaluateScorer only: when > 0, the top-`list_size` list of every prediction is computed
  // (ties by lower index; with exclude_seen_items the seen items, target included, are left
  // out) and counted in NextItemMetrics::recommended. Default: 0 (off).
  int list_size = 0;
  // EvaluateScorer only: called on the calling thread with (predictions done, total) about
  // once a second and once at the end. Default: none.
  std::function<void(int64_t, int64_t)> progress = nullptr;
};

struct NextItemMetrics {
  int64_t predictions = 0;       // Click pairs evaluated.
  std::map<int, double> recall;  // k -> hit rate.
  std::map<int, double> mrr;     // k -> mean reciprocal rank (0 beyond k).
  std::map<int, double> ndcg;    // k -> mean 1 / log2(rank + 1) (0 beyond k).
  std::vector<int64_t> ranks;    // The rank of every prediction, in test order.
  // Per item: how many top-list_size lists it appeared in (empty when list_size is 0).
  std::vector<int64_t> recommended;
};

// Evaluates `network` on `test`, replaying each test user's sessions from `history` (matched by
// user id; a user absent from history starts from c = 0). Both datasets must share the item
// indexing of the network's model (as the splits in core/data/split.h guarantee).
NextItemMetrics EvaluateNextItem(const HrnnNetwork& network, const Dataset& history,
                                 const Dataset& test, const NextItemEvalOptions& options);

// The metrics of a list of ranks (shared by every method evaluated).
NextItemMetrics MetricsFromRanks(std::vector<int64_t> ranks, const std::vector<int>& cutoffs);

// Sets scores[i] = -inf for every item i in `session_prefix` other than `target`
// (NextItemEvalOptions::exclude_seen_items).
void MaskSeenItems(const int32_t* session_prefix, int64_t prefix_length, int32_t target,
                   float* scores);

// Conservative rank of `target` in `scores`: 1 + #(score > target's) + #(other items with an
// equal score). A NaN target score ranks last.
int64_t ConservativeRank(const float* scores, int64_t n, int64_t target);

}  // namespace hrnn

#endif  // HRNN_CORE_EVAL_NEXT_ITEM_EVALUATOR_H_
