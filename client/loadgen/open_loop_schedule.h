// OpenLoopSchedule: the intended send times of an open-loop load (requests at a fixed rate,
// whatever the responses do). Latency is measured from these times, not from when a request
// actually left, so a stalled sender or server cannot hide queueing (coordinated omission).
// Immutable; thread-safe.
#ifndef HRNN_CLIENT_LOADGEN_OPEN_LOOP_SCHEDULE_H_
#define HRNN_CLIENT_LOADGEN_OPEN_LOOP_SCHEDULE_H_

#include <cmath>
#include <cstdint>

namespace hrnn::client::loadgen {

class OpenLoopSchedule {
 public:
  // Request i is due at start_ns + round(i * 1e9 / rate) (+ offset_ns): evenly spaced, computed
  // from i rather than accumulated, so it does not drift. REQUIRES: rate > 0.
  OpenLoopSchedule(int64_t start_ns, double rate, int64_t offset_ns = 0)
      : start_ns_(start_ns + offset_ns), period_ns_(1e9 / rate) {}

  int64_t IntendedTime(int64_t i) const {
    return start_ns_ + static_cast<int64_t>(std::llround(static_cast<double>(i) * period_ns_));
  }

  // How many requests are due before `t_ns` (the first index whose time is >= t_ns).
  int64_t CountBefore(int64_t t_ns) const {
    if (t_ns <= start_ns_) return 0;
    int64_t i = static_cast<int64_t>(std::ceil(static_cast<double>(t_ns - start_ns_) / period_ns_));
    while (i > 0 && IntendedTime(i - 1) >= t_ns) --i;
    while (IntendedTime(i) < t_ns) ++i;
    return i;
  }

  double period_ns() const { return period_ns_; }

 private:
  int64_t start_ns_;
  double period_ns_;
};

}  // namespace hrnn::client::loadgen

#endif  // HRNN_CLIENT_LOADGEN_OPEN_LOOP_SCHEDULE_H_
