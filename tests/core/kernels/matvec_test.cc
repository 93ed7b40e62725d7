#include "core/kernels/matvec.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
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

std::string Name(ElementType t) { return std::string(ElementTypeName(t)); }

MatVecKernel KernelOf(SimdLevel level, ElementType type) {
  return MatVecKernelFor(KernelsFor(level), type);
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
  for (ElementType type : {ElementType::kFloat32, ElementType::kBfloat16, ElementType::kInt8}) {
    const int64_t rows = 77, cols = 100;
    const std::vector<float> w = RandomValues(static_cast<size_t>(rows * cols), rng);
    const PanelMatrix m = PanelMatrix::FromRowMajor(w.data(), rows, cols, type);
    const std::vector<float> x = RandomValues(static_cast<size_t>(cols), rng);
    const std::vector<float> bias = RandomValues(static_cast<size_t>(rows), rng);
    Outputs got(1, rows), want(1, rows);
    MatVec(m, x.data(), bias.data(), got.ptrs[0]);
    const float* xs[1] = {x.data()};
    MatVecKernelFor(ActiveKernels(), type)(m, xs, 1, bias.data(), want.ptrs.data(), 0,
                                           m.num_panels());
    EXPECT_EQ(got.data, want.data) << Name(type);
  }
}

TEST(MatVecTest, ActiveKernelsIsTheActiveLevel) {
  EXPECT_EQ(&ActiveKernels(), &KernelsFor(ActiveSimdLevel()));
}

TEST(MatVecTest, EmptyMatrixWritesNothing) {
  for (ElementType type : {ElementType::kFloat32, ElementType::kBfloat16, ElementType::kInt8}) {
    const PanelMatrix m = PanelMatrix::FromRowMajor(nullptr, 0, 4, type);
    const std::vector<float> x(4, 1.0f);
    float y = kGuard;
    MatVec(m, x.data(), nullptr, &y);
    EXPECT_EQ(y, kGuard) << Name(type);
    const float* xs[1] = {x.data()};
    float* ys[1] = {&y};
    MatVecBatch(m, xs, nullptr, ys);
    EXPECT_EQ(y, kGuard) << Name(type);
  }
}

