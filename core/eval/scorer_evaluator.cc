#include "core/eval/scorer_evaluator.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace hrnn {

NextItemMetrics EvaluateScorer(const BaselineModel& model, const Dataset& history,
                               const Dataset& test, const NextItemEvalOptions& options) {
  absl::flat_hash_map<std::string, int64_t> history_user;
  for (int64_t u = 0; u < history.num_users(); ++u) history_user[history.users[u].id] = u;

  // Where each test user's predictions start in the output, so threads write disjoint ranges.
  std::vector<int64_t> offset(test.num_users() + 1, 0);
  for (int64_t u = 0; u < test.num_users(); ++u) {
    int64_t pairs = 0;
    for (int64_t s = test.users[u].session_begin; s < test.users[u].session_end; ++s) {
      pairs += std::max<int64_t>(0, test.sessions[s].length() - 1);
    }
    offset[u + 1] = offset[u] + pairs;
  }
  int64_t total = offset.back();
  int64_t users = test.num_users();
  if (options.max_predictions > 0 && total > options.max_predictions) {
    total = options.max_predictions;
    users = 0;
    while (users < test.num_users() && offset[users] < total) ++users;
  }
  std::vector<int64_t> ranks(total);

  const int64_t num_items = model.num_items();
  auto evaluate_users = [&](int64_t begin, int64_t end) {
    std::unique_ptr<NextItemScorer> scorer = model.NewScorer();
    std::vector<float> scores(num_items);
    for (int64_t u = begin; u < end; ++u) {
      const UserSpan* past = nullptr;
      if (auto it = history_user.find(test.users[u].id); it != history_user.end()) {
        past = &history.users[it->second];
      }
      scorer->BeginUser(history, past);
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
  const int threads = std::max(1, options.threads);
  std::vector<std::thread> workers;
  for (int t = 1; t < threads; ++t) {
    workers.emplace_back(evaluate_users, users * t / threads, users * (t + 1) / threads);
  }
  evaluate_users(0, users / threads);
  for (std::thread& worker : workers) worker.join();
  return MetricsFromRanks(std::move(ranks), options.cutoffs);
}

}  // namespace hrnn
