#include "client/recommender_client.h"

#include <utility>

#include "client/grpc_status.h"
#include "client/internal/backoff.h"
#include "client/routing_metadata.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"

namespace hrnn::client {
namespace {

// The user id shared by every event, or "" when there are none or they differ.
std::string CommonUserId(const hrnn::v1::PutEventsRequest& request) {
  if (request.events().empty()) return "";
  const std::string& first = request.events(0).user_id();
  for (const hrnn::v1::Event& event : request.events()) {
    if (event.user_id() != first) return "";
  }
  return first;
}

}  // namespace

absl::StatusOr<std::unique_ptr<RecommenderClient>> RecommenderClient::Create(
    ClientOptions options) {
  if (absl::Status status = options.Validate(); !status.ok()) return status;
  std::shared_ptr<grpc::ChannelCredentials> credentials =
      options.credentials != nullptr ? options.credentials : grpc::InsecureChannelCredentials();
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateCustomChannel(options.target, credentials, args);
  return std::unique_ptr<RecommenderClient>(
      new RecommenderClient(std::move(options), std::move(channel)));
}

RecommenderClient::RecommenderClient(ClientOptions options, std::shared_ptr<grpc::Channel> channel)
    : options_(std::move(options)),
      channel_(std::move(channel)),
      stub_(hrnn::v1::Recommender::NewStub(channel_)),
      health_stub_(::grpc::health::v1::Health::NewStub(channel_)) {}

absl::Duration RecommenderClient::NextBackoff(int retry) {
  absl::MutexLock lock(&mu_);
  return internal::RetryBackoff(retry, options_.initial_backoff, options_.max_backoff, gen_);
}

template <typename Response>
absl::StatusOr<Response> RecommenderClient::CallWithRetries(absl::string_view user_id,
                                                            const Attempt<Response>& attempt) {
  const absl::Time deadline = absl::Now() + options_.deadline;
  const std::string user_metadata = user_id.empty() ? "" : UserIdMetadataValue(user_id);
  grpc::Status status;
  for (int attempt_number = 1;; ++attempt_number) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(deadline));
    if (!user_id.empty()) context.AddMetadata(kUserIdMetadataKey, user_metadata);
    Response response;
    status = attempt(&context, &response);
    if (status.ok()) return response;
    if (status.error_code() != grpc::StatusCode::UNAVAILABLE ||
        attempt_number >= options_.max_attempts) {
      break;
    }
    const absl::Duration backoff = NextBackoff(attempt_number);
    if (absl::Now() + backoff >= deadline) break;
    absl::SleepFor(backoff);
  }
  return FromGrpcStatus(status);
}

absl::StatusOr<hrnn::v1::GetRecommendationsResponse> RecommenderClient::GetRecommendations(
    const hrnn::v1::GetRecommendationsRequest& request) {
  return CallWithRetries<hrnn::v1::GetRecommendationsResponse>(
      request.user_id(), [&](grpc::ClientContext* context, auto* response) {
        return stub_->GetRecommendations(context, request, response);
      });
}

absl::StatusOr<hrnn::v1::GetSimilarItemsResponse> RecommenderClient::GetSimilarItems(
    const hrnn::v1::GetSimilarItemsRequest& request) {
  return CallWithRetries<hrnn::v1::GetSimilarItemsResponse>(
      request.user_id(), [&](grpc::ClientContext* context, auto* response) {
        return stub_->GetSimilarItems(context, request, response);
      });
}

absl::StatusOr<hrnn::v1::GetPersonalizedRankingResponse> RecommenderClient::GetPersonalizedRanking(
    const hrnn::v1::GetPersonalizedRankingRequest& request) {
  return CallWithRetries<hrnn::v1::GetPersonalizedRankingResponse>(
      request.user_id(), [&](grpc::ClientContext* context, auto* response) {
        return stub_->GetPersonalizedRanking(context, request, response);
      });
}

absl::StatusOr<hrnn::v1::PutEventsResponse> RecommenderClient::PutEvents(
    const hrnn::v1::PutEventsRequest& request) {
  return CallWithRetries<hrnn::v1::PutEventsResponse>(
      CommonUserId(request), [&](grpc::ClientContext* context, auto* response) {
        return stub_->PutEvents(context, request, response);
      });
}

absl::StatusOr<hrnn::v1::PutItemsResponse> RecommenderClient::PutItems(
    const hrnn::v1::PutItemsRequest& request) {
  return CallWithRetries<hrnn::v1::PutItemsResponse>(
      "", [&](grpc::ClientContext* context, auto* response) {
        return stub_->PutItems(context, request, response);
      });
}

absl::StatusOr<hrnn::v1::DeleteUserResponse> RecommenderClient::DeleteUser(
    const hrnn::v1::DeleteUserRequest& request) {
  return CallWithRetries<hrnn::v1::DeleteUserResponse>(
      request.user_id(), [&](grpc::ClientContext* context, auto* response) {
        return stub_->DeleteUser(context, request, response);
      });
}

absl::StatusOr<hrnn::v1::ModelInfo> RecommenderClient::GetModelInfo() {
  const hrnn::v1::GetModelInfoRequest request;
  return CallWithRetries<hrnn::v1::ModelInfo>(
      "", [&](grpc::ClientContext* context, auto* response) {
        return stub_->GetModelInfo(context, request, response);
      });
}

absl::StatusOr<hrnn::v1::ListFiltersResponse> RecommenderClient::ListFilters() {
  const hrnn::v1::ListFiltersRequest request;
  return CallWithRetries<hrnn::v1::ListFiltersResponse>(
      "", [&](grpc::ClientContext* context, auto* response) {
        return stub_->ListFilters(context, request, response);
      });
}

absl::StatusOr<RecommenderClient::ServingStatus> RecommenderClient::HealthCheck(
    const std::string& service) {
  ::grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  absl::StatusOr<::grpc::health::v1::HealthCheckResponse> response =
      CallWithRetries<::grpc::health::v1::HealthCheckResponse>(
          "", [&](grpc::ClientContext* context, auto* out) {
            return health_stub_->Check(context, request, out);
          });
  if (!response.ok()) return response.status();
  return response->status();
}

std::unique_ptr<EventStream> RecommenderClient::StreamEvents(absl::string_view user_id) {
  return EventStream::Open(stub_.get(), user_id, options_.stream_deadline);
}

}  // namespace hrnn::client
