#include "core/recipes/blend_fit.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace hrnn {
namespace {

using ::hrnn::testing::StatusIs;

constexpr int kSknn = ComponentIndex(BlendComponent::kSknn);
constexpr int kSr = ComponentIndex(BlendComponent::kSr);

// Terms with only sknn (A) and sr (B) set.
BlendTerms AB(float a, float b) {
  BlendTerms t{};
  t[kSknn] = a;
  t[kSr] = b;
  return t;
}

std::array<bool, kNumBlendComponents> Available(std::initializer_list<int> components) {
  std::array<bool, kNumBlendComponents> available{};
  for (int c : components) available[c] = true;
  return available;
}

BlendWeights Only(int c, double w) {
  BlendWeights weights;
  weights.weight[c] = w;
  return weights;
}

TEST(BlendFitTest, RankCountsTiesAgainstTheTarget) {
  BlendPrediction p;
  p.target = AB(0.5f, 0.0f);
  p.others = {AB(0.5f, 0.0f), AB(0.2f, 0.0f), AB(0.9f, 0.0f)};
  EXPECT_EQ(BlendTargetRank(p, Only(kSknn, 1.0)), 3);  // One higher, one tied.
  p.others.push_back(AB(std::nanf(""), 0.0f));         // A NaN never beats the target...
  EXPECT_EQ(BlendTargetRank(p, Only(kSknn, 1.0)), 3);
  p.target = AB(std::nanf(""), 0.0f);  // ...and a NaN target ranks last.
  EXPECT_EQ(BlendTargetRank(p, Only(kSknn, 1.0)), 5);

  const std::vector<BlendPrediction> predictions = {p};
  EXPECT_EQ(EvaluateBlend(predictions, Only(kSknn, 1.0), 20).mrr, 0.2);
  EXPECT_EQ(EvaluateBlend(predictions, Only(kSknn, 1.0), 4).recall, 0.0);
  EXPECT_EQ(EvaluateBlend({}, Only(kSknn, 1.0), 4).mrr, 0.0);
  // Ties broken as the server does (the caller says which others have a lower index): the
  // tied item wins only when it is among the first tie_winners.
  p.target = AB(0.5f, 0.0f);
  p.tie_winners = 1;
  EXPECT_EQ(BlendTargetRank(p, Only(kSknn, 1.0)), 3);
  p.tie_winners = 0;
  EXPECT_EQ(BlendTargetRank(p, Only(kSknn, 1.0)), 2);
  p.tie_winners = SIZE_MAX;
}

TEST(BlendFitTest, PicksTheOnlyComponentThatRanksTheTargetFirst) {
  // sknn ranks both targets first; sr ranks them second.
  std::vector<BlendPrediction> predictions(2);
  predictions[0].target = AB(1.0f, 0.2f);
  predictions[0].others = {AB(0.5f, 0.9f)};
  predictions[1].target = AB(0.8f, 0.1f);
  predictions[1].others = {AB(0.4f, 1.0f), AB(0.1f, 0.0f)};
  ASSERT_OK_AND_ASSIGN(BlendFitResult fit,
                       FitBlendWeights(predictions, Available({kSknn, kSr}), BlendFitOptions()));
  EXPECT_EQ(fit.best_single, BlendComponent::kSknn);
  // sknn alone; its scale is free (ranks depend on ratios), so the smallest grid value wins.
  EXPECT_EQ(fit.weights.weight, Only(kSknn, 0.01).weight);
  EXPECT_EQ(fit.blend.mrr, 1.0);
  EXPECT_EQ(fit.blend.recall, 1.0);
  EXPECT_EQ(fit.single[kSknn].mrr, 1.0);
  EXPECT_EQ(fit.single[kSr].mrr, 0.5);
  EXPECT_EQ(fit.single[kSr].recall, 1.0);
  EXPECT_EQ(fit.single[ComponentIndex(BlendComponent::kHrnn)].mrr, 0.0);  // Unavailable.
  EXPECT_OK(fit.weights.Validate());
}

TEST(BlendFitTest, ChoosesTheBlendWhenEachComponentGetsOnePredictionRight) {
  // p0: A ranks the target 1st, B 3rd; p1: the reverse. A + B ranks both first.
  std::vector<BlendPrediction> predictions(2);
  predictions[0].target = AB(1.0f, 0.6f);
  predictions[0].others = {AB(0.5f, 0.9f), AB(0.4f, 0.8f)};
  predictions[1].target = AB(0.6f, 1.0f);
  predictions[1].others = {AB(0.9f, 0.5f), AB(0.8f, 0.4f)};
  for (const BlendPrediction& p : predictions) {
    EXPECT_EQ(BlendTargetRank(p, Only(kSknn, 1.0)) * BlendTargetRank(p, Only(kSr, 1.0)), 3);
  }
  ASSERT_OK_AND_ASSIGN(BlendFitResult fit,
                       FitBlendWeights(predictions, Available({kSknn, kSr}), BlendFitOptions()));
  BlendWeights expected;
  expected.weight[kSknn] = 0.01;
  expected.weight[kSr] = 0.01;  // 1:1 at the smallest scale of the grid.
  EXPECT_EQ(fit.weights.weight, expected.weight);
  EXPECT_EQ(fit.blend.mrr, 1.0);
  EXPECT_EQ(fit.blend.recall, 1.0);
  EXPECT_DOUBLE_EQ(fit.single[kSknn].mrr, (1.0 + 1.0 / 3) / 2);
  EXPECT_DOUBLE_EQ(fit.single[kSr].mrr, (1.0 + 1.0 / 3) / 2);
  EXPECT_EQ(fit.best_single, BlendComponent::kSknn);  // Tied with sr: the earlier one.
}

TEST(BlendFitTest, TiesAreConservativeInTheFit) {
  // sknn ties the target with another item (rank 2); sr ranks it first outright, so sr wins
  // although sknn's target score equals the best.
  std::vector<BlendPrediction> predictions(1);
  predictions[0].target = AB(1.0f, 1.0f);
  predictions[0].others = {AB(1.0f, 0.5f)};
  ASSERT_OK_AND_ASSIGN(BlendFitResult fit,
                       FitBlendWeights(predictions, Available({kSknn, kSr}), BlendFitOptions()));
  EXPECT_EQ(fit.single[kSknn].mrr, 0.5);
  EXPECT_EQ(fit.single[kSr].mrr, 1.0);
  EXPECT_EQ(fit.best_single, BlendComponent::kSr);
  EXPECT_EQ(fit.weights.weight, Only(kSr, 0.01).weight);
}

TEST(BlendFitTest, BalancesRecallAndMrrAgainstTheBestOfEach) {
  // At cutoff 2, sknn ranks the targets 1, 1, 1, 3 (Recall 0.75, MRR 0.75) and sr ranks them
  // 1, 2, 2, 2 (Recall 1, MRR 0.625). So R* = 1 (sr) and M* = 0.75 (sknn), neither reaches both;
  // sknn's objective is sqrt(0.75 / 1 x 1) = 0.866, sr's sqrt(1 x 0.625 / 0.75) = 0.913: sr is
  // the better start, although an MRR-only objective would take sknn.
  std::vector<BlendPrediction> predictions(4);
  predictions[0].target = AB(1.0f, 1.0f);
  predictions[0].others = {AB(0.5f, 0.5f)};
  for (int p : {1, 2}) {
    predictions[p].target = AB(1.0f, 0.5f);
    predictions[p].others = {AB(0.5f, 1.0f)};
  }
  predictions[3].target = AB(0.1f, 0.5f);
  predictions[3].others = {AB(0.5f, 1.0f), AB(0.6f, 0.1f)};
  BlendFitOptions options;
  options.cutoff = 2;
  options.rounds = 0;
  ASSERT_OK_AND_ASSIGN(BlendFitResult fit,
                       FitBlendWeights(predictions, Available({kSknn, kSr}), options));
  EXPECT_EQ(fit.single[kSknn].recall, 0.75);
  EXPECT_EQ(fit.single[kSknn].mrr, 0.75);
  EXPECT_EQ(fit.single[kSr].recall, 1.0);
  EXPECT_EQ(fit.single[kSr].mrr, 0.625);
  EXPECT_EQ(fit.best_single, BlendComponent::kSr);
  EXPECT_EQ(fit.weights.weight, Only(kSr, 1.0).weight);
  EXPECT_FALSE(fit.at_least_best);
  EXPECT_DOUBLE_EQ(fit.objective, std::sqrt(0.625 / 0.75));

  // No blend does better: targets 1 and 2 need w_sknn > w_sr, target 3's rank 2 needs
  // w_sr > 1.25 w_sknn. The ascent keeps sr (at the smallest grid weight: simpler).
  options.rounds = 3;
  ASSERT_OK_AND_ASSIGN(BlendFitResult ascent,
                       FitBlendWeights(predictions, Available({kSknn, kSr}), options));
  EXPECT_EQ(ascent.weights.weight, Only(kSr, 0.01).weight);
  EXPECT_DOUBLE_EQ(ascent.objective, fit.objective);
}

TEST(BlendFitTest, PrefersABlendAtLeastAsGoodAsTheBestOnBothMetrics) {
  // Cutoff 1. p0: only sknn ranks the target first; p1: only sr; p2: sknn and sr tie it with an
  // item that one ranks above it each; sknn + sr ranks every target first.
  std::vector<BlendPrediction> predictions(3);
  predictions[0].target = AB(1.0f, 0.6f);
  predictions[0].others = {AB(0.5f, 0.9f)};
  predictions[1].target = AB(0.6f, 1.0f);
  predictions[1].others = {AB(0.9f, 0.5f)};
  predictions[2].target = AB(0.7f, 0.7f);
  predictions[2].others = {AB(0.8f, 0.1f), AB(0.1f, 0.8f)};
  BlendFitOptions options;
  options.cutoff = 1;
  ASSERT_OK_AND_ASSIGN(BlendFitResult fit,
                       FitBlendWeights(predictions, Available({kSknn, kSr}), options));
  EXPECT_EQ(fit.single[kSknn].recall, 1.0 / 3);
  EXPECT_EQ(fit.single[kSr].recall, 1.0 / 3);
  EXPECT_TRUE(fit.at_least_best);
  EXPECT_EQ(fit.blend.recall, 1.0);
  EXPECT_DOUBLE_EQ(fit.objective, 3.0);
  EXPECT_EQ(fit.weights.weight[kSknn], fit.weights.weight[kSr]);
}

TEST(BlendFitTest, UnavailableComponentsStayZeroAndAreNotRead) {
  std::vector<BlendPrediction> predictions(1);
  predictions[0].target = AB(0.1f, std::nanf(""));  // sr would be read as NaN.
  predictions[0].others = {AB(0.5f, 0.0f)};
  BlendFitOptions options;
  options.rounds = 0;
  ASSERT_OK_AND_ASSIGN(BlendFitResult fit,
                       FitBlendWeights(predictions, Available({kSknn}), options));
  EXPECT_EQ(fit.weights.weight, Only(kSknn, 1.0).weight);  // rounds = 0: the best single.
  EXPECT_EQ(fit.blend.mrr, 0.5);
  EXPECT_EQ(fit.evaluations, 1);
}

TEST(BlendFitTest, IsDeterministic) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<float> unit(0.0f, 1.0f);
  std::vector<BlendPrediction> predictions(200);
  for (BlendPrediction& p : predictions) {
    for (float& t : p.target) t = unit(rng);
    p.others.resize(60);
    for (BlendTerms& o : p.others) {
      for (float& t : o) t = unit(rng);
    }
  }
  const auto available = Available({0, 1, 2, 3, 4});
  ASSERT_OK_AND_ASSIGN(BlendFitResult a, FitBlendWeights(predictions, available, {}));
  ASSERT_OK_AND_ASSIGN(BlendFitResult b, FitBlendWeights(predictions, available, {}));
  EXPECT_EQ(a.weights.weight, b.weights.weight);
  EXPECT_EQ(a.blend.mrr, b.blend.mrr);
  EXPECT_EQ(a.blend.recall, b.blend.recall);
  EXPECT_EQ(a.evaluations, b.evaluations);
  // The fit never ends below its starting point.
  EXPECT_GE(a.blend.mrr, a.single[ComponentIndex(a.best_single)].mrr);
  const BlendMetrics again = EvaluateBlend(predictions, a.weights, 20);
  EXPECT_EQ(again.mrr, a.blend.mrr);
}

