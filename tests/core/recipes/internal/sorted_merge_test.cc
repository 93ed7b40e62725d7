// SmallestDistinct against sort + unique + truncate on random ascending lists, duplicates
// within and across lists, empty lists and limits around the union's size.
#include "core/recipes/internal/sorted_merge.h"

#include <algorithm>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace hrnn::internal {
namespace {

struct VectorCursor {
  const std::vector<int64_t>* values;
  size_t next = 0;
  bool Done() const { return next == values->size(); }
  int64_t Value() const { return (*values)[next]; }
  void Advance() { ++next; }
};

TEST(SortedMergeTest, EqualsSortUniqueTruncate) {
  std::mt19937_64 rng(3);
  std::vector<std::pair<int64_t, size_t>> heap;
  for (int round = 0; round < 300; ++round) {
    const int num_lists = static_cast<int>(rng() % 6);
    std::vector<std::vector<int64_t>> lists(num_lists);
    std::vector<int64_t> all;
    for (auto& list : lists) {
      const int length = static_cast<int>(rng() % 12);
      for (int i = 0; i < length; ++i) list.push_back(static_cast<int64_t>(rng() % 30));
      std::sort(list.begin(), list.end());
      all.insert(all.end(), list.begin(), list.end());
    }
    std::sort(all.begin(), all.end());
    all.erase(std::unique(all.begin(), all.end()), all.end());
    for (size_t limit : {size_t{0}, size_t{1}, size_t{5}, all.size(), all.size() + 3}) {
      std::vector<VectorCursor> cursors;
      for (const auto& list : lists) cursors.push_back({&list});
      std::vector<int64_t> out = {-7};  // What was there stays.
      SmallestDistinct(cursors, limit, &out, &heap);
      std::vector<int64_t> expected = {-7};
      expected.insert(expected.end(), all.begin(),
                      all.begin() + static_cast<std::ptrdiff_t>(std::min(limit, all.size())));
      ASSERT_EQ(out, expected) << "round " << round << " limit " << limit;
    }
  }
}

}  // namespace
}  // namespace hrnn::internal
