// Top-k selection over a score vector, with exclusions (items already seen, unavailable, ...).
// Order: higher score first; equal scores by lower item index, so results are deterministic.
// NaN policy: an item whose score is NaN is never returned (it is treated as excluded); -inf and
// +inf are ordinary values. Stateless functions; ItemExclusions is safe for concurrent reads.
#ifndef HRNN_CORE_KERNELS_TOP_K_H_
#define HRNN_CORE_KERNELS_TOP_K_H_

#include <cstdint>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/types/span.h"

namespace hrnn {

struct ScoredItem {
  int32_t index = 0;
  float score = 0.0f;
  bool operator==(const ScoredItem& other) const = default;
};

// Item indices that must not be returned: an optional catalogue-wide bitmap (bit i of word
// i / 64 set means item i is excluded; not owned, must outlive this object) plus a list of
// extra indices. Indices outside [0, catalogue size) are ignored.
class ItemExclusions {
 public:
  ItemExclusions() = default;
  // `catalogue_mask` may be null (no catalogue-wide exclusions).
  explicit ItemExclusions(const std::vector<uint64_t>* catalogue_mask)
      : catalogue_mask_(catalogue_mask) {}

  // Adds one index; O(1) amortised. Duplicates are fine.
  void Add(int64_t index);
  // True when `index` is excluded. O(1) for the mask; O(log n) for the list after Finalize().
  bool Contains(int64_t index) const;
  // Sorts the extra list so that Contains() is fast; called by TopK.
  void Finalize();
  // Calls visit(i) for every excluded index i in [0, num_items): the mask's set bits, then the
  // extra list (an index in both is visited twice). O(num_items / 64 + excluded).
  void ForEach(int64_t num_items, absl::FunctionRef<void(int64_t)> visit) const;
  bool empty() const { return catalogue_mask_ == nullptr && extra_.empty(); }

 private:
  const std::vector<uint64_t>* catalogue_mask_ = nullptr;
  std::vector<int64_t> extra_;
  bool sorted_ = true;
};

// The k best items of `scores` (index i scores scores[i]) not in `exclusions`, best first.
// Returns fewer than k when fewer items qualify; k <= 0 returns nothing. Uses the dispatched
// SIMD FindFirstGreater scan so that most items cost one vector compare.
std::vector<ScoredItem> TopK(absl::Span<const float> scores, int k,
                             ItemExclusions exclusions = ItemExclusions());

// Reference implementation (std::partial_sort over all qualifying items), for tests and as the
// baseline in benchmarks. Same ordering and NaN policy as TopK.
std::vector<ScoredItem> TopKReference(absl::Span<const float> scores, int k,
                                      ItemExclusions exclusions = ItemExclusions());

}  // namespace hrnn

#endif  // HRNN_CORE_KERNELS_TOP_K_H_
