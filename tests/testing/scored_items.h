// Indices: the item indices of a ranked list, in order, for comparing answers with
// ElementsAre. Header-only; stateless.
#ifndef HRNN_TESTS_TESTING_SCORED_ITEMS_H_
#define HRNN_TESTS_TESTING_SCORED_ITEMS_H_

#include <cstdint>
#include <vector>

#include "core/kernels/top_k.h"

namespace hrnn::testing {

inline std::vector<int32_t> Indices(const std::vector<ScoredItem>& items) {
  std::vector<int32_t> indices;
  indices.reserve(items.size());
  for (const ScoredItem& item : items) indices.push_back(item.index);
  return indices;
}

}  // namespace hrnn::testing

#endif  // HRNN_TESTS_TESTING_SCORED_ITEMS_H_
