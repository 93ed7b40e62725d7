// Input checks shared by the request handlers. Each returns InvalidArgument with a message that
// starts with the field's name (e.g. "filter.exclude_item_ids[3]: ..."). Stateless.
#ifndef HRNN_SERVER_INTERNAL_REQUEST_VALIDATION_H_
#define HRNN_SERVER_INTERNAL_REQUEST_VALIDATION_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "hrnn/v1/recommender.pb.h"

namespace hrnn::internal {

// Most items in an explicit list (filters, ranking input, impressions). DESIGN §5.
inline constexpr int kMaxListedItems = 500;
// Most entries in a request's context map.
inline constexpr int kMaxContextEntries = 32;
// Most parameters in Filter.values.
inline constexpr int kMaxFilterParameters = 32;

// `value` must have at most `max_bytes` bytes, and at least one when `required`.
absl::Status ValidateId(absl::string_view field, absl::string_view value, int max_bytes,
                        bool required);

// The caller's ids: a required user_id and an optional session_id, each within max_id_bytes.
absl::Status ValidateCaller(absl::string_view user_id, absl::string_view session_id,
                            int max_id_bytes);

// Every list of the filter within kMaxListedItems entries of valid ids (the named filter's
// value lists too, at most kMaxFilterParameters of them); the name a valid optional id. Whether
// the name and its parameters fit a filter is checked against the model (EvaluateNamedFilter).
absl::Status ValidateFilter(const v1::Filter& filter, int max_id_bytes);

// A named filter's parameter values (Filter.values, Promotion.filter_values) under `field`: at
// most kMaxFilterParameters names, each an id with kMaxListedItems values at most.
absl::Status ValidateFilterValues(
    absl::string_view field, const google::protobuf::Map<std::string, v1::FilterValues>& values,
    int max_id_bytes);

// A promotion: a name (an id), percent_promoted_items in 1..100, a filter_name (an id) and its
// values (ValidateFilterValues). Whether the filter exists is checked against the model.
absl::Status ValidatePromotion(const v1::Promotion& promotion, int max_id_bytes);

// At most kMaxContextEntries entries, keys and values within max_id_bytes.
absl::Status ValidateContext(const google::protobuf::Map<std::string, std::string>& context,
                             int max_id_bytes);

}  // namespace hrnn::internal

#endif  // HRNN_SERVER_INTERNAL_REQUEST_VALIDATION_H_
