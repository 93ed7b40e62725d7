// StateRebuilder: after a model swap, rebuilds the held users' states through the new model, in
// the background, by replaying their recent events (the rebuild window) from the event log
// (issue 7). Until a user's rebuilt state is committed, the new model does not own the user's
// state, so the user is served from the new model's fallback (a new user's state), never from
// a state of another model.
//
// Live events keep flowing during the rebuild. A rebuilt state is committed only when the
// rebuild has read the log past every event the held state reflects (UserState::last_log_seq),
// so it replaces a state built from a fresh start by the live path with one that also has the
// history; a user whose held state is newer than what was read is caught up by another pass
// over the log's new records, after waiting until the log has written the events those held
// states reflect (the live path appends before the log writes; a pass reads written records
// only). Users whose live events still outrun the passes (a busy user clicks during every pass)
// are then held still, at most 32 write-lock stripes at a time (their event writers wait), for
// one last pass that cannot fall behind. A user the store no longer holds (deleted, evicted) is
// never brought back. Commits wait until the previous model is no longer used by any request
// (so an event applied on the previous model cannot overwrite a rebuilt state).
//
// Thread-safe: the rebuild runs on its own thread; progress() may be called from any thread.
#ifndef HRNN_SERVER_STATE_REBUILDER_H_
#define HRNN_SERVER_STATE_REBUILDER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "core/serving/serving_model.h"
#include "core/state/event_log.h"
#include "core/state/user_state_store.h"
#include "server/internal/user_write_locks.h"
#include "server/server_config.h"
#include "server/server_metrics.h"

namespace hrnn {

struct RebuildProgress {
  int64_t users_total = 0;       // Users held when it started.
  int64_t users_rebuilt = 0;     // Committed with a state rebuilt through the new model.
  int64_t users_skipped = 0;     // No event in the window, or no longer held: on the fallback.
  int64_t users_held_still = 0;  // Of those finished, caught up while their writers were held
                                 // (their live events outran the catch-up passes).
  int64_t events_replayed = 0;   // Log events applied to rebuilt states.
  double seconds = 0;            // Time since it started (until it finished, once done).
  bool done = false;
  bool cancelled = false;
  std::string error;  // A log read error that ended the rebuild early.
  std::string ToString() const;
};

class StateRebuilder {
 public:
  // Starts rebuilding every user `store` holds (the swap to `model` has just happened), from the
  // events of `log` stamped at or after `window_start_ms`, and every event logged since. Records
  // from `swap_seq` on (the log's next seq when the swap began) may have been applied live
  // through `model`: their events are not fed to its live recipes again. `previous` is the model
  // replaced (may be null). `write_locks` are the live event writers' (the last catch-up holds
  // them); when null, users still behind after the catch-up passes stay on the fallback. `metrics`
  // may be null. Every pointer and reference must outlive the rebuilder.
  StateRebuilder(std::shared_ptr<const ServingModel> model,
                 std::weak_ptr<const ServingModel> previous, const ServerConfig& config,
                 EventLog& log, UserStateStore& store, internal::UserWriteLocks* write_locks,
                 int64_t window_start_ms, uint64_t swap_seq, ServerMetrics* metrics);
  // Cancels the rebuild if it is still running and waits for its thread.
  ~StateRebuilder();
  StateRebuilder(const StateRebuilder&) = delete;
  StateRebuilder& operator=(const StateRebuilder&) = delete;

  // Stops the rebuild (what was committed stays) and waits for its thread. Idempotent.
  void Cancel();
  // Waits until the rebuild has finished (or was cancelled); returns false on timeout.
  bool WaitUntilDone(absl::Duration timeout) const;
  bool done() const { return finished_.HasBeenNotified(); }
  RebuildProgress progress() const;
  int64_t model_version() const { return model_->version; }

 private:
  struct Rebuilding {
    UserState state;
    bool has_events = false;  // An event was replayed since the start or the last tombstone.
  };
  using RebuildingUsers = absl::flat_hash_map<std::string, Rebuilding>;

  void Run();
  // Rebuilds the users of `chunk` (sorted ids). Returns false when cancelled or on a log error.
  bool RebuildChunk(const std::vector<std::string>& chunk);
  // Replays the log's written records from *read_to on onto `users`, advancing *read_to past
  // them. Returns false when cancelled or on a read error (error_ says which).
  bool ReplayFrom(uint64_t* read_to, RebuildingUsers& users);
  // Commits, and removes from `users`, every user whose held state reflects no record at or past
  // `read_to` (counting the users without events, or no longer held, as skipped). Returns the
  // newest log seq a remaining (behind) user's held state reflects; 0 when none is left.
  uint64_t CommitCaughtUp(uint64_t read_to, RebuildingUsers& users);
  // The last catch-up: holds the remaining users' write locks, a group at a time, waits until the
  // log has written everything appended, replays it from `read_to` and commits. Returns false
  // when cancelled or on a log error.
  bool CatchUpHeldStill(uint64_t read_to, RebuildingUsers& users);
  bool cancelled() const { return cancel_.HasBeenNotified(); }
  void CountEvents(int64_t replayed);
  void CountUsers(int64_t rebuilt, int64_t skipped);

  const std::shared_ptr<const ServingModel> model_;
  const std::weak_ptr<const ServingModel> previous_;
  const ServerConfig& config_;
  EventLog& log_;  // Read, and waited on for records the live path appended (WaitDurable).
  UserStateStore& store_;
  internal::UserWriteLocks* const write_locks_;  // May be null.
  const int64_t window_start_ms_;
  ServerMetrics* const metrics_;

  const absl::Time started_ = absl::Now();
  absl::Time finished_at_;  // Written by the thread before finished_ is notified.
  std::atomic<int64_t> users_total_{0};
  std::atomic<int64_t> users_rebuilt_{0};
  std::atomic<int64_t> users_skipped_{0};
  std::atomic<int64_t> users_held_still_{0};
  std::atomic<int64_t> events_replayed_{0};
  // The log's next seq when the swap began: later records are the live traffic, applied (but for
  // calls in flight at the swap) through the new model, which the live path fed.
  const uint64_t live_from_seq_;
  std::string error_;  // Written by the thread before finished_ is notified.
  absl::Notification cancel_;
  absl::Notification finished_;
  std::thread thread_;
};

}  // namespace hrnn

#endif  // HRNN_SERVER_STATE_REBUILDER_H_
