// CatalogueReplicator: keeps this replica's catalogue equal to the shared catalogue stream
// (catalogue_stream.h) when the server runs with --catalog_stream. PutItems (Submit) appends the
// changes to the stream and returns once this replica has applied them; a follower thread reads
// the stream in order and applies every entry — this replica's and the others' — through the
// CatalogueUpdater, which logs each change locally (so a snapshot and the event log hold it as
// before). The id of the last entry applied is kept in `position_file` (written after the log
// holds the entry's changes durably), so a restarted replica resumes after it; without a state
// directory it starts from the beginning of the stream. Replaying an entry twice is harmless
// (availability is set, not toggled).
// Thread-safe: Submit may be called concurrently; one internal thread follows the stream.
#ifndef HRNN_SERVER_CATALOGUE_REPLICATOR_H_
#define HRNN_SERVER_CATALOGUE_REPLICATOR_H_

#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "core/base/mutex.h"
#include "core/state/event_log.h"
#include "server/catalogue_stream.h"
#include "server/catalogue_updater.h"

namespace hrnn {

struct CatalogueReplicatorOptions {
  // The stream's name (written next to the position, so that a position is never used with
  // another stream).
  std::string stream_name;
  // Where the last applied entry id is kept; "" = nowhere (start from the stream's beginning).
  std::string position_file;
  // How long Submit waits for this replica to apply its own entry. Default: 5 s.
  absl::Duration apply_timeout = absl::Seconds(5);
  // How long one read waits for new entries (how quickly Stop() is honoured). Default: 500 ms.
  absl::Duration read_wait = absl::Milliseconds(500);
  // Pause after a failed read or apply before trying again. Default: 500 ms.
  absl::Duration retry_pause = absl::Milliseconds(500);
};

class CatalogueReplicator {
 public:
  // `updater` applies entries; `log` (may be null: no durability) is waited on before a position
  // is saved. `writer` serves Submit, `reader` the follower (two connections: the follower's
  // read blocks). All borrowed pointers must outlive this object.
  CatalogueReplicator(CatalogueUpdater* updater, EventLog* log,
                      std::unique_ptr<CatalogueStream> writer,
                      std::unique_ptr<CatalogueStream> reader, CatalogueReplicatorOptions options);
  ~CatalogueReplicator();  // Stop().

  // Reads the position file and starts following the stream. Errors: a position file that
  // cannot be read or parsed (InvalidArgument / DataLoss naming it).
  absl::Status Start() ABSL_LOCKS_EXCLUDED(mutex_);
  // Stops the follower (within about read_wait). Idempotent.
  void Stop() ABSL_LOCKS_EXCLUDED(mutex_);

  // PutItems with the stream: appends `changes`, then waits until this replica applied that
  // entry. The result counts the changes the served model knows (the rest are listed unknown;
  // other replicas' models may know them); wait_seq is 0 (the follower waited for the log).
  // Errors: Unavailable when the stream cannot be written (nothing was accepted), or when no
  // model is served; DeadlineExceeded when the entry was appended (it will be applied) but not
  // applied here within apply_timeout.
  absl::StatusOr<AvailabilityUpdate> Submit(absl::Span<const AvailabilityChange> changes)
      ABSL_LOCKS_EXCLUDED(mutex_, writer_mutex_);

  // The id of the last entry applied ("0-0" before any).
  std::string applied_id() const ABSL_LOCKS_EXCLUDED(mutex_);
  // Entries applied since the start, and failed reads / applies.
  int64_t entries_applied() const ABSL_LOCKS_EXCLUDED(mutex_);
  int64_t errors() const ABSL_LOCKS_EXCLUDED(mutex_);
  // True when the follower's last read and apply succeeded (false before the first).
  bool following() const ABSL_LOCKS_EXCLUDED(mutex_);

 private:
  void FollowLoop() ABSL_LOCKS_EXCLUDED(mutex_);
  // Applies `entries` in order; returns false (having applied a prefix) on an apply error.
  bool ApplyEntries(const std::vector<CatalogueStreamEntry>& entries) ABSL_LOCKS_EXCLUDED(mutex_);
  absl::Status SavePosition(const std::string& id) const;
  bool Applied(const std::pair<uint64_t, uint64_t>& id) const ABSL_SHARED_LOCKS_REQUIRED(mutex_);

  CatalogueUpdater& updater_;
  EventLog* const log_;
  const CatalogueReplicatorOptions options_;
  Mutex writer_mutex_;
  const std::unique_ptr<CatalogueStream> writer_ ABSL_PT_GUARDED_BY(writer_mutex_);
  const std::unique_ptr<CatalogueStream> reader_;  // Only the follower thread uses it.

  mutable Mutex mutex_;
  CondVar changed_;  // Signalled when applied_ advances or stopping_ is set.
  std::string applied_id_ ABSL_GUARDED_BY(mutex_) = "0-0";
  std::pair<uint64_t, uint64_t> applied_ ABSL_GUARDED_BY(mutex_) = {0, 0};
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  int64_t entries_applied_ ABSL_GUARDED_BY(mutex_) = 0;
  int64_t errors_ ABSL_GUARDED_BY(mutex_) = 0;
  bool following_ ABSL_GUARDED_BY(mutex_) = false;
  std::thread follower_;
};

}  // namespace hrnn

#endif  // HRNN_SERVER_CATALOGUE_REPLICATOR_H_
