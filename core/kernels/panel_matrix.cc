#include "core/kernels/panel_matrix.h"

#include <cstdlib>
#include <cstring>

namespace hrnn {
namespace {

constexpr size_t kAlignment = 64;

size_t ElementSize(ElementType type) { return type == ElementType::kFloat32 ? 4 : 2; }

// Offset of element (r, c) in the panel layout described in panel_matrix.h.
inline int64_t PanelOffset(int64_t r, int64_t c, int64_t cols) {
  return (r / kPanelRows) * cols * kPanelRows + c * kPanelRows + r % kPanelRows;
}

}  // namespace

absl::string_view ElementTypeName(ElementType type) {
  return type == ElementType::kFloat32 ? "fp32" : "bf16";
}

uint16_t FloatToBfloat16(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  if ((bits & 0x7fffffffu) > 0x7f800000u) {
    // NaN: keep the sign and the top mantissa bits, and force a quiet bit so that the result
    // cannot collapse to infinity when the payload sits only in the low 16 bits.
    return static_cast<uint16_t>((bits >> 16) | 0x0040u);
  }
  // Round to nearest, ties to even: add 0x7fff plus the lowest kept bit. Overflow of the
  // largest finite values correctly rounds up to infinity.
  const uint32_t rounding = 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>((bits + rounding) >> 16);
}

float Bfloat16ToFloat(uint16_t value) {
  const uint32_t bits = static_cast<uint32_t>(value) << 16;
  float result;
  std::memcpy(&result, &bits, sizeof(result));
  return result;
}

void PanelMatrix::FreeDeleter::operator()(void* p) const { std::free(p); }

size_t PanelMatrix::bytes() const {
  return static_cast<size_t>(num_panels()) * kPanelRows * static_cast<size_t>(cols_) *
         ElementSize(type_);
}

PanelMatrix PanelMatrix::FromRowMajor(const float* row_major, int64_t rows, int64_t cols,
                                      ElementType type) {
  PanelMatrix m;
  m.rows_ = rows;
  m.cols_ = cols;
  m.type_ = type;
  const size_t bytes = m.bytes();
  if (bytes == 0) return m;
  // aligned_alloc wants a size that is a multiple of the alignment.
  const size_t alloc = (bytes + kAlignment - 1) / kAlignment * kAlignment;
  void* data = std::aligned_alloc(kAlignment, alloc);
  if (data == nullptr) std::abort();  // Out of memory: as fatal as a failed operator new.
  std::memset(data, 0, alloc);        // Zero padding rows (and the alignment slack).
  m.data_.reset(data);
  if (type == ElementType::kFloat32) {
    float* out = static_cast<float*>(data);
    for (int64_t r = 0; r < rows; ++r) {
      const float* row = row_major + r * cols;
      for (int64_t c = 0; c < cols; ++c) out[PanelOffset(r, c, cols)] = row[c];
    }
  } else {
    uint16_t* out = static_cast<uint16_t*>(data);
    for (int64_t r = 0; r < rows; ++r) {
      const float* row = row_major + r * cols;
      for (int64_t c = 0; c < cols; ++c) out[PanelOffset(r, c, cols)] = FloatToBfloat16(row[c]);
    }
  }
  return m;
}

float PanelMatrix::At(int64_t r, int64_t c) const {
  const int64_t offset = PanelOffset(r, c, cols_);
  return type_ == ElementType::kFloat32 ? f32()[offset] : Bfloat16ToFloat(bf16()[offset]);
}

void PanelMatrix::CopyRow(int64_t r, float* out) const {
  const int64_t base = PanelOffset(r, 0, cols_);
  if (type_ == ElementType::kFloat32) {
    const float* p = f32() + base;
    for (int64_t c = 0; c < cols_; ++c) out[c] = p[c * kPanelRows];
  } else {
    const uint16_t* p = bf16() + base;
    for (int64_t c = 0; c < cols_; ++c) out[c] = Bfloat16ToFloat(p[c * kPanelRows]);
  }
}

}  // namespace hrnn
