// One GetRecommendations' compute per recipe at 100k items, H = 100 (issue 13's serving-cost
// target): the whole pipeline (Recommend, one SIMD catalogue pass of its own, kSingle) for a
// user with a 5-click live session and 100 items of training history (user_items.bin: 10k
// training users of 100 items each), over a random model and 200k synthetic past sessions with
// Zipf-skewed items. Each recipe is timed interleaved with the `hrnn` recipe in the same
// iteration (the machine is shared and noisy) and the ratio is reported as a counter:
//   Recipe/<name>    time of one <name> request / time of one hrnn request (ratio_to_hrnn).
//   SimilarItems     one GetSimilarItems (co-occurrence + the GRU after one click), the same.
//   SknnIndexBytes   the sknn index's memory for 1M sessions of 5 clicks (bytes_per_session).
//   LiveSessions     RecordClick into a full ring of 100k finished sessions (ns per click) and
//                    the ring's memory (bytes_per_session).
// This is compute per request on one thread; the server's batched passes amortise the table
// read over concurrent requests, which this does not show.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/types/span.h"
#include "benchmark/benchmark.h"
#include "core/model/hrnn_network.h"
#include "core/model/model.h"
#include "core/recipes/live_sessions.h"
#include "core/recipes/recipe_bundle.h"
#include "core/serving/recommendation_pipeline.h"
#include "core/serving/serving_model.h"
#include "core/serving/similar_items.h"

