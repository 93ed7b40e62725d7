// SmallestDistinct: the first `limit` distinct values of the union of several ascending
// sequences, by a k-way merge (a heap of one cursor per sequence), so that V-SKNN picks its m
// most recent candidate sessions in O(m log L) for L prefix items instead of sorting every
// posting it could read (L * m). Header-only; stateless and thread-safe.
#ifndef HRNN_CORE_RECIPES_INTERNAL_SORTED_MERGE_H_
#define HRNN_CORE_RECIPES_INTERNAL_SORTED_MERGE_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace hrnn::internal {

// A cursor over one ascending sequence: `Done()`, `Value()` (int64_t), `Advance()`.
// Appends to *out, ascending, the first `limit` distinct values of the union of the cursors'
// sequences (fewer when they hold fewer). `heap` is the caller's scratch. REQUIRES: each
// cursor's values ascend (duplicates within one are fine).
template <typename Cursor>
void SmallestDistinct(std::vector<Cursor>& cursors, size_t limit, std::vector<int64_t>* out,
                      std::vector<std::pair<int64_t, size_t>>* heap) {
  heap->clear();
  for (size_t c = 0; c < cursors.size(); ++c) {
    if (!cursors[c].Done()) heap->push_back({cursors[c].Value(), c});
  }
  auto later = [](const std::pair<int64_t, size_t>& a, const std::pair<int64_t, size_t>& b) {
    return a.first > b.first;
  };
  std::make_heap(heap->begin(), heap->end(), later);
  size_t taken = 0;
  while (!heap->empty() && taken < limit) {
    std::pop_heap(heap->begin(), heap->end(), later);
    const auto [value, c] = heap->back();
    heap->pop_back();
    if (out->empty() || taken == 0 || out->back() != value) {
      out->push_back(value);
      ++taken;
    }
    cursors[c].Advance();
    if (!cursors[c].Done()) {
      heap->push_back({cursors[c].Value(), c});
      std::push_heap(heap->begin(), heap->end(), later);
    }
  }
}

}  // namespace hrnn::internal

#endif  // HRNN_CORE_RECIPES_INTERNAL_SORTED_MERGE_H_
