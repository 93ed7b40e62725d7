#include "core/model/gru_cell.h"

#include <cmath>
#include <vector>

#include "gtest/gtest.h"
#include "tests/testing/random.h"

namespace hrnn {
namespace {

using ::hrnn::testing::ExpectAllNear;
using ::hrnn::testing::RandomVector;

struct GruWeights {
  Tensor weight_x, weight_h, bias;
};

GruWeights RandomGru(int inputs, int hidden, uint64_t seed) {
  GruWeights w{Tensor({3 * hidden, inputs}), Tensor({3 * hidden, hidden}), Tensor({3 * hidden})};
  const float scale = 1.0f / std::sqrt(static_cast<float>(hidden));
  w.weight_x.values = RandomVector(w.weight_x.values.size(), seed, scale);
  w.weight_h.values = RandomVector(w.weight_h.values.size(), seed + 1, scale);
  w.bias.values = RandomVector(w.bias.values.size(), seed + 2, 0.5f);
  return w;
}

class GruCellShapeTest : public ::testing::TestWithParam<std::pair<int, int>> {};

TEST_P(GruCellShapeTest, FastPathMatchesReference) {
  const auto [inputs, hidden] = GetParam();
  const GruWeights w = RandomGru(inputs, hidden, 1000 + inputs * 7 + hidden);
  const GruCell cell(w.weight_x, w.weight_h, w.bias);
  ASSERT_EQ(cell.input_size(), inputs);
  ASSERT_EQ(cell.hidden_size(), hidden);

  std::vector<float> h = RandomVector(hidden, 5, 0.9f);
  std::vector<float> h_ref = h;
  // A chain of steps, so errors would compound if the paths diverged.
  for (int step = 0; step < 5; ++step) {
    const std::vector<float> x = RandomVector(inputs, 100 + step);
    std::vector<float> next(hidden);
    cell.Step(x.data(), h.data(), next.data());
    GruStepReference(w.weight_x, w.weight_h, w.bias, x.data(), h_ref.data(), h_ref.data());
    h = next;
    SCOPED_TRACE(::testing::Message()
                 << "inputs " << inputs << " hidden " << hidden << " step " << step);
    ExpectAllNear(h, h_ref, 2e-5f, 1e-4f);
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, GruCellShapeTest,
                         ::testing::Values(std::pair{1, 1}, std::pair{5, 3}, std::pair{16, 16},
                                           std::pair{17, 15}, std::pair{100, 100},
                                           std::pair{200, 100}, std::pair{64, 130}),
                         [](const auto& info) {
                           return "in" + std::to_string(info.param.first) + "_h" +
                                  std::to_string(info.param.second);
                         });

TEST(GruCellTest, OutputMayAliasHiddenState) {
  const GruWeights w = RandomGru(20, 33, 3);
  const GruCell cell(w.weight_x, w.weight_h, w.bias);
  const std::vector<float> x = RandomVector(20, 4);
  std::vector<float> h = RandomVector(33, 5);
  std::vector<float> separate(33);
  cell.Step(x.data(), h.data(), separate.data());
  cell.Step(x.data(), h.data(), h.data());
  EXPECT_EQ(h, separate);
}

TEST(GruCellTest, ClosedUpdateGateKeepsState) {
  // z = σ(-100) ≈ 0, so h' = h whatever the input.
  GruWeights w = RandomGru(4, 8, 9);
  for (int j = 8; j < 16; ++j) w.bias.values[j] = -100.0f;
  const GruCell cell(w.weight_x, w.weight_h, w.bias);
  const std::vector<float> x = RandomVector(4, 1);
  const std::vector<float> h = RandomVector(8, 2);
  std::vector<float> out(8);
  cell.Step(x.data(), h.data(), out.data());
  ExpectAllNear(out, h, 1e-6f);
}

TEST(GruCellTest, OpenUpdateGateWithZeroWeightsGivesTanhOfBias) {
  // W = U = 0, z = σ(100) ≈ 1: h' = tanh(b_h).
  GruWeights w{Tensor({6, 3}), Tensor({6, 2}), Tensor({6})};
  w.bias.values = {0.0f, 0.0f, 100.0f, 100.0f, 0.5f, -2.0f};
  const GruCell cell(w.weight_x, w.weight_h, w.bias);
  const std::vector<float> x = {1.0f, 2.0f, 3.0f};
  const std::vector<float> h = {0.3f, -0.7f};
  std::vector<float> out(2);
  cell.Step(x.data(), h.data(), out.data());
  ExpectAllNear(out, {std::tanh(0.5f), std::tanh(-2.0f)}, 1e-6f);
}

TEST(GruCellTest, ReferenceMatchesHandComputedScalarGru) {
  // One unit, one input: r = σ(0.5x + 0.1h), z = σ(-0.3x + 0.2h + 0.05),
  // h~ = tanh(0.7x + 0.4 r h - 0.1).
  GruWeights w{Tensor({3, 1}), Tensor({3, 1}), Tensor({3})};
  w.weight_x.values = {0.5f, -0.3f, 0.7f};
  w.weight_h.values = {0.1f, 0.2f, 0.4f};
  w.bias.values = {0.0f, 0.05f, -0.1f};
  const float x = 0.8f, h = -0.6f;
  const double r = 1 / (1 + std::exp(-(0.5 * x + 0.1 * h)));
  const double z = 1 / (1 + std::exp(-(-0.3 * x + 0.2 * h + 0.05)));
  const double candidate = std::tanh(0.7 * x + 0.4 * r * h - 0.1);
  const double expected = (1 - z) * h + z * candidate;
  float out = 0;
  GruStepReference(w.weight_x, w.weight_h, w.bias, &x, &h, &out);
  EXPECT_NEAR(out, expected, 1e-6);
  GruCell cell(w.weight_x, w.weight_h, w.bias);
  float fast = 0;
  cell.Step(&x, &h, &fast);
  EXPECT_NEAR(fast, expected, 1e-5);
}

}  // namespace
}  // namespace hrnn
