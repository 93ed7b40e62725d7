#include "core/kernels/top_k.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>

#include "core/kernels/matvec.h"

namespace hrnn {
namespace {

// Strict "better than": higher score, then lower index. NaN never reaches these comparisons.
inline bool Better(const ScoredItem& a, const ScoredItem& b) {
  return a.score > b.score || (a.score == b.score && a.index < b.index);
}

}  // namespace

void ItemExclusions::Add(int64_t index) {
  if (!extra_.empty() && index < extra_.back()) sorted_ = false;
  extra_.push_back(index);
}

void ItemExclusions::Finalize() {
  if (!sorted_) {
    std::sort(extra_.begin(), extra_.end());
    extra_.erase(std::unique(extra_.begin(), extra_.end()), extra_.end());
    sorted_ = true;
  }
}

void ItemExclusions::ForEach(int64_t num_items, absl::FunctionRef<void(int64_t)> visit) const {
  if (catalogue_mask_ != nullptr) {
    const size_t words =
        std::min(catalogue_mask_->size(), static_cast<size_t>((num_items + 63) / 64));
    for (size_t w = 0; w < words; ++w) {
      for (uint64_t bits = (*catalogue_mask_)[w]; bits != 0; bits &= bits - 1) {
        const int64_t index = static_cast<int64_t>(w * 64) + std::countr_zero(bits);
        if (index < num_items) visit(index);
      }
    }
  }
  for (int64_t index : extra_) {
    if (index >= 0 && index < num_items) visit(index);
  }
}

bool ItemExclusions::Contains(int64_t index) const {
  if (index < 0) return false;
  if (catalogue_mask_ != nullptr) {
    const uint64_t word = static_cast<uint64_t>(index) / 64;
    if (word < catalogue_mask_->size() && (((*catalogue_mask_)[word] >> (index % 64)) & 1u)) {
      return true;
    }
  }
  if (extra_.empty()) return false;
  if (sorted_) return std::binary_search(extra_.begin(), extra_.end(), index);
  return std::find(extra_.begin(), extra_.end(), index) != extra_.end();
}

std::vector<ScoredItem> TopK(absl::Span<const float> scores, int k, ItemExclusions exclusions) {
  std::vector<ScoredItem> heap;
  if (k <= 0 || scores.empty()) return heap;
  exclusions.Finalize();
  const bool check_exclusions = !exclusions.empty();
  const int64_t n = static_cast<int64_t>(scores.size());
  const size_t want = std::min<size_t>(static_cast<size_t>(k), scores.size());
  heap.reserve(want);
  // A min-heap on "worse": heap.front() is the worst kept item (lowest score, highest index).
  const auto worse_first = [](const ScoredItem& a, const ScoredItem& b) { return Better(a, b); };

  int64_t i = 0;
  for (; i < n && heap.size() < want; ++i) {
    const float s = scores[i];
    if (std::isnan(s) || (check_exclusions && exclusions.Contains(i))) continue;
    heap.push_back({static_cast<int32_t>(i), s});
  }
  std::make_heap(heap.begin(), heap.end(), worse_first);

  // Later items have higher indices, so only a strictly greater score can displace the worst.
  const float* data = scores.data();
  while (i < n && heap.size() == want) {
    const int64_t found = ActiveKernels().find_first_greater(data + i, n - i, heap.front().score);
    i += found;
    if (i >= n) break;
    if (!check_exclusions || !exclusions.Contains(i)) {
      std::pop_heap(heap.begin(), heap.end(), worse_first);
      heap.back() = {static_cast<int32_t>(i), data[i]};
      std::push_heap(heap.begin(), heap.end(), worse_first);
    }
    ++i;
  }
  std::sort_heap(heap.begin(), heap.end(), worse_first);
  return heap;
}

std::vector<ScoredItem> TopKReference(absl::Span<const float> scores, int k,
                                      ItemExclusions exclusions) {
  std::vector<ScoredItem> items;
  if (k <= 0) return items;
  exclusions.Finalize();
  items.reserve(scores.size());
  for (size_t i = 0; i < scores.size(); ++i) {
    if (std::isnan(scores[i]) || exclusions.Contains(static_cast<int64_t>(i))) continue;
    items.push_back({static_cast<int32_t>(i), scores[i]});
  }
  const size_t keep = std::min(items.size(), static_cast<size_t>(k));
  std::partial_sort(items.begin(), items.begin() + static_cast<std::ptrdiff_t>(keep), items.end(),
                    Better);
  items.resize(keep);
  return items;
}

}  // namespace hrnn
