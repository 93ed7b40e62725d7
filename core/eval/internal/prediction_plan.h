// Shared plumbing of the next-item evaluators: where each test user's predictions go in the
// rank list (so that threads write disjoint ranges), the history lookup by user id, the split
// of test users over threads, and the frame that runs them and turns the ranks into metrics.
// A PredictionPlan is immutable after PlanPredictions(); safe for concurrent reads.
#ifndef HRNN_CORE_EVAL_INTERNAL_PREDICTION_PLAN_H_
#define HRNN_CORE_EVAL_INTERNAL_PREDICTION_PLAN_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/types/span.h"
#include "core/data/dataset.h"
#include "core/eval/next_item_evaluator.h"

namespace hrnn::internal {

struct PredictionPlan {
  absl::flat_hash_map<std::string, int64_t> history_user;  // User id -> index in history.
  std::vector<int64_t> offset;  // Test user u's first prediction is rank offset[u].
  int64_t total = 0;            // Predictions to make (after max_predictions).
  int64_t users = 0;            // Test users [0, users) take part.

  // The history user of test user u, or nullptr.
  const UserSpan* HistoryOf(const Dataset& history, const Dataset& test, int64_t u) const {
    auto it = history_user.find(test.users[u].id);
    return it == history_user.end() ? nullptr : &history.users[it->second];
  }
};

// Every click of a test session with a next click is one prediction, in test order; at most
// max_predictions of them when it is positive.
PredictionPlan PlanPredictions(const Dataset& history, const Dataset& test,
                               int64_t max_predictions);

// Runs task(begin, end) over contiguous ranges of [0, users), one per thread (the calling
// thread takes the first), and returns when all are done.
void ForEachUserRange(int64_t users, int threads,
                      const std::function<void(int64_t, int64_t)>& task);

// What an evaluator does for the test users [begin, end) of `plan`: writes the rank of user u's
// predictions, in test order, to ranks[plan.offset[u]] onwards, stopping at plan.total.
using RankUsersFn = std::function<void(const PredictionPlan& plan, int64_t begin, int64_t end,
                                       absl::Span<int64_t> ranks)>;

// The frame both evaluators share: plans the predictions of `test` against `history`
// (options.max_predictions), runs rank_users over the planned users split on options.threads
// threads (concurrently, on disjoint ranges), and returns MetricsFromRanks at options.cutoffs.
NextItemMetrics RankPlannedPredictions(const Dataset& history, const Dataset& test,
                                       const NextItemEvalOptions& options,
                                       const RankUsersFn& rank_users);

}  // namespace hrnn::internal

#endif  // HRNN_CORE_EVAL_INTERNAL_PREDICTION_PLAN_H_
