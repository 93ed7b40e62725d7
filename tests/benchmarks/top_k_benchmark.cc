// Top-k (k = 25) over 100k scores (DESIGN.md §9: <= 0.3 ns per item). TopK is timed
// interleaved with its baselines in the same iteration, and the ratios are counters:
//   TopK/<dist>   TopK vs TopKReference (std::partial_sort over a copied index array) and vs
//                 std::nth_element + sort of the k best (both on (score, index) pairs).
// Distributions: normal (model-like scores), skewed (log-normal, sigma 2: a heavy right tail),
// ascending (every item beats the current k-th: the heap's worst case).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "core/kernels/top_k.h"

namespace hrnn {
namespace {

constexpr int kItems = 100000;
constexpr int kTopK = 25;

enum class Distribution { kNormal, kSkewed, kAscending };

std::vector<float> MakeScores(Distribution dist) {
  std::mt19937 rng(42);
  std::vector<float> scores(kItems);
  switch (dist) {
    case Distribution::kNormal: {
      std::normal_distribution<float> normal(0.0f, 1.0f);
      for (float& s : scores) s = normal(rng);
      break;
    }
    case Distribution::kSkewed: {
      std::lognormal_distribution<float> lognormal(0.0f, 2.0f);
      for (float& s : scores) s = lognormal(rng);
      break;
    }
    case Distribution::kAscending:
      for (int i = 0; i < kItems; ++i) scores[static_cast<size_t>(i)] = static_cast<float>(i);
      break;
  }
  return scores;
}

inline bool Better(const ScoredItem& a, const ScoredItem& b) {
  return a.score > b.score || (a.score == b.score && a.index < b.index);
}

// std::nth_element on (index, score) pairs, then a sort of the k best.
std::vector<ScoredItem> NthElementTopK(const std::vector<float>& scores, int k,
                                       std::vector<ScoredItem>& buffer) {
  buffer.clear();
  for (size_t i = 0; i < scores.size(); ++i) {
    if (!std::isnan(scores[i])) buffer.push_back({static_cast<int32_t>(i), scores[i]});
  }
  const size_t keep = std::min(buffer.size(), static_cast<size_t>(k));
  std::nth_element(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(keep), buffer.end(),
                   Better);
  std::sort(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(keep), Better);
  return {buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(keep)};
}

template <typename F>
double Seconds(F&& f) {
  const auto start = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void RunTopK(benchmark::State& state, Distribution dist) {
  const std::vector<float> scores = MakeScores(dist);
  std::vector<ScoredItem> buffer;
  buffer.reserve(scores.size());
  double t_topk = 0, t_reference = 0, t_nth = 0;
  bool agree = true;
  for (auto _ : state) {
    std::vector<ScoredItem> a, b, c;
    t_reference += Seconds([&] { b = TopKReference(scores, kTopK); });
    t_nth += Seconds([&] { c = NthElementTopK(scores, kTopK, buffer); });
    const double t = Seconds([&] { a = TopK(scores, kTopK); });
    t_topk += t;
    state.SetIterationTime(t);
    agree = agree && a == b && a == c;
    benchmark::DoNotOptimize(a.data());
  }
  if (!agree) state.SkipWithError("TopK disagrees with its baselines");
  const double per_item = 1e9 / (static_cast<double>(state.iterations()) * kItems);
  state.counters["ns/item"] = t_topk * per_item;
  state.counters["partial_sort_ns/item"] = t_reference * per_item;
  state.counters["nth_element_ns/item"] = t_nth * per_item;
  state.counters["x_vs_partial_sort"] = t_reference / t_topk;
  state.counters["x_vs_nth_element"] = t_nth / t_topk;
}

}  // namespace
}  // namespace hrnn

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  using hrnn::Distribution;
  for (const auto& [name, dist] :
       {std::pair{"normal", Distribution::kNormal}, std::pair{"skewed", Distribution::kSkewed},
        std::pair{"ascending", Distribution::kAscending}}) {
    benchmark::RegisterBenchmark((std::string("TopK/k:25/N:100000/") + name).c_str(),
                                 [dist = dist](benchmark::State& s) { hrnn::RunTopK(s, dist); })
        // Manual time counts TopK only, while each iteration also runs both baselines (~100x
        // slower), so a time-based stop would run for minutes: fix the iteration count.
        ->Iterations(dist == Distribution::kAscending ? 100 : 1000)
        ->UseManualTime()
        ->Unit(benchmark::kMicrosecond);
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
