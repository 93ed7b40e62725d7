// A named filter's per-request cost (issue 14: a two-clause filter at 100k items may cost at
// most 10% of a request's p99 and saturation; bench.sh --filters measures that end to end).
// Each iteration evaluates
//   two_clause: EXCLUDE ItemID WHERE Items.COLOR IN ($COLORS) OR Items.PRICE > $MAX
// (COLORS = two of ten colours, MAX excludes about a fifth) over N items and ORs the result
// with the availability mask, as a request does (ItemFilterProgram::Evaluate + CombineMasks);
// the baseline in the same iteration is one unbatched request's catalogue pass: the dispatched
// fp32 MatVec over an N x 100 item table (the scoring a request costs without batching; the
// batched server shares a pass among up to 8 requests). The counter `filter_per_pass` is the
// ratio.
#include <chrono>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "core/catalogue/filter_expression.h"
#include "core/catalogue/item_attributes.h"
#include "core/catalogue/item_filter_program.h"
#include "core/kernels/matvec.h"
#include "core/kernels/panel_matrix.h"
#include "core/serving/recommendation_pipeline.h"

namespace hrnn {
namespace {

constexpr int kHidden = 100;
constexpr const char* kColors[] = {"black", "white", "navy", "red",   "green",
                                   "beige", "grey",  "pink", "brown", "blue"};

ItemAttributes MakeCatalogue(int64_t items) {
  auto builder = ItemAttributes::Builder::Create(
      {{"COLOR", AttributeKind::kCategorical}, {"PRICE", AttributeKind::kNumeric}});
  std::mt19937_64 rng(7);
  std::exponential_distribution<double> price(1.0 / 30.0);
  for (int64_t i = 0; i < items; ++i) {
    std::vector<ItemAttributes::Builder::Cell> cells(2);
    cells[0].values = {kColors[rng() % 10]};
    cells[1].number = 5.0 + price(rng);
    const absl::Status added = builder->AddRow(absl::StrCat("i", i), std::move(cells));
    if (!added.ok()) std::abort();
  }
  return std::move(*builder).Build();
}

void BM_TwoClauseFilter(benchmark::State& state) {
  const int64_t items = state.range(0);
  const ItemAttributes catalogue = MakeCatalogue(items);
  auto expression =
      ParseFilterExpression("EXCLUDE ItemID WHERE Items.COLOR IN ($COLORS) OR Items.PRICE > $MAX");
  auto program = ItemFilterProgram::Compile("two_clause", *expression, catalogue.fields());
  if (!program.ok()) std::abort();
  const FilterParameterValues values = {{"COLORS", {"red", "navy"}}, {"MAX", {"60"}}};
  auto unavailable =
      std::make_shared<const std::vector<uint64_t>>(static_cast<size_t>((items + 63) / 64), 0);
  std::vector<float> row_major(static_cast<size_t>(items) * kHidden);
  std::mt19937 fill(3);
  std::uniform_real_distribution<float> uniform(-0.1f, 0.1f);
  for (float& w : row_major) w = uniform(fill);
  const PanelMatrix table =
      PanelMatrix::FromRowMajor(row_major.data(), items, kHidden, ElementType::kFloat32);
  std::vector<float> query(kHidden, 0.3f), bias(static_cast<size_t>(items), 0.0f),
      scores(static_cast<size_t>(items));
  double filter_seconds = 0, pass_seconds = 0;
  int64_t excluded = 0;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    auto mask = std::make_shared<std::vector<uint64_t>>();
    if (!program->Evaluate(catalogue, values, FilterContext(), mask.get()).ok()) std::abort();
    auto combined = CombineMasks(unavailable, std::move(mask));
    benchmark::DoNotOptimize(combined->data());
    const auto middle = std::chrono::steady_clock::now();
    MatVec(table, query.data(), bias.data(), scores.data());
    benchmark::DoNotOptimize(scores.data());
    const auto end = std::chrono::steady_clock::now();
    filter_seconds += std::chrono::duration<double>(middle - start).count();
    pass_seconds += std::chrono::duration<double>(end - middle).count();
    excluded = 0;
    for (uint64_t word : *combined) excluded += __builtin_popcountll(word);
  }
  const double n = static_cast<double>(state.iterations());
  state.counters["filter_us"] = filter_seconds / n * 1e6;
  state.counters["pass_us"] = pass_seconds / n * 1e6;
  state.counters["filter_per_pass"] = filter_seconds / pass_seconds;
  state.counters["excluded_share"] = static_cast<double>(excluded) / static_cast<double>(items);
}
BENCHMARK(BM_TwoClauseFilter)->Arg(10000)->Arg(100000)->Arg(1000000)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace hrnn

BENCHMARK_MAIN();
