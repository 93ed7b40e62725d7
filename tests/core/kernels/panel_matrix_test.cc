#include "core/kernels/panel_matrix.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace hrnn {
namespace {

uint32_t Bits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, sizeof(b));
  return b;
}
float FromBits(uint32_t b) {
  float f;
  std::memcpy(&f, &b, sizeof(f));
  return f;
}

std::vector<float> RandomMatrix(int64_t rows, int64_t cols, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> m(static_cast<size_t>(rows * cols));
  for (float& v : m) v = dist(rng);
  return m;
}

TEST(Bfloat16Test, ElementTypeNames) {
  EXPECT_EQ(ElementTypeName(ElementType::kFloat32), "fp32");
  EXPECT_EQ(ElementTypeName(ElementType::kBfloat16), "bf16");
  EXPECT_EQ(ElementTypeName(ElementType::kInt8), "int8");
}

TEST(Bfloat16Test, ExactValuesRoundTrip) {
  for (float v :
       {0.0f, -0.0f, 1.0f, -1.0f, 0.5f, 3.0f, -256.0f, 1.5f, std::numeric_limits<float>::infinity(),
        -std::numeric_limits<float>::infinity()}) {
    SCOPED_TRACE(v);
    EXPECT_EQ(Bits(Bfloat16ToFloat(FloatToBfloat16(v))), Bits(v));
  }
  EXPECT_EQ(FloatToBfloat16(1.0f), 0x3f80);
  EXPECT_EQ(Bfloat16ToFloat(0x3f80), 1.0f);
  EXPECT_EQ(FloatToBfloat16(-2.0f), 0xc000);
}

TEST(Bfloat16Test, RoundsToNearestEven) {
  // Below, at and above the halfway point between 0x3f80 and 0x3f81 (odd): ties go to even.
  EXPECT_EQ(FloatToBfloat16(FromBits(0x3f807fffu)), 0x3f80);
  EXPECT_EQ(FloatToBfloat16(FromBits(0x3f808000u)), 0x3f80);  // Tie, 0x3f80 is even.
  EXPECT_EQ(FloatToBfloat16(FromBits(0x3f808001u)), 0x3f81);
  EXPECT_EQ(FloatToBfloat16(FromBits(0x3f818000u)), 0x3f82);  // Tie, 0x3f81 is odd: up.
  EXPECT_EQ(FloatToBfloat16(FromBits(0xbf818000u)), 0xbf82);  // Same for negatives.
  // Mantissa carry into the exponent.
  EXPECT_EQ(FloatToBfloat16(FromBits(0x3fffffffu)), 0x4000);
  // The largest floats round up to infinity.
  EXPECT_EQ(FloatToBfloat16(std::numeric_limits<float>::max()), 0x7f80);
  EXPECT_EQ(FloatToBfloat16(FromBits(0x7f7f7fffu)), 0x7f7f);
  // Denormals round like everything else.
  EXPECT_EQ(FloatToBfloat16(FromBits(0x00008000u)), 0x0000);
  EXPECT_EQ(FloatToBfloat16(FromBits(0x00018000u)), 0x0002);
}

TEST(Bfloat16Test, RoundingErrorIsAtMostHalfAnUlp) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> dist(-1000.0f, 1000.0f);
  for (int i = 0; i < 100000; ++i) {
    const float v = dist(rng);
    const float r = Bfloat16ToFloat(FloatToBfloat16(v));
    // bf16 keeps 8 significant bits: half an ulp is at most 2^-8 of the value.
    ASSERT_LE(std::fabs(r - v), std::ldexp(std::fabs(v), -8)) << v;
  }
}

TEST(Bfloat16Test, NanStaysNan) {
  for (uint32_t bits :
       {0x7fc00000u, 0xffc00000u, 0x7f800001u, 0x7f80ffffu, 0xff800001u, 0x7fffffffu}) {
    SCOPED_TRACE(bits);
    const uint16_t h = FloatToBfloat16(FromBits(bits));
    EXPECT_TRUE(std::isnan(Bfloat16ToFloat(h)));
    EXPECT_EQ(h >> 15, bits >> 31);  // Sign kept.
  }
}

