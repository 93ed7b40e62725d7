// RequestHandlers: the body of every hrnn.v1.Recommender RPC as a plain function from request
// to response (validation, state lookup and update, scoring, filters), so that it is unit-tested
// without gRPC; RecommenderService only adapts these to the callback API. Errors are
// absl::Status with the field named (INVALID_ARGUMENT), UNAVAILABLE when no model is loaded.
// Thread-safe: any number of calls may run at once (state is committed with the store's
// compare-and-set under a striped per-user write lock, so concurrent events of one user are
// serialised, neither lost nor starved).
#ifndef HRNN_SERVER_REQUEST_HANDLERS_H_
#define HRNN_SERVER_REQUEST_HANDLERS_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/base/clock.h"
#include "core/kernels/top_k.h"
#include "core/serving/experiments.h"
#include "core/serving/recent_recommendations.h"
#include "core/serving/recommendation_pipeline.h"
#include "core/serving/serving_model.h"
#include "core/state/event_log.h"
#include "core/state/user_state_store.h"
#include "hrnn/v1/recommender.pb.h"
#include "server/catalogue_replicator.h"
#include "server/catalogue_updater.h"
#include "server/internal/user_write_locks.h"
#include "server/server_config.h"
#include "server/server_metrics.h"

namespace hrnn {

class RequestHandlers {
 public:
  // All pointers are borrowed and must outlive this object; `metrics` may be null. With an
  // event `log`, every accepted event (and every forgotten user) is appended to it, and
  // responses that acknowledge them wait until the log holds them durably (the log's policy).
  // PutItems goes through `catalogue`, which must log to the same `log`.
  RequestHandlers(const ServerConfig* config, const ServingModelHandle* model,
                  CatalogueUpdater* catalogue, UserStateStore* store, const Clock* clock,
                  ServerMetrics* metrics, EventLog* log = nullptr);

