// Fitting the `auto` recipe's blend weights (DESIGN §2b) on validation predictions: coordinate
// ascent over a grid of weights, preferring blends at or above the best single component on both
// Recall@cutoff and MRR@cutoff (blend.h's BlendedScore), since `auto` must match it on both, and
// among those (or failing any) the best balance of the two.
// The caller (hrnn-train) passes validation predictions only, never test ones. Stateless
// functions of their arguments: safe to call concurrently.
#ifndef HRNN_CORE_RECIPES_BLEND_FIT_H_
#define HRNN_CORE_RECIPES_BLEND_FIT_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/recipes/blend.h"

namespace hrnn {

// What the fit needs of one validation prediction (one next-item event): the target's
// BlendTerms (blend.h: each component normalised over the whole catalogue) and those of a
// bounded set of competing items, from which the target's rank under any weights follows.
//
// The caller builds `others` as the union of each component's top-M items (M = 100, say) among
// the items the evaluation ranks, without the target. Items outside every component's top-M
// are assumed not to beat the target: a bounded approximation (such an item could only beat it
// with a middling score in several components at once), used only for choosing weights; the
// caller recomputes the reported validation figures with the exact evaluator (BlendDense).
// Memory: 20 bytes per competing item.
struct BlendPrediction {
  BlendTerms target{};
  std::vector<BlendTerms> others;
  // Ties with the target: the first `tie_winners` of `others` rank above it when tied, the
  // rest below. The server breaks ties by the lower item index, so hrnn-train sorts `others` by
  // item and sets this to how many have a lower index than the target: the fit then ranks as
  // the recipe rows of the validation table do. Default: all of them (conservative ties).
  size_t tie_winners = SIZE_MAX;
};

// The target's rank among itself and `others` under `weights`: 1 + the number of others whose
// BlendedScore is above the target's, or equal to it for the first `tie_winners` of them.
// NaN: a NaN target score ranks last (1 + others.size()); a NaN other never beats the target.
int64_t BlendTargetRank(const BlendPrediction& prediction, const BlendWeights& weights);

struct BlendMetrics {
  double recall = 0.0;  // Share of predictions with rank <= cutoff (hit rate).
  double mrr = 0.0;     // Mean of 1 / rank over predictions, 0 where rank > cutoff.
};

// Recall@cutoff and MRR@cutoff of `weights` over `predictions` (BlendTargetRank; 0s when there
// are no predictions). Sums in prediction order, so results are reproducible bit for bit.
// REQUIRES: cutoff >= 1.
BlendMetrics EvaluateBlend(const std::vector<BlendPrediction>& predictions,
                           const BlendWeights& weights, int cutoff);

struct BlendFitOptions {
  // The values each weight may take. Each finite and >= 0; not empty.
  // Default: {0, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4} (the small weights let a sparse
  // component reorder the GRU's near-ties without overriding its list).
  std::vector<double> grid = {0, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4};
  // Passes of coordinate ascent over the available components (it stops early after a pass that
  // changes nothing); 0 = the best single component. Default: 3.
  int rounds = 3;
  // The k of the objective's Recall@k and MRR@k. Default: 20.
  int cutoff = 20;

  // InvalidArgument naming the field: grid empty or grid[i] negative or not finite, rounds < 0,
  // cutoff < 1.
  absl::Status Validate() const;
};

struct BlendFitResult {
  BlendWeights weights;  // The chosen weights (valid; 0 for unavailable components).
  BlendMetrics blend;    // EvaluateBlend(predictions, weights, cutoff).
  // Each component alone (weight 1, others 0), computed the same way, so that the caller can
  // refuse a blend worse than its best component; all 0 for an unavailable component.
  std::array<BlendMetrics, kNumBlendComponents> single{};
  std::array<bool, kNumBlendComponents> available{};
  BlendComponent best_single = BlendComponent::kHrnn;  // The starting point of the ascent.
  // Whether `weights` reach the best single component's figures on both metrics, and the
  // objective (see FitBlendWeights): 1 = as good as the best component, on balance.
  bool at_least_best = false;
  double objective = 0.0;
  int evaluations = 0;  // Weight settings evaluated (singles included).
};

// Chooses weights over `predictions`. With R* and M* the best Recall@cutoff and the best
// MRR@cutoff of any available component alone (two components may hold them), a setting is
// "at least best" when its Recall@cutoff >= R* and its MRR@cutoff >= M*, and its objective is
// the geometric mean of its two ratios, sqrt(Recall@cutoff / R* x MRR@cutoff / M*) (a ratio whose
// R* or M* is 0 counts as 1). Settings at least best come first — `auto` must match the best
// component on both metrics, and an MRR-only fit traded Recall for MRR (UCI, before the
// personal recipe's training histories) — and the objective orders the rest, so that where no
// setting reaches both (MovieLens: the GRU has the best Recall, sr the best MRR) the fit takes
// the best balance rather than the best component alone:
// 1. each available component alone (weight 1) is evaluated; the best is the starting point;
// 2. for each round, for each available component c in BlendComponent order, for each grid
//    value v (in grid order), the current weights with w_c = v are evaluated (settings with
//    every weight 0 are skipped) and replace the current ones if strictly better.
// "Better": at least best where the other is not; then a higher objective; then higher
// MRR@cutoff; then higher Recall@cutoff; then simpler: fewer non-zero weights; then a lower sum
// of weights. Exact ties keep the earlier setting, so the
// result is a deterministic function of the inputs. Unavailable components keep weight 0 and their
// terms are never read. Cost: (singles + rounds x available x |grid|) x the total size of `others`.
// Errors: InvalidArgument naming the field: predictions empty; no component available;
// options invalid; a term of an available component negative or not finite
// ("predictions[3].others[7][sknn] ...").
absl::StatusOr<BlendFitResult> FitBlendWeights(
    const std::vector<BlendPrediction>& predictions,
    const std::array<bool, kNumBlendComponents>& available, const BlendFitOptions& options);

}  // namespace hrnn

#endif  // HRNN_CORE_RECIPES_BLEND_FIT_H_