TEST(PanelMatrixTest, DefaultIsEmpty) {
  PanelMatrix m;
  EXPECT_EQ(m.rows(), 0);
  EXPECT_EQ(m.num_panels(), 0);
  EXPECT_EQ(m.bytes(), 0u);
}

TEST(PanelMatrixTest, ZeroRows) {
  for (ElementType type : {ElementType::kFloat32, ElementType::kBfloat16, ElementType::kInt8}) {
    PanelMatrix m = PanelMatrix::FromRowMajor(nullptr, 0, 5, type);
    EXPECT_EQ(m.rows(), 0);
    EXPECT_EQ(m.cols(), 5);
    EXPECT_EQ(m.num_panels(), 0);
    EXPECT_EQ(m.bytes(), 0u);
    EXPECT_EQ(m.type(), type);
  }
}

TEST(PanelMatrixTest, LayoutAlignmentPaddingAndAccessors) {
  for (ElementType type : {ElementType::kFloat32, ElementType::kBfloat16}) {
    for (int64_t rows : {1, 15, 16, 17, 33, 100}) {
      for (int64_t cols : {1, 3, 16, 67}) {
        SCOPED_TRACE(testing::Message()
                     << ElementTypeName(type) << " rows=" << rows << " cols=" << cols);
        const std::vector<float> src = RandomMatrix(rows, cols, 1);
        const PanelMatrix m = PanelMatrix::FromRowMajor(src.data(), rows, cols, type);
        ASSERT_EQ(m.rows(), rows);
        ASSERT_EQ(m.cols(), cols);
        ASSERT_EQ(m.type(), type);
        const int64_t panels = (rows + 15) / 16;
        ASSERT_EQ(m.num_panels(), panels);
        const size_t elem = type == ElementType::kFloat32 ? 4 : 2;
        ASSERT_EQ(m.bytes(), static_cast<size_t>(panels * 16 * cols) * elem);
        const void* data = type == ElementType::kFloat32 ? static_cast<const void*>(m.f32())
                                                         : static_cast<const void*>(m.bf16());
        EXPECT_EQ(reinterpret_cast<uintptr_t>(data) % 64, 0u);
        std::vector<float> row(static_cast<size_t>(cols));
        for (int64_t r = 0; r < panels * 16; ++r) {
          if (r < rows) m.CopyRow(r, row.data());
          for (int64_t c = 0; c < cols; ++c) {
            const int64_t offset = (r / 16) * cols * 16 + c * 16 + r % 16;
            const float stored =
                type == ElementType::kFloat32 ? m.f32()[offset] : Bfloat16ToFloat(m.bf16()[offset]);
            if (r >= rows) {
              ASSERT_EQ(stored, 0.0f) << "padding r=" << r << " c=" << c;
              continue;
            }
            const float v = src[static_cast<size_t>(r * cols + c)];
            const float expected =
                type == ElementType::kFloat32 ? v : Bfloat16ToFloat(FloatToBfloat16(v));
            ASSERT_EQ(stored, expected) << "r=" << r << " c=" << c;
            ASSERT_EQ(m.At(r, c), expected) << "r=" << r << " c=" << c;
            ASSERT_EQ(row[static_cast<size_t>(c)], expected) << "r=" << r << " c=" << c;
          }
        }
      }
    }
  }
}

// ---- int8: the layout of panel_matrix.h, items 1-4. ----

// Byte offset of q(r, c) from int8(), as the header specifies it.
int64_t Int8Offset(int64_t r, int64_t c, int64_t cols) {
  const int64_t padded = (cols + 1) / 2 * 2;
  return (r / 16) * 16 * padded + (c / 2) * 32 + (r % 16) * 2 + c % 2;
}

