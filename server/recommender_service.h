// RecommenderService: the hrnn.v1.Recommender gRPC service on the callback API. Each method runs
// its RequestHandlers function inline (CPU-bound, never blocking), converts the status with
// ToGrpcStatus, and records the call in the metrics; with a ScoringBatcher, GetRecommendations
// hands its catalogue pass to the batcher, whose thread finishes the call. StreamEvents applies
// events as they arrive.
// With a TokenAuthenticator, every call must carry an accepted bearer token first
// (UNAUTHENTICATED otherwise). Thread-safe.
#ifndef HRNN_SERVER_RECOMMENDER_SERVICE_H_
#define HRNN_SERVER_RECOMMENDER_SERVICE_H_

#include <atomic>

#include "hrnn/v1/recommender.grpc.pb.h"
#include "server/durability_waiter.h"
#include "server/request_handlers.h"
#include "server/scoring_batcher.h"
#include "server/server_metrics.h"
#include "server/token_authenticator.h"

namespace hrnn {

class RecommenderService final : public v1::Recommender::CallbackService {
 public:
  // Borrowed pointers must outlive the service; `metrics`, `authenticator`, `batcher` and
  // `waiter` may be null (no metrics; no authentication; GetRecommendations scored inline, one
  // pass per call; no event log, so nothing to wait for before acknowledging events). At most
  // `max_open_streams` StreamEvents calls run at once; more get RESOURCE_EXHAUSTED.
  RecommenderService(const RequestHandlers* handlers, ServerMetrics* metrics, int max_open_streams,
                     const TokenAuthenticator* authenticator = nullptr,
                     ScoringBatcher* batcher = nullptr, DurabilityWaiter* waiter = nullptr);

  grpc::ServerUnaryReactor* GetRecommendations(grpc::CallbackServerContext* context,
                                               const v1::GetRecommendationsRequest* request,
                                               v1::GetRecommendationsResponse* response) override;
  grpc::ServerUnaryReactor* GetPersonalizedRanking(
      grpc::CallbackServerContext* context, const v1::GetPersonalizedRankingRequest* request,
      v1::GetPersonalizedRankingResponse* response) override;
  grpc::ServerUnaryReactor* PutEvents(grpc::CallbackServerContext* context,
                                      const v1::PutEventsRequest* request,
                                      v1::PutEventsResponse* response) override;
  grpc::ServerReadReactor<v1::Event>* StreamEvents(grpc::CallbackServerContext* context,
                                                   v1::PutEventsResponse* response) override;
  grpc::ServerUnaryReactor* PutItems(grpc::CallbackServerContext* context,
                                     const v1::PutItemsRequest* request,
                                     v1::PutItemsResponse* response) override;
  grpc::ServerUnaryReactor* DeleteUser(grpc::CallbackServerContext* context,
                                       const v1::DeleteUserRequest* request,
                                       v1::DeleteUserResponse* response) override;
  grpc::ServerUnaryReactor* GetModelInfo(grpc::CallbackServerContext* context,
                                         const v1::GetModelInfoRequest* request,
                                         v1::ModelInfo* response) override;

  // The method names recorded in the metrics.
  static std::vector<std::string> MethodNames() {
    return {"GetRecommendations", "GetPersonalizedRanking",
            "PutEvents",          "StreamEvents",
            "PutItems",           "DeleteUser",
            "GetModelInfo"};
  }

  // StreamEvents calls open now.
  int open_streams() const { return open_streams_.load(std::memory_order_relaxed); }

 private:
  class EventStreamReactor;

  // Runs `handler(request, response)`, finishes the call with its status and records it.
  template <typename Request, typename Response>
  grpc::ServerUnaryReactor* RunUnary(grpc::CallbackServerContext* context, const char* method,
                                     const Request* request, Response* response,
                                     absl::Status (RequestHandlers::*handler)(const Request&,
                                                                              Response*) const);

  // Runs `handler`, then finishes the call once the log holds what it acknowledges (on the
  // waiter's thread), recording it.
  template <typename Request, typename Response>
  grpc::ServerUnaryReactor* RunDurable(
      grpc::CallbackServerContext* context, const char* method, const Request* request,
      Response* response,
      absl::StatusOr<uint64_t> (RequestHandlers::*handler)(const Request&, Response*) const);

  // OK when no authenticator is set or the call carries an accepted token.
  absl::Status Authenticate(const grpc::CallbackServerContext& context) const;

  const RequestHandlers& handlers_;
  ServerMetrics* metrics_;
  const int max_open_streams_;
  const TokenAuthenticator* const authenticator_;
  ScoringBatcher* const batcher_;
  DurabilityWaiter* const waiter_;
  std::atomic<int> open_streams_{0};
};

}  // namespace hrnn

#endif  // HRNN_SERVER_RECOMMENDER_SERVICE_H_
