#include "server/state_recovery.h"

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/base/status_macros.h"
#include "core/state/state_snapshot.h"
#include "server/catalogue_updater.h"
#include "server/event_application.h"

namespace hrnn {
namespace {

// Feeds the recipes' live state (trending, live sessions) with the logged events of seq <
// `end_seq` that are newer than the model's training data, without touching user states. Each
// user's clicks are cut into sessions as Recommender::ApplyEvent cuts them; the latest clicks of
// an open session are kept as UserState::session_clicks keeps them.
absl::StatusOr<int64_t> WarmUpRecipes(const ServingModel& model, const ServerConfig& config,
                                      const EventLog& log, uint64_t end_seq) {
  if (model.recipes == nullptr || end_seq <= log.first_seq()) return 0;
  struct OpenSession {
    std::string session_id;
    int64_t last_ms = 0;
    int64_t last_item = -1;
    decltype(UserState::session_clicks) clicks;
  };
  absl::flat_hash_map<std::string, OpenSession> open;
  const int64_t training_end_ms = model.recipes->training_end_seconds() * 1000;
  const SessionPolicy& policy = model.recommender->policy();
  std::vector<int32_t> clicks;
  int64_t warmed = 0;
  const absl::Status read = log.Read(log.first_seq(), [&](const EventRecord& record) {
    if (record.seq >= end_seq) return false;
    if (record.kind == EventRecord::Kind::kItemAvailability ||
        record.kind == EventRecord::Kind::kRecommendation) {
      return true;  // Not an event.
    }
    if (record.kind == EventRecord::Kind::kDeleteUser) {
      open.erase(record.user_id);
      ForgetLiveRecipeUser(model, record.user_id);
      return true;
    }
    const std::optional<LoggedEvent> event = ResolveLoggedEvent(model, config, record);
    if (!event.has_value() || record.timestamp_ms < training_end_ms) return true;
    ++warmed;
    EventResult result = EventResult::kPurchase;
    if (event->advances) {
      auto [it, added] = open.try_emplace(record.user_id);
      OpenSession& session = it->second;
      if (!added && event->item == session.last_item && record.timestamp_ms == session.last_ms &&
          record.session_id == session.session_id) {
        return true;  // A duplicate, as ApplyEvent sees it.
      }
      const bool starts =
          StartsNewSession(policy, !added, session.last_ms, session.session_id,
                           ItemEvent{event->item, record.timestamp_ms, record.session_id});
      if (starts) {
        session.session_id = record.session_id;
        session.clicks.Clear();
      }
      session.clicks.Push(static_cast<int32_t>(event->item));
      session.last_item = event->item;
      session.last_ms = std::max(session.last_ms, record.timestamp_ms);
      session.clicks.CopyTo(&clicks);
      // A user's first warmed click opens a session without finishing one (there was none).
      result = starts && !added ? EventResult::kNewSession : EventResult::kApplied;
    }
    RecordLiveRecipeEvent(model, record.user_id, result, clicks, event->item, record.timestamp_ms);
    return true;
  });
  if (!read.ok()) return read;
  return warmed;
}

}  // namespace

std::string RecoveryStats::ToString() const {
  return absl::StrCat("snapshot ", snapshot.empty() ? "none" : snapshot, " (", snapshot_users,
                      " users, ", snapshot_unavailable_items, " items out of stock)",
                      snapshot_note.empty() ? "" : absl::StrCat("; ", snapshot_note), "; ",
                      recipe_events_warmed, " earlier events warmed the recipes",
                      "; log replayed from seq ", replay_from_seq, ": ", events_applied,
                      " events applied, ", events_skipped, " skipped, ", users_forgotten,
                      " users forgotten, ", availability_changes, " availability changes in ",
                      absl::StrFormat("%.2f", seconds), " s");
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
    // Availability is by item id: any model version's snapshot holds it.
    stats.snapshot_unavailable_items =
        MarkUnavailable(model, snapshot->header.unavailable_item_ids);
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

  HRNN_ASSIGN_OR_RETURN(stats.recipe_events_warmed,
                        WarmUpRecipes(model, config, log, stats.replay_from_seq));
  // Applied once after the replay, in log order (each Update copies the catalogue's bitmap).
  std::vector<std::pair<int64_t, bool>> availability;
  // As WarmUpRecipes: events the model was trained on are in its recipes' counts already.
  const int64_t live_recipes_from_ms = LiveRecipesFromMs(model);
  absl::Status read = log.Read(stats.replay_from_seq, [&](const EventRecord& record) {
    if (record.kind == EventRecord::Kind::kItemAvailability) {
      if (const std::optional<int64_t> index = model.items().Find(record.item_id);
          index.has_value()) {
        availability.emplace_back(*index, record.item_available);
      }
      ++stats.availability_changes;
      return true;
    }
    if (record.kind == EventRecord::Kind::kRecommendation) return true;  // Served, not applied.
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
    if (!ReplayLoggedEvent(model, *event, record, record.timestamp_ms >= live_recipes_from_ms,
                           state)) {  // In the snapshot, or a duplicate.
      ++stats.events_skipped;
      return true;
    }
    store.CompareAndSet(record.user_id, version, std::move(state), record.timestamp_ms);
    ++stats.events_applied;
    return true;
  });
  if (!read.ok()) return read;
  model.availability->Update(availability);
  stats.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  return stats;
}

}  // namespace hrnn
