#include "core/train/recipe_training.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/base/status_macros.h"
#include "core/eval/blend_predictions.h"
#include "core/eval/recipe_scorer.h"
#include "core/eval/scorer_evaluator.h"
#include "core/recipes/blend_fit.h"
#include "core/serving/serving_model.h"

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

namespace {

// For each id of `item_ids`, its index in `vocabulary`, or -1 when the vocabulary lacks it.
std::vector<int32_t> ModelIndices(const std::vector<std::string>& item_ids,
                                  const ItemVocabulary& vocabulary) {
  std::vector<int32_t> to_model(item_ids.size(), -1);
  for (size_t i = 0; i < item_ids.size(); ++i) {
    if (std::optional<int64_t> index = vocabulary.Find(item_ids[i])) {
      to_model[i] = static_cast<int32_t>(*index);
    }
  }
  return to_model;
}

}  // namespace

TrainingSessions MapToVocabulary(const TrainingSessions& sessions,
                                 const std::vector<std::string>& item_ids,
                                 const ItemVocabulary& vocabulary) {
  const std::vector<int32_t> to_model = ModelIndices(item_ids, vocabulary);
  TrainingSessions mapped;
  mapped.num_items = static_cast<int32_t>(vocabulary.size());
  std::vector<int32_t> clicks;
  for (int64_t s = 0; s < sessions.num_sessions(); ++s) {
    clicks.clear();
    for (int32_t item : sessions.session(s)) {
      if (to_model[item] >= 0) clicks.push_back(to_model[item]);
    }
    if (!clicks.empty()) mapped.Add(clicks, sessions.last_time[s]);
  }
  return mapped;
}

namespace {

// A user's aggregated interactions, by item.
std::vector<ItemInteraction> Aggregate(const absl::flat_hash_map<int32_t, ItemInteraction>& items) {
  std::vector<ItemInteraction> out;
  out.reserve(items.size());
  for (const auto& [item, entry] : items) out.push_back(entry);
  return out;
}

}  // namespace

UserItemHistory UserItemHistoryOf(const Dataset& dataset, int max_items_per_user) {
  UserItemHistory history;
  history.set_num_items(static_cast<int32_t>(dataset.num_items()));
  absl::flat_hash_map<int32_t, ItemInteraction> items;
  for (const UserSpan& user : dataset.users) {
    items.clear();
    for (int64_t s = user.session_begin; s < user.session_end; ++s) {
      const SessionSpan& span = dataset.sessions[s];
      for (int64_t e = span.begin; e < span.end; ++e) {
        const int32_t item = dataset.items[e];
        ItemInteraction& entry =
            items.try_emplace(item, ItemInteraction{item, 0, dataset.timestamps[e], 0})
                .first->second;
        ++entry.count;
        entry.last_time = std::max(entry.last_time, dataset.timestamps[e]);
      }
    }
    if (!items.empty() && !user.id.empty() && user.id.size() <= kMaxUserIdBytes) {
      history.Add(user.id, Aggregate(items), max_items_per_user);
    }
  }
  return history;
}

UserItemHistory MapToVocabulary(const UserItemHistory& history,
                                const std::vector<std::string>& item_ids,
                                const ItemVocabulary& vocabulary, int max_items_per_user) {
  const std::vector<int32_t> to_model = ModelIndices(item_ids, vocabulary);
  UserItemHistory mapped;
  mapped.set_num_items(static_cast<int32_t>(vocabulary.size()));
  std::vector<ItemInteraction> entries;
  for (int64_t u = 0; u < history.num_users(); ++u) {
    entries.clear();
    for (ItemInteraction entry : history.entries(u)) {
      if (to_model[entry.item] < 0) continue;
      entry.item = to_model[entry.item];
      entries.push_back(entry);
    }
    if (!entries.empty()) mapped.Add(history.id(u), entries, max_items_per_user);
  }
  return mapped;
}

absl::StatusOr<std::map<std::string, std::string>> RecipeFiles(const TrainingSessions& sessions,
                                                               const UserItemHistory& user_items,
                                                               const RecipeSettings& settings) {
  HRNN_RETURN_IF_ERROR(settings.Validate());
  std::map<std::string, std::string> files = {
      {kSessionsFileName, SerializeTrainingSessions(sessions)},
      {kRecipesFileName, RecipeSettingsToJson(settings)}};
  if (settings.Serves(RecipeKind::kPersonal)) {
    files[kUserItemsFileName] = user_items.Serialize();
  }
  return files;
}

