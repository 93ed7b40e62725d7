// PanelMatrix: a read-only matrix in the "panel" layout the SIMD kernels stream through.
// Rows are grouped in panels of kPanelRows = 16; within a panel, the 16 values of one column are
// contiguous, so a kernel computes 16 output rows at once with no horizontal reductions:
//   element (r, c) lives at data[(r / 16) * cols * 16 + c * 16 + r % 16],
//   rows are padded with zeros to a multiple of 16, and data is 64-byte aligned.
// Elements are float32 or bfloat16 (the upper 16 bits of a float32, rounded to nearest even).
// Immutable after construction; safe for concurrent reads.
#ifndef HRNN_CORE_KERNELS_PANEL_MATRIX_H_
#define HRNN_CORE_KERNELS_PANEL_MATRIX_H_

#include <cstddef>
#include <cstdint>
#include <memory>

#include "absl/strings/string_view.h"

namespace hrnn {

inline constexpr int kPanelRows = 16;

enum class ElementType { kFloat32, kBfloat16 };
absl::string_view ElementTypeName(ElementType type);  // "fp32" / "bf16"

// Round-to-nearest-even float -> bfloat16 (NaN stays NaN); exact bfloat16 -> float.
uint16_t FloatToBfloat16(float value);
float Bfloat16ToFloat(uint16_t value);

class PanelMatrix {
 public:
  PanelMatrix() = default;
  PanelMatrix(PanelMatrix&&) = default;
  PanelMatrix& operator=(PanelMatrix&&) = default;

  // Repacks a row-major [rows x cols] matrix. REQUIRES: rows >= 0, cols >= 1, `row_major` has
  // rows * cols values (may be null when rows == 0).
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
  // Bytes of element storage (what one pass over the matrix reads).
  size_t bytes() const;

  // REQUIRES: type() == kFloat32 (resp. kBfloat16).
  const float* f32() const { return static_cast<const float*>(data_.get()); }
  const uint16_t* bf16() const { return static_cast<const uint16_t*>(data_.get()); }

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
