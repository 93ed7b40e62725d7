// Mutex and MutexLock for the serving path's shared state (state store, availability, model
// handle). In normal builds Mutex is absl::Mutex. In the ThreadSanitizer build (HRNN_TSAN) it is
// a std::mutex with the same thread-safety annotations: Debian's libabsl is not built with TSan,
// so absl::Mutex's synchronisation is invisible to it and every guarded access would be reported
// as a race. Mutex is thread-safe; MutexLock is a scoped lock, as absl::MutexLock.
#ifndef HRNN_CORE_BASE_MUTEX_H_
#define HRNN_CORE_BASE_MUTEX_H_

#include "absl/base/thread_annotations.h"

#if defined(HRNN_TSAN)
#include <mutex>
#else
#include "absl/synchronization/mutex.h"
#endif

namespace hrnn {

#if defined(HRNN_TSAN)
class ABSL_LOCKABLE Mutex {
 public:
  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { mutex_.lock(); }
  void Unlock() ABSL_UNLOCK_FUNCTION() { mutex_.unlock(); }

 private:
  std::mutex mutex_;
};
#else
using Mutex = absl::Mutex;
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
