// ExportEventLog: writes the events of an event log as a Personalize-style interactions CSV
// (USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE,SESSION_ID; TIMESTAMP in seconds), the input
// of hrnn-train, so that production events close the training loop. DeleteUser tombstones are
// honoured: a forgotten user's events from before the tombstone are never exported.
// ExportItemAvailability writes the catalogue's availability (PutItems) as an items CSV, and
// ExportServedRecommendations the served recommendations (issue 16) as a CSV.
// Stateless; reads the log without changing it (safe while a server appends to it).
#ifndef HRNN_CORE_STATE_EVENT_LOG_EXPORT_H_
#define HRNN_CORE_STATE_EVENT_LOG_EXPORT_H_

#include <cstdint>
#include <ostream>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/state/event_log.h"

namespace hrnn {

struct ExportStats {
  int64_t events_written = 0;
  int64_t events_with_recommendation_id = 0;  // Of them: sent back with a recommendation's id.
  int64_t events_forgotten = 0;               // Dropped because of a later DeleteUser.
  int64_t tombstones = 0;
};

// Writes the header and every exportable event of `log` with timestamp_ms >= since_ms to `out`.
// Errors: the log's read errors; an I/O error on `out`.
absl::StatusOr<ExportStats> ExportEventLog(const EventLog& log, int64_t since_ms,
                                           std::ostream& out);

struct ItemExportStats {
  int64_t items_written = 0;
  int64_t unavailable = 0;  // Of them, out of stock.
};

// Writes "ITEM_ID,AVAILABLE" and one row per item whose availability the server knows, sorted by
// item id, AVAILABLE "true" or "false": `snapshot_unavailable` (the newest snapshot's
// out-of-stock items, state_snapshot.h item 8b; empty without a snapshot) with the log's
// availability changes applied over it in log order — what a restarted server would hold.
// Items never marked are available and not listed. Errors: the log's read errors; an I/O error
// on `out`.
absl::StatusOr<ItemExportStats> ExportItemAvailability(
    const EventLog& log, absl::Span<const std::string> snapshot_unavailable, std::ostream& out);

struct RecommendationExportStats {
  int64_t recommendations_written = 0;
  int64_t recommendations_forgotten = 0;  // Dropped because of a later DeleteUser of the user.
};

// Writes "RECOMMENDATION_ID,TIMESTAMP,USER_ID,SESSION_ID,ASKED_ITEM_ID,RECIPE,MODEL_VERSION,
// EXPERIMENT,ARM,ITEM_IDS" and one row per served recommendation (event_record.h kind 4) of `log`
// with timestamp_ms >= since_ms, in log order: TIMESTAMP in ms since the epoch, ASKED_ITEM_ID the
// item GetSimilarItems was asked about (empty for GetRecommendations), ITEM_IDS the served items
// best first, joined by '|'. Recommendations of a user forgotten later (DeleteUser) are not
// written. Errors: the log's read errors; an I/O error on `out`.
absl::StatusOr<RecommendationExportStats> ExportServedRecommendations(const EventLog& log,
                                                                      int64_t since_ms,
                                                                      std::ostream& out);

}  // namespace hrnn

#endif  // HRNN_CORE_STATE_EVENT_LOG_EXPORT_H_
