#include "core/eval/user_replay.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace hrnn {

UserReplay::UserReplay(const ServingModel& model, const std::vector<int32_t>& to_model)
    : model_(model), to_model_(to_model), state_(model.NewUserState()) {}

void UserReplay::BeginUser(const Dataset& history, const UserSpan* history_user) {
  state_ = model_.NewUserState();
  known_ = false;
  sessions_ = 0;
  applied_ = 0;
  last_time_ = 0;
  if (history_user == nullptr) return;
  for (int64_t s = history_user->session_begin; s < history_user->session_end; ++s) {
    const SessionSpan& span = history.sessions[s];
    EndSession(
        absl::MakeConstSpan(&history.items[span.begin], static_cast<size_t>(span.length())),
        absl::MakeConstSpan(&history.timestamps[span.begin], static_cast<size_t>(span.length())));
  }
}

void UserReplay::ApplyPrefix(absl::Span<const int32_t> prefix, absl::Span<const int64_t> times) {
  if (applied_ == 0 && !prefix.empty()) session_id_ = absl::StrCat("s", sessions_++);
  for (; applied_ < prefix.size(); ++applied_) {
    Apply(prefix[applied_], applied_ < times.size() ? times[applied_] : last_time_);
  }
}

void UserReplay::EndSession(absl::Span<const int32_t> session, absl::Span<const int64_t> times) {
  ApplyPrefix(session, times);
  applied_ = 0;
}

void UserReplay::Apply(int32_t item, int64_t time_seconds) {
  last_time_ = std::max(last_time_, time_seconds);
  const int32_t model_item = ToModel(item);
  if (model_item < 0) return;
  if (model_.recommender
          ->ApplyEvent(state_, ItemEvent{model_item, time_seconds * 1000, session_id_})
          .ok()) {
    known_ = true;
  }
}

}  // namespace hrnn
