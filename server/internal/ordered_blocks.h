// OrderedBlocks: hands the blocks of lines that hrnn-batch's workers finish, in any order, to the
// one thread that writes them, in block order, holding at most `window` blocks ahead of the one
// being written (so a slow block cannot make the others pile up in memory). Header-only.
// Thread-safe: one Mutex guards the finished blocks and the position (core/base/mutex.h).
#ifndef HRNN_SERVER_INTERNAL_ORDERED_BLOCKS_H_
#define HRNN_SERVER_INTERNAL_ORDERED_BLOCKS_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "core/base/mutex.h"

namespace hrnn::internal {

// A block of consecutive users' lines, in the users' order, and what they were.
struct LineBlock {
  std::string lines;
  int64_t users = 0;
  int64_t no_history = 0;
  int64_t failed = 0;
};

class OrderedBlocks {
 public:
  // Blocks 0..total-1 from `workers` workers.
  OrderedBlocks(int64_t total, int64_t window, int workers)
      : total_(total), window_(window), workers_(workers) {}

  // Waits until block `index` may be produced; false when the run was aborted.
  bool WaitForTurn(int64_t index) ABSL_LOCKS_EXCLUDED(mutex_) {
    MutexLock lock(&mutex_);
    while (!aborted_ && index >= next_ + window_) changed_.Wait(&mutex_);
    return !aborted_;
  }
  void Put(int64_t index, LineBlock block) ABSL_LOCKS_EXCLUDED(mutex_) {
    {
      MutexLock lock(&mutex_);
      ready_.emplace(index, std::move(block));
    }
    changed_.SignalAll();
  }
  // A worker has stopped (it produces no more blocks).
  void WorkerDone() ABSL_LOCKS_EXCLUDED(mutex_) {
    {
      MutexLock lock(&mutex_);
      ++workers_done_;
    }
    changed_.SignalAll();
  }
  // Waits for the next block in order and moves it to *block. False when all were taken, the
  // run was aborted, or every worker stopped without producing it.
  bool Take(LineBlock* block) ABSL_LOCKS_EXCLUDED(mutex_) {
    {
      MutexLock lock(&mutex_);
      while (true) {
        if (aborted_ || next_ >= total_) return false;
        auto it = ready_.find(next_);
        if (it != ready_.end()) {
          *block = std::move(it->second);
          ready_.erase(it);
          ++next_;
          break;
        }
        if (workers_done_ == workers_) return false;
        changed_.Wait(&mutex_);
      }
    }
    changed_.SignalAll();  // A place in the window is free.
    return true;
  }
  // Stops the run: workers waiting for their turn return false, Take returns false.
  void Abort() ABSL_LOCKS_EXCLUDED(mutex_) {
    {
      MutexLock lock(&mutex_);
      aborted_ = true;
    }
    changed_.SignalAll();
  }

 private:
  const int64_t total_;
  const int64_t window_;
  const int workers_;
  Mutex mutex_;
  CondVar changed_;
  std::map<int64_t, LineBlock> ready_ ABSL_GUARDED_BY(mutex_);
  int64_t next_ ABSL_GUARDED_BY(mutex_) = 0;
  int workers_done_ ABSL_GUARDED_BY(mutex_) = 0;
  bool aborted_ ABSL_GUARDED_BY(mutex_) = false;
};

}  // namespace hrnn::internal

#endif  // HRNN_SERVER_INTERNAL_ORDERED_BLOCKS_H_
