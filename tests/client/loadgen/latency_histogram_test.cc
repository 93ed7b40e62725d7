#include "client/loadgen/latency_histogram.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace hrnn::client::loadgen {
namespace {

// The nearest-rank percentile of sorted data, the rule LatencyHistogram approximates.
int64_t ExactPercentile(const std::vector<int64_t>& sorted, double q) {
  if (q >= 1.0) return sorted.back();
  const int64_t rank = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(q * sorted.size())));
  return sorted[rank - 1];
}

TEST(LatencyHistogramTest, EmptyIsZero) {
  LatencyHistogram h;
  EXPECT_EQ(h.count(), 0);
  EXPECT_EQ(h.Percentile(0.5), 0);
  EXPECT_EQ(h.max(), 0);
  EXPECT_EQ(h.min(), 0);
  EXPECT_EQ(h.mean(), 0.0);
}

TEST(LatencyHistogramTest, SmallValuesAreExact) {
  LatencyHistogram h;
  for (int64_t v = 1; v <= 100; ++v) h.Record(v);
  EXPECT_EQ(h.count(), 100);
  EXPECT_EQ(h.min(), 1);
  EXPECT_EQ(h.max(), 100);
  EXPECT_DOUBLE_EQ(h.mean(), 50.5);
  EXPECT_EQ(h.Percentile(0.5), 50);
  EXPECT_EQ(h.Percentile(0.9), 90);
  EXPECT_EQ(h.Percentile(0.99), 99);
  EXPECT_EQ(h.Percentile(0.0), 1);
  EXPECT_EQ(h.Percentile(1.0), 100);
}

TEST(LatencyHistogramTest, NegativeRecordsAsZero) {
  LatencyHistogram h;
  h.Record(-5);
  EXPECT_EQ(h.min(), 0);
  EXPECT_EQ(h.Percentile(0.5), 0);
}

TEST(LatencyHistogramTest, BucketsTileTheRangeWithBoundedWidth) {
  // Every bucket starts right after the previous one ends and is at most 1/128 of its start wide.
  ASSERT_EQ(LatencyHistogram::BucketIndex(INT64_MAX), LatencyHistogram::kNumBuckets - 1);
  EXPECT_EQ(LatencyHistogram::BucketUpper(LatencyHistogram::kNumBuckets - 1), INT64_MAX);
  for (int i = 1; i < LatencyHistogram::kNumBuckets; ++i) {
    const int64_t lower = LatencyHistogram::BucketLower(i);
    ASSERT_EQ(lower, LatencyHistogram::BucketUpper(i - 1) + 1) << "bucket " << i;
    const int64_t width = LatencyHistogram::BucketUpper(i) - lower + 1;
    // Exact buckets (width 1) below 256; above, at most 1/128 of the lower bound.
    if (width > 1) {
      ASSERT_LE(static_cast<double>(width) / lower, 1.0 / 128) << "bucket " << i;
    }
  }
}

TEST(LatencyHistogramTest, ValuesFallInTheirBucket) {
  std::mt19937_64 gen(3);
  std::vector<int64_t> values = {0, 1, 255, 256, 257, 1'000'000, INT64_MAX, INT64_MAX - 1};
  for (int i = 0; i < 10000; ++i) values.push_back(static_cast<int64_t>(gen() >> (gen() % 63 + 1)));
  for (const int64_t v : values) {
    const int index = LatencyHistogram::BucketIndex(v);
    ASSERT_GE(index, 0);
    ASSERT_LT(index, LatencyHistogram::kNumBuckets);
    ASSERT_LE(LatencyHistogram::BucketLower(index), v) << v;
    ASSERT_GE(LatencyHistogram::BucketUpper(index), v) << v;
  }
}

TEST(LatencyHistogramTest, PercentilesWithinOnePercentOfExact) {
  // Latency-like data: log-normal around 500 µs with a heavy tail, in nanoseconds.
  std::mt19937_64 gen(7);
  std::lognormal_distribution<double> latency(std::log(500e3), 1.0);
  std::vector<int64_t> values(200000);
  LatencyHistogram h;
  for (int64_t& v : values) {
    v = static_cast<int64_t>(latency(gen));
    h.Record(v);
  }
  std::sort(values.begin(), values.end());
  for (const double q : {0.0, 0.01, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 0.9999, 1.0}) {
    const double exact = static_cast<double>(ExactPercentile(values, q));
    const double approx = static_cast<double>(h.Percentile(q));
    EXPECT_LE(std::abs(approx - exact) / exact, 0.01)
        << "q=" << q << " exact=" << exact << " histogram=" << approx;
  }
  EXPECT_EQ(h.max(), values.back());
  EXPECT_EQ(h.min(), values.front());
}

TEST(LatencyHistogramTest, MergeEqualsRecordingEverything) {
  std::mt19937_64 gen(11);
  LatencyHistogram a, b, all;
  for (int i = 0; i < 5000; ++i) {
    const int64_t v = static_cast<int64_t>(gen() % 10'000'000);
    (i % 3 == 0 ? a : b).Record(v);
    all.Record(v);
  }
  LatencyHistogram merged;
  merged.Merge(a);
  merged.Merge(b);
  EXPECT_EQ(merged.count(), all.count());
  EXPECT_EQ(merged.min(), all.min());
  EXPECT_EQ(merged.max(), all.max());
  EXPECT_DOUBLE_EQ(merged.mean(), all.mean());
  for (const double q : {0.1, 0.5, 0.99}) EXPECT_EQ(merged.Percentile(q), all.Percentile(q));
  merged.Reset();
  EXPECT_EQ(merged.count(), 0);
  EXPECT_EQ(merged.Percentile(0.5), 0);
}

}  // namespace
}  // namespace hrnn::client::loadgen
