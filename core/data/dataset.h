// Dataset: a sessionised interaction log in memory, the input of training and evaluation.
// Clicks are stored once, grouped by user (in first-seen order of the user id) and, within a
// user, by session in time order; items are dense indices into a vocabulary sorted by descending
// training popularity (ties by first appearance), so index order is a popularity tie-break.
// A plain value type; safe for concurrent reads.
#ifndef HRNN_CORE_DATA_DATASET_H_
#define HRNN_CORE_DATA_DATASET_H_

#include <cstdint>
#include <string>
#include <vector>

namespace hrnn {

struct SessionSpan {
  int64_t begin = 0;  // First click, an index into Dataset::items.
  int64_t end = 0;    // One past the last click.
  int64_t length() const { return end - begin; }
};

struct UserSpan {
  std::string id;             // The user id of the log (for GRU4Rec TSV input: the session id).
  int64_t session_begin = 0;  // First session, an index into Dataset::sessions.
  int64_t session_end = 0;    // One past the last session.
  int64_t num_sessions() const { return session_end - session_begin; }
};

struct Dataset {
  // Vocabulary: item index i has id item_ids[i] and item_counts[i] clicks in this dataset.
  std::vector<std::string> item_ids;
  std::vector<int64_t> item_counts;

  std::vector<int32_t> items;       // Clicked item per event.
  std::vector<int64_t> timestamps;  // Event time per event, seconds since the epoch.
  std::vector<SessionSpan> sessions;
  std::vector<UserSpan> users;

  int64_t num_items() const { return static_cast<int64_t>(item_ids.size()); }
  int64_t num_events() const { return static_cast<int64_t>(items.size()); }
  int64_t num_sessions() const { return static_cast<int64_t>(sessions.size()); }
  int64_t num_users() const { return static_cast<int64_t>(users.size()); }
};

}  // namespace hrnn

#endif  // HRNN_CORE_DATA_DATASET_H_