  // The whole call: Prepare, score the catalogue (config.scoring kNaive: Eigen and
  // std::partial_sort; otherwise the SIMD kernels and the heap top-k), Complete.
  absl::Status GetRecommendations(const v1::GetRecommendationsRequest& request,
                                  v1::GetRecommendationsResponse* response) const;
  // Validates the request, reads the user's state and fills the response's id, model version
  // and state. Returns the catalogue pass still to do, or nullopt when the response is already
  // complete (an include list is scored directly). Errors as GetRecommendations.
  absl::StatusOr<std::optional<CataloguePass>> PrepareRecommendations(
      const v1::GetRecommendationsRequest& request, v1::GetRecommendationsResponse* response) const;
  // Selects the top items from `scores` (every item's) and appends them to the response.
  void CompleteRecommendations(const v1::GetRecommendationsRequest& request, CataloguePass& pass,
                               absl::Span<const float> scores,
                               v1::GetRecommendationsResponse* response) const;
  // GetSimilarItems, split the same way: Prepare validates (the item must be in the model's
  // catalogue: NOT_FOUND otherwise; the filter's user-based options need user_id), reads the
  // user's state when one is named and fills the response's id, model version and recipe;
  // every answer needs the catalogue pass (never nullopt, the type is GetRecommendations' for
  // the batched path). Complete selects the top items and appends them.
  absl::Status GetSimilarItems(const v1::GetSimilarItemsRequest& request,
                               v1::GetSimilarItemsResponse* response) const;
  absl::StatusOr<std::optional<CataloguePass>> PrepareSimilarItems(
      const v1::GetSimilarItemsRequest& request, v1::GetSimilarItemsResponse* response) const;
  void CompleteSimilarItems(const v1::GetSimilarItemsRequest& request, CataloguePass& pass,
                            absl::Span<const float> scores,
                            v1::GetSimilarItemsResponse* response) const;
  absl::Status GetPersonalizedRanking(const v1::GetPersonalizedRankingRequest& request,
                                      v1::GetPersonalizedRankingResponse* response) const;
  // Applies the events (in order) and fills `response`; returns the event-log seq that must be
  // durable (WaitDurable) before the response is sent (0: nothing to wait for). Call-level
  // errors: no model (UNAVAILABLE), no events or more than max_events_per_call
  // (INVALID_ARGUMENT naming "events"). Per-event problems are reported in the response.
  absl::StatusOr<uint64_t> ApplyEvents(const v1::PutEventsRequest& request,
                                       v1::PutEventsResponse* response) const;
  // ApplyEvents, then WaitDurable (blocking): the whole call, for callers that may block.
  absl::Status PutEvents(const v1::PutEventsRequest& request,
                         v1::PutEventsResponse* response) const;
  // One event of a stream at position `index`: counted as accepted in `response`, or appended
  // to its rejected list. Returns its log seq (0 when not logged). Errors: UNAVAILABLE when no
  // model is loaded (nothing recorded).
  absl::StatusOr<uint64_t> ApplyStreamEvent(const v1::Event& event, int index,
                                            v1::PutEventsResponse* response) const;
  // Blocks until every logged record up to `seq` is durable. Errors: UNAVAILABLE when the log
  // failed (what it did not hold is not acknowledged).
  absl::Status WaitDurable(uint64_t seq) const;
  // With a replicator (--catalog_stream), PutItems appends to the shared stream and waits for
  // this replica to apply it (CatalogueReplicator::Submit). Set before serving; borrowed.
  void set_catalogue_replicator(CatalogueReplicator* replicator) { replicator_ = replicator; }
  // With an experiment (--experiments_file), GetRecommendations calls that name no recipe get
  // the recipe of their user's arm (AssignArm). Set before serving; borrowed.
  void set_experiment(const Experiment* experiment) { experiment_ = experiment; }
  // Validates and applies the availability changes (CatalogueUpdater::Apply: logged before they
  // are applied; or CatalogueReplicator::Submit) and fills `response`; returns the event-log seq
  // that must be durable before the response is sent (0: nothing to wait for). Errors: no model or
  // a failed log (UNAVAILABLE), no items or too many, or a bad item id (INVALID_ARGUMENT naming
  // "items[i].item_id"; nothing is applied then).
  absl::StatusOr<uint64_t> ApplyItems(const v1::PutItemsRequest& request,
                                      v1::PutItemsResponse* response) const;
  // ApplyItems, then WaitDurable (blocking).
  absl::Status PutItems(const v1::PutItemsRequest& request, v1::PutItemsResponse* response) const;
  // Forgets the user's state and logs a tombstone (training exports drop the user's earlier
  // events); returns the tombstone's seq to wait for (0 without a log).
  absl::StatusOr<uint64_t> ForgetUser(const v1::DeleteUserRequest& request,
                                      v1::DeleteUserResponse* response) const;
  // ForgetUser, then WaitDurable.
  absl::Status DeleteUser(const v1::DeleteUserRequest& request,
                          v1::DeleteUserResponse* response) const;
  absl::Status GetModelInfo(const v1::GetModelInfoRequest& request, v1::ModelInfo* response) const;
  // The named filters the served model version compiled (--filters_file). Errors: no model
  // (UNAVAILABLE).
  absl::Status ListFilters(const v1::ListFiltersRequest& request,
                           v1::ListFiltersResponse* response) const;

  // The locks event writers hold per user, for a background writer that must hold some users
  // still (the state rebuild's last catch-up).
  internal::UserWriteLocks& user_write_locks() const { return user_write_locks_; }

