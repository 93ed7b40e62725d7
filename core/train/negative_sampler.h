// NegativeSampler: draws the shared extra negatives of a mini-batch, item i with probability
// proportional to popularity[i]^alpha (Walker's alias method, O(1) per draw), from a seeded
// generator so that training is reproducible. Not thread-safe (one per trainer).
#ifndef HRNN_CORE_TRAIN_NEGATIVE_SAMPLER_H_
#define HRNN_CORE_TRAIN_NEGATIVE_SAMPLER_H_

#include <cstdint>
#include <random>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace hrnn {

class NegativeSampler {
 public:
  // Errors (InvalidArgument): empty popularity, a negative count, alpha < 0, or all weights 0.
  // Items with popularity 0 are never drawn when alpha > 0.
  static absl::StatusOr<NegativeSampler> Create(absl::Span<const int64_t> popularity, float alpha,
                                                uint64_t seed);

  // Fills `out` with independent draws.
  void Sample(absl::Span<int32_t> out);
  // log of the probability that one draw returns `item`; -inf for an item never drawn.
  float LogProbability(int32_t item) const { return log_probability_[item]; }
  int64_t num_items() const { return static_cast<int64_t>(probability_.size()); }

 private:
  NegativeSampler() = default;
  std::mt19937_64 rng_;
  std::vector<float> probability_;  // Alias-table acceptance probabilities.
  std::vector<int32_t> alias_;
  std::vector<float> log_probability_;
};

}  // namespace hrnn

#endif  // HRNN_CORE_TRAIN_NEGATIVE_SAMPLER_H_
