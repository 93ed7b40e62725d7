// Clock: where serving code reads the time, so that tests can inject a fake one.
// SystemClock is stateless and thread-safe; implementations must be thread-safe.
#ifndef HRNN_CORE_BASE_CLOCK_H_
#define HRNN_CORE_BASE_CLOCK_H_

#include <chrono>
#include <cstdint>

namespace hrnn {

class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds since the Unix epoch.
  virtual int64_t NowMs() const = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t NowMs() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

}  // namespace hrnn

#endif  // HRNN_CORE_BASE_CLOCK_H_
