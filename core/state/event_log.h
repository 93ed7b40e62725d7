// EventLog: the append-only, segmented log of accepted events (issue 7), replayed on start-up
// from the newest snapshot's position and read by training. Appends are buffered in memory and
// made durable by group commit (WaitDurable) under a configurable fsync policy; its files are
// specified in core/state/log_segment.h. Thread-safe: any method, from any thread, concurrently.
#ifndef HRNN_CORE_STATE_EVENT_LOG_H_
#define HRNN_CORE_STATE_EVENT_LOG_H_

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/base/mutex.h"
#include "core/state/event_record.h"
#include "core/state/internal/file_io.h"
#include "core/state/log_segment.h"

namespace hrnn {

// When WaitDurable returns, and what a crash can lose of what it acknowledged.
enum class FsyncPolicy {
  // Each group commit is written and fdatasync'ed before its waiters return: nothing
  // acknowledged is lost, even on power loss. Records appended with no waiter (served
  // recommendations) are written and synced by the background thread within
  // fsync_interval_ms.
  kEveryBatch,
  // Waiters return once their records are written (write(2)); a background thread fdatasyncs
  // every fsync_interval_ms. A process crash loses nothing acknowledged; an OS crash or power
  // loss loses up to the last interval.
  kInterval,
  // As kInterval, but the background thread only writes (no fdatasync): the kernel writes back
  // in its own time (typically within 30 s). Segments are still synced when sealed.
  kNone,
};

struct EventLogOptions {
  // The log directory; created (with parents) when absent. Required.
  std::string dir;
  // Default: kEveryBatch.
  FsyncPolicy fsync = FsyncPolicy::kEveryBatch;
  // Period of the background write (and, except under kNone, fdatasync) of what is appended
  // and not yet written; under kEveryBatch that is only what no caller waits for. Default: 100.
  int64_t fsync_interval_ms = 100;
  // A segment is sealed and a new one started once it reaches this size (checked after each
  // group commit, so a segment may exceed it by one batch). Default: 64 MiB.
  int64_t segment_bytes = int64_t{64} << 20;

  // OK when dir is set, fsync_interval_ms is in 1..3600000 and segment_bytes in 1..2^40;
  // else InvalidArgument naming the field.
  absl::Status Validate() const;
};

// What Open found and repaired.
struct RecoveryReport {
  int segments = 0;               // Segment files in use after recovery.
  uint64_t records = 0;           // Valid records found.
  uint64_t first_seq = 0;         // Seq of the oldest record held (== next_seq when none).
  uint64_t next_seq = 0;          // Seq the next Append gets.
  bool created = false;           // There was no segment; a first one was created.
  bool header_rewritten = false;  // The newest segment's header was torn (crash while
                                  // creating it) and was written again.
  bool tail_cut = false;          // A torn or corrupt tail of the newest segment was cut:
  std::string cut_file;           //   the file,
  int64_t cut_offset = 0;         //   its new size (the offset of the first bad byte),
  int64_t cut_bytes = 0;          //   how many bytes were cut,
  std::string cut_reason;         //   and what was wrong at cut_offset.

  // One line for the server's log.
  std::string ToString() const;
};

class EventLog {
 public:
  // Opens (or creates) the log in options.dir and recovers it: every record of every segment is
  // checked (frame, CRC, decoding, consecutive seq). A torn or corrupt tail of the newest
  // segment is cut (ftruncate + fsync) and described in `report` (may be null). Errors:
  // InvalidArgument for bad options; DataLoss naming the file and offset for corruption in a
  // sealed segment, a bad segment header, or a gap in seq between segments; I/O errors.
  static absl::StatusOr<std::unique_ptr<EventLog>> Open(const EventLogOptions& options,
                                                        RecoveryReport* report);

  // Flushes and syncs what is buffered (errors are lost: call Flush() first to see them), then
  // stops the background thread. REQUIRES: no other call is in progress.
  ~EventLog();

  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;

  // Assigns the next seq to `record` (sets record->seq), encodes it into the in-memory buffer
  // and returns the seq. Does no I/O and holds the buffer lock only to copy the record, so it
  // may be called while holding other locks. Returns 0, appending nothing, when the log has
  // failed (status() says why) or when ValidateEventRecord(*record) fails.
  uint64_t Append(EventRecord* record);

