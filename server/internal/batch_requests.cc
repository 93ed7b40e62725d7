#include "server/internal/batch_requests.h"

#include <cstdint>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/base/status_macros.h"
#include "core/catalogue/item_attributes.h"
#include "core/recipes/recipe_kind.h"
#include "core/serving/recommendation_pipeline.h"

namespace hrnn::internal {
namespace {

// A table with `fields` and no rows: ItemFilterProgram::Evaluate on it checks a request's
// parameter values exactly as on the catalogue, at no cost per item.
absl::StatusOr<ItemAttributes> EmptyCatalogue(const std::vector<AttributeField>& fields) {
  HRNN_ASSIGN_OR_RETURN(ItemAttributes::Builder builder, ItemAttributes::Builder::Create(fields));
  return std::move(builder).Build();
}

absl::Status CheckRecipe(const BatchOptions& options, const ServingModel& model) {
  if (options.recipe.empty()) return absl::OkStatus();
  absl::StatusOr<RecipeKind> kind = ParseRecipeKind(options.recipe);
  if (!kind.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--recipe: ", kind.status().message()));
  }
  if (absl::Status served = ResolveRecipe(model, *kind).status(); !served.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--", served.message()));  // "recipe: ..."
  }
  return absl::OkStatus();
}

// The run's filter: a named filter GetRecommendations can use, with --filter_values naming
// only its parameters. Null when none is asked for.
absl::StatusOr<const ItemFilterProgram*> FindRunFilter(const BatchOptions& options,
                                                       const ServingModel& model) {
  if (options.filter.empty()) return nullptr;
  const ItemFilterProgram* filter = model.FindFilter(options.filter);
  if (filter == nullptr) {
    std::vector<std::string> names;
    for (const ServingModel::ServedFilter& known : model.filters) {
      names.push_back(known.program.name());
    }
    return absl::InvalidArgumentError(absl::StrCat(
        "--filter: no filter named \"", options.filter, "\" (",
        names.empty() ? "there are none: see --filters_file"
                      : absl::StrCat("--filters_file has: ", absl::StrJoin(names, ", ")),
        ")"));
  }
  if (filter->uses_current_item()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--filter: ", filter->name(), " uses CurrentItem, which only GetSimilarItems has"));
  }
  for (const auto& [name, values] : options.filter_values) {
    bool known = false;
    for (const ItemFilterProgram::Parameter& parameter : filter->parameters()) {
      known = known || parameter.name == name;
    }
    if (!known) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--filter_values: ", name, " is not a parameter of filter ", filter->name()));
    }
  }
  return filter;
}

// The users file's columns are the filter's parameters.
absl::Status CheckColumns(const UsersFile& file, const ItemFilterProgram* filter) {
  for (const std::string& column : file.parameters) {
    if (filter == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(file.source, ":1: the column ", column,
                                                     " is a filter parameter: it needs --filter"));
    }
    bool known = false;
    std::vector<std::string> names;
    for (const ItemFilterProgram::Parameter& parameter : filter->parameters()) {
      names.push_back(absl::StrCat("$", parameter.name));
      known = known || parameter.name == column;
    }
    if (!known) {
      return absl::InvalidArgumentError(absl::StrCat(
          file.source, ":1: the column ", column, " is not a parameter of filter ", filter->name(),
          " (", names.empty() ? "it has none" : absl::StrCat("it has ", absl::StrJoin(names, ", ")),
          ")"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<BatchRequests> BatchRequests::Create(const BatchOptions& options,
                                                    const ServingModel& model,
                                                    const UsersFile* users_file) {
  HRNN_RETURN_IF_ERROR(CheckRecipe(options, model));
  HRNN_ASSIGN_OR_RETURN(const ItemFilterProgram* filter, FindRunFilter(options, model));
  BatchRequests requests(&options, users_file, filter);
  HRNN_ASSIGN_OR_RETURN(const ItemAttributes empty, EmptyCatalogue(model.attributes->fields()));
  std::vector<uint64_t> mask;
  if (users_file == nullptr) {
    if (filter == nullptr) return requests;
    if (absl::Status valid = filter->Evaluate(empty, options.filter_values, {}, &mask);
        !valid.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--filter_values: ", valid.message()));
    }
    return requests;
  }
  HRNN_RETURN_IF_ERROR(CheckColumns(*users_file, filter));
  for (const BatchUser& user : users_file->users) {
    const std::string where = absl::StrCat(users_file->source, ":", user.line, ": user \"",
                                           user.user_id.substr(0, 64), "\"");
    if (static_cast<int64_t>(user.user_id.size()) > options.max_id_bytes) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": user_id: ", user.user_id.size(),
                                                     " bytes, at most ", options.max_id_bytes));
    }
    if (filter == nullptr) continue;
    if (absl::Status valid = filter->Evaluate(empty, requests.ValuesFor(&user), {}, &mask);
        !valid.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": ", valid.message(),
                       " (give it in the users file's column or in --filter_values)"));
    }
  }
  return requests;
}

FilterParameterValues BatchRequests::ValuesFor(const BatchUser* row) const {
  FilterParameterValues values = options_->filter_values;
  if (row != nullptr) {
    for (size_t c = 0; c < row->values.size(); ++c) {
      if (!row->values[c].empty()) values[users_file_->parameters[c]] = row->values[c];
    }
  }
  return values;
}

v1::GetRecommendationsRequest BatchRequests::For(const BatchUserRef& user) const {
  v1::GetRecommendationsRequest request;
  request.set_user_id(*user.user_id);
  request.set_num_results(options_->num_results);
  request.set_recipe(options_->recipe);
  v1::Filter* filter = request.mutable_filter();
  filter->set_exclude_session_items(options_->exclude_session_items);
  filter->set_exclude_user_history(options_->exclude_user_history);
  filter->set_exclude_purchased(options_->exclude_purchased);
  if (filter_ != nullptr) {
    filter->set_name(options_->filter);
    for (const auto& [name, listed] : ValuesFor(user.row)) {
      v1::FilterValues& out = (*filter->mutable_values())[name];
      for (const std::string& value : listed) out.add_values(value);
    }
  }
  return request;
}

}  // namespace hrnn::internal
