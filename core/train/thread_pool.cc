#include "core/train/thread_pool.h"

#include <algorithm>
#include <cassert>

namespace hrnn {
namespace {

// How long an idle worker polls before it blocks on the mutex.
constexpr int kSpinIterations = 20000;

// One polling step: a pause instruction, and every 64th time a yield, so that a spinning thread
// gives its core back when the machine is oversubscribed (another process, or more threads than
// cores) instead of starving the thread it waits for.
inline void CpuRelax(int iteration) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
  if ((iteration & 63) == 63) std::this_thread::yield();
}

// The [begin, end) of chunk `index` when n is split into `chunks` parts.
std::pair<int64_t, int64_t> ChunkRange(int64_t n, int chunks, int index) {
  const int64_t base = n / chunks, extra = n % chunks;
  const int64_t begin = index * base + std::min<int64_t>(index, extra);
  return {begin, begin + base + (index < extra ? 1 : 0)};
}

}  // namespace

ThreadPool::ThreadPool(int num_threads) : num_threads_(num_threads) {
  assert(num_threads >= 1);
  for (int i = 1; i < num_threads_; ++i) workers_.emplace_back([this, i] { WorkerLoop(i); });
}

ThreadPool::~ThreadPool() {
  {
    absl::MutexLock lock(&mutex_);  // Wakes blocked workers (their condition reads stop_).
    stop_.store(true, std::memory_order_release);
  }
  for (std::thread& worker : workers_) worker.join();
}

void ThreadPool::ParallelFor(int64_t n, const std::function<void(int64_t, int64_t, int)>& task) {
  if (n <= 0) return;
  if (num_threads_ == 1 || n == 1) {
    task(0, n, 0);
    return;
  }
  task_ = &task;
  n_ = n;
  pending_.store(num_threads_ - 1, std::memory_order_relaxed);
  {
    // Under the mutex so that a worker blocked in Await re-checks its condition.
    absl::MutexLock lock(&mutex_);
    generation_.fetch_add(1, std::memory_order_release);
  }
  const auto [begin, end] = ChunkRange(n, num_threads_, 0);
  if (begin < end) task(begin, end, 0);
  for (int spin = 0; pending_.load(std::memory_order_acquire) != 0; ++spin) CpuRelax(spin);
}

void ThreadPool::WorkerLoop(int worker_index) {
  uint64_t seen = 0;
  while (true) {
    uint64_t current = generation_.load(std::memory_order_acquire);
    for (int spin = 0; current == seen && spin < kSpinIterations; ++spin) {
      if (stop_.load(std::memory_order_acquire)) return;
      CpuRelax(spin);
      current = generation_.load(std::memory_order_acquire);
    }
    if (current == seen) {
      absl::MutexLock lock(&mutex_);
      auto changed = [this, seen] {
        return stop_.load(std::memory_order_acquire) ||
               generation_.load(std::memory_order_acquire) != seen;
      };
      mutex_.Await(absl::Condition(&changed));
      current = generation_.load(std::memory_order_acquire);
    }
    if (stop_.load(std::memory_order_acquire)) return;
    seen = current;
    const auto [begin, end] = ChunkRange(n_, num_threads_, worker_index);
    if (begin < end) (*task_)(begin, end, worker_index);
    pending_.fetch_sub(1, std::memory_order_acq_rel);
  }
}

}  // namespace hrnn
