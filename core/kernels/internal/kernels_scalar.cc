// Portable reference kernels: the oracle every SIMD level is tested against. Row sums are
// accumulated in column order starting from zero, then the bias is added.
#include <algorithm>
#include <cstdint>

#include "core/kernels/internal/int8_state.h"
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

// int8: the integer sums of matvec.h, one column pair (32 bytes of a panel) at a time.
void MatVecInt8(const PanelMatrix& m, const float* const* xs, int batch, const float* bias,
                float* const* ys, int64_t panel_begin, int64_t panel_end) {
  const QuantizedStates states(xs, batch, m.cols());
  const int64_t pairs = m.padded_cols() / 2;
  for (int64_t p = panel_begin; p < panel_end; ++p) {
    const int8_t* panel = m.int8() + p * pairs * 2 * kPanelRows;
    const int64_t row0 = p * kPanelRows;
    const float* scale = m.row_scales() + row0;
    const int n = static_cast<int>(std::min<int64_t>(kPanelRows, m.rows() - row0));
    for (int b = 0; b < batch; ++b) {
      const int32_t* x = states.pairs(b);
      int32_t acc[kPanelRows] = {};
      for (int64_t q = 0; q < pairs; ++q) {
        const int32_t x_even = static_cast<int16_t>(x[q] & 0xffff);
        const int32_t x_odd = x[q] >> 16;
        const int8_t* w = panel + q * 2 * kPanelRows;  // Row i's pair at w[2i], w[2i + 1].
        for (int i = 0; i < kPanelRows; ++i, w += 2) acc[i] += w[0] * x_even + w[1] * x_odd;
      }
      float* y = ys[b] + row0;
      for (int i = 0; i < n; ++i) {
        const float v = static_cast<float>(acc[i]) * (scale[i] * states.scale(b));
        y[i] = bias != nullptr ? v + bias[row0 + i] : v;
      }
    }
  }
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
  static constexpr SimdKernels kKernels = {&MatVecF32, &MatVecBf16, &MatVecInt8, &FindFirstGreater,
                                           &Adagrad};
  return kKernels;
}

}  // namespace hrnn::internal
