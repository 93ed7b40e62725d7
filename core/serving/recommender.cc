#include "core/serving/recommender.h"

#include <algorithm>
#include <cassert>
#include <cmath>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"

namespace hrnn {
namespace {

// Whole seconds since the epoch at or before `ms`.
int64_t FloorSeconds(int64_t ms) { return ms / 1000 - (ms % 1000 < 0 ? 1 : 0); }

}  // namespace

absl::Status SessionPolicy::Validate() const {
  if (timeout_ms <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("session timeout must be positive, got ", timeout_ms, " ms"));
  }
  if (live_sessions < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("live sessions must be >= 0, got ", live_sessions));
  }
  return absl::OkStatus();
}

Recommender::Recommender(std::shared_ptr<const HrnnNetwork> network, SessionPolicy policy)
    : network_(std::move(network)), policy_(policy) {
  assert(network_ != nullptr);
  assert(policy_.Validate().ok());
}

UserState Recommender::NewUserState() const {
  UserState state;
  state.user.assign(network_->user_state_size(), 0.0f);
  state.session.assign(network_->hidden_size(), 0.0f);
  return state;
}

absl::Status Recommender::CheckShape(const UserState& state) const {
  if (state.user.size() != static_cast<size_t>(network_->user_state_size()) ||
      state.session.size() != static_cast<size_t>(network_->hidden_size())) {
    return absl::FailedPreconditionError(
        absl::StrCat("user state has shape (user ", state.user.size(), ", session ",
                     state.session.size(), ") but the model needs (user ",
                     network_->user_state_size(), ", session ", network_->hidden_size(), ")"));
  }
  return absl::OkStatus();
}

bool StartsNewSession(const SessionPolicy& policy, bool in_session, int64_t last_event_ms,
                      absl::string_view open_session_id, const ItemEvent& event) {
  const bool new_session_id = !event.session_id.empty() && event.session_id != open_session_id;
  const bool expired = in_session && event.timestamp_ms - last_event_ms > policy.timeout_ms;
  return !in_session || new_session_id || expired;
}

bool Recommender::SessionExpired(const UserState& state, int64_t now_ms) const {
  return state.in_session() && now_ms - state.last_event_ms > policy_.timeout_ms;
}

void Recommender::EndSession(UserState& state) const {
  if (!state.in_session()) return;
  if (!state.user.empty()) network_->UserUpdate(state.session.data(), state.user.data());
  state.session_length = 0;
  state.session_id.clear();
  state.session_clicks.Clear();
  ++state.sessions_folded;
}

absl::StatusOr<EventOutcome> Recommender::ApplyEvent(UserState& state,
                                                     const ItemEvent& event) const {
  if (event.item < 0 || event.item >= network_->num_items()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "item index ", event.item, " is outside the catalogue [0, ", network_->num_items(), ")"));
  }
  if (absl::Status shape = CheckShape(state); !shape.ok()) return shape;

  if (state.in_session() && event.item == state.last_item &&
      event.timestamp_ms == state.last_event_ms && event.session_id == state.session_id) {
    return EventOutcome::kDuplicate;
  }
  const bool session_ended =
      StartsNewSession(policy_, state.in_session(), state.last_event_ms, state.session_id, event);

  const float* user = state.user.empty() ? nullptr : state.user.data();
  if (session_ended) {
    EndSession(state);
    network_->InitSession(user, state.session.data());
    state.session_id = std::string(event.session_id);
    state.session_clicks.Clear();
  }
  network_->SessionStep(event.item, user, state.session.data());
  ++state.session_length;
  state.session_clicks.Push(static_cast<int32_t>(event.item));
  state.history.Record(static_cast<int32_t>(event.item), FloorSeconds(event.timestamp_ms));
  state.last_item = event.item;
  state.last_event_ms = std::max(state.last_event_ms, event.timestamp_ms);
  return session_ended ? EventOutcome::kAppliedNewSession : EventOutcome::kApplied;
}

void Recommender::RecordPurchase(UserState& state, int64_t item, int64_t timestamp_ms,
                                 bool applied_as_click) const {
  state.purchased_items.Push(static_cast<int32_t>(item));
  if (!applied_as_click) {
    state.history.Record(static_cast<int32_t>(item), FloorSeconds(timestamp_ms));
  }
}

bool Recommender::SessionLive(const UserState& state, int64_t now_ms,
                              absl::string_view session_id) const {
  return state.in_session() && !SessionExpired(state, now_ms) &&
         (session_id.empty() || session_id == state.session_id);
}

void Recommender::QueryState(const UserState& state, int64_t now_ms, absl::string_view session_id,
                             float* out) const {
  assert(CheckShape(state).ok());
  const int hidden = network_->hidden_size();
  if (SessionLive(state, now_ms, session_id)) {
    std::copy_n(state.session.data(), hidden, out);
    return;
  }
  if (state.user.empty()) {  // Session-only model: every session starts from zero.
    network_->InitSession(nullptr, out);
    return;
  }
  absl::InlinedVector<float, 1024> user(state.user.begin(), state.user.end());
  if (state.in_session()) network_->UserUpdate(state.session.data(), user.data());
  network_->InitSession(user.data(), out);
}

absl::StatusOr<std::vector<ScoredItem>> Recommender::Rank(const UserState& state, int64_t now_ms,
                                                          absl::Span<const int64_t> items,
                                                          absl::string_view session_id) const {
  for (size_t j = 0; j < items.size(); ++j) {
    if (items[j] < 0 || items[j] >= network_->num_items()) {
      return absl::InvalidArgumentError(absl::StrCat("items[", j, "] = ", items[j],
                                                     " is outside the catalogue [0, ",
                                                     network_->num_items(), ")"));
    }
  }
  absl::InlinedVector<float, 1024> query(network_->hidden_size());
  QueryState(state, now_ms, session_id, query.data());
  std::vector<float> scores(items.size());
  network_->ScoreItems(query.data(), items, scores.data());
  std::vector<ScoredItem> ranked(items.size());
  for (size_t j = 0; j < items.size(); ++j) {
    ranked[j] = {static_cast<int32_t>(items[j]), scores[j]};
  }
  // NaN sorts last; otherwise descending, and stable so equal scores keep their input order.
  std::stable_sort(ranked.begin(), ranked.end(), [](const ScoredItem& a, const ScoredItem& b) {
    if (std::isnan(a.score) || std::isnan(b.score)) {
      return !std::isnan(a.score) && std::isnan(b.score);
    }
    return a.score > b.score;
  });
  return ranked;
}

}  // namespace hrnn
