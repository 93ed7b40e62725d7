// RecentRecommendations: what each user was recommended within the attribution window, so that
// an event that carries no recommendation_id but acts on a recommended item (a click on it, a
// purchase of it) is attributed to the newest recommendation that held it (issue 16,
// --attribution_window). In memory, per process: users are routed to one replica by their id
// (hrnn-user-id), so the replica that served a user also sees their events; after a restart the
// window starts empty (hrnn-report attributes from the event log and is exact). Bounded: at most
// kPerUser recommendations a user and `max_users` users; items are held as 64-bit hashes.
// Thread-safe: every method may be called concurrently (sharded locks).
#ifndef HRNN_CORE_SERVING_RECENT_RECOMMENDATIONS_H_
#define HRNN_CORE_SERVING_RECENT_RECOMMENDATIONS_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/base/mutex.h"

namespace hrnn {

class RecentRecommendations {
 public:
  // Recommendations kept per user, newest first; older ones are dropped.
  static constexpr int kPerUser = 4;

  // `window_ms` >= 1: how long after serving a recommendation an event is attributed to it.
  // `max_users` >= 1: users held at most (beyond it, users with nothing inside the window are
  // dropped first, then arbitrary ones: their later events go unattributed by window).
  RecentRecommendations(int64_t window_ms, int64_t max_users);

  RecentRecommendations(const RecentRecommendations&) = delete;
  RecentRecommendations& operator=(const RecentRecommendations&) = delete;

  // Remembers that `items` were served to `user_id` at `served_ms`, tagged `tag` (the server's
  // experiment arm index). An empty user or list is ignored.
  void Remember(absl::string_view user_id, int64_t served_ms, uint32_t tag,
                absl::Span<const absl::string_view> items);

  // The tag of the newest recommendation served to `user_id` at most window_ms before
  // `event_ms` (and not after it) that held `item_id`; nullopt when none did.
  std::optional<uint32_t> Attribute(absl::string_view user_id, absl::string_view item_id,
                                    int64_t event_ms) const;

  // Drops what `user_id` was recommended (DeleteUser).
  void Forget(absl::string_view user_id);

  // Users held now.
  int64_t users() const;

 private:
  struct Served {
    int64_t served_ms = 0;
    uint32_t tag = 0;
    std::vector<uint64_t> item_hashes;  // Sorted.
  };
  struct UserEntries {
    std::vector<Served> newest_first;  // At most kPerUser.
  };
  struct Shard {
    mutable Mutex mu;
    absl::flat_hash_map<std::string, UserEntries> users ABSL_GUARDED_BY(mu);
  };
  static constexpr int kShards = 16;

  Shard& ShardOf(absl::string_view user_id) const;
  // Makes room in `shard` for one more user at time `now_ms`.
  void Evict(Shard& shard, int64_t now_ms) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard.mu);

  const int64_t window_ms_;
  const int64_t max_users_per_shard_;
  mutable std::array<Shard, kShards> shards_;
};

}  // namespace hrnn

#endif  // HRNN_CORE_SERVING_RECENT_RECOMMENDATIONS_H_
