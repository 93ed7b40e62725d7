#include "core/eval/network_scorer.h"

#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/eval/next_item_evaluator.h"
#include "core/eval/scorer_evaluator.h"
#include "gtest/gtest.h"
#include "tests/testing/dataset_builder.h"
#include "tests/testing/status_matchers.h"

namespace hrnn {
namespace {

using ::hrnn::testing::MakeDataset;
using ::hrnn::testing::UserClicks;

constexpr int kNumItems = 40;

std::vector<UserClicks> RandomUsers(int first, int count, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> sessions(1, 3), length(2, 6), item(0, kNumItems - 1);
  std::vector<UserClicks> users;
  for (int u = first; u < first + count; ++u) {
    users.push_back({"u" + std::to_string(u), {}});
    for (int s = sessions(rng); s > 0; --s) {
      users.back().sessions.emplace_back();
      for (int c = length(rng); c > 0; --c) users.back().sessions.back().push_back(item(rng));
    }
  }
  return users;
}

class NetworkScorerTest : public ::testing::TestWithParam<ModelMode> {
 protected:
  void SetUp() override {
    ModelConfig config;
    config.mode = GetParam();
    config.num_items = kNumItems;
    config.hidden_size = 8;
    config.user_hidden_size = 6;
    model_ = Model::CreateRandom(config, 23);
    ASSERT_NE(model_, nullptr);
    ASSERT_OK_AND_ASSIGN(network_, HrnnNetwork::Create(model_));
    history_ = MakeDataset(kNumItems, RandomUsers(0, 10, 1));
    // Test users u5..u14 (u10.. have no history), several sessions each.
    test_ = MakeDataset(kNumItems, RandomUsers(5, 10, 2));
  }
  std::shared_ptr<const Model> model_;
  std::shared_ptr<const HrnnNetwork> network_;
  Dataset history_, test_;
};

TEST_P(NetworkScorerTest, SameRanksAsEvaluateNextItem) {
  NetworkModelInfo info;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<BaselineModel> model,
                       NewNetworkModel(network_, history_, "m", &info));
  EXPECT_EQ(info.items_unknown_to_model, 0);
  EXPECT_EQ(model->name(), "m");
  NextItemEvalOptions options;
  options.threads = 2;
  const NextItemMetrics direct = EvaluateNextItem(*network_, history_, test_, options);
  const NextItemMetrics wrapped = EvaluateScorer(*model, history_, test_, options);
  ASSERT_GT(direct.predictions, 30);
  EXPECT_EQ(wrapped.ranks, direct.ranks);
}

TEST_P(NetworkScorerTest, MapsAnotherVocabularyById) {
  // The evaluation catalogue lists the model's items in reverse order, plus one it lacks.
  Dataset history = history_, test = test_;
  std::vector<std::string> ids;
  for (int i = kNumItems - 1; i >= 0; --i) ids.push_back(model_->items().id(i));
  ids.push_back("not-in-model");
  for (Dataset* d : {&history, &test}) {
    d->item_ids = ids;
    d->item_counts.assign(ids.size(), 1);
    for (int32_t& item : d->items) item = kNumItems - 1 - item;
  }
  NetworkModelInfo info;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<BaselineModel> model,
                       NewNetworkModel(network_, history, "m", &info));
  EXPECT_EQ(info.catalogue_items, kNumItems + 1);
  EXPECT_EQ(info.items_unknown_to_model, 1);
  EXPECT_EQ(model->num_items(), kNumItems + 1);
  NextItemEvalOptions options;
  const NextItemMetrics direct = EvaluateNextItem(*network_, history_, test_, options);
  const NextItemMetrics mapped = EvaluateScorer(*model, history, test, options);
  // The unknown item scores -inf, so it never outranks anything: the ranks are unchanged.
  EXPECT_EQ(mapped.ranks, direct.ranks);
  std::unique_ptr<NextItemScorer> scorer = model->NewScorer();
  scorer->BeginUser(history, nullptr);
  std::vector<float> scores(kNumItems + 1);
  scorer->Score(std::vector<int32_t>{3}, absl::MakeSpan(scores));
  EXPECT_TRUE(std::isinf(scores[kNumItems]) && scores[kNumItems] < 0);
}

TEST_P(NetworkScorerTest, RejectsADisjointCatalogue) {
  Dataset other = history_;
  for (std::string& id : other.item_ids) id = "other-" + id;
  EXPECT_FALSE(NewNetworkModel(network_, other, "m", nullptr).ok());
}

INSTANTIATE_TEST_SUITE_P(Modes, NetworkScorerTest,
                         ::testing::Values(ModelMode::kSessionOnly, ModelMode::kHrnnInit,
                                           ModelMode::kHrnnAll),
                         [](const auto& info) {
                           std::string name(ModelModeName(info.param));
                           for (char& c : name) c = c == '-' ? '_' : c;
                           return name;
                         });

}  // namespace
}  // namespace hrnn
