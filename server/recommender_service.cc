#include "server/recommender_service.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "server/status_conversion.h"

namespace hrnn {
namespace {

// A stream reports the reasons of at most this many rejected events (all are counted).
constexpr int kMaxReportedStreamRejections = 1000;

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Parses `wire` into `message`. Errors: InvalidArgument naming `method` and `what` was parsed.
template <typename Message>
absl::Status Parse(const char* method, absl::string_view what, const grpc::ByteBuffer& wire,
                   Message* message) {
  grpc::ByteBuffer copy(wire);  // Deserialize consumes its buffer; the copy shares the slices.
  if (grpc::SerializationTraits<Message>::Deserialize(&copy, message).ok()) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(method, ": ", what, " could not be parsed as ",
                                                 Message::descriptor()->full_name()));
}

// Writes `message`'s wire form to `wire`. Errors: Internal (a message over protobuf's 2 GiB).
template <typename Message>
absl::Status Serialize(const char* method, const Message& message, grpc::ByteBuffer* wire) {
  bool own_buffer = false;
  const grpc::Status status =
      grpc::SerializationTraits<Message>::Serialize(message, wire, &own_buffer);
  if (status.ok()) return absl::OkStatus();
  return absl::InternalError(
      absl::StrCat(method, ": the response could not be serialized: ", status.error_message()));
}

// One unary call's parsed request and typed response, kept alive until the call finishes.
template <typename Request, typename Response>
struct UnaryCall {
  Request request;
  Response response;
};

}  // namespace

class RecommenderService::EventStreamReactor final
    : public grpc::ServerReadReactor<grpc::ByteBuffer> {
 public:
  EventStreamReactor(RecommenderService* service, grpc::ByteBuffer* wire_response)
      : service_(*service),
        wire_response_(*wire_response),
        start_(std::chrono::steady_clock::now()) {
    if (service_.metrics_ != nullptr) service_.metrics_->StreamOpened();
    StartRead(&wire_event_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // The client half-closed (or the call was cancelled): acknowledge once durable.
      if (service_.waiter_ == nullptr) {
        FinishWith(absl::OkStatus());
      } else {
        service_.waiter_->WhenDurable(wait_seq_, [this](absl::Status s) { FinishWith(s); });
      }
      return;
    }
    event_.Clear();
    const absl::Status parsed =
        Parse("StreamEvents", absl::StrCat("event ", index_), wire_event_, &event_);
    wire_event_.Clear();
    if (!parsed.ok()) {
      FinishWith(parsed);
      return;
    }
    absl::StatusOr<uint64_t> seq =
        service_.handlers_.ApplyStreamEvent(event_, index_++, &response_);
    if (!seq.ok()) {
      FinishWith(seq.status());
      return;
    }
    wait_seq_ = std::max(wait_seq_, *seq);
    if (response_.rejected_size() > kMaxReportedStreamRejections) {
      response_.mutable_rejected()->RemoveLast();
    }
    StartRead(&wire_event_);
  }

  void OnDone() override {
    if (service_.metrics_ != nullptr) {
      service_.metrics_->StreamClosed();
      service_.metrics_->RecordRequest("StreamEvents", status_.code(), SecondsSince(start_));
    }
    service_.open_streams_.fetch_sub(1, std::memory_order_relaxed);
    delete this;
  }

 private:
  void FinishWith(absl::Status status) {
    status_ = std::move(status);
    if (status_.ok()) status_ = Serialize("StreamEvents", response_, &wire_response_);
    Finish(ToGrpcStatus(status_));
  }

  RecommenderService& service_;
  grpc::ByteBuffer& wire_response_;
  const std::chrono::steady_clock::time_point start_;
  v1::PutEventsResponse response_;
  grpc::ByteBuffer wire_event_;
  v1::Event event_;
  int index_ = 0;
  uint64_t wait_seq_ = 0;  // The highest log seq of the events applied.
  absl::Status status_;
};

RecommenderService::RecommenderService(const RequestHandlers* handlers, ServerMetrics* metrics,
                                       int max_open_streams,
                                       const TokenAuthenticator* authenticator,
                                       ScoringBatcher* batcher, DurabilityWaiter* waiter)
    : handlers_(*handlers),
      metrics_(metrics),
      max_open_streams_(max_open_streams),
      authenticator_(authenticator),
      batcher_(batcher),
      waiter_(waiter) {}

