// PanelMatrix: a read-only matrix in the "panel" layout the SIMD kernels stream through.
// Rows are grouped in panels of kPanelRows = 16; within a panel, the 16 values of one column are
// contiguous, so a kernel computes 16 output rows at once with no horizontal reductions.
// Elements are float32, bfloat16 (the upper 16 bits of a float32, rounded to nearest even) or
// int8 with a float scale per row. The layouts, for a [rows x cols] matrix, P = the number of
// panels = ceil(rows / 16), data = the 64-byte aligned storage:
//   fp32, bf16:
//     1. element (r, c) lives at data[(r / 16) * cols * 16 + c * 16 + r % 16];
//     2. rows are padded with zeros to P * 16.
//   int8 (symmetric per-row quantisation), with C2 = cols rounded up to even:
//     1. data[0 .. 16 P) as float: scale[r], the row scales; scale[r] = max_c |w(r, c)| / 127
//        (0 for an all-zero row and for the padding rows r >= rows; NaN for a row holding a
//        NaN or infinity, whose quantised values are then all 0);
//     2. from byte 64 P on (64-byte aligned), int8 q(r, c) = round-to-nearest-even(w(r, c) /
//        scale[r]), in [-127, 127], with the columns of a panel interleaved in pairs:
//        q(r, c) lives at byte (r / 16) * 16 * C2 + (c / 2) * 32 + (r % 16) * 2 + c % 2, so
//        32 bytes hold columns c, c + 1 of the panel's 16 rows, each row's two values adjacent
//        (the operand of a 16-bit multiply-add once widened);
//     3. padding rows and, when cols is odd, the padding column c = cols are 0;
//     4. element (r, c) reads as q(r, c) * scale[r].
// Immutable after construction; safe for concurrent reads.
#ifndef HRNN_CORE_KERNELS_PANEL_MATRIX_H_
#define HRNN_CORE_KERNELS_PANEL_MATRIX_H_

#include <cstddef>
#include <cstdint>
#include <memory>

#include "absl/strings/string_view.h"

namespace hrnn {

inline constexpr int kPanelRows = 16;

enum class ElementType { kFloat32, kBfloat16, kInt8 };
absl::string_view ElementTypeName(ElementType type);  // "fp32" / "bf16" / "int8"

// Round-to-nearest-even float -> bfloat16 (NaN stays NaN); exact bfloat16 -> float.
uint16_t FloatToBfloat16(float value);
float Bfloat16ToFloat(uint16_t value);

class PanelMatrix {
 public:
  PanelMatrix() = default;
  PanelMatrix(PanelMatrix&&) = default;
  PanelMatrix& operator=(PanelMatrix&&) = default;

  // Repacks (and for bf16 / int8 rounds or quantises) a row-major [rows x cols] matrix.
  // REQUIRES: rows >= 0, cols >= 1, `row_major` has rows * cols values (may be null when
  // rows == 0).
  static PanelMatrix FromRowMajor(const float* row_major, int64_t rows, int64_t cols,
                                  ElementType type);

  // In-place fp32 packing for training, where the packed weights change every step: storage
  // is reused when large enough (no allocation in steady state).
  // Where the values of a packed matrix come from. Row k of the source is
  // data + (row_ids ? row_ids[k] : k) * ld. Not transposed: matrix row r is source row r.
  // Transposed: element (r, c) is value r of source row c.
  struct PackSource {
    const float* data = nullptr;
    int64_t ld = 0;
    const int32_t* row_ids = nullptr;
    bool transposed = false;
  };
  // Makes this an fp32 [rows x cols] matrix with zeroed padding; contents otherwise undefined
  // until packed.
  void ResizeFloat32(int64_t rows, int64_t cols);
  // Fills panels [panel_begin, panel_end) from `source` (after ResizeFloat32). Disjoint ranges
  // may be packed concurrently.
  void PackPanels(const PackSource& source, int64_t panel_begin, int64_t panel_end);
  // ResizeFloat32 + PackPanels over every panel.
  void Assign(const PackSource& source, int64_t rows, int64_t cols);

  int64_t rows() const { return rows_; }
  int64_t cols() const { return cols_; }
  int64_t num_panels() const { return (rows_ + kPanelRows - 1) / kPanelRows; }
  ElementType type() const { return type_; }
  // Bytes of element storage, padding included, plus the row scales for int8 (what one pass over
  // the matrix reads; for int8 the contiguous bytes from row_scales()).
  size_t bytes() const;

  // REQUIRES: type() == kFloat32 (resp. kBfloat16).
  const float* f32() const { return static_cast<const float*>(data_.get()); }
  const uint16_t* bf16() const { return static_cast<const uint16_t*>(data_.get()); }
  // REQUIRES: type() == kInt8. The quantised values (item 2 of the int8 layout; panel p starts at
  // int8() + p * 16 * padded_cols()) and the num_panels() * 16 row scales (item 1).
  const int8_t* int8() const {
    return reinterpret_cast<const int8_t*>(static_cast<const char*>(data_.get()) +
                                           num_panels() * kPanelRows * sizeof(float));
  }
  const float* row_scales() const { return static_cast<const float*>(data_.get()); }
  // cols() rounded up to even: the int8 layout's C2.
  int64_t padded_cols() const { return (cols_ + 1) / 2 * 2; }

  // Element (r, c) as float. REQUIRES: 0 <= r < rows(), 0 <= c < cols().
  float At(int64_t r, int64_t c) const;
  // Writes row r (cols() floats) to `out`. REQUIRES: 0 <= r < rows().
  void CopyRow(int64_t r, float* out) const;

 private:
  struct FreeDeleter {
    void operator()(void* p) const;
  };
  int64_t rows_ = 0;
  int64_t cols_ = 0;
  ElementType type_ = ElementType::kFloat32;
  std::unique_ptr<void, FreeDeleter> data_;
  size_t capacity_ = 0;  // Bytes allocated at data_.
};

}  // namespace hrnn

#endif  // HRNN_CORE_KERNELS_PANEL_MATRIX_H_
