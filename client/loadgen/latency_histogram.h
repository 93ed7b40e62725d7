// LatencyHistogram: a high-resolution histogram of non-negative int64 values (latencies in
// nanoseconds) in HdrHistogram-style log-linear buckets, for the load generator's percentiles.
// Not thread-safe: give each thread its own histogram and Merge() them, or lock around it.
//
// Bucket layout (kSubBucketBits = 7, S = 2^7 = 128):
//   1. Values 0..2S-1 have a bucket each (exact).
//   2. A value v >= 2S with e = floor(log2 v) falls in bucket (e - 7) * S + (v >> (e - 7)),
//      i.e. the power-of-two range [2^e, 2^(e+1)) is cut into S equal buckets of width 2^(e-7).
//   A bucket's width is at most 1/S = 0.78% of its lower bound, and a percentile is reported as
//   its bucket's midpoint (clamped to the exact min and max), so it is within 0.4% of a value
//   of the right rank. All of int64 fits in (63 - 7 + 1) * 128 = 7296 buckets (57 KiB).
#ifndef HRNN_CLIENT_LOADGEN_LATENCY_HISTOGRAM_H_
#define HRNN_CLIENT_LOADGEN_LATENCY_HISTOGRAM_H_

#include <cstdint>
#include <vector>

namespace hrnn::client::loadgen {

class LatencyHistogram {
 public:
  static constexpr int kSubBucketBits = 7;
  static constexpr int64_t kSubBuckets = int64_t{1} << kSubBucketBits;
  static constexpr int kNumBuckets = (63 - kSubBucketBits + 1) * kSubBuckets;

  LatencyHistogram();

  // Records one value. Negative values are recorded as 0.
  void Record(int64_t value);
  // Adds every value recorded in `other`.
  void Merge(const LatencyHistogram& other);
  void Reset();

  int64_t count() const { return count_; }
  // The exact smallest and largest values recorded; 0 when empty.
  int64_t min() const { return count_ == 0 ? 0 : min_; }
  int64_t max() const { return max_; }
  // The exact mean; 0 when empty.
  double mean() const { return count_ == 0 ? 0.0 : static_cast<double>(sum_) / count_; }

  // The value at quantile q in [0, 1] by the nearest-rank rule (the ceil(q * count)-th smallest,
  // at least the first), approximated by its bucket's midpoint clamped to [min(), max()];
  // q >= 1 returns max() exactly. Returns 0 when empty.
  int64_t Percentile(double q) const;

  // The bucket of `value` (REQUIRES: value >= 0) and the bucket's value range [lower, upper].
  static int BucketIndex(int64_t value);
  static int64_t BucketLower(int index);
  static int64_t BucketUpper(int index);

 private:
  std::vector<int64_t> counts_;
  int64_t count_ = 0;
  int64_t min_ = 0;
  int64_t max_ = 0;
  __int128 sum_ = 0;
};

}  // namespace hrnn::client::loadgen

#endif  // HRNN_CLIENT_LOADGEN_LATENCY_HISTOGRAM_H_
