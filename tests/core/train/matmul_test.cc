#include "core/train/matmul.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <ostream>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "gtest/gtest.h"

namespace hrnn {
namespace {

constexpr int64_t kSizes[] = {1, 3, 8, 9, 16, 17, 33, 100, 130};
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// An owned strided row-major matrix: ld = cols + 5, and the gaps between rows hold NaN, so a
// product that reads past a row's end poisons its result and one that writes there is caught.
struct Strided {
  int64_t rows = 0, cols = 0, ld = 0;
  std::vector<float> data;

  Strided(int64_t r, int64_t c) : rows(r), cols(c), ld(c + 5), data(r * (c + 5), kNaN) {}
  static Strided Random(int64_t r, int64_t c, std::mt19937& rng) {
    Strided m(r, c);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    for (int64_t i = 0; i < r; ++i) {
      for (int64_t j = 0; j < c; ++j) m.at(i, j) = dist(rng);
    }
    return m;
  }
  float& at(int64_t r, int64_t c) { return data[static_cast<size_t>(r * ld + c)]; }
  float at(int64_t r, int64_t c) const { return data[static_cast<size_t>(r * ld + c)]; }
  MatrixView view() { return {data.data(), rows, cols, ld}; }
  ConstMatrixView cview() const { return {data.data(), rows, cols, ld}; }
};

// A double-precision reference value with the error scale sum |terms| (the float error bound of
// a dot product is proportional to it, not to the possibly cancelled value).
struct Reference {
  std::vector<double> value, scale;
};

// Every element within 1e-5 relative (of the absolute sum) of the reference; the NaN gaps of c
// untouched.
void ExpectMatches(const Strided& c, const Reference& ref) {
  for (int64_t i = 0; i < c.rows; ++i) {
    for (int64_t j = 0; j < c.ld; ++j) {
      if (j >= c.cols) {
        ASSERT_TRUE(std::isnan(c.at(i, j))) << "wrote the gap at (" << i << ", " << j << ")";
        continue;
      }
      const size_t k = static_cast<size_t>(i * c.cols + j);
      ASSERT_NEAR(c.at(i, j), ref.value[k], 1e-5 * ref.scale[k] + 1e-7)
          << "at (" << i << ", " << j << ")";
    }
  }
}

// Runs `product` (filling c) twice on the same MatMul and once on a fresh one: bitwise equal.
template <typename RunProduct>
void ExpectDeterministic(const Strided& first, RunProduct product) {
  Strided again(first.rows, first.cols), fresh(first.rows, first.cols);
  product(/*use_fresh=*/false, again);
  product(/*use_fresh=*/true, fresh);
  ASSERT_EQ(std::memcmp(again.data.data(), first.data.data(), first.data.size() * 4), 0);
  ASSERT_EQ(std::memcmp(fresh.data.data(), first.data.data(), first.data.size() * 4), 0);
}

enum class Product { kABt, kABtBias, kAB, kAtB, kABtGathered, kABGathered };
const char* ProductName(Product p) {
  switch (p) {
    case Product::kABt:
      return "ABt";
    case Product::kABtBias:
      return "ABtBias";
    case Product::kAB:
      return "AB";
    case Product::kAtB:
      return "AtB";
    case Product::kABtGathered:
      return "ABtGathered";
    case Product::kABGathered:
      return "ABGathered";
  }
  return "?";
}

struct MatMulCase {
  Product product;
  int threads;
};
void PrintTo(const MatMulCase& c, std::ostream* os) {
  *os << ProductName(c.product) << " on " << c.threads << " thread(s)";
}

class MatMulTest : public ::testing::TestWithParam<MatMulCase> {};

// The (m, n, k) shapes: every triple of kSizes on one thread; on a pool, the 81 triples of a
// Latin square (k = kSizes[(i + 2j) % 9] for m = kSizes[i], n = kSizes[j]), which still holds
// every pair of sizes in every two dimensions. Each parallel section costs a scheduler quantum
// when the pool oversubscribes the (2-core, shared) test machine, and the full cube is 729
// shapes x 3 runs of several sections each.
std::vector<std::tuple<int64_t, int64_t, int64_t>> Shapes(int threads) {
  std::vector<std::tuple<int64_t, int64_t, int64_t>> shapes;
  constexpr int kCount = sizeof(kSizes) / sizeof(kSizes[0]);
  for (int i = 0; i < kCount; ++i) {
    for (int j = 0; j < kCount; ++j) {
      if (threads > 1) {
        shapes.emplace_back(kSizes[i], kSizes[j], kSizes[(i + 2 * j) % kCount]);
        continue;
      }
      for (int64_t k : kSizes) shapes.emplace_back(kSizes[i], kSizes[j], k);
    }
  }
  return shapes;
}

// c [m x n] = op(a) · op(b) with inner size k, against a double triple loop. One MatMul is reused
// across all shapes (its packed storage grows and shrinks).
TEST_P(MatMulTest, MatchesNaiveProduct) {
  const Product product = GetParam().product;
  ThreadPool pool(GetParam().threads);
  MatMul matmul;
  for (const auto& [m, n, k] : Shapes(pool.size())) {
    SCOPED_TRACE(::testing::Message() << ProductName(product) << " threads=" << pool.size()
                                      << " m=" << m << " n=" << n << " k=" << k);
    std::mt19937 rng(static_cast<uint32_t>(m * 1000000 + n * 1000 + k));
    // Operands in their stored shapes, and (i, kk) / (kk, j) accessors of op(a) and op(b).
    const bool a_transposed = product == Product::kAtB;
    const Strided a = a_transposed ? Strided::Random(k, m, rng) : Strided::Random(m, k, rng);
    auto a_at = [&](int64_t i, int64_t kk) { return a_transposed ? a.at(kk, i) : a.at(i, kk); };
    std::vector<int32_t> ids;
    std::vector<float> bias;
    Strided b(0, 0);
    std::function<float(int64_t, int64_t)> b_at;  // op(b) element (kk, j).
    switch (product) {
      case Product::kABt:
      case Product::kABtBias:
        b = Strided::Random(n, k, rng);
        b_at = [&](int64_t kk, int64_t j) { return b.at(j, kk); };
        break;
      case Product::kAB:
      case Product::kAtB:
        b = Strided::Random(k, n, rng);
        b_at = [&](int64_t kk, int64_t j) { return b.at(kk, j); };
        break;
      case Product::kABtGathered:
      case Product::kABGathered: {
        // A table smaller than the gathered count: ids repeat.
        const int64_t count = product == Product::kABtGathered ? n : k;
        const int64_t table_rows = count / 2 + 2;
        std::uniform_int_distribution<int32_t> pick(0, static_cast<int32_t>(table_rows - 1));
        for (int64_t i = 0; i < count; ++i) ids.push_back(pick(rng));
        if (product == Product::kABtGathered) {
          b = Strided::Random(table_rows, k, rng);
          b_at = [&](int64_t kk, int64_t j) { return b.at(ids[static_cast<size_t>(j)], kk); };
        } else {
          b = Strided::Random(table_rows, n, rng);
          b_at = [&](int64_t kk, int64_t j) { return b.at(ids[static_cast<size_t>(kk)], j); };
        }
        break;
      }
    }
    if (product == Product::kABtBias || product == Product::kABtGathered) {
      std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
      for (int64_t j = 0; j < n; ++j) bias.push_back(dist(rng));
    }

    Reference ref;
    ref.value.assign(static_cast<size_t>(m * n), 0.0);
    ref.scale.assign(static_cast<size_t>(m * n), 0.0);
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        double sum = bias.empty() ? 0.0 : bias[static_cast<size_t>(j)];
        double scale = std::fabs(sum);
        for (int64_t kk = 0; kk < k; ++kk) {
          const double term = static_cast<double>(a_at(i, kk)) * b_at(kk, j);
          sum += term;
          scale += std::fabs(term);
        }
        ref.value[static_cast<size_t>(i * n + j)] = sum;
        ref.scale[static_cast<size_t>(i * n + j)] = scale;
      }
    }

