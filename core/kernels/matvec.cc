#include "core/kernels/matvec.h"

#include <algorithm>
#include <cassert>

#include "core/kernels/internal/simd_kernels.h"

namespace hrnn {

const SimdKernels& KernelsFor(SimdLevel level) {
  assert(static_cast<int>(level) <= static_cast<int>(DetectedSimdLevel()));
  switch (level) {
    case SimdLevel::kAvx512:
      return internal::Avx512Kernels();
    case SimdLevel::kAvx2:
      return internal::Avx2Kernels();
    case SimdLevel::kScalar:
      break;
  }
  return internal::ScalarKernels();
}

const SimdKernels& ActiveKernels() {
  static const SimdKernels& kernels = KernelsFor(ActiveSimdLevel());
  return kernels;
}

MatVecKernel MatVecKernelFor(const SimdKernels& kernels, ElementType type) {
  switch (type) {
    case ElementType::kFloat32:
      return kernels.matvec_f32;
    case ElementType::kBfloat16:
      return kernels.matvec_bf16;
    case ElementType::kInt8:
      break;
  }
  return kernels.matvec_int8;
}

int32_t Int8StateMax(int64_t cols) {
  const int64_t padded = (cols + 1) / 2 * 2;
  return static_cast<int32_t>(std::min<int64_t>(32767, int64_t{2147483647} / (127 * padded)));
}

namespace {

MatVecKernel MatVecKernelFor(const PanelMatrix& m) {
  return MatVecKernelFor(ActiveKernels(), m.type());
}

}  // namespace

void MatVec(const PanelMatrix& m, const float* x, const float* bias, float* y) {
  if (m.rows() == 0) return;
  const float* xs[1] = {x};
  float* ys[1] = {y};
  MatVecKernelFor(m)(m, xs, 1, bias, ys, 0, m.num_panels());
}

void MatVecBatch(const PanelMatrix& m, absl::Span<const float* const> xs, const float* bias,
                 absl::Span<float* const> ys) {
  MatVecBatchPanels(m, xs, bias, ys, 0, m.num_panels());
}

void MatVecBatchPanels(const PanelMatrix& m, absl::Span<const float* const> xs, const float* bias,
                       absl::Span<float* const> ys, int64_t panel_begin, int64_t panel_end) {
  assert(xs.size() == ys.size());
  assert(0 <= panel_begin && panel_begin <= panel_end && panel_end <= m.num_panels());
  if (m.rows() == 0 || panel_begin >= panel_end) return;
  const MatVecKernel kernel = MatVecKernelFor(m);
  const size_t n = std::min(xs.size(), ys.size());
  for (size_t begin = 0; begin < n; begin += kMaxMatVecBatch) {
    const int batch = static_cast<int>(std::min<size_t>(kMaxMatVecBatch, n - begin));
    kernel(m, xs.data() + begin, batch, bias, ys.data() + begin, panel_begin, panel_end);
  }
}

int64_t FindFirstGreater(absl::Span<const float> values, float threshold) {
  return ActiveKernels().find_first_greater(values.data(), static_cast<int64_t>(values.size()),
                                            threshold);
}

}  // namespace hrnn
