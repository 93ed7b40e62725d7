// The `auto` recipe's blend (DESIGN §2b): a weighted sum of normalised component scores. This file
// is the one definition of the blend; serving (BlendTopK) and offline evaluation (BlendDense) and
// the weight fit (blend_fit.h, through BlendedScore) all compute it with these functions.
// Stateless functions of their arguments: safe to call concurrently.
#ifndef HRNN_CORE_RECIPES_BLEND_H_
#define HRNN_CORE_RECIPES_BLEND_H_

#include <array>
#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/kernels/top_k.h"
#include "core/recipes/sparse_scores.h"

namespace hrnn {

// The blend's components, in this fixed order (the order of every per-component array below).
enum class BlendComponent { kHrnn, kSknn, kSr, kPersonal, kTrending };
inline constexpr int kNumBlendComponents = 5;

// "hrnn", "sknn", "sr", "personal", "trending" (the recipe names of DESIGN §2b).
absl::string_view BlendComponentName(BlendComponent component);
// The component named `name`. Errors: InvalidArgument quoting the name and listing the choices.
absl::StatusOr<BlendComponent> ParseBlendComponent(absl::string_view name);

inline constexpr int ComponentIndex(BlendComponent component) {
  return static_cast<int>(component);
}

struct BlendWeights {
  // weight[ComponentIndex(c)] multiplies component c's normalised term. Default: all 0 (invalid;
  // set at least one).
  std::array<double, kNumBlendComponents> weight{};

  double Get(BlendComponent c) const { return weight[ComponentIndex(c)]; }
  void Set(BlendComponent c, double w) { weight[ComponentIndex(c)] = w; }

  // InvalidArgument naming the component (e.g. "weight[sknn] must be finite and >= 0, got -1")
  // unless every weight is finite and >= 0 and at least one is > 0.
  absl::Status Validate() const;
};

// One item's normalised term per component, indexed by ComponentIndex:
// - kHrnn: GruBlendTerm(x_i, x_max), x the GRU logits over the whole catalogue, x_max their
//   maximum (GruMaxLogit): the GRU's best item scores 1, the others exp(x_i - x_max) in (0, 1),
//   monotone in x_i;
// - a sparse component: its score divided by its maximum over touched items
//   (SparseScores::NormalizeByMax: best item 1, untouched items 0).
// Both normalisations are over the whole catalogue, before any exclusion: excluding items never
// changes another item's blended score, only which items are returned.
using BlendTerms = std::array<float, kNumBlendComponents>;

// The maximum of `logits` over its non-NaN entries; -inf when it is empty or all NaN.
float GruMaxLogit(absl::Span<const float> logits);

// The GRU's normalised term: 1 when logit == max_logit (also when both are infinite), else
// exp(logit - max_logit) computed in double and rounded to float (0 for a -inf logit or when the
// difference underflows; NaN for a NaN logit). REQUIRES: logit <= max_logit unless NaN.
float GruBlendTerm(float logit, float max_logit);

// THE blend: sum over the components c with w_c > 0 of w_c * terms[c], summed in double in
// component order and rounded once to float. A component of weight 0 is skipped, so its term
// may be anything (also NaN). Every blended score anywhere is this float, so that serving,
// evaluation and the fit order items identically.
float BlendedScore(const BlendWeights& weights, const BlendTerms& terms);

// The components' scores for one request. Absent components contribute 0 for every item.
struct BlendInputs {
  // The GRU's logits for every item of the catalogue (not normalised); empty = absent.
  absl::Span<const float> gru_logits;
  // The sparse components, indexed by ComponentIndex; nullptr = absent. Each must be normalised
  // already (SparseScores::NormalizeByMax) and is not owned. sparse[kHrnn] must be nullptr.
  std::array<const SparseScores*, kNumBlendComponents> sparse{};

  // The catalogue size: gru_logits.size() if present, else that of any present sparse
  // component, else 0. REQUIRES: every present input has the same size.
  int32_t num_items() const;
};

// Item `item`'s BlendTerms. `max_logit` is GruMaxLogit(inputs.gru_logits) (computed once per
// request by the caller); the kHrnn term is 0 when the logits are absent.
// REQUIRES: 0 <= item < inputs.num_items().
BlendTerms ItemBlendTerms(const BlendInputs& inputs, float max_logit, int32_t item);

// dense[i] = BlendedScore(weights, ItemBlendTerms(inputs, GruMaxLogit(...), i)) for every item:
// the blend over the whole catalogue, for offline evaluation (which ranks the target among all
// items). O(num_items) exps. REQUIRES: dense.size() == inputs.num_items(); weights valid.
void BlendDense(const BlendWeights& weights, const BlendInputs& inputs, absl::Span<float> dense);

// The k best allowed items (not in `exclusions`) by blended score, best first, ties by the lower
// item index, NaN scores never returned: exactly TopK(BlendDense(...), k, exclusions), except
// that without a GRU term (w_hrnn == 0 or no logits) only items of blended score > 0 are
// returned (the others are indistinguishable from untouched items; the caller back-fills from
// its fallback recipe). k <= 0 returns nothing. REQUIRES: weights valid; inputs sizes agree.
//
// It computes no exp over the whole catalogue. With K = k, the candidates are the K best allowed
// items by GRU logit (TopK, ties by lower index) plus every allowed item touched by a sparse
// component of positive weight; only they are blended. Why that is exact: an item j outside
// the candidates is untouched, so its blended score is B(x_j) = float(w_hrnn * g(x_j)), with
// g = GruBlendTerm; x_j <= x_K (the K-th GRU candidate's logit) and B is monotone in x, so
// B(x_j) <= B(x_K) =: T. Each GRU candidate i scores w_hrnn * g(x_i) + (sparse terms >= 0)
// >= T. Hence if the final K-th score s_K is > T, no outside item can enter the top K. When
// s_K <= T (a tie with T: usually the K-th GRU candidate itself, untouched, is the K-th
// result; or every remaining g underflows to 0; or negative sparse values), an outside item of
// lower index might tie in. Then, when T >= 1e-30, it also blends the outside items whose logit
// is within 1e-5 of x_K (any other scores strictly below T: exp(-1e-5) is further below 1 than
// the roundings to float reach); otherwise every allowed item. The GRU top-k is taken 16 items
// deeper than K: when it ends more than 1e-5 below x_K (or holds every allowed item), the items
// that may tie are all in it and no scan is needed; only otherwise is the catalogue scanned
// again. The logit max is the GRU top-k's first or an excluded item's logit, so the logits are
// read once. The result stays exact, ties included. O(num_items) for the GRU top-k (compares,
// no exp), plus O((K + touched + near) log) for the candidates.
std::vector<ScoredItem> BlendTopK(const BlendWeights& weights, const BlendInputs& inputs, int k,
                                  ItemExclusions exclusions = ItemExclusions());

}  // namespace hrnn

#endif  // HRNN_CORE_RECIPES_BLEND_H_
