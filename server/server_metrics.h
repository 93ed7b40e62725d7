// ServerMetrics: the Prometheus metrics of hrnn-server (DESIGN §7), registered in one
// prometheus::Registry that the server exposes on its metrics port. Every metric is fed by the
// code path it describes; see docs/operations.md for the list.
// Thread-safe (prometheus-cpp metrics are; the label caches below are mutex-protected).
#ifndef HRNN_SERVER_SERVER_METRICS_H_
#define HRNN_SERVER_SERVER_METRICS_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "core/serving/serving_model.h"
#include "core/state/user_state_store.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace hrnn {

// How an event ended, the `outcome` label of hrnn_events_total.
enum class EventResult {
  kApplied,      // Stepped the open session.
  kNewSession,   // Closed the previous session (if any) and started a new one.
  kPurchase,     // Recorded a purchase only (the type does not advance sessions).
  kOutOfOrder,   // Older than the user's latest event: applied in arrival order.
  kDuplicate,    // Same user, item, time and session as the latest event: ignored.
  kUnknownItem,  // Item unknown to the model: accepted, state unchanged.
  kIgnoredType,  // Type neither advances sessions nor records purchases: accepted, no effect.
  kRejected,     // Failed validation: not accepted.
};
inline constexpr int kNumEventResults = 8;
absl::string_view EventResultName(EventResult result);

class ServerMetrics {
 public:
  // `event_types`: the configured event types; any other type is counted as "other" so that
  // clients cannot create unbounded label values. `methods`: the RPC method names that
  // RecordRequest will be given.
  ServerMetrics(std::vector<std::string> event_types, std::vector<std::string> methods);

  const std::shared_ptr<prometheus::Registry>& registry() const { return registry_; }

  // One finished RPC: hrnn_requests_total{method,code} and
  // hrnn_request_duration_seconds{method}. REQUIRES: `method` was given to the constructor.
  void RecordRequest(absl::string_view method, absl::StatusCode code, double seconds);
  // One event: hrnn_events_total{event_type,outcome}.
  void RecordEvent(absl::string_view event_type, EventResult result);
  // Time to score the catalogue and select the top items for one request.
  void RecordScoring(double seconds) { scoring_seconds_->Observe(seconds); }
  // The experiment's arms (--experiments_file), labels of hrnn_recommendations_served_total.
  // Call once, before serving; without it every recommendation counts as experiment "none".
  void RegisterExperiment(absl::string_view experiment, const std::vector<std::string>& arms);
  // One GetRecommendations answer, by the index of its arm in RegisterExperiment's `arms`, or
  // kNoArm outside the experiment: hrnn_recommendations_served_total{experiment,arm}.
  static constexpr size_t kNoArm = static_cast<size_t>(-1);
  void RecordServed(size_t arm) {
    (arm < served_by_arm_.size() ? served_by_arm_[arm] : served_outside_)->Increment();
  }
  // One accepted event that carried the id of a recommendation this server issued, by the arm
  // the id names (kNoArm: none, or not the running experiment's) and the event's type:
  // hrnn_recommendation_events_total{experiment,arm,event_type} and, with a value,
  // hrnn_recommendation_event_value_total (the same labels).
  void RecordAttributed(size_t arm, absl::string_view event_type, std::optional<double> value);
  // Calls scored together in one pass over the item table.
  void RecordBatch(int size) { batch_size_->Observe(size); }
  // Stream bookkeeping: hrnn_event_streams_active.
  void StreamOpened() { streams_active_->Increment(); }
  void StreamClosed() { streams_active_->Decrement(); }

  // Copies the store's counters (users, bytes; evictions as increments since the last call).
  void UpdateStore(const UserStateStoreStats& stats);
  // The served version's live sessions (LiveSessions::stats): open, finished in the ring, and
  // the ring's bytes.
  void UpdateLiveSessions(const LiveSessionsStats& stats);
  // The model now served (version, items, load time), or none.
  void UpdateModel(const ServingModel* model);
  // The event log: the last seq appended and the last one durable (their difference is the
  // lag of acknowledgements).
  void UpdateLog(uint64_t appended_seq, uint64_t durable_seq) {
    log_appended_->Set(static_cast<double>(appended_seq));
    log_durable_->Set(static_cast<double>(durable_seq));
  }
  // The catalogue stream (--catalog_stream; CatalogueReplicator): entries applied and failed
  // reads or applies since the start (copied as increments since the last call), and whether
  // its last read succeeded.
  void UpdateCatalogStream(int64_t entries_applied, int64_t errors, bool following);
  // A failed attempt to load a model.
  void ModelLoadFailed() { model_load_failures_->Increment(); }
  // The state rebuild after a model swap (StateRebuilder): started with `users` to rebuild,
  // users finished (rebuilt, or skipped: left on the fallback), events replayed, finished.
  void RebuildStarted(int64_t users);
  void RebuildUsersDone(int64_t rebuilt, int64_t skipped);
  void RebuildEventsReplayed(int64_t events) {
    rebuild_events_->Increment(static_cast<double>(events));
  }
  void RebuildFinished();

