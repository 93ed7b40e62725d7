#include "core/eval/scorer_evaluator.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/eval/internal/prediction_plan.h"
#include "core/kernels/top_k.h"

namespace hrnn {

NextItemMetrics EvaluateScorer(const BaselineModel& model, const Dataset& history,
                               const Dataset& test, const NextItemEvalOptions& options) {
  const int64_t num_items = model.num_items();
  std::vector<int64_t> recommended(options.list_size > 0 ? num_items : 0, 0);
  absl::Mutex recommended_mutex;
  std::atomic<int64_t> done{0};

  auto evaluate_users = [&](const internal::PredictionPlan& plan, int64_t begin, int64_t end,
                            absl::Span<int64_t> ranks) {
    const std::vector<int64_t>& offset = plan.offset;
    const int64_t total = plan.total;
    const bool reporter = begin == 0 && options.progress != nullptr;
    absl::Time last_report = absl::Now();
    std::unique_ptr<NextItemScorer> scorer = model.NewScorer();
    std::vector<float> scores(num_items);
    std::vector<int64_t> counts(recommended.size(), 0);
    for (int64_t u = begin; u < end; ++u) {
      scorer->BeginUser(history, plan.HistoryOf(history, test, u));
      int64_t out = offset[u];
      for (int64_t s = test.users[u].session_begin; s < test.users[u].session_end; ++s) {
        const SessionSpan& span = test.sessions[s];
        const int32_t* prefix = &test.items[span.begin];
        for (int64_t e = span.begin; e + 1 < span.end && out < total; ++e) {
          const int64_t length = e + 1 - span.begin;
          const int32_t target = test.items[e + 1];
          scorer->SetPrefixTimes(
              absl::MakeConstSpan(&test.timestamps[span.begin], static_cast<size_t>(length)));
          scorer->Score(absl::MakeConstSpan(prefix, static_cast<size_t>(length)),
                        absl::MakeSpan(scores));
          if (options.list_size > 0) {
            ItemExclusions seen;
            if (options.exclude_seen_items) {
              for (int64_t p = 0; p < length; ++p) seen.Add(prefix[p]);
            }
            for (const ScoredItem& item : TopK(scores, options.list_size, std::move(seen))) {
              ++counts[item.index];
            }
          }
          if (options.exclude_seen_items) MaskSeenItems(prefix, length, target, scores.data());
          ranks[out++] = ConservativeRank(scores.data(), num_items, target);
        }
        scorer->SetPrefixTimes(
            absl::MakeConstSpan(&test.timestamps[span.begin], static_cast<size_t>(span.length())));
        scorer->EndSession(absl::MakeConstSpan(prefix, static_cast<size_t>(span.length())));
      }
      done.fetch_add(offset[u + 1] - offset[u], std::memory_order_relaxed);
      if (reporter && absl::Now() - last_report > absl::Seconds(1)) {
        last_report = absl::Now();
        options.progress(std::min(total, done.load(std::memory_order_relaxed)), total);
      }
    }
    if (!counts.empty()) {
      absl::MutexLock lock(&recommended_mutex);
      for (size_t i = 0; i < counts.size(); ++i) recommended[i] += counts[i];
    }
  };
  NextItemMetrics metrics =
      internal::RankPlannedPredictions(history, test, options, evaluate_users);
  if (options.progress != nullptr) options.progress(metrics.predictions, metrics.predictions);
  metrics.recommended = std::move(recommended);
  return metrics;
}

}  // namespace hrnn
