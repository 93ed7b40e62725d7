#include "client/loadgen/discrete_sampler.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"

namespace hrnn::client::loadgen {

absl::StatusOr<DiscreteSampler> DiscreteSampler::Zipf(int64_t n, double exponent) {
  if (n < 1) return absl::InvalidArgumentError(absl::StrCat("zipf: n is ", n, ", must be >= 1"));
  if (!std::isfinite(exponent) || exponent < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("zipf: exponent is ", exponent, ", must be finite and >= 0"));
  }
  std::vector<double> weights(static_cast<size_t>(n));
  for (int64_t k = 0; k < n; ++k) weights[k] = std::pow(static_cast<double>(k + 1), -exponent);
  return FromWeights(weights);
}

absl::StatusOr<DiscreteSampler> DiscreteSampler::FromWeights(const std::vector<double>& weights) {
  if (weights.empty()) return absl::InvalidArgumentError("sampler: no weights");
  std::vector<double> cdf(weights.size());
  double total = 0;
  for (size_t k = 0; k < weights.size(); ++k) {
    if (!std::isfinite(weights[k]) || weights[k] < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("sampler: weight ", k, " is ", weights[k], ", must be finite and >= 0"));
    }
    total += weights[k];
    cdf[k] = total;
  }
  if (!(total > 0)) return absl::InvalidArgumentError("sampler: the weights sum to 0");
  for (double& c : cdf) c /= total;
  cdf.back() = 1.0;
  return DiscreteSampler(std::move(cdf));
}

int64_t DiscreteSampler::Sample(absl::BitGenRef gen) const {
  const double u = absl::Uniform<double>(gen, 0.0, 1.0);  // [0, 1).
  // The first k with cdf[k] > u: zero-weight indices (cdf equal to the previous) are never drawn.
  const auto it = std::upper_bound(cdf_.begin(), cdf_.end(), u);
  return std::min<int64_t>(it - cdf_.begin(), size() - 1);
}

double DiscreteSampler::Probability(int64_t k) const {
  return k == 0 ? cdf_[0] : cdf_[k] - cdf_[k - 1];
}

}  // namespace hrnn::client::loadgen
