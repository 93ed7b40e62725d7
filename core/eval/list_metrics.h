// Metrics of the recommended lists themselves rather than of the target's rank (DESIGN §3):
// catalogue coverage and the mean popularity percentile of what is recommended, computed from
// NextItemMetrics::recommended. Stateless functions; thread-safe.
#ifndef HRNN_CORE_EVAL_LIST_METRICS_H_
#define HRNN_CORE_EVAL_LIST_METRICS_H_

#include <cstdint>
#include <vector>

namespace hrnn {

// Share of the catalogue (recommended.size() items) that appears in at least one list; 0 for
// an empty catalogue.
double CatalogueCoverage(const std::vector<int64_t>& recommended);

// Popularity percentile of every item in [0, 100]: 100 * (items with a strictly lower count +
// half of the other items with an equal count) / (items - 1), so the most popular of distinct
// counts is 100, the least 0, and all-equal counts give 50. A single item gets 50.
std::vector<double> PopularityPercentiles(const std::vector<int64_t>& counts);

// Mean popularity percentile (by training counts `train_counts`) over all recommended slots:
// sum_i recommended[i] * percentile[i] / sum_i recommended[i]; 0 when nothing was recommended.
// REQUIRES: recommended.size() == train_counts.size().
double MeanPopularityPercentile(const std::vector<int64_t>& recommended,
                                const std::vector<int64_t>& train_counts);

}  // namespace hrnn

#endif  // HRNN_CORE_EVAL_LIST_METRICS_H_
