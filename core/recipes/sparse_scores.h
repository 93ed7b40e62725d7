// SparseScores: the (item index -> score) contributions that a non-neural recipe adds up for one
// request, then adds into dense scores before top-k or max-normalises for the blend (DESIGN §2b).
// Not thread-safe: one instance per thread, reused across requests (Clear() is O(touched)).
#ifndef HRNN_CORE_RECIPES_SPARSE_SCORES_H_
#define HRNN_CORE_RECIPES_SPARSE_SCORES_H_

#include <cstdint>
#include <vector>

#include "absl/types/span.h"

namespace hrnn {

// A dense value vector over the catalogue plus the list of touched items, not a flat_hash_map:
// a recipe's inner loop adds (V-SKNN: k neighbours x their items, ~10^3 adds per request) are
// then one indexed add with no hashing or probing, iteration follows the first-touch order (so
// results never depend on hash seeds), and Clear() resets only the touched entries. The cost is
// 5 bytes per catalogue item per instance (400 KiB at 100k items), paid once per thread.
class SparseScores {
 public:
  // An empty accumulator over items 0..num_items-1. REQUIRES: num_items >= 0.
  explicit SparseScores(int32_t num_items);

  int32_t num_items() const { return static_cast<int32_t>(values_.size()); }

  // scores[item] += value; the item becomes touched (even if the sum is 0).
  // REQUIRES: 0 <= item < num_items(); value is finite.
  void Add(int32_t item, float value);

  // The accumulated score of `item` (0 if untouched). REQUIRES: 0 <= item < num_items().
  float Get(int32_t item) const { return values_[item]; }
  // Touched items in the order they were first added to.
  absl::Span<const int32_t> touched() const { return touched_; }
  bool empty() const { return touched_.empty(); }

  // Forgets every contribution. O(number of touched items).
  void Clear();

  // The largest score of a touched item; 0 if none is touched.
  float Max() const;

  // Divides every touched score by Max() when Max() > 0 (the blend's "normalised component
  // scores": the best item of each component scores 1). Leaves the scores unchanged when none
  // is touched or Max() <= 0, so it never divides by zero and never produces NaN.
  void NormalizeByMax();

  // dense[i] += weight * score(i) for every touched item i; untouched entries are not written.
  // REQUIRES: dense.size() == num_items(); weight is finite.
  void AddTo(absl::Span<float> dense, float weight) const;

 private:
  std::vector<float> values_;        // Zero except at touched_.
  std::vector<uint8_t> is_touched_;  // 1 exactly at the items of touched_.
  std::vector<int32_t> touched_;
};

// Divides every entry of `scores` by its maximum when that maximum is > 0 and finite (for a
// dense component such as the GRU's scores); otherwise leaves `scores` unchanged. Returns the
// divisor used (1 when unchanged). Empty or all-zero input is returned as is; no NaN is made
// from finite input.
float NormalizeByMax(absl::Span<float> scores);

}  // namespace hrnn

#endif  // HRNN_CORE_RECIPES_SPARSE_SCORES_H_
