// DurabilityWaiter: finishes calls once the event log holds what they acknowledge, without
// blocking gRPC's threads. Calls hand over (seq, done); one thread waits for the highest seq
// handed over so far — one group commit of the log covers them all — and runs the callbacks
// with the outcome. Thread-safe. Uses std::mutex/std::condition_variable (visible to TSan).
#ifndef HRNN_SERVER_DURABILITY_WAITER_H_
#define HRNN_SERVER_DURABILITY_WAITER_H_

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "server/request_handlers.h"

namespace hrnn {

class DurabilityWaiter {
 public:
  // `handlers` (borrowed) provides WaitDurable.
  explicit DurabilityWaiter(const RequestHandlers* handlers);
  // Waits for and answers what was handed over, then stops.
  ~DurabilityWaiter();
  DurabilityWaiter(const DurabilityWaiter&) = delete;
  DurabilityWaiter& operator=(const DurabilityWaiter&) = delete;

  // Calls `done(status)` once every record up to `seq` is durable (OK) or the log failed
  // (Unavailable): on the caller's thread at once when seq is 0, else on the waiter's thread.
  void WhenDurable(uint64_t seq, std::function<void(absl::Status)> done);

 private:
  void Work();

  const RequestHandlers& handlers_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::vector<std::pair<uint64_t, std::function<void(absl::Status)>>> waiting_;  // mutex_
  bool stopping_ = false;                                                        // mutex_
  std::thread thread_;
};

}  // namespace hrnn

#endif  // HRNN_SERVER_DURABILITY_WAITER_H_