    const float* bias_ptr = bias.empty() ? nullptr : bias.data();
    MatMul fresh;
    auto run = [&](bool use_fresh, Strided& c) {
      MatMul& mm = use_fresh ? fresh : matmul;
      switch (product) {
        case Product::kABt:
        case Product::kABtBias:
          mm.ABt(pool, a.cview(), b.cview(), bias_ptr, c.view());
          break;
        case Product::kAB:
          mm.AB(pool, a.cview(), b.cview(), c.view());
          break;
        case Product::kAtB:
          mm.AtB(pool, a.cview(), b.cview(), c.view());
          break;
        case Product::kABtGathered:
          mm.ABtGathered(pool, a.cview(), b.cview(), ids, bias_ptr, c.view());
          break;
        case Product::kABGathered:
          mm.ABGathered(pool, a.cview(), b.cview(), ids, c.view());
          break;
      }
    };
    Strided c(m, n);
    run(false, c);
    ASSERT_NO_FATAL_FAILURE(ExpectMatches(c, ref));
    ASSERT_NO_FATAL_FAILURE(ExpectDeterministic(c, run));
  }
}

std::vector<MatMulCase> AllCases() {
  std::vector<MatMulCase> cases;
  for (Product p : {Product::kABt, Product::kABtBias, Product::kAB, Product::kAtB,
                    Product::kABtGathered, Product::kABGathered}) {
    for (int threads : {1, 2, 3}) cases.push_back({p, threads});
  }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Products, MatMulTest, ::testing::ValuesIn(AllCases()),
                         [](const ::testing::TestParamInfo<MatMulCase>& info) {
                           return std::string(ProductName(info.param.product)) + "_threads" +
                                  std::to_string(info.param.threads);
                         });

class TransposeTest : public ::testing::TestWithParam<int> {};  // 0 = serial, else pool size.

TEST_P(TransposeTest, MatchesNaive) {
  const int threads = GetParam();
  ThreadPool pool(std::max(1, threads));
  for (int64_t rows : kSizes) {
    for (int64_t cols : kSizes) {
      SCOPED_TRACE(::testing::Message()
                   << "threads=" << threads << " rows=" << rows << " cols=" << cols);
      std::mt19937 rng(static_cast<uint32_t>(rows * 1000 + cols));
      const Strided src = Strided::Random(rows, cols, rng);
      Strided dst(cols, rows);
      if (threads == 0) {
        Transpose(src.cview(), dst.view());
      } else {
        Transpose(pool, src.cview(), dst.view());
      }
      for (int64_t r = 0; r < dst.rows; ++r) {
        for (int64_t c = 0; c < dst.ld; ++c) {
          if (c < dst.cols) {
            ASSERT_EQ(dst.at(r, c), src.at(c, r)) << "dst (" << r << ", " << c << ")";
          } else {
            ASSERT_TRUE(std::isnan(dst.at(r, c))) << "wrote the gap at (" << r << ", " << c << ")";
          }
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(SerialAndPools, TransposeTest, ::testing::Values(0, 1, 2, 3),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return info.param == 0 ? std::string("serial")
                                                  : "threads" + std::to_string(info.param);
                         });

}  // namespace
}  // namespace hrnn
