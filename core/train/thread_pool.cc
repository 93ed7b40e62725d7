#include "core/train/thread_pool.h"

#include <cassert>

namespace hrnn {
namespace {

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
    absl::MutexLock lock(&mutex_);
    stop_ = true;
  }
  for (std::thread& worker : workers_) worker.join();
}

void ThreadPool::ParallelFor(int64_t n, const std::function<void(int64_t, int64_t, int)>& task) {
  if (n <= 0) return;
  if (num_threads_ == 1 || n == 1) {
    task(0, n, 0);
    return;
  }
  {
    absl::MutexLock lock(&mutex_);
    task_ = &task;
    n_ = n;
    pending_ = num_threads_ - 1;
    ++generation_;
  }
  const auto [begin, end] = ChunkRange(n, num_threads_, 0);
  if (begin < end) task(begin, end, 0);
  absl::MutexLock lock(&mutex_);
  mutex_.Await(absl::Condition(
      +[](int* pending) { return *pending == 0; }, &pending_));
  task_ = nullptr;
}

void ThreadPool::WorkerLoop(int worker_index) {
  uint64_t seen_generation = 0;
  while (true) {
    const std::function<void(int64_t, int64_t, int)>* task;
    int64_t n;
    {
      absl::MutexLock lock(&mutex_);
      auto ready = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
        return stop_ || generation_ != seen_generation;
      };
      mutex_.Await(absl::Condition(&ready));
      if (stop_) return;
      seen_generation = generation_;
      task = task_;
      n = n_;
    }
    const auto [begin, end] = ChunkRange(n, num_threads_, worker_index);
    if (begin < end) (*task)(begin, end, worker_index);
    absl::MutexLock lock(&mutex_);
    --pending_;
  }
}

}  // namespace hrnn
