#include "core/recipes/recipe_bundle.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"

namespace hrnn {
namespace {

bool Needs(const RecipeSettings& settings, RecipeKind kind) {
  if (settings.Serves(kind)) return true;
  auto weight = settings.blend.find(std::string(RecipeKindName(kind)));
  return weight != settings.blend.end() && weight->second > 0;
}

}  // namespace

absl::StatusOr<std::unique_ptr<const RecipeBundle>> RecipeBundle::Build(
    RecipeSettings settings, const TrainingSessions& sessions, int32_t num_items,
    const LiveSessionsOptions& live, UserItemHistory user_items) {
  HRNN_RETURN_IF_ERROR(settings.Validate());
  HRNN_RETURN_IF_ERROR(live.Validate());
  if (sessions.num_items != num_items) {
    return absl::InvalidArgumentError(absl::StrCat("the sessions are over ", sessions.num_items,
                                                   " items, the model has ", num_items));
  }
  if (user_items.num_users() > 0 && user_items.num_items() != num_items) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the user items are over ", user_items.num_items(), " items, the model has ", num_items));
  }
  std::unique_ptr<RecipeBundle> bundle(new RecipeBundle());
  bundle->num_items_ = num_items;
  bundle->user_items_ = std::move(user_items);
  // GetSimilarItems' co-occurrence reads the sknn index too.
  if (Needs(settings, RecipeKind::kSknn) || settings.similar_items.cooccurrence_weight > 0) {
    HRNN_ASSIGN_OR_RETURN(
        bundle->sknn_,
        SessionKnnIndex::Build(num_items, IndexedSessionsOf(sessions), settings.sknn));
    HRNN_ASSIGN_OR_RETURN(bundle->live_sessions_, LiveSessions::Create(num_items, live));
  }
  if (Needs(settings, RecipeKind::kSr)) {
    HRNN_ASSIGN_OR_RETURN(bundle->rules_,
                          SequentialRules::Build(num_items, SessionSpansOf(sessions), settings.sr));
  }
  HRNN_ASSIGN_OR_RETURN(bundle->trending_, Trending::Create(num_items, settings.trending));
  for (int64_t s = 0; s < sessions.num_sessions(); ++s) {
    bundle->training_end_seconds_ = std::max(bundle->training_end_seconds_, sessions.last_time[s]);
    for (int32_t item : sessions.session(s)) {
      HRNN_RETURN_IF_ERROR(bundle->trending_->Record(item, sessions.last_time[s]));
    }
  }
  for (const auto& [name, weight] : settings.blend) {
    HRNN_ASSIGN_OR_RETURN(BlendComponent component, ParseBlendComponent(name));
    bundle->blend_weights_.Set(component, weight);
  }
  bundle->settings_ = std::move(settings);
  return std::unique_ptr<const RecipeBundle>(std::move(bundle));
}

absl::StatusOr<std::unique_ptr<const RecipeBundle>> RecipeBundle::FromModelFiles(
    const std::map<std::string, std::string>& files, int32_t num_items,
    const LiveSessionsOptions& live) {
  const auto sessions_file = files.find(kSessionsFileName);
  const auto recipes_file = files.find(kRecipesFileName);
  const bool has_sessions = sessions_file != files.end();
  const bool has_recipes = recipes_file != files.end();
  if (!has_sessions && !has_recipes) return std::unique_ptr<const RecipeBundle>();
  if (has_sessions != has_recipes) {
    return absl::InvalidArgumentError(absl::StrCat(
        has_sessions ? kSessionsFileName : kRecipesFileName, " is listed without ",
        has_sessions ? kRecipesFileName : kSessionsFileName, "; a version holds both or neither"));
  }
  HRNN_ASSIGN_OR_RETURN(RecipeSettings settings, ParseRecipeSettingsJson(recipes_file->second));
  HRNN_ASSIGN_OR_RETURN(TrainingSessions sessions,
                        ParseTrainingSessions(sessions_file->second, num_items));
  UserItemHistory user_items;
  if (const auto file = files.find(kUserItemsFileName); file != files.end()) {
    HRNN_ASSIGN_OR_RETURN(user_items, UserItemHistory::Parse(file->second, num_items));
  }
  return Build(std::move(settings), sessions, num_items, live, std::move(user_items));
}

}  // namespace hrnn