namespace {

void Log(const RecipeFitOptions& options, const std::string& line) {
  if (options.log) options.log(line);
}

// What the recipes are built from at train time: the training side's sessions and users.
struct TrainingIndexes {
  TrainingSessions sessions;
  UserItemHistory users;
};

// A train-time ServingModel over `network` with a bundle of `settings` built from `indexes`.
absl::StatusOr<std::shared_ptr<const ServingModel>> FitModel(
    std::shared_ptr<const HrnnNetwork> network, const RecipeSettings& settings,
    const TrainingIndexes& indexes) {
  const int32_t num_items = static_cast<int32_t>(network->num_items());
  std::shared_ptr<ServingModel> model = MakeServingModel(std::move(network), SessionPolicy());
  HRNN_ASSIGN_OR_RETURN(model->recipes, RecipeBundle::Build(settings, indexes.sessions, num_items,
                                                            LiveSessionsOptions(), indexes.users));
  return std::shared_ptr<const ServingModel>(std::move(model));
}

// MRR@20 (then Recall@20) of `kind` on validation under `settings`.
absl::StatusOr<std::pair<double, double>> ValidationFigures(
    std::shared_ptr<const HrnnNetwork> network, const RecipeSettings& settings,
    const TrainingIndexes& indexes, RecipeKind kind, const Dataset& train,
    const Dataset& validation, int threads) {
  HRNN_ASSIGN_OR_RETURN(std::shared_ptr<const ServingModel> model,
                        FitModel(std::move(network), settings, indexes));
  HRNN_ASSIGN_OR_RETURN(std::unique_ptr<BaselineModel> scorer,
                        NewRecipeModel(model, kind, train, 20, std::string(RecipeKindName(kind))));
  NextItemEvalOptions eval;
  eval.cutoffs = {20};
  eval.threads = std::max(1, threads);
  const NextItemMetrics metrics = EvaluateScorer(*scorer, train, validation, eval);
  return std::make_pair(metrics.mrr.at(20), metrics.recall.at(20));
}

// `grid` plus the flag's value, sorted.
std::vector<double> WithFlagValue(std::vector<double> grid, double flag_value) {
  if (std::find(grid.begin(), grid.end(), flag_value) == grid.end()) grid.push_back(flag_value);
  std::sort(grid.begin(), grid.end());
  return grid;
}

// The half-lives tried for personal and trending: 1 day to 10 years, the flag's value, and for
// personal no decay (plain counts, ties by popularity: on UCI Online Retail the best).
std::vector<double> HalfLifeGrid(RecipeKind kind, double flag_value) {
  std::vector<double> grid = {86400.0, 7 * 86400.0, 30 * 86400.0, 365 * 86400.0, 3650 * 86400.0};
  if (kind == RecipeKind::kPersonal) grid.push_back(std::numeric_limits<double>::infinity());
  return WithFlagValue(std::move(grid), flag_value);
}

// The best single component's figure `metric` in a blend fit.
double BestOf(const BlendFitResult& fit, double BlendMetrics::*metric) {
  double best = 0;
  for (int c = 0; c < kNumBlendComponents; ++c) {
    if (fit.available[c]) best = std::max(best, fit.single[c].*metric);
  }
  return best;
}

std::string Days(double seconds) {
  return std::isinf(seconds) ? "none" : absl::StrFormat("%gd", seconds / 86400);
}

}  // namespace

