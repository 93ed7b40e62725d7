#include "core/train/negative_sampler.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace hrnn {

absl::StatusOr<NegativeSampler> NegativeSampler::Create(absl::Span<const int64_t> popularity,
                                                        float alpha, uint64_t seed) {
  if (popularity.empty()) return absl::InvalidArgumentError("popularity: empty");
  if (popularity.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    return absl::InvalidArgumentError(
        absl::StrCat("popularity: ", popularity.size(), " items exceed the int32 range"));
  }
  if (!(alpha >= 0.0f) || std::isinf(alpha)) {
    return absl::InvalidArgumentError(absl::StrCat("alpha: must be finite and >= 0, got ", alpha));
  }
  const auto n = static_cast<int64_t>(popularity.size());
  std::vector<double> weight(static_cast<size_t>(n));
  double total = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    if (popularity[i] < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("popularity[", i, "]: negative count ", popularity[i]));
    }
    // pow(0, 0) == 1: with alpha == 0 every item, even an unseen one, is equally likely.
    weight[i] = std::pow(static_cast<double>(popularity[i]), static_cast<double>(alpha));
    total += weight[i];
  }
  if (!(total > 0.0) || std::isinf(total)) {
    return absl::InvalidArgumentError("popularity: all sampling weights are 0");
  }

  NegativeSampler sampler;
  sampler.rng_.seed(seed);
  sampler.probability_.assign(static_cast<size_t>(n), 1.0f);
  sampler.alias_.resize(static_cast<size_t>(n));
  sampler.log_probability_.resize(static_cast<size_t>(n));
  int32_t heaviest = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double p = weight[i] / total;
    sampler.log_probability_[i] =
        p > 0.0 ? static_cast<float>(std::log(p)) : -std::numeric_limits<float>::infinity();
    if (weight[i] > weight[heaviest]) heaviest = static_cast<int32_t>(i);
  }

  // Vose's construction of Walker's alias table: bucket i keeps item i with probability
  // probability_[i], else returns alias_[i]. Scaled weights average 1.
  std::vector<double> scaled(static_cast<size_t>(n));
  std::vector<int32_t> small, large;
  for (int64_t i = 0; i < n; ++i) {
    scaled[i] = weight[i] / total * static_cast<double>(n);
    sampler.alias_[i] = static_cast<int32_t>(i);
    (scaled[i] < 1.0 ? small : large).push_back(static_cast<int32_t>(i));
  }
  while (!small.empty() && !large.empty()) {
    const int32_t lo = small.back();
    small.pop_back();
    const int32_t hi = large.back();
    sampler.probability_[lo] = static_cast<float>(scaled[lo]);
    sampler.alias_[lo] = hi;
    scaled[hi] = (scaled[hi] + scaled[lo]) - 1.0;
    if (scaled[hi] < 1.0) {
      large.pop_back();
      small.push_back(hi);
    }
  }
  // Leftovers hold ~1 up to rounding: keep them whole. A zero-weight item can only be left over
  // through rounding; it must still never be drawn.
  for (int32_t i : small) {
    if (weight[i] > 0.0) {
      sampler.probability_[i] = 1.0f;
    } else {
      sampler.probability_[i] = 0.0f;
      sampler.alias_[i] = heaviest;
    }
  }
  for (int32_t i : large) sampler.probability_[i] = 1.0f;
  return sampler;
}

void NegativeSampler::Sample(absl::Span<int32_t> out) {
  const auto n = static_cast<unsigned __int128>(probability_.size());
  constexpr float kInv24 = 1.0f / 16777216.0f;  // 2^-24
  for (int32_t& item : out) {
    const uint64_t bits = rng_();
    // Top 40 bits pick the bucket (multiply-shift), the low 24 bits the acceptance uniform in
    // [0, 1): exact integer arithmetic, independent of any library's distributions.
    const auto bucket =
        static_cast<int32_t>((static_cast<unsigned __int128>(bits >> 24) * n) >> 40);
    const float u = static_cast<float>(bits & 0xFFFFFFu) * kInv24;
    item = u < probability_[bucket] ? bucket : alias_[bucket];
  }
}

}  // namespace hrnn
