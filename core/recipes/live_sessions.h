// LiveSessions: the sessions that finish on the server, for the sknn recipe and GetSimilarItems'
// co-occurrence (DESIGN §2b: "finished live sessions appended (bounded)"), so that new
// co-occurrences count without retraining. SessionKnnIndex::Score reads them together with the
// training index (session_knn.h: one V-SKNN).
//
// Two parts:
// - the open session of each user who clicked recently: the clicks as the user's state holds
//   them (UserState::session_clicks: its latest 16) and the time of the last one;
// - a ring of the latest `capacity` finished sessions (each its distinct items), with item ->
//   ring postings kept incrementally: a session that falls out of the ring leaves its items'
//   postings as it goes, so nothing is ever scanned.
// An open session finishes when its user starts another (RecordClick with new_session), or when
// no click has come for timeout_ms (FinishIdle, which the server calls every second). Sessions
// of fewer than 2 clicks are dropped: they hold no co-occurrence. Nothing here is persisted: a
// restarted server rebuilds it from its event log (server/state_recovery.h: the logged clicks
// newer than the model's training data, those before the snapshot's position included).
//
// Thread-safe: the open sessions are sharded (a Mutex per shard); the ring has one Mutex, held
// by a writer for one session's postings and by SessionKnnIndex::Score while it reads its
// candidates (at most sample_size sessions).
#ifndef HRNN_CORE_RECIPES_LIVE_SESSIONS_H_
#define HRNN_CORE_RECIPES_LIVE_SESSIONS_H_

#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/base/mutex.h"

namespace hrnn {

struct LiveSessionsOptions {
  // Finished sessions kept (the latest); 0 turns live sessions off. Default: 100,000.
  int32_t capacity = 100'000;
  // A session with no click for this long is finished. Default: 30 minutes (the server passes
  // its --session_timeout).
  int64_t timeout_ms = 30 * 60 * 1000;
  // Open sessions kept; over it, the least recently clicked one finishes early. Default: 1M.
  int32_t max_open = 1'000'000;

  // InvalidArgument naming the field unless capacity >= 0, timeout_ms > 0 and max_open >= 1.
  absl::Status Validate() const;
};

struct LiveSessionsStats {
  int64_t open = 0;      // Open sessions tracked now.
  int64_t finished = 0;  // Finished sessions in the ring now (<= capacity).
  int64_t added = 0;     // Sessions ever added to the ring (cumulative).
  int64_t bytes = 0;     // Memory held by the ring and its postings (open sessions excluded).
};

class LiveSessions {
 public:
  // Over items 0..num_items-1. Errors: InvalidArgument for invalid options or num_items < 0.
  static absl::StatusOr<std::unique_ptr<LiveSessions>> Create(int32_t num_items,
                                                              const LiveSessionsOptions& options);

  // The user's open session is now `clicks` (in click order, as the user's state holds them)
  // with its last click at `time_ms`. With `new_session`, the user's previously open session
  // finished before this click and joins the ring first. Items outside [0, num_items) are
  // ignored. A no-op when capacity is 0.
  void RecordClick(absl::string_view user_id, bool new_session, absl::Span<const int32_t> clicks,
                   int64_t time_ms);
  // Finishes every open session whose last click is at or before now_ms - timeout_ms. Returns
  // how many joined the ring.
  int64_t FinishIdle(int64_t now_ms);
  // Drops the user's open session without adding it (DeleteUser).
  void Forget(absl::string_view user_id);

  LiveSessionsStats stats() const;
  int32_t num_items() const { return num_items_; }
  const LiveSessionsOptions& options() const { return options_; }

 private:
  friend class SessionKnnIndex;

  struct OpenSession {
    std::string user_id;
    std::vector<int32_t> clicks;
    int64_t last_ms = 0;
  };
  // Open sessions, most recently clicked first; `index` points into `lru`.
  struct Shard {
    Mutex mutex;
    std::list<OpenSession> lru ABSL_GUARDED_BY(mutex);
    absl::flat_hash_map<std::string, std::list<OpenSession>::iterator> index ABSL_GUARDED_BY(mutex);
  };
  // The ring postings of one item: sequence numbers of the ring sessions holding it, ascending
  // (most recent last), from `head` on.
  struct Postings {
    std::vector<uint64_t> seqs;
    size_t head = 0;
  };

  LiveSessions(int32_t num_items, const LiveSessionsOptions& options);

  Shard& ShardOf(absl::string_view user_id);
  // Adds one finished session to the ring (dropping the oldest when full); false when it has
  // fewer than 2 clicks or no item in the catalogue (nothing added).
  bool AddFinished(absl::Span<const int32_t> clicks) ABSL_LOCKS_EXCLUDED(ring_mutex_);

  // For SessionKnnIndex::Score, under ring_mutex_: the `limit` most recent ring sessions
  // holding any of `items`, as their ages (0 = the latest added), ascending, appended to
  // *ages (a merge of the items' postings: O(limit log items)); and the distinct sorted items
  // of the session of age `age`. `heap` is the caller's scratch.
  void MostRecent(absl::Span<const int32_t> items, size_t limit, std::vector<int64_t>* ages,
                  std::vector<std::pair<int64_t, size_t>>* heap) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(ring_mutex_);
  absl::Span<const int32_t> ItemsOfAge(int64_t age) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(ring_mutex_);

  const int32_t num_items_;
  const LiveSessionsOptions options_;
  std::vector<std::unique_ptr<Shard>> shards_;

  mutable Mutex ring_mutex_;
  // Slot s holds the session of sequence number seq with seq % capacity == s.
  std::vector<std::vector<int32_t>> ring_ ABSL_GUARDED_BY(ring_mutex_);
  uint64_t next_seq_ ABSL_GUARDED_BY(ring_mutex_) = 0;  // Sessions ever added.
  absl::flat_hash_map<int32_t, Postings> postings_ ABSL_GUARDED_BY(ring_mutex_);
  int64_t ring_items_ ABSL_GUARDED_BY(ring_mutex_) = 0;  // Items held over all slots.
};

}  // namespace hrnn

#endif  // HRNN_CORE_RECIPES_LIVE_SESSIONS_H_
