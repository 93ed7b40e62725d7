// Mutex, MutexLock and CondVar for the serving path's shared state (state store, availability,
// model handle, scoring batcher, durability waiter). In normal builds they are absl::Mutex and
// absl::CondVar. In the ThreadSanitizer build (HRNN_TSAN) they are std::mutex and
// std::condition_variable with the same thread-safety annotations: Debian's libabsl is not built
// with TSan, so absl's synchronisation is invisible to it and every guarded access would be
// reported as a race. Mutex and CondVar are thread-safe; MutexLock is a scoped lock.
#ifndef HRNN_CORE_BASE_MUTEX_H_
#define HRNN_CORE_BASE_MUTEX_H_

#include "absl/base/thread_annotations.h"

#if defined(HRNN_TSAN)
#include <condition_variable>
#include <mutex>

#include "absl/time/time.h"
#else
#include "absl/synchronization/mutex.h"
#endif

namespace hrnn {

#if defined(HRNN_TSAN)
class ABSL_LOCKABLE Mutex {
 public:
  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { mutex_.lock(); }
  void Unlock() ABSL_UNLOCK_FUNCTION() { mutex_.unlock(); }
  std::mutex& native() { return mutex_; }

 private:
  std::mutex mutex_;
};

// absl::CondVar's interface over std::condition_variable.
class CondVar {
 public:
  // Atomically releases `mutex`, waits for a Signal (or a spurious wake-up) and reacquires it.
  // REQUIRES: `mutex` is held by this thread.
  void Wait(Mutex* mutex) {
    std::unique_lock<std::mutex> lock(mutex->native(), std::adopt_lock);
    ready_.wait(lock);
    lock.release();  // Still held: the caller's lock owns it.
  }
  // Wait() that gives up after `timeout`; returns true when it timed out.
  bool WaitWithTimeout(Mutex* mutex, absl::Duration timeout) {
    std::unique_lock<std::mutex> lock(mutex->native(), std::adopt_lock);
    const bool timed_out =
        ready_.wait_for(lock, absl::ToChronoNanoseconds(timeout)) == std::cv_status::timeout;
    lock.release();
    return timed_out;
  }
  void Signal() { ready_.notify_one(); }
  void SignalAll() { ready_.notify_all(); }

 private:
  std::condition_variable ready_;
};
#else
using Mutex = absl::Mutex;
using CondVar = absl::CondVar;
#endif

class ABSL_SCOPED_LOCKABLE MutexLock {
 public:
  explicit MutexLock(Mutex* mutex) ABSL_EXCLUSIVE_LOCK_FUNCTION(mutex) : mutex_(mutex) {
    mutex_->Lock();
  }
  ~MutexLock() ABSL_UNLOCK_FUNCTION() { mutex_->Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* const mutex_;
};

}  // namespace hrnn

#endif  // HRNN_CORE_BASE_MUTEX_H_