 private:
  // The prelude both recommendation calls share, in core terms: the model, the user's state
  // (a copy) and the request's time, session and filter.
  struct RecommendationCall {
    std::shared_ptr<const ServingModel> model;
    UserState state;
    bool known = false;  // A usable state was held.
    RecommendationRequest request;
  };
  // Checks the model, the caller's ids, `call_fields` (the call's own fields, already checked
  // by the caller), the filter and the context in that order, returning the first error; then
  // reads the user's state.
  absl::StatusOr<RecommendationCall> BeginRecommendationCall(
      const std::string& user_id, const std::string& session_id, const v1::Filter& filter,
      const google::protobuf::Map<std::string, std::string>& context,
      absl::Status call_fields) const;
  // GetSimilarItems' fields before the item lookup, in order: item_id, the caller's ids (both
  // optional; session_id needs user_id), num_results, the filter (its user-based options need
  // user_id), the context.
  absl::Status ValidateSimilarItemsRequest(const v1::GetSimilarItemsRequest& request) const;
  // GetPersonalizedRanking's input_item_ids: 1..kMaxListedItems valid ids.
  absl::Status ValidateRankingInput(const v1::GetPersonalizedRankingRequest& request) const;
  // Where a named filter comes from in a request: its name and values, and their fields' names
  // for errors (Filter: "filter.name", "filter.values"; Promotion: "promotion.filter_name",
  // "promotion.filter_values").
  struct NamedFilterFields {
    const std::string& name;
    const google::protobuf::Map<std::string, v1::FilterValues>& values;
    absl::string_view name_field;
    absl::string_view values_field;
  };
  static NamedFilterFields FieldsOf(const v1::Filter& filter);
  static NamedFilterFields FieldsOf(const v1::Promotion& promotion);
  // The exclusions of a named filter (null when the name is empty), for `state` (may be null)
  // and GetSimilarItems' `current_item`. Errors (INVALID_ARGUMENT): the name's field when the
  // server has no such filter; the values' field naming the filter and parameter when a value
  // is missing or malformed.
  absl::StatusOr<std::shared_ptr<const ItemAvailability::Mask>> NamedFilterMask(
      const ServingModel& model, const NamedFilterFields& filter, const UserState* state,
      std::optional<int64_t> current_item) const;
  // The model to answer with, or UNAVAILABLE.
  absl::StatusOr<std::shared_ptr<const ServingModel>> CurrentModel() const;
  // Validates, logs and applies one event; returns how it ended and, when rejected, why; sets
  // *log_seq to its log seq when it was logged.
  EventResult ApplyEvent(const ServingModel& model, const v1::Event& event, int64_t now_ms,
                         std::string* reason, uint64_t* log_seq) const;
  // ApplyEvent, then counts the event in `response` (accepted, or rejected at `index`) and in
  // the metrics. Returns the event's log seq (0 when not logged).
  uint64_t ApplyAndRecord(const ServingModel& model, const v1::Event& event, int index,
                          int64_t now_ms, v1::PutEventsResponse* response) const;
  // Counts an accepted event in hrnn_recommendation_events_total: by the arm its
  // recommendation_id names (recommendation_id.h) when it carries one this server issued, else
  // by the arm of the newest recommendation of its item served to its user within
  // config.attribution_window_ms (recent_); unattributed events are not counted.
  // REQUIRES: metrics_ != nullptr.
  void RecordAttribution(const v1::Event& event, int64_t event_ms) const;
  // The index of `arm` in the running experiment when `experiment` is its name, else kNoArm.
  size_t ArmIndex(absl::string_view experiment, absl::string_view arm) const;
  // What every finished GetRecommendations / GetSimilarItems answer goes through: appended to
  // the log as a served recommendation (config.record_recommendations; not waited for: the log
  // writes it within its interval) and remembered for attribution by window. `asked_item`: the
  // item GetSimilarItems was asked about, "" for GetRecommendations.
  template <typename Response>
  void RecordServedRecommendation(const std::string& user_id, const std::string& session_id,
                                  absl::string_view asked_item, const Response& response) const;
  // The user's state for reading (a new user's when none is held or it comes from another
  // model version); sets *known to whether a usable state was held.
  UserState ReadState(const ServingModel& model, const std::string& user_id, int64_t now_ms,
                      bool* known) const;

  const ServerConfig& config_;
  const ServingModelHandle& model_;
  CatalogueUpdater& catalogue_;
  CatalogueReplicator* replicator_ = nullptr;  // Null: no --catalog_stream.
  const Experiment* experiment_ = nullptr;     // Null: no --experiments_file.
  UserStateStore& store_;
  const Clock& clock_;
  ServerMetrics* metrics_;
  EventLog* log_;  // Null: no durability.
  // What users were recently recommended, for attribution by window; null when
  // config.attribution_window_ms is 0. Its tags are arm indices, or kOutsideExperimentTag.
  std::unique_ptr<RecentRecommendations> recent_;
  static constexpr uint32_t kOutsideExperimentTag = UINT32_MAX;
  // Held by event writers across read, step and commit of a user (see event_handlers.cc).
  mutable internal::UserWriteLocks user_write_locks_;
};

}  // namespace hrnn

#endif  // HRNN_SERVER_REQUEST_HANDLERS_H_
