#include "server/state_rebuilder.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "server/event_application.h"

namespace hrnn {
namespace {

// Users rebuilt per pass over the log: bounds the rebuild's own memory (their states, twice
// over at most) whatever the number of users held.
constexpr size_t kUsersPerChunk = 250'000;
// Passes over the log's newest records for users whose held state stays ahead of the rebuild
// (live events keep arriving for them); after these, they stay on the fallback.
constexpr int kMaxCatchUpPasses = 8;
// How long commits wait for requests still using the previous model to finish.
constexpr absl::Duration kPreviousModelGrace = absl::Seconds(30);

}  // namespace

std::string RebuildProgress::ToString() const {
  return absl::StrCat(users_rebuilt, " of ", users_total, " users rebuilt, ", users_skipped,
                      " left on the fallback, ", events_replayed, " events replayed in ",
                      absl::StrFormat("%.2f", seconds), " s", cancelled ? " (cancelled)" : "",
                      error.empty() ? "" : absl::StrCat("; stopped: ", error));
}

StateRebuilder::StateRebuilder(std::shared_ptr<const ServingModel> model,
                               std::weak_ptr<const ServingModel> previous,
                               const ServerConfig& config, EventLog& log, UserStateStore& store,
                               int64_t window_start_ms, ServerMetrics* metrics)
    : model_(std::move(model)),
      previous_(std::move(previous)),
      config_(config),
      log_(log),
      store_(store),
      window_start_ms_(window_start_ms),
      metrics_(metrics) {
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
  live_from_seq_ = log_.next_seq();
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
  struct Rebuilt {
    UserState state;
    bool has_events = false;  // An event was replayed since the start or the last tombstone.
  };
  absl::flat_hash_map<std::string, Rebuilt> rebuilding;
  rebuilding.reserve(chunk.size());
  for (const std::string& user : chunk) rebuilding.emplace(user, Rebuilt());

  uint64_t read_to = log_.first_seq();  // Every record below it has been read.
  for (int pass = 0; pass <= kMaxCatchUpPasses; ++pass) {
    int64_t replayed = 0;
    const absl::Status read = log_.Read(read_to, [&](const EventRecord& record) {
      if (cancelled()) return false;
      read_to = record.seq + 1;
      if (record.kind == EventRecord::Kind::kItemAvailability) return true;  // Not a user's.
      auto found = rebuilding.find(record.user_id);
      if (found == rebuilding.end()) return true;
      Rebuilt& user = found->second;
      if (record.kind == EventRecord::Kind::kDeleteUser) {
        user = Rebuilt();  // What came before is forgotten.
        return true;
      }
      // Records appended before the rebuild started are replayed from the window on; later ones
      // (the live traffic since) are all replayed, as the live path applied them all.
      if (record.seq < live_from_seq_ && record.timestamp_ms < window_start_ms_) return true;
      const std::optional<LoggedEvent> event = ResolveLoggedEvent(*model_, config_, record);
      if (!event.has_value()) return true;
      if (!user.has_events) user.state = model_->NewUserState();
      if (ReplayLoggedEvent(*model_, *event, record, user.state)) {
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

    int64_t rebuilt = 0;
    int64_t skipped = 0;
    // The newest event a held state reflects and the pass did not read.
    uint64_t newest_behind = 0;
    for (auto it = rebuilding.begin(); it != rebuilding.end();) {
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
      rebuilding.erase(it++);
    }
    CountUsers(rebuilt, skipped);
    if (rebuilding.empty()) return true;
    // The live path has appended those events but the log may not have written them yet (Read
    // sees written records only): wait until it has, or the next pass would find nothing new.
    if (const absl::Status written = log_.WaitDurable(newest_behind); !written.ok()) {
      error_ = written.ToString();
      return false;
    }
  }
  CountUsers(0, static_cast<int64_t>(rebuilding.size()));
  return true;
}

}  // namespace hrnn
