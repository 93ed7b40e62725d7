#include "core/train/thread_pool.h"

#include <algorithm>
#include <cassert>
#include <chrono>
#include <utility>

namespace hrnn {
namespace {

constexpr uint64_t kChunkMask = 0xFFFFFFFFu;

inline uint64_t Generation(uint64_t work) { return work >> 32; }
inline int Chunk(uint64_t work) { return static_cast<int>(work & kChunkMask); }

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// Polls `done` with pause instructions for at most ThreadPool::kSpinMicros; true once it holds.
template <typename Done>
bool SpinUntil(Done done) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::microseconds(ThreadPool::kSpinMicros);
  for (int spin = 0;; ++spin) {
    if (done()) return true;
    CpuRelax();
    if ((spin & 63) == 63 && std::chrono::steady_clock::now() >= deadline) return done();
  }
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
  // Generation 0 with every chunk taken: nothing to claim until the first ParallelFor.
  work_.store(static_cast<uint64_t>(num_threads_), std::memory_order_relaxed);
  for (int i = 1; i < num_threads_; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

ThreadPool::~ThreadPool() {
  stop_.store(true, std::memory_order_release);
  // A new generation with every chunk taken: wakes blocked workers, which then see stop_.
  const uint64_t next = (Generation(work_.load(std::memory_order_relaxed)) + 1) << 32;
  work_.store(next | static_cast<uint64_t>(num_threads_), std::memory_order_release);
  work_.notify_all();
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
  unfinished_.store(num_threads_, std::memory_order_relaxed);
  const uint64_t work = (Generation(work_.load(std::memory_order_relaxed)) + 1) << 32;
  work_.store(work, std::memory_order_release);  // Publishes task_, n_ and unfinished_.
  work_.notify_all();                            // No system call unless a worker is blocked.
  RunChunks(work);
  if (SpinUntil([this] { return unfinished_.load(std::memory_order_acquire) == 0; })) return;
  for (int left; (left = unfinished_.load(std::memory_order_acquire)) != 0;) {
    unfinished_.wait(left, std::memory_order_acquire);
  }
}

void ThreadPool::RunChunks(uint64_t work) {
  while (Chunk(work) < num_threads_) {
    if (!work_.compare_exchange_weak(work, work + 1, std::memory_order_acq_rel,
                                     std::memory_order_acquire)) {
      continue;  // `work` now holds the current word: maybe another section, checked below.
    }
    const int chunk = Chunk(work);
    const auto [begin, end] = ChunkRange(n_, num_threads_, chunk);
    if (begin < end) (*task_)(begin, end, chunk);
    if (unfinished_.fetch_sub(1, std::memory_order_acq_rel) == 1) unfinished_.notify_one();
    work = work_.load(std::memory_order_acquire);
  }
}

void ThreadPool::WorkerLoop() {
  uint64_t work = work_.load(std::memory_order_acquire);
  while (!stop_.load(std::memory_order_acquire)) {
    RunChunks(work);
    // Wait for a section with chunks left (or stop): spin briefly, then block.
    auto claimable = [this, &work] {
      work = work_.load(std::memory_order_acquire);
      return Chunk(work) < num_threads_ || stop_.load(std::memory_order_acquire);
    };
    if (SpinUntil(claimable)) continue;
    while (!claimable()) work_.wait(work, std::memory_order_acquire);
  }
}

}  // namespace hrnn
