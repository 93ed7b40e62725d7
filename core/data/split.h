// Train/test splits of a prepared Dataset (DESIGN §2-3): the last session of each user (HRNN
// protocol) or a time split (GRU4Rec protocol). Both sides share the train vocabulary; the same
// functions carve a validation set out of a training set. Stateless functions; thread-safe.
#ifndef HRNN_CORE_DATA_SPLIT_H_
#define HRNN_CORE_DATA_SPLIT_H_

#include <cstdint>
#include <string>

#include "core/data/dataset.h"

namespace hrnn {

struct SplitStats {
  int64_t train_users = 0;
  int64_t train_sessions = 0;
  int64_t train_events = 0;
  int64_t test_users = 0;
  int64_t test_sessions = 0;
  int64_t test_events = 0;
  int64_t single_session_users = 0;      // SplitLastSession: users kept entirely in train.
  int64_t test_events_unknown_item = 0;  // Test events whose item is not in train (removed).
  int64_t test_sessions_too_short = 0;   // Test sessions then shorter than 2 (dropped) ...
  int64_t test_events_too_short = 0;     // ... and their remaining events.

  // One line per side plus the cleaning counts.
  std::string ToString() const;
};

// train.item_ids is the vocabulary of the train events (descending train count, ties by first
// appearance in train event order); test uses the same indices and ids, with item_counts
// counting test events. Users keep their ids and relative order on both sides; a side holds
// only users with at least one session there.
struct DatasetSplit {
  Dataset train;
  Dataset test;
  SplitStats stats;
};

// Each user's last session is test, earlier ones train; users with a single session go entirely
// to train. Test events with items unknown to train are removed, then test sessions shorter than
// 2 events are dropped. Never fails; an empty input gives empty sides.
DatasetSplit SplitLastSession(const Dataset& data);

// Sessions whose first event is strictly after `split_timestamp` (seconds, as in Dataset) are
// test, the others train; then the same cleaning as SplitLastSession. Never fails.
DatasetSplit SplitByTime(const Dataset& data, int64_t split_timestamp);

// The given-split protocol (separate train and test files, each prepared on its own): `train`
// is kept as it is; every session of `test` is mapped to train's vocabulary by item id, events
// with items unknown to train removed and sessions then shorter than 2 dropped, as in the other
// splits. single_session_users stays 0. Never fails.
DatasetSplit AlignGivenSplit(Dataset train, const Dataset& test);

}  // namespace hrnn

#endif  // HRNN_CORE_DATA_SPLIT_H_
