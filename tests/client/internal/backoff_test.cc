#include "client/internal/backoff.h"

#include "absl/random/random.h"
#include "gtest/gtest.h"

namespace hrnn::client::internal {
namespace {

TEST(RetryBackoffTest, DoublesUpToTheCapWithJitterInHalfToFull) {
  absl::BitGen gen;
  const absl::Duration initial = absl::Milliseconds(50);
  const absl::Duration max = absl::Milliseconds(300);
  for (int retry = 1; retry <= 12; ++retry) {
    absl::Duration nominal = initial;
    for (int i = 1; i < retry; ++i) nominal = std::min(nominal * 2, max);
    for (int trial = 0; trial < 200; ++trial) {
      const absl::Duration backoff = RetryBackoff(retry, initial, max, gen);
      EXPECT_GE(backoff, nominal / 2) << "retry " << retry;
      EXPECT_LE(backoff, nominal) << "retry " << retry;
    }
  }
}

TEST(RetryBackoffTest, HugeRetryCountsStayCapped) {
  absl::BitGen gen;
  EXPECT_LE(RetryBackoff(1000000, absl::Milliseconds(1), absl::Seconds(1), gen), absl::Seconds(1));
}

TEST(RetryBackoffTest, JitterVaries) {
  absl::BitGen gen;
  const absl::Duration first = RetryBackoff(3, absl::Milliseconds(100), absl::Seconds(1), gen);
  bool varied = false;
  for (int i = 0; i < 50 && !varied; ++i) {
    varied = RetryBackoff(3, absl::Milliseconds(100), absl::Seconds(1), gen) != first;
  }
  EXPECT_TRUE(varied);
}

}  // namespace
}  // namespace hrnn::client::internal