// MatVecBatch with more states than one pass handles equals one MatVec per state.
TEST(MatVecTest, LargeBatchesSplitIntoPasses) {
  std::mt19937 rng(7);
  for (ElementType type : {ElementType::kFloat32, ElementType::kBfloat16, ElementType::kInt8}) {
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

// ---- int8 tables: matvec_int8 (the quantisation rule and tolerances are in matvec.h). ----

// States quantised as the int8 kernels do: sx = max |x| / qmax.
double StateScale(const PanelMatrix& m, const float* x) {
  double max_abs = 0;
  for (int64_t c = 0; c < m.cols(); ++c) max_abs = std::max(max_abs, std::fabs(double{x[c]}));
  return max_abs / Int8StateMax(m.cols());
}

// An upper bound on |float(sum) * scale[r] * sx| (the dequantised products, with each state
// value moved by at most sx / 2).
double Int8Magnitude(const PanelMatrix& m, const float* x, int64_t r) {
  const double sx = StateScale(m, x);
  double magnitude = 0;
  for (int64_t c = 0; c < m.cols(); ++c) {
    magnitude += std::fabs(double{m.At(r, c)}) * (std::fabs(double{x[c]}) + sx);
  }
  return magnitude;
}

// Levels agree within 2^-22 * (|float(sum) * scale * sx| + |bias|) (matvec.h).
double LevelTolerance(const PanelMatrix& m, const float* x, const float* bias, int64_t r) {
  return std::ldexp(Int8Magnitude(m, x, r) + (bias != nullptr ? std::fabs(bias[r]) : 0.0), -22) +
         1e-38;
}

// |y - (sum_c w(r, c) x[c] + bias)| for the unquantised w is at most the weights' rounding,
// sum_c |w - m(r, c)| |x_c| (itself <= scale / 2 * sum |x_c|), plus the state's, sx / 2 *
// sum_c |m(r, c)|, plus float rounding of the final steps.
double QuantisationBound(const PanelMatrix& m, const std::vector<float>& w, const float* x,
                         const float* bias, int64_t r) {
  const double sx = StateScale(m, x);
  double weights = 0, state = 0;
  for (int64_t c = 0; c < m.cols(); ++c) {
    const double original = w[static_cast<size_t>(r * m.cols() + c)];
    weights += std::fabs(original - m.At(r, c)) * std::fabs(double{x[c]});
    state += std::fabs(double{m.At(r, c)});
  }
  return weights + sx / 2 * state +
         1e-6 * (Int8Magnitude(m, x, r) + (bias != nullptr ? std::fabs(bias[r]) : 0.0)) + 1e-37;
}

// The unquantised product in double.
double ExactRow(const std::vector<float>& w, int64_t cols, const float* x, const float* bias,
                int64_t r) {
  double sum = bias != nullptr ? bias[r] : 0.0;
  for (int64_t c = 0; c < cols; ++c) sum += double{w[static_cast<size_t>(r * cols + c)]} * x[c];
  return sum;
}

struct States {
  States(int batch, int64_t cols, std::mt19937& rng, float scale = 1.0f) {
    for (int b = 0; b < batch; ++b) {
      x.push_back(RandomValues(static_cast<size_t>(cols), rng));
      for (float& v : x.back()) v *= scale;
    }
    for (auto& v : x) ptrs.push_back(v.data());
  }
  std::vector<std::vector<float>> x;
  std::vector<const float*> ptrs;
};

TEST(MatVecInt8Test, EveryLevelMatchesScalarAtEverySizeAndTail) {
  std::mt19937 rng(11);
  for (int64_t rows : AllRowCounts()) {
    for (int64_t cols : AllColCounts()) {
      const std::vector<float> w = RandomValues(static_cast<size_t>(rows * cols), rng);
      const PanelMatrix m = PanelMatrix::FromRowMajor(w.data(), rows, cols, ElementType::kInt8);
      const std::vector<float> bias = RandomValues(static_cast<size_t>(rows), rng);
      const States x(1, cols, rng);
      for (const bool with_bias : {false, true}) {
        const float* b = with_bias ? bias.data() : nullptr;
        Outputs want(1, rows);
        KernelsFor(SimdLevel::kScalar)
            .matvec_int8(m, x.ptrs.data(), 1, b, want.ptrs.data(), 0, m.num_panels());
        for (SimdLevel level : SupportedSimdLevels()) {
          SCOPED_TRACE(testing::Message() << SimdLevelName(level) << " rows=" << rows
                                          << " cols=" << cols << " bias=" << with_bias);
          Outputs got(1, rows);
          KernelsFor(level).matvec_int8(m, x.ptrs.data(), 1, b, got.ptrs.data(), 0, m.num_panels());
          for (int64_t r = 0; r < rows; ++r) {
            const size_t i = static_cast<size_t>(r);
            ASSERT_NEAR(got.data[0][i], want.data[0][i], LevelTolerance(m, x.ptrs[0], b, r))
                << "r=" << r;
            if (level == SimdLevel::kScalar) {
              ASSERT_NEAR(got.data[0][i], ExactRow(w, cols, x.ptrs[0], b, r),
                          QuantisationBound(m, w, x.ptrs[0], b, r))
                  << "r=" << r;
            }
          }
          got.ExpectGuardsIntact(rows);
        }
      }
    }
  }
}

// Every batch size against the scalar kernel and against the unquantised product; the states
// differ in magnitude (each has its own scale).
TEST(MatVecInt8Test, EveryBatchSizeWithinQuantisationErrorOfFp32) {
  std::mt19937 rng(12);
  for (int64_t rows : {1, 15, 16, 17, 31, 47, 67, 128, 129}) {
    for (int64_t cols : {1, 2, 3, 5, 7, 8, 9, 16, 17, 31, 100, 129, 300}) {
      const std::vector<float> w = RandomValues(static_cast<size_t>(rows * cols), rng);
      const PanelMatrix m = PanelMatrix::FromRowMajor(w.data(), rows, cols, ElementType::kInt8);
      const std::vector<float> bias = RandomValues(static_cast<size_t>(rows), rng);
      for (int batch = 1; batch <= kMaxMatVecBatch; ++batch) {
        States x(batch, cols, rng);
        for (int b = 0; b < batch; ++b) {
          for (float& v : x.x[static_cast<size_t>(b)]) v *= std::ldexp(1.0f, 4 * b - 12);
        }
        const float* bias_ptr = batch % 2 == 0 ? bias.data() : nullptr;
        Outputs want(batch, rows);
        KernelsFor(SimdLevel::kScalar)
            .matvec_int8(m, x.ptrs.data(), batch, bias_ptr, want.ptrs.data(), 0, m.num_panels());
        for (SimdLevel level : SupportedSimdLevels()) {
          SCOPED_TRACE(testing::Message() << SimdLevelName(level) << " rows=" << rows
                                          << " cols=" << cols << " batch=" << batch);
          Outputs got(batch, rows);
          KernelsFor(level).matvec_int8(m, x.ptrs.data(), batch, bias_ptr, got.ptrs.data(), 0,
                                        m.num_panels());
          for (int b = 0; b < batch; ++b) {
            for (int64_t r = 0; r < rows; ++r) {
              const size_t i = static_cast<size_t>(r);
              ASSERT_NEAR(got.data[b][i], want.data[b][i],
                          LevelTolerance(m, x.ptrs[b], bias_ptr, r))
                  << "b=" << b << " r=" << r;
              ASSERT_NEAR(got.data[b][i], ExactRow(w, cols, x.ptrs[b], bias_ptr, r),
                          QuantisationBound(m, w, x.ptrs[b], bias_ptr, r))
                  << "b=" << b << " r=" << r;
            }
          }
          got.ExpectGuardsIntact(rows);
        }
      }
    }
  }
}

// Weights that are integers with 127 in every row (scale 1) and states with 32767 (sx = 1):
// quantisation is exact, and without a bias every level returns float(the integer sum).
TEST(MatVecInt8Test, ExactlyRepresentableValuesGiveTheIntegerSum) {
  std::mt19937 rng(13);
  std::uniform_int_distribution<int> weight(-127, 127), state(-32767, 32767);
  for (int64_t rows : {1, 16, 19, 67}) {
    for (int64_t cols : {1, 2, 5, 100, 129}) {
      std::vector<float> w(static_cast<size_t>(rows * cols));
      for (float& v : w) v = static_cast<float>(weight(rng));
      for (int64_t r = 0; r < rows; ++r) w[static_cast<size_t>(r * cols + r % cols)] = 127.0f;
      const PanelMatrix m = PanelMatrix::FromRowMajor(w.data(), rows, cols, ElementType::kInt8);
      for (int batch : {1, 3, 8}) {
        std::vector<std::vector<float>> x(static_cast<size_t>(batch));
        std::vector<const float*> xs;
        for (auto& v : x) {
          for (int64_t c = 0; c < cols; ++c) v.push_back(static_cast<float>(state(rng)));
          v[0] = -32767.0f;
          xs.push_back(v.data());
        }
        for (SimdLevel level : SupportedSimdLevels()) {
          SCOPED_TRACE(testing::Message() << SimdLevelName(level) << " rows=" << rows
                                          << " cols=" << cols << " batch=" << batch);
          Outputs got(batch, rows);
          KernelsFor(level).matvec_int8(m, xs.data(), batch, nullptr, got.ptrs.data(), 0,
                                        m.num_panels());
          for (int b = 0; b < batch; ++b) {
            for (int64_t r = 0; r < rows; ++r) {
              int64_t sum = 0;
              for (int64_t c = 0; c < cols; ++c) {
                sum += static_cast<int64_t>(w[static_cast<size_t>(r * cols + c)]) *
                       static_cast<int64_t>(xs[b][c]);
              }
              ASSERT_EQ(got.data[b][static_cast<size_t>(r)], static_cast<float>(sum))
                  << "b=" << b << " r=" << r;
            }
          }
        }
      }
    }
  }
}

// A panel range writes exactly the rows of those panels, with the values of a full pass.
TEST(MatVecInt8Test, PanelRangesWriteOnlyTheirRows) {
  std::mt19937 rng(14);
  for (int64_t rows : {1, 16, 40, 67, 129}) {
    const int64_t cols = 13;
    const std::vector<float> w = RandomValues(static_cast<size_t>(rows * cols), rng);
    const PanelMatrix m = PanelMatrix::FromRowMajor(w.data(), rows, cols, ElementType::kInt8);
    const std::vector<float> bias = RandomValues(static_cast<size_t>(rows), rng);
    const States x(3, cols, rng);
    for (SimdLevel level : SupportedSimdLevels()) {
      for (int batch : {1, 3}) {
        Outputs full(batch, rows);
        KernelsFor(level).matvec_int8(m, x.ptrs.data(), batch, bias.data(), full.ptrs.data(), 0,
                                      m.num_panels());
        for (int64_t begin = 0; begin <= m.num_panels(); ++begin) {
          for (int64_t end = begin; end <= m.num_panels(); ++end) {
            SCOPED_TRACE(testing::Message()
                         << SimdLevelName(level) << " rows=" << rows << " panels=[" << begin << ","
                         << end << ") batch=" << batch);
            Outputs out(batch, rows);
            KernelsFor(level).matvec_int8(m, x.ptrs.data(), batch, bias.data(), out.ptrs.data(),
                                          begin, end);
            for (int b = 0; b < batch; ++b) {
              for (int64_t r = 0; r < rows; ++r) {
                const size_t i = static_cast<size_t>(r);
                const bool inside = r >= begin * kPanelRows && r < end * kPanelRows;
                ASSERT_EQ(out.data[b][i], inside ? full.data[b][i] : kGuard)
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

// Zero rows and zero states give exactly the bias; rows from 1e-42 (subnormal scales) to 1e36
// and states from 1e-30 to 1 keep the bound; NaN or infinity in a state makes its scores NaN, in a
// row that row's.
TEST(MatVecInt8Test, ZeroRowsExtremeValuesAndNonFiniteInputs) {
  std::mt19937 rng(15);
  const int64_t rows = 37, cols = 101;
  std::vector<float> w = RandomValues(static_cast<size_t>(rows * cols), rng);
  const float row_scale[] = {0.0f, 1e36f, 1e-38f, 1e-42f, 3e-5f, 1.0f, 7e12f};
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) w[static_cast<size_t>(r * cols + c)] *= row_scale[r % 7];
  }
  w[static_cast<size_t>(9 * cols + 50)] = 1e36f;  // One huge value in a row of small ones.
  std::vector<float> bad = w;
  bad[static_cast<size_t>(5 * cols + 3)] = std::nanf("");
  bad[static_cast<size_t>(12 * cols + 100)] = -INFINITY;
  const PanelMatrix m = PanelMatrix::FromRowMajor(w.data(), rows, cols, ElementType::kInt8);
  const PanelMatrix m_bad = PanelMatrix::FromRowMajor(bad.data(), rows, cols, ElementType::kInt8);
  const std::vector<float> bias = RandomValues(static_cast<size_t>(rows), rng);
  for (float state_scale : {1e-30f, 1e-3f, 1.0f}) {
    States x(3, cols, rng, state_scale);
    std::fill(x.x[1].begin(), x.x[1].end(), 0.0f);  // A zero state.
    for (SimdLevel level : SupportedSimdLevels()) {
      SCOPED_TRACE(testing::Message() << SimdLevelName(level) << " state scale " << state_scale);
      Outputs got(3, rows);
      KernelsFor(level).matvec_int8(m, x.ptrs.data(), 3, bias.data(), got.ptrs.data(), 0,
                                    m.num_panels());
      for (int b = 0; b < 3; ++b) {
        for (int64_t r = 0; r < rows; ++r) {
          const float y = got.data[b][static_cast<size_t>(r)];
          if (r % 7 == 0 || b == 1) {
            ASSERT_EQ(y, bias[static_cast<size_t>(r)])
                << "zero row or state: b=" << b << " r=" << r;
          }
          ASSERT_NEAR(y, ExactRow(w, cols, x.ptrs[b], bias.data(), r),
                      QuantisationBound(m, w, x.ptrs[b], bias.data(), r))
              << "b=" << b << " r=" << r;
        }
      }
      got.ExpectGuardsIntact(rows);
      Outputs with_bad_rows(3, rows);
      KernelsFor(level).matvec_int8(m_bad, x.ptrs.data(), 3, nullptr, with_bad_rows.ptrs.data(), 0,
                                    m.num_panels());
      for (int64_t r = 0; r < rows; ++r) {
        const float y = with_bad_rows.data[0][static_cast<size_t>(r)];
        if (r == 5 || r == 12) {
          ASSERT_TRUE(std::isnan(y)) << "r=" << r;
        } else {
          ASSERT_FALSE(std::isnan(y)) << "r=" << r;
        }
      }
    }
  }
  for (float poison : {std::nanf(""), INFINITY, -INFINITY}) {
    States x(2, cols, rng);
    x.x[0][17] = poison;
    for (SimdLevel level : SupportedSimdLevels()) {
      Outputs got(2, rows);
      KernelsFor(level).matvec_int8(m, x.ptrs.data(), 2, bias.data(), got.ptrs.data(), 0,
                                    m.num_panels());
      for (int64_t r = 0; r < rows; ++r) {
        ASSERT_TRUE(std::isnan(got.data[0][static_cast<size_t>(r)]))
            << SimdLevelName(level) << " poison=" << poison << " r=" << r;
        ASSERT_FALSE(std::isnan(got.data[1][static_cast<size_t>(r)]))
            << SimdLevelName(level) << " poison=" << poison << " r=" << r;
      }
    }
  }
}

// Wide states: past 516 columns the state's range shrinks so that int32 cannot overflow.
TEST(MatVecInt8Test, StateRangeKeepsInt32SumsExact) {
  EXPECT_EQ(Int8StateMax(1), 32767);
  EXPECT_EQ(Int8StateMax(100), 32767);
  EXPECT_EQ(Int8StateMax(516), 32767);
  EXPECT_EQ(Int8StateMax(517), 32643);  // Padded to 518 columns.
  EXPECT_EQ(Int8StateMax(1000), 16909);
  for (int64_t cols : {1, 99, 100, 516, 517, 1000, 4096, 100001}) {
    EXPECT_LE(127 * ((cols + 1) / 2 * 2) * int64_t{Int8StateMax(cols)}, int64_t{2147483647})
        << cols;
  }
  // The worst case: every weight and state value at its extreme, one sign.
  for (int64_t cols : {516, 600, 2000}) {
    const std::vector<float> w(static_cast<size_t>(3 * cols), -1.0f);
    const PanelMatrix m = PanelMatrix::FromRowMajor(w.data(), 3, cols, ElementType::kInt8);
    const std::vector<float> x(static_cast<size_t>(cols), -1.0f);
    const float* xs[1] = {x.data()};
    for (SimdLevel level : SupportedSimdLevels()) {
      Outputs got(1, 3);
      KernelsFor(level).matvec_int8(m, xs, 1, nullptr, got.ptrs.data(), 0, m.num_panels());
      for (int64_t r = 0; r < 3; ++r) {
        ASSERT_NEAR(got.data[0][static_cast<size_t>(r)], static_cast<float>(cols), cols * 1e-5)
            << SimdLevelName(level) << " cols=" << cols;
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
