// UserReplay: a Dataset user's clicks turned into the server's UserState, event by event, with
// the serving code (Recommender::ApplyEvent): earlier sessions, then the current session's
// prefix. Explicit session ids ("s0", "s1", ...) cut sessions exactly where the Dataset does;
// times are the clicks' own. Used by hrnn-eval's recipe rows and hrnn-train's blend fit so that
// both see the states the server would hold. Not thread-safe (one per thread).
#ifndef HRNN_CORE_EVAL_USER_REPLAY_H_
#define HRNN_CORE_EVAL_USER_REPLAY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/types/span.h"
#include "core/data/dataset.h"
#include "core/serving/serving_model.h"
#include "core/state/user_state.h"

namespace hrnn {

class UserReplay {
 public:
  // `to_model` maps the Dataset's item indices to the model's (-1: unknown to the model, such
  // clicks change nothing); empty = the identity. Both must outlive this object.
  UserReplay(const ServingModel& model, const std::vector<int32_t>& to_model);

  // Starts a user: a new state, then every session of `history_user` (may be null) applied.
  void BeginUser(const Dataset& history, const UserSpan* history_user);
  // Applies the clicks of the current session's `prefix` not applied yet (prefix extends the
  // previous call's; a new session starts after EndSession). `times` are their seconds since the
  // epoch (same length as prefix, or shorter: missing times repeat the latest).
  void ApplyPrefix(absl::Span<const int32_t> prefix, absl::Span<const int64_t> times);
  // Applies the rest of the session and closes the prefix (the next ApplyPrefix starts a new
  // session id; the GRU folds the session when the next one starts, as on the server).
  void EndSession(absl::Span<const int32_t> session, absl::Span<const int64_t> times);

  const UserState& state() const { return state_; }
  // True once a click known to the model was applied (the server holds a state).
  bool known() const { return known_; }
  const std::string& session_id() const { return session_id_; }
  // The latest click time applied, in ms (the time the next request is asked at).
  int64_t now_ms() const { return last_time_ * 1000; }

 private:
  void Apply(int32_t item, int64_t time_seconds);
  int32_t ToModel(int32_t item) const { return to_model_.empty() ? item : to_model_[item]; }

  const ServingModel& model_;
  const std::vector<int32_t>& to_model_;
  UserState state_;
  bool known_ = false;
  int64_t sessions_ = 0;
  std::string session_id_;
  size_t applied_ = 0;  // Clicks of the current session applied; 0 = no session started.
  int64_t last_time_ = 0;
};

}  // namespace hrnn

#endif  // HRNN_CORE_EVAL_USER_REPLAY_H_
