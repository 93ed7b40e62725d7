// Scoring all N items, y = W_out s + b_out with H = 100, for N = 10k / 100k / 1M (DESIGN.md §9).
// Every candidate is timed interleaved with its baseline in the same iteration (the machine is
// shared and noisy), and the ratio is reported as a counter next to both figures:
//   Roofline/N           a streaming read of the fp32 table's bytes: the memory-bandwidth bound.
//   F32/N/<level>        our fp32 MatVec per SIMD level vs the roofline (frac_of_roofline).
//   Eigen/N              Eigen row-major gemv (compiled without -march, as in hrnn_core) vs ours.
//   Batch8/N             one MatVecBatch of 8 states vs 8 MatVec calls (throughput_ratio).
//   Bf16/N               bf16 table vs fp32 table, one state each (speedup), and vs a
//                        streaming read of the bf16 bytes (frac_of_roofline).
//   Int8/N/<level>       the int8 kernel at `level`, one state, vs a streaming read of the int8
//                        table's own bytes (quantised values and row scales: frac_of_roofline).
//   Int8/N/batch:B       int8 table (dispatched) vs fp32 (speedup_vs_fp32) and bf16
//                        (speedup_vs_bf16), B = 1 or 8 states per pass each, and vs a streaming
//                        read of its own bytes (frac_of_roofline), all in the same iterations.
// At N = 10k the table (4 MB fp32) stays in L2/L3 between iterations, so those figures are
// cache bandwidth, not DRAM bandwidth; at 1M (400 MB fp32) every pass streams from memory.
#include <immintrin.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "Eigen/Core"
#include "benchmark/benchmark.h"
#include "core/kernels/matvec.h"
#include "core/kernels/panel_matrix.h"
#include "core/kernels/simd_level.h"

namespace hrnn {
namespace {

constexpr int64_t kHidden = 100;
constexpr int kBatch = 8;

struct Dataset {
  int64_t n = 0;
  std::vector<float> row_major;  // [n x kHidden], for Eigen.
  PanelMatrix f32;
  PanelMatrix bf16;
  PanelMatrix int8;
  std::vector<float> bias;
  std::vector<std::vector<float>> xs;  // kBatch states.
  std::vector<std::vector<float>> ys;  // kBatch outputs.
  std::vector<const float*> x_ptrs;
  std::vector<float*> y_ptrs;
};

// Fast deterministic fill in [-1, 1).
void Fill(std::vector<float>& v, uint64_t seed) {
  uint64_t s = seed * 0x9e3779b97f4a7c15ull + 1;
  for (float& f : v) {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    f = static_cast<float>(static_cast<int64_t>(s >> 40) - (int64_t{1} << 23)) / (1 << 23);
  }
}

// One dataset at a time (the 1M one is ~1 GB); benchmarks are registered in order of N.
Dataset& GetDataset(int64_t n) {
  static std::unique_ptr<Dataset> current;
  if (current == nullptr || current->n != n) {
    current.reset();
    auto d = std::make_unique<Dataset>();
    d->n = n;
    d->row_major.resize(static_cast<size_t>(n * kHidden));
    Fill(d->row_major, 1);
    d->f32 = PanelMatrix::FromRowMajor(d->row_major.data(), n, kHidden, ElementType::kFloat32);
    d->bf16 = PanelMatrix::FromRowMajor(d->row_major.data(), n, kHidden, ElementType::kBfloat16);
    d->int8 = PanelMatrix::FromRowMajor(d->row_major.data(), n, kHidden, ElementType::kInt8);
    d->bias.resize(static_cast<size_t>(n));
    Fill(d->bias, 2);
    for (int b = 0; b < kBatch; ++b) {
      d->xs.emplace_back(kHidden);
      Fill(d->xs.back(), 10 + static_cast<uint64_t>(b));
      d->ys.emplace_back(static_cast<size_t>(n));
    }
    for (auto& x : d->xs) d->x_ptrs.push_back(x.data());
    for (auto& y : d->ys) d->y_ptrs.push_back(y.data());
    current = std::move(d);
  }
  return *current;
}

// The roofline: sum every float of `bytes` bytes, 8 independent 16-wide accumulators.
__attribute__((target("avx512f"))) float StreamSumAvx512(const float* p, size_t n) {
  __m512 acc[8];
  for (auto& a : acc) a = _mm512_setzero_ps();
  size_t i = 0;
  for (; i + 128 <= n; i += 128) {
    for (int a = 0; a < 8; ++a) acc[a] = _mm512_add_ps(acc[a], _mm512_load_ps(p + i + 16 * a));
  }
  for (int a = 1; a < 8; ++a) acc[0] = _mm512_add_ps(acc[0], acc[a]);
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, acc[0]);  // (_mm512_reduce_add_ps trips GCC 12's -Wuninitialized.)
  float sum = 0;
  for (float lane : lanes) sum += lane;
  for (; i < n; ++i) sum += p[i];
  return sum;
}

float StreamSumPortable(const float* p, size_t n) {
  float acc[16] = {};
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    for (int a = 0; a < 16; ++a) acc[a] += p[i + a];
  }
  float sum = 0;
  for (float a : acc) sum += a;
  for (; i < n; ++i) sum += p[i];
  return sum;
}

