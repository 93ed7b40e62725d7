#include "client/loadgen/latency_histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace hrnn::client::loadgen {

LatencyHistogram::LatencyHistogram() : counts_(kNumBuckets, 0) {}

int LatencyHistogram::BucketIndex(int64_t value) {
  const uint64_t v = static_cast<uint64_t>(value);
  if (v < 2 * static_cast<uint64_t>(kSubBuckets)) return static_cast<int>(v);
  const int e = 63 - std::countl_zero(v);  // floor(log2 v) >= kSubBucketBits + 1.
  const int shift = e - kSubBucketBits;
  return static_cast<int>(shift * kSubBuckets + static_cast<int64_t>(v >> shift));
}

int64_t LatencyHistogram::BucketLower(int index) {
  if (index < 2 * kSubBuckets) return index;
  const int shift = static_cast<int>(index / kSubBuckets) - 1;
  const int64_t mantissa = index % kSubBuckets + kSubBuckets;
  return mantissa << shift;
}

int64_t LatencyHistogram::BucketUpper(int index) {
  if (index < 2 * kSubBuckets) return index;
  const int shift = static_cast<int>(index / kSubBuckets) - 1;
  const int64_t lower = BucketLower(index);
  const int64_t width = int64_t{1} << shift;
  // The last bucket ends at INT64_MAX; avoid overflowing lower + width.
  return lower > INT64_MAX - width ? INT64_MAX : lower + width - 1;
}

void LatencyHistogram::Record(int64_t value) {
  value = std::max<int64_t>(value, 0);
  ++counts_[BucketIndex(value)];
  if (count_ == 0 || value < min_) min_ = value;
  max_ = std::max(max_, value);
  ++count_;
  sum_ += value;
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  if (other.count_ == 0) return;
  for (int i = 0; i < kNumBuckets; ++i) counts_[i] += other.counts_[i];
  min_ = count_ == 0 ? other.min_ : std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  count_ += other.count_;
  sum_ += other.sum_;
}

void LatencyHistogram::Reset() {
  std::fill(counts_.begin(), counts_.end(), 0);
  count_ = 0;
  min_ = 0;
  max_ = 0;
  sum_ = 0;
}

int64_t LatencyHistogram::Percentile(double q) const {
  if (count_ == 0) return 0;
  if (q >= 1.0) return max_;
  const int64_t rank =
      std::max<int64_t>(1, static_cast<int64_t>(std::ceil(std::max(q, 0.0) * count_)));
  int64_t seen = 0;
  for (int i = 0; i < kNumBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      const int64_t lower = BucketLower(i);
      const int64_t mid = lower + (BucketUpper(i) - lower) / 2;
      return std::clamp(mid, min_, max_);
    }
  }
  return max_;
}

}  // namespace hrnn::client::loadgen