 private:
  // The counter of (method, code), created on first use and then read without locking.
  prometheus::Counter& RequestCounter(absl::string_view method, absl::StatusCode code);

  static constexpr int kNumCodes = 17;  // absl::StatusCode 0..16.

  std::shared_ptr<prometheus::Registry> registry_;
  std::vector<std::string> event_types_;  // Labelled types; index event_types_.size() = "other".
  // events_by_type_[type index][result]: every series is created up front.
  std::vector<std::array<prometheus::Counter*, kNumEventResults>> events_by_type_;
  // Per method name (a fixed, small set): its histogram and counters by code.
  struct MethodMetrics {
    std::string name;
    prometheus::Histogram* seconds = nullptr;
    std::array<std::atomic<prometheus::Counter*>, kNumCodes> by_code{};
  };
  std::vector<std::unique_ptr<MethodMetrics>> methods_;  // Fixed after construction.
  prometheus::Family<prometheus::Counter>* requests_;
  prometheus::Family<prometheus::Histogram>* request_seconds_;
  prometheus::Family<prometheus::Counter>* events_;
  prometheus::Family<prometheus::Counter>* served_;
  std::vector<prometheus::Counter*> served_by_arm_;  // Fixed once serving starts.
  prometheus::Counter* served_outside_;              // experiment="none", arm="none".
  // Attributed events and their values of one arm (or of none), by event type index
  // (event_types_.size() = "other"). Every series is created up front.
  struct AttributedRow {
    std::vector<prometheus::Counter*> events;
    std::vector<prometheus::Counter*> value;
  };
  AttributedRow AttributedRowFor(const std::string& experiment, const std::string& arm);
  prometheus::Family<prometheus::Counter>* attributed_events_;
  prometheus::Family<prometheus::Counter>* attributed_value_;
  std::vector<AttributedRow> attributed_by_arm_;  // Fixed once serving starts.
  AttributedRow attributed_outside_;
  prometheus::Histogram* scoring_seconds_;
  prometheus::Histogram* batch_size_;
  prometheus::Gauge* streams_active_;
  prometheus::Gauge* users_;
  prometheus::Gauge* state_bytes_;
  prometheus::Counter* evicted_capacity_;
  prometheus::Counter* evicted_idle_;
  prometheus::Gauge* live_sessions_open_;
  prometheus::Gauge* live_sessions_finished_;
  prometheus::Gauge* live_sessions_bytes_;
  prometheus::Gauge* model_version_;
  prometheus::Gauge* model_items_;
  prometheus::Gauge* model_loaded_;
  prometheus::Gauge* model_load_time_;
  prometheus::Counter* model_load_failures_;
  prometheus::Gauge* log_appended_;
  prometheus::Gauge* log_durable_;
  prometheus::Gauge* rebuild_running_;
  prometheus::Gauge* rebuild_pending_;
  prometheus::Counter* rebuild_users_rebuilt_;
  prometheus::Counter* rebuild_users_skipped_;
  prometheus::Counter* rebuild_events_;
  int64_t last_evicted_capacity_ = 0;  // Touched only by UpdateStore's single caller.
  prometheus::Counter* catalog_stream_entries_;
  prometheus::Counter* catalog_stream_errors_;
  prometheus::Gauge* catalog_stream_following_;
  int64_t last_catalog_stream_entries_ = 0;  // Touched only by UpdateCatalogStream's caller.
  int64_t last_catalog_stream_errors_ = 0;
  int64_t last_evicted_idle_ = 0;
};

}  // namespace hrnn

#endif  // HRNN_SERVER_SERVER_METRICS_H_
