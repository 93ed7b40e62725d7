#include "core/kernels/panel_matrix.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>

namespace hrnn {
namespace {

constexpr size_t kAlignment = 64;

size_t ElementSize(ElementType type) {
  switch (type) {
    case ElementType::kFloat32:
      return 4;
    case ElementType::kBfloat16:
      return 2;
    case ElementType::kInt8:
      break;
  }
  return 1;
}

// Offset of element (r, c) in the fp32 / bf16 panel layout described in panel_matrix.h.
inline int64_t PanelOffset(int64_t r, int64_t c, int64_t cols) {
  return (r / kPanelRows) * cols * kPanelRows + c * kPanelRows + r % kPanelRows;
}

// Bytes of one column pair of an int8 panel.
constexpr int64_t kPairBytes = int64_t{2} * kPanelRows;

// Offset of q(r, c) in the int8 layout (item 2), from PanelMatrix::int8().
inline int64_t Int8Offset(int64_t r, int64_t c, int64_t padded_cols) {
  return (r / kPanelRows) * padded_cols * kPanelRows + (c / 2) * kPairBytes + (r % kPanelRows) * 2 +
         c % 2;
}

// Quantises one row (layout item 1-2): returns its scale and writes q(r, c) through `out`.
float QuantizeRow(const float* row, int64_t cols, int8_t* out, int64_t padded_cols, int64_t r) {
  float max_abs = 0.0f;
  for (int64_t c = 0; c < cols; ++c) {
    const float a = std::fabs(row[c]);
    if (!std::isfinite(a)) return std::nanf("");  // q stays 0: every product is NaN.
    max_abs = std::max(max_abs, a);
  }
  if (max_abs == 0.0f) return 0.0f;
  for (int64_t c = 0; c < cols; ++c) {
    // w * 127 is exact in double and the quotient correctly rounded, so an exact tie is seen as
    // one (and rounded to even); no overflow even for subnormal rows.
    const double q = std::nearbyint(static_cast<double>(row[c]) * 127.0 / max_abs);
    out[Int8Offset(r, c, padded_cols)] = static_cast<int8_t>(std::clamp(q, -127.0, 127.0));
  }
  return static_cast<float>(static_cast<double>(max_abs) / 127.0);
}

}  // namespace

absl::string_view ElementTypeName(ElementType type) {
  switch (type) {
    case ElementType::kFloat32:
      return "fp32";
    case ElementType::kBfloat16:
      return "bf16";
    case ElementType::kInt8:
      break;
  }
  return "int8";
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
  const size_t rows = static_cast<size_t>(num_panels()) * kPanelRows;
  if (type_ == ElementType::kInt8) {
    return rows * (static_cast<size_t>(padded_cols()) + sizeof(float));
  }
  return rows * static_cast<size_t>(cols_) * ElementSize(type_);
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
  m.capacity_ = alloc;
  if (type == ElementType::kFloat32) {
    float* out = static_cast<float*>(data);
    for (int64_t r = 0; r < rows; ++r) {
      const float* row = row_major + r * cols;
      for (int64_t c = 0; c < cols; ++c) out[PanelOffset(r, c, cols)] = row[c];
    }
  } else if (type == ElementType::kInt8) {
    float* scales = static_cast<float*>(data);
    int8_t* out = reinterpret_cast<int8_t*>(static_cast<char*>(data) +
                                            m.num_panels() * kPanelRows * sizeof(float));
    for (int64_t r = 0; r < rows; ++r) {
      scales[r] = QuantizeRow(row_major + r * cols, cols, out, m.padded_cols(), r);
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

void PanelMatrix::ResizeFloat32(int64_t rows, int64_t cols) {
  rows_ = rows;
  cols_ = cols;
  type_ = ElementType::kFloat32;
  // At least one aligned block, so that aligned_alloc never sees a size of 0.
  const size_t needed =
      std::max<size_t>(kAlignment, (bytes() + kAlignment - 1) / kAlignment * kAlignment);
  if (data_ == nullptr || needed > capacity_) {
    void* data = std::aligned_alloc(kAlignment, needed);
    if (data == nullptr) std::abort();  // Out of memory: as fatal as a failed operator new.
    data_.reset(data);
    capacity_ = needed;
  }
  // Only the padding rows of the last panel need zeros; packing overwrites everything else.
  if (num_panels() * kPanelRows > rows && cols > 0) {
    float* last = static_cast<float*>(data_.get()) + (num_panels() - 1) * cols * kPanelRows;
    std::memset(last, 0, sizeof(float) * cols * kPanelRows);
  }
}

void PanelMatrix::PackPanels(const PackSource& source, int64_t panel_begin, int64_t panel_end) {
  float* out = static_cast<float*>(data_.get());
  auto source_row = [&](int64_t k) {
    return source.data + (source.row_ids != nullptr ? source.row_ids[k] : k) * source.ld;
  };
  for (int64_t p = panel_begin; p < panel_end; ++p) {
    const int64_t first = p * kPanelRows;
    const int count = static_cast<int>(std::min<int64_t>(kPanelRows, rows_ - first));
    float* dst = out + p * cols_ * kPanelRows;
    if (source.transposed) {
      // Element (r, c) is source row c, value r: each source row gives this panel `count`
      // contiguous values, which land contiguously.
      for (int64_t c = 0; c < cols_; ++c) {
        std::memcpy(dst + c * kPanelRows, source_row(c) + first, sizeof(float) * count);
      }
    } else {
      // Walk the panel's rows column by column so that the writes are contiguous; gathered rows
      // are scattered, so the next panel's rows are prefetched meanwhile.
      const float* src[kPanelRows];
      for (int i = 0; i < count; ++i) src[i] = source_row(first + i);
      if (source.row_ids != nullptr && p + 1 < panel_end) {
        const int next =
            static_cast<int>(std::min<int64_t>(kPanelRows, rows_ - first - kPanelRows));
        for (int i = 0; i < next; ++i) {
          const float* row = source_row(first + kPanelRows + i);
          for (int64_t c = 0; c < cols_; c += 16) __builtin_prefetch(row + c);
        }
      }
      for (int64_t c = 0; c < cols_; ++c) {
        for (int i = 0; i < count; ++i) dst[c * kPanelRows + i] = src[i][c];
      }
    }
  }
}

void PanelMatrix::Assign(const PackSource& source, int64_t rows, int64_t cols) {
  ResizeFloat32(rows, cols);
  PackPanels(source, 0, num_panels());
}

float PanelMatrix::At(int64_t r, int64_t c) const {
  if (type_ == ElementType::kInt8) {
    return static_cast<float>(int8()[Int8Offset(r, c, padded_cols())]) * row_scales()[r];
  }
  const int64_t offset = PanelOffset(r, c, cols_);
  return type_ == ElementType::kFloat32 ? f32()[offset] : Bfloat16ToFloat(bf16()[offset]);
}

void PanelMatrix::CopyRow(int64_t r, float* out) const {
  if (type_ == ElementType::kInt8) {
    const int8_t* p = int8() + Int8Offset(r, 0, padded_cols());
    const float scale = row_scales()[r];
    for (int64_t c = 0; c < cols_; ++c) {
      const int8_t q = p[(c / 2) * kPairBytes + c % 2];
      out[c] = static_cast<float>(q) * scale;
    }
    return;
  }
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
