// hrnn-batch's view of a server's state dir: a private copy of its event log and snapshots in
// a temporary directory (the live log is never opened, so never repaired: EventLog::Open cuts
// a torn tail, which must not happen under a running server), recovered into a store with the
// server's own RecoverState, then removed. Stateless; concurrent calls use separate copies.
#ifndef HRNN_SERVER_INTERNAL_BATCH_STATE_H_
#define HRNN_SERVER_INTERNAL_BATCH_STATE_H_

#include <string>

#include "absl/status/statusor.h"
#include "core/serving/serving_model.h"
#include "core/state/user_state_store.h"
#include "server/server_config.h"
#include "server/state_recovery.h"

namespace hrnn::internal {

// Copies STATE_DIR/log (the segment files listed when the copy starts, so that the newest one
// is the only one that may end torn) and then STATE_DIR/snapshots (complete snapshot files
// only) into a fresh directory under `temp_dir` ("" = the system's temporary directory),
// recovers every user's state of `model` into `store` as the server does at start-up
// (RecoverState: snapshot, log replay, the recipes' live state and the catalogue's
// availability into `model`), and removes the copy. A copy that fails (a segment retired by the
// server while it was copied) is retried, up to three times in all. Errors: NotFound when
// STATE_DIR/log does not exist ("--state_dir: ..."); I/O errors; RecoverState's.
// REQUIRES: `store` holds no state of `model`.
absl::StatusOr<RecoveryStats> RecoverStateFromCopy(const std::string& state_dir,
                                                   const std::string& temp_dir,
                                                   const ServingModel& model,
                                                   const ServerConfig& config,
                                                   UserStateStore& store);

}  // namespace hrnn::internal

#endif  // HRNN_SERVER_INTERNAL_BATCH_STATE_H_
