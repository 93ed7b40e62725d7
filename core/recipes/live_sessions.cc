#include "core/recipes/live_sessions.h"

#include <algorithm>
#include <cassert>
#include <utility>

#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "core/recipes/internal/sorted_merge.h"

namespace hrnn {
namespace {

constexpr int kNumShards = 16;

// Compacts a postings list once its dropped head is over half of it (amortised O(1) a drop).
constexpr size_t kCompactAfter = 16;

}  // namespace

absl::Status LiveSessionsOptions::Validate() const {
  if (capacity < 0) {
    return absl::InvalidArgumentError(absl::StrCat("capacity must be >= 0, got ", capacity));
  }
  if (timeout_ms <= 0) {
    return absl::InvalidArgumentError(absl::StrCat("timeout_ms must be > 0, got ", timeout_ms));
  }
  if (max_open < 1) {
    return absl::InvalidArgumentError(absl::StrCat("max_open must be >= 1, got ", max_open));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<LiveSessions>> LiveSessions::Create(
    int32_t num_items, const LiveSessionsOptions& options) {
  if (absl::Status status = options.Validate(); !status.ok()) return status;
  if (num_items < 0) {
    return absl::InvalidArgumentError(absl::StrCat("num_items must be >= 0, got ", num_items));
  }
  return std::unique_ptr<LiveSessions>(new LiveSessions(num_items, options));
}

LiveSessions::LiveSessions(int32_t num_items, const LiveSessionsOptions& options)
    : num_items_(num_items), options_(options) {
  for (int s = 0; s < kNumShards; ++s) shards_.push_back(std::make_unique<Shard>());
}

LiveSessions::Shard& LiveSessions::ShardOf(absl::string_view user_id) {
  return *shards_[absl::HashOf(user_id) % shards_.size()];
}

void LiveSessions::RecordClick(absl::string_view user_id, bool new_session,
                               absl::Span<const int32_t> clicks, int64_t time_ms) {
  if (options_.capacity == 0) return;
  std::vector<int32_t> finished;
  std::vector<int32_t> overflow;
  {
    Shard& shard = ShardOf(user_id);
    MutexLock lock(&shard.mutex);
    auto found = shard.index.find(user_id);
    if (found == shard.index.end()) {
      shard.lru.push_front(OpenSession{std::string(user_id), {}, 0});
      shard.index.emplace(shard.lru.front().user_id, shard.lru.begin());
    } else {
      if (new_session) finished = std::move(found->second->clicks);
      shard.lru.splice(shard.lru.begin(), shard.lru, found->second);
    }
    OpenSession& open = shard.lru.front();
    open.clicks.assign(clicks.begin(), clicks.end());
    open.last_ms = time_ms;
    const size_t max_per_shard =
        std::max<size_t>(1, static_cast<size_t>(options_.max_open) / shards_.size());
    if (shard.lru.size() > max_per_shard) {
      overflow = std::move(shard.lru.back().clicks);
      shard.index.erase(shard.lru.back().user_id);
      shard.lru.pop_back();
    }
  }
  if (!finished.empty()) AddFinished(finished);
  if (!overflow.empty()) AddFinished(overflow);
}

int64_t LiveSessions::FinishIdle(int64_t now_ms) {
  if (options_.capacity == 0) return 0;
  int64_t added = 0;
  std::vector<std::vector<int32_t>> finished;
  for (const std::unique_ptr<Shard>& shard : shards_) {
    finished.clear();
    {
      MutexLock lock(&shard->mutex);
      while (!shard->lru.empty() && shard->lru.back().last_ms <= now_ms - options_.timeout_ms) {
        finished.push_back(std::move(shard->lru.back().clicks));
        shard->index.erase(shard->lru.back().user_id);
        shard->lru.pop_back();
      }
    }
    for (const std::vector<int32_t>& clicks : finished) added += AddFinished(clicks) ? 1 : 0;
  }
  return added;
}

void LiveSessions::Forget(absl::string_view user_id) {
  Shard& shard = ShardOf(user_id);
  MutexLock lock(&shard.mutex);
  auto found = shard.index.find(user_id);
  if (found == shard.index.end()) return;
  std::list<OpenSession>::iterator entry = found->second;
  shard.index.erase(found);
  shard.lru.erase(entry);
}

bool LiveSessions::AddFinished(absl::Span<const int32_t> clicks) {
  if (clicks.size() < 2) return false;
  std::vector<int32_t> items;
  items.reserve(clicks.size());
  for (int32_t item : clicks) {
    if (item >= 0 && item < num_items_) items.push_back(item);
  }
  std::sort(items.begin(), items.end());
  items.erase(std::unique(items.begin(), items.end()), items.end());
  if (items.empty()) return false;

  const size_t capacity = static_cast<size_t>(options_.capacity);
  MutexLock lock(&ring_mutex_);
  const uint64_t seq = next_seq_++;
  if (seq >= ring_.size() && ring_.size() < capacity) {  // Grows by doubling up to capacity.
    ring_.resize(std::min(capacity, std::max<size_t>(16, ring_.size() * 2)));
  }
  std::vector<int32_t>& slot = ring_[seq % capacity];
  if (seq >= capacity) {
    // The slot holds the session of seq - capacity, the oldest: its items' postings start with
    // it (every older one has already left), so each leaves from the front.
    for (int32_t item : slot) {
      auto found = postings_.find(item);
      assert(found != postings_.end() && found->second.seqs[found->second.head] == seq - capacity);
      Postings& list = found->second;
      ++list.head;
      if (list.head == list.seqs.size()) {
        postings_.erase(found);
      } else if (list.head >= kCompactAfter && list.head * 2 >= list.seqs.size()) {
        list.seqs.erase(list.seqs.begin(), list.seqs.begin() + static_cast<ptrdiff_t>(list.head));
        list.head = 0;
      }
    }
    ring_items_ -= static_cast<int64_t>(slot.size());
  }
  for (int32_t item : items) postings_[item].seqs.push_back(seq);
  ring_items_ += static_cast<int64_t>(items.size());
  slot = std::move(items);
  return true;
}

namespace {

// One item's ring postings read from the latest (age = newest - seq, ascending).
struct AgeCursor {
  const uint64_t* seqs;
  size_t head;
  size_t next;  // One past the entry read next.
  uint64_t newest;
  bool Done() const { return next == head; }
  int64_t Value() const { return static_cast<int64_t>(newest - seqs[next - 1]); }
  void Advance() { --next; }
};

}  // namespace

void LiveSessions::MostRecent(absl::Span<const int32_t> items, size_t limit,
                              std::vector<int64_t>* ages,
                              std::vector<std::pair<int64_t, size_t>>* heap) const {
  thread_local std::vector<AgeCursor> cursors;
  cursors.clear();
  const uint64_t newest = next_seq_ - 1;
  for (int32_t item : items) {
    auto found = postings_.find(item);
    if (found == postings_.end()) continue;
    const Postings& list = found->second;
    cursors.push_back({list.seqs.data(), list.head, list.seqs.size(), newest});
  }
  internal::SmallestDistinct(cursors, limit, ages, heap);
}

absl::Span<const int32_t> LiveSessions::ItemsOfAge(int64_t age) const {
  const uint64_t seq = next_seq_ - 1 - static_cast<uint64_t>(age);
  return ring_[seq % static_cast<uint64_t>(options_.capacity)];
}

LiveSessionsStats LiveSessions::stats() const {
  LiveSessionsStats stats;
  for (const std::unique_ptr<Shard>& shard : shards_) {
    MutexLock lock(&shard->mutex);
    stats.open += static_cast<int64_t>(shard->lru.size());
  }
  MutexLock lock(&ring_mutex_);
  const uint64_t capacity = static_cast<uint64_t>(options_.capacity);
  stats.finished = static_cast<int64_t>(std::min(next_seq_, capacity));
  stats.added = static_cast<int64_t>(next_seq_);
  int64_t postings_bytes = 0;
  for (const auto& [item, list] : postings_) {
    postings_bytes += static_cast<int64_t>(list.seqs.capacity() * sizeof(uint64_t));
  }
  stats.bytes =
      static_cast<int64_t>(ring_.capacity() * sizeof(std::vector<int32_t>)) +
      ring_items_ * static_cast<int64_t>(sizeof(int32_t)) + postings_bytes +
      static_cast<int64_t>(postings_.capacity() * (sizeof(int32_t) + sizeof(Postings) + 1));
  return stats;
}

}  // namespace hrnn