TEST(PanelMatrixInt8Test, LayoutScalesPaddingAndAccessors) {
  for (int64_t rows : {1, 15, 16, 17, 33, 100}) {
    for (int64_t cols : {1, 2, 3, 16, 67, 100}) {
      SCOPED_TRACE(testing::Message() << "rows=" << rows << " cols=" << cols);
      std::vector<float> src = RandomMatrix(rows, cols, 3);
      for (int64_t c = 0; c < cols; ++c) src[static_cast<size_t>(c)] = 0.0f;  // A zero row.
      const PanelMatrix m = PanelMatrix::FromRowMajor(src.data(), rows, cols, ElementType::kInt8);
      ASSERT_EQ(m.type(), ElementType::kInt8);
      const int64_t panels = (rows + 15) / 16;
      const int64_t padded = (cols + 1) / 2 * 2;
      ASSERT_EQ(m.padded_cols(), padded);
      ASSERT_EQ(m.bytes(), static_cast<size_t>(panels * 16 * (padded + 4)));
      EXPECT_EQ(reinterpret_cast<uintptr_t>(m.row_scales()) % 64, 0u);
      EXPECT_EQ(reinterpret_cast<uintptr_t>(m.int8()) % 64, 0u);
      ASSERT_EQ(reinterpret_cast<const char*>(m.int8()),
                reinterpret_cast<const char*>(m.row_scales()) + 64 * panels);
      std::vector<float> row(static_cast<size_t>(cols));
      for (int64_t r = 0; r < panels * 16; ++r) {
        const float scale = m.row_scales()[r];
        if (r >= rows) {
          ASSERT_EQ(scale, 0.0f) << "padding r=" << r;
          for (int64_t c = 0; c < padded; ++c) {
            ASSERT_EQ(m.int8()[Int8Offset(r, c, cols)], 0) << "padding r=" << r << " c=" << c;
          }
          continue;
        }
        double max_abs = 0;
        for (int64_t c = 0; c < cols; ++c) {
          max_abs = std::max(max_abs, std::fabs(double{src[static_cast<size_t>(r * cols + c)]}));
        }
        ASSERT_EQ(scale, static_cast<float>(max_abs / 127)) << "r=" << r;
        if (cols % 2 == 1) {
          ASSERT_EQ(m.int8()[Int8Offset(r, cols, cols)], 0) << "padding column";
        }
        m.CopyRow(r, row.data());
        for (int64_t c = 0; c < cols; ++c) {
          const float v = src[static_cast<size_t>(r * cols + c)];
          const int q = m.int8()[Int8Offset(r, c, cols)];
          const int expected_q =
              max_abs == 0 ? 0 : static_cast<int>(std::nearbyint(v * 127.0 / max_abs));
          ASSERT_EQ(q, expected_q) << "r=" << r << " c=" << c;
          ASSERT_LE(std::abs(q), 127);
          ASSERT_EQ(m.At(r, c), static_cast<float>(q) * scale) << "r=" << r << " c=" << c;
          ASSERT_EQ(row[static_cast<size_t>(c)], m.At(r, c)) << "r=" << r << " c=" << c;
          // Within half a step of the original (plus the scale's own float rounding).
          ASSERT_LE(std::fabs(m.At(r, c) - v), max_abs / 254 * (1 + 1e-6)) << "r=" << r;
        }
      }
    }
  }
}

