// FakeClock: a Clock that tests set and advance by hand. Thread-safe.
#ifndef HRNN_TESTS_TESTING_FAKE_CLOCK_H_
#define HRNN_TESTS_TESTING_FAKE_CLOCK_H_

#include <atomic>
#include <cstdint>

#include "core/base/clock.h"

namespace hrnn {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t now_ms = 1'700'000'000'000) : now_ms_(now_ms) {}
  int64_t NowMs() const override { return now_ms_.load(); }
  void Set(int64_t now_ms) { now_ms_.store(now_ms); }
  void Advance(int64_t ms) { now_ms_.fetch_add(ms); }

 private:
  std::atomic<int64_t> now_ms_;
};

}  // namespace hrnn

#endif  // HRNN_TESTS_TESTING_FAKE_CLOCK_H_
