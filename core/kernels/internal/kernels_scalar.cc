// Portable reference kernels: the oracle every SIMD level is tested against. Row sums are
// accumulated in column order starting from zero, then the bias is added.
#include <algorithm>
#include <cstdint>

#include "core/kernels/internal/simd_kernels.h"

namespace hrnn::internal {
namespace {

template <typename Element>
float ToFloat(Element value);
template <>
float ToFloat<float>(float value) {
  return value;
}
template <>
float ToFloat<uint16_t>(uint16_t value) {
  return Bfloat16ToFloat(value);
}

template <typename Element>
void MatVecScalar(const Element* data, int64_t rows, int64_t cols, const float* const* xs,
                  int batch, const float* bias, float* const* ys, int64_t panel_begin,
                  int64_t panel_end) {
  float w[kPanelRows];
  for (int64_t p = panel_begin; p < panel_end; ++p) {
    const Element* panel = data + p * cols * kPanelRows;
    const int64_t row0 = p * kPanelRows;
    const int n = static_cast<int>(std::min<int64_t>(kPanelRows, rows - row0));
    for (int b = 0; b < batch; ++b) {
      const float* x = xs[b];
      float acc[kPanelRows] = {};
      for (int64_t c = 0; c < cols; ++c) {
        const float xc = x[c];
        for (int i = 0; i < kPanelRows; ++i) w[i] = ToFloat<Element>(panel[c * kPanelRows + i]);
        for (int i = 0; i < kPanelRows; ++i) acc[i] += w[i] * xc;
      }
      float* y = ys[b] + row0;
      for (int i = 0; i < n; ++i) y[i] = bias != nullptr ? acc[i] + bias[row0 + i] : acc[i];
    }
  }
}

void MatVecF32(const PanelMatrix& m, const float* const* xs, int batch, const float* bias,
               float* const* ys, int64_t panel_begin, int64_t panel_end) {
  MatVecScalar<float>(m.f32(), m.rows(), m.cols(), xs, batch, bias, ys, panel_begin, panel_end);
}

void MatVecBf16(const PanelMatrix& m, const float* const* xs, int batch, const float* bias,
                float* const* ys, int64_t panel_begin, int64_t panel_end) {
  MatVecScalar<uint16_t>(m.bf16(), m.rows(), m.cols(), xs, batch, bias, ys, panel_begin, panel_end);
}

int64_t FindFirstGreater(const float* values, int64_t n, float threshold) {
  for (int64_t i = 0; i < n; ++i) {
    if (values[i] > threshold) return i;  // False for NaN.
  }
  return n;
}

void Adagrad(float* w, float* acc, float* vel, const float* g, int64_t n, float lr, float eps,
             float momentum) {
  for (int64_t i = 0; i < n; ++i) {
    const float g2 = g[i] * g[i];
    acc[i] = acc[i] + g2;
    const float step = lr * g[i] / __builtin_sqrtf(acc[i] + eps);
    if (momentum > 0) {
      const float decayed = momentum * vel[i];
      vel[i] = decayed - step;
      w[i] = w[i] + vel[i];
    } else {
      w[i] = w[i] - step;
    }
  }
}

}  // namespace

const SimdKernels& ScalarKernels() {
  static constexpr SimdKernels kKernels = {&MatVecF32, &MatVecBf16, &FindFirstGreater, &Adagrad};
  return kKernels;
}

}  // namespace hrnn::internal
