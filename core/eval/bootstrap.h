// Bootstrap confidence intervals for next-item metrics (DESIGN §3): test users (or anonymous
// sessions) are resampled with replacement, each keeping all of its predictions, and the metric
// recomputed as total gain / total predictions of the resample. Stateless; thread-safe.
#ifndef HRNN_CORE_EVAL_BOOTSTRAP_H_
#define HRNN_CORE_EVAL_BOOTSTRAP_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "core/data/dataset.h"

namespace hrnn {

struct BootstrapOptions {
  // Resamples drawn. Default: 1000.
  int resamples = 1000;
  // Coverage of the percentile interval. Default: 0.95.
  double confidence = 0.95;
  // Seed of the std::mt19937_64 drawing the resamples. Default: 42.
  uint64_t seed = 42;

  // InvalidArgument naming the field: resamples < 1, confidence outside (0, 1).
  absl::Status Validate() const;
};

struct ConfidenceInterval {
  double low = 0;
  double high = 0;
};

enum class RankMetric { kRecall, kMrr, kNdcg };

// Group offsets of the predictions of `test` in evaluator order: group g (test user g) owns
// ranks [offsets[g], offsets[g + 1]). Offsets are capped at `total` (for max_predictions).
std::vector<int64_t> PredictionGroupOffsets(const Dataset& test, int64_t total);

// Percentile bootstrap interval of `metric`@k over `ranks` grouped by `offsets` (see
// PredictionGroupOffsets; groups without predictions are ignored). The same ranks, offsets and
// options give the same interval. An empty rank list gives [0, 0].
ConfidenceInterval BootstrapInterval(const std::vector<int64_t>& ranks,
                                     const std::vector<int64_t>& offsets, RankMetric metric, int k,
                                     const BootstrapOptions& options);

}  // namespace hrnn

#endif  // HRNN_CORE_EVAL_BOOTSTRAP_H_
