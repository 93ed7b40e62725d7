#include "core/eval/list_metrics.h"

#include <algorithm>
#include <cassert>
#include <numeric>

namespace hrnn {

double CatalogueCoverage(const std::vector<int64_t>& recommended) {
  if (recommended.empty()) return 0.0;
  const auto covered = std::count_if(recommended.begin(), recommended.end(),
                                     [](int64_t count) { return count > 0; });
  return static_cast<double>(covered) / static_cast<double>(recommended.size());
}

std::vector<double> PopularityPercentiles(const std::vector<int64_t>& counts) {
  const int64_t n = static_cast<int64_t>(counts.size());
  std::vector<double> percentile(n, 50.0);
  if (n < 2) return percentile;
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](int64_t a, int64_t b) { return counts[a] < counts[b]; });
  for (int64_t begin = 0; begin < n;) {
    int64_t end = begin + 1;
    while (end < n && counts[order[end]] == counts[order[begin]]) ++end;
    // `begin` items are strictly lower; end - begin - 1 others are equal.
    const double value = 100.0 *
                         (static_cast<double>(begin) + 0.5 * static_cast<double>(end - begin - 1)) /
                         static_cast<double>(n - 1);
    for (int64_t i = begin; i < end; ++i) percentile[order[i]] = value;
    begin = end;
  }
  return percentile;
}

double MeanPopularityPercentile(const std::vector<int64_t>& recommended,
                                const std::vector<int64_t>& train_counts) {
  assert(recommended.size() == train_counts.size());
  const std::vector<double> percentile = PopularityPercentiles(train_counts);
  double weighted = 0, slots = 0;
  for (size_t i = 0; i < recommended.size(); ++i) {
    weighted += static_cast<double>(recommended[i]) * percentile[i];
    slots += static_cast<double>(recommended[i]);
  }
  return slots > 0 ? weighted / slots : 0.0;
}

}  // namespace hrnn
