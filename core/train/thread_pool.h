// ThreadPool: a fixed set of worker threads running ParallelFor with a static partition, so a
// computation split over the pool is deterministic for a given thread count. The calling thread
// takes part (a pool of size 1 has no workers). Built for many short parallel sections (a
// training step has a dozen of ~50-500 us): idle workers spin briefly before blocking, so a
// section starts in well under a microsecond. ParallelFor must not be called concurrently or
// reentrantly from inside a task; everything else is thread-safe.
#ifndef HRNN_CORE_TRAIN_THREAD_POOL_H_
#define HRNN_CORE_TRAIN_THREAD_POOL_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace hrnn {

class ThreadPool {
 public:
  // REQUIRES: num_threads >= 1.
  explicit ThreadPool(int num_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return num_threads_; }

  // Splits [0, n) into size() contiguous chunks (the first n % size() one element longer) and
  // runs task(begin, end, chunk_index) for each non-empty chunk, chunk 0 on the calling thread.
  // Returns when all chunks are done.
  void ParallelFor(int64_t n, const std::function<void(int64_t, int64_t, int)>& task);

 private:
  void WorkerLoop(int worker_index);

  const int num_threads_;
  std::vector<std::thread> workers_;
  // The current section; written by ParallelFor before generation_ is bumped (release), read by
  // workers after they observe the new generation (acquire).
  const std::function<void(int64_t, int64_t, int)>* task_ = nullptr;
  int64_t n_ = 0;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> pending_{0};
  std::atomic<bool> stop_{false};
  // Workers that spun too long block here until the generation changes.
  absl::Mutex mutex_;
};

}  // namespace hrnn

#endif  // HRNN_CORE_TRAIN_THREAD_POOL_H_