TEST(PanelMatrixInt8Test, RoundsToNearestEvenAndKeepsTheExtremes) {
  // Row 0 has max 127: scale 1 and q = round(w), ties to even. Row 1 is all zero (scale 0).
  // Row 2 spans the float range: its largest value maps to 127 exactly. Row 3 is subnormal.
  const float src[] = {127.0f, 2.5f,    -2.5f,  3.5f,  -0.5f,  0.49f,    1.5f,   -127.0f,  //
                       0.0f,   0.0f,    0.0f,   0.0f,  0.0f,   0.0f,     0.0f,   0.0f,     //
                       3e38f,  1e38f,   -3e38f, 1e30f, 0.0f,   -1.5e38f, 2e-38f, 1e-45f,   //
                       1e-42f, -1e-42f, 5e-43f, 0.0f,  1e-44f, 0.0f,     0.0f,   0.0f};
  const PanelMatrix m = PanelMatrix::FromRowMajor(src, 4, 8, ElementType::kInt8);
  EXPECT_EQ(m.row_scales()[0], 1.0f);
  const int expected[] = {127, 2, -2, 4, 0, 0, 2, -127};
  for (int c = 0; c < 8; ++c) {
    EXPECT_EQ(m.int8()[Int8Offset(0, c, 8)], expected[c]) << c;
    EXPECT_EQ(m.At(1, c), 0.0f);
  }
  EXPECT_EQ(m.row_scales()[1], 0.0f);
  EXPECT_EQ(m.int8()[Int8Offset(2, 0, 8)], 127);
  EXPECT_EQ(m.int8()[Int8Offset(2, 2, 8)], -127);
  EXPECT_EQ(m.int8()[Int8Offset(2, 5, 8)], -64);  // -1.5e38 / 3e38 * 127 = -63.5: even.
  EXPECT_TRUE(std::isfinite(m.At(2, 0)));
  EXPECT_NEAR(m.At(2, 0), 3e38f, 3e38f * 1e-6f);
  EXPECT_GT(m.row_scales()[3], 0.0f);
  EXPECT_EQ(m.int8()[Int8Offset(3, 0, 8)], 127);
  EXPECT_EQ(m.int8()[Int8Offset(3, 1, 8)], -127);
}

TEST(PanelMatrixInt8Test, NonFiniteValueMakesItsRowNan) {
  std::vector<float> src = RandomMatrix(3, 5, 4);
  src[1 * 5 + 2] = std::nanf("");
  src[2 * 5 + 4] = std::numeric_limits<float>::infinity();
  const PanelMatrix m = PanelMatrix::FromRowMajor(src.data(), 3, 5, ElementType::kInt8);
  EXPECT_FALSE(std::isnan(m.row_scales()[0]));
  for (int64_t r : {1, 2}) {
    EXPECT_TRUE(std::isnan(m.row_scales()[r])) << r;
    for (int64_t c = 0; c < 5; ++c) {
      EXPECT_EQ(m.int8()[Int8Offset(r, c, 5)], 0) << r;
      EXPECT_TRUE(std::isnan(m.At(r, c))) << r;
    }
  }
}

TEST(PanelMatrixTest, MoveKeepsData) {
  const std::vector<float> src = RandomMatrix(20, 3, 2);
  PanelMatrix a = PanelMatrix::FromRowMajor(src.data(), 20, 3, ElementType::kFloat32);
  PanelMatrix b = std::move(a);
  EXPECT_EQ(b.rows(), 20);
  EXPECT_EQ(b.At(19, 2), src[19 * 3 + 2]);
}

// ---- Training packers: ResizeFloat32 / PackPanels / Assign from a PanelMatrix::PackSource. ----

// A PackSource over owned storage plus the matrix it describes, built naively.
struct PackCase {
  bool gathered = false;
  bool transposed = false;
  int64_t rows = 0;
  int64_t cols = 0;
  std::vector<float> data;
  std::vector<int32_t> row_ids;
  int64_t ld = 0;
  std::vector<float> expected;  // Row-major [rows x cols].

  PanelMatrix::PackSource Source() const {
    return {data.data(), ld, gathered ? row_ids.data() : nullptr, transposed};
  }
  float Expected(int64_t r, int64_t c) const { return expected[static_cast<size_t>(r * cols + c)]; }
};