template <typename Request, typename Response>
grpc::ServerUnaryReactor* RecommenderService::RunUnary(
    grpc::CallbackServerContext* context, const char* method, const grpc::ByteBuffer* wire_request,
    grpc::ByteBuffer* wire_response,
    absl::Status (RequestHandlers::*handler)(const Request&, Response*) const) {
  const auto start = std::chrono::steady_clock::now();
  Request request;
  Response response;
  absl::Status status = Authenticate(*context);
  if (status.ok()) status = Parse(method, "the request", *wire_request, &request);
  if (status.ok()) status = (handlers_.*handler)(request, &response);
  if (status.ok()) status = Serialize(method, response, wire_response);
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  if (metrics_ != nullptr) metrics_->RecordRequest(method, status.code(), SecondsSince(start));
  return reactor;
}

template <typename Request, typename Response, typename Complete>
grpc::ServerUnaryReactor* RecommenderService::RunScored(
    grpc::CallbackServerContext* context, const char* method, const grpc::ByteBuffer* wire_request,
    grpc::ByteBuffer* wire_response,
    absl::Status (RequestHandlers::*whole)(const Request&, Response*) const,
    absl::StatusOr<std::optional<CataloguePass>> (RequestHandlers::*prepare)(const Request&,
                                                                             Response*) const,
    Complete complete) {
  if (batcher_ == nullptr) return RunUnary(context, method, wire_request, wire_response, whole);
  const auto start = std::chrono::steady_clock::now();
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto call = std::make_shared<UnaryCall<Request, Response>>();
  absl::Status status = Authenticate(*context);
  if (status.ok()) status = Parse(method, "the request", *wire_request, &call->request);
  absl::StatusOr<std::optional<CataloguePass>> prepared =
      status.ok() ? (handlers_.*prepare)(call->request, &call->response)
                  : absl::StatusOr<std::optional<CataloguePass>>(status);
  if (!prepared.ok() || !prepared->has_value()) {
    status = prepared.status();
    if (status.ok()) status = Serialize(method, call->response, wire_response);
    reactor->Finish(ToGrpcStatus(status));
    if (metrics_ != nullptr) metrics_->RecordRequest(method, status.code(), SecondsSince(start));
    return reactor;
  }
  // The scoring pass runs on a batcher thread, which finishes the call.
  auto pending = std::make_shared<CataloguePass>(std::move(**prepared));
  ScoringBatcher::Job job;
  job.model = pending->model;
  job.query = std::move(pending->query);
  job.deadline = context->deadline();
  job.done = [this, method, complete, reactor, call, wire_response, pending, start](
                 absl::Status scored, absl::Span<const float> scores) {
    if (scored.ok()) {
      complete(handlers_, call->request, *pending, scores, &call->response);
      if (metrics_ != nullptr) metrics_->RecordScoring(SecondsSince(start));
      scored = Serialize(method, call->response, wire_response);
    }
    reactor->Finish(ToGrpcStatus(scored));
    if (metrics_ != nullptr) metrics_->RecordRequest(method, scored.code(), SecondsSince(start));
  };
  batcher_->Submit(std::move(job));
  return reactor;
}

grpc::ServerUnaryReactor* RecommenderService::GetRecommendations(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return RunScored(
      context, "GetRecommendations", request, response, &RequestHandlers::GetRecommendations,
      &RequestHandlers::PrepareRecommendations,
      [](const RequestHandlers& handlers, const v1::GetRecommendationsRequest& in,
         CataloguePass& pass, absl::Span<const float> scores, v1::GetRecommendationsResponse* out) {
        handlers.CompleteRecommendations(in, pass, scores, out);
      });
}

grpc::ServerUnaryReactor* RecommenderService::GetSimilarItems(grpc::CallbackServerContext* context,
                                                              const grpc::ByteBuffer* request,
                                                              grpc::ByteBuffer* response) {
  return RunScored(
      context, "GetSimilarItems", request, response, &RequestHandlers::GetSimilarItems,
      &RequestHandlers::PrepareSimilarItems,
      [](const RequestHandlers& handlers, const v1::GetSimilarItemsRequest& in, CataloguePass& pass,
         absl::Span<const float> scores, v1::GetSimilarItemsResponse* out) {
        handlers.CompleteSimilarItems(in, pass, scores, out);
      });
}

grpc::ServerUnaryReactor* RecommenderService::GetPersonalizedRanking(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return RunUnary(context, "GetPersonalizedRanking", request, response,
                  &RequestHandlers::GetPersonalizedRanking);
}

