// UserWriteLocks: a fixed set of mutexes, one chosen by a hash of the user id, that event
// writers hold across read, GRU step and compare-and-set of a user's state. With the
// compare-and-set alone, a writer that kept losing to other writers of the same user (a hot
// user under more threads than cores) ran out of attempts and rejected an event that nothing
// was wrong with; with the lock they take turns. Unrelated users that share a stripe wait for
// each other's step (microseconds); 1024 stripes make that rare. The project's Mutex
// (core/base/mutex.h), so that the ThreadSanitizer build sees these locks. HeldUserWriteLocks
// holds the stripes of a group of users at once, for the rare writer that needs those users to
// stand still (the state rebuild's last catch-up). UserWriteLocks is thread-safe;
// HeldUserWriteLocks is a scoped lock with one owner.
#ifndef HRNN_SERVER_INTERNAL_USER_WRITE_LOCKS_H_
#define HRNN_SERVER_INTERNAL_USER_WRITE_LOCKS_H_

#include <algorithm>
#include <array>
#include <cstddef>
#include <string>
#include <vector>

#include "absl/hash/hash.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/base/mutex.h"

namespace hrnn::internal {

class UserWriteLocks {
 public:
  UserWriteLocks() = default;
  UserWriteLocks(const UserWriteLocks&) = delete;
  UserWriteLocks& operator=(const UserWriteLocks&) = delete;

  static constexpr size_t kStripes = 1024;

  // The stripe `user_id` maps to, in 0..kStripes-1; the same id always gets the same one.
  static size_t StripeOf(absl::string_view user_id) { return absl::HashOf(user_id) % kStripes; }
  // The mutex of `user_id`'s stripe.
  Mutex& For(absl::string_view user_id) { return stripes_[StripeOf(user_id)].mutex; }
  // The mutex of stripe `stripe`. REQUIRES: stripe < kStripes.
  Mutex& StripeMutex(size_t stripe) { return stripes_[stripe].mutex; }

 private:
  struct alignas(64) Stripe {  // One cache line each, so stripes do not share lines.
    Mutex mutex;
  };
  std::array<Stripe, kStripes> stripes_;
};

// Holds the write locks of every user in `user_ids` until destroyed: none of them can commit an
// event meanwhile (unrelated users sharing a stripe wait too). Stripes are locked in ascending
// order, so two holders cannot deadlock; event writers hold one stripe at a time. Keep the group
// small (the state rebuild holds at most 32 stripes) and the hold short.
class HeldUserWriteLocks {
 public:
  HeldUserWriteLocks(UserWriteLocks& locks,
                     absl::Span<const std::string> user_ids) ABSL_NO_THREAD_SAFETY_ANALYSIS
      : locks_(locks) {
    stripes_.reserve(user_ids.size());
    for (const std::string& user_id : user_ids)
      stripes_.push_back(UserWriteLocks::StripeOf(user_id));
    std::sort(stripes_.begin(), stripes_.end());
    stripes_.erase(std::unique(stripes_.begin(), stripes_.end()), stripes_.end());
    for (const size_t stripe : stripes_) locks_.StripeMutex(stripe).Lock();
  }
  ~HeldUserWriteLocks() ABSL_NO_THREAD_SAFETY_ANALYSIS {
    for (auto it = stripes_.rbegin(); it != stripes_.rend(); ++it) locks_.StripeMutex(*it).Unlock();
  }
  HeldUserWriteLocks(const HeldUserWriteLocks&) = delete;
  HeldUserWriteLocks& operator=(const HeldUserWriteLocks&) = delete;

 private:
  UserWriteLocks& locks_;
  std::vector<size_t> stripes_;  // Sorted, distinct.
};

}  // namespace hrnn::internal

#endif  // HRNN_SERVER_INTERNAL_USER_WRITE_LOCKS_H_
