#include "core/eval/blend_predictions.h"

#include <algorithm>
#include <cassert>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "core/eval/user_replay.h"
#include "core/kernels/top_k.h"
#include "core/recipes/item_cooccurrence.h"
#include "core/serving/recipe_scoring.h"

namespace hrnn {
namespace {

bool HasIndex(const RecipeBundle& bundle, RecipeKind kind) {
  switch (kind) {
    case RecipeKind::kSknn:
      return bundle.sknn() != nullptr;
    case RecipeKind::kSr:
      return bundle.rules() != nullptr;
    default:
      return true;  // personal and trending need no index.
  }
}

// Adds to `out` the `m` best touched items of `scores` (ties by the lower index).
void AddBest(const SparseScores& scores, int m, absl::flat_hash_set<int32_t>* out) {
  std::vector<ScoredItem> touched;
  touched.reserve(scores.touched().size());
  for (int32_t item : scores.touched()) touched.push_back({item, scores.Get(item)});
  const size_t keep = std::min(touched.size(), static_cast<size_t>(m));
  std::partial_sort(touched.begin(), touched.begin() + keep, touched.end(),
                    [](const ScoredItem& a, const ScoredItem& b) {
                      return a.score != b.score ? a.score > b.score : a.index < b.index;
                    });
  for (size_t i = 0; i < keep; ++i) out->insert(touched[i].index);
}

// The prediction of `target` among `candidates` (without `target` and `skip`) from `inputs`,
// ties broken by the lower index as the server does.
BlendPrediction MakePrediction(const BlendInputs& inputs, float max_logit, int32_t target,
                               int32_t skip, const absl::flat_hash_set<int32_t>& candidates) {
  BlendPrediction prediction;
  prediction.target = ItemBlendTerms(inputs, max_logit, target);
  std::vector<int32_t> sorted(candidates.begin(), candidates.end());
  std::sort(sorted.begin(), sorted.end());  // Deterministic order.
  size_t below_target = 0;
  for (int32_t item : sorted) {
    if (item == target || item == skip) continue;
    if (item < target) ++below_target;
    prediction.others.push_back(ItemBlendTerms(inputs, max_logit, item));
  }
  prediction.tie_winners = below_target;
  return prediction;
}

}  // namespace

std::vector<BlendPrediction> CollectSimilarItemPredictions(const ServingModel& model,
                                                           const Dataset& validation,
                                                           const BlendPredictionOptions& options) {
  const RecipeBundle& bundle = *model.recipes;
  const HrnnNetwork& network = *model.network;
  const Recommender& recommender = *model.recommender;
  RecipeScratch& scratch = ThreadRecipeScratch(bundle.num_items());
  SparseScores cooccurrence(bundle.num_items());
  std::vector<float> query(network.hidden_size());
  std::vector<float> logits(network.num_items());
  std::vector<BlendPrediction> predictions;
  absl::flat_hash_set<int32_t> candidates;
  for (const SessionSpan& span : validation.sessions) {
    for (int64_t e = span.begin; e + 1 < span.end; ++e) {
      const int32_t item = validation.items[e];
      const int32_t target = validation.items[e + 1];
      if (target == item) continue;
      if (options.max_predictions > 0 &&
          static_cast<int64_t>(predictions.size()) >= options.max_predictions) {
        return predictions;
      }
      UserState one_click = model.NewUserState();
      const absl::StatusOr<EventOutcome> stepped =
          recommender.ApplyEvent(one_click, {item, validation.timestamps[e] * 1000, {}});
      assert(stepped.ok());  // The item is the model's.
      (void)stepped;
      recommender.QueryState(one_click, validation.timestamps[e] * 1000, query.data());
      network.Score(query.data(), logits.data());
      cooccurrence.Clear();
      const absl::Status scored =
          ScoreItemCooccurrence(*bundle.sknn(), item, &scratch.sknn, &cooccurrence);
      assert(scored.ok());
      (void)scored;
      cooccurrence.NormalizeByMax();
      BlendInputs inputs;
      inputs.gru_logits = logits;
      inputs.sparse[ComponentIndex(BlendComponent::kSknn)] = &cooccurrence;
      candidates.clear();
      for (const ScoredItem& best : TopK(logits, options.top_m + 1)) candidates.insert(best.index);
      AddBest(cooccurrence, options.top_m + 1, &candidates);
      predictions.push_back(MakePrediction(inputs, GruMaxLogit(logits), target, item, candidates));
    }
  }
  return predictions;
}

std::vector<BlendPrediction> CollectBlendPredictions(const ServingModel& model,
                                                     const Dataset& history,
                                                     const Dataset& validation,
                                                     const BlendPredictionOptions& options) {
  const RecipeBundle& bundle = *model.recipes;
  const HrnnNetwork& network = *model.network;
  const Recommender& recommender = *model.recommender;
  absl::flat_hash_map<std::string, const UserSpan*> history_users;
  for (const UserSpan& user : history.users) history_users[user.id] = &user;

  const std::vector<int32_t> identity;
  UserReplay replay(model, identity);
  std::vector<std::unique_ptr<SparseScores>> components;
  for (int c = 0; c < kNumBlendComponents; ++c) {
    components.push_back(std::make_unique<SparseScores>(bundle.num_items()));
  }
  RecipeScratch& scratch = ThreadRecipeScratch(bundle.num_items());
  std::vector<float> query(network.hidden_size());
  std::vector<float> logits(network.num_items());
  std::vector<BlendPrediction> predictions;
  absl::flat_hash_set<int32_t> candidates;

  for (const UserSpan& user : validation.users) {
    const auto found = history_users.find(user.id);
    replay.BeginUser(history, found == history_users.end() ? nullptr : found->second);
    // The personal recipe's training history is looked up by the id of a user with history.
    const absl::string_view user_id =
        found == history_users.end() ? absl::string_view() : absl::string_view(user.id);
    for (int64_t s = user.session_begin; s < user.session_end; ++s) {
      const SessionSpan& span = validation.sessions[s];
      const absl::Span<const int32_t> clicks =
          absl::MakeConstSpan(&validation.items[span.begin], static_cast<size_t>(span.length()));
      const absl::Span<const int64_t> times = absl::MakeConstSpan(
          &validation.timestamps[span.begin], static_cast<size_t>(span.length()));
      for (size_t e = 0; e + 1 < clicks.size(); ++e) {
        if (options.max_predictions > 0 &&
            static_cast<int64_t>(predictions.size()) >= options.max_predictions) {
          return predictions;
        }
        replay.ApplyPrefix(clicks.subspan(0, e + 1), times);
        if (!replay.known()) continue;
        const int32_t target = clicks[e + 1];
        const UserState& state = replay.state();
        const int64_t now_ms = replay.now_ms();
        const bool live = recommender.SessionLive(state, now_ms, replay.session_id());
        recommender.QueryState(state, now_ms, replay.session_id(), query.data());
        network.Score(query.data(), logits.data());

        BlendInputs inputs;
        inputs.gru_logits = logits;
        candidates.clear();
        for (const ScoredItem& item : TopK(logits, options.top_m)) candidates.insert(item.index);
        for (const auto& [component, kind] : kSparseBlendComponents) {
          if (!HasIndex(bundle, kind)) continue;
          SparseScores* scores = components[ComponentIndex(component)].get();
          ScoreSparseRecipe(bundle, kind, state, user_id, live, now_ms, &scratch, scores);
          scores->NormalizeByMax();
          inputs.sparse[ComponentIndex(component)] = scores;
          AddBest(*scores, options.top_m, &candidates);
        }
        predictions.push_back(
            MakePrediction(inputs, GruMaxLogit(logits), target, /*skip=*/-1, candidates));
      }
      replay.EndSession(clicks, times);
    }
  }
  return predictions;
}

}  // namespace hrnn
