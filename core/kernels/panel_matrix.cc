#include "core/kernels/panel_matrix.h"

#include <algorithm>
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
  m.capacity_ = alloc;
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

float* PanelMatrix::PrepareFloat32(int64_t rows, int64_t cols) {
  rows_ = rows;
  cols_ = cols;
  type_ = ElementType::kFloat32;
  const size_t needed = (bytes() + kAlignment - 1) / kAlignment * kAlignment;
  if (data_ == nullptr || needed > capacity_) {
    void* data = std::aligned_alloc(kAlignment, needed);
    if (data == nullptr) std::abort();  // Out of memory: as fatal as a failed operator new.
    data_.reset(data);
    capacity_ = needed;
  }
  float* out = static_cast<float*>(data_.get());
  // Only the padding rows of the last panel need zeros; everything else is overwritten.
  const int64_t padded = num_panels() * kPanelRows;
  if (padded > rows && cols > 0) {
    float* last = out + (num_panels() - 1) * cols * kPanelRows;
    std::memset(last, 0, sizeof(float) * cols * kPanelRows);
  }
  return out;
}

namespace {

// Packs rows row(0..rows-1) (each `cols` floats) into panel storage `out`: for each panel, the
// 16 source rows are walked column by column so that the writes are contiguous.
template <typename RowFn>
void PackRows(float* out, int64_t rows, int64_t cols, RowFn row) {
  for (int64_t p = 0; p * kPanelRows < rows; ++p) {
    const int64_t first = p * kPanelRows;
    const int count = static_cast<int>(std::min<int64_t>(kPanelRows, rows - first));
    const float* src[kPanelRows];
    for (int i = 0; i < count; ++i) src[i] = row(first + i);
    float* dst = out + p * cols * kPanelRows;
    for (int64_t c = 0; c < cols; ++c) {
      for (int i = 0; i < count; ++i) dst[c * kPanelRows + i] = src[i][c];
    }
  }
}

}  // namespace

void PanelMatrix::AssignRowMajor(const float* data, int64_t rows, int64_t cols, int64_t ld) {
  PackRows(PrepareFloat32(rows, cols), rows, cols, [&](int64_t r) { return data + r * ld; });
}

void PanelMatrix::AssignTransposed(const float* data, int64_t rows, int64_t cols, int64_t ld) {
  // Element (r', c') of the transpose is data[c'][r']: a source row c' provides, for each panel,
  // kPanelRows contiguous values (source columns), which land contiguously in the panel.
  float* out = PrepareFloat32(cols, rows);
  const int64_t panels = num_panels();
  for (int64_t c = 0; c < rows; ++c) {  // c: a column of the transpose = a source row.
    const float* src = data + c * ld;
    for (int64_t p = 0; p < panels; ++p) {
      const int64_t first = p * kPanelRows;
      const int64_t count = std::min<int64_t>(kPanelRows, cols - first);
      std::memcpy(out + (p * rows + c) * kPanelRows, src + first, sizeof(float) * count);
    }
  }
}

void PanelMatrix::AssignGatheredRows(const float* table, int64_t ld,
                                     absl::Span<const int32_t> row_ids, int64_t cols) {
  const int64_t rows = static_cast<int64_t>(row_ids.size());
  PackRows(PrepareFloat32(rows, cols), rows, cols,
           [&](int64_t r) { return table + static_cast<int64_t>(row_ids[r]) * ld; });
}

void PanelMatrix::AssignGatheredTransposed(const float* table, int64_t ld,
                                           absl::Span<const int32_t> row_ids, int64_t cols) {
  const int64_t rows = static_cast<int64_t>(row_ids.size());
  float* out = PrepareFloat32(cols, rows);  // Transposed: `cols` rows of `rows` values.
  const int64_t panels = num_panels();
  for (int64_t c = 0; c < rows; ++c) {
    const float* src = table + static_cast<int64_t>(row_ids[c]) * ld;
    for (int64_t p = 0; p < panels; ++p) {
      const int64_t first = p * kPanelRows;
      const int64_t count = std::min<int64_t>(kPanelRows, cols - first);
      std::memcpy(out + (p * rows + c) * kPanelRows, src + first, sizeof(float) * count);
    }
  }
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
