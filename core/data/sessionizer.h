// Data preparation (DESIGN §2): turns a RawLog into a Dataset — event filters, a stable sort by
// (user, time), sessions cut at an inactivity gap or an explicit session id, and the item
// support, session length and sessions-per-user filters applied once each, in that order (as
// hgru4rec and Personalize do; DataOptions::filter_fixpoint repeats them until nothing changes).
// Stateless functions; thread-safe.
#ifndef HRNN_CORE_DATA_SESSIONIZER_H_
#define HRNN_CORE_DATA_SESSIONIZER_H_

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/data/dataset.h"
#include "core/data/interaction_reader.h"

namespace hrnn {

struct DataOptions {
  // A new session starts when the time since the user's previous event is strictly greater
  // than this. 0 disables gap cutting (sessions then come from user or session ids only).
  // Default: 1800 (30 minutes).
  int64_t session_gap_seconds = 1800;
  // When the log has session ids (a SESSION_ID column, or GRU4Rec input), a change of session id
  // also starts a new session (a row without an id counts as one more id value); gaps still
  // cut. Default: true.
  bool use_session_ids = true;
  // Keep only rows whose EVENT_TYPE is one of these (exact match); rows without a type are then
  // dropped. Default: empty (all rows).
  std::vector<std::string> event_types;
  // Keep only rows with EVENT_VALUE >= this; rows without a value are then dropped.
  // Default: NaN (disabled).
  double min_event_value = std::numeric_limits<double>::quiet_NaN();
  // Items with fewer events are removed. Default: 5.
  int64_t min_item_support = 5;
  // Sessions with fewer events are removed. Default: 2.
  int64_t min_session_length = 2;
  // Longer sessions keep only their LAST max_session_length events (applied right after
  // sessionisation, before the filters). Default: 0 (unlimited).
  int64_t max_session_length = 0;
  // Users with fewer sessions are removed. Default: 1.
  int64_t min_sessions_per_user = 1;
  // false: the filters (item support, then session length, then sessions per user) run once
  // each, so a kept item may end with fewer than min_item_support events once short sessions
  // and users are gone (on a sparse log the fixpoint can remove most of the catalogue).
  // true: the three are repeated until a round removes nothing (at most max_filter_rounds
  // rounds), the behaviour before issue 13. Default: false.
  bool filter_fixpoint = false;
  // Bound on the rounds when filter_fixpoint is true (ignored otherwise); PrepareStats says
  // whether the fixpoint was reached. Default: 100.
  int64_t max_filter_rounds = 100;

  // Errors: InvalidArgument naming the field (negative values, a finite but absurd gap,
  // min_session_length < 1, max_session_length in 1..min_session_length-1, an empty event
  // type, infinite min_event_value, max_filter_rounds < 1).
  absl::Status Validate() const;
};

struct PrepareStats {
  int64_t rows_read = 0;                  // Rows in the RawLog.
  int64_t malformed_rows = 0;             // From the reader (already skipped).
  int64_t dropped_event_type = 0;         // Rows dropped by the event-type allow-list.
  int64_t dropped_event_value = 0;        // Rows dropped by the value threshold.
  int64_t items_before_filters = 0;       // Distinct items after the type/value filters ...
  int64_t events_before_filters = 0;      // ... and their events (the catalogue's denominator).
  int64_t sessions_built = 0;             // Sessions after cutting, before filters.
  int64_t sessions_truncated = 0;         // Sessions cut to max_session_length ...
  int64_t events_dropped_truncation = 0;  // ... and the events that removed.
  int64_t events_dropped_item_support = 0;
  int64_t items_dropped_support = 0;
  int64_t sessions_dropped_length = 0;
  int64_t events_dropped_session_length = 0;
  int64_t users_dropped_sessions = 0;  // Users with < min_sessions_per_user sessions ...
  int64_t sessions_dropped_user = 0;   // ... their sessions ...
  int64_t events_dropped_user = 0;     // ... and events.
  bool filter_fixpoint = false;        // DataOptions::filter_fixpoint of the run.
  int64_t filter_rounds = 0;           // Filter rounds run: 1 unless filter_fixpoint.
  // Whether another round would remove nothing (checked after the last round, in both modes).
  bool fixpoint_reached = true;
  int64_t users = 0;  // Kept.
  int64_t sessions = 0;
  int64_t items = 0;
  int64_t events = 0;
  // Consecutive events of a kept session with the same timestamp (ms); their order is file
  // order (DESIGN §3).
  int64_t timestamp_ties = 0;

  // A multi-line human-readable report; it says whether the filters ran once or to a fixpoint
  // (and in how many rounds), and states the share of the catalogue (items) and of the events
  // that survived the truncation and the filters.
  std::string ToString() const;
};

struct PreparedData {
  Dataset dataset;
  PrepareStats stats;
};

// Prepares `log` (consumed) into a Dataset: (1) event-type and value filters; (2) stable sort by
// (user, timestamp), equal timestamps keep input order; (3) sessions cut at user changes,
// session-id changes (see use_session_ids) and gaps; (4) truncation to max_session_length;
// (5) item support, session length and sessions-per-user filters, in that order, once each
// (repeated until nothing changes, at most max_filter_rounds rounds, with filter_fixpoint);
// (6) the vocabulary indexed by descending click
// count, ties by first appearance in the Dataset's event order. Dataset timestamps are whole
// seconds (floor of the log's milliseconds). Errors: InvalidArgument from options.Validate().
// An empty result is not an error (stats say what removed everything).
absl::StatusOr<PreparedData> PrepareDataset(RawLog log, const DataOptions& options);

// Re-indexes `dataset`'s vocabulary in place: items without events are removed, the rest are
// ordered by descending count (ties by first appearance in event order) and item_counts
// recomputed. Used by PrepareDataset and the splits.
void ReindexVocabularyByPopularity(Dataset* dataset);

// SHA-256 (lower-case hex) of the dataset's content: item ids in index order, the item of every
// event, timestamps, session spans and user ids with their session spans. Equal datasets give
// equal fingerprints on every platform.
std::string DatasetFingerprint(const Dataset& dataset);

}  // namespace hrnn

#endif  // HRNN_CORE_DATA_SESSIONIZER_H_
