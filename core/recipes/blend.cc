#include "core/recipes/blend.h"

#include <algorithm>
#include <cassert>
#include <climits>
#include <cmath>
#include <cstddef>
#include <limits>

#include "absl/strings/str_cat.h"

namespace hrnn {
namespace {

constexpr BlendComponent kAllComponents[kNumBlendComponents] = {
    BlendComponent::kHrnn, BlendComponent::kSknn, BlendComponent::kSr, BlendComponent::kPersonal,
    BlendComponent::kTrending};

// Strict "better than": higher score, then lower index (top_k.h's order). Not for NaN.
inline bool Better(const ScoredItem& a, const ScoredItem& b) {
  return a.score > b.score || (a.score == b.score && a.index < b.index);
}

// The k best of `items` (NaN scores dropped), best first.
std::vector<ScoredItem> BestOf(std::vector<ScoredItem> items, int k) {
  items.erase(std::remove_if(items.begin(), items.end(),
                             [](const ScoredItem& s) { return std::isnan(s.score); }),
              items.end());
  const size_t want = std::min(items.size(), static_cast<size_t>(k));
  std::partial_sort(items.begin(), items.begin() + static_cast<std::ptrdiff_t>(want), items.end(),
                    Better);
  items.resize(want);
  return items;
}

// How much deeper than k BlendTopK takes the GRU's top-k (see there).
constexpr int kTieMargin = 16;

bool HasGruTerm(const BlendWeights& weights, const BlendInputs& inputs) {
  return weights.Get(BlendComponent::kHrnn) > 0.0 && !inputs.gru_logits.empty();
}

// Whether sparse component c contributes: present and of positive weight.
bool UsesSparse(const BlendWeights& weights, const BlendInputs& inputs, int c) {
  return c != ComponentIndex(BlendComponent::kHrnn) && inputs.sparse[c] != nullptr &&
         weights.weight[c] > 0.0;
}

}  // namespace

absl::string_view BlendComponentName(BlendComponent component) {
  switch (component) {
    case BlendComponent::kHrnn:
      return "hrnn";
    case BlendComponent::kSknn:
      return "sknn";
    case BlendComponent::kSr:
      return "sr";
    case BlendComponent::kPersonal:
      return "personal";
    case BlendComponent::kTrending:
      return "trending";
  }
  return "unknown";
}

absl::StatusOr<BlendComponent> ParseBlendComponent(absl::string_view name) {
  for (BlendComponent c : kAllComponents) {
    if (name == BlendComponentName(c)) return c;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("\"", name, "\" is not hrnn, sknn, sr, personal or trending"));
}

absl::Status BlendWeights::Validate() const {
  bool any_positive = false;
  for (BlendComponent c : kAllComponents) {
    const double w = Get(c);
    if (!std::isfinite(w) || w < 0.0) {
      return absl::InvalidArgumentError(
          absl::StrCat("weight[", BlendComponentName(c), "] must be finite and >= 0, got ", w));
    }
    any_positive = any_positive || w > 0.0;
  }
  if (!any_positive) {
    return absl::InvalidArgumentError(
        "weight: at least one of hrnn, sknn, sr, personal, trending must be > 0");
  }
  return absl::OkStatus();
}

float GruMaxLogit(absl::Span<const float> logits) {
  // Eight independent lanes: no loop-carried dependency through one value, and the compiler
  // vectorises the select (a single running max ran at one element per ~5 cycles, 20 µs for
  // 10k items, a tenth of an auto request's CPU). `x > m` is false for NaN: NaNs never win.
  constexpr size_t kLanes = 8;
  constexpr float kNone = -std::numeric_limits<float>::infinity();
  float lane[kLanes] = {kNone, kNone, kNone, kNone, kNone, kNone, kNone, kNone};
  const float* x = logits.data();
  const size_t n = logits.size();
  size_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (size_t l = 0; l < kLanes; ++l) lane[l] = x[i + l] > lane[l] ? x[i + l] : lane[l];
  }
  float max = kNone;
  for (; i < n; ++i) max = x[i] > max ? x[i] : max;
  for (size_t l = 0; l < kLanes; ++l) max = lane[l] > max ? lane[l] : max;
  return max;
}

float GruBlendTerm(float logit, float max_logit) {
  if (logit == max_logit) return 1.0f;
  return static_cast<float>(std::exp(static_cast<double>(logit) - static_cast<double>(max_logit)));
}

float BlendedScore(const BlendWeights& weights, const BlendTerms& terms) {
  double sum = 0.0;
  for (int c = 0; c < kNumBlendComponents; ++c) {
    if (weights.weight[c] > 0.0) sum += weights.weight[c] * static_cast<double>(terms[c]);
  }
  return static_cast<float>(sum);
}

int32_t BlendInputs::num_items() const {
  if (!gru_logits.empty()) return static_cast<int32_t>(gru_logits.size());
  for (const SparseScores* s : sparse) {
    if (s != nullptr) return s->num_items();
  }
  return 0;
}

BlendTerms ItemBlendTerms(const BlendInputs& inputs, float max_logit, int32_t item) {
  BlendTerms terms{};
  if (!inputs.gru_logits.empty()) {
    terms[ComponentIndex(BlendComponent::kHrnn)] = GruBlendTerm(inputs.gru_logits[item], max_logit);
  }
  for (int c = 0; c < kNumBlendComponents; ++c) {
    if (c == ComponentIndex(BlendComponent::kHrnn) || inputs.sparse[c] == nullptr) continue;
    terms[c] = inputs.sparse[c]->Get(item);
  }
  return terms;
}

