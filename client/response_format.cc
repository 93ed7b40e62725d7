#include "client/response_format.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "google/protobuf/util/json_util.h"

namespace hrnn::client {
namespace {

// Width of the item id column: the longest id, at least "item_id".
template <typename Items>
int ItemColumnWidth(const Items& items) {
  size_t width = 7;
  for (const auto& item : items) width = std::max(width, item.item_id().size());
  return static_cast<int>(width);
}

std::string Summary(const std::string& state, int64_t model_version,
                    const std::string& recommendation_id, int count) {
  return absl::StrFormat("%d item(s), state %s, model %d, recommendation %s\n", count,
                         state.empty() ? "-" : state, model_version,
                         recommendation_id.empty() ? "-" : recommendation_id);
}

}  // namespace

absl::StatusOr<std::string> ToJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  std::string json;
  const auto status = google::protobuf::util::MessageToJsonString(message, &json, options);
  if (!status.ok()) {
    return absl::InternalError(
        absl::StrCat("JSON conversion of ", message.GetTypeName(), ": ", status.ToString()));
  }
  return json;
}

std::string FormatRecommendations(const hrnn::v1::GetRecommendationsResponse& response) {
  const int width = ItemColumnWidth(response.items());
  std::string out = Summary(response.state(), response.model_version(),
                            response.recommendation_id(), response.items_size());
  if (!response.recipe().empty()) {
    std::string recipe = absl::StrCat(", recipe ", response.recipe());
    if (response.backfilled() > 0)
      absl::StrAppend(&recipe, " (", response.backfilled(), " back-filled)");
    if (!response.arm().empty()) {
      absl::StrAppend(&recipe, ", arm ", response.arm(), " of experiment ", response.experiment());
    }
    out.insert(out.find(", model "), recipe);
  }
  // A promotion column only when a promotion placed items.
  const bool promoted = std::any_of(response.items().begin(), response.items().end(),
                                    [](const auto& item) { return !item.promotion().empty(); });
  absl::StrAppendFormat(&out, "%4s  %-*s  %10s%s\n", "rank", width, "item_id", "score",
                        promoted ? "  promotion" : "");
  for (int i = 0; i < response.items_size(); ++i) {
    const hrnn::v1::ScoredItem& item = response.items(i);
    absl::StrAppendFormat(&out, "%4d  %-*s  %10.4f%s\n", i + 1, width, item.item_id(), item.score(),
                          promoted ? absl::StrCat("  ", item.promotion()) : "");
  }
  return out;
}

std::string FormatSimilarItems(const hrnn::v1::GetSimilarItemsResponse& response) {
  const int width = ItemColumnWidth(response.items());
  std::string out = absl::StrFormat("%d item(s), recipe %s", response.items_size(),
                                    response.recipe().empty() ? "-" : response.recipe());
  if (response.backfilled() > 0)
    absl::StrAppend(&out, " (", response.backfilled(), " back-filled)");
  absl::StrAppendFormat(&out, ", model %d, recommendation %s\n", response.model_version(),
                        response.recommendation_id().empty() ? "-" : response.recommendation_id());
  absl::StrAppendFormat(&out, "%4s  %-*s  %10s\n", "rank", width, "item_id", "score");
  for (int i = 0; i < response.items_size(); ++i) {
    const hrnn::v1::ScoredItem& item = response.items(i);
    absl::StrAppendFormat(&out, "%4d  %-*s  %10.4f\n", i + 1, width, item.item_id(), item.score());
  }
  return out;
}

std::string FormatRanking(const hrnn::v1::GetPersonalizedRankingResponse& response) {
  const int width = ItemColumnWidth(response.items());
  std::string out = Summary(response.state(), response.model_version(),
                            response.recommendation_id(), response.items_size());
  absl::StrAppendFormat(&out, "%4s  %-*s  %10s  %s\n", "rank", width, "item_id", "score", "known");
  for (int i = 0; i < response.items_size(); ++i) {
    const hrnn::v1::RankedItem& item = response.items(i);
    absl::StrAppendFormat(&out, "%4d  %-*s  %10.4f  %s\n", i + 1, width, item.item_id(),
                          item.score(), item.known() ? "known" : "unknown");
  }
  return out;
}

