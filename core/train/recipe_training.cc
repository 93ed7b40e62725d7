#include "core/train/recipe_training.h"

#include "core/base/status_macros.h"

namespace hrnn {

absl::StatusOr<RecipeSettings> RecipeSettingsFromList(absl::string_view list) {
  HRNN_ASSIGN_OR_RETURN(std::vector<RecipeKind> kinds, ParseRecipeList(list));
  RecipeSettings settings;
  const RecipeKind first = *ParseRecipeKind(list.substr(0, list.find(',')));
  bool wanted[kNumRecipeKinds] = {};
  wanted[static_cast<int>(RecipeKind::kHrnn)] = true;
  for (RecipeKind kind : kinds) wanted[static_cast<int>(kind)] = true;
  if (wanted[static_cast<int>(RecipeKind::kAuto)]) {
    for (RecipeKind kind : AllRecipeKinds()) wanted[static_cast<int>(kind)] = true;
  }
  settings.recipes.clear();
  for (RecipeKind kind : AllRecipeKinds()) {
    if (wanted[static_cast<int>(kind)]) settings.recipes.push_back(kind);
  }
  settings.default_recipe = first;
  return settings;
}

TrainingSessions TrainingSessionsOf(const Dataset& dataset) {
  TrainingSessions sessions;
  sessions.num_items = static_cast<int32_t>(dataset.num_items());
  for (const SessionSpan& span : dataset.sessions) {
    if (span.length() == 0) continue;
    sessions.Add(absl::MakeConstSpan(dataset.items).subspan(span.begin, span.length()),
                 dataset.timestamps[span.end - 1]);
  }
  return sessions;
}

absl::StatusOr<std::map<std::string, std::string>> RecipeFiles(const TrainingSessions& sessions,
                                                               const RecipeSettings& settings) {
  HRNN_RETURN_IF_ERROR(settings.Validate());
  return std::map<std::string, std::string>{
      {kSessionsFileName, SerializeTrainingSessions(sessions)},
      {kRecipesFileName, RecipeSettingsToJson(settings)}};
}

}  // namespace hrnn