std::string PackCaseName(const PackCase& c) {
  return std::string(c.gathered ? "gathered" : "plain") + (c.transposed ? "+transposed" : "") +
         " rows=" + std::to_string(c.rows) + " cols=" + std::to_string(c.cols);
}

// Source rows are `ld` floats apart with ld > the values read per row, so reading past a row's
// end picks up a wrong (but defined) value. Gathered sources read rows of a larger table in a
// random order with repeats.
PackCase MakePackCase(bool gathered, bool transposed, int64_t rows, int64_t cols, uint32_t seed) {
  PackCase c;
  c.gathered = gathered;
  c.transposed = transposed;
  c.rows = rows;
  c.cols = cols;
  // Source rows read (k) and values per source row (v): (rows, cols), or (cols, rows) transposed.
  const int64_t k = transposed ? cols : rows;
  const int64_t v = transposed ? rows : cols;
  c.ld = v + 3;
  std::mt19937 rng(seed);
  const int64_t table_rows = gathered ? k / 2 + 3 : k;
  if (gathered) {
    std::uniform_int_distribution<int32_t> pick(0, static_cast<int32_t>(table_rows - 1));
    for (int64_t i = 0; i < k; ++i) c.row_ids.push_back(pick(rng));
  }
  c.data = RandomMatrix(table_rows, c.ld, seed + 1);
  c.expected.resize(static_cast<size_t>(rows * cols));
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t col = 0; col < cols; ++col) {
      const int64_t source_row = transposed ? col : r;
      const int64_t value = transposed ? r : col;
      const int64_t table_row = gathered ? c.row_ids[static_cast<size_t>(source_row)] : source_row;
      c.expected[static_cast<size_t>(r * cols + col)] =
          c.data[static_cast<size_t>(table_row * c.ld + value)];
    }
  }
  return c;
}

// Every element equals the naive matrix; padding rows of the last panel are zero.
void ExpectPacked(const PanelMatrix& m, const PackCase& c) {
  ASSERT_EQ(m.type(), ElementType::kFloat32);
  ASSERT_EQ(m.rows(), c.rows);
  ASSERT_EQ(m.cols(), c.cols);
  ASSERT_EQ(m.num_panels(), (c.rows + kPanelRows - 1) / kPanelRows);
  ASSERT_EQ(reinterpret_cast<uintptr_t>(m.f32()) % 64, 0u);
  for (int64_t r = 0; r < c.rows; ++r) {
    for (int64_t col = 0; col < c.cols; ++col) {
      ASSERT_EQ(m.At(r, col), c.Expected(r, col)) << "r=" << r << " c=" << col;
    }
  }
  for (int64_t r = c.rows; r < m.num_panels() * kPanelRows; ++r) {
    for (int64_t col = 0; col < c.cols; ++col) {
      const int64_t offset =
          (r / kPanelRows) * c.cols * kPanelRows + col * kPanelRows + r % kPanelRows;
      ASSERT_EQ(m.f32()[offset], 0.0f) << "padding r=" << r << " c=" << col;
    }
  }
}

constexpr bool kBools[] = {false, true};

TEST(PanelMatrixPackTest, AssignMatchesNaiveForEverySourceKind) {
  for (bool gathered : kBools) {
    for (bool transposed : kBools) {
      for (int64_t rows = 0; rows <= 40; ++rows) {
        for (int64_t cols = 1; cols <= 35; ++cols) {
          const PackCase c = MakePackCase(gathered, transposed, rows, cols,
                                          static_cast<uint32_t>(rows * 100 + cols));
          SCOPED_TRACE(PackCaseName(c));
          PanelMatrix m;
          m.Assign(c.Source(), rows, cols);
          ASSERT_NO_FATAL_FAILURE(ExpectPacked(m, c));
        }
      }
    }
  }
}

