// ThreadPool: a fixed set of worker threads running ParallelFor with a static partition, so a
// computation split over the pool is deterministic for a given thread count. The calling thread
// takes part (a pool of size 1 has no workers). Built for many short parallel sections (a
// training step has a dozen of ~50-500 us) on machines that are often shared:
// - the chunks of a section are claimed, not assigned: whichever thread is running takes the next
//   one, so when a worker is descheduled (another process holds its core) the caller runs its
//   chunk instead of waiting for it; chunk c is always task(begin_c, end_c, c), whoever runs it,
//   so results are bitwise identical for a given thread count;
// - idle threads spin for at most kSpinMicros (pause instructions, no yields), then block on a
//   futex (std::atomic::wait), so an idle or oversubscribed pool costs no CPU and no syscalls
//   beyond one wake-up per section.
// ParallelFor must not be called concurrently or reentrantly from inside a task; everything else
// is thread-safe.
#ifndef HRNN_CORE_TRAIN_THREAD_POOL_H_
#define HRNN_CORE_TRAIN_THREAD_POOL_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <thread>
#include <vector>

namespace hrnn {

class ThreadPool {
 public:
  // How long an idle thread polls before it blocks.
  static constexpr int64_t kSpinMicros = 50;

  // REQUIRES: num_threads >= 1.
  explicit ThreadPool(int num_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return num_threads_; }

  // Splits [0, n) into size() contiguous chunks (the first n % size() one element longer) and
  // runs task(begin, end, chunk_index) for each non-empty chunk, on the calling thread or a
  // worker (each chunk once). Returns when all chunks are done.
  void ParallelFor(int64_t n, const std::function<void(int64_t, int64_t, int)>& task);

 private:
  // Claims and runs chunks of the section whose work word is `work` (and of that section only)
  // until none is left.
  void RunChunks(uint64_t work);
  void WorkerLoop();

  const int num_threads_;
  std::vector<std::thread> workers_;
  // The current section: written by ParallelFor before work_ is stored (release), read by a
  // thread after a claim on work_ (acquire) succeeds.
  const std::function<void(int64_t, int64_t, int)>* task_ = nullptr;
  int64_t n_ = 0;
  // Section generation (high 32 bits) and next unclaimed chunk (low 32 bits). A claim is a
  // compare-and-swap that keeps the generation, so a late thread can never claim a chunk of a
  // section it has not synchronised with. Workers block on it (wait) for a new generation.
  std::atomic<uint64_t> work_{0};
  // Chunks of the current section not finished; the caller blocks on it (wait).
  std::atomic<int> unfinished_{0};
  std::atomic<bool> stop_{false};
};

}  // namespace hrnn

#endif  // HRNN_CORE_TRAIN_THREAD_POOL_H_