std::string FormatPutEvents(const hrnn::v1::PutEventsResponse& response) {
  std::string out =
      absl::StrFormat("accepted %d, rejected %d\n", response.accepted(), response.rejected_size());
  for (const hrnn::v1::RejectedEvent& rejected : response.rejected()) {
    absl::StrAppendFormat(&out, "  event %d: %s\n", rejected.index(), rejected.reason());
  }
  return out;
}

std::string FormatPutItems(const hrnn::v1::PutItemsResponse& response) {
  std::string out = absl::StrFormat("updated %d, unknown %d\n", response.updated(),
                                    response.unknown_item_ids_size());
  for (const std::string& id : response.unknown_item_ids()) {
    absl::StrAppendFormat(&out, "  unknown item %s\n", id);
  }
  return out;
}

std::string FormatDeleteUser(const hrnn::v1::DeleteUserResponse& response) {
  return response.deleted() ? "deleted: the server held state for the user\n"
                            : "deleted: nothing (the server held no state for the user)\n";
}

std::string FormatModelInfo(const hrnn::v1::ModelInfo& info) {
  std::string out;
  auto row = [&out](absl::string_view name, absl::string_view value) {
    absl::StrAppendFormat(&out, "%-18s %s\n", name, value.empty() ? "-" : value);
  };
  row("name", info.name());
  row("version", absl::StrCat(info.version()));
  row("mode", info.mode());
  row("loss", info.loss());
  row("num_items", absl::StrCat(info.num_items()));
  row("hidden_size", absl::StrCat(info.hidden_size()));
  row("user_hidden_size", absl::StrCat(info.user_hidden_size()));
  row("item_table", info.item_table());
  row("unavailable_items", absl::StrCat(info.unavailable_items()));
  row("recipes", absl::StrJoin(info.recipes(), ", "));
  row("default_recipe", info.default_recipe());
  const std::map<std::string, double> blend(info.blend_weights().begin(),
                                            info.blend_weights().end());
  std::string weights;
  for (const auto& [name, weight] : blend) {
    absl::StrAppendFormat(&weights, "%s%s %g", weights.empty() ? "" : ", ", name, weight);
  }
  row("blend_weights", weights);
  std::string fields;
  for (const hrnn::v1::ItemField& field : info.item_fields()) {
    absl::StrAppend(&fields, fields.empty() ? "" : ", ", field.name(), " (", field.kind(), ")");
  }
  row("item_fields", fields);
  row("attribute_items", absl::StrCat(info.items_with_attributes()));
  row("data_fingerprint", info.data_fingerprint());
  row("created_at", info.created_at());
  row("loaded_at",
      info.loaded_at_ms() == 0
          ? std::string()
          : absl::FormatTime(absl::RFC3339_sec, absl::FromUnixMillis(info.loaded_at_ms()),
                             absl::UTCTimeZone()));
  // Sorted, so the output is stable.
  const std::map<std::string, double> metrics(info.metrics().begin(), info.metrics().end());
  for (const auto& [name, value] : metrics) {
    row(absl::StrCat("metric ", name), absl::StrFormat("%.6g", value));
  }
  return out;
}

std::string FormatFilters(const hrnn::v1::ListFiltersResponse& response) {
  std::string out;
  for (const hrnn::v1::NamedFilterInfo& filter : response.filters()) {
    absl::StrAppend(&out, filter.name(), "(",
                    absl::StrJoin(filter.parameters(), ", ",
                                  [](std::string* to, const hrnn::v1::FilterParameterInfo& p) {
                                    absl::StrAppend(to, p.name(), p.numeric() ? ":number" : "");
                                  }),
                    "): ", filter.expression(), "\n");
  }
  return out;
}

std::string ServingStatusName(::grpc::health::v1::HealthCheckResponse::ServingStatus status) {
  return ::grpc::health::v1::HealthCheckResponse::ServingStatus_Name(status);
}

}  // namespace hrnn::client
