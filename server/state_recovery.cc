#include "server/state_recovery.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/state/state_snapshot.h"
#include "server/event_application.h"

namespace hrnn {

std::string RecoveryStats::ToString() const {
  return absl::StrCat("snapshot ", snapshot.empty() ? "none" : snapshot, " (", snapshot_users,
                      " users)", snapshot_note.empty() ? "" : absl::StrCat("; ", snapshot_note),
                      "; log replayed from seq ", replay_from_seq, ": ", events_applied,
                      " events applied, ", events_skipped, " skipped, ", users_forgotten,
                      " users forgotten in ", absl::StrFormat("%.2f", seconds), " s");
}

absl::StatusOr<RecoveryStats> RecoverState(const ServingModel& model, const ServerConfig& config,
                                           const std::string& snapshot_dir, const EventLog& log,
                                           UserStateStore& store) {
  const absl::Time start = absl::Now();
  RecoveryStats stats;
  stats.replay_from_seq = log.first_seq();
  SnapshotReport report;
  absl::StatusOr<LoadedSnapshot> snapshot = ReadLatestSnapshot(snapshot_dir, &report);
  if (!report.skipped.empty()) stats.snapshot_note = report.ToString();
  if (snapshot.ok()) {
    if (snapshot->header.model_version != model.version ||
        snapshot->header.model_name != model.name) {
      stats.snapshot_note = absl::StrCat(
          "snapshot ", snapshot->path, " is of model ", snapshot->header.model_name, " version ",
          snapshot->header.model_version, ": rebuilding every user from the log");
    } else {
      stats.snapshot = snapshot->path;
      for (SnapshotUser& user : snapshot->users) {
        if (!model.Owns(user.state)) continue;
        const int64_t last_ms = user.state.last_event_ms;
        store.CompareAndSet(user.user_id, 0, std::move(user.state), last_ms);
        ++stats.snapshot_users;
      }
      stats.replay_from_seq = std::max(stats.replay_from_seq, snapshot->header.log_seq);
    }
  } else if (snapshot.status().code() != absl::StatusCode::kNotFound) {
    stats.snapshot_note = snapshot.status().ToString();
  }

  absl::Status read = log.Read(stats.replay_from_seq, [&](const EventRecord& record) {
    if (record.kind == EventRecord::Kind::kDeleteUser) {
      if (store.Erase(record.user_id)) ++stats.users_forgotten;
      ForgetLiveRecipeUser(model, record.user_id);
      return true;
    }
    const std::optional<LoggedEvent> event = ResolveLoggedEvent(model, config, record);
    if (!event.has_value()) {
      ++stats.events_skipped;
      return true;
    }
    auto [state, version] = ReadStateForUpdate(store, model, record.user_id, record.timestamp_ms);
    if (!ReplayLoggedEvent(model, *event, record, state)) {  // In the snapshot, or a duplicate.
      ++stats.events_skipped;
      return true;
    }
    store.CompareAndSet(record.user_id, version, std::move(state), record.timestamp_ms);
    ++stats.events_applied;
    return true;
  });
  if (!read.ok()) return read;
  stats.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  return stats;
}

}  // namespace hrnn
