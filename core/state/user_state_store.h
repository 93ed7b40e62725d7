// UserStateStore: the in-memory map user id -> UserState that the server answers from (DESIGN
// §6). Sharded by a hash of the user id, one Mutex per shard (leveldb's sharded LRU
// cache); each shard keeps its users in LRU order and evicts the least recently used one when it
// is over its share of the user or byte cap, and drops users idle longer than the TTL.
// Thread-safe. No lock is held while the caller computes: readers get a copy plus a version,
// and writers commit with CompareAndSet, retrying on a conflict (optimistic concurrency).
#ifndef HRNN_CORE_STATE_USER_STATE_STORE_H_
#define HRNN_CORE_STATE_USER_STATE_STORE_H_

#include <cstdint>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "core/base/mutex.h"
#include "core/state/user_state.h"

namespace hrnn {

struct UserStateStoreOptions {
  // Number of independently locked shards. Caps are enforced per shard (each gets an equal
  // share), as in a sharded LRU cache. Default: 64.
  int num_shards = 64;
  // At most this many users in memory (0 = no cap). Default: 0.
  int64_t max_users = 0;
  // At most this many bytes of user state, as counted by StateBytes (0 = no cap). Default: 0.
  int64_t max_bytes = 0;
  // Users with no write or read for longer than this are dropped (0 = never). Default: 0.
  int64_t idle_ttl_ms = 0;

  // OK when num_shards is in 1..4096 and the caps and TTL are not negative.
  absl::Status Validate() const;
};

// A consistent view of the store's counters.
struct UserStateStoreStats {
  int64_t users = 0;             // Users held now.
  int64_t bytes = 0;             // Their StateBytes, summed.
  int64_t evicted_capacity = 0;  // Users dropped to respect max_users / max_bytes (cumulative).
  int64_t evicted_idle = 0;      // Users dropped after idle_ttl_ms (cumulative).
};

class UserStateStore {
 public:
  // REQUIRES: options.Validate().ok().
  explicit UserStateStore(UserStateStoreOptions options);
  UserStateStore(const UserStateStore&) = delete;
  UserStateStore& operator=(const UserStateStore&) = delete;

  struct Versioned {
    UserState state;
    uint64_t version = 0;  // Never 0 for a held user; changes on every successful write.
  };

  // A copy of the user's state and its version, or nullopt when the store holds none (never
  // held, deleted, evicted, or idle past the TTL at `now_ms`, in which case it is dropped now).
  // A hit counts as a use for the LRU order and the idle TTL.
  std::optional<Versioned> Get(absl::string_view user_id, int64_t now_ms);

  // Stores `state` for the user if the user's version is still `expected_version` (0: the user
  // must not be held). Returns the new version, or 0 on a conflict (someone else wrote, deleted
  // or evicted the user since the Get): the caller reads again and recomputes. May evict other
  // users of the shard to respect the caps (never the one just written).
  uint64_t CompareAndSet(absl::string_view user_id, uint64_t expected_version, UserState state,
                         int64_t now_ms);
  // The same, calling `on_commit(stored)` on success while the shard is still locked, so that
  // what it records (an event-log append) is ordered exactly as the commits of this user are.
  // `on_commit` must be quick and must not call back into the store.
  uint64_t CompareAndSet(absl::string_view user_id, uint64_t expected_version, UserState state,
                         int64_t now_ms, absl::FunctionRef<void(UserState& stored)> on_commit);

  // Replaces the state of a held user when `accept(held_state)` returns true (called under the
  // shard lock: it must be quick and must not call back into the store), without counting as a
  // use: the user keeps its place in the LRU order and its idle time. Returns false when the
  // user is not held (never held, deleted, evicted) or `accept` refused. May evict other users
  // of the shard to respect the caps. For background rewrites (the state rebuild after a model
  // swap), which must neither resurrect a deleted user nor overwrite a newer state.
  bool ReplaceHeld(absl::string_view user_id, UserState state,
                   absl::FunctionRef<bool(const UserState& held)> accept);

  // Visits every user, one shard at a time: the shard's users are copied under its lock and
  // `visit` runs on the copies after the lock is released (so it may do I/O).
  void ForEachShard(
      absl::FunctionRef<void(const std::vector<std::pair<std::string, UserState>>&)> visit) const;

  // Forgets the user. Returns true when the user was held.
  bool Erase(absl::string_view user_id);
  // The same, calling `on_erase()` while the shard is locked (held or not), so that what it
  // records is ordered with the user's commits. `on_erase` must be quick.
  bool Erase(absl::string_view user_id, absl::FunctionRef<void()> on_erase);

  // Drops every user idle longer than the TTL at `now_ms` (each shard is scanned from its LRU
  // end, so the cost is proportional to what is dropped). Returns how many were dropped.
  int64_t EvictIdle(int64_t now_ms);

  UserStateStoreStats stats() const;

  // The bytes a user costs in memory: the entry, its key, its vectors' heap blocks, the LRU
  // node and its hash table slot (allocator overhead included as a 16-byte header per block).
  static int64_t StateBytes(absl::string_view user_id, const UserState& state);

 private:
  struct Entry {
    std::string user_id;
    UserState state;
    uint64_t version = 0;
    int64_t last_used_ms = 0;
    int64_t bytes = 0;
  };
  struct Shard {
    mutable Mutex mutex;
    // Most recently used first.
    std::list<Entry> lru ABSL_GUARDED_BY(mutex);
    absl::flat_hash_map<absl::string_view, std::list<Entry>::iterator> index ABSL_GUARDED_BY(mutex);
    int64_t bytes ABSL_GUARDED_BY(mutex) = 0;
    int64_t evicted_capacity ABSL_GUARDED_BY(mutex) = 0;
    int64_t evicted_idle ABSL_GUARDED_BY(mutex) = 0;
    uint64_t next_version ABSL_GUARDED_BY(mutex) = 1;
  };

  Shard& ShardFor(absl::string_view user_id);
  bool Expired(const Entry& entry, int64_t now_ms) const;
  // Removes `it` from `shard`. REQUIRES: shard.mutex held.
  static void Remove(Shard& shard, std::list<Entry>::iterator it)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard.mutex);

  const UserStateStoreOptions options_;
  const int64_t shard_max_users_;  // 0 = no cap.
  const int64_t shard_max_bytes_;  // 0 = no cap.
  std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace hrnn

#endif  // HRNN_CORE_STATE_USER_STATE_STORE_H_
