#include "core/train/matmul.h"

#include <algorithm>
#include <cassert>

#include "core/kernels/matvec.h"

namespace hrnn {

void Transpose(ConstMatrixView src, MatrixView dst) {
  assert(dst.rows == src.cols && dst.cols == src.rows);
  constexpr int64_t kBlock = 16;
  for (int64_t r0 = 0; r0 < src.rows; r0 += kBlock) {
    const int64_t r1 = std::min(src.rows, r0 + kBlock);
    for (int64_t c0 = 0; c0 < src.cols; c0 += kBlock) {
      const int64_t c1 = std::min(src.cols, c0 + kBlock);
      for (int64_t r = r0; r < r1; ++r) {
        for (int64_t c = c0; c < c1; ++c) dst.row(c)[r] = src.row(r)[c];
      }
    }
  }
}

void MatMul::Run(ThreadPool& pool, ConstMatrixView x, const float* bias, MatrixView c) {
  assert(x.cols == packed_.cols() && c.rows == x.rows && c.cols == packed_.rows());
  const MatVecKernel kernel = ActiveKernels().matvec_f32;
  const int64_t num_panels = packed_.num_panels();
  // Split the output columns (panels) when there are enough of them, else the rows of x.
  const bool split_panels = num_panels >= 4 * pool.size() || x.rows < 8 * pool.size();
  auto run_rows = [&](int64_t row_begin, int64_t row_end, int64_t panel_begin,
                      int64_t panel_end) {
    const float* xs[kMaxMatVecBatch];
    float* ys[kMaxMatVecBatch];
    for (int64_t r = row_begin; r < row_end; r += kMaxMatVecBatch) {
      const int batch = static_cast<int>(std::min<int64_t>(kMaxMatVecBatch, row_end - r));
      for (int b = 0; b < batch; ++b) {
        xs[b] = x.row(r + b);
        ys[b] = c.row(r + b);
      }
      kernel(packed_, xs, batch, bias, ys, panel_begin, panel_end);
    }
  };
  if (split_panels) {
    pool.ParallelFor(num_panels, [&](int64_t begin, int64_t end, int) {
      run_rows(0, x.rows, begin, end);
    });
  } else {
    pool.ParallelFor(x.rows, [&](int64_t begin, int64_t end, int) {
      run_rows(begin, end, 0, num_panels);
    });
  }
}

void MatMul::ABt(ThreadPool& pool, ConstMatrixView a, ConstMatrixView b, const float* bias,
                 MatrixView c) {
  packed_.AssignRowMajor(b.data, b.rows, b.cols, b.ld);
  Run(pool, a, bias, c);
}

void MatMul::AB(ThreadPool& pool, ConstMatrixView a, ConstMatrixView b, MatrixView c) {
  packed_.AssignTransposed(b.data, b.rows, b.cols, b.ld);
  Run(pool, a, nullptr, c);
}

void MatMul::AtB(ThreadPool& pool, ConstMatrixView a, ConstMatrixView b, MatrixView c) {
  // c = a^T b: x = a^T (rows = a's columns), packed = b^T.
  transposed_.resize(static_cast<size_t>(a.rows * a.cols));
  MatrixView at{transposed_.data(), a.cols, a.rows, a.rows};
  Transpose(a, at);
  packed_.AssignTransposed(b.data, b.rows, b.cols, b.ld);
  Run(pool, at, nullptr, c);
}

void MatMul::ABtGathered(ThreadPool& pool, ConstMatrixView a, ConstMatrixView table,
                         absl::Span<const int32_t> rows, const float* bias, MatrixView c) {
  packed_.AssignGatheredRows(table.data, table.ld, rows, table.cols);
  Run(pool, a, bias, c);
}

void MatMul::ABGathered(ThreadPool& pool, ConstMatrixView a, ConstMatrixView table,
                        absl::Span<const int32_t> rows, MatrixView c) {
  packed_.AssignGatheredTransposed(table.data, table.ld, rows, table.cols);
  Run(pool, a, nullptr, c);
}

}  // namespace hrnn
