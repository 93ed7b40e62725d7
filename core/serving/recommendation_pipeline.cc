#include "core/serving/recommendation_pipeline.h"

#include <cassert>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/serving/recipe_scoring.h"

namespace hrnn {
namespace {

AnswerState AnswerStateOf(bool known, bool session_live) {
  if (!known) return AnswerState::kNewUser;
  return session_live ? AnswerState::kSession : AnswerState::kUser;
}

// The candidates in order, without duplicates and without excluded items.
std::vector<int64_t> Candidates(absl::Span<const int64_t> items, const ItemExclusions& exclusions) {
  std::vector<int64_t> candidates;
  candidates.reserve(items.size());
  absl::flat_hash_set<int64_t> seen;
  for (int64_t item : items) {
    if (!exclusions.Contains(item) && seen.insert(item).second) candidates.push_back(item);
  }
  return candidates;
}

// A blended pass's top-k: the components rebuilt in this thread's scratch, then BlendTopK;
// a blend that returns fewer than k items (no GRU weight) is back-filled in popularity order
// (item index order), counted in *backfilled.
std::vector<ScoredItem> FinishBlend(CataloguePass& pass, absl::Span<const float> scores,
                                    int* backfilled) {
  const int32_t num_items = static_cast<int32_t>(pass.model->network->num_items());
  thread_local std::vector<std::unique_ptr<SparseScores>> components;
  if (components.empty() || components[0]->num_items() != num_items) {
    components.clear();
    for (int c = 0; c < kNumBlendComponents; ++c) {
      components.push_back(std::make_unique<SparseScores>(num_items));
    }
  }
  const BlendWeights& weights = pass.blend_weights;
  BlendInputs inputs;
  if (weights.Get(BlendComponent::kHrnn) > 0) inputs.gru_logits = scores;
  for (int c = 0; c < kNumBlendComponents; ++c) {
    if (c == ComponentIndex(BlendComponent::kHrnn) || pass.blend_sparse[c].empty()) continue;
    for (const ScoredItem& item : pass.blend_sparse[c]) components[c]->Add(item.index, item.score);
    inputs.sparse[c] = components[c].get();
  }
  pass.exclusions.Finalize();
  std::vector<ScoredItem> top = BlendTopK(weights, inputs, pass.num_results, pass.exclusions);
  for (int c = 0; c < kNumBlendComponents; ++c) components[c]->Clear();
  if (static_cast<int>(top.size()) < pass.num_results) {
    absl::flat_hash_set<int32_t> chosen;
    for (const ScoredItem& item : top) chosen.insert(item.index);
    for (int32_t item = 0; static_cast<int>(top.size()) < pass.num_results && item < num_items;
         ++item) {
      if (!pass.exclusions.Contains(item) && !chosen.contains(item)) {
        top.push_back({item, 0.0f});
        ++*backfilled;
      }
    }
  }
  return top;
}

// The top pass.num_results items of `scores` (or of the blend) under pass.exclusions, which it
// consumes; *backfilled counts the blend's popularity back-fill.
std::vector<ScoredItem> FinishTopK(CataloguePass& pass, absl::Span<const float> scores,
                                   int* backfilled) {
  *backfilled = 0;
  if (pass.recipe == RecipeKind::kAuto) return FinishBlend(pass, scores, backfilled);
  // kNaive is the benchmarks' baseline; otherwise TopItems (TopK, and for an int8 table an
  // exact fp32 re-rank of the candidates).
  return pass.mode == ScoringMode::kNaive
             ? TopKReference(scores, pass.num_results, std::move(pass.exclusions))
             : pass.model->network->TopItems(pass.query.data(), scores, pass.num_results,
                                             std::move(pass.exclusions));
}

}  // namespace

ItemExclusions FilterExclusions(const UserState& state, bool session_live, const ItemFilter& filter,
                                const ItemAvailability::Mask* unavailable) {
  ItemExclusions exclusions(unavailable);
  if ((filter.exclude_session_items || filter.exclude_user_history) && session_live) {
    for (int i = 0; i < state.session_clicks.size(); ++i) {
      exclusions.Add(state.session_clicks.at(i));
    }
  }
  if (filter.exclude_user_history) {
    for (int i = 0; i < state.history.size(); ++i) exclusions.Add(state.history.item(i));
  }
  if (filter.exclude_purchased) {
    for (int32_t item : state.purchased_items) exclusions.Add(item);
  }
  for (int64_t item : filter.exclude_items) exclusions.Add(item);
  exclusions.Finalize();
  return exclusions;
}

std::shared_ptr<const ItemAvailability::Mask> CombineMasks(
    std::shared_ptr<const ItemAvailability::Mask> a,
    std::shared_ptr<const ItemAvailability::Mask> b) {
  if (a == nullptr) return b;
  if (b == nullptr) return a;
  assert(a->size() == b->size());
  auto combined = std::make_shared<ItemAvailability::Mask>(*a);
  for (size_t w = 0; w < combined->size(); ++w) (*combined)[w] |= (*b)[w];
  return combined;
}

absl::string_view ScoringModeName(ScoringMode mode) {
  switch (mode) {
    case ScoringMode::kBatched:
      return "batched";
    case ScoringMode::kSingle:
      return "single";
    case ScoringMode::kNaive:
      return "naive";
  }
  return "unknown";
}

absl::StatusOr<ScoringMode> ParseScoringMode(absl::string_view name) {
  for (ScoringMode mode : {ScoringMode::kBatched, ScoringMode::kSingle, ScoringMode::kNaive}) {
    if (name == ScoringModeName(mode)) return mode;
  }
  return absl::InvalidArgumentError(absl::StrCat("\"", name, "\" is not batched, single or naive"));
}

absl::StatusOr<RecipeKind> ResolveRecipe(const ServingModel& model,
                                         std::optional<RecipeKind> requested) {
  if (!requested.has_value()) return model.default_recipe();
  if (model.Serves(*requested)) return *requested;
  std::vector<std::string> served;
  for (RecipeKind kind : AllRecipeKinds()) {
    if (model.Serves(kind)) served.emplace_back(RecipeKindName(kind));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("recipe: model version ", model.version, " does not serve \"",
                   RecipeKindName(*requested), "\" (it serves ", absl::StrJoin(served, ", "), ")"));
}

absl::string_view AnswerStateName(AnswerState state) {
  switch (state) {
    case AnswerState::kNewUser:
      return "new_user";
    case AnswerState::kSession:
      return "session";
    case AnswerState::kUser:
      return "user";
  }
  return "unknown";
}

PreparedRecommendation PrepareRecommendation(std::shared_ptr<const ServingModel> model,
                                             const UserState& state, bool known,
                                             const RecommendationRequest& request,
                                             ScoringMode mode) {
  const Recommender& recommender = *model->recommender;
  const bool session_live = recommender.SessionLive(state, request.now_ms, request.session_id);
  PreparedRecommendation prepared;
  prepared.answer_state = AnswerStateOf(known, session_live);
  CataloguePass& pass = prepared.pass;
  pass.num_results = request.num_results;
  pass.mode = mode;
  pass.unavailable = CombineMasks(model->availability->Snapshot(), request.filter.excluded_mask);
  pass.exclusions = FilterExclusions(state, session_live, request.filter, pass.unavailable.get());
  if (request.promotion.has_value()) {
    PassPromotion& promotion = pass.promotion.emplace();
    promotion.name = request.promotion->name;
    promotion.slots = PromotedSlots(request.num_results, request.promotion->percent);
    promotion.seed = request.promotion->placement_seed;
    promotion.unavailable = CombineMasks(pass.unavailable, request.promotion->excluded_mask);
    promotion.exclusions =
        FilterExclusions(state, session_live, request.filter, promotion.unavailable.get());
  }
  if (request.filter.include_items.has_value()) {
    // Only the listed items (those in the catalogue): score them directly, no catalogue pass.
    std::vector<int64_t> listed;
    for (int64_t item : *request.filter.include_items) {
      if (item >= 0 && item < model->network->num_items()) listed.push_back(item);
    }
    absl::StatusOr<std::vector<ScoredItem>> ranked = recommender.Rank(
        state, request.now_ms, Candidates(listed, pass.exclusions), request.session_id);
    assert(ranked.ok());  // Every index is in range.
    std::vector<ScoredItem> top = *std::move(ranked);
    if (pass.promotion.has_value()) {
      // The promoted candidates are the listed items the promotion's filter lets through.
      std::vector<ScoredItem> promoted;
      for (const ScoredItem& item : top) {
        if (static_cast<int>(promoted.size()) == pass.promotion->slots) break;
        if (!pass.promotion->exclusions.Contains(item.index)) promoted.push_back(item);
      }
      RankedItems placed = PlacePromotedItems(std::move(top), 0, std::move(promoted),
                                              request.num_results, pass.promotion->seed);
      prepared.items = std::move(placed.items);
      prepared.promoted_ranks = std::move(placed.promoted_ranks);
      pass.promotion.reset();
      return prepared;
    }
    if (static_cast<int>(top.size()) > request.num_results) top.resize(request.num_results);
    prepared.items = std::move(top);
    return prepared;
  }
  RecipeKind recipe = request.recipe.value_or(model->default_recipe());
  if (!model->Serves(recipe)) recipe = model->default_recipe();
  if (model->recipes != nullptr && !known &&
      (recipe == RecipeKind::kHrnn ||
       (recipe == RecipeKind::kAuto &&
        model->recipes->user_items().Find(request.user_id).empty()))) {
    recipe = RecipeKind::kTrending;  // No history: the fallback, not the GRU's empty state.
  }
  prepared.recipe = recipe;
  if (recipe != RecipeKind::kHrnn && recipe != RecipeKind::kAuto) {
    SparseAnswer answer =
        AnswerSparseRecipe(*model->recipes, recipe, state, request.user_id, session_live,
                           request.now_ms, pass.exclusions, request.num_results);
    prepared.recipe = answer.answered;
    prepared.backfilled = answer.backfilled;
    prepared.items = std::move(answer.items);
    if (pass.promotion.has_value()) {
      SparseAnswer promoted =
          AnswerSparseRecipe(*model->recipes, recipe, state, request.user_id, session_live,
                             request.now_ms, pass.promotion->exclusions, pass.promotion->slots);
      RankedItems placed =
          PlacePromotedItems(*std::move(prepared.items), prepared.backfilled,
                             std::move(promoted.items), request.num_results, pass.promotion->seed);
      prepared.items = std::move(placed.items);
      prepared.backfilled = placed.backfilled;
      prepared.promoted_ranks = std::move(placed.promoted_ranks);
      pass.promotion.reset();
    }
    return prepared;
  }
  pass.recipe = recipe;
  if (recipe == RecipeKind::kAuto) {
    const RecipeBundle& bundle = *model->recipes;
    pass.blend_weights = bundle.blend_weights();
    RecipeScratch& scratch = ThreadRecipeScratch(bundle.num_items());
    for (const auto& [component, kind] : kSparseBlendComponents) {
      const int c = ComponentIndex(component);
      if (!(bundle.blend_weights().weight[c] > 0)) continue;
      ScoreSparseRecipe(bundle, kind, state, request.user_id, session_live, request.now_ms,
                        &scratch, &scratch.scores);
      scratch.scores.NormalizeByMax();
      std::vector<ScoredItem>& out = pass.blend_sparse[c];
      out.reserve(scratch.scores.touched().size());
      for (int32_t item : scratch.scores.touched()) out.push_back({item, scratch.scores.Get(item)});
    }
    scratch.scores.Clear();
  }
  pass.query.resize(model->network->hidden_size());
  recommender.QueryState(state, request.now_ms, request.session_id, pass.query.data());
  pass.model = std::move(model);
  return prepared;
}

RankedItems FinishRecommendation(CataloguePass& pass, absl::Span<const float> scores) {
  RankedItems out;
  out.items = FinishTopK(pass, scores, &out.backfilled);
  if (!pass.promotion.has_value()) return out;
  // The promoted candidates: the same scores, the promotion's exclusions, its slots.
  PassPromotion promotion = *std::move(pass.promotion);
  pass.promotion.reset();
  const int num_results = pass.num_results;
  pass.exclusions = std::move(promotion.exclusions);
  pass.num_results = promotion.slots;
  int promoted_backfilled = 0;
  std::vector<ScoredItem> promoted = FinishTopK(pass, scores, &promoted_backfilled);
  pass.num_results = num_results;
  RankedItems placed = PlacePromotedItems(std::move(out.items), out.backfilled, std::move(promoted),
                                          num_results, promotion.seed);
  placed.promotion = std::move(promotion.name);
  return placed;
}

void ScoreCatalogue(const CataloguePass& pass, absl::Span<float> scores) {
  const HrnnNetwork& network = *pass.model->network;
  if (pass.mode == ScoringMode::kNaive) {
    network.ScoreNaive(pass.query.data(), scores.data());
  } else {
    network.Score(pass.query.data(), scores.data());
  }
}

Recommendation CompleteWithOwnPass(PreparedRecommendation prepared) {
  Recommendation result;
  result.answer_state = prepared.answer_state;
  result.recipe = prepared.recipe;
  result.backfilled = prepared.backfilled;
  if (prepared.items.has_value()) {
    result.items = *std::move(prepared.items);
    result.promoted_ranks = std::move(prepared.promoted_ranks);
    return result;
  }
  std::vector<float> scores(prepared.pass.model->network->num_items());
  ScoreCatalogue(prepared.pass, absl::MakeSpan(scores));
  RankedItems ranked = FinishRecommendation(prepared.pass, scores);
  result.items = std::move(ranked.items);
  result.backfilled += ranked.backfilled;
  result.promoted_ranks = std::move(ranked.promoted_ranks);
  return result;
}

Recommendation Recommend(std::shared_ptr<const ServingModel> model, const UserState& state,
                         bool known, const RecommendationRequest& request, ScoringMode mode) {
  return CompleteWithOwnPass(PrepareRecommendation(std::move(model), state, known, request, mode));
}

absl::StatusOr<Recommendation> RankCandidates(const ServingModel& model, const UserState& state,
                                              bool known, const RecommendationRequest& request,
                                              absl::Span<const int64_t> candidates) {
  const Recommender& recommender = *model.recommender;
  const bool session_live = recommender.SessionLive(state, request.now_ms, request.session_id);
  const ItemExclusions exclusions =
      FilterExclusions(state, session_live, request.filter, request.filter.excluded_mask.get());
  Recommendation result;
  result.answer_state = AnswerStateOf(known, session_live);
  absl::StatusOr<std::vector<ScoredItem>> ranked = recommender.Rank(
      state, request.now_ms, Candidates(candidates, exclusions), request.session_id);
  if (!ranked.ok()) return ranked.status();
  result.items = *std::move(ranked);
  return result;
}

}  // namespace hrnn
