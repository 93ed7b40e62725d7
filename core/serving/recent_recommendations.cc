#include "core/serving/recent_recommendations.h"

#include <algorithm>
#include <utility>

#include "absl/hash/hash.h"

namespace hrnn {
namespace {

uint64_t ItemHash(absl::string_view item_id) { return absl::HashOf(item_id); }

}  // namespace

RecentRecommendations::RecentRecommendations(int64_t window_ms, int64_t max_users)
    : window_ms_(std::max<int64_t>(1, window_ms)),
      max_users_per_shard_(std::max<int64_t>(1, (max_users + kShards - 1) / kShards)) {}

RecentRecommendations::Shard& RecentRecommendations::ShardOf(absl::string_view user_id) const {
  // The shard comes from other bits than the flat_hash_map's own use of the hash.
  return shards_[(absl::HashOf(user_id, 0x5eed) >> 7) % kShards];
}

void RecentRecommendations::Remember(absl::string_view user_id, int64_t served_ms, uint32_t tag,
                                     absl::Span<const absl::string_view> items) {
  if (user_id.empty() || items.empty()) return;
  Served served;
  served.served_ms = served_ms;
  served.tag = tag;
  served.item_hashes.reserve(items.size());
  for (absl::string_view item : items) served.item_hashes.push_back(ItemHash(item));
  std::sort(served.item_hashes.begin(), served.item_hashes.end());

  Shard& shard = ShardOf(user_id);
  MutexLock lock(&shard.mu);
  auto found = shard.users.find(user_id);
  if (found == shard.users.end()) {
    if (static_cast<int64_t>(shard.users.size()) >= max_users_per_shard_) Evict(shard, served_ms);
    found = shard.users.try_emplace(std::string(user_id)).first;
  }
  std::vector<Served>& entries = found->second.newest_first;
  // Calls may finish out of time order: keep the list newest first.
  auto at = std::find_if(entries.begin(), entries.end(),
                         [&](const Served& e) { return e.served_ms <= served_ms; });
  entries.insert(at, std::move(served));
  if (entries.size() > static_cast<size_t>(kPerUser)) entries.pop_back();
}

std::optional<uint32_t> RecentRecommendations::Attribute(absl::string_view user_id,
                                                         absl::string_view item_id,
                                                         int64_t event_ms) const {
  if (user_id.empty()) return std::nullopt;
  const uint64_t item = ItemHash(item_id);
  Shard& shard = ShardOf(user_id);
  MutexLock lock(&shard.mu);
  auto found = shard.users.find(user_id);
  if (found == shard.users.end()) return std::nullopt;
  for (const Served& served : found->second.newest_first) {
    if (served.served_ms > event_ms) continue;            // Served after the event happened.
    if (event_ms - served.served_ms > window_ms_) break;  // This and the older ones are out.
    if (std::binary_search(served.item_hashes.begin(), served.item_hashes.end(), item)) {
      return served.tag;
    }
  }
  return std::nullopt;
}

void RecentRecommendations::Forget(absl::string_view user_id) {
  Shard& shard = ShardOf(user_id);
  MutexLock lock(&shard.mu);
  shard.users.erase(user_id);
}

int64_t RecentRecommendations::users() const {
  int64_t total = 0;
  for (const Shard& shard : shards_) {
    MutexLock lock(&shard.mu);
    total += static_cast<int64_t>(shard.users.size());
  }
  return total;
}

void RecentRecommendations::Evict(Shard& shard, int64_t now_ms) const {
  // First the users whose newest recommendation is out of the window.
  absl::erase_if(shard.users, [&](const auto& user) {
    return now_ms - user.second.newest_first.front().served_ms > window_ms_;
  });
  // Then, still full (more users inside the window than the bound), a quarter in hash order:
  // arbitrary users, so that one eviction pays for many insertions.
  const int64_t keep = max_users_per_shard_ - std::max<int64_t>(1, max_users_per_shard_ / 4);
  for (auto it = shard.users.begin();
       static_cast<int64_t>(shard.users.size()) > keep && it != shard.users.end();) {
    shard.users.erase(it++);
  }
}

}  // namespace hrnn
