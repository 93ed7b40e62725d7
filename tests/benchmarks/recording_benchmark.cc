// What remembering a served recommendation costs a GetRecommendations call (issue 16: recording
// may cost at most 5% of a request). Each iteration does what RequestHandlers'
// RecordServedRecommendation does for a 25-item answer — builds the served-recommendation
// EventRecord (ids copied from the answer), appends it to an EventLog (--fsync=batch: the
// background thread writes and syncs it off the request's thread; the final Flush is timed
// separately and spread over the iterations) and remembers the list for attribution by window
// (RecentRecommendations, 100k users) — and, as the in-run baseline, one unbatched request's
// catalogue pass: the dispatched fp32 MatVec over an N x 100 item table. Counters: record_us (on
// the request's thread), flush_us (the log's write + fdatasync per record, on its background
// thread), pass_us, and record_per_pass_share: record_us against a batched request's share of a
// pass (pass / 8: the server shares a pass among up to 8 calls) — a request's whole cost (gRPC,
// state, top-k) is larger, so the share of the request is smaller than this.
#include <stdlib.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "core/kernels/matvec.h"
#include "core/kernels/panel_matrix.h"
#include "core/serving/recent_recommendations.h"
#include "core/state/event_log.h"

namespace hrnn {
namespace {

constexpr int kHidden = 100;
constexpr int kListed = 25;
constexpr int kMaxBatch = 8;

void BM_RecordServedRecommendation(benchmark::State& state) {
  const int64_t items = state.range(0);
  char dir_template[] = "/tmp/hrnn-recording-bench.XXXXXX";
  if (mkdtemp(dir_template) == nullptr) std::abort();
  const std::filesystem::path dir(dir_template);
  EventLogOptions options;
  options.dir = (dir / "log").string();
  auto log = EventLog::Open(options, nullptr);
  if (!log.ok()) std::abort();
  RecentRecommendations recent(30 * 60 * 1000, 100'000);

  std::vector<float> row_major(static_cast<size_t>(items) * kHidden);
  std::mt19937 fill(3);
  std::uniform_real_distribution<float> uniform(-0.1f, 0.1f);
  for (float& w : row_major) w = uniform(fill);
  const PanelMatrix table =
      PanelMatrix::FromRowMajor(row_major.data(), items, kHidden, ElementType::kFloat32);
  std::vector<float> query(kHidden, 0.3f), bias(static_cast<size_t>(items), 0.0f),
      scores(static_cast<size_t>(items));
  // The answers' item ids, as the response holds them.
  std::vector<std::string> answer;
  for (int i = 0; i < kListed; ++i) answer.push_back(absl::StrCat("item-", i * 3797 % items));
  std::vector<absl::string_view> listed(answer.begin(), answer.end());

  double record_seconds = 0, pass_seconds = 0;
  int64_t n = 0;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    EventRecord record;
    record.kind = EventRecord::Kind::kRecommendation;
    record.timestamp_ms = 1'700'000'000'000 + n;
    record.user_id = absl::StrCat("user-", n % 100'000);
    record.session_id = "session";
    record.recommendation_id = "0123456789abcdef0123456789abcdef:blend-vs-knn:blend";
    record.recipe = "auto";
    record.model_version = "3";
    record.experiment = "blend-vs-knn";
    record.arm = "blend";
    record.item_ids.reserve(kListed);
    for (const std::string& id : answer) record.item_ids.push_back(id);
    if ((*log)->Append(&record) == 0) std::abort();
    recent.Remember(record.user_id, record.timestamp_ms, 0, listed);
    const auto middle = std::chrono::steady_clock::now();
    MatVec(table, query.data(), bias.data(), scores.data());
    benchmark::DoNotOptimize(scores.data());
    const auto end = std::chrono::steady_clock::now();
    record_seconds += std::chrono::duration<double>(middle - start).count();
    pass_seconds += std::chrono::duration<double>(end - middle).count();
    ++n;
  }
  const auto flush_start = std::chrono::steady_clock::now();
  if (!(*log)->Flush().ok()) std::abort();
  const double flush_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - flush_start).count();
  log->reset();
  std::filesystem::remove_all(dir);
  const double iterations = static_cast<double>(state.iterations());
  state.counters["record_us"] = record_seconds / iterations * 1e6;
  state.counters["flush_us"] = flush_seconds / iterations * 1e6;
  state.counters["pass_us"] = pass_seconds / iterations * 1e6;
  state.counters["record_per_pass_share"] = record_seconds / (pass_seconds / kMaxBatch);
}
BENCHMARK(BM_RecordServedRecommendation)->Arg(10000)->Arg(100000)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace hrnn

BENCHMARK_MAIN();
