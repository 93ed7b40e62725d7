// Matrix-vector products over a PanelMatrix, the hot loop of inference: scoring all N items
// (y = W_out s + b_out) and the GRU gate pre-activations. Each call dispatches to the kernel of
// ActiveSimdLevel(); KernelsFor() exposes every level for tests and benchmarks.
// Stateless; safe to call concurrently.
#ifndef HRNN_CORE_KERNELS_MATVEC_H_
#define HRNN_CORE_KERNELS_MATVEC_H_

#include <cstdint>

#include "absl/types/span.h"
#include "core/kernels/panel_matrix.h"
#include "core/kernels/simd_level.h"

namespace hrnn {

// Largest batch one MatVecBatch pass handles; larger batches are split into several passes.
inline constexpr int kMaxMatVecBatch = 8;

// The per-level kernel table. Each kernel computes, for every row r in the panels
// [panel_begin, panel_end) with r < m.rows(), and every b < batch:
//   ys[b][r] = sum_c m(r, c) * xs[b][c] + (bias != nullptr ? bias[r] : 0).
// It never writes ys[b][r] for r >= m.rows(). REQUIRES: 1 <= batch <= kMaxMatVecBatch,
// xs[b] holds m.cols() floats, ys[b] and bias hold m.rows() floats, and inputs do not alias
// outputs. Floating-point summation order may differ between levels (tests use a tolerance).
//
// int8 tables (matvec_int8) approximate that sum in integers. Each state is quantised once per
// call to int16 with its own scale (C2 = m.padded_cols()):
//   qmax = Int8StateMax(m.cols()) = min(32767, floor((2^31 - 1) / (127 * C2))),
//   sx_b = max_c |xs[b][c]| / qmax,  xq_b[c] = round-to-nearest-even(xs[b][c] / sx_b),
// and, with q(r, c) and scale[r] from the int8 layout (panel_matrix.h),
//   ys[b][r] = float(sum_c q(r, c) * xq_b[c]) * (scale[r] * sx_b) + bias[r].
// The sum is exact int32 arithmetic at every level: |sum| <= C2 * 127 * qmax <= 2^31 - 1 by the
// choice of qmax (qmax = 32767 up to C2 = 516, so H of a few hundred keeps 15-bit states).
// Levels multiply the same integers; the final scale-and-bias may be one fused rounding or two,
// so levels agree within 2^-22 * (|float(sum) * scale[r] * sx_b| + |bias[r]|).
// Against the fp32 product of the unquantised weights w the error is at most
//   scale[r] / 2 * sum_c |x_c| + sx_b / 2 * sum_c |m(r, c)|   (plus float rounding),
// the weights' rounding plus the state's. A state holding NaN or infinity gives NaN for all its
// rows (as does a table row that held one); an all-zero state gives exactly bias[r].
using MatVecKernel = void (*)(const PanelMatrix& m, const float* const* xs, int batch,
                              const float* bias, float* const* ys, int64_t panel_begin,
                              int64_t panel_end);
// Index of the first i in [0, n) with values[i] > threshold (NaN never qualifies), or n.
using FindFirstGreaterKernel = int64_t (*)(const float* values, int64_t n, float threshold);

// The Adagrad (+ momentum) update of n parameters, elementwise:
//   acc += g * g;  step = lr * g / sqrt(acc + eps);
//   momentum > 0: vel = momentum * vel - step, w += vel;  else w -= step.
// `vel` may be null when momentum == 0. The scalar and AVX2 levels compute 1/sqrt exactly; AVX-512
// uses a refined reciprocal-square-root estimate (relative error < 1e-6), so levels agree to
// about float precision, not bitwise.
using AdagradKernel = void (*)(float* w, float* acc, float* vel, const float* g, int64_t n,
                               float lr, float eps, float momentum);

struct SimdKernels {
  MatVecKernel matvec_f32;
  MatVecKernel matvec_bf16;
  MatVecKernel matvec_int8;
  FindFirstGreaterKernel find_first_greater;
  AdagradKernel adagrad;
};

// REQUIRES: level <= DetectedSimdLevel().
const SimdKernels& KernelsFor(SimdLevel level);
// KernelsFor(ActiveSimdLevel()), resolved once.
const SimdKernels& ActiveKernels();
// The kernel in `kernels` for matrices of element type `type`.
MatVecKernel MatVecKernelFor(const SimdKernels& kernels, ElementType type);

// The largest |xq| of the int8 kernels' state quantisation for a matrix of `cols` columns (see
// MatVecKernel). REQUIRES: 1 <= cols <= (2^31 - 1) / 127.
int32_t Int8StateMax(int64_t cols);

// y = m x + bias (bias may be null). `y` has m.rows() floats, `x` m.cols().
void MatVec(const PanelMatrix& m, const float* x, const float* bias, float* y);

// ys[b] = m xs[b] + bias for every b, reading m once per kMaxMatVecBatch states.
// REQUIRES: xs.size() == ys.size().
void MatVecBatch(const PanelMatrix& m, absl::Span<const float* const> xs, const float* bias,
                 absl::Span<float* const> ys);

// MatVecBatch restricted to the rows of panels [panel_begin, panel_end) (kPanelRows rows each):
// only those rows of each ys[b] are written, so disjoint panel ranges may run on different
// threads. REQUIRES: 0 <= panel_begin <= panel_end <= m.num_panels().
void MatVecBatchPanels(const PanelMatrix& m, absl::Span<const float* const> xs, const float* bias,
                       absl::Span<float* const> ys, int64_t panel_begin, int64_t panel_end);

// Index of the first element > threshold, or values.size() (dispatching).
int64_t FindFirstGreater(absl::Span<const float> values, float threshold);

}  // namespace hrnn

#endif  // HRNN_CORE_KERNELS_MATVEC_H_
