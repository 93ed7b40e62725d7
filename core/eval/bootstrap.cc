#include "core/eval/bootstrap.h"

#include <algorithm>
#include <cmath>
#include <random>

namespace hrnn {

absl::Status BootstrapOptions::Validate() const {
  if (resamples < 1) return absl::InvalidArgumentError("bootstrap resamples must be >= 1");
  if (!(confidence > 0 && confidence < 1)) {
    return absl::InvalidArgumentError("bootstrap confidence must be in (0, 1)");
  }
  return absl::OkStatus();
}

std::vector<int64_t> PredictionGroupOffsets(const Dataset& test, int64_t total) {
  std::vector<int64_t> offsets(test.num_users() + 1, 0);
  for (int64_t u = 0; u < test.num_users(); ++u) {
    int64_t pairs = 0;
    for (int64_t s = test.users[u].session_begin; s < test.users[u].session_end; ++s) {
      pairs += std::max<int64_t>(0, test.sessions[s].length() - 1);
    }
    offsets[u + 1] = offsets[u] + pairs;
  }
  for (int64_t& offset : offsets) offset = std::min(offset, total);
  return offsets;
}

ConfidenceInterval BootstrapInterval(const std::vector<int64_t>& ranks,
                                     const std::vector<int64_t>& offsets, RankMetric metric, int k,
                                     const BootstrapOptions& options) {
  auto gain = [&](int64_t rank) -> double {
    if (rank > k) return 0.0;
    switch (metric) {
      case RankMetric::kRecall:
        return 1.0;
      case RankMetric::kMrr:
        return 1.0 / static_cast<double>(rank);
      case RankMetric::kNdcg:
        return 1.0 / std::log2(static_cast<double>(rank) + 1.0);
    }
    return 0.0;
  };
  std::vector<double> group_gain;
  std::vector<double> group_size;
  for (size_t g = 0; g + 1 < offsets.size(); ++g) {
    const int64_t begin = offsets[g];
    const int64_t end = std::min<int64_t>(offsets[g + 1], static_cast<int64_t>(ranks.size()));
    if (end <= begin) continue;
    double sum = 0;
    for (int64_t i = begin; i < end; ++i) sum += gain(ranks[i]);
    group_gain.push_back(sum);
    group_size.push_back(static_cast<double>(end - begin));
  }
  if (group_gain.empty()) return {};
  const int64_t groups = static_cast<int64_t>(group_gain.size());
  std::mt19937_64 rng(options.seed);
  std::uniform_int_distribution<int64_t> pick(0, groups - 1);
  std::vector<double> estimates(options.resamples);
  for (double& estimate : estimates) {
    double sum = 0, size = 0;
    for (int64_t i = 0; i < groups; ++i) {
      const int64_t g = pick(rng);
      sum += group_gain[g];
      size += group_size[g];
    }
    estimate = sum / size;
  }
  std::sort(estimates.begin(), estimates.end());
  const double tail = (1.0 - options.confidence) / 2.0;
  const auto at = [&](double q) {
    const int64_t last = static_cast<int64_t>(estimates.size()) - 1;
    const int64_t index = std::clamp<int64_t>(
        static_cast<int64_t>(std::floor(q * static_cast<double>(last) + 0.5)), 0, last);
    return estimates[index];
  };
  return {at(tail), at(1.0 - tail)};
}

}  // namespace hrnn
