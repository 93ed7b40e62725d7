#include "core/serving/named_filter.h"

#include <utility>
#include <vector>

namespace hrnn {

absl::StatusOr<std::shared_ptr<const ItemAvailability::Mask>> EvaluateNamedFilter(
    const ServingModel& model, const ItemFilterProgram& filter, const FilterParameterValues& values,
    const UserState* state, std::optional<int64_t> current_item,
    absl::FunctionRef<bool(absl::string_view)> is_purchase) {
  FilterContext context;
  context.current_item = current_item;
  if (state != nullptr && filter.uses_interactions()) {
    context.interactions = [state, is_purchase](absl::string_view event_type,
                                                std::vector<int64_t>* rows) {
      if (is_purchase(event_type)) {
        for (int32_t item : state->purchased_items) rows->push_back(item);
        return;
      }
      for (int i = 0; i < state->history.size(); ++i) rows->push_back(state->history.item(i));
      for (int i = 0; i < state->session_clicks.size(); ++i) {
        rows->push_back(state->session_clicks.at(i));
      }
    };
  }
  auto mask = std::make_shared<ItemAvailability::Mask>();
  absl::Status evaluated = filter.Evaluate(*model.attributes, values, context, mask.get());
  if (!evaluated.ok()) return evaluated;
  return std::shared_ptr<const ItemAvailability::Mask>(std::move(mask));
}

}  // namespace hrnn
