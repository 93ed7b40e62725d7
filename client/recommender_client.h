// RecommenderClient: the C++ client of the hrnn.v1 Recommender service and its gRPC health
// service: one channel, a deadline per call, retries on UNAVAILABLE with jittered exponential
// backoff, and the hrnn-user-id routing metadata on every call about a user.
// Thread-safe: share one client between threads (gRPC channels and stubs are thread-safe).
#ifndef HRNN_CLIENT_RECOMMENDER_CLIENT_H_
#define HRNN_CLIENT_RECOMMENDER_CLIENT_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "client/client_options.h"
#include "client/event_stream.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/channel.h"
#include "hrnn/v1/recommender.grpc.pb.h"

namespace hrnn::client {

class RecommenderClient {
 public:
  using ServingStatus = ::grpc::health::v1::HealthCheckResponse::ServingStatus;

  // Creates a client for options.target. Connecting is lazy: an unreachable server shows as
  // UNAVAILABLE on the first call, not here. Returns InvalidArgument for bad options.
  static absl::StatusOr<std::unique_ptr<RecommenderClient>> Create(ClientOptions options);

  RecommenderClient(const RecommenderClient&) = delete;
  RecommenderClient& operator=(const RecommenderClient&) = delete;

  // The unary RPCs. Each returns the response, or the call's status with the server's code and
  // message (INVALID_ARGUMENT naming the field, UNAVAILABLE when no model is loaded or the server
  // cannot be reached after options().max_attempts attempts, DEADLINE_EXCEEDED, ...).
  // Calls about a user send its id as hrnn-user-id metadata; PutEvents sends it when every event
  // has the same user id.
  absl::StatusOr<hrnn::v1::GetRecommendationsResponse> GetRecommendations(
      const hrnn::v1::GetRecommendationsRequest& request);
  // user_id is optional here (only the filter's user-based options read it).
  absl::StatusOr<hrnn::v1::GetSimilarItemsResponse> GetSimilarItems(
      const hrnn::v1::GetSimilarItemsRequest& request);
  absl::StatusOr<hrnn::v1::GetPersonalizedRankingResponse> GetPersonalizedRanking(
      const hrnn::v1::GetPersonalizedRankingRequest& request);
  absl::StatusOr<hrnn::v1::PutEventsResponse> PutEvents(const hrnn::v1::PutEventsRequest& request);
  absl::StatusOr<hrnn::v1::PutItemsResponse> PutItems(const hrnn::v1::PutItemsRequest& request);
  absl::StatusOr<hrnn::v1::DeleteUserResponse> DeleteUser(
      const hrnn::v1::DeleteUserRequest& request);
  absl::StatusOr<hrnn::v1::ModelInfo> GetModelInfo();
  // The server's named filters (its --filters_file), for Filter.name and Filter.values.
  absl::StatusOr<hrnn::v1::ListFiltersResponse> ListFilters();

  // grpc.health.v1.Health/Check for `service` ("" = the whole server, "hrnn.v1.Recommender").
  // Returns the serving status; NOT_FOUND when the server does not know `service`.
  absl::StatusOr<ServingStatus> HealthCheck(const std::string& service);

  // Opens a client stream of events (StreamEvents). Not retried; bounded by
  // options().stream_deadline. `user_id`, when not empty, is sent as hrnn-user-id (for a stream
  // about one user). The stream must not outlive this client.
  std::unique_ptr<EventStream> StreamEvents(absl::string_view user_id = {});

  const ClientOptions& options() const { return options_; }

 private:
  // One attempt: fills the response and returns the status, using the given context.
  template <typename Response>
  using Attempt = std::function<grpc::Status(grpc::ClientContext*, Response*)>;

  RecommenderClient(ClientOptions options, std::shared_ptr<grpc::Channel> channel);

  // Runs `attempt` until it succeeds, fails with a code other than UNAVAILABLE, runs out of
  // attempts, or the next backoff would pass the call's deadline.
  template <typename Response>
  absl::StatusOr<Response> CallWithRetries(absl::string_view user_id,
                                           const Attempt<Response>& attempt);

  absl::Duration NextBackoff(int retry) ABSL_LOCKS_EXCLUDED(mu_);

  const ClientOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<hrnn::v1::Recommender::Stub> stub_;
  std::unique_ptr<::grpc::health::v1::Health::Stub> health_stub_;
  absl::Mutex mu_;
  absl::BitGen gen_ ABSL_GUARDED_BY(mu_);  // Backoff jitter.
};

}  // namespace hrnn::client

#endif  // HRNN_CLIENT_RECOMMENDER_CLIENT_H_
