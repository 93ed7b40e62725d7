#include "core/kernels/panel_matrix.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
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
}

TEST(Bfloat16Test, ExactValuesRoundTrip) {
  for (float v : {0.0f, -0.0f, 1.0f, -1.0f, 0.5f, 3.0f, -256.0f, 1.5f,
                  std::numeric_limits<float>::infinity(),
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
  for (uint32_t bits : {0x7fc00000u, 0xffc00000u, 0x7f800001u, 0x7f80ffffu, 0xff800001u,
                        0x7fffffffu}) {
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
  for (ElementType type : {ElementType::kFloat32, ElementType::kBfloat16}) {
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
        SCOPED_TRACE(testing::Message() << ElementTypeName(type) << " rows=" << rows
                                        << " cols=" << cols);
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
            const float stored = type == ElementType::kFloat32 ? m.f32()[offset]
                                                               : Bfloat16ToFloat(m.bf16()[offset]);
            if (r >= rows) {
              ASSERT_EQ(stored, 0.0f) << "padding r=" << r << " c=" << c;
              continue;
            }
            const float v = src[static_cast<size_t>(r * cols + c)];
            const float expected = type == ElementType::kFloat32
                                       ? v
                                       : Bfloat16ToFloat(FloatToBfloat16(v));
            ASSERT_EQ(stored, expected) << "r=" << r << " c=" << c;
            ASSERT_EQ(m.At(r, c), expected) << "r=" << r << " c=" << c;
            ASSERT_EQ(row[static_cast<size_t>(c)], expected) << "r=" << r << " c=" << c;
          }
        }
      }
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

}  // namespace
}  // namespace hrnn
