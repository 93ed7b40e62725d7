#include "core/train/thread_pool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "gtest/gtest.h"

namespace hrnn {
namespace {

// Aborts the test binary with a message if not destroyed within `seconds`: a lost wakeup shows up
// as a hang, which this turns into a failure that names the test. The limits are generous: under
// ASan on the shared 2-core machine, 10k sections of an oversubscribed pool took 73 s.
class Watchdog {
 public:
  Watchdog(const char* what, int seconds)
      : thread_([this, what, seconds] {
          std::unique_lock<std::mutex> lock(mutex_);
          if (!cv_.wait_for(lock, std::chrono::seconds(seconds), [this] { return done_; })) {
            std::fprintf(stderr, "Watchdog: %s did not finish within %d s (lost wakeup?)\n", what,
                         seconds);
            std::abort();
          }
        }) {}
  ~Watchdog() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;  // Last: starts after the members it uses.
};

// The documented static partition: chunk i of n over `size` chunks.
std::pair<int64_t, int64_t> ExpectedChunk(int64_t n, int size, int i) {
  const int64_t base = n / size, extra = n % size;
  const int64_t begin = i * base + std::min<int64_t>(i, extra);
  return {begin, begin + base + (i < extra ? 1 : 0)};
}

class ThreadPoolTest : public ::testing::TestWithParam<int> {};

TEST_P(ThreadPoolTest, SizeIsTheThreadCount) {
  ThreadPool pool(GetParam());
  EXPECT_EQ(pool.size(), GetParam());
}

TEST_P(ThreadPoolTest, EveryIndexOnceInTheDocumentedChunks) {
  const int size = GetParam();
  Watchdog watchdog("EveryIndexOnceInTheDocumentedChunks", 200);
  ThreadPool pool(size);
  const std::thread::id caller = std::this_thread::get_id();
  for (int64_t n : {0, 1, 2, 3, 7, 1000}) {
    SCOPED_TRACE(::testing::Message() << "size=" << size << " n=" << n);
    std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
    std::mutex mutex;
    std::vector<std::tuple<int, int64_t, int64_t>> chunks;  // (index, begin, end)
    std::vector<std::thread::id> threads;
    pool.ParallelFor(n, [&](int64_t begin, int64_t end, int index) {
      for (int64_t i = begin; i < end; ++i) hits[static_cast<size_t>(i)].fetch_add(1);
      std::lock_guard<std::mutex> lock(mutex);
      chunks.emplace_back(index, begin, end);
      threads.push_back(std::this_thread::get_id());
    });
    for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[static_cast<size_t>(i)].load(), 1) << i;

    // Exactly the non-empty chunks of the partition, each once (on whichever thread claimed it:
    // the caller and the workers take chunks as they come).
    std::vector<std::tuple<int, int64_t, int64_t>> expected;
    for (int i = 0; i < size; ++i) {
      const auto [begin, end] = ExpectedChunk(n, size, i);
      if (begin < end) expected.emplace_back(i, begin, end);
    }
    ASSERT_EQ(chunks.size(), expected.size());
    if (size == 1) {
      for (const std::thread::id& thread : threads) EXPECT_EQ(thread, caller);
    }
    std::sort(chunks.begin(), chunks.end());
    EXPECT_EQ(chunks, expected);
    // The first n % size chunks are one longer than the rest.
    for (const auto& [index, begin, end] : chunks) {
      EXPECT_EQ(end - begin, n / size + (index < n % size ? 1 : 0)) << "chunk " << index;
    }
  }
}

// Back-to-back short sections; each chunk writes its own slot without atomics, so this also
// checks that the workers' writes are visible once ParallelFor returns.
TEST_P(ThreadPoolTest, ManyShortSectionsComplete) {
  const int size = GetParam();
  Watchdog watchdog("ManyShortSectionsComplete", 400);
  ThreadPool pool(size);
  const int64_t n = 2 * size + 1;
  std::vector<int64_t> sums(static_cast<size_t>(n), 0);
  // 10k sections up to 2 threads; fewer beyond, where the pool oversubscribes the 2-core test
  // machine (a worker descheduled mid-chunk holds its section until it runs again).
  const int kCalls = size <= 2 ? 10000 : 2000;
  for (int call = 0; call < kCalls; ++call) {
    pool.ParallelFor(n, [&](int64_t begin, int64_t end, int) {
      for (int64_t i = begin; i < end; ++i) sums[static_cast<size_t>(i)] += call;
    });
  }
  const int64_t expected = int64_t{kCalls} * (kCalls - 1) / 2;
  for (int64_t i = 0; i < n; ++i) EXPECT_EQ(sums[static_cast<size_t>(i)], expected) << i;
}

// Workers block (a futex wait) after spinning for a while: sections that start after such a pause
// must wake them (a lost wakeup hangs here, which the watchdog reports).
TEST_P(ThreadPoolTest, SectionsAfterWorkersWentIdle) {
  const int size = GetParam();
  Watchdog watchdog("SectionsAfterWorkersWentIdle", 400);
  ThreadPool pool(size);
  std::atomic<int64_t> total{0};
  int64_t expected = 0;
  for (int round = 0; round < 12; ++round) {
    SCOPED_TRACE(::testing::Message() << "size=" << size << " round=" << round);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    // A burst right after waking, while some workers may still be on their way out of wait.
    for (int call = 0; call < 50; ++call) {
      const int64_t n = 1 + (round + call) % 9;
      pool.ParallelFor(n, [&](int64_t begin, int64_t end, int) { total += end - begin; });
      expected += n;
      ASSERT_EQ(total.load(), expected);
    }
  }
}

// A chunk that cannot finish until the other chunks have finished: the threads that are free take
// the rest (nothing waits for a particular thread), whatever the pool size.
TEST_P(ThreadPoolTest, ChunksAreTakenByWhicheverThreadIsFree) {
  const int size = GetParam();
  Watchdog watchdog("ChunksAreTakenByWhicheverThreadIsFree", 200);
  ThreadPool pool(size);
  for (int round = 0; round < 20; ++round) {
    std::atomic<int> finished{0};
    std::atomic<bool> one_is_waiting{false};
    pool.ParallelFor(size, [&](int64_t, int64_t, int) {
      if (!one_is_waiting.exchange(true)) {
        while (finished.load() < size - 1) std::this_thread::yield();
      }
      finished.fetch_add(1);
    });
    EXPECT_EQ(finished.load(), size);
  }
}

TEST_P(ThreadPoolTest, DestructionIsClean) {
  const int size = GetParam();
  Watchdog watchdog("DestructionIsClean", 200);
  { ThreadPool never_used(size); }
  {
    // Destroyed while the workers still spin.
    ThreadPool pool(size);
    std::atomic<int> count{0};
    pool.ParallelFor(
        100, [&](int64_t begin, int64_t end, int) { count += static_cast<int>(end - begin); });
    EXPECT_EQ(count.load(), 100);
  }
  {
    // Destroyed while the workers are blocked.
    ThreadPool pool(size);
    std::atomic<int> count{0};
    pool.ParallelFor(
        5, [&](int64_t begin, int64_t end, int) { count += static_cast<int>(end - begin); });
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_EQ(count.load(), 5);
  }
}

INSTANTIATE_TEST_SUITE_P(Sizes, ThreadPoolTest, ::testing::Values(1, 2, 3, 4),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return "threads" + std::to_string(info.param);
                         });

}  // namespace
}  // namespace hrnn
