// Dense matrix products for training, C = op(A) · op(B), built on the panel MatVec kernels so
// that they run at the SIMD level of the inference core (AVX-512 / AVX2 / scalar) whatever flags
// the rest of the code is compiled with. B is repacked into a reusable PanelMatrix on every call
// (training weights change every step), in parallel with the product where possible. Work
// splits over a ThreadPool with a static partition: results are deterministic for a given thread
// count. A MatMul object is not thread-safe.
#ifndef HRNN_CORE_TRAIN_MATMUL_H_
#define HRNN_CORE_TRAIN_MATMUL_H_

#include <cstdint>
#include <vector>

#include "absl/types/span.h"
#include "core/kernels/panel_matrix.h"
#include "core/train/thread_pool.h"

namespace hrnn {

// A row-major matrix view: element (r, c) at data[r * ld + c].
struct ConstMatrixView {
  const float* data = nullptr;
  int64_t rows = 0;
  int64_t cols = 0;
  int64_t ld = 0;
  const float* row(int64_t r) const { return data + r * ld; }
};
struct MatrixView {
  float* data = nullptr;
  int64_t rows = 0;
  int64_t cols = 0;
  int64_t ld = 0;
  float* row(int64_t r) const { return data + r * ld; }
  operator ConstMatrixView() const { return {data, rows, cols, ld}; }
};

// dst = src^T. REQUIRES: dst is [src.cols, src.rows].
void Transpose(ConstMatrixView src, MatrixView dst);
// The same, with the rows of dst split over `pool`.
void Transpose(ThreadPool& pool, ConstMatrixView src, MatrixView dst);

class MatMul {
 public:
  // c = a · b^T (+ bias broadcast over rows), i.e. c[i][j] = a_i · b_j + bias[j].
  // REQUIRES: a.cols == b.cols, c is [a.rows, b.rows], bias null or b.rows floats.
  void ABt(ThreadPool& pool, ConstMatrixView a, ConstMatrixView b, const float* bias, MatrixView c);
  // c = a · b, i.e. c[i][j] = sum_k a[i][k] b[k][j].
  // REQUIRES: a.cols == b.rows, c is [a.rows, b.cols].
  void AB(ThreadPool& pool, ConstMatrixView a, ConstMatrixView b, MatrixView c);
  // c = a^T · b, i.e. c[i][j] = sum_k a[k][i] b[k][j] (a weight gradient: sum over batch rows k).
  // REQUIRES: a.rows == b.rows, c [a.cols, b.cols].
  void AtB(ThreadPool& pool, ConstMatrixView a, ConstMatrixView b, MatrixView c);

  // The same three products where b's rows are gathered from a table: row k of b is
  // table.row(rows[k]). Used for the sampled output columns.
  void ABtGathered(ThreadPool& pool, ConstMatrixView a, ConstMatrixView table,
                   absl::Span<const int32_t> rows, const float* bias, MatrixView c);
  void ABGathered(ThreadPool& pool, ConstMatrixView a, ConstMatrixView table,
                  absl::Span<const int32_t> rows, MatrixView c);

 private:
  // Packs `source` as the [rows x cols] matrix P, then c = x · P^T (+ bias).
  void Run(ThreadPool& pool, const PanelMatrix::PackSource& source, int64_t rows, int64_t cols,
           ConstMatrixView x, const float* bias, MatrixView c);

  PanelMatrix packed_;
  std::vector<float> transposed_;
};

}  // namespace hrnn

#endif  // HRNN_CORE_TRAIN_MATMUL_H_
