// Recommender: the serving logic of DESIGN §6 over one HrnnNetwork, as plain functions of a
// UserState — apply a click (closing the previous session when it ended), the query vector for
// a user at a given time, and the scores of a candidate list. The recommendation pipeline
// (recommendation_pipeline.h) builds requests from these.
// Immutable; safe for concurrent use as long as each UserState is used by one thread at a time.
#ifndef HRNN_CORE_SERVING_RECOMMENDER_H_
#define HRNN_CORE_SERVING_RECOMMENDER_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/kernels/top_k.h"
#include "core/model/hrnn_network.h"
#include "core/state/user_state.h"

namespace hrnn {

struct SessionPolicy {
  // A gap longer than this between two events of a user ends the session, whatever the session
  // ids say. Default: 30 minutes.
  int64_t timeout_ms = 30 * 60 * 1000;
  // Sessions finished on the server that a version with the sknn index keeps for sknn and
  // GetSimilarItems (LiveSessionsOptions::capacity; 0 = none). Default: 100,000.
  int32_t live_sessions = 100'000;

  // OK when timeout_ms is positive and live_sessions is not negative.
  absl::Status Validate() const;
};

// One click, already mapped to the model's item index.
struct ItemEvent {
  int64_t item = 0;          // In [0, num_items).
  int64_t timestamp_ms = 0;  // Milliseconds since the epoch.
  // The storefront's session id, or "" to cut sessions by the inactivity timeout alone. A
  // non-empty id different from the open session's id starts a new session.
  absl::string_view session_id;
};

// DESIGN §6's session rule: whether `event` starts a new session after the user's open one
// (`in_session`; its explicit id `open_session_id`, "" if cut by time, and its latest event at
// `last_event_ms`): there is none, the event names another explicit id, or it comes more than
// policy.timeout_ms after the latest. Recommender::ApplyEvent and the server's log warm-up of
// the recipes' live state (server/state_recovery.h) both decide by it.
bool StartsNewSession(const SessionPolicy& policy, bool in_session, int64_t last_event_ms,
                      absl::string_view open_session_id, const ItemEvent& event);

enum class EventOutcome {
  kApplied,            // Stepped the open session.
  kAppliedNewSession,  // Closed the previous session (if any), started a new one, stepped it.
  kDuplicate,          // Same item, time and session as the latest event: ignored.
};

class Recommender {
 public:
  // REQUIRES: network != nullptr and policy.Validate().ok().
  Recommender(std::shared_ptr<const HrnnNetwork> network, SessionPolicy policy);

  const HrnnNetwork& network() const { return *network_; }
  const SessionPolicy& policy() const { return policy_; }

  // The state of a user with no history: c = 0, no open session.
  UserState NewUserState() const;

  // Applies one click. If a session is open and it has ended (a different explicit session id,
  // or a gap > timeout), it is first folded into c (user GRU); a new session starts
  // from s0 = init(c) with session_clicks cleared; then the session GRU steps on the item, which
  // is pushed into session_clicks and recorded in history at floor(timestamp_ms / 1000) seconds.
  // A duplicate (kDuplicate: the open session's latest event again) changes nothing.
  // An event older than the latest one is applied in arrival order to the open session (it
  // cannot end a session, and last_event_ms does not move back).
  // Errors: InvalidArgument naming "item" when out of range; FailedPrecondition when `state` does
  // not have this network's shape (a state from another model).
  absl::StatusOr<EventOutcome> ApplyEvent(UserState& state, const ItemEvent& event) const;

  // True when a session is open and `now_ms` is more than the timeout after its latest event.
  bool SessionExpired(const UserState& state, int64_t now_ms) const;
  // Folds the open session into c and closes it. No-op when no session is open.
  void EndSession(UserState& state) const;
  // Remembers a purchase of `item` at `timestamp_ms` (does not step the GRU): in
  // purchased_items (the exclude-purchased filter) and, as one more interaction, in history —
  // unless `applied_as_click`: the same event was also applied by ApplyEvent, which has recorded
  // it in history already (one event is one interaction).
  // REQUIRES: 0 <= item < num_items.
  void RecordPurchase(UserState& state, int64_t item, int64_t timestamp_ms,
                      bool applied_as_click = false) const;

  // True when the open session is still live at `now_ms` for a caller in session `session_id`
  // ("" = whatever session is open): a session is open, not expired, and has that id.
  bool SessionLive(const UserState& state, int64_t now_ms, absl::string_view session_id = {}) const;

  // The session vector to score from at `now_ms`: the open session's s while it is live (see
  // SessionLive), else the session-start prediction init(c) — with the open session folded
  // into c first. `out` has hidden_size() floats. REQUIRES: the state has this network's shape.
  void QueryState(const UserState& state, int64_t now_ms, absl::string_view session_id,
                  float* out) const;
  void QueryState(const UserState& state, int64_t now_ms, float* out) const {
    QueryState(state, now_ms, {}, out);
  }

  // Scores `items` for the user and returns them best first (score descending; equal scores
  // keep their input order; NaN last). Errors: InvalidArgument naming "items" when an index is
  // out of range.
  absl::StatusOr<std::vector<ScoredItem>> Rank(const UserState& state, int64_t now_ms,
                                               absl::Span<const int64_t> items,
                                               absl::string_view session_id = {}) const;

  // OK when `state` has this network's shape.
  absl::Status CheckShape(const UserState& state) const;

 private:
  std::shared_ptr<const HrnnNetwork> network_;
  SessionPolicy policy_;
};

}  // namespace hrnn

#endif  // HRNN_CORE_SERVING_RECOMMENDER_H_
