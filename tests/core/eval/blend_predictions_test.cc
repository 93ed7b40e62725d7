// The validation predictions the blends are fit on: GetSimilarItems' click pairs, checked
// against the served similar items (the terms must rank the target where the server would).
#include "core/eval/blend_predictions.h"

#include <memory>
#include <vector>

#include "core/recipes/blend_fit.h"
#include "core/serving/similar_items.h"
#include "gtest/gtest.h"
#include "tests/testing/dataset_builder.h"
#include "tests/testing/model_dir.h"
#include "tests/testing/status_matchers.h"

namespace hrnn {
namespace {

constexpr int kItems = 60;

class SimilarItemPredictionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(auto network,
                         HrnnNetwork::Create(Model::CreateRandom(
                             testing::SmallModelConfig(ModelMode::kHrnnInit, kItems), 11)));
    serving_ = MakeServingModel(network, SessionPolicy());
    RecipeSettings settings;
    settings.recipes = {RecipeKind::kHrnn, RecipeKind::kSknn};
    ASSERT_OK_AND_ASSIGN(serving_->recipes,
                         RecipeBundle::Build(settings, testing::TestSessions(kItems), kItems));
  }
  std::shared_ptr<ServingModel> serving_;
};

TEST_F(SimilarItemPredictionsTest, OnePerPairOfDistinctClicksRankedAsServed) {
  // Pairs (3, 23), (23, 23) skipped: the answer never holds the item itself, (23, 50).
  const Dataset validation = testing::MakeDataset(kItems, {{"u", {{3, 23, 23, 50}}}});
  const std::vector<BlendPrediction> predictions =
      CollectSimilarItemPredictions(*serving_, validation, BlendPredictionOptions());
  ASSERT_EQ(predictions.size(), 2u);

  // Under any weights the target's rank among the candidates is its rank in the served list.
  // (With a GRU term: without one the server back-fills from trending, which the fit does not
  // model.)
  for (const SimilarItemsOptions& weights :
       {SimilarItemsOptions{0, 1}, SimilarItemsOptions{1, 0.5}, SimilarItemsOptions{1, 0.05}}) {
    RecipeSettings settings = serving_->recipes->settings();
    settings.similar_items = weights;
    ASSERT_OK_AND_ASSIGN(serving_->recipes,
                         RecipeBundle::Build(settings, testing::TestSessions(kItems), kItems));
    const int64_t pairs[][2] = {{3, 23}, {23, 50}};
    for (int p = 0; p < 2; ++p) {
      SimilarItemsRequest request;
      request.item = pairs[p][0];
      request.num_results = kItems - 1;
      request.now_ms = (1000 + p) * 1000;
      const Recommendation answer =
          SimilarItems(serving_, serving_->NewUserState(), false, request, ScoringMode::kSingle);
      int64_t served_rank = 0;
      for (size_t i = 0; i < answer.items.size(); ++i) {
        if (answer.items[i].index == pairs[p][1]) served_rank = static_cast<int64_t>(i) + 1;
      }
      ASSERT_GT(served_rank, 0);
      const int64_t rank = BlendTargetRank(predictions[p], weights.AsBlendWeights());
      // The candidates are each term's 101 best, so ranks agree while the target is among them.
      if (served_rank <= 100) {
        EXPECT_EQ(rank, served_rank) << "pair " << p << ", weights " << weights.cooccurrence_weight
                                     << "/" << weights.hrnn_weight;
      }
    }
  }
}

}  // namespace
}  // namespace hrnn
