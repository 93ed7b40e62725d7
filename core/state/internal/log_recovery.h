// The recovery scan of an event log directory when EventLog::Open opens it: finds the segments,
// checks every record, cuts a torn tail and rewrites a torn header of the newest segment.
// Private to EventLog (core/state/event_log.h). Stateless and thread-safe, but nothing else may
// use the directory while it runs.
#ifndef HRNN_CORE_STATE_INTERNAL_LOG_RECOVERY_H_
#define HRNN_CORE_STATE_INTERNAL_LOG_RECOVERY_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/state/event_log.h"
#include "core/state/log_segment.h"

namespace hrnn::internal {

// Returns the segments of the log directory `dir`, oldest first (empty when there is none),
// after checking each one's header and records (core/state/log_segment.h) and repairing the
// newest: a torn header with no data after it is written again; a torn or corrupt tail is cut
// (ftruncate + fsync). Sets report->records, header_rewritten and the tail_cut fields; leaves the
// others alone. Errors: DataLoss naming the file and offset for corruption in a sealed segment, a
// bad segment header, or a gap in seq between segments; I/O errors. REQUIRES: `dir` exists.
absl::StatusOr<std::vector<LogSegment>> RecoverLogSegments(const std::string& dir,
                                                           RecoveryReport* report);

}  // namespace hrnn::internal

#endif  // HRNN_CORE_STATE_INTERNAL_LOG_RECOVERY_H_
