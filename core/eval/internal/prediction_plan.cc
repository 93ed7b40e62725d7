#include "core/eval/internal/prediction_plan.h"

#include <algorithm>
#include <thread>
#include <utility>

namespace hrnn::internal {

PredictionPlan PlanPredictions(const Dataset& history, const Dataset& test,
                               int64_t max_predictions) {
  PredictionPlan plan;
  for (int64_t u = 0; u < history.num_users(); ++u) plan.history_user[history.users[u].id] = u;
  plan.offset.assign(test.num_users() + 1, 0);
  for (int64_t u = 0; u < test.num_users(); ++u) {
    int64_t pairs = 0;
    for (int64_t s = test.users[u].session_begin; s < test.users[u].session_end; ++s) {
      pairs += std::max<int64_t>(0, test.sessions[s].length() - 1);
    }
    plan.offset[u + 1] = plan.offset[u] + pairs;
  }
  plan.total = plan.offset.back();
  plan.users = test.num_users();
  if (max_predictions > 0 && plan.total > max_predictions) {
    plan.total = max_predictions;
    plan.users = 0;
    while (plan.users < test.num_users() && plan.offset[plan.users] < plan.total) ++plan.users;
  }
  return plan;
}

void ForEachUserRange(int64_t users, int threads,
                      const std::function<void(int64_t, int64_t)>& task) {
  threads = std::max(1, threads);
  std::vector<std::thread> workers;
  for (int t = 1; t < threads; ++t) {
    workers.emplace_back(task, users * t / threads, users * (t + 1) / threads);
  }
  task(0, users / threads);
  for (std::thread& worker : workers) worker.join();
}

NextItemMetrics RankPlannedPredictions(const Dataset& history, const Dataset& test,
                                       const NextItemEvalOptions& options,
                                       const RankUsersFn& rank_users) {
  const PredictionPlan plan = PlanPredictions(history, test, options.max_predictions);
  std::vector<int64_t> ranks(plan.total);
  ForEachUserRange(plan.users, options.threads, [&](int64_t begin, int64_t end) {
    rank_users(plan, begin, end, absl::MakeSpan(ranks));
  });
  return MetricsFromRanks(std::move(ranks), options.cutoffs);
}

}  // namespace hrnn::internal
