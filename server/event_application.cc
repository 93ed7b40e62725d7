#include "server/event_application.h"

#include <cassert>
#include <optional>
#include <utility>

namespace hrnn {

StateForUpdate ReadStateForUpdate(UserStateStore& store, const ServingModel& model,
                                  absl::string_view user_id, int64_t now_ms) {
  StateForUpdate update;
  std::optional<UserStateStore::Versioned> held = store.Get(user_id, now_ms);
  if (held.has_value()) {
    update.version = held->version;
    if (model.Owns(held->state)) {
      update.state = std::move(held->state);
      return update;
    }
  }
  update.state = model.NewUserState();
  return update;
}

EventResult ApplyEventToState(const ServingModel& model, bool advances, bool purchase,
                              int64_t item, int64_t timestamp_ms, absl::string_view session_id,
                              UserState& state) {
  assert(model.Owns(state) && (advances || purchase));
  const Recommender& recommender = *model.recommender;
  EventResult result = EventResult::kPurchase;
  if (advances) {
    const bool out_of_order = state.last_event_ms > timestamp_ms;
    absl::StatusOr<EventOutcome> outcome =
        recommender.ApplyEvent(state, {item, timestamp_ms, session_id});
    assert(outcome.ok());  // The item and the shape are checked by the caller.
    if (!outcome.ok() || *outcome == EventOutcome::kDuplicate) return EventResult::kDuplicate;
    result = out_of_order                                  ? EventResult::kOutOfOrder
             : *outcome == EventOutcome::kAppliedNewSession ? EventResult::kNewSession
                                                            : EventResult::kApplied;
  }
  if (purchase) recommender.RecordPurchase(state, item);
  return result;
}

}  // namespace hrnn
