// UserWriteLocks: a fixed set of mutexes, one chosen by a hash of the user id, that event
// writers hold across read, GRU step and compare-and-set of a user's state. With the
// compare-and-set alone, a writer that kept losing to other writers of the same user (a hot
// user under more threads than cores) ran out of attempts and rejected an event that nothing
// was wrong with; with the lock they take turns. Unrelated users that share a stripe wait for
// each other's step (microseconds); 1024 stripes make that rare. The project's Mutex
// (core/base/mutex.h), so that the ThreadSanitizer build sees these locks. Thread-safe.
#ifndef HRNN_SERVER_INTERNAL_USER_WRITE_LOCKS_H_
#define HRNN_SERVER_INTERNAL_USER_WRITE_LOCKS_H_

#include <array>
#include <cstddef>

#include "absl/hash/hash.h"
#include "absl/strings/string_view.h"
#include "core/base/mutex.h"

namespace hrnn::internal {

class UserWriteLocks {
 public:
  UserWriteLocks() = default;
  UserWriteLocks(const UserWriteLocks&) = delete;
  UserWriteLocks& operator=(const UserWriteLocks&) = delete;

  // The mutex of `user_id`'s stripe; the same id always gets the same one.
  Mutex& For(absl::string_view user_id) { return stripes_[absl::HashOf(user_id) % kStripes].mutex; }

 private:
  static constexpr size_t kStripes = 1024;
  struct alignas(64) Stripe {  // One cache line each, so stripes do not share lines.
    Mutex mutex;
  };
  std::array<Stripe, kStripes> stripes_;
};

}  // namespace hrnn::internal

#endif  // HRNN_SERVER_INTERNAL_USER_WRITE_LOCKS_H_
