// RecoverState: rebuilds the user states after a restart (issue 7) — the newest valid state
// snapshot, when the served model version made it, then the event log replayed from the
// snapshot's position (the whole log otherwise, which rebuilds every user through a new model).
// Each user's events are applied exactly as the live path applied them (ApplyEventToState), in
// log order, and never twice (UserState::last_log_seq). The recipes' live state (trending and the
// sessions finished on the server) is not in snapshots: it is warmed up from the log instead —
// the events before the snapshot's position and not older than the model's training data
// (RecipeBundle::training_end_seconds) feed trending and, cut into sessions by the session rule
// (StartsNewSession), the live sessions; the replay from the snapshot's position then feeds
// both as before. So a restart keeps what the log still holds (--log_retention) of both, from the
// model directory plus the event log. The catalogue's availability (PutItems) is restored into
// `model` too: the newest valid snapshot's out-of-stock items (whichever model version wrote it:
// items are matched by id), then the log's availability changes from the replay position on, in
// order. Run before serving; not thread-safe with respect to live events.
#ifndef HRNN_SERVER_STATE_RECOVERY_H_
#define HRNN_SERVER_STATE_RECOVERY_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "core/serving/serving_model.h"
#include "core/state/event_log.h"
#include "core/state/user_state_store.h"
#include "server/server_config.h"

namespace hrnn {

struct RecoveryStats {
  std::string snapshot;              // The snapshot loaded ("" when none was usable).
  std::string snapshot_note;         // Why snapshots were skipped, if any were.
  int64_t snapshot_users = 0;        // Users loaded from it.
  uint64_t replay_from_seq = 0;      // The first log seq replayed.
  int64_t events_applied = 0;        // Log events that changed a state.
  int64_t events_skipped = 0;        // Already reflected, duplicates, unknown items, other types.
  int64_t users_forgotten = 0;       // DeleteUser tombstones replayed.
  int64_t recipe_events_warmed = 0;  // Events before the snapshot fed to the recipes' live state.
  int64_t snapshot_unavailable_items = 0;  // Out-of-stock items of the snapshot the model knows.
  int64_t availability_changes = 0;        // Logged availability changes replayed.
  double seconds = 0;                      // How long the recovery took.
  std::string ToString() const;
};

// REQUIRES: `store` holds no state of `model` (at start-up: empty).
// Errors: the log's read errors (DataLoss naming the file and offset).
absl::StatusOr<RecoveryStats> RecoverState(const ServingModel& model, const ServerConfig& config,
                                           const std::string& snapshot_dir, const EventLog& log,
                                           UserStateStore& store);

}  // namespace hrnn

#endif  // HRNN_SERVER_STATE_RECOVERY_H_
