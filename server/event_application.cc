#include "server/event_application.h"

#include <cassert>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

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

EventResult ApplyEventToState(const ServingModel& model, bool advances, bool purchase, int64_t item,
                              int64_t timestamp_ms, absl::string_view session_id,
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
    result = out_of_order                                   ? EventResult::kOutOfOrder
             : *outcome == EventOutcome::kAppliedNewSession ? EventResult::kNewSession
                                                            : EventResult::kApplied;
  }
  if (purchase) {  // An event that is both a click and a purchase is one interaction.
    recommender.RecordPurchase(state, item, timestamp_ms, /*applied_as_click=*/advances);
  }
  return result;
}

void RecordLiveRecipeEvent(const ServingModel& model, absl::string_view user_id, EventResult result,
                           absl::Span<const int32_t> session_clicks, int64_t item,
                           int64_t timestamp_ms) {
  if (model.recipes == nullptr) return;
  const absl::Status status =
      model.recipes->trending()->Record(static_cast<int32_t>(item), timestamp_ms / 1000);
  assert(status.ok());  // The item is the model's; the weight is 1.
  (void)status;
  LiveSessions* live = model.recipes->live_sessions();
  const bool click = result == EventResult::kApplied || result == EventResult::kNewSession ||
                     result == EventResult::kOutOfOrder;
  if (live == nullptr || !click) return;
  live->RecordClick(user_id, result == EventResult::kNewSession, session_clicks, timestamp_ms);
}

void ForgetLiveRecipeUser(const ServingModel& model, absl::string_view user_id) {
  if (model.recipes != nullptr && model.recipes->live_sessions() != nullptr) {
    model.recipes->live_sessions()->Forget(user_id);
  }
}

std::optional<LoggedEvent> ResolveLoggedEvent(const ServingModel& model, const ServerConfig& config,
                                              const EventRecord& record) {
  const std::optional<int64_t> item = model.items().Find(record.item_id);
  if (!item.has_value()) return std::nullopt;
  LoggedEvent event;
  event.item = *item;
  event.advances = config.AdvancesSession(record.event_type);
  event.purchase = config.IsPurchase(record.event_type);
  if (!event.advances && !event.purchase) return std::nullopt;
  return event;
}

int64_t LiveRecipesFromMs(const ServingModel& model) {
  return model.recipes == nullptr ? INT64_MAX : model.recipes->training_end_seconds() * 1000;
}

bool ReplayLoggedEvent(const ServingModel& model, const LoggedEvent& event,
                       const EventRecord& record, bool feed_live_recipes, UserState& state) {
  if (state.last_log_seq >= record.seq) return false;
  const EventResult result = ApplyEventToState(model, event.advances, event.purchase, event.item,
                                               record.timestamp_ms, record.session_id, state);
  if (result == EventResult::kDuplicate) return false;
  state.last_log_seq = record.seq;
  if (!feed_live_recipes) return true;
  thread_local std::vector<int32_t> clicks;
  state.session_clicks.CopyTo(&clicks);
  RecordLiveRecipeEvent(model, record.user_id, result, clicks, event.item, record.timestamp_ms);
  return true;
}

}  // namespace hrnn
