// DiscreteSampler: draws indices 0..n-1 with fixed probabilities (inverse CDF, binary search):
// Zipf-distributed user ranks and popularity-weighted items for the load generator.
// Immutable after construction; Sample() is thread-safe given a per-thread generator.
#ifndef HRNN_CLIENT_LOADGEN_DISCRETE_SAMPLER_H_
#define HRNN_CLIENT_LOADGEN_DISCRETE_SAMPLER_H_

#include <cstdint>
#include <vector>

#include "absl/random/bit_gen_ref.h"
#include "absl/random/random.h"
#include "absl/status/statusor.h"

namespace hrnn::client::loadgen {

class DiscreteSampler {
 public:
  // P(k) ∝ 1 / (k + 1)^exponent for k in 0..n-1 (exponent 0: uniform). Rank 0 is the most
  // likely. Errors: InvalidArgument when n < 1 or the exponent is negative or not finite.
  static absl::StatusOr<DiscreteSampler> Zipf(int64_t n, double exponent);

  // P(k) ∝ weights[k]. Errors: InvalidArgument when weights is empty, a weight is negative or
  // not finite, or they sum to 0.
  static absl::StatusOr<DiscreteSampler> FromWeights(const std::vector<double>& weights);

  // Draws one index in 0..size()-1.
  int64_t Sample(absl::BitGenRef gen) const;

  // The probability of index k (REQUIRES: 0 <= k < size()).
  double Probability(int64_t k) const;

  int64_t size() const { return static_cast<int64_t>(cdf_.size()); }

 private:
  explicit DiscreteSampler(std::vector<double> cdf) : cdf_(std::move(cdf)) {}

  std::vector<double> cdf_;  // Non-decreasing; cdf_.back() == 1.
};

}  // namespace hrnn::client::loadgen

#endif  // HRNN_CLIENT_LOADGEN_DISCRETE_SAMPLER_H_
