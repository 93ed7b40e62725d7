#include "server/state_rebuilder.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "server/event_application.h"

namespace hrnn {
namespace {

// Users rebuilt per pass over the log: bounds the rebuild's own memory (their states, twice
// over at most) whatever the number of users held.
constexpr size_t kUsersPerChunk = 250'000;
// Write-lock stripes the last catch-up holds at once (of UserWriteLocks::kStripes): the event
// writers of the users sharing them wait for one pass over the log's newest records.
constexpr size_t kMaxStripesHeld = 32;
// How long commits wait for requests still using the previous model to finish.
constexpr absl::Duration kPreviousModelGrace = absl::Seconds(30);

}  // namespace

std::string RebuildProgress::ToString() const {
  return absl::StrCat(users_rebuilt, " of ", users_total, " users rebuilt, ", users_skipped,
                      " left on the fallback, ", users_held_still, " held still to catch up, ",
                      events_replayed, " events replayed in ", absl::StrFormat("%.2f", seconds),
                      " s", cancelled ? " (cancelled)" : "",
                      error.empty() ? "" : absl::StrCat("; stopped: ", error));
}

StateRebuilder::StateRebuilder(std::shared_ptr<const ServingModel> model,
                               std::weak_ptr<const ServingModel> previous,
                               const ServerConfig& config, EventLog& log, UserStateStore& store,
                               internal::UserWriteLocks* write_locks, int64_t window_start_ms,
                               uint64_t swap_seq, ServerMetrics* metrics)
    : model_(std::move(model)),
      previous_(std::move(previous)),
      config_(config),
      log_(log),
      store_(store),
      write_locks_(write_locks),
      window_start_ms_(window_start_ms),
      metrics_(metrics),
      live_from_seq_(swap_seq) {
  thread_ = std::thread([this] { Run(); });
}

StateRebuilder::~StateRebuilder() { Cancel(); }

void StateRebuilder::Cancel() {
  if (!cancel_.HasBeenNotified()) cancel_.Notify();
  if (thread_.joinable()) thread_.join();
}

bool StateRebuilder::WaitUntilDone(absl::Duration timeout) const {
  return finished_.WaitForNotificationWithTimeout(timeout);
}

RebuildProgress StateRebuilder::progress() const {
  RebuildProgress progress;
  progress.users_total = users_total_.load(std::memory_order_relaxed);
  progress.users_rebuilt = users_rebuilt_.load(std::memory_order_relaxed);
  progress.users_skipped = users_skipped_.load(std::memory_order_relaxed);
  progress.users_held_still = users_held_still_.load(std::memory_order_relaxed);
  progress.events_replayed = events_replayed_.load(std::memory_order_relaxed);
  progress.done = finished_.HasBeenNotified();
  progress.cancelled = progress.done && cancel_.HasBeenNotified();
  if (progress.done) progress.error = error_;
  progress.seconds = absl::ToDoubleSeconds((progress.done ? finished_at_ : absl::Now()) - started_);
  return progress;
}

void StateRebuilder::CountEvents(int64_t replayed) {
  events_replayed_.fetch_add(replayed, std::memory_order_relaxed);
  if (metrics_ != nullptr && replayed > 0) metrics_->RebuildEventsReplayed(replayed);
}

void StateRebuilder::CountUsers(int64_t rebuilt, int64_t skipped) {
  users_rebuilt_.fetch_add(rebuilt, std::memory_order_relaxed);
  users_skipped_.fetch_add(skipped, std::memory_order_relaxed);
  if (metrics_ != nullptr) metrics_->RebuildUsersDone(rebuilt, skipped);
}

void StateRebuilder::Run() {
  // Every user held: those the live path has already moved to the new model since the swap
  // started afresh there, without their history.
  std::vector<std::string> users;
  store_.ForEachShard([&](const std::vector<std::pair<std::string, UserState>>& shard) {
    for (const auto& entry : shard) users.push_back(entry.first);
  });
  std::sort(users.begin(), users.end());
  users_total_.store(static_cast<int64_t>(users.size()), std::memory_order_relaxed);
  if (metrics_ != nullptr) metrics_->RebuildStarted(static_cast<int64_t>(users.size()));

  // Events applied on the previous model by requests still in flight could overwrite rebuilt
  // states: let those requests finish first (they take milliseconds).
  const absl::Time grace_end = absl::Now() + kPreviousModelGrace;
  while (!previous_.expired() && absl::Now() < grace_end &&
         !cancel_.WaitForNotificationWithTimeout(absl::Milliseconds(5))) {
  }

  for (size_t begin = 0; begin < users.size() && !cancelled(); begin += kUsersPerChunk) {
    const std::vector<std::string> chunk(
        users.begin() + static_cast<std::ptrdiff_t>(begin),
        users.begin() +
            static_cast<std::ptrdiff_t>(std::min(users.size(), begin + kUsersPerChunk)));
    if (!RebuildChunk(chunk)) break;
  }
  if (metrics_ != nullptr) metrics_->RebuildFinished();
  finished_at_ = absl::Now();
  finished_.Notify();
}

bool StateRebuilder::RebuildChunk(const std::vector<std::string>& chunk) {
  RebuildingUsers rebuilding;
  rebuilding.reserve(chunk.size());
  for (const std::string& user : chunk) rebuilding.emplace(user, Rebuilding());

  uint64_t read_to = log_.first_seq();  // Every record below it has been read.
  // After the first pass, config_.rebuild_catch_up_passes more for the users whose held state got
  // ahead of the rebuild (live events keep arriving for them); then they are held still.
  for (int pass = 0; pass <= config_.rebuild_catch_up_passes; ++pass) {
    if (!ReplayFrom(&read_to, rebuilding)) return false;
    const uint64_t newest_behind = CommitCaughtUp(read_to, rebuilding);
    if (rebuilding.empty()) return true;
    // The live path has appended those events but the log may not have written them yet (Read
    // sees written records only): wait until it has, or the next pass would find nothing new.
    if (const absl::Status written = log_.WaitDurable(newest_behind); !written.ok()) {
      error_ = written.ToString();
      return false;
    }
  }
  if (write_locks_ != nullptr) return CatchUpHeldStill(read_to, rebuilding);
  CountUsers(0, static_cast<int64_t>(rebuilding.size()));
  return true;
}

bool StateRebuilder::ReplayFrom(uint64_t* read_to, RebuildingUsers& users) {
  int64_t replayed = 0;
  const absl::Status read = log_.Read(*read_to, [&](const EventRecord& record) {
    if (cancelled()) return false;
    *read_to = record.seq + 1;
    if (record.kind == EventRecord::Kind::kItemAvailability ||
        record.kind == EventRecord::Kind::kRecommendation) {
      return true;  // Not a change of a user's state.
    }
    auto found = users.find(record.user_id);
    if (found == users.end()) return true;
    Rebuilding& user = found->second;
    if (record.kind == EventRecord::Kind::kDeleteUser) {
      user = Rebuilding();  // What came before is forgotten.
      return true;
    }
    // Records appended before the rebuild started are replayed from the window on; later ones
    // (the live traffic since) are all replayed, as the live path applied them all.
    if (record.seq < live_from_seq_ && record.timestamp_ms < window_start_ms_) return true;
    const std::optional<LoggedEvent> event = ResolveLoggedEvent(*model_, config_, record);
    if (!event.has_value()) return true;
    if (!user.has_events) user.state = model_->NewUserState();
    // The new model's live recipes get each event once: those appended since the rebuild
    // started were fed by the live path (through this model), those older than its training
    // data's end are in its trained counts.
    const bool feed_live_recipes =
        record.seq < live_from_seq_ && record.timestamp_ms >= LiveRecipesFromMs(*model_);
    if (ReplayLoggedEvent(*model_, *event, record, feed_live_recipes, user.state)) {
      user.has_events = true;
      ++replayed;
    }
    return true;
  });
  CountEvents(replayed);
  if (cancelled()) return false;
  if (!read.ok()) {
    error_ = read.ToString();
    return false;
  }
  return true;
}

uint64_t StateRebuilder::CommitCaughtUp(uint64_t read_to, RebuildingUsers& users) {
  int64_t rebuilt = 0;
  int64_t skipped = 0;
  uint64_t newest_behind = 0;  // The newest event a held state reflects and no pass read.
  for (auto it = users.begin(); it != users.end();) {
    bool behind = false;
    const bool committed =
        it->second.has_events &&
        store_.ReplaceHeld(it->first, it->second.state, [&](const UserState& held) {
          // The held state reflects an event not read yet: catch up first.
          behind = held.last_log_seq >= read_to;
          if (behind) newest_behind = std::max(newest_behind, held.last_log_seq);
          return !behind;
        });
    if (behind) {
      ++it;
      continue;
    }
    // Without events in the window (or after its deletion) the rebuilt state would be the
    // fallback's; a user no longer held stays gone.
    ++(committed ? rebuilt : skipped);
    users.erase(it++);
  }
  CountUsers(rebuilt, skipped);
  return newest_behind;
}

bool StateRebuilder::CatchUpHeldStill(uint64_t read_to, RebuildingUsers& users) {
  std::vector<std::string> behind;
  behind.reserve(users.size());
  for (const auto& entry : users) behind.push_back(entry.first);
  std::sort(behind.begin(), behind.end());
  for (size_t next = 0; next < behind.size();) {
    // The next group: users while they need at most kMaxStripesHeld stripes.
    RebuildingUsers group;
    std::vector<std::string> group_ids;
    absl::flat_hash_set<size_t> stripes;
    for (; next < behind.size(); ++next) {
      const size_t stripe = internal::UserWriteLocks::StripeOf(behind[next]);
      if (stripes.size() == kMaxStripesHeld && !stripes.contains(stripe)) break;
      stripes.insert(stripe);
      group_ids.push_back(behind[next]);
      auto found = users.find(behind[next]);
      group.emplace(found->first, std::move(found->second));
      users.erase(found);
    }
    // No event of the group can be committed now, and every one its held states reflect is
    // appended: once the log has written everything appended, one pass reads them all.
    internal::HeldUserWriteLocks held_still(*write_locks_, group_ids);
    if (const absl::Status written = log_.WaitDurable(log_.next_seq() - 1); !written.ok()) {
      error_ = written.ToString();
      return false;
    }
    users_held_still_.fetch_add(static_cast<int64_t>(group.size()), std::memory_order_relaxed);
    uint64_t group_read_to = read_to;
    if (!ReplayFrom(&group_read_to, group)) return false;
    CommitCaughtUp(group_read_to, group);
    // Nothing can be behind now but a writer that ignores the locks (none does): count it as left.
    CountUsers(0, static_cast<int64_t>(group.size()));
  }
  return true;
}

}  // namespace hrnn
