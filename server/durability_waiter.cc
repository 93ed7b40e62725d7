#include "server/durability_waiter.h"

#include <algorithm>

namespace hrnn {

DurabilityWaiter::DurabilityWaiter(const RequestHandlers* handlers)
    : handlers_(*handlers), thread_([this] { Work(); }) {}

DurabilityWaiter::~DurabilityWaiter() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  ready_.notify_all();
  thread_.join();
}

void DurabilityWaiter::WhenDurable(uint64_t seq, std::function<void(absl::Status)> done) {
  if (seq == 0) {
    done(absl::OkStatus());
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    waiting_.emplace_back(seq, std::move(done));
  }
  ready_.notify_one();
}

void DurabilityWaiter::Work() {
  std::vector<std::pair<uint64_t, std::function<void(absl::Status)>>> batch;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      ready_.wait(lock, [this] { return stopping_ || !waiting_.empty(); });
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
