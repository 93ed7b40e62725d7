// One GRU step at H = 100 (target: <= 5 us), next to two baselines measured in the same run:
// the same step written with Eigen matrix-vector products (row-major, compiled without -march,
// as the library is), and the scalar double-precision reference.
#include <cmath>
#include <random>
#include <vector>

#include "Eigen/Core"
#include "benchmark/benchmark.h"
#include "core/kernels/simd_level.h"
#include "core/model/gru_cell.h"
#include "core/model/hrnn_network.h"

namespace hrnn {
namespace {

struct Weights {
  Tensor weight_x, weight_h, bias;
  std::vector<float> x, h;
};

Weights MakeWeights(int inputs, int hidden) {
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> dist(-0.1f, 0.1f);
  Weights w{Tensor({3 * hidden, inputs}), Tensor({3 * hidden, hidden}), Tensor({3 * hidden}),
            std::vector<float>(inputs), std::vector<float>(hidden)};
  for (auto* v : {&w.weight_x.values, &w.weight_h.values, &w.bias.values, &w.x, &w.h}) {
    for (float& f : *v) f = dist(rng);
  }
  return w;
}

void BM_GruStep_Fast(benchmark::State& state) {
  const int hidden = static_cast<int>(state.range(0));
  const Weights w = MakeWeights(hidden, hidden);
  const GruCell cell(w.weight_x, w.weight_h, w.bias);
  std::vector<float> h = w.h;
  for (auto _ : state) {
    cell.Step(w.x.data(), h.data(), h.data());
    benchmark::DoNotOptimize(h.data());
  }
  state.SetLabel(std::string(SimdLevelName(ActiveSimdLevel())));
}
BENCHMARK(BM_GruStep_Fast)->Arg(100)->Arg(256);

// Baseline: the natural Eigen formulation of the same cell.
void BM_GruStep_Eigen(benchmark::State& state) {
  const int hidden = static_cast<int>(state.range(0));
  const Weights w = MakeWeights(hidden, hidden);
  using RowMajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const Eigen::Map<const RowMajor> wx(w.weight_x.values.data(), 3 * hidden, hidden);
  const Eigen::Map<const RowMajor> wh(w.weight_h.values.data(), 3 * hidden, hidden);
  const Eigen::Map<const Eigen::VectorXf> b(w.bias.values.data(), 3 * hidden);
  const Eigen::Map<const Eigen::VectorXf> x(w.x.data(), hidden);
  Eigen::VectorXf h = Eigen::Map<const Eigen::VectorXf>(w.h.data(), hidden);
  Eigen::VectorXf gx(3 * hidden), grz(2 * hidden), r(hidden), z(hidden), c(hidden);
  for (auto _ : state) {
    gx.noalias() = wx * x + b;
    grz.noalias() = wh.topRows(2 * hidden) * h;
    r = (gx.head(hidden) + grz.head(hidden)).array().logistic();
    z = (gx.segment(hidden, hidden) + grz.tail(hidden)).array().logistic();
    c = (gx.tail(hidden) + wh.bottomRows(hidden) * r.cwiseProduct(h)).array().tanh();
    h = h + z.cwiseProduct(c - h);
    benchmark::DoNotOptimize(h.data());
  }
}
BENCHMARK(BM_GruStep_Eigen)->Arg(100)->Arg(256);

void BM_GruStep_ScalarReference(benchmark::State& state) {
  const int hidden = static_cast<int>(state.range(0));
  const Weights w = MakeWeights(hidden, hidden);
  std::vector<float> h = w.h;
  for (auto _ : state) {
    GruStepReference(w.weight_x, w.weight_h, w.bias, w.x.data(), h.data(), h.data());
    benchmark::DoNotOptimize(h.data());
  }
}
BENCHMARK(BM_GruStep_ScalarReference)->Arg(100)->Arg(256);

// A full HRNN event: embedding lookup, (HRNN-All input assembly) and the session GRU step.
void BM_SessionStep(benchmark::State& state) {
  ModelConfig config;
  config.mode = static_cast<ModelMode>(state.range(0));
  config.num_items = 10000;
  config.hidden_size = 100;
  config.user_hidden_size = 100;
  auto network = HrnnNetwork::Create(Model::CreateRandom(config, 3)).value();
  std::vector<float> user(network->user_state_size(), 0.1f), session(100, 0.0f);
  int64_t item = 0;
  for (auto _ : state) {
    network->SessionStep(item, user.empty() ? nullptr : user.data(), session.data());
    item = (item + 7919) % config.num_items;
    benchmark::DoNotOptimize(session.data());
  }
  state.SetLabel(std::string(ModelModeName(config.mode)));
}
BENCHMARK(BM_SessionStep)->DenseRange(0, 2);

}  // namespace
}  // namespace hrnn

BENCHMARK_MAIN();
