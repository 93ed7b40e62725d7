#include "core/serving/named_filter.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace hrnn {

absl::StatusOr<std::shared_ptr<const ItemAvailability::Mask>> EvaluateNamedFilter(
    const ServingModel& model, const ItemFilterProgram& filter, const FilterParameterValues& values,
    const UserState* state, std::optional<int64_t> current_item,
    absl::FunctionRef<bool(absl::string_view)> is_purchase) {
  // A filter of its parameters alone: the same values give the same mask on this version.
  bool cacheable = !filter.uses_interactions() && !filter.uses_current_item();
  std::string key;
  if (cacheable) {
    // Every string length-prefixed, so that no two different value lists share a key.
    auto append = [&key](absl::string_view text) { absl::StrAppend(&key, text.size(), ":", text); };
    append(filter.name());
    for (const ItemFilterProgram::Parameter& parameter : filter.parameters()) {
      const auto given = values.find(parameter.name);
      if (given == values.end()) {
        cacheable = false;  // Evaluate reports the missing parameter.
        break;
      }
      absl::StrAppend(&key, "|", given->second.size(), ":");
      for (const std::string& value : given->second) append(value);
    }
  }
  if (cacheable) {
    if (std::shared_ptr<const ItemAvailability::Mask> cached = model.filter_masks->Find(key)) {
      return cached;
    }
  }
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
  std::shared_ptr<const ItemAvailability::Mask> result = std::move(mask);
  if (cacheable) model.filter_masks->Insert(std::move(key), result);
  return result;
}

}  // namespace hrnn
