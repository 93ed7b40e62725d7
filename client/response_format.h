// Renders Recommender responses for people (aligned tables) and for programs (JSON with the
// proto field names), as hrnn-cli prints them. Stateless functions; thread-safe.
#ifndef HRNN_CLIENT_RESPONSE_FORMAT_H_
#define HRNN_CLIENT_RESPONSE_FORMAT_H_

#include <string>

#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "grpc/health/v1/health.pb.h"
#include "hrnn/v1/recommender.pb.h"

namespace hrnn::client {

// The message as one line of JSON: proto field names (snake_case), fields at their default
// values included, 64-bit integers as strings (the proto3 JSON mapping). Returns Internal if
// protobuf cannot convert it.
absl::StatusOr<std::string> ToJson(const google::protobuf::Message& message);

// Tables, each ending in a newline. The first line of a recommendation or ranking table
// summarises the response; then a column header; then one row per item:
//   "<rank> <item_id> <score>" (ranking: plus "known" or "unknown"). Model info is one
// "<field> <value>" row per field ("-" for an empty value), then "metric <name> <value>" rows.
std::string FormatRecommendations(const hrnn::v1::GetRecommendationsResponse& response);
// Similar items: "<n> item(s), recipe <r>[ (<b> back-filled)], model <v>, recommendation <id>".
std::string FormatSimilarItems(const hrnn::v1::GetSimilarItemsResponse& response);
std::string FormatRanking(const hrnn::v1::GetPersonalizedRankingResponse& response);
std::string FormatPutEvents(const hrnn::v1::PutEventsResponse& response);
std::string FormatPutItems(const hrnn::v1::PutItemsResponse& response);
std::string FormatDeleteUser(const hrnn::v1::DeleteUserResponse& response);
std::string FormatModelInfo(const hrnn::v1::ModelInfo& info);
// Named filters: one "NAME(PARAM[:number], ...): EXPRESSION" line per filter, in the server's
// order (":number" marks a numeric parameter); "" when there are none.
std::string FormatFilters(const hrnn::v1::ListFiltersResponse& response);

// "SERVING", "NOT_SERVING", "UNKNOWN" or "SERVICE_UNKNOWN".
std::string ServingStatusName(::grpc::health::v1::HealthCheckResponse::ServingStatus status);

}  // namespace hrnn::client

#endif  // HRNN_CLIENT_RESPONSE_FORMAT_H_
