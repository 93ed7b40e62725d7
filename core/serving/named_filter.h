// A request's named filter (Filter.name: an ItemFilterProgram compiled for the model version's
// item fields) evaluated into the exclusion mask the recommendation pipeline applies
// (ItemFilter::excluded_mask), with the user's interactions as the server holds them.
// Thread-safe (the only state it touches is the model version's thread-safe mask cache).
#ifndef HRNN_CORE_SERVING_NAMED_FILTER_H_
#define HRNN_CORE_SERVING_NAMED_FILTER_H_

#include <cstdint>
#include <memory>
#include <optional>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/catalogue/item_filter_program.h"
#include "core/serving/serving_model.h"
#include "core/state/user_state.h"

namespace hrnn {

// The items `filter` excludes on `model` for this request: bit i set = item i excluded.
// Interactions.EVENT_TYPE conditions see what `state` holds (may be null: a user without
// state has none): for a type `is_purchase` accepts, the user's recent purchases (the latest
// 16); for any other type, the user's recent items (history, 24 distinct) and the live
// session's clicks. `current_item` is GetSimilarItems' item (CurrentItem.F operands). A filter
// without either depends on its values alone: its mask is taken from (and put in)
// model.filter_masks. Errors: ItemFilterProgram::Evaluate's (InvalidArgument naming the filter
// and the parameter).
absl::StatusOr<std::shared_ptr<const ItemAvailability::Mask>> EvaluateNamedFilter(
    const ServingModel& model, const ItemFilterProgram& filter, const FilterParameterValues& values,
    const UserState* state, std::optional<int64_t> current_item,
    absl::FunctionRef<bool(absl::string_view)> is_purchase);

}  // namespace hrnn

#endif  // HRNN_CORE_SERVING_NAMED_FILTER_H_
