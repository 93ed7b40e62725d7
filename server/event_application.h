// ApplyEventToState: how one accepted event changes a user's state (DESIGN §6), shared by the
// live path (RequestHandlers), recovery at start-up and the background rebuild after a model
// swap (both replaying the event log: ResolveLoggedEvent + ReplayLoggedEvent), so that all three
// compute exactly the same states. Stateless; thread-safe.
#ifndef HRNN_SERVER_EVENT_APPLICATION_H_
#define HRNN_SERVER_EVENT_APPLICATION_H_

#include <cstdint>
#include <optional>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/serving/serving_model.h"
#include "core/state/event_record.h"
#include "core/state/user_state_store.h"
#include "server/server_config.h"
#include "server/server_metrics.h"

namespace hrnn {

// The user's state to apply an event to, and the store version to commit it against
// (UserStateStore::CompareAndSet): the held state when `model` owns it, else a new user's
// state (a state of another model version is never stepped: the user starts afresh).
struct StateForUpdate {
  UserState state;
  uint64_t version = 0;  // 0: the user is not held.
};
StateForUpdate ReadStateForUpdate(UserStateStore& store, const ServingModel& model,
                                  absl::string_view user_id, int64_t now_ms);

// Applies a click (when `advances`) and/or a purchase record (when `purchase`) of `item` at
// `timestamp_ms` to `state`. Returns kApplied, kNewSession, kOutOfOrder or kPurchase; or
// kDuplicate, leaving `state` unchanged. REQUIRES: model.Owns(state), 0 <= item < num_items,
// advances || purchase.
EventResult ApplyEventToState(const ServingModel& model, bool advances, bool purchase, int64_t item,
                              int64_t timestamp_ms, absl::string_view session_id, UserState& state);

// Feeds one applied event of `item` (a click or a purchase; `result` as ApplyEventToState
// returned it) by `user_id` to the model's live recipe state: the trending counts, and for a
// click the user's open session in LiveSessions (`session_clicks`: the state's
// session_clicks after the event; a kNewSession result finishes the previous session). A no-op for
// a model without recipes. Called once per event that changed a state — after the live path's
// commit, and by ReplayLoggedEvent — so that a restarted server's trending and live sessions hold
// what it replayed. REQUIRES: 0 <= item < num_items. Thread-safe.
void RecordLiveRecipeEvent(const ServingModel& model, absl::string_view user_id, EventResult result,
                           absl::Span<const int32_t> session_clicks, int64_t item,
                           int64_t timestamp_ms);

// Drops the user's open session from the model's live sessions (DeleteUser, and a tombstone
// replayed at recovery). Thread-safe.
void ForgetLiveRecipeUser(const ServingModel& model, absl::string_view user_id);

// A logged event (EventRecord::Kind::kEvent) as `model` applies it.
struct LoggedEvent {
  int64_t item = 0;
  bool advances = false;  // Its type advances the session (config.AdvancesSession).
  bool purchase = false;  // Its type records a purchase (config.IsPurchase).
};
// nullopt when the event changes no state under `model`: its item is not in the model's
// catalogue, or its type neither advances a session nor records a purchase.
std::optional<LoggedEvent> ResolveLoggedEvent(const ServingModel& model, const ServerConfig& config,
                                              const EventRecord& record);

// The first event time the model's live recipes (trending, live sessions) count: the end of its
// training data (older events are in its trained counts already); INT64_MAX without recipes.
int64_t LiveRecipesFromMs(const ServingModel& model);

// Replays `record` (resolved as `event`) on `state` exactly as the live path applied it, and sets
// state.last_log_seq; with `feed_live_recipes`, RecordLiveRecipeEvent too (callers pass false
// for events the model's live recipes already hold: older than LiveRecipesFromMs, or applied live
// through this model). Returns false, leaving `state` unchanged, when the state already reflects
// it (record.seq <= state.last_log_seq) or it is a duplicate. REQUIRES: model.Owns(state).
bool ReplayLoggedEvent(const ServingModel& model, const LoggedEvent& event,
                       const EventRecord& record, bool feed_live_recipes, UserState& state);

}  // namespace hrnn

#endif  // HRNN_SERVER_EVENT_APPLICATION_H_
