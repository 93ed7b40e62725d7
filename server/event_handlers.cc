// RequestHandlers::PutEvents and ApplyStreamEvent: validate each event, map its item, and apply
// it to the user's state with the store's compare-and-set (read a copy, step the GRUs without
// store lock held, commit; writers of one user take turns under a striped per-user lock, and a
// conflict with a rebuild or deletion of the user redoes the step).
#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"
#include "core/serving/recommendation_id.h"
#include "server/event_application.h"
#include "server/internal/request_validation.h"
#include "server/request_handlers.h"

namespace hrnn {
namespace {

constexpr int kMaxEventTypeBytes = 64;
// Commit attempts before an event is given up as rejected (only when rebuilds or deletions of
// the user keep winning: event writers of one user take turns under its write lock).
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
    return absl::StrCat("impression_item_ids: ", event.impression_item_ids_size(), " ids, at most ",
                        internal::kMaxListedItems);
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
                                        int64_t now_ms, std::string* reason,
                                        uint64_t* log_seq) const {
  *reason = ValidateEvent(event, config_, now_ms);
  if (!reason->empty()) return EventResult::kRejected;
  if (log_ != nullptr && !log_->status().ok()) {
    *reason = absl::StrCat("event log unavailable: ", log_->status().message());
    return EventResult::kRejected;
  }
  const absl::string_view type = TypeOf(event);
  // What the event log keeps: the event as accepted, its time resolved.
  EventRecord record;
  record.kind = EventRecord::Kind::kEvent;
  record.timestamp_ms = event.timestamp_ms() == 0 ? now_ms : event.timestamp_ms();
  record.user_id = event.user_id();
  record.session_id = event.session_id();
  record.item_id = event.item_id();
  record.event_type = std::string(type);
  if (event.has_event_value()) record.event_value = event.event_value();
  // Kept for attribution and retraining (hrnn-report, hrnn-export).
  record.recommendation_id = event.recommendation_id();
  record.item_ids.assign(event.impression_item_ids().begin(), event.impression_item_ids().end());
  // Events that change no state are still logged (retraining learns new items from them).
  auto log_only = [&](EventResult result) {
    if (log_ != nullptr) *log_seq = log_->Append(&record);
    return result;
  };

  const bool advances = config_.AdvancesSession(type);
  const bool purchase = config_.IsPurchase(type);
  const std::optional<int64_t> item = model.items().Find(event.item_id());
  if (!item.has_value()) return log_only(EventResult::kUnknownItem);
  if (!advances && !purchase) return log_only(EventResult::kIgnoredType);

  // Writers of one user take turns (with the compare-and-set alone, a writer could lose every
  // race to the others and starve); the compare-and-set still catches the writers that do not
  // take this lock (a state rebuild, a deletion), and the event is then redone on the new state.
  MutexLock lock(&user_write_locks_.For(event.user_id()));
  for (int attempt = 0; attempt < kMaxCommitAttempts; ++attempt) {
    auto [state, version] = ReadStateForUpdate(store_, model, event.user_id(), now_ms);
    const EventResult result = ApplyEventToState(model, advances, purchase, *item,
                                                 record.timestamp_ms, event.session_id(), state);
    if (result == EventResult::kDuplicate) return log_only(result);
    // What the live recipes need of the new state, before the store takes it.
    thread_local std::vector<int32_t> clicks;
    state.session_clicks.CopyTo(&clicks);
    // The log append happens under the user's shard lock, so the log holds each user's events
    // in the order they were applied, and recovery replays them in that order.
    const uint64_t committed = store_.CompareAndSet(
        event.user_id(), version, std::move(state), now_ms, [&](UserState& stored) {
          if (log_ != nullptr) stored.last_log_seq = *log_seq = log_->Append(&record);
        });
    if (committed != 0) {
      RecordLiveRecipeEvent(model, event.user_id(), result, clicks, *item, record.timestamp_ms);
      return result;
    }
  }
  *reason = "user_id: too many concurrent updates of this user; retry";
  return EventResult::kRejected;
}

absl::StatusOr<uint64_t> RequestHandlers::ApplyEvents(const v1::PutEventsRequest& request,
                                                      v1::PutEventsResponse* response) const {
  HRNN_ASSIGN_OR_RETURN(std::shared_ptr<const ServingModel> model, CurrentModel());
  if (request.events_size() < 1 || request.events_size() > config_.max_events_per_call) {
    return absl::InvalidArgumentError(absl::StrCat(
        "events: ", request.events_size(), " events, expected 1..", config_.max_events_per_call));
  }
  const int64_t now_ms = clock_.NowMs();
  uint64_t wait_seq = 0;
  for (int i = 0; i < request.events_size(); ++i) {
    wait_seq = std::max(wait_seq, ApplyAndRecord(*model, request.events(i), i, now_ms, response));
  }
  return wait_seq;
}

absl::Status RequestHandlers::PutEvents(const v1::PutEventsRequest& request,
                                        v1::PutEventsResponse* response) const {
  HRNN_ASSIGN_OR_RETURN(const uint64_t wait_seq, ApplyEvents(request, response));
  return WaitDurable(wait_seq);
}

absl::Status RequestHandlers::WaitDurable(uint64_t seq) const {
  if (log_ == nullptr || seq == 0) return absl::OkStatus();
  absl::Status status = log_->WaitDurable(seq);
  if (!status.ok()) {
    return absl::UnavailableError(
        absl::StrCat("event log: ", status.message(), " (events not acknowledged)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> RequestHandlers::ApplyStreamEvent(const v1::Event& event, int index,
                                                           v1::PutEventsResponse* response) const {
  HRNN_ASSIGN_OR_RETURN(std::shared_ptr<const ServingModel> model, CurrentModel());
  return ApplyAndRecord(*model, event, index, clock_.NowMs(), response);
}

size_t RequestHandlers::ArmIndex(absl::string_view experiment, absl::string_view arm) const {
  if (experiment_ == nullptr || experiment != experiment_->name) return ServerMetrics::kNoArm;
  for (size_t a = 0; a < experiment_->arms.size(); ++a) {
    if (experiment_->arms[a].name == arm) return a;
  }
  return ServerMetrics::kNoArm;
}

void RequestHandlers::RecordAttribution(const v1::Event& event, int64_t event_ms) const {
  size_t arm = ServerMetrics::kNoArm;
  const std::optional<ParsedRecommendationId> id =
      event.recommendation_id().empty() ? std::nullopt
                                        : ParseRecommendationId(event.recommendation_id());
  if (id.has_value()) {
    arm = ArmIndex(id->experiment, id->arm);
  } else if (recent_ != nullptr) {
    // No id this server issued: the newest recommendation of the item to this user, if recent.
    const std::optional<uint32_t> tag =
        recent_->Attribute(event.user_id(), event.item_id(), event_ms);
    if (!tag.has_value()) return;
    arm = *tag == kOutsideExperimentTag ? ServerMetrics::kNoArm : *tag;
  } else {
    return;
  }
  metrics_->RecordAttributed(
      arm, TypeOf(event),
      event.has_event_value() ? std::optional<double>(event.event_value()) : std::nullopt);
}

uint64_t RequestHandlers::ApplyAndRecord(const ServingModel& model, const v1::Event& event,
                                         int index, int64_t now_ms,
                                         v1::PutEventsResponse* response) const {
  std::string reason;
  uint64_t log_seq = 0;
  const EventResult result = ApplyEvent(model, event, now_ms, &reason, &log_seq);
  if (metrics_ != nullptr) {
    metrics_->RecordEvent(TypeOf(event), result);
    if (result != EventResult::kRejected && result != EventResult::kDuplicate) {
      RecordAttribution(event, event.timestamp_ms() == 0 ? now_ms : event.timestamp_ms());
    }
  }
  if (result == EventResult::kRejected) {
    v1::RejectedEvent* rejected = response->add_rejected();
    rejected->set_index(index);
    rejected->set_reason(reason);
  } else {
    response->set_accepted(response->accepted() + 1);
  }
  return log_seq;
}

}  // namespace hrnn
