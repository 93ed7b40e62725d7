#include "server/durability_waiter.h"

#include <algorithm>

namespace hrnn {

DurabilityWaiter::DurabilityWaiter(const RequestHandlers* handlers)
    : handlers_(*handlers), thread_([this] { Work(); }) {}

DurabilityWaiter::~DurabilityWaiter() {
  {
    MutexLock lock(&mutex_);
    stopping_ = true;
  }
  ready_.SignalAll();
  thread_.join();
}

void DurabilityWaiter::WhenDurable(uint64_t seq, std::function<void(absl::Status)> done) {
  if (seq == 0) {
    done(absl::OkStatus());
    return;
  }
  {
    MutexLock lock(&mutex_);
    waiting_.emplace_back(seq, std::move(done));
  }
  ready_.Signal();
}

void DurabilityWaiter::Work() {
  std::vector<std::pair<uint64_t, std::function<void(absl::Status)>>> batch;
  while (true) {
    {
      MutexLock lock(&mutex_);
      while (!stopping_ && waiting_.empty()) ready_.Wait(&mutex_);
      if (waiting_.empty()) return;  // Stopping and drained.
      batch.swap(waiting_);
    }
    uint64_t highest = 0;
    for (const auto& [seq, done] : batch) highest = std::max(highest, seq);
    const absl::Status status = handlers_.WaitDurable(highest);
    for (auto& [seq, done] : batch) done(status);
    batch.clear();
  }
}

}  // namespace hrnn