grpc::ServerUnaryReactor* RecommenderService::PutEvents(grpc::CallbackServerContext* context,
                                                        const grpc::ByteBuffer* request,
                                                        grpc::ByteBuffer* response) {
  return RunDurable(context, "PutEvents", request, response, &RequestHandlers::ApplyEvents);
}

template <typename Request, typename Response>
grpc::ServerUnaryReactor* RecommenderService::RunDurable(
    grpc::CallbackServerContext* context, const char* method, const grpc::ByteBuffer* wire_request,
    grpc::ByteBuffer* wire_response,
    absl::StatusOr<uint64_t> (RequestHandlers::*handler)(const Request&, Response*) const) {
  const auto start = std::chrono::steady_clock::now();
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto finish = [this, reactor, method, start](absl::Status status) {
    reactor->Finish(ToGrpcStatus(status));
    if (metrics_ != nullptr) metrics_->RecordRequest(method, status.code(), SecondsSince(start));
  };
  Request request;
  Response response;
  absl::Status status = Authenticate(*context);
  if (status.ok()) status = Parse(method, "the request", *wire_request, &request);
  if (!status.ok()) {
    finish(status);
    return reactor;
  }
  absl::StatusOr<uint64_t> wait_seq = (handlers_.*handler)(request, &response);
  // The response is complete here; gRPC sends it only if the call finishes OK.
  if (wait_seq.ok()) {
    status = Serialize(method, response, wire_response);
    if (!status.ok()) wait_seq = status;
  }
  if (!wait_seq.ok()) {
    finish(wait_seq.status());
  } else if (waiter_ == nullptr) {
    finish(handlers_.WaitDurable(*wait_seq));  // No waiter thread: only without a log (seq 0).
  } else {
    waiter_->WhenDurable(*wait_seq, std::move(finish));
  }
  return reactor;
}

grpc::ServerReadReactor<grpc::ByteBuffer>* RecommenderService::StreamEvents(
    grpc::CallbackServerContext* context, grpc::ByteBuffer* response) {
  class Refused final : public grpc::ServerReadReactor<grpc::ByteBuffer> {
   public:
    explicit Refused(grpc::Status status) { Finish(std::move(status)); }
    void OnDone() override { delete this; }
  };
  absl::Status refused = Authenticate(*context);
  if (refused.ok()) {
    if (open_streams_.fetch_add(1, std::memory_order_relaxed) < max_open_streams_) {
      return new EventStreamReactor(this, response);
    }
    open_streams_.fetch_sub(1, std::memory_order_relaxed);
    refused = absl::ResourceExhaustedError(absl::StrCat(
        "StreamEvents: ", max_open_streams_, " streams already open (--max_concurrent_streams)"));
  }
  if (metrics_ != nullptr) metrics_->RecordRequest("StreamEvents", refused.code(), 0.0);
  return new Refused(ToGrpcStatus(refused));
}

absl::Status RecommenderService::Authenticate(const grpc::CallbackServerContext& context) const {
  if (authenticator_ == nullptr) return absl::OkStatus();
  const auto& metadata = context.client_metadata();
  const auto found = metadata.find("authorization");
  return authenticator_->Check(found == metadata.end()
                                   ? absl::string_view()
                                   : absl::string_view(found->second.data(), found->second.size()));
}

grpc::ServerUnaryReactor* RecommenderService::PutItems(grpc::CallbackServerContext* context,
                                                       const grpc::ByteBuffer* request,
                                                       grpc::ByteBuffer* response) {
  return RunDurable(context, "PutItems", request, response, &RequestHandlers::ApplyItems);
}

grpc::ServerUnaryReactor* RecommenderService::DeleteUser(grpc::CallbackServerContext* context,
                                                         const grpc::ByteBuffer* request,
                                                         grpc::ByteBuffer* response) {
  return RunDurable(context, "DeleteUser", request, response, &RequestHandlers::ForgetUser);
}

grpc::ServerUnaryReactor* RecommenderService::GetModelInfo(grpc::CallbackServerContext* context,
                                                           const grpc::ByteBuffer* request,
                                                           grpc::ByteBuffer* response) {
  return RunUnary(context, "GetModelInfo", request, response, &RequestHandlers::GetModelInfo);
}

grpc::ServerUnaryReactor* RecommenderService::ListFilters(grpc::CallbackServerContext* context,
                                                          const grpc::ByteBuffer* request,
                                                          grpc::ByteBuffer* response) {
  return RunUnary(context, "ListFilters", request, response, &RequestHandlers::ListFilters);
}

}  // namespace hrnn
