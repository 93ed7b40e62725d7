// ComputeLoss on a typical training step's score matrix (rows = 32 mini-batch slots,
// cols = 32 + 2048 sampled columns) for each loss, next to an in-run baseline: cross-entropy
// with its gradient written naively in double precision with std::exp.
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "benchmark/benchmark.h"
#include "core/train/losses.h"

namespace hrnn {
namespace {

constexpr int64_t kRows = 32;
constexpr int64_t kCols = 2080;

struct Batch {
  std::vector<float> scores;
  std::vector<int32_t> targets;
  std::vector<float> log_q;
  LossInput Input() const {
    LossInput input;
    input.scores = scores;
    input.rows = kRows;
    input.cols = kCols;
    input.targets = targets;
    input.log_q = log_q;
    return input;
  }
};

Batch MakeBatch() {
  std::mt19937 rng(1);
  std::normal_distribution<float> score(0.0f, 2.0f);
  std::uniform_real_distribution<float> lq(-12.0f, -4.0f);
  Batch b;
  for (int64_t i = 0; i < kRows * kCols; ++i) b.scores.push_back(score(rng));
  for (int64_t r = 0; r < kRows; ++r) b.targets.push_back(static_cast<int32_t>(r));
  for (int64_t j = 0; j < kCols; ++j) b.log_q.push_back(lq(rng));
  return b;
}

void RunLoss(benchmark::State& state, const LossOptions& options) {
  const Batch b = MakeBatch();
  std::vector<float> grad(b.scores.size());
  for (auto _ : state) {
    benchmark::DoNotOptimize(ComputeLoss(options, b.Input(), absl::MakeSpan(grad)));
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * kRows * kCols);
}

void BM_CrossEntropyLogQ(benchmark::State& state) {
  LossOptions o;
  o.kind = LossKind::kCrossEntropy;
  o.logq = 1.0f;
  RunLoss(state, o);
}
void BM_BprMaxElu(benchmark::State& state) {
  LossOptions o;
  o.kind = LossKind::kBprMax;
  o.elu_param = 0.5f;
  RunLoss(state, o);
}
void BM_BprMax(benchmark::State& state) {
  LossOptions o;
  o.kind = LossKind::kBprMax;
  RunLoss(state, o);
}
void BM_Top1Max(benchmark::State& state) {
  LossOptions o;
  o.kind = LossKind::kTop1Max;
  RunLoss(state, o);
}

// Baseline: the same cross-entropy (logq = 1) in plain double-precision loops.
void BM_Baseline_NaiveDoubleCrossEntropy(benchmark::State& state) {
  const Batch b = MakeBatch();
  std::vector<float> grad(b.scores.size());
  std::vector<double> o(kCols);
  for (auto _ : state) {
    double total = 0.0;
    for (int64_t r = 0; r < kRows; ++r) {
      const float* s = b.scores.data() + r * kCols;
      double m = -1e300;
      for (int64_t j = 0; j < kCols; ++j) {
        o[j] = static_cast<double>(s[j]) - b.log_q[j];
        m = std::max(m, o[j]);
      }
      double z = 0.0;
      for (int64_t j = 0; j < kCols; ++j) z += o[j] = std::exp(o[j] - m);
      const int64_t t = b.targets[r];
      total -= std::log(o[t] / z + 1e-24);
      for (int64_t j = 0; j < kCols; ++j) {
        grad[r * kCols + j] = static_cast<float>((o[j] / z - (j == t ? 1.0 : 0.0)) / kRows);
      }
    }
    benchmark::DoNotOptimize(total);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * kRows * kCols);
}

BENCHMARK(BM_CrossEntropyLogQ);
BENCHMARK(BM_BprMax);
BENCHMARK(BM_BprMaxElu);
BENCHMARK(BM_Top1Max);
BENCHMARK(BM_Baseline_NaiveDoubleCrossEntropy);

}  // namespace
}  // namespace hrnn

BENCHMARK_MAIN();
