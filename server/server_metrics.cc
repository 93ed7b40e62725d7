#include "server/server_metrics.h"

#include <algorithm>
#include <cassert>
#include <utility>

namespace hrnn {
namespace {

// 50 µs .. ~3.3 s, doubling.
prometheus::Histogram::BucketBoundaries LatencyBuckets() {
  prometheus::Histogram::BucketBoundaries buckets;
  for (double b = 50e-6; b < 4.0; b *= 2) buckets.push_back(b);
  return buckets;
}

std::string CodeName(absl::StatusCode code) {
  std::string name = absl::StatusCodeToString(code);
  return name.empty() ? "UNKNOWN" : name;
}

}  // namespace

absl::string_view EventResultName(EventResult result) {
  switch (result) {
    case EventResult::kApplied:
      return "applied";
    case EventResult::kNewSession:
      return "new_session";
    case EventResult::kPurchase:
      return "purchase";
    case EventResult::kOutOfOrder:
      return "out_of_order";
    case EventResult::kDuplicate:
      return "duplicate";
    case EventResult::kUnknownItem:
      return "unknown_item";
    case EventResult::kIgnoredType:
      return "ignored_type";
    case EventResult::kRejected:
      return "rejected";
  }
  return "unknown";
}

ServerMetrics::ServerMetrics(std::vector<std::string> event_types, std::vector<std::string> methods)
    : registry_(std::make_shared<prometheus::Registry>()) {
  for (std::string& type : event_types) {
    if (std::find(event_types_.begin(), event_types_.end(), type) == event_types_.end()) {
      event_types_.push_back(std::move(type));
    }
  }
  auto& registry = *registry_;
  requests_ = &prometheus::BuildCounter()
                   .Name("hrnn_requests_total")
                   .Help("gRPC calls finished, by method and status code.")
                   .Register(registry);
  request_seconds_ = &prometheus::BuildHistogram()
                          .Name("hrnn_request_duration_seconds")
                          .Help("Server-side gRPC call latency, by method.")
                          .Register(registry);
  for (std::string& method : methods) {
    auto metrics = std::make_unique<MethodMetrics>();
    metrics->seconds = &request_seconds_->Add({{"method", method}}, LatencyBuckets());
    metrics->name = std::move(method);
    methods_.push_back(std::move(metrics));
  }
  served_ = &prometheus::BuildCounter()
                 .Name("hrnn_recommendations_served_total")
                 .Help(
                     "GetRecommendations answers, by experiment and arm (--experiments_file; "
                     "\"none\" outside it: no experiment, or the call named its recipe).")
                 .Register(registry);
  served_outside_ = &served_->Add({{"experiment", "none"}, {"arm", "none"}});
  attributed_events_ = &prometheus::BuildCounter()
                            .Name("hrnn_recommendation_events_total")
                            .Help(
                                "Accepted events that carried a recommendation id this server "
                                "issued (Event.recommendation_id), by the experiment and arm the "
                                "id names and the event type.")
                            .Register(registry);
  attributed_value_ = &prometheus::BuildCounter()
                           .Name("hrnn_recommendation_event_value_total")
                           .Help(
                               "Sum of event_value of those events (e.g. the value of "
                               "purchases; values > 0 only), by experiment, arm and event type.")
                           .Register(registry);
  attributed_outside_ = AttributedRowFor("none", "none");
  events_ = &prometheus::BuildCounter()
                 .Name("hrnn_events_total")
                 .Help(
                     "Events received, by event type (configured types, else \"other\") "
                     "and outcome.")
                 .Register(registry);
  for (size_t t = 0; t <= event_types_.size(); ++t) {
    const std::string type = t < event_types_.size() ? event_types_[t] : "other";
    auto& counters = events_by_type_.emplace_back();
    for (int r = 0; r < kNumEventResults; ++r) {
      counters[r] =
          &events_->Add({{"event_type", type},
                         {"outcome", std::string(EventResultName(static_cast<EventResult>(r)))}});
    }
  }
  scoring_seconds_ = &prometheus::BuildHistogram()
                          .Name("hrnn_scoring_duration_seconds")
                          .Help(
                              "Time to score the catalogue and select the top items, per "
                              "request (with batched scoring: from the request's hand-off, "
                              "queueing included).")
                          .Register(registry)
                          .Add({}, LatencyBuckets());
  batch_size_ =
      &prometheus::BuildHistogram()
           .Name("hrnn_scoring_batch_size")
           .Help(
               "GetRecommendations calls scored together in one pass over the "
               "item table.")
           .Register(registry)
           .Add({}, prometheus::Histogram::BucketBoundaries{1, 2, 3, 4, 5, 6, 7, 8, 16, 32});
  streams_active_ = &prometheus::BuildGauge()
                         .Name("hrnn_event_streams_active")
                         .Help("StreamEvents calls open now.")
                         .Register(registry)
                         .Add({});
  users_ = &prometheus::BuildGauge()
                .Name("hrnn_active_users")
                .Help("Users whose state is held in memory.")
                .Register(registry)
                .Add({});
  state_bytes_ = &prometheus::BuildGauge()
                      .Name("hrnn_user_state_bytes")
                      .Help("Bytes of user state held in memory (entries, ids, vectors, index).")
                      .Register(registry)
                      .Add({});
  auto& evictions = prometheus::BuildCounter()
                        .Name("hrnn_user_state_evictions_total")
                        .Help(
                            "Users dropped from memory, by reason (capacity: the user or byte "
                            "cap; idle: the idle TTL).")
                        .Register(registry);
  evicted_capacity_ = &evictions.Add({{"reason", "capacity"}});
  evicted_idle_ = &evictions.Add({{"reason", "idle"}});
  auto& live_sessions = prometheus::BuildGauge()
                            .Name("hrnn_live_sessions")
                            .Help(
                                "Sessions on the server for sknn and GetSimilarItems, by state "
                                "(open: a user's session still running; finished: in the ring "
                                "the recipes read).")
                            .Register(registry);
  live_sessions_open_ = &live_sessions.Add({{"state", "open"}});
  live_sessions_finished_ = &live_sessions.Add({{"state", "finished"}});
  live_sessions_bytes_ = &prometheus::BuildGauge()
                              .Name("hrnn_live_sessions_bytes")
                              .Help("Bytes held by the finished live sessions and their postings.")
                              .Register(registry)
                              .Add({});
  model_version_ = &prometheus::BuildGauge()
                        .Name("hrnn_model_version")
                        .Help("Version of the model being served (0: none).")
                        .Register(registry)
                        .Add({});
  model_items_ = &prometheus::BuildGauge()
                      .Name("hrnn_model_items")
                      .Help("Items in the served model's catalogue.")
                      .Register(registry)
                      .Add({});
  model_loaded_ = &prometheus::BuildGauge()
                       .Name("hrnn_model_loaded")
                       .Help("1 while a model is being served, else 0.")
                       .Register(registry)
                       .Add({});
  model_load_time_ = &prometheus::BuildGauge()
                          .Name("hrnn_model_load_timestamp_seconds")
                          .Help("When the served model was loaded (Unix time).")
                          .Register(registry)
                          .Add({});
  log_appended_ = &prometheus::BuildGauge()
                       .Name("hrnn_event_log_appended_seq")
                       .Help("Sequence number of the last event appended to the event log.")
                       .Register(registry)
                       .Add({});
  log_durable_ = &prometheus::BuildGauge()
                      .Name("hrnn_event_log_durable_seq")
                      .Help(
                          "Sequence number up to which the event log is durable under the "
                          "fsync policy (appended minus durable = acknowledgement lag).")
                      .Register(registry)
                      .Add({});
  model_load_failures_ = &prometheus::BuildCounter()
                              .Name("hrnn_model_load_failures_total")
                              .Help("Attempts to load a model that failed validation or I/O.")
                              .Register(registry)
                              .Add({});
  rebuild_running_ = &prometheus::BuildGauge()
                          .Name("hrnn_state_rebuild_running")
                          .Help("1 while user states are being rebuilt through a new model.")
                          .Register(registry)
                          .Add({});
  rebuild_pending_ = &prometheus::BuildGauge()
                          .Name("hrnn_state_rebuild_users_pending")
                          .Help(
                              "Users the running state rebuild has yet to finish (served from "
                              "the new model's fallback meanwhile).")
                          .Register(registry)
                          .Add({});
  auto& rebuild_users = prometheus::BuildCounter()
                            .Name("hrnn_state_rebuild_users_total")
                            .Help(
                                "Users finished by state rebuilds after model swaps: rebuilt "
                                "through the new model, or skipped (left on its fallback).")
                            .Register(registry);
  rebuild_users_rebuilt_ = &rebuild_users.Add({{"outcome", "rebuilt"}});
  rebuild_users_skipped_ = &rebuild_users.Add({{"outcome", "skipped"}});
  rebuild_events_ = &prometheus::BuildCounter()
                         .Name("hrnn_state_rebuild_events_total")
                         .Help("Event-log events replayed through new models by state rebuilds.")
                         .Register(registry)
                         .Add({});
  catalog_stream_entries_ =
      &prometheus::BuildCounter()
           .Name("hrnn_catalog_stream_entries_applied_total")
           .Help("Entries of the catalogue stream (--catalog_stream) applied by this replica.")
           .Register(registry)
           .Add({});
  catalog_stream_errors_ =
      &prometheus::BuildCounter()
           .Name("hrnn_catalog_stream_errors_total")
           .Help(
               "Failed reads of the catalogue stream and entries that could not be applied yet "
               "(retried).")
           .Register(registry)
           .Add({});
  catalog_stream_following_ =
      &prometheus::BuildGauge()
           .Name("hrnn_catalog_stream_following")
           .Help(
               "1 when this replica's last read of the catalogue stream succeeded and it is "
               "applying it; 0 when Redis cannot be read or an entry cannot be applied (or "
               "without --catalog_stream).")
           .Register(registry)
           .Add({});
}

void ServerMetrics::UpdateCatalogStream(int64_t entries_applied, int64_t errors, bool following) {
  catalog_stream_entries_->Increment(
      static_cast<double>(std::max<int64_t>(0, entries_applied - last_catalog_stream_entries_)));
  catalog_stream_errors_->Increment(
      static_cast<double>(std::max<int64_t>(0, errors - last_catalog_stream_errors_)));
  last_catalog_stream_entries_ = entries_applied;
  last_catalog_stream_errors_ = errors;
  catalog_stream_following_->Set(following ? 1 : 0);
}

void ServerMetrics::RebuildStarted(int64_t users) {
  rebuild_running_->Set(1);
  rebuild_pending_->Set(static_cast<double>(users));
}

void ServerMetrics::RebuildUsersDone(int64_t rebuilt, int64_t skipped) {
  rebuild_users_rebuilt_->Increment(static_cast<double>(rebuilt));
  rebuild_users_skipped_->Increment(static_cast<double>(skipped));
  rebuild_pending_->Decrement(static_cast<double>(rebuilt + skipped));
}

void ServerMetrics::RebuildFinished() {
  rebuild_running_->Set(0);
  rebuild_pending_->Set(0);
}

prometheus::Counter& ServerMetrics::RequestCounter(absl::string_view method,
                                                   absl::StatusCode code) {
  MethodMetrics* metrics = nullptr;
  for (const auto& candidate : methods_) {
    if (candidate->name == method) metrics = candidate.get();
  }
  assert(metrics != nullptr);
  const int index = static_cast<int>(code);
  std::atomic<prometheus::Counter*>& slot =
      metrics->by_code[index >= 0 && index < kNumCodes ? index : 2 /* UNKNOWN */];
  prometheus::Counter* counter = slot.load(std::memory_order_acquire);
  if (counter == nullptr) {  // Family::Add is idempotent and thread-safe.
    counter = &requests_->Add({{"method", metrics->name}, {"code", CodeName(code)}});
    slot.store(counter, std::memory_order_release);
  }
  return *counter;
}

void ServerMetrics::RecordRequest(absl::string_view method, absl::StatusCode code, double seconds) {
  RequestCounter(method, code).Increment();
  for (const auto& candidate : methods_) {
    if (candidate->name == method) candidate->seconds->Observe(seconds);
  }
}

void ServerMetrics::RegisterExperiment(absl::string_view experiment,
                                       const std::vector<std::string>& arms) {
  served_by_arm_.clear();
  attributed_by_arm_.clear();
  for (const std::string& arm : arms) {
    served_by_arm_.push_back(
        &served_->Add({{"experiment", std::string(experiment)}, {"arm", arm}}));
    attributed_by_arm_.push_back(AttributedRowFor(std::string(experiment), arm));
  }
}

ServerMetrics::AttributedRow ServerMetrics::AttributedRowFor(const std::string& experiment,
                                                             const std::string& arm) {
  AttributedRow row;
  for (size_t t = 0; t <= event_types_.size(); ++t) {
    const std::string type = t < event_types_.size() ? event_types_[t] : "other";
    const prometheus::Labels labels = {
        {"experiment", experiment}, {"arm", arm}, {"event_type", type}};
    row.events.push_back(&attributed_events_->Add(labels));
    row.value.push_back(&attributed_value_->Add(labels));
  }
  return row;
}

void ServerMetrics::RecordAttributed(size_t arm, absl::string_view event_type,
                                     std::optional<double> value) {
  const AttributedRow& row =
      arm < attributed_by_arm_.size() ? attributed_by_arm_[arm] : attributed_outside_;
  size_t type = 0;
  while (type < event_types_.size() && event_types_[type] != event_type) ++type;
  row.events[type]->Increment();
  if (value.has_value() && *value > 0) row.value[type]->Increment(*value);
}

void ServerMetrics::RecordEvent(absl::string_view event_type, EventResult result) {
  size_t type = 0;
  while (type < event_types_.size() && event_types_[type] != event_type) ++type;
  events_by_type_[type][static_cast<int>(result)]->Increment();
}

void ServerMetrics::UpdateLiveSessions(const LiveSessionsStats& stats) {
  live_sessions_open_->Set(static_cast<double>(stats.open));
  live_sessions_finished_->Set(static_cast<double>(stats.finished));
  live_sessions_bytes_->Set(static_cast<double>(stats.bytes));
}

void ServerMetrics::UpdateStore(const UserStateStoreStats& stats) {
  users_->Set(static_cast<double>(stats.users));
  state_bytes_->Set(static_cast<double>(stats.bytes));
  evicted_capacity_->Increment(
      static_cast<double>(std::max<int64_t>(0, stats.evicted_capacity - last_evicted_capacity_)));
  evicted_idle_->Increment(
      static_cast<double>(std::max<int64_t>(0, stats.evicted_idle - last_evicted_idle_)));
  last_evicted_capacity_ = stats.evicted_capacity;
  last_evicted_idle_ = stats.evicted_idle;
}

void ServerMetrics::UpdateModel(const ServingModel* model) {
  model_loaded_->Set(model == nullptr ? 0 : 1);
  model_version_->Set(model == nullptr ? 0 : static_cast<double>(model->version));
  model_items_->Set(model == nullptr ? 0 : static_cast<double>(model->network->num_items()));
  model_load_time_->Set(model == nullptr ? 0 : static_cast<double>(model->loaded_at_ms) / 1e3);
}

}  // namespace hrnn
