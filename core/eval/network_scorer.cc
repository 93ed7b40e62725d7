#include "core/eval/network_scorer.h"

#include <algorithm>
#include <limits>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace hrnn {
namespace {

constexpr float kMinusInf = -std::numeric_limits<float>::infinity();

class NetworkModel : public BaselineModel {
 public:
  NetworkModel(std::shared_ptr<const HrnnNetwork> network, std::vector<int32_t> to_model,
               bool identity, std::string name)
      : network_(std::move(network)),
        to_model_(std::move(to_model)),
        identity_(identity),
        name_(std::move(name)) {}
  std::unique_ptr<NextItemScorer> NewScorer() const override;
  std::string name() const override { return name_; }
  int64_t num_items() const override { return static_cast<int64_t>(to_model_.size()); }

  const HrnnNetwork& network() const { return *network_; }
  const std::vector<int32_t>& to_model() const { return to_model_; }
  bool identity() const { return identity_; }

 private:
  std::shared_ptr<const HrnnNetwork> network_;
  std::vector<int32_t> to_model_;  // Catalogue index -> model index, -1 when unknown.
  bool identity_;                  // to_model_[i] == i for all i and the sizes agree.
  std::string name_;
};

class NetworkScorer : public NextItemScorer {
 public:
  explicit NetworkScorer(const NetworkModel& model)
      : model_(model),
        net_(model.network()),
        user_(net_.user_state_size(), 0.0f),
        session_(net_.hidden_size(), 0.0f),
        model_scores_(model.identity() ? 0 : net_.num_items()) {}

  void BeginUser(const Dataset& history, const UserSpan* history_user) override {
    std::fill(user_.begin(), user_.end(), 0.0f);
    stepped_ = -1;
    if (history_user == nullptr || user_.empty()) return;
    for (int64_t s = history_user->session_begin; s < history_user->session_end; ++s) {
      const SessionSpan& span = history.sessions[s];
      FoldSession(
          absl::MakeConstSpan(&history.items[span.begin], static_cast<size_t>(span.length())));
    }
  }

  void Score(absl::Span<const int32_t> prefix, absl::Span<float> scores) override {
    if (stepped_ < 0 || static_cast<size_t>(stepped_) > prefix.size()) {
      net_.InitSession(UserState(), session_.data());
      stepped_ = 0;
    }
    for (; static_cast<size_t>(stepped_) < prefix.size(); ++stepped_) Step(prefix[stepped_]);
    if (model_.identity()) {
      net_.Score(session_.data(), scores.data());
      return;
    }
    net_.Score(session_.data(), model_scores_.data());
    const std::vector<int32_t>& to_model = model_.to_model();
    for (size_t i = 0; i < scores.size(); ++i) {
      scores[i] = to_model[i] >= 0 ? model_scores_[to_model[i]] : kMinusInf;
    }
  }

  void EndSession(absl::Span<const int32_t> session) override {
    if (!user_.empty()) FoldSession(session);
    stepped_ = -1;
  }

 private:
  float* UserState() { return user_.empty() ? nullptr : user_.data(); }

  void Step(int32_t item) {
    const int32_t model_item = model_.to_model()[item];
    if (model_item >= 0) net_.SessionStep(model_item, UserState(), session_.data());
  }

  // Runs a whole session from the user state and folds it into the user state.
  void FoldSession(absl::Span<const int32_t> session) {
    net_.InitSession(UserState(), session_.data());
    for (int32_t item : session) Step(item);
    net_.UserUpdate(session_.data(), UserState());
  }

  const NetworkModel& model_;
  const HrnnNetwork& net_;
  std::vector<float> user_;
  std::vector<float> session_;
  std::vector<float> model_scores_;
  int64_t stepped_ = -1;  // Prefix clicks already in session_; -1: session not started.
};

std::unique_ptr<NextItemScorer> NetworkModel::NewScorer() const {
  return std::make_unique<NetworkScorer>(*this);
}

}  // namespace

absl::StatusOr<std::unique_ptr<BaselineModel>> NewNetworkModel(
    std::shared_ptr<const HrnnNetwork> network, const Dataset& train, std::string name,
    NetworkModelInfo* info) {
  const ItemVocabulary& vocabulary = network->model().items();
  std::vector<int32_t> to_model(train.num_items(), -1);
  int64_t unknown = 0;
  bool identity = train.num_items() == network->num_items();
  for (int64_t i = 0; i < train.num_items(); ++i) {
    if (std::optional<int64_t> index = vocabulary.Find(train.item_ids[i])) {
      to_model[i] = static_cast<int32_t>(*index);
    } else {
      ++unknown;
    }
    identity = identity && to_model[i] == i;
  }
  if (info != nullptr) {
    info->catalogue_items = train.num_items();
    info->items_unknown_to_model = unknown;
    info->model_items = network->num_items();
  }
  if (train.num_items() > 0 && unknown == train.num_items()) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": the model knows none of the ", train.num_items(),
                     " training items (was it trained on other data?)"));
  }
  return std::make_unique<NetworkModel>(std::move(network), std::move(to_model), identity,
                                        std::move(name));
}

}  // namespace hrnn
