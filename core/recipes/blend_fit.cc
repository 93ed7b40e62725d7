#include "core/recipes/blend_fit.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <string>

#include "absl/strings/str_cat.h"

namespace hrnn {
namespace {

// BlendTargetRank, but stops counting once the rank exceeds `cap` (returns cap + 1 then).
int64_t CappedRank(const BlendPrediction& prediction, const BlendWeights& weights, int64_t cap) {
  const float target = BlendedScore(weights, prediction.target);
  const int64_t others = static_cast<int64_t>(prediction.others.size());
  if (std::isnan(target)) return std::min(cap + 1, 1 + others);
  int64_t rank = 1;
  const size_t count = prediction.others.size();
  for (size_t j = 0; j < count; ++j) {
    const float score = BlendedScore(weights, prediction.others[j]);
    const bool beats = score > target || (score == target && j < prediction.tie_winners);
    if (beats && ++rank > cap) return rank;
  }
  return rank;
}

struct Scored {
  BlendWeights weights;
  BlendMetrics metrics;
  bool at_least_best = false;
  double objective = 0.0;
};

// value / best, or 1 when best is 0 (every setting reaches it).
double Ratio(double value, double best) { return best > 0.0 ? value / best : 1.0; }

int NonZero(const BlendWeights& w) {
  int n = 0;
  for (double x : w.weight) n += x != 0.0 ? 1 : 0;
  return n;
}

double Sum(const BlendWeights& w) {
  double s = 0.0;
  for (double x : w.weight) s += x;
  return s;
}

// Strictly better (see FitBlendWeights in the header).
bool Better(const Scored& a, const Scored& b) {
  if (a.at_least_best != b.at_least_best) return a.at_least_best;
  if (a.objective != b.objective) return a.objective > b.objective;
  if (a.metrics.mrr != b.metrics.mrr) return a.metrics.mrr > b.metrics.mrr;
  if (a.metrics.recall != b.metrics.recall) return a.metrics.recall > b.metrics.recall;
  if (NonZero(a.weights) != NonZero(b.weights)) return NonZero(a.weights) < NonZero(b.weights);
  return Sum(a.weights) < Sum(b.weights);
}

absl::Status CheckTerms(const BlendTerms& terms,
                        const std::array<bool, kNumBlendComponents>& available,
                        const std::string& where) {
  for (int c = 0; c < kNumBlendComponents; ++c) {
    if (!available[c]) continue;
    if (!std::isfinite(terms[c]) || terms[c] < 0.0f) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, "[", BlendComponentName(static_cast<BlendComponent>(c)),
                       "] must be finite and >= 0, got ", terms[c]));
    }
  }
  return absl::OkStatus();
}

}  // namespace

int64_t BlendTargetRank(const BlendPrediction& prediction, const BlendWeights& weights) {
  return CappedRank(prediction, weights, std::numeric_limits<int64_t>::max() - 1);
}

BlendMetrics EvaluateBlend(const std::vector<BlendPrediction>& predictions,
                           const BlendWeights& weights, int cutoff) {
  BlendMetrics metrics;
  if (predictions.empty()) return metrics;
  double hits = 0.0;
  double reciprocal = 0.0;
  for (const BlendPrediction& p : predictions) {
    const int64_t rank = CappedRank(p, weights, cutoff);
    if (rank <= cutoff) {
      hits += 1.0;
      reciprocal += 1.0 / static_cast<double>(rank);
    }
  }
  const double n = static_cast<double>(predictions.size());
  metrics.recall = hits / n;
  metrics.mrr = reciprocal / n;
  return metrics;
}

absl::Status BlendFitOptions::Validate() const {
  if (grid.empty()) return absl::InvalidArgumentError("grid must not be empty");
  for (size_t i = 0; i < grid.size(); ++i) {
    if (!std::isfinite(grid[i]) || grid[i] < 0.0) {
      return absl::InvalidArgumentError(
          absl::StrCat("grid[", i, "] must be finite and >= 0, got ", grid[i]));
    }
  }
  if (rounds < 0)
    return absl::InvalidArgumentError(absl::StrCat("rounds must be >= 0, got ", rounds));
  if (cutoff < 1)
    return absl::InvalidArgumentError(absl::StrCat("cutoff must be >= 1, got ", cutoff));
  return absl::OkStatus();
}

absl::StatusOr<BlendFitResult> FitBlendWeights(
    const std::vector<BlendPrediction>& predictions,
    const std::array<bool, kNumBlendComponents>& available, const BlendFitOptions& options) {
  if (absl::Status status = options.Validate(); !status.ok()) return status;
  if (predictions.empty()) return absl::InvalidArgumentError("predictions must not be empty");
  bool any_available = false;
  for (bool a : available) any_available = any_available || a;
  if (!any_available) {
    return absl::InvalidArgumentError("available: at least one component must be available");
  }
  for (size_t p = 0; p < predictions.size(); ++p) {
    const std::string where = absl::StrCat("predictions[", p, "]");
    if (absl::Status s = CheckTerms(predictions[p].target, available, where + ".target"); !s.ok()) {
      return s;
    }
    for (size_t o = 0; o < predictions[p].others.size(); ++o) {
      if (absl::Status s = CheckTerms(predictions[p].others[o], available,
                                      absl::StrCat(where, ".others[", o, "]"));
          !s.ok()) {
        return s;
      }
    }
  }

  BlendFitResult result;
  result.available = available;
  // The best single figures (R*, M*) come first: the objective is relative to them.
  double best_recall = 0.0;
  double best_mrr = 0.0;
  for (int c = 0; c < kNumBlendComponents; ++c) {
    if (!available[c]) continue;
    BlendWeights single;
    single.weight[c] = 1.0;
    ++result.evaluations;
    result.single[c] = EvaluateBlend(predictions, single, options.cutoff);
    best_recall = std::max(best_recall, result.single[c].recall);
    best_mrr = std::max(best_mrr, result.single[c].mrr);
  }
  const auto score = [&](const BlendWeights& w, const BlendMetrics& metrics) {
    return Scored{w, metrics, metrics.recall >= best_recall && metrics.mrr >= best_mrr,
                  std::sqrt(Ratio(metrics.recall, best_recall) * Ratio(metrics.mrr, best_mrr))};
  };
  const auto evaluate = [&](const BlendWeights& w) {
    ++result.evaluations;
    return score(w, EvaluateBlend(predictions, w, options.cutoff));
  };

  bool have_best = false;
  Scored current;
  for (int c = 0; c < kNumBlendComponents; ++c) {
    if (!available[c]) continue;
    BlendWeights single;
    single.weight[c] = 1.0;
    const Scored scored = score(single, result.single[c]);
    if (!have_best || Better(scored, current)) {
      current = scored;
      result.best_single = static_cast<BlendComponent>(c);
      have_best = true;
    }
  }

  for (int round = 0; round < options.rounds; ++round) {
    bool changed = false;
    for (int c = 0; c < kNumBlendComponents; ++c) {
      if (!available[c]) continue;
      for (double v : options.grid) {
        if (v == current.weights.weight[c]) continue;  // The current setting itself.
        BlendWeights trial = current.weights;
        trial.weight[c] = v;
        if (NonZero(trial) == 0) continue;
        const Scored scored = evaluate(trial);
        if (Better(scored, current)) {
          current = scored;
          changed = true;
        }
      }
    }
    if (!changed) break;
  }

  result.weights = current.weights;
  result.blend = current.metrics;
  result.at_least_best = current.at_least_best;
  result.objective = current.objective;
  return result;
}

}  // namespace hrnn
