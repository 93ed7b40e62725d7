#include "core/kernels/matvec.h"

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace hrnn {
namespace {

constexpr float kGuard = -12345.0f;
constexpr int kGuardCount = 19;

std::vector<int64_t> AllRowCounts() {
  std::vector<int64_t> rows;
  for (int64_t r = 0; r <= 67; ++r) rows.push_back(r);
  for (int64_t r : {127, 128, 129}) rows.push_back(r);
  return rows;
}

std::vector<int64_t> AllColCounts() {
  std::vector<int64_t> cols;
  for (int64_t c = 1; c <= 67; ++c) cols.push_back(c);
  // 100 is H; above 128 the AVX-512 bf16 kernel switches from its column-pair path.
  for (int64_t c : {100, 128, 129, 130, 200}) cols.push_back(c);
  return cols;
}

// Small integers: every product and sum is exact in float, and the weights are exact in bf16,
// so all levels and summation orders must agree bit for bit.
std::vector<float> IntegerValues(size_t n, std::mt19937& rng, int lo, int hi) {
  std::uniform_int_distribution<int> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = static_cast<float>(dist(rng));
  return v;
}

std::vector<float> RandomValues(size_t n, std::mt19937& rng) {
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

// y[r] = sum_c m(r, c) x[c] + bias[r] in double, from the matrix as stored.
std::vector<double> Reference(const PanelMatrix& m, const float* x, const float* bias) {
  std::vector<double> y(static_cast<size_t>(m.rows()));
  for (int64_t r = 0; r < m.rows(); ++r) {
    double sum = 0;
    for (int64_t c = 0; c < m.cols(); ++c) sum += static_cast<double>(m.At(r, c)) * x[c];
    y[static_cast<size_t>(r)] = sum + (bias != nullptr ? bias[r] : 0.0);
  }
  return y;
}

// Output buffers with guard values after the last row.
struct Outputs {
  Outputs(int batch, int64_t rows)
      : data(static_cast<size_t>(batch),
             std::vector<float>(static_cast<size_t>(rows + kGuardCount), kGuard)) {
    for (auto& d : data) ptrs.push_back(d.data());
  }
  void ExpectGuardsIntact(int64_t rows) const {
    for (size_t b = 0; b < data.size(); ++b) {
      for (int64_t i = rows; i < rows + kGuardCount; ++i) {
        ASSERT_EQ(data[b][static_cast<size_t>(i)], kGuard)
            << "write past rows: b=" << b << " i=" << i;
      }
    }
  }
  std::vector<std::vector<float>> data;
  std::vector<float*> ptrs;
};

const char* Name(ElementType t) { return t == ElementType::kFloat32 ? "fp32" : "bf16"; }

MatVecKernel KernelOf(SimdLevel level, ElementType type) {
  const SimdKernels& k = KernelsFor(level);
  return type == ElementType::kFloat32 ? k.matvec_f32 : k.matvec_bf16;
}

TEST(MatVecTest, IntegerValuesExactAtEveryLevelSizeAndTail) {
  std::mt19937 rng(1);
  for (ElementType type : {ElementType::kFloat32, ElementType::kBfloat16}) {
    for (int64_t rows : AllRowCounts()) {
      for (int64_t cols : AllColCounts()) {
        const std::vector<float> w = IntegerValues(static_cast<size_t>(rows * cols), rng, -4, 4);
        const PanelMatrix m = PanelMatrix::FromRowMajor(w.data(), rows, cols, type);
        const std::vector<float> x = IntegerValues(static_cast<size_t>(cols), rng, -3, 3);
        const std::vector<float> bias = IntegerValues(static_cast<size_t>(rows), rng, -9, 9);
        for (const bool with_bias : {false, true}) {
          const float* b = with_bias ? bias.data() : nullptr;
          const std::vector<double> expected = Reference(m, x.data(), b);
          for (SimdLevel level : SupportedSimdLevels()) {
            SCOPED_TRACE(testing::Message() << SimdLevelName(level) << " " << Name(type) << " rows="
                                            << rows << " cols=" << cols << " bias=" << with_bias);
            Outputs out(1, rows);
            const float* xs[1] = {x.data()};
            KernelOf(level, type)(m, xs, 1, b, out.ptrs.data(), 0, m.num_panels());
            for (int64_t r = 0; r < rows; ++r) {
              ASSERT_EQ(out.data[0][static_cast<size_t>(r)], expected[static_cast<size_t>(r)])
                  << "r=" << r;
            }
            out.ExpectGuardsIntact(rows);
          }
        }
      }
    }
  }
}

TEST(MatVecTest, IntegerValuesExactForEveryBatchSize) {
  std::mt19937 rng(2);
  for (ElementType type : {ElementType::kFloat32, ElementType::kBfloat16}) {
    for (int64_t rows : {1, 15, 16, 17, 31, 47, 67, 128, 129}) {
      for (int64_t cols : {1, 2, 3, 5, 7, 8, 9, 16, 17, 31, 100}) {
        const std::vector<float> w = IntegerValues(static_cast<size_t>(rows * cols), rng, -4, 4);
        const PanelMatrix m = PanelMatrix::FromRowMajor(w.data(), rows, cols, type);
        const std::vector<float> bias = IntegerValues(static_cast<size_t>(rows), rng, -9, 9);
        for (int batch = 1; batch <= kMaxMatVecBatch; ++batch) {
          std::vector<std::vector<float>> x;
          std::vector<const float*> xs;
          for (int b = 0; b < batch; ++b) {
            x.push_back(IntegerValues(static_cast<size_t>(cols), rng, -3, 3));
          }
          for (auto& v : x) xs.push_back(v.data());
          const float* bias_ptr = batch % 2 == 0 ? bias.data() : nullptr;
          for (SimdLevel level : SupportedSimdLevels()) {
            SCOPED_TRACE(testing::Message() << SimdLevelName(level) << " " << Name(type) << " rows="
                                            << rows << " cols=" << cols << " batch=" << batch);
            Outputs out(batch, rows);
            KernelOf(level, type)(m, xs.data(), batch, bias_ptr, out.ptrs.data(), 0,
                                  m.num_panels());
            for (int b = 0; b < batch; ++b) {
              const std::vector<double> expected = Reference(m, xs[b], bias_ptr);
              for (int64_t r = 0; r < rows; ++r) {
                ASSERT_EQ(out.data[b][static_cast<size_t>(r)], expected[static_cast<size_t>(r)])
                    << "b=" << b << " r=" << r;
              }
            }
            out.ExpectGuardsIntact(rows);
          }
        }
      }
    }
  }
}

// Random floats: every level against the scalar kernel of the same element type, within a
// relative error scaled by sum |w x| (summation order differs between levels).
TEST(MatVecTest, RandomValuesMatchScalarWithinTolerance) {
  std::mt19937 rng(3);
  for (ElementType type : {ElementType::kFloat32, ElementType::kBfloat16}) {
    for (int64_t rows : {1, 16, 17, 67, 127, 128, 129}) {
      for (int64_t cols : {1, 4, 9, 33, 67, 100}) {
        const std::vector<float> w = RandomValues(static_cast<size_t>(rows * cols), rng);
        const PanelMatrix m = PanelMatrix::FromRowMajor(w.data(), rows, cols, type);
        const std::vector<float> bias = RandomValues(static_cast<size_t>(rows), rng);
        for (int batch : {1, 2, 3, 5, 8}) {
          std::vector<std::vector<float>> x;
          std::vector<const float*> xs;
          for (int b = 0; b < batch; ++b) x.push_back(RandomValues(static_cast<size_t>(cols), rng));
          for (auto& v : x) xs.push_back(v.data());
          Outputs want(batch, rows);
          KernelOf(SimdLevel::kScalar, type)(m, xs.data(), batch, bias.data(), want.ptrs.data(), 0,
                                             m.num_panels());
          for (SimdLevel level : SupportedSimdLevels()) {
            SCOPED_TRACE(testing::Message() << SimdLevelName(level) << " " << Name(type) << " rows="
                                            << rows << " cols=" << cols << " batch=" << batch);
            Outputs got(batch, rows);
            KernelOf(level, type)(m, xs.data(), batch, bias.data(), got.ptrs.data(), 0,
                                  m.num_panels());
            for (int b = 0; b < batch; ++b) {
              for (int64_t r = 0; r < rows; ++r) {
                double magnitude = std::fabs(bias[static_cast<size_t>(r)]);
                for (int64_t c = 0; c < cols; ++c) magnitude += std::fabs(m.At(r, c) * xs[b][c]);
                const double tol = 1e-5 * magnitude + 1e-30;
                ASSERT_NEAR(got.data[b][static_cast<size_t>(r)],
                            want.data[b][static_cast<size_t>(r)], tol)
                    << "b=" << b << " r=" << r;
              }
            }
            got.ExpectGuardsIntact(rows);
          }
        }
      }
    }
  }
}

// bf16 weights against fp32 weights: each weight moves by at most 2^-8 relative, so each row
// moves by at most 2^-8 * sum |w x| (plus fp32 rounding).
TEST(MatVecTest, Bf16WithinRoundingOfFp32) {
  std::mt19937 rng(4);
  for (int64_t rows : {5, 16, 67, 129}) {
    for (int64_t cols : {1, 17, 100}) {
      const std::vector<float> w = RandomValues(static_cast<size_t>(rows * cols), rng);
      const std::vector<float> x = RandomValues(static_cast<size_t>(cols), rng);
      const PanelMatrix f32 =
          PanelMatrix::FromRowMajor(w.data(), rows, cols, ElementType::kFloat32);
      const PanelMatrix bf16 =
          PanelMatrix::FromRowMajor(w.data(), rows, cols, ElementType::kBfloat16);
      for (SimdLevel level : SupportedSimdLevels()) {
        SCOPED_TRACE(testing::Message()
                     << SimdLevelName(level) << " rows=" << rows << " cols=" << cols);
        Outputs a(1, rows), b(1, rows);
        const float* xs[1] = {x.data()};
        KernelsFor(level).matvec_f32(f32, xs, 1, nullptr, a.ptrs.data(), 0, f32.num_panels());
        KernelsFor(level).matvec_bf16(bf16, xs, 1, nullptr, b.ptrs.data(), 0, bf16.num_panels());
        for (int64_t r = 0; r < rows; ++r) {
          double magnitude = 0;
          for (int64_t c = 0; c < cols; ++c) {
            magnitude +=
                std::fabs(w[static_cast<size_t>(r * cols + c)] * x[static_cast<size_t>(c)]);
          }
          ASSERT_NEAR(a.data[0][static_cast<size_t>(r)], b.data[0][static_cast<size_t>(r)],
                      std::ldexp(magnitude, -8) * 1.01 + 1e-6 * magnitude + 1e-30)
              << "r=" << r;
        }
      }
    }
  }
}

// A panel range writes exactly the rows of those panels, nothing else.
TEST(MatVecTest, PanelRangesWriteOnlyTheirRows) {
  std::mt19937 rng(5);
  for (ElementType type : {ElementType::kFloat32, ElementType::kBfloat16}) {
    for (int64_t rows : {1, 16, 40, 67, 129}) {
      const int64_t cols = 13;
      const std::vector<float> w = IntegerValues(static_cast<size_t>(rows * cols), rng, -4, 4);
      const PanelMatrix m = PanelMatrix::FromRowMajor(w.data(), rows, cols, type);
      const std::vector<float> bias = IntegerValues(static_cast<size_t>(rows), rng, -9, 9);
      std::vector<std::vector<float>> x;
      std::vector<const float*> xs;
      for (int b = 0; b < 3; ++b) x.push_back(IntegerValues(static_cast<size_t>(cols), rng, -3, 3));
      for (auto& v : x) xs.push_back(v.data());
      for (int64_t begin = 0; begin <= m.num_panels(); ++begin) {
        for (int64_t end = begin; end <= m.num_panels(); ++end) {
          for (SimdLevel level : SupportedSimdLevels()) {
            for (int batch : {1, 3}) {
              SCOPED_TRACE(testing::Message()
                           << SimdLevelName(level) << " " << Name(type) << " rows=" << rows
                           << " panels=[" << begin << "," << end << ") batch=" << batch);
              Outputs out(batch, rows);
              KernelOf(level, type)(m, xs.data(), batch, bias.data(), out.ptrs.data(), begin, end);
              for (int b = 0; b < batch; ++b) {
                const std::vector<double> expected = Reference(m, xs[b], bias.data());
                for (int64_t r = 0; r < rows; ++r) {
                  const bool inside = r >= begin * kPanelRows && r < end * kPanelRows;
                  ASSERT_EQ(out.data[b][static_cast<size_t>(r)],
                            inside ? expected[static_cast<size_t>(r)] : kGuard)
                      << "b=" << b << " r=" << r;
                }
              }
              out.ExpectGuardsIntact(rows);
            }
          }
        }
      }
    }
  }
}

TEST(MatVecTest, DispatchingMatVecMatchesActiveKernel) {
  std::mt19937 rng(6);
  for (ElementType type : {ElementType::kFloat32, ElementType::kBfloat16}) {
    const int64_t rows = 77, cols = 100;
    const std::vector<float> w = RandomValues(static_cast<size_t>(rows * cols), rng);
    const PanelMatrix m = PanelMatrix::FromRowMajor(w.data(), rows, cols, type);
    const std::vector<float> x = RandomValues(static_cast<size_t>(cols), rng);
    const std::vector<float> bias = RandomValues(static_cast<size_t>(rows), rng);
    Outputs got(1, rows), want(1, rows);
    MatVec(m, x.data(), bias.data(), got.ptrs[0]);
    const float* xs[1] = {x.data()};
    const SimdKernels& k = ActiveKernels();
    (type == ElementType::kFloat32 ? k.matvec_f32 : k.matvec_bf16)(
        m, xs, 1, bias.data(), want.ptrs.data(), 0, m.num_panels());
    EXPECT_EQ(got.data, want.data) << Name(type);
  }
}

TEST(MatVecTest, ActiveKernelsIsTheActiveLevel) {
  EXPECT_EQ(&ActiveKernels(), &KernelsFor(ActiveSimdLevel()));
}

TEST(MatVecTest, EmptyMatrixWritesNothing) {
  const PanelMatrix m = PanelMatrix::FromRowMajor(nullptr, 0, 4, ElementType::kFloat32);
  const std::vector<float> x(4, 1.0f);
  float y = kGuard;
  MatVec(m, x.data(), nullptr, &y);
  EXPECT_EQ(y, kGuard);
  const float* xs[1] = {x.data()};
  float* ys[1] = {&y};
  MatVecBatch(m, xs, nullptr, ys);
  EXPECT_EQ(y, kGuard);
}

// MatVecBatch with more states than one pass handles equals one MatVec per state.
TEST(MatVecTest, LargeBatchesSplitIntoPasses) {
  std::mt19937 rng(7);
  for (ElementType type : {ElementType::kFloat32, ElementType::kBfloat16}) {
    for (int64_t rows : {17, 100}) {
      const int64_t cols = 37;
      const std::vector<float> w = IntegerValues(static_cast<size_t>(rows * cols), rng, -4, 4);
      const PanelMatrix m = PanelMatrix::FromRowMajor(w.data(), rows, cols, type);
      const std::vector<float> bias = IntegerValues(static_cast<size_t>(rows), rng, -9, 9);
      for (int batch = 0; batch <= 17; ++batch) {
        SCOPED_TRACE(testing::Message() << Name(type) << " rows=" << rows << " batch=" << batch);
        std::vector<std::vector<float>> x;
        std::vector<const float*> xs;
        for (int b = 0; b < batch; ++b) {
          x.push_back(IntegerValues(static_cast<size_t>(cols), rng, -3, 3));
        }
        for (auto& v : x) xs.push_back(v.data());
        Outputs got(batch, rows), want(batch, rows);
        MatVecBatch(m, xs, bias.data(), got.ptrs);
        for (int b = 0; b < batch; ++b) MatVec(m, xs[b], bias.data(), want.ptrs[b]);
        EXPECT_EQ(got.data, want.data);
        got.ExpectGuardsIntact(rows);
      }
    }
  }
}

TEST(FindFirstGreaterTest, EveryLevelMatchesScalarLoopAtEveryOffset) {
  std::mt19937 rng(8);
  const float nan = std::nanf("");
  const float inf = INFINITY;
  for (int64_t n : {0, 1, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 129, 200}) {
    for (SimdLevel level : SupportedSimdLevels()) {
      const FindFirstGreaterKernel find = KernelsFor(level).find_first_greater;
      // A single qualifying value at every offset (or none), surrounded by NaN and smaller ones.
      for (int64_t hit = 0; hit <= n; ++hit) {
        std::vector<float> v(static_cast<size_t>(n));
        for (int64_t i = 0; i < n; ++i) v[static_cast<size_t>(i)] = i % 3 == 0 ? nan : -1.0f;
        if (hit < n) v[static_cast<size_t>(hit)] = 2.0f;
        // Also start the scan at every offset, so unaligned heads are covered.
        for (int64_t start = 0; start <= n; ++start) {
          int64_t expected = n - start;
          for (int64_t i = start; i < n; ++i) {
            if (v[static_cast<size_t>(i)] > 1.0f) {
              expected = i - start;
              break;
            }
          }
          ASSERT_EQ(find(v.data() + start, n - start, 1.0f), expected)
              << SimdLevelName(level) << " n=" << n << " hit=" << hit << " start=" << start;
        }
      }
      // Random values from a small set (many ties, equal is not greater), with infinities.
      const float choices[] = {-inf, -1.0f, 0.0f, 0.5f, 1.0f, inf, nan};
      std::uniform_int_distribution<int> pick(0, 6);
      std::vector<float> v(static_cast<size_t>(n));
      for (float& f : v) f = choices[pick(rng)];
      for (float threshold : {-inf, -1.0f, 0.0f, 1.0f, inf, nan}) {
        int64_t expected = n;
        for (int64_t i = 0; i < n; ++i) {
          if (v[static_cast<size_t>(i)] > threshold) {
            expected = i;
            break;
          }
        }
        ASSERT_EQ(find(v.data(), n, threshold), expected)
            << SimdLevelName(level) << " n=" << n << " threshold=" << threshold;
      }
    }
  }
}

TEST(FindFirstGreaterTest, DispatchingWrapper) {
  const std::vector<float> v = {1, 2, 3, 4, 5};
  EXPECT_EQ(FindFirstGreater(v, 3.0f), 3);
  EXPECT_EQ(FindFirstGreater(v, 5.0f), 5);
  EXPECT_EQ(FindFirstGreater({}, 0.0f), 0);
}

}  // namespace
}  // namespace hrnn
