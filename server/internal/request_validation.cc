#include "server/internal/request_validation.h"

#include "absl/strings/str_cat.h"

namespace hrnn::internal {
namespace {

absl::Status ValidateIdList(absl::string_view field,
                            const google::protobuf::RepeatedPtrField<std::string>& ids,
                            int max_id_bytes) {
  if (ids.size() > kMaxListedItems) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": ", ids.size(), " ids, at most ", kMaxListedItems));
  }
  for (int i = 0; i < ids.size(); ++i) {
    absl::Status status =
        ValidateId(absl::StrCat(field, "[", i, "]"), ids[i], max_id_bytes, /*required=*/true);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateId(absl::string_view field, absl::string_view value, int max_bytes,
                        bool required) {
  if (required && value.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": must not be empty"));
  }
  if (static_cast<int64_t>(value.size()) > max_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": ", value.size(), " bytes, at most ", max_bytes));
  }
  return absl::OkStatus();
}

absl::Status ValidateCaller(absl::string_view user_id, absl::string_view session_id,
                            int max_id_bytes) {
  absl::Status status = ValidateId("user_id", user_id, max_id_bytes, /*required=*/true);
  if (!status.ok()) return status;
  return ValidateId("session_id", session_id, max_id_bytes, /*required=*/false);
}

absl::Status ValidateFilter(const v1::Filter& filter, int max_id_bytes) {
  absl::Status status =
      ValidateIdList("filter.exclude_item_ids", filter.exclude_item_ids(), max_id_bytes);
  if (!status.ok()) return status;
  status = ValidateIdList("filter.include_item_ids", filter.include_item_ids(), max_id_bytes);
  if (!status.ok()) return status;
  status = ValidateId("filter.name", filter.name(), max_id_bytes, /*required=*/false);
  if (!status.ok()) return status;
  return ValidateFilterValues("filter.values", filter.values(), max_id_bytes);
}

absl::Status ValidateFilterValues(
    absl::string_view field, const google::protobuf::Map<std::string, v1::FilterValues>& values,
    int max_id_bytes) {
  if (values.size() > kMaxFilterParameters) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": ", values.size(), " parameters, at most ", kMaxFilterParameters));
  }
  for (const auto& [name, listed] : values) {
    absl::Status status = ValidateId(absl::StrCat(field, " key"), name, max_id_bytes,
                                     /*required=*/true);
    if (!status.ok()) return status;
    status = ValidateIdList(absl::StrCat(field, "[", name, "]"), listed.values(), max_id_bytes);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

absl::Status ValidatePromotion(const v1::Promotion& promotion, int max_id_bytes) {
  absl::Status status =
      ValidateId("promotion.name", promotion.name(), max_id_bytes, /*required=*/true);
  if (!status.ok()) return status;
  if (promotion.percent_promoted_items() < 1 || promotion.percent_promoted_items() > 100) {
    return absl::InvalidArgumentError(
        absl::StrCat("promotion.percent_promoted_items: ", promotion.percent_promoted_items(),
                     " is outside 1..100"));
  }
  status = ValidateId("promotion.filter_name", promotion.filter_name(), max_id_bytes,
                      /*required=*/true);
  if (!status.ok()) return status;
  return ValidateFilterValues("promotion.filter_values", promotion.filter_values(), max_id_bytes);
}

absl::Status ValidateContext(const google::protobuf::Map<std::string, std::string>& context,
                             int max_id_bytes) {
  if (context.size() > kMaxContextEntries) {
    return absl::InvalidArgumentError(
        absl::StrCat("context: ", context.size(), " entries, at most ", kMaxContextEntries));
  }
  for (const auto& [key, value] : context) {
    absl::Status status = ValidateId("context key", key, max_id_bytes, /*required=*/true);
    if (!status.ok()) return status;
    status = ValidateId(absl::StrCat("context[", key, "]"), value, max_id_bytes,
                        /*required=*/false);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

}  // namespace hrnn::internal
