#include "core/eval/recipe_scorer.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"
#include "core/eval/user_replay.h"
#include "core/serving/recommendation_pipeline.h"

namespace hrnn {
namespace {

constexpr float kMinusInf = -std::numeric_limits<float>::infinity();

class RecipeModel : public BaselineModel {
 public:
  RecipeModel(std::shared_ptr<const ServingModel> model, RecipeKind kind,
              std::vector<int32_t> to_model, std::vector<int32_t> to_catalogue, int list_size,
              std::string name)
      : model_(std::move(model)),
        kind_(kind),
        to_model_(std::move(to_model)),
        to_catalogue_(std::move(to_catalogue)),
        list_size_(list_size),
        name_(std::move(name)) {}

  std::unique_ptr<NextItemScorer> NewScorer() const override;
  std::string name() const override { return name_; }
  int64_t num_items() const override { return static_cast<int64_t>(to_model_.size()); }

  const std::shared_ptr<const ServingModel>& model() const { return model_; }
  RecipeKind kind() const { return kind_; }
  const std::vector<int32_t>& to_model() const { return to_model_; }
  int32_t ToCatalogue(int32_t model_item) const { return to_catalogue_[model_item]; }
  int list_size() const { return list_size_; }

 private:
  std::shared_ptr<const ServingModel> model_;
  RecipeKind kind_;
  std::vector<int32_t> to_model_;      // Catalogue index -> model index, -1 when unknown.
  std::vector<int32_t> to_catalogue_;  // Model index -> catalogue index, -1 when unknown.
  int list_size_;
  std::string name_;
};

class RecipeScorer : public NextItemScorer {
 public:
  explicit RecipeScorer(const RecipeModel& model)
      : model_(model), replay_(*model.model(), model.to_model()) {}

  void BeginUser(const Dataset& history, const UserSpan* history_user) override {
    replay_.BeginUser(history, history_user);
    user_id_ = history_user != nullptr ? history_user->id : "";
  }
  void SetPrefixTimes(absl::Span<const int64_t> times) override { times_ = times; }

  void Score(absl::Span<const int32_t> prefix, absl::Span<float> scores) override {
    replay_.ApplyPrefix(prefix, times_);
    absl::flat_hash_set<int32_t> distinct(prefix.begin(), prefix.end());
    RecommendationRequest request;
    request.now_ms = replay_.now_ms();
    request.session_id = replay_.session_id();
    request.user_id = user_id_;
    request.recipe = model_.kind();
    request.num_results = static_cast<int>(
        std::min<int64_t>(model_.list_size() + static_cast<int64_t>(distinct.size()),
                          model_.model()->network->num_items()));
    const Recommendation answer =
        Recommend(model_.model(), replay_.state(), replay_.known(), request, ScoringMode::kSingle);
    std::fill(scores.begin(), scores.end(), kMinusInf);
    const float top = static_cast<float>(answer.items.size());
    for (size_t p = 0; p < answer.items.size(); ++p) {
      const int32_t item = model_.ToCatalogue(answer.items[p].index);
      if (item >= 0) scores[item] = top - static_cast<float>(p);
    }
  }

  void EndSession(absl::Span<const int32_t> session) override {
    replay_.EndSession(session, times_);
  }

 private:
  const RecipeModel& model_;
  UserReplay replay_;
  absl::Span<const int64_t> times_;
  std::string user_id_;  // The current user's id ("" without history).
};

std::unique_ptr<NextItemScorer> RecipeModel::NewScorer() const {
  return std::make_unique<RecipeScorer>(*this);
}

}  // namespace

absl::StatusOr<std::unique_ptr<BaselineModel>> NewRecipeModel(
    std::shared_ptr<const ServingModel> model, RecipeKind kind, const Dataset& train, int list_size,
    std::string name) {
  HRNN_RETURN_IF_ERROR(ResolveRecipe(*model, kind).status());
  const ItemVocabulary& vocabulary = model->items();
  std::vector<int32_t> to_model(train.num_items(), -1);
  std::vector<int32_t> to_catalogue(model->network->num_items(), -1);
  int64_t known = 0;
  for (int64_t i = 0; i < train.num_items(); ++i) {
    if (std::optional<int64_t> index = vocabulary.Find(train.item_ids[i])) {
      to_model[i] = static_cast<int32_t>(*index);
      to_catalogue[*index] = static_cast<int32_t>(i);
      ++known;
    }
  }
  if (known == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": no item of the evaluation's catalogue is known to the model"));
  }
  return std::make_unique<RecipeModel>(std::move(model), kind, std::move(to_model),
                                       std::move(to_catalogue), list_size, std::move(name));
}

}  // namespace hrnn