float StreamSum(const void* data, size_t bytes) {
  const float* p = static_cast<const float*>(data);
  const size_t n = bytes / sizeof(float);
  return DetectedSimdLevel() == SimdLevel::kAvx512 ? StreamSumAvx512(p, n)
                                                   : StreamSumPortable(p, n);
}

// The roofline of a table that is not floats (the int8 one): the same streaming read with
// integer adds, so that no bit pattern can be a slow floating-point operand.
__attribute__((target("avx512f"))) uint32_t StreamSumIntAvx512(const char* p, size_t bytes) {
  __m512i acc[8];
  for (auto& a : acc) a = _mm512_setzero_si512();
  size_t i = 0;
  for (; i + 512 <= bytes; i += 512) {
    for (int a = 0; a < 8; ++a) {
      acc[a] = _mm512_add_epi32(acc[a], _mm512_load_si512(p + i + 64 * a));
    }
  }
  for (int a = 1; a < 8; ++a) acc[0] = _mm512_add_epi32(acc[0], acc[a]);
  alignas(64) uint32_t lanes[16];
  _mm512_store_si512(lanes, acc[0]);
  uint32_t sum = 0;
  for (uint32_t lane : lanes) sum += lane;
  for (; i < bytes; ++i) sum += static_cast<unsigned char>(p[i]);
  return sum;
}

uint32_t StreamSumIntPortable(const char* p, size_t bytes) {
  uint64_t acc[8] = {};
  size_t i = 0;
  for (; i + 64 <= bytes; i += 64) {
    for (int a = 0; a < 8; ++a) {
      uint64_t word;
      std::memcpy(&word, p + i + 8 * a, sizeof(word));
      acc[a] += word;
    }
  }
  uint64_t sum = 0;
  for (uint64_t a : acc) sum += a;
  for (; i < bytes; ++i) sum += static_cast<unsigned char>(p[i]);
  return static_cast<uint32_t>(sum);
}

// The int8 table's bytes are contiguous from its row scales (panel_matrix.h).
uint32_t StreamSumInt8Table(const PanelMatrix& m) {
  const char* p = reinterpret_cast<const char*>(m.row_scales());
  return DetectedSimdLevel() == SimdLevel::kAvx512 ? StreamSumIntAvx512(p, m.bytes())
                                                   : StreamSumIntPortable(p, m.bytes());
}

