#include "core/eval/scorer_evaluator.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/eval/internal/prediction_plan.h"

namespace hrnn {

NextItemMetrics EvaluateScorer(const BaselineModel& model, const Dataset& history,
                               const Dataset& test, const NextItemEvalOptions& options) {
  const internal::PredictionPlan plan =
      internal::PlanPredictions(history, test, options.max_predictions);
  const std::vector<int64_t>& offset = plan.offset;
  const int64_t total = plan.total;
  std::vector<int64_t> ranks(total);

  const int64_t num_items = model.num_items();
  auto evaluate_users = [&](int64_t begin, int64_t end) {
    std::unique_ptr<NextItemScorer> scorer = model.NewScorer();
    std::vector<float> scores(num_items);
    for (int64_t u = begin; u < end; ++u) {
      scorer->BeginUser(history, plan.HistoryOf(history, test, u));
      int64_t out = offset[u];
      for (int64_t s = test.users[u].session_begin; s < test.users[u].session_end; ++s) {
        const SessionSpan& span = test.sessions[s];
        for (int64_t e = span.begin; e + 1 < span.end && out < total; ++e) {
          const int32_t* prefix = &test.items[span.begin];
          const int64_t length = e + 1 - span.begin;
          const int32_t target = test.items[e + 1];
          scorer->Score(absl::MakeConstSpan(prefix, static_cast<size_t>(length)),
                        absl::MakeSpan(scores));
          if (options.exclude_seen_items) MaskSeenItems(prefix, length, target, scores.data());
          ranks[out++] = ConservativeRank(scores.data(), num_items, target);
        }
      }
    }
  };
  internal::ForEachUserRange(plan.users, options.threads, evaluate_users);
  return MetricsFromRanks(std::move(ranks), options.cutoffs);
}

}  // namespace hrnn