namespace hrnn {
namespace {

constexpr int32_t kItems = 100'000;
constexpr int64_t kNowMs = 1'700'000'000'000;

struct Fixture {
  std::shared_ptr<const ServingModel> model;
  UserState state;
};

const Fixture& TheFixture() {
  static const Fixture* fixture = [] {
    ModelConfig config;
    config.mode = ModelMode::kHrnnInit;
    config.num_items = kItems;
    config.hidden_size = 100;
    config.user_hidden_size = 100;
    auto network = HrnnNetwork::Create(Model::CreateRandom(config, 1));
    if (!network.ok()) std::abort();
    std::shared_ptr<ServingModel> serving = MakeServingModel(*network, SessionPolicy());
    serving->version = 1;
    TrainingSessions sessions;
    sessions.num_items = kItems;
    std::mt19937_64 rng(7);
    std::vector<double> weights(kItems);
    for (int32_t i = 0; i < kItems; ++i) weights[i] = 1.0 / std::pow(i + 1.0, 0.8);
    std::discrete_distribution<int32_t> zipf(weights.begin(), weights.end());
    std::vector<int32_t> clicks;
    for (int s = 0; s < 200'000; ++s) {
      clicks.clear();
      for (int c = 0; c < 5; ++c) clicks.push_back(zipf(rng));
      sessions.Add(clicks, kNowMs / 1000 - 200'000 + s);
    }
    RecipeSettings settings;
    settings.recipes = AllRecipeKinds();
    settings.default_recipe = RecipeKind::kAuto;
    settings.blend = {
        {"hrnn", 0.25}, {"sknn", 0.1}, {"sr", 0.25}, {"personal", 0.1}, {"trending", 0.1}};
    UserItemHistory users;  // 10k training users with 100 distinct items each.
    users.set_num_items(kItems);
    std::vector<ItemInteraction> history;
    for (int u = 0; u < 10'000; ++u) {
      history.clear();
      for (int32_t i = 0; i < 100; ++i) {
        history.push_back({static_cast<int32_t>((u * 7919 + i * 104'729) % kItems),
                           1 + static_cast<int32_t>(rng() % 5), kNowMs / 1000 - 86'400, 0});
      }
      users.Add("user-" + std::to_string(u), history, 100);
    }
    auto bundle =
        RecipeBundle::Build(settings, sessions, kItems, LiveSessionsOptions(), std::move(users));
    if (!bundle.ok()) std::abort();
    serving->recipes = *std::move(bundle);
    auto* out = new Fixture{serving, serving->NewUserState()};
    for (int c = 0; c < 5; ++c) {
      const int64_t item = zipf(rng);
      if (!serving->recommender->ApplyEvent(out->state, {item, kNowMs - 60'000 + c * 1000, "s"})
               .ok()) {
        std::abort();
      }
    }
    return out;
  }();
  return *fixture;
}

double Seconds(RecipeKind kind) {
  const Fixture& f = TheFixture();
  RecommendationRequest request;
  request.now_ms = kNowMs;
  request.session_id = "s";
  request.user_id = "user-42";
  request.num_results = 25;
  request.recipe = kind;
  const auto start = std::chrono::steady_clock::now();
  const Recommendation answer = Recommend(f.model, f.state, true, request, ScoringMode::kSingle);
  benchmark::DoNotOptimize(answer.items.data());
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void BM_Recipe(benchmark::State& state) {
  const RecipeKind kind = static_cast<RecipeKind>(state.range(0));
  TheFixture();  // Built outside the timed loop (it takes seconds).
  double recipe = 0, hrnn = 0;
  for (auto _ : state) {
    recipe += Seconds(kind);
    hrnn += Seconds(RecipeKind::kHrnn);
  }
  state.SetLabel(std::string(RecipeKindName(kind)));
  state.counters["us_per_request"] = recipe / state.iterations() * 1e6;
  state.counters["hrnn_us_per_request"] = hrnn / state.iterations() * 1e6;
  state.counters["ratio_to_hrnn"] = recipe / hrnn;
}
BENCHMARK(BM_Recipe)
    ->Arg(static_cast<int>(RecipeKind::kAuto))
    ->Arg(static_cast<int>(RecipeKind::kSknn))
    ->Arg(static_cast<int>(RecipeKind::kSr))
    ->Arg(static_cast<int>(RecipeKind::kPersonal))
    ->Arg(static_cast<int>(RecipeKind::kTrending))
    ->Unit(benchmark::kMicrosecond);

void BM_SimilarItems(benchmark::State& state) {
  const Fixture& f = TheFixture();
  std::mt19937_64 rng(11);
  double similar = 0, hrnn = 0;
  for (auto _ : state) {
    SimilarItemsRequest request;
    request.item = static_cast<int64_t>(rng() % 1000);  // Popular items: many sessions.
    request.num_results = 25;
    request.now_ms = kNowMs;
    const auto start = std::chrono::steady_clock::now();
    const Recommendation answer =
        SimilarItems(f.model, f.model->NewUserState(), false, request, ScoringMode::kSingle);
    benchmark::DoNotOptimize(answer.items.data());
    similar += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    hrnn += Seconds(RecipeKind::kHrnn);
  }
  state.counters["us_per_request"] = similar / state.iterations() * 1e6;
  state.counters["hrnn_us_per_request"] = hrnn / state.iterations() * 1e6;
  state.counters["ratio_to_hrnn"] = similar / hrnn;
}
BENCHMARK(BM_SimilarItems)->Unit(benchmark::kMicrosecond);

// Sessions of 5 Zipf-skewed clicks over 100k items.
std::vector<std::vector<int32_t>> ZipfSessions(int count, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<double> weights(kItems);
  for (int32_t i = 0; i < kItems; ++i) weights[i] = 1.0 / std::pow(i + 1.0, 0.8);
  std::discrete_distribution<int32_t> zipf(weights.begin(), weights.end());
  std::vector<std::vector<int32_t>> sessions(count);
  for (auto& session : sessions) {
    for (int c = 0; c < 5; ++c) session.push_back(zipf(rng));
  }
  return sessions;
}

void BM_SknnIndexBytes(benchmark::State& state) {
  const std::vector<std::vector<int32_t>> sessions = ZipfSessions(1'000'000, 3);
  std::vector<IndexedSession> indexed;
  for (size_t s = 0; s < sessions.size(); ++s) {
    indexed.push_back({sessions[s], static_cast<int64_t>(s)});
  }
  int64_t bytes = 0;
  for (auto _ : state) {
    auto index = SessionKnnIndex::Build(kItems, indexed, SessionKnnOptions());
    if (!index.ok()) std::abort();
    bytes = (*index)->bytes();
  }
  state.counters["bytes"] = static_cast<double>(bytes);
  state.counters["bytes_per_session"] = static_cast<double>(bytes) / 1e6;
}
BENCHMARK(BM_SknnIndexBytes)->Iterations(1)->Unit(benchmark::kMillisecond);

void BM_LiveSessions(benchmark::State& state) {
  LiveSessionsOptions options;
  options.capacity = 100'000;
  auto live = LiveSessions::Create(kItems, options);
  if (!live.ok()) std::abort();
  const std::vector<std::vector<int32_t>> sessions = ZipfSessions(100'000, 5);
  // Fill the ring: each user's session finishes when the next one starts.
  for (size_t s = 0; s < sessions.size(); ++s) {
    (*live)->RecordClick("u", true, sessions[s], static_cast<int64_t>(s));
  }
  size_t s = 0;
  int64_t clicks = 0;
  for (auto _ : state) {
    // One click of a running session (the common event); every 5th starts a new session,
    // which finishes the previous one into the full ring (dropping the oldest).
    const std::vector<int32_t>& session = sessions[s % sessions.size()];
    const size_t length = 1 + clicks % 5;
    (*live)->RecordClick("user-" + std::to_string(s % 1000), length == 1,
                         absl::MakeConstSpan(session.data(), length), clicks);
    if (length == 5) ++s;
    ++clicks;
  }
  const LiveSessionsStats stats = (*live)->stats();
  state.counters["finished"] = static_cast<double>(stats.finished);
  state.counters["bytes_per_session"] =
      static_cast<double>(stats.bytes) / static_cast<double>(std::max<int64_t>(1, stats.finished));
}
BENCHMARK(BM_LiveSessions)->Unit(benchmark::kNanosecond);

}  // namespace
}  // namespace hrnn

BENCHMARK_MAIN();