  // Returns once every record with seq <= `seq` is written to its file and, under kEveryBatch,
  // fdatasync'ed (group commit: concurrent callers share one write and one sync). OK at once
  // for seq 0 or a seq already done. Errors: InvalidArgument when `seq` has not been appended;
  // the log's sticky I/O error, to every caller whose seq was not done before the failure.
  absl::Status WaitDurable(uint64_t seq);

  // Writes and fdatasyncs everything appended so far, whatever the policy. Errors as WaitDurable.
  absl::Status Flush();

  // Calls `visit` on each record with seq >= from_seq, in seq order, until it returns false.
  // Only records written before the call started are visited (unwritten buffered records are
  // not); appends may continue meanwhile. Records in retired segments are skipped silently: see
  // first_seq(). `visit` runs with no lock held. Errors: DataLoss (file, offset) when a file does
  // not hold what the log wrote; I/O errors.
  absl::Status Read(uint64_t from_seq, absl::FunctionRef<bool(const EventRecord&)> visit) const;

  // Deletes sealed segments, oldest first, while the oldest one's last seq < covered_seq (a
  // snapshot reflects it) and its newest event timestamp < min_keep_timestamp_ms (it is out of
  // the retention window for retraining). The newest segment is never deleted. Returns how
  // many were deleted, or an I/O error (those deleted before it stay deleted).
  absl::StatusOr<int> RetireSegments(uint64_t covered_seq, int64_t min_keep_timestamp_ms);

  // The seq the next Append will get.
  uint64_t next_seq() const;
  // Every record with seq <= durable_seq() is acknowledged under the policy: written and, under
  // kEveryBatch, synced.
  uint64_t durable_seq() const;
  // Every record with seq <= synced_seq() is written and fdatasync'ed.
  uint64_t synced_seq() const;
  // Seq of the oldest record the log holds (older ones were retired); next_seq() when empty.
  uint64_t first_seq() const;
  // OK, or the sticky I/O error after which the log refuses appends.
  absl::Status status() const;

 private:
  using Segment = LogSegment;

  EventLog(EventLogOptions options, std::vector<Segment> segments, internal::OwnedFd fd,
           int64_t segment_size);

  // Makes every record with seq <= `seq` written and, when `sync`, fdatasync'ed, leading a group
  // commit or following one.
  absl::Status Commit(uint64_t seq, bool sync) ABSL_LOCKS_EXCLUDED(mu_);
  // The leader's I/O for one batch: writes `batch` (records up to `last_seq`), syncs when
  // `sync` or when sealing, and rolls to a new segment when the current one is full. Sets
  // `*written` / `*synced` to what was achieved even on error. REQUIRES: flushing_ owned.
  absl::Status WriteBatch(const std::string& batch, uint64_t last_seq, int64_t max_timestamp_ms,
                          bool sync, bool* written, bool* synced)
      ABSL_LOCKS_EXCLUDED(mu_, segments_mu_);
  void IntervalLoop() ABSL_LOCKS_EXCLUDED(mu_);

  const EventLogOptions options_;

  mutable Mutex mu_;
  std::condition_variable_any commit_done_;  // Signalled (with mu_) when a leader finishes.
  std::condition_variable_any stop_changed_;
  std::string buffer_ ABSL_GUARDED_BY(mu_);  // Framed records not yet handed to a leader.
  std::string spare_ ABSL_GUARDED_BY(mu_);   // An empty buffer kept for its capacity.
  int64_t buffer_max_timestamp_ms_ ABSL_GUARDED_BY(mu_) = INT64_MIN;
  uint64_t next_seq_ ABSL_GUARDED_BY(mu_);
  uint64_t written_seq_ ABSL_GUARDED_BY(mu_);
  uint64_t synced_seq_ ABSL_GUARDED_BY(mu_);
  bool flushing_ ABSL_GUARDED_BY(mu_) = false;  // A leader is doing I/O.
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status error_ ABSL_GUARDED_BY(mu_);

  mutable Mutex segments_mu_;                                    // Never held while acquiring mu_.
  std::vector<Segment> segments_ ABSL_GUARDED_BY(segments_mu_);  // Oldest first; never empty.

  // Owned by the leader (the thread that set flushing_), or by Open and the destructor.
  internal::OwnedFd fd_;  // The newest segment, open for appending.
  int64_t segment_size_;  // Its size in bytes.

  std::thread interval_thread_;  // Runs IntervalLoop, under every policy.
};

}  // namespace hrnn

#endif  // HRNN_CORE_STATE_EVENT_LOG_H_