TEST(BlendFitTest, ErrorsNameTheField) {
  std::vector<BlendPrediction> predictions(1);
  predictions[0].target = AB(1.0f, 0.5f);
  predictions[0].others = {AB(0.5f, 0.5f), AB(0.2f, -1.0f)};
  const auto both = Available({kSknn, kSr});
  EXPECT_THAT(FitBlendWeights({}, both, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, "predictions"));
  EXPECT_THAT(FitBlendWeights(predictions, Available({}), {}),
              StatusIs(absl::StatusCode::kInvalidArgument, "available"));
  EXPECT_THAT(FitBlendWeights(predictions, both, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, "predictions[0].others[1][sr]"));
  EXPECT_OK(FitBlendWeights(predictions, Available({kSknn}), {}));

  BlendFitOptions options;
  options.grid = {};
  EXPECT_THAT(options.Validate(), StatusIs(absl::StatusCode::kInvalidArgument, "grid"));
  options.grid = {0, 1, -2};
  EXPECT_THAT(FitBlendWeights(predictions, Available({kSknn}), options),
              StatusIs(absl::StatusCode::kInvalidArgument, "grid[2]"));
  options = BlendFitOptions();
  options.rounds = -1;
  EXPECT_THAT(options.Validate(), StatusIs(absl::StatusCode::kInvalidArgument, "rounds"));
  options = BlendFitOptions();
  options.cutoff = 0;
  EXPECT_THAT(options.Validate(), StatusIs(absl::StatusCode::kInvalidArgument, "cutoff"));
  EXPECT_OK(BlendFitOptions().Validate());
}

}  // namespace
}  // namespace hrnn
