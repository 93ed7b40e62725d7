// RecommenderService: the hrnn.v1.Recommender gRPC service on the callback API. Its methods are
// raw: they parse the request bytes themselves, so a request that does not parse is answered
// INVALID_ARGUMENT naming the method (gRPC 1.51's typed handlers answer it UNIMPLEMENTED with no
// message). Thread-safe.
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

// The generated callback service with every method raw (ByteBuffer in, ByteBuffer out).
using RawRecommenderService = v1::Recommender::WithRawCallbackMethod_GetRecommendations<
    v1::Recommender::WithRawCallbackMethod_GetSimilarItems<
        v1::Recommender::WithRawCallbackMethod_GetPersonalizedRanking<
            v1::Recommender::WithRawCallbackMethod_PutEvents<
                v1::Recommender::WithRawCallbackMethod_StreamEvents<
                    v1::Recommender::WithRawCallbackMethod_PutItems<
                        v1::Recommender::WithRawCallbackMethod_DeleteUser<
                            v1::Recommender::WithRawCallbackMethod_GetModelInfo<
                                v1::Recommender::WithRawCallbackMethod_ListFilters<
                                    v1::Recommender::Service>>>>>>>>>;

// Each method runs its RequestHandlers function inline (CPU-bound, never blocking), converts the
// status with ToGrpcStatus, and records the call in the metrics; with a ScoringBatcher,
// GetRecommendations and GetSimilarItems hand their catalogue pass to the batcher, whose thread
// finishes the call.
// StreamEvents applies events as they arrive. With a TokenAuthenticator, every call must carry an
// accepted bearer token first (UNAUTHENTICATED otherwise).
class RecommenderService final : public RawRecommenderService {
 public:
  // Borrowed pointers must outlive the service; `metrics`, `authenticator`, `batcher` and
  // `waiter` may be null (no metrics; no authentication; GetRecommendations scored inline, one
  // pass per call; no event log, so nothing to wait for before acknowledging events). At most
  // `max_open_streams` StreamEvents calls run at once; more get RESOURCE_EXHAUSTED.
  RecommenderService(const RequestHandlers* handlers, ServerMetrics* metrics, int max_open_streams,
                     const TokenAuthenticator* authenticator = nullptr,
                     ScoringBatcher* batcher = nullptr, DurabilityWaiter* waiter = nullptr);

  // Each method parses `request` as its hrnn.v1 request message (INVALID_ARGUMENT
  // "<Method>: the request could not be parsed as <message>" when it does not, after
  // authentication) and, when the call succeeds, writes the serialized response to `response`.
  // StreamEvents parses each event; one that does not parse ends the stream with
  // INVALID_ARGUMENT naming its index (the events before it stay applied).
  grpc::ServerUnaryReactor* GetRecommendations(grpc::CallbackServerContext* context,
                                               const grpc::ByteBuffer* request,
                                               grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* GetSimilarItems(grpc::CallbackServerContext* context,
                                            const grpc::ByteBuffer* request,
                                            grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* GetPersonalizedRanking(grpc::CallbackServerContext* context,
                                                   const grpc::ByteBuffer* request,
                                                   grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* PutEvents(grpc::CallbackServerContext* context,
                                      const grpc::ByteBuffer* request,
                                      grpc::ByteBuffer* response) override;
  grpc::ServerReadReactor<grpc::ByteBuffer>* StreamEvents(grpc::CallbackServerContext* context,
                                                          grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* PutItems(grpc::CallbackServerContext* context,
                                     const grpc::ByteBuffer* request,
                                     grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* DeleteUser(grpc::CallbackServerContext* context,
                                       const grpc::ByteBuffer* request,
                                       grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* GetModelInfo(grpc::CallbackServerContext* context,
                                         const grpc::ByteBuffer* request,
                                         grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ListFilters(grpc::CallbackServerContext* context,
                                        const grpc::ByteBuffer* request,
                                        grpc::ByteBuffer* response) override;

  // The method names recorded in the metrics.
  static std::vector<std::string> MethodNames() {
    return {"GetRecommendations", "GetSimilarItems", "GetPersonalizedRanking",
            "PutEvents",          "StreamEvents",    "PutItems",
            "DeleteUser",         "GetModelInfo",    "ListFilters"};
  }

  // StreamEvents calls open now.
  int open_streams() const { return open_streams_.load(std::memory_order_relaxed); }

 private:
  class EventStreamReactor;

  // Parses `wire_request`, runs `handler(request, response)`, serializes the response into
  // `wire_response`, finishes the call with the status and records it.
  template <typename Request, typename Response>
  grpc::ServerUnaryReactor* RunUnary(grpc::CallbackServerContext* context, const char* method,
                                     const grpc::ByteBuffer* wire_request,
                                     grpc::ByteBuffer* wire_response,
                                     absl::Status (RequestHandlers::*handler)(const Request&,
                                                                              Response*) const);

  // A call with a catalogue pass: without a batcher, RunUnary(whole); with one, `prepare` on
  // this thread, the pass on a batcher thread, then `complete(handlers, pass, scores,
  // response)` there, which finishes the call. `complete` is a stateless lambda rather than a
  // pointer to member: g++ 12 at -O1 (the ASan build) warns maybe-uninitialized on a member
  // pointer captured by the batcher's callback.
  template <typename Request, typename Response, typename Complete>
  grpc::ServerUnaryReactor* RunScored(
      grpc::CallbackServerContext* context, const char* method,
      const grpc::ByteBuffer* wire_request, grpc::ByteBuffer* wire_response,
      absl::Status (RequestHandlers::*whole)(const Request&, Response*) const,
      absl::StatusOr<std::optional<CataloguePass>> (RequestHandlers::*prepare)(const Request&,
                                                                               Response*) const,
      Complete complete);

  // As RunUnary, but finishes the call once the log holds what `handler` acknowledges (on the
  // waiter's thread).
  template <typename Request, typename Response>
  grpc::ServerUnaryReactor* RunDurable(
      grpc::CallbackServerContext* context, const char* method,
      const grpc::ByteBuffer* wire_request, grpc::ByteBuffer* wire_response,
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
