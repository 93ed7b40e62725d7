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

void Transpose(ThreadPool& pool, ConstMatrixView src, MatrixView dst) {
  pool.ParallelFor(dst.rows, [&](int64_t begin, int64_t end, int) {
    Transpose({src.data + begin, src.rows, end - begin, src.ld},
              {dst.row(begin), end - begin, dst.cols, dst.ld});
  });
}

void MatMul::Run(ThreadPool& pool, const PanelMatrix::PackSource& source, int64_t rows,
                 int64_t cols, ConstMatrixView x, const float* bias, MatrixView c) {
  assert(x.cols == cols && c.rows == x.rows && c.cols == rows);
  packed_.ResizeFloat32(rows, cols);
  const MatVecKernel kernel = ActiveKernels().matvec_f32;
  const int64_t num_panels = packed_.num_panels();
  auto run_rows = [&](int64_t row_begin, int64_t row_end, int64_t panel_begin, int64_t panel_end) {
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
  if (num_panels >= 4 * pool.size() || x.rows < 8 * pool.size()) {
    // Each thread packs the panels it then multiplies: one parallel section, no barrier.
    pool.ParallelFor(num_panels, [&](int64_t begin, int64_t end, int) {
      packed_.PackPanels(source, begin, end);
      run_rows(0, x.rows, begin, end);
    });
  } else {
    pool.ParallelFor(num_panels, [&](int64_t begin, int64_t end, int) {
      packed_.PackPanels(source, begin, end);
    });
    pool.ParallelFor(x.rows,
                     [&](int64_t begin, int64_t end, int) { run_rows(begin, end, 0, num_panels); });
  }
}

void MatMul::ABt(ThreadPool& pool, ConstMatrixView a, ConstMatrixView b, const float* bias,
                 MatrixView c) {
  Run(pool, {b.data, b.ld, nullptr, false}, b.rows, b.cols, a, bias, c);
}

void MatMul::AB(ThreadPool& pool, ConstMatrixView a, ConstMatrixView b, MatrixView c) {
  Run(pool, {b.data, b.ld, nullptr, true}, b.cols, b.rows, a, nullptr, c);
}

void MatMul::AtB(ThreadPool& pool, ConstMatrixView a, ConstMatrixView b, MatrixView c) {
  // c = a^T b: x = a^T (rows = a's columns), packed = b^T.
  transposed_.resize(static_cast<size_t>(a.rows * a.cols));
  MatrixView at{transposed_.data(), a.cols, a.rows, a.rows};
  Transpose(pool, a, at);
  Run(pool, {b.data, b.ld, nullptr, true}, b.cols, b.rows, at, nullptr, c);
}

void MatMul::ABtGathered(ThreadPool& pool, ConstMatrixView a, ConstMatrixView table,
                         absl::Span<const int32_t> rows, const float* bias, MatrixView c) {
  Run(pool, {table.data, table.ld, rows.data(), false}, static_cast<int64_t>(rows.size()),
      table.cols, a, bias, c);
}

void MatMul::ABGathered(ThreadPool& pool, ConstMatrixView a, ConstMatrixView table,
                        absl::Span<const int32_t> rows, MatrixView c) {
  Run(pool, {table.data, table.ld, rows.data(), true}, table.cols,
      static_cast<int64_t>(rows.size()), a, nullptr, c);
}

}  // namespace hrnn