absl::StatusOr<RecipeSettings> FitRecipes(RecipeSettings settings,
                                          std::shared_ptr<const HrnnNetwork> network,
                                          const Dataset& train, const Dataset& validation,
                                          const RecipeFitOptions& options) {
  const TrainingIndexes indexes = {TrainingSessionsOf(train),
                                   UserItemHistoryOf(train, kUserItemsPerUser)};
  const bool blend = settings.Serves(RecipeKind::kAuto);
  // Each decayed component's half-life (and personal's session weight), chosen on validation
  // (best MRR@20, then Recall@20; ties keep the earlier: shorter half-life, lower weight), with
  // a bundle that serves only that component.
  for (RecipeKind kind : {RecipeKind::kPersonal, RecipeKind::kTrending}) {
    if (!settings.Serves(kind)) continue;
    const bool personal = kind == RecipeKind::kPersonal;
    double* half_life =
        personal ? &settings.personal.half_life_seconds : &settings.trending.half_life_seconds;
    RecipeSettings alone;
    alone.recipes = {RecipeKind::kHrnn, kind};
    alone.personal = settings.personal;
    alone.trending = settings.trending;
    double* alone_half_life =
        personal ? &alone.personal.half_life_seconds : &alone.trending.half_life_seconds;
    const std::vector<double> session_weights =
        personal ? WithFlagValue({0.0, 0.5, 1.0}, settings.personal.session_weight)
                 : std::vector<double>{0.0};
    const std::vector<double> half_lives = HalfLifeGrid(kind, *half_life);
    std::pair<double, double> best = {-1, -1};
    std::string tried;
    for (double weight : session_weights) {
      alone.personal.session_weight = weight;
      for (double candidate : half_lives) {
        *alone_half_life = candidate;
        HRNN_ASSIGN_OR_RETURN(auto figures, ValidationFigures(network, alone, indexes, kind, train,
                                                              validation, options.threads));
        absl::StrAppendFormat(&tried, "%s%s%s %.4f", tried.empty() ? "" : ", ",
                              personal ? absl::StrFormat("w%g/", weight) : "", Days(candidate),
                              figures.first);
        if (figures > best) {
          best = figures;
          if (personal) settings.personal.session_weight = weight;
          *half_life = candidate;
        }
      }
    }
    Log(options,
        absl::StrFormat("%s %s on validation (MRR@20): %s; chosen %s%s", RecipeKindName(kind),
                        personal ? "session weight / half-life" : "half-life", tried,
                        personal ? absl::StrFormat("session weight %g, half-life ",
                                                   settings.personal.session_weight)
                                 : "",
                        Days(*half_life)));
  }
  if (blend) {
    // Every served component is available to the blend; start from the GRU alone.
    RecipeSettings provisional = settings;
    provisional.blend = {{"hrnn", 1.0}};
    HRNN_ASSIGN_OR_RETURN(std::shared_ptr<const ServingModel> model,
                          FitModel(network, provisional, indexes));
    BlendPredictionOptions collect;
    collect.max_predictions = options.max_fit_predictions;
    const std::vector<BlendPrediction> predictions =
        CollectBlendPredictions(*model, train, validation, collect);
    std::array<bool, kNumBlendComponents> available{};
    for (int c = 0; c < kNumBlendComponents; ++c) {
      const absl::string_view name = BlendComponentName(static_cast<BlendComponent>(c));
      available[c] = settings.Serves(*ParseRecipeKind(name));
    }
    if (predictions.empty()) {
      return absl::FailedPreconditionError(
          "--recipes=auto: the validation split has no prediction to fit the blend on");
    }
    HRNN_ASSIGN_OR_RETURN(BlendFitResult fit,
                          FitBlendWeights(predictions, available, BlendFitOptions()));
    settings.blend.clear();
    std::string weights;
    for (int c = 0; c < kNumBlendComponents; ++c) {
      if (!available[c]) continue;
      const std::string name(BlendComponentName(static_cast<BlendComponent>(c)));
      settings.blend[name] = fit.weights.weight[c];
      absl::StrAppendFormat(&weights, "%s%s %g", weights.empty() ? "" : ", ", name,
                            fit.weights.weight[c]);
    }
    Log(options,
        absl::StrFormat("auto blend fit on %d validation predictions (%d settings tried): %s; "
                        "Recall@20 %.4f, MRR@20 %.4f there (the best component's: %.4f, %.4f; "
                        "geometric mean of the ratios %.3f)",
                        predictions.size(), fit.evaluations, weights, fit.blend.recall,
                        fit.blend.mrr, BestOf(fit, &BlendMetrics::recall),
                        BestOf(fit, &BlendMetrics::mrr), fit.objective));
  }

  // One train-time model for the rest: the similar-items weights below change no recipe's
  // scores, so the exact figures are measured on the same bundle.
  HRNN_ASSIGN_OR_RETURN(std::shared_ptr<const ServingModel> model,
                        FitModel(network, settings, indexes));
  // GetSimilarItems' two weights, fit the same way on the validation's click pairs.
  if (model->recipes->sknn() != nullptr) {
    BlendPredictionOptions collect;
    collect.max_predictions = options.max_fit_predictions;
    const std::vector<BlendPrediction> predictions =
        CollectSimilarItemPredictions(*model, validation, collect);
    if (!predictions.empty()) {
      std::array<bool, kNumBlendComponents> available{};
      available[ComponentIndex(BlendComponent::kHrnn)] = true;
      available[ComponentIndex(BlendComponent::kSknn)] = true;
      HRNN_ASSIGN_OR_RETURN(BlendFitResult fit,
                            FitBlendWeights(predictions, available, BlendFitOptions()));
      settings.similar_items.cooccurrence_weight =
          fit.weights.weight[ComponentIndex(BlendComponent::kSknn)];
      settings.similar_items.hrnn_weight =
          fit.weights.weight[ComponentIndex(BlendComponent::kHrnn)];
      const BlendMetrics& cooc = fit.single[ComponentIndex(BlendComponent::kSknn)];
      const BlendMetrics& gru = fit.single[ComponentIndex(BlendComponent::kHrnn)];
      Log(options,
          absl::StrFormat("similar items fit on %d validation click pairs (the next click among "
                          "the item's similar items): cooccurrence %g, hrnn %g; Recall@20 / "
                          "MRR@20 %.4f / %.4f (co-occurrence alone %.4f / %.4f, GRU alone "
                          "%.4f / %.4f)",
                          predictions.size(), settings.similar_items.cooccurrence_weight,
                          settings.similar_items.hrnn_weight, fit.blend.recall, fit.blend.mrr,
                          cooc.recall, cooc.mrr, gru.recall, gru.mrr));
    }
  }

  // The exact validation figures of every recipe, as hrnn-eval's recipe rows compute them.
  NextItemEvalOptions eval;
  eval.cutoffs = {20};
  eval.threads = std::max(1, options.threads);
  Log(options, "validation (the split hrnn-train held out; never test):");
  Log(options, absl::StrFormat("  %-9s %10s %8s", "recipe", "Recall@20", "MRR@20"));
  settings.validation.clear();
  for (RecipeKind kind : settings.recipes) {
    HRNN_ASSIGN_OR_RETURN(
        std::unique_ptr<BaselineModel> scorer,
        NewRecipeModel(model, kind, train, 20, std::string(RecipeKindName(kind))));
    const NextItemMetrics metrics = EvaluateScorer(*scorer, train, validation, eval);
    RecipeValidation& figures = settings.validation[std::string(RecipeKindName(kind))];
    figures.recall_at_20 = metrics.recall.at(20);
    figures.mrr_at_20 = metrics.mrr.at(20);
    figures.predictions = metrics.predictions;
    Log(options, absl::StrFormat("  %-9s %10.4f %8.4f", RecipeKindName(kind), figures.recall_at_20,
                                 figures.mrr_at_20));
  }
  if (blend) {
    const RecipeValidation& auto_figures = settings.validation.at("auto");
    std::string best;
    for (const auto& [name, figures] : settings.validation) {
      if (name == "auto") continue;
      if (figures.mrr_at_20 > auto_figures.mrr_at_20 ||
          figures.recall_at_20 > auto_figures.recall_at_20) {
        absl::StrAppendFormat(&best, "%s%s (Recall@20 %.4f, MRR@20 %.4f)", best.empty() ? "" : ", ",
                              name, figures.recall_at_20, figures.mrr_at_20);
      }
    }
    if (!best.empty()) {
      const std::string message = absl::StrFormat(
          "the auto blend (Recall@20 %.4f, MRR@20 %.4f on validation) is worse there than %s",
          auto_figures.recall_at_20, auto_figures.mrr_at_20, best);
      if (!options.allow_worse) {
        return absl::FailedPreconditionError(
            absl::StrCat(message,
                         "; no version written. Serve a single recipe (--recipes=<it>,...) or pass "
                         "--allow_worse to keep the blend"));
      }
      Log(options, absl::StrCat("WARNING: ", message, " (--allow_worse: kept)"));
    }
  }
  return settings;
}

}  // namespace hrnn
