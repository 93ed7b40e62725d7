// DurabilityWaiter: finishes calls once the event log holds what they acknowledge, without
// blocking gRPC's threads. Calls hand over (seq, done); one thread waits for the highest seq
// handed over so far — one group commit of the log covers them all — and runs the callbacks
// with the outcome. Thread-safe; the hand-over list is guarded by a Mutex (core/base/mutex.h),
// checked by clang's -Wthread-safety.
#ifndef HRNN_SERVER_DURABILITY_WAITER_H_
#define HRNN_SERVER_DURABILITY_WAITER_H_

#include <cstdint>
#include <functional>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "core/base/mutex.h"
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
  void WhenDurable(uint64_t seq, std::function<void(absl::Status)> done)
      ABSL_LOCKS_EXCLUDED(mutex_);

 private:
  void Work() ABSL_LOCKS_EXCLUDED(mutex_);

  const RequestHandlers& handlers_;
  Mutex mutex_;
  CondVar ready_;  // Signalled when a call is handed over or stopping_ is set.
  std::vector<std::pair<uint64_t, std::function<void(absl::Status)>>> waiting_
      ABSL_GUARDED_BY(mutex_);
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  std::thread thread_;
};

}  // namespace hrnn

#endif  // HRNN_SERVER_DURABILITY_WAITER_H_