template <typename F>
double Seconds(F&& f) {
  const auto start = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Reports the candidate's figures, the baseline's, and their ratio. Iteration time is the
// candidate's (manual time), so Google Benchmark's "Time" column is the candidate.
struct Paired {
  double candidate = 0;
  double baseline = 0;
};

void RunRoofline(benchmark::State& state, int64_t n) {
  const Dataset& d = GetDataset(n);
  double total = 0;
  for (auto _ : state) {
    float sum = 0;
    const double t = Seconds([&] { sum = StreamSum(d.f32.f32(), d.f32.bytes()); });
    benchmark::DoNotOptimize(sum);
    total += t;
    state.SetIterationTime(t);
  }
  const double per_iter = total / static_cast<double>(state.iterations());
  state.counters["GB/s"] = static_cast<double>(d.f32.bytes()) / per_iter * 1e-9;
  state.counters["ns/item"] = per_iter * 1e9 / static_cast<double>(n);
}

void SetPairCounters(benchmark::State& state, const Paired& p, double items_per_candidate,
                     double bytes_per_candidate, double items_per_baseline,
                     double bytes_per_baseline, const char* ratio_name) {
  const double iters = static_cast<double>(state.iterations());
  const double per_iter_c = p.candidate / iters;
  const double per_iter_b = p.baseline / iters;
  state.counters["ns/item"] = per_iter_c * 1e9 / items_per_candidate;
  state.counters["GB/s"] = bytes_per_candidate / per_iter_c * 1e-9;
  state.counters["base_ns/item"] = per_iter_b * 1e9 / items_per_baseline;
  state.counters["base_GB/s"] = bytes_per_baseline / per_iter_b * 1e-9;
  // Throughput of the candidate relative to the baseline (> 1: candidate is faster per item).
  state.counters[ratio_name] =
      (per_iter_b / items_per_baseline) / (per_iter_c / items_per_candidate);
}

// Our fp32 MatVec at `level` vs the streaming read of the same bytes.
void RunF32(benchmark::State& state, int64_t n, SimdLevel level) {
  Dataset& d = GetDataset(n);
  const MatVecKernel kernel = KernelsFor(level).matvec_f32;
  Paired p;
  for (auto _ : state) {
    float sum = 0;
    p.baseline += Seconds([&] { sum = StreamSum(d.f32.f32(), d.f32.bytes()); });
    benchmark::DoNotOptimize(sum);
    const double t = Seconds([&] {
      kernel(d.f32, d.x_ptrs.data(), 1, d.bias.data(), d.y_ptrs.data(), 0, d.f32.num_panels());
    });
    benchmark::ClobberMemory();
    p.candidate += t;
    state.SetIterationTime(t);
  }
  const double bytes = static_cast<double>(d.f32.bytes());
  SetPairCounters(state, p, static_cast<double>(n), bytes, static_cast<double>(n), bytes,
                  "frac_of_roofline");
}

// Eigen's row-major gemv (candidate) vs our dispatched MatVec (baseline): "speedup" > 1 would
// mean Eigen is faster.
void RunEigen(benchmark::State& state, int64_t n) {
  Dataset& d = GetDataset(n);
  using RowMajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const Eigen::Map<const RowMajor> w(d.row_major.data(), n, kHidden);
  const Eigen::Map<const Eigen::VectorXf> x(d.xs[0].data(), kHidden);
  const Eigen::Map<const Eigen::VectorXf> bias(d.bias.data(), n);
  Eigen::Map<Eigen::VectorXf> y(d.ys[1].data(), n);
  Paired p;
  for (auto _ : state) {
    p.baseline += Seconds([&] { MatVec(d.f32, d.xs[0].data(), d.bias.data(), d.ys[0].data()); });
    const double t = Seconds([&] {
      y.noalias() = w * x;
      y += bias;
    });
    benchmark::ClobberMemory();
    p.candidate += t;
    state.SetIterationTime(t);
  }
  const double bytes = static_cast<double>(n * kHidden * 4);
  SetPairCounters(state, p, static_cast<double>(n), bytes, static_cast<double>(n), bytes,
                  "eigen_vs_ours");
}

// One MatVecBatch over 8 states (candidate) vs 8 MatVec calls (baseline).
void RunBatch8(benchmark::State& state, int64_t n, ElementType type) {
  Dataset& d = GetDataset(n);
  const PanelMatrix& m = type == ElementType::kFloat32    ? d.f32
                         : type == ElementType::kBfloat16 ? d.bf16
                                                          : d.int8;
  Paired p;
  for (auto _ : state) {
    p.baseline += Seconds([&] {
      for (int b = 0; b < kBatch; ++b) MatVec(m, d.x_ptrs[b], d.bias.data(), d.y_ptrs[b]);
    });
    benchmark::ClobberMemory();
    const double t = Seconds([&] { MatVecBatch(m, d.x_ptrs, d.bias.data(), d.y_ptrs); });
    benchmark::ClobberMemory();
    p.candidate += t;
    state.SetIterationTime(t);
  }
  // Items are (state, item) scores; bytes are table bytes read.
  const double items = static_cast<double>(n) * kBatch;
  const double bytes = static_cast<double>(m.bytes());
  SetPairCounters(state, p, items, bytes, items, bytes * kBatch, "throughput_ratio");
}

// bf16 table (candidate) vs fp32 table (baseline), one state each; also the streaming read of
// the bf16 table's bytes, so the bf16 kernel has its own roofline.
void RunBf16(benchmark::State& state, int64_t n) {
  Dataset& d = GetDataset(n);
  Paired p;
  double roofline = 0;
  for (auto _ : state) {
    p.baseline += Seconds([&] { MatVec(d.f32, d.xs[0].data(), d.bias.data(), d.ys[0].data()); });
    benchmark::ClobberMemory();
    float sum = 0;
    roofline += Seconds([&] { sum = StreamSum(d.bf16.bf16(), d.bf16.bytes()); });
    benchmark::DoNotOptimize(sum);
    const double t =
        Seconds([&] { MatVec(d.bf16, d.xs[0].data(), d.bias.data(), d.ys[1].data()); });
    benchmark::ClobberMemory();
    p.candidate += t;
    state.SetIterationTime(t);
  }
  SetPairCounters(state, p, static_cast<double>(n), static_cast<double>(d.bf16.bytes()),
                  static_cast<double>(n), static_cast<double>(d.f32.bytes()), "speedup");
  state.counters["roofline_GB/s"] = static_cast<double>(d.bf16.bytes()) /
                                    (roofline / static_cast<double>(state.iterations())) * 1e-9;
  state.counters["frac_of_roofline"] = roofline / p.candidate;
}

// The int8 kernel at `level`, one state, vs streaming the int8 table's own bytes.
void RunInt8Level(benchmark::State& state, int64_t n, SimdLevel level) {
  Dataset& d = GetDataset(n);
  const MatVecKernel kernel = KernelsFor(level).matvec_int8;
  Paired p;
  for (auto _ : state) {
    uint32_t sum = 0;
    p.baseline += Seconds([&] { sum = StreamSumInt8Table(d.int8); });
    benchmark::DoNotOptimize(sum);
    const double t = Seconds([&] {
      kernel(d.int8, d.x_ptrs.data(), 1, d.bias.data(), d.y_ptrs.data(), 0, d.int8.num_panels());
    });
    benchmark::ClobberMemory();
    p.candidate += t;
    state.SetIterationTime(t);
  }
  const double bytes = static_cast<double>(d.int8.bytes());
  SetPairCounters(state, p, static_cast<double>(n), bytes, static_cast<double>(n), bytes,
                  "frac_of_roofline");
}

// int8 table (candidate, dispatched) vs the fp32 and bf16 tables and a streaming read of the
// int8 bytes, `batch` states per pass each (one MatVecBatch call). Order in an iteration: fp32,
// the streaming read, bf16, int8, so that at N >= 100k the int8 pass does not find its table in
// the L3 left by the read before it (at 10k every table stays in L2/L3 regardless).
void RunInt8(benchmark::State& state, int64_t n, int batch) {
  Dataset& d = GetDataset(n);
  const absl::Span<const float* const> xs(d.x_ptrs.data(), static_cast<size_t>(batch));
  const absl::Span<float* const> ys(d.y_ptrs.data(), static_cast<size_t>(batch));
  Paired p;
  double bf16 = 0, roofline = 0;
  for (auto _ : state) {
    p.baseline += Seconds([&] { MatVecBatch(d.f32, xs, d.bias.data(), ys); });
    benchmark::ClobberMemory();
    uint32_t sum = 0;
    roofline += Seconds([&] { sum = StreamSumInt8Table(d.int8); });
    benchmark::DoNotOptimize(sum);
    bf16 += Seconds([&] { MatVecBatch(d.bf16, xs, d.bias.data(), ys); });
    benchmark::ClobberMemory();
    const double t = Seconds([&] { MatVecBatch(d.int8, xs, d.bias.data(), ys); });
    benchmark::ClobberMemory();
    p.candidate += t;
    state.SetIterationTime(t);
  }
  const double items = static_cast<double>(n) * batch;
  SetPairCounters(state, p, items, static_cast<double>(d.int8.bytes()), items,
                  static_cast<double>(d.f32.bytes()), "speedup_vs_fp32");
  state.counters["speedup_vs_bf16"] = bf16 / p.candidate;
  state.counters["bf16_ns/item"] = bf16 / static_cast<double>(state.iterations()) * 1e9 / items;
  state.counters["roofline_GB/s"] = static_cast<double>(d.int8.bytes()) /
                                    (roofline / static_cast<double>(state.iterations())) * 1e-9;
  state.counters["frac_of_roofline"] = roofline / p.candidate;
}

void RegisterAll() {
  for (int64_t n : {int64_t{10000}, int64_t{100000}, int64_t{1000000}}) {
    const std::string suffix = "/N:" + std::to_string(n);
    benchmark::RegisterBenchmark(("Roofline" + suffix).c_str(),
                                 [n](benchmark::State& s) { RunRoofline(s, n); })
        ->UseManualTime()
        ->Unit(benchmark::kMicrosecond);
    for (SimdLevel level : SupportedSimdLevels()) {
      benchmark::RegisterBenchmark(
          ("F32" + suffix + "/" + std::string(SimdLevelName(level))).c_str(),
          [n, level](benchmark::State& s) { RunF32(s, n, level); })
          ->UseManualTime()
          ->Unit(benchmark::kMicrosecond);
    }
    benchmark::RegisterBenchmark(("F32" + suffix + "/active").c_str(),
                                 [n](benchmark::State& s) { RunF32(s, n, ActiveSimdLevel()); })
        ->UseManualTime()
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("Eigen" + suffix).c_str(),
                                 [n](benchmark::State& s) { RunEigen(s, n); })
        ->UseManualTime()
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(
        ("Batch8" + suffix + "/fp32").c_str(),
        [n](benchmark::State& s) { RunBatch8(s, n, ElementType::kFloat32); })
        ->UseManualTime()
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(
        ("Batch8" + suffix + "/bf16").c_str(),
        [n](benchmark::State& s) { RunBatch8(s, n, ElementType::kBfloat16); })
        ->UseManualTime()
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("Bf16" + suffix).c_str(),
                                 [n](benchmark::State& s) { RunBf16(s, n); })
        ->UseManualTime()
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("Batch8" + suffix + "/int8").c_str(),
                                 [n](benchmark::State& s) { RunBatch8(s, n, ElementType::kInt8); })
        ->UseManualTime()
        ->Unit(benchmark::kMicrosecond);
    for (SimdLevel level : SupportedSimdLevels()) {
      benchmark::RegisterBenchmark(
          ("Int8" + suffix + "/" + std::string(SimdLevelName(level))).c_str(),
          [n, level](benchmark::State& s) { RunInt8Level(s, n, level); })
          ->UseManualTime()
          ->Unit(benchmark::kMicrosecond);
    }
    for (int batch : {1, kBatch}) {
      benchmark::RegisterBenchmark(("Int8" + suffix + "/batch:" + std::to_string(batch)).c_str(),
                                   [n, batch](benchmark::State& s) { RunInt8(s, n, batch); })
          ->UseManualTime()
          ->Unit(benchmark::kMicrosecond);
    }
  }
}

}  // namespace
}  // namespace hrnn

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  std::printf("SIMD level: detected %s, active %s; H = %lld\n",
              std::string(hrnn::SimdLevelName(hrnn::DetectedSimdLevel())).c_str(),
              std::string(hrnn::SimdLevelName(hrnn::ActiveSimdLevel())).c_str(),
              static_cast<long long>(hrnn::kHidden));
  hrnn::RegisterAll();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
