// RequestHandlers::PutEvents and ApplyStreamEvent: validate each event, map its item, and apply
// it to the user's state with the store's compare-and-set (read a copy, step the GRUs without
// any lock held, commit; on a conflict with a concurrent writer of the same user, redo).
#include <cmath>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "server/internal/request_validation.h"
#include "server/request_handlers.h"

namespace hrnn {
namespace {

constexpr int kMaxEventTypeBytes = 64;
// Commit attempts before an event is given up as rejected (only under pathological contention
// on one user: every attempt lost the race to another writer of the same user).
constexpr int kMaxCommitAttempts = 64;

// The first problem with `event`, naming the field, or "".
std::string ValidateEvent(const v1::Event& event, const ServerConfig& config, int64_t now_ms) {
  for (const auto& [field, value, required] :
       {std::tuple<const char*, const std::string*, bool>{"user_id", &event.user_id(), true},
        {"item_id", &event.item_id(), true},
        {"session_id", &event.session_id(), false},
        {"recommendation_id", &event.recommendation_id(), false}}) {
    absl::Status status = internal::ValidateId(field, *value, config.max_id_bytes, required);
    if (!status.ok()) return std::string(status.message());
  }
  if (event.event_type().size() > kMaxEventTypeBytes) {
    return absl::StrCat("event_type: ", event.event_type().size(), " bytes, at most ",
                        kMaxEventTypeBytes);
  }
  if (event.has_event_value() && !std::isfinite(event.event_value())) {
    return absl::StrCat("event_value: ", event.event_value(), " is not a finite number");
  }
  if (event.timestamp_ms() < 0) {
    return absl::StrCat("timestamp_ms: ", event.timestamp_ms(), " is negative");
  }
  if (event.timestamp_ms() > now_ms + config.max_future_skew_ms) {
    return absl::StrCat("timestamp_ms: ", event.timestamp_ms(), " is ",
                        event.timestamp_ms() - now_ms, " ms ahead of the server clock (at most ",
                        config.max_future_skew_ms, ")");
  }
  if (event.impression_item_ids_size() > internal::kMaxListedItems) {
    return absl::StrCat("impression_item_ids: ", event.impression_item_ids_size(),
                        " ids, at most ", internal::kMaxListedItems);
  }
  return "";
}

// The event's type; an empty one means "click".
absl::string_view TypeOf(const v1::Event& event) {
  return event.event_type().empty() ? absl::string_view("click")
                                    : absl::string_view(event.event_type());
}

}  // namespace

EventResult RequestHandlers::ApplyEvent(const ServingModel& model, const v1::Event& event,
                                        int64_t now_ms, std::string* reason) const {
  *reason = ValidateEvent(event, config_, now_ms);
  if (!reason->empty()) return EventResult::kRejected;
  const absl::string_view type = TypeOf(event);
  const bool advances = config_.AdvancesSession(type);
  const bool purchase = config_.IsPurchase(type);
  const std::optional<int64_t> item = model.items().Find(event.item_id());
  if (!item.has_value()) return EventResult::kUnknownItem;
  if (!advances && !purchase) return EventResult::kIgnoredType;

  const Recommender& recommender = *model.recommender;
  const int64_t timestamp_ms = event.timestamp_ms() == 0 ? now_ms : event.timestamp_ms();
  for (int attempt = 0; attempt < kMaxCommitAttempts; ++attempt) {
    std::optional<UserStateStore::Versioned> held = store_.Get(event.user_id(), now_ms);
    uint64_t version = 0;
    UserState state;
    if (held.has_value()) {
      version = held->version;
      state = std::move(held->state);
    }
    // A state from another model version is never stepped: the user starts afresh.
    if (!held.has_value() || !model.Owns(state)) state = model.NewUserState();
    const bool out_of_order = state.last_event_ms > timestamp_ms;
    EventResult result = EventResult::kPurchase;
    if (advances) {
      absl::StatusOr<EventOutcome> outcome =
          recommender.ApplyEvent(state, {*item, timestamp_ms, event.session_id()});
      if (!outcome.ok()) {  // Unreachable: the item and shape were checked above.
        *reason = std::string(outcome.status().message());
        return EventResult::kRejected;
      }
      if (*outcome == EventOutcome::kDuplicate) return EventResult::kDuplicate;
      result = out_of_order                                  ? EventResult::kOutOfOrder
               : *outcome == EventOutcome::kAppliedNewSession ? EventResult::kNewSession
                                                              : EventResult::kApplied;
    }
    if (purchase) recommender.RecordPurchase(state, *item);
    if (store_.CompareAndSet(event.user_id(), version, std::move(state), now_ms) != 0) {
      return result;
    }
  }
  *reason = "user_id: too many concurrent updates of this user; retry";
  return EventResult::kRejected;
}

absl::Status RequestHandlers::PutEvents(const v1::PutEventsRequest& request,
                                        v1::PutEventsResponse* response) const {
  HRNN_ASSIGN_OR_RETURN(std::shared_ptr<const ServingModel> model, CurrentModel());
  if (request.events_size() < 1 || request.events_size() > config_.max_events_per_call) {
    return absl::InvalidArgumentError(absl::StrCat("events: ", request.events_size(),
                                                   " events, expected 1..",
                                                   config_.max_events_per_call));
  }
  const int64_t now_ms = clock_.NowMs();
  for (int i = 0; i < request.events_size(); ++i) {
    ApplyAndRecord(*model, request.events(i), i, now_ms, response);
  }
  return absl::OkStatus();
}

absl::Status RequestHandlers::ApplyStreamEvent(const v1::Event& event, int index,
                                               v1::PutEventsResponse* response) const {
  HRNN_ASSIGN_OR_RETURN(std::shared_ptr<const ServingModel> model, CurrentModel());
  ApplyAndRecord(*model, event, index, clock_.NowMs(), response);
  return absl::OkStatus();
}

void RequestHandlers::ApplyAndRecord(const ServingModel& model, const v1::Event& event,
                                     int index, int64_t now_ms,
                                     v1::PutEventsResponse* response) const {
  std::string reason;
  const EventResult result = ApplyEvent(model, event, now_ms, &reason);
  if (metrics_ != nullptr) {
    metrics_->RecordEvent(TypeOf(event), result);
  }
  if (result == EventResult::kRejected) {
    v1::RejectedEvent* rejected = response->add_rejected();
    rejected->set_index(index);
    rejected->set_reason(reason);
  } else {
    response->set_accepted(response->accepted() + 1);
  }
}

}  // namespace hrnn
