#include "core/serving/recipe_scoring.h"

#include <algorithm>
#include <cassert>
#include <memory>

#include "absl/container/flat_hash_set.h"

namespace hrnn {
namespace {

// Appends to `out` the touched items of `scores` not excluded and not yet in `chosen`, best
// first (ties by the lower index), until `out` holds k items.
void AppendBest(const SparseScores& scores, const ItemExclusions& exclusions, int k,
                absl::flat_hash_set<int32_t>* chosen, std::vector<ScoredItem>* out) {
  std::vector<ScoredItem> candidates;
  candidates.reserve(scores.touched().size());
  for (int32_t item : scores.touched()) {
    if (exclusions.Contains(item) || chosen->contains(item)) continue;
    candidates.push_back({item, scores.Get(item)});
  }
  auto better = [](const ScoredItem& a, const ScoredItem& b) {
    return a.score != b.score ? a.score > b.score : a.index < b.index;
  };
  const size_t wanted = std::min(candidates.size(), static_cast<size_t>(k) - out->size());
  std::partial_sort(candidates.begin(), candidates.begin() + wanted, candidates.end(), better);
  for (size_t i = 0; i < wanted; ++i) {
    chosen->insert(candidates[i].index);
    out->push_back(candidates[i]);
  }
}

}  // namespace

RecipeScratch& ThreadRecipeScratch(int32_t num_items) {
  thread_local std::unique_ptr<RecipeScratch> scratch;
  if (scratch == nullptr || scratch->scores.num_items() != num_items) {
    scratch = std::make_unique<RecipeScratch>(num_items);
  }
  return *scratch;
}

void ScoreSparseRecipe(const RecipeBundle& bundle, RecipeKind kind, const UserState& state,
                       absl::string_view user_id, bool session_live, int64_t now_ms,
                       RecipeScratch* scratch, SparseScores* scores) {
  scores->Clear();
  const int64_t now_seconds = now_ms / 1000;
  switch (kind) {
    case RecipeKind::kSknn:
    case RecipeKind::kSr: {
      if (!session_live) return;
      state.session_clicks.CopyTo(&scratch->prefix);
      const absl::Status status = kind == RecipeKind::kSknn
                                      ? bundle.sknn()->Score(scratch->prefix, &scratch->sknn,
                                                             scores, bundle.live_sessions())
                                      : bundle.rules()->Score(scratch->prefix, scores);
      assert(status.ok());  // The state's items are the model's.
      (void)status;
      return;
    }
    case RecipeKind::kPersonal: {
      scratch->history.clear();
      for (int i = 0; i < state.history.size(); ++i) {
        const int32_t item = state.history.item(i);
        const int count = state.history.count(i);
        int in_session = 0;
        if (session_live) {
          for (int c = 0; c < state.session_clicks.size(); ++c) {
            in_session += state.session_clicks.at(c) == item ? 1 : 0;
          }
        }
        scratch->history.push_back({item, count,
                                    static_cast<int64_t>(state.history.last_time_seconds(i)),
                                    std::min(in_session, count)});
      }
      absl::Status status =
          ScorePersonalHistory(scratch->history, now_seconds, bundle.settings().personal, scores);
      assert(status.ok());
      if (!user_id.empty()) {
        status = MergeTrainingHistory(bundle.user_items().Find(user_id), now_seconds,
                                      bundle.settings().personal, scores);
        assert(status.ok());  // The bundle validated the file against the catalogue.
      }
      (void)status;
      return;
    }
    case RecipeKind::kTrending:
      bundle.trending()->AddTopScores(now_seconds, kTrendingItems, scores);
      return;
    case RecipeKind::kHrnn:
    case RecipeKind::kAuto:
      break;
  }
  assert(false && "ScoreSparseRecipe: not a sparse recipe");
}

SparseAnswer AnswerSparseRecipe(const RecipeBundle& bundle, RecipeKind kind, const UserState& state,
                                absl::string_view user_id, bool session_live, int64_t now_ms,
                                const ItemExclusions& exclusions, int k) {
  RecipeScratch& scratch = ThreadRecipeScratch(bundle.num_items());
  SparseAnswer answer;
  absl::flat_hash_set<int32_t> chosen;
  ScoreSparseRecipe(bundle, kind, state, user_id, session_live, now_ms, &scratch, &scratch.scores);
  AppendBest(scratch.scores, exclusions, k, &chosen, &answer.items);
  answer.answered = answer.items.empty() ? RecipeKind::kTrending : kind;
  const size_t own = answer.items.size();
  if (static_cast<int>(answer.items.size()) < k && kind != RecipeKind::kTrending) {
    ScoreSparseRecipe(bundle, RecipeKind::kTrending, state, user_id, session_live, now_ms, &scratch,
                      &scratch.fill);
    AppendBest(scratch.fill, exclusions, k, &chosen, &answer.items);
  }
  for (int32_t item = 0; static_cast<int>(answer.items.size()) < k && item < bundle.num_items();
       ++item) {
    if (exclusions.Contains(item) || chosen.contains(item)) continue;
    chosen.insert(item);
    answer.items.push_back({item, 0.0f});
  }
  // When the recipe scored nothing the whole list is the fallback's answer, not a back-fill.
  answer.backfilled = own == 0 ? 0 : static_cast<int>(answer.items.size() - own);
  return answer;
}

}  // namespace hrnn