void BlendDense(const BlendWeights& weights, const BlendInputs& inputs, absl::Span<float> dense) {
  const int32_t n = inputs.num_items();
  assert(dense.size() == static_cast<size_t>(n));
  assert(inputs.sparse[ComponentIndex(BlendComponent::kHrnn)] == nullptr);
  const float max_logit = GruMaxLogit(inputs.gru_logits);
  for (int32_t i = 0; i < n; ++i) {
    dense[i] = BlendedScore(weights, ItemBlendTerms(inputs, max_logit, i));
  }
}

std::vector<ScoredItem> BlendTopK(const BlendWeights& weights, const BlendInputs& inputs, int k,
                                  ItemExclusions exclusions) {
  if (k <= 0) return {};
  assert(inputs.sparse[ComponentIndex(BlendComponent::kHrnn)] == nullptr);
  const int32_t n = inputs.num_items();
  exclusions.Finalize();
  const bool gru = HasGruTerm(weights, inputs);

  // Candidates: the k best allowed items by logit, plus the allowed touched items. The GRU's
  // top-k is taken kTieMargin deeper, so that a tie at the k-th candidate rarely needs a scan.
  std::vector<int32_t> candidates;
  std::vector<ScoredItem> gru_top;
  if (gru) {
    gru_top =
        TopK(inputs.gru_logits, k > INT_MAX - kTieMargin ? INT_MAX : k + kTieMargin, exclusions);
    for (size_t i = 0; i < gru_top.size() && i < static_cast<size_t>(k); ++i) {
      candidates.push_back(gru_top[i].index);
    }
  }
  // GruMaxLogit without another pass over the logits: the best allowed one is gru_top's first,
  // so only the excluded items remain to be looked at.
  float max_logit = 0.0f;
  if (gru) {
    max_logit = gru_top.empty() ? -std::numeric_limits<float>::infinity() : gru_top[0].score;
    exclusions.ForEach(n, [&](int64_t i) {
      const float x = inputs.gru_logits[static_cast<size_t>(i)];
      if (x > max_logit) max_logit = x;  // False for NaN, as in GruMaxLogit.
    });
  }
  for (int c = 0; c < kNumBlendComponents; ++c) {
    if (!UsesSparse(weights, inputs, c)) continue;
    assert(inputs.sparse[c]->num_items() == n);
    for (int32_t item : inputs.sparse[c]->touched()) {
      if (!exclusions.Contains(item)) candidates.push_back(item);
    }
  }
  std::sort(candidates.begin(), candidates.end());
  candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());

  std::vector<ScoredItem> scored;
  scored.reserve(candidates.size());
  for (int32_t item : candidates) {
    const float score = BlendedScore(weights, ItemBlendTerms(inputs, max_logit, item));
    if (!gru && !(score > 0.0f)) continue;  // Indistinguishable from untouched items.
    scored.push_back({item, score});
  }
  std::vector<ScoredItem> best = BestOf(std::move(scored), k);
  if (!gru || gru_top.size() <= static_cast<size_t>(k)) return best;  // No outside item exists.

  // T = the blended score of an untouched item at the k-th GRU candidate's logit: an upper bound
  // on every outside item's score (see the header). Only a tie with T (or a result below it)
  // lets an outside item in.
  const ScoredItem& kth = gru_top[static_cast<size_t>(k) - 1];
  BlendTerms bound_terms{};
  bound_terms[ComponentIndex(BlendComponent::kHrnn)] = GruBlendTerm(kth.score, max_logit);
  const float bound = BlendedScore(weights, bound_terms);
  if (best.size() == static_cast<size_t>(k) && best.back().score > bound) return best;

  // A tie with T (the common case: the k-th result is the k-th GRU candidate itself). Only an
  // outside item whose own score B(x_j) equals T could enter. When T is a normal float well
  // above underflow, B(x_j) < T for every x_j < x_K - 1e-5: exp(-1e-5) is 1e-5 below 1 in
  // relative terms, far more than the two roundings to float (2^-24 each) can undo. So only
  // the outside items within 1e-5 of x_K can enter; otherwise (T tiny or 0: underflowed terms
  // tie) every allowed item can. The deeper GRU top-k holds them all when it ends below
  // x_K - 1e-5 (or holds every allowed item): then they are blended from it, with no scan.
  const bool near_only = bound >= 1e-30f;
  const double near = static_cast<double>(kth.score) - 1e-5;
  const bool deeper_holds_all = gru_top.size() < static_cast<size_t>(k) + kTieMargin ||
                                (near_only && !(static_cast<double>(gru_top.back().score) >= near));
  std::vector<ScoredItem> pool = std::move(best);
  auto add_outside = [&](int32_t i) {
    if (std::binary_search(candidates.begin(), candidates.end(), i)) return;
    pool.push_back({i, BlendedScore(weights, ItemBlendTerms(inputs, max_logit, i))});
  };
  if (deeper_holds_all) {
    for (size_t i = static_cast<size_t>(k); i < gru_top.size(); ++i) add_outside(gru_top[i].index);
    return BestOf(std::move(pool), k);
  }
  for (int32_t i = 0; i < n; ++i) {
    if (near_only && !(static_cast<double>(inputs.gru_logits[i]) >= near)) continue;
    if (!exclusions.Contains(i)) add_outside(i);
  }
  return BestOf(std::move(pool), k);
}

}  // namespace hrnn
