// RequestHandlers: the body of every hrnn.v1.Recommender RPC as a plain function from request
// to response (validation, state lookup and update, scoring, filters), so that it is unit-tested
// without gRPC; RecommenderService only adapts these to the callback API. Errors are
// absl::Status with the field named (INVALID_ARGUMENT), UNAVAILABLE when no model is loaded.
// Thread-safe: any number of calls may run at once (state is committed with the store's
// compare-and-set, so concurrent events of one user are serialised, not lost).
#ifndef HRNN_SERVER_REQUEST_HANDLERS_H_
#define HRNN_SERVER_REQUEST_HANDLERS_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/clock.h"
#include "core/serving_model.h"
#include "core/state/user_state_store.h"
#include "core/top_k.h"
#include "hrnn/v1/recommender.pb.h"
#include "server/server_config.h"
#include "server/server_metrics.h"

namespace hrnn {

// A GetRecommendations call between PrepareRecommendations and CompleteRecommendations: the
// query vector to score the catalogue with, and what to exclude from the top items.
struct PendingRecommendation {
  std::shared_ptr<const ServingModel> model;
  std::vector<float> query;  // hidden_size() floats.
  int num_results = 0;
  std::shared_ptr<const ItemAvailability::Mask> unavailable;  // Keeps `exclusions`' mask alive.
  ItemExclusions exclusions;
};

class RequestHandlers {
 public:
  // All pointers are borrowed and must outlive this object; `metrics` may be null.
  RequestHandlers(const ServerConfig* config, const ServingModelHandle* model,
                  UserStateStore* store, const Clock* clock, ServerMetrics* metrics);

  // The whole call: Prepare, score the catalogue (config.scoring "naive": Eigen and
  // std::partial_sort; otherwise the SIMD kernels and the heap top-k), Complete.
  absl::Status GetRecommendations(const v1::GetRecommendationsRequest& request,
                                  v1::GetRecommendationsResponse* response) const;
  // Validates the request, reads the user's state and fills the response's id, model version
  // and state. Returns the catalogue pass still to do, or nullopt when the response is already
  // complete (an include list is scored directly). Errors as GetRecommendations.
  absl::StatusOr<std::optional<PendingRecommendation>> PrepareRecommendations(
      const v1::GetRecommendationsRequest& request,
      v1::GetRecommendationsResponse* response) const;
  // Selects the top items from `scores` (every item's) and appends them to the response.
  void CompleteRecommendations(PendingRecommendation& pending, absl::Span<const float> scores,
                               v1::GetRecommendationsResponse* response) const;
  absl::Status GetPersonalizedRanking(const v1::GetPersonalizedRankingRequest& request,
                                      v1::GetPersonalizedRankingResponse* response) const;
  // Call-level errors: no model (UNAVAILABLE), no events or more than max_events_per_call
  // (INVALID_ARGUMENT naming "events"). Per-event problems are reported in the response.
  absl::Status PutEvents(const v1::PutEventsRequest& request,
                         v1::PutEventsResponse* response) const;
  // One event of a stream at position `index`: counted as accepted in `response`, or appended
  // to its rejected list. Errors: UNAVAILABLE when no model is loaded (nothing recorded).
  absl::Status ApplyStreamEvent(const v1::Event& event, int index,
                                v1::PutEventsResponse* response) const;
  absl::Status PutItems(const v1::PutItemsRequest& request, v1::PutItemsResponse* response) const;
  absl::Status DeleteUser(const v1::DeleteUserRequest& request,
                          v1::DeleteUserResponse* response) const;
  absl::Status GetModelInfo(const v1::GetModelInfoRequest& request,
                            v1::ModelInfo* response) const;

 private:
  // The model to answer with, or UNAVAILABLE.
  absl::StatusOr<std::shared_ptr<const ServingModel>> CurrentModel() const;
  // Validates and applies one event; returns how it ended and, when rejected, why.
  EventResult ApplyEvent(const ServingModel& model, const v1::Event& event, int64_t now_ms,
                         std::string* reason) const;
  // ApplyEvent, then counts the event in `response` (accepted, or rejected at `index`) and in
  // the metrics.
  void ApplyAndRecord(const ServingModel& model, const v1::Event& event, int index,
                      int64_t now_ms, v1::PutEventsResponse* response) const;
  // The user's state for reading (a new user's when none is held or it comes from another
  // model version); sets *known to whether a usable state was held.
  UserState ReadState(const ServingModel& model, const std::string& user_id, int64_t now_ms,
                      bool* known) const;

  const ServerConfig& config_;
  const ServingModelHandle& model_;
  UserStateStore& store_;
  const Clock& clock_;
  ServerMetrics* metrics_;
};

}  // namespace hrnn

#endif  // HRNN_SERVER_REQUEST_HANDLERS_H_