TEST(PanelMatrixPackTest, ResizeThenPackPanelsEqualsAssign) {
  const PackCase c = MakePackCase(true, false, 37, 11, 5);
  PanelMatrix m;
  m.ResizeFloat32(c.rows, c.cols);
  EXPECT_EQ(m.bytes(), static_cast<size_t>(3 * kPanelRows * c.cols * 4));
  m.PackPanels(c.Source(), 0, m.num_panels());
  ExpectPacked(m, c);
}

// Shrinking keeps the storage and zeroes the new padding (which held data before); growing back
// within the capacity keeps it too; growing past it reallocates.
TEST(PanelMatrixPackTest, StorageReusedWhenShrinkingThenGrowing) {
  PanelMatrix m;
  const PackCase big = MakePackCase(false, false, 40, 35, 1);
  m.Assign(big.Source(), big.rows, big.cols);
  ExpectPacked(m, big);
  const float* storage = m.f32();
  struct Shape {
    bool gathered, transposed;
    int64_t rows, cols;
  };
  // Sizes in bytes never exceed the first 40x35 (3 panels x 16 x 35 floats).
  for (const Shape& s :
       {Shape{false, false, 17, 35}, Shape{true, false, 1, 35}, Shape{false, true, 33, 35},
        Shape{true, true, 5, 20}, Shape{false, false, 0, 7}, Shape{false, false, 40, 35},
        Shape{true, true, 20, 52}, Shape{false, true, 3, 35}}) {
    const PackCase c = MakePackCase(s.gathered, s.transposed, s.rows, s.cols,
                                    static_cast<uint32_t>(s.rows * 7 + s.cols));
    SCOPED_TRACE(PackCaseName(c));
    m.Assign(c.Source(), c.rows, c.cols);
    EXPECT_EQ(m.f32(), storage) << "storage was reallocated";
    ASSERT_NO_FATAL_FAILURE(ExpectPacked(m, c));
  }
  // Larger than anything before: a new allocation, still correct.
  const PackCase huge = MakePackCase(false, true, 100, 60, 9);
  m.Assign(huge.Source(), huge.rows, huge.cols);
  ExpectPacked(m, huge);
}

TEST(PanelMatrixPackTest, PaddingZeroAfterReuseForEveryRowCount) {
  for (int64_t rows = 1; rows <= 40; ++rows) {
    SCOPED_TRACE(testing::Message() << "rows=" << rows);
    PanelMatrix m;
    const PackCase full = MakePackCase(false, false, 48, 9, 3);  // Every slot non-zero.
    m.Assign(full.Source(), full.rows, full.cols);
    const PackCase c = MakePackCase(false, false, rows, 9, 4);
    m.Assign(c.Source(), c.rows, c.cols);
    ASSERT_NO_FATAL_FAILURE(ExpectPacked(m, c));
  }
}

TEST(PanelMatrixPackTest, TwoDisjointPanelRangesEqualOnePass) {
  for (bool gathered : kBools) {
    for (bool transposed : kBools) {
      for (int64_t rows : {1, 16, 17, 40, 100}) {
        for (int64_t cols : {1, 16, 35}) {
          const PackCase c =
              MakePackCase(gathered, transposed, rows, cols, static_cast<uint32_t>(rows + cols));
          SCOPED_TRACE(PackCaseName(c));
          PanelMatrix once;
          once.Assign(c.Source(), rows, cols);
          for (int64_t split = 0; split <= once.num_panels(); ++split) {
            SCOPED_TRACE(testing::Message() << "split=" << split);
            PanelMatrix twice;
            twice.ResizeFloat32(rows, cols);
            // The later range first, and on another thread: the ranges are independent.
            std::thread other([&] { twice.PackPanels(c.Source(), split, twice.num_panels()); });
            twice.PackPanels(c.Source(), 0, split);
            other.join();
            ASSERT_EQ(twice.bytes(), once.bytes());
            ASSERT_EQ(std::memcmp(twice.f32(), once.f32(), once.bytes()), 0);
            ASSERT_NO_FATAL_FAILURE(ExpectPacked(twice, c));
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace hrnn
