#include "core/state/user_state_store.h"

#include <algorithm>
#include <utility>

#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"

namespace hrnn {
namespace {

constexpr int64_t kAllocatorOverhead = 16;  // glibc malloc header and rounding, per block.

int64_t HeapBlock(size_t bytes) {
  return bytes == 0 ? 0 : static_cast<int64_t>(bytes) + kAllocatorOverhead;
}

// Heap bytes of a string beyond its inline buffer (libstdc++ keeps up to 15 chars inline).
int64_t StringHeap(size_t capacity) { return capacity > 15 ? HeapBlock(capacity + 1) : 0; }

}  // namespace

absl::Status UserStateStoreOptions::Validate() const {
  if (num_shards < 1 || num_shards > 4096) {
    return absl::InvalidArgumentError(
        absl::StrCat("state shards: ", num_shards, " is outside 1..4096"));
  }
  if (max_users < 0) {
    return absl::InvalidArgumentError(absl::StrCat("max_users: ", max_users, " is negative"));
  }
  if (max_bytes < 0) {
    return absl::InvalidArgumentError(absl::StrCat("max_state_bytes: ", max_bytes, " is negative"));
  }
  if (idle_ttl_ms < 0) {
    return absl::InvalidArgumentError(absl::StrCat("idle ttl: ", idle_ttl_ms, " ms is negative"));
  }
  return absl::OkStatus();
}

UserStateStore::UserStateStore(UserStateStoreOptions options)
    : options_(options),
      shard_max_users_(options.max_users == 0
                           ? 0
                           : std::max<int64_t>(1, options.max_users / options.num_shards)),
      shard_max_bytes_(options.max_bytes == 0
                           ? 0
                           : std::max<int64_t>(1, options.max_bytes / options.num_shards)) {
  shards_.reserve(options_.num_shards);
  for (int i = 0; i < options_.num_shards; ++i) shards_.push_back(std::make_unique<Shard>());
}

int64_t UserStateStore::StateBytes(absl::string_view user_id, const UserState& state) {
  // The list node holds the Entry plus two pointers; the hash slot a string_view and an
  // iterator plus one control byte, at the table's maximum load factor of 7/8.
  const int64_t node = HeapBlock(sizeof(Entry) + 2 * sizeof(void*));
  const int64_t slot = (sizeof(absl::string_view) + sizeof(std::list<Entry>::iterator) + 1) * 8 / 7;
  return node + slot + StringHeap(user_id.size()) + StringHeap(state.session_id.capacity()) +
         HeapBlock(state.user.capacity() * sizeof(float)) +
         HeapBlock(state.session.capacity() * sizeof(float));
}

UserStateStore::Shard& UserStateStore::ShardFor(absl::string_view user_id) {
  return *shards_[absl::HashOf(user_id) % shards_.size()];
}

bool UserStateStore::Expired(const Entry& entry, int64_t now_ms) const {
  return options_.idle_ttl_ms > 0 && now_ms - entry.last_used_ms > options_.idle_ttl_ms;
}

void UserStateStore::Remove(Shard& shard, std::list<Entry>::iterator it) {
  shard.bytes -= it->bytes;
  shard.index.erase(absl::string_view(it->user_id));
  shard.lru.erase(it);
}

std::optional<UserStateStore::Versioned> UserStateStore::Get(absl::string_view user_id,
                                                             int64_t now_ms) {
  Shard& shard = ShardFor(user_id);
  MutexLock lock(&shard.mutex);
  auto found = shard.index.find(user_id);
  if (found == shard.index.end()) return std::nullopt;
  auto it = found->second;
  if (Expired(*it, now_ms)) {
    Remove(shard, it);
    ++shard.evicted_idle;
    return std::nullopt;
  }
  it->last_used_ms = std::max(it->last_used_ms, now_ms);
  shard.lru.splice(shard.lru.begin(), shard.lru, it);
  return Versioned{it->state, it->version};
}

uint64_t UserStateStore::CompareAndSet(absl::string_view user_id, uint64_t expected_version,
                                       UserState state, int64_t now_ms) {
  return CompareAndSet(user_id, expected_version, std::move(state), now_ms, [](UserState&) {});
}

uint64_t UserStateStore::CompareAndSet(absl::string_view user_id, uint64_t expected_version,
                                       UserState state, int64_t now_ms,
                                       absl::FunctionRef<void(UserState& stored)> on_commit) {
  Shard& shard = ShardFor(user_id);
  MutexLock lock(&shard.mutex);
  auto found = shard.index.find(user_id);
  const uint64_t held_version = found == shard.index.end() ? 0 : found->second->version;
  if (held_version != expected_version) return 0;

  std::list<Entry>::iterator it;
  if (found == shard.index.end()) {
    shard.lru.emplace_front();
    it = shard.lru.begin();
    it->user_id = std::string(user_id);
    shard.index.emplace(absl::string_view(it->user_id), it);
  } else {
    it = found->second;
    shard.lru.splice(shard.lru.begin(), shard.lru, it);
    shard.bytes -= it->bytes;
  }
  it->state = std::move(state);
  on_commit(it->state);
  it->version = shard.next_version++;
  it->last_used_ms = std::max(it->last_used_ms, now_ms);
  it->bytes = StateBytes(it->user_id, it->state);
  shard.bytes += it->bytes;

  // Evict from the LRU end, never the entry just written (it is at the front).
  while (shard.lru.size() > 1 &&
         ((shard_max_users_ > 0 && static_cast<int64_t>(shard.lru.size()) > shard_max_users_) ||
          (shard_max_bytes_ > 0 && shard.bytes > shard_max_bytes_))) {
    Remove(shard, std::prev(shard.lru.end()));
    ++shard.evicted_capacity;
  }
  return it->version;
}

bool UserStateStore::ReplaceHeld(absl::string_view user_id, UserState state,
                                 absl::FunctionRef<bool(const UserState& held)> accept) {
  Shard& shard = ShardFor(user_id);
  MutexLock lock(&shard.mutex);
  auto found = shard.index.find(user_id);
  if (found == shard.index.end() || !accept(found->second->state)) return false;
  const std::list<Entry>::iterator it = found->second;
  shard.bytes -= it->bytes;
  it->state = std::move(state);
  it->version = shard.next_version++;
  it->bytes = StateBytes(it->user_id, it->state);
  shard.bytes += it->bytes;
  // The caps, as in CompareAndSet; the replaced entry keeps its place, so skip it if it is last.
  while (shard.lru.size() > 1 &&
         ((shard_max_users_ > 0 && static_cast<int64_t>(shard.lru.size()) > shard_max_users_) ||
          (shard_max_bytes_ > 0 && shard.bytes > shard_max_bytes_))) {
    auto victim = std::prev(shard.lru.end());
    if (victim == it) victim = std::prev(victim);
    Remove(shard, victim);
    ++shard.evicted_capacity;
  }
  return true;
}

bool UserStateStore::Erase(absl::string_view user_id) {
  return Erase(user_id, [] {});
}

bool UserStateStore::Erase(absl::string_view user_id, absl::FunctionRef<void()> on_erase) {
  Shard& shard = ShardFor(user_id);
  MutexLock lock(&shard.mutex);
  on_erase();
  auto found = shard.index.find(user_id);
  if (found == shard.index.end()) return false;
  Remove(shard, found->second);
  return true;
}

int64_t UserStateStore::EvictIdle(int64_t now_ms) {
  if (options_.idle_ttl_ms == 0) return 0;
  int64_t dropped = 0;
  for (auto& shard_ptr : shards_) {
    Shard& shard = *shard_ptr;
    MutexLock lock(&shard.mutex);
    // last_used_ms is not decreasing along the LRU order except when callers pass older times;
    // stop at the first live entry from the cold end.
    while (!shard.lru.empty() && Expired(shard.lru.back(), now_ms)) {
      Remove(shard, std::prev(shard.lru.end()));
      ++shard.evicted_idle;
      ++dropped;
    }
  }
  return dropped;
}

void UserStateStore::ForEachShard(
    absl::FunctionRef<void(const std::vector<std::pair<std::string, UserState>>&)> visit) const {
  std::vector<std::pair<std::string, UserState>> users;
  for (const auto& shard_ptr : shards_) {
    users.clear();
    {
      const Shard& shard = *shard_ptr;
      MutexLock lock(&shard.mutex);
      users.reserve(shard.lru.size());
      for (const Entry& entry : shard.lru) users.emplace_back(entry.user_id, entry.state);
    }
    visit(users);
  }
}

UserStateStoreStats UserStateStore::stats() const {
  UserStateStoreStats stats;
  for (const auto& shard_ptr : shards_) {
    const Shard& shard = *shard_ptr;
    MutexLock lock(&shard.mutex);
    stats.users += static_cast<int64_t>(shard.lru.size());
    stats.bytes += shard.bytes;
    stats.evicted_capacity += shard.evicted_capacity;
    stats.evicted_idle += shard.evicted_idle;
  }
  return stats;
}

}  // namespace hrnn
