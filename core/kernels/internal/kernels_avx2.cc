// AVX2 + FMA kernels. Compiled with -mavx2 -mfma -mf16c; called only when the CPU has them.
// A panel column is two 8-float ymm halves; states are processed at most 4 at a time per panel
// (16 ymm registers), re-reading the panel from L1 for states 4..7.
// Everything here is in an anonymous namespace, uses no standard-library templates and reads the
// PanelMatrix only through its trivial accessors, so no AVX2 code leaks into other translation
// units through shared inline/COMDAT definitions.
#include <immintrin.h>

#include <cstdint>

#include "core/kernels/internal/int8_state.h"
#include "core/kernels/internal/simd_kernels.h"

namespace hrnn::internal {
namespace {

// FMA latency 4 x 2 ports = 8 chains; each state already has two (the two halves).
constexpr int AccumulatorsFor(int batch) { return (4 + batch - 1) / batch; }
constexpr int kMaxStatesPerPass = 4;

inline void LoadColumn(const float* p, __m256& lo, __m256& hi) {
  lo = _mm256_load_ps(p);
  hi = _mm256_load_ps(p + 8);
}
inline void LoadColumn(const uint16_t* p, __m256& lo, __m256& hi) {
  const __m128i raw_lo = _mm_load_si128(reinterpret_cast<const __m128i*>(p));
  const __m128i raw_hi = _mm_load_si128(reinterpret_cast<const __m128i*>(p + 8));
  lo = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(raw_lo), 16));
  hi = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(raw_hi), 16));
}

// Rows row0 .. row0 + valid - 1 of one panel for B <= 4 states.
// `ahead` is a later panel to prefetch, one column per column computed (the current panel when
// there is nothing left to prefetch).
template <int B, typename Element>
inline void Panel(const Element* panel, const Element* ahead, int64_t cols, const float* const* xs,
                  const float* bias, float* const* ys, int64_t row0, int valid) {
  constexpr int kAcc = AccumulatorsFor(B);
  __m256 lo[B][kAcc];
  __m256 hi[B][kAcc];
  for (int b = 0; b < B; ++b) {
    for (int a = 0; a < kAcc; ++a) lo[b][a] = hi[b][a] = _mm256_setzero_ps();
  }
  int64_t c = 0;
  for (; c + kAcc <= cols; c += kAcc) {
    for (int a = 0; a < kAcc; ++a) {
      _mm_prefetch(reinterpret_cast<const char*>(ahead + (c + a) * kPanelRows), _MM_HINT_T0);
      __m256 w_lo, w_hi;
      LoadColumn(panel + (c + a) * kPanelRows, w_lo, w_hi);
      for (int b = 0; b < B; ++b) {
        const __m256 x = _mm256_broadcast_ss(xs[b] + c + a);
        lo[b][a] = _mm256_fmadd_ps(w_lo, x, lo[b][a]);
        hi[b][a] = _mm256_fmadd_ps(w_hi, x, hi[b][a]);
      }
    }
  }
  for (; c < cols; ++c) {
    _mm_prefetch(reinterpret_cast<const char*>(ahead + c * kPanelRows), _MM_HINT_T0);
    __m256 w_lo, w_hi;
    LoadColumn(panel + c * kPanelRows, w_lo, w_hi);
    for (int b = 0; b < B; ++b) {
      const __m256 x = _mm256_broadcast_ss(xs[b] + c);
      lo[b][0] = _mm256_fmadd_ps(w_lo, x, lo[b][0]);
      hi[b][0] = _mm256_fmadd_ps(w_hi, x, hi[b][0]);
    }
  }
  alignas(32) float bias_buf[kPanelRows] = {};
  if (bias != nullptr) {
    for (int i = 0; i < valid; ++i) bias_buf[i] = bias[row0 + i];
  }
  const __m256 bias_lo = _mm256_load_ps(bias_buf);
  const __m256 bias_hi = _mm256_load_ps(bias_buf + 8);
  for (int b = 0; b < B; ++b) {
    for (int width = kAcc; width > 1; width = (width + 1) / 2) {
      for (int a = 0; a + (width + 1) / 2 < width; ++a) {
        lo[b][a] = _mm256_add_ps(lo[b][a], lo[b][a + (width + 1) / 2]);
        hi[b][a] = _mm256_add_ps(hi[b][a], hi[b][a + (width + 1) / 2]);
      }
    }
    const __m256 y_lo = _mm256_add_ps(lo[b][0], bias_lo);
    const __m256 y_hi = _mm256_add_ps(hi[b][0], bias_hi);
    float* y = ys[b] + row0;
    if (valid == kPanelRows) {
      _mm256_storeu_ps(y, y_lo);
      _mm256_storeu_ps(y + 8, y_hi);
    } else {  // The last, partial panel goes through a stack buffer.
      alignas(32) float buf[kPanelRows];
      _mm256_store_ps(buf, y_lo);
      _mm256_store_ps(buf + 8, y_hi);
      for (int i = 0; i < valid; ++i) y[i] = buf[i];
    }
  }
}

template <int B, typename Element>
inline void PanelStates(const Element* panel, const Element* ahead, int64_t cols,
                        const float* const* xs, const float* bias, float* const* ys, int64_t row0,
                        int valid) {
  if constexpr (B <= kMaxStatesPerPass) {
    Panel<B>(panel, ahead, cols, xs, bias, ys, row0, valid);
  } else {
    Panel<kMaxStatesPerPass>(panel, ahead, cols, xs, bias, ys, row0, valid);
    Panel<B - kMaxStatesPerPass>(panel, panel, cols, xs + kMaxStatesPerPass, bias,
                                 ys + kMaxStatesPerPass, row0, valid);
  }
}

// Prefetch distance: see kernels_avx512.cc (same measurement, same rule).
constexpr int64_t kPrefetchBytes = 6 * 1024;
inline int64_t PrefetchPanels(int64_t panel_bytes) {
  const int64_t panels = (kPrefetchBytes + panel_bytes - 1) / panel_bytes;
  return panels > 1 ? panels : 1;
}

template <int B, typename Element>
void MatVecB(const Element* data, int64_t rows, int64_t cols, const float* const* xs,
             const float* bias, float* const* ys, int64_t panel_begin, int64_t panel_end) {
  const int64_t full_panels = rows / kPanelRows;
  const int64_t stride = cols * kPanelRows;
  const int64_t ahead_panels = PrefetchPanels(stride * static_cast<int64_t>(sizeof(Element)));
  int64_t p = panel_begin;
  for (; p < panel_end && p < full_panels; ++p) {
    const int64_t ahead = p + ahead_panels < panel_end ? p + ahead_panels : p;
    PanelStates<B>(data + p * stride, data + ahead * stride, cols, xs, bias, ys, p * kPanelRows,
                   kPanelRows);
  }
  if (p < panel_end) {
    PanelStates<B>(data + p * stride, data + p * stride, cols, xs, bias, ys, p * kPanelRows,
                   static_cast<int>(rows - p * kPanelRows));
  }
}

template <typename Element>
void MatVecDispatch(const Element* data, int64_t rows, int64_t cols, const float* const* xs,
                    int batch, const float* bias, float* const* ys, int64_t panel_begin,
                    int64_t panel_end) {
  switch (batch) {
#define HRNN_BATCH_CASE(n)                                              \
  case n:                                                               \
    MatVecB<n>(data, rows, cols, xs, bias, ys, panel_begin, panel_end); \
    break;
    HRNN_BATCH_CASE(1)
    HRNN_BATCH_CASE(2)
    HRNN_BATCH_CASE(3)
    HRNN_BATCH_CASE(4)
    HRNN_BATCH_CASE(5)
    HRNN_BATCH_CASE(6)
    HRNN_BATCH_CASE(7)
    HRNN_BATCH_CASE(8)
#undef HRNN_BATCH_CASE
    default:
      break;
  }
}

void MatVecF32(const PanelMatrix& m, const float* const* xs, int batch, const float* bias,
               float* const* ys, int64_t panel_begin, int64_t panel_end) {
  MatVecDispatch(m.f32(), m.rows(), m.cols(), xs, batch, bias, ys, panel_begin, panel_end);
}

void MatVecBf16(const PanelMatrix& m, const float* const* xs, int batch, const float* bias,
                float* const* ys, int64_t panel_begin, int64_t panel_end) {
  MatVecDispatch(m.bf16(), m.rows(), m.cols(), xs, batch, bias, ys, panel_begin, panel_end);
}

// int8, column pairs (layout in panel_matrix.h, arithmetic in matvec.h): the 32 bytes of a pair
// widen to two ymm of 16 int16 (rows 0-7 and 8-15, each row's two columns adjacent), and one
// vpmaddwd per half against the broadcast state pair (xq[c], xq[c+1]) gives 8 rows' int32
// partial sums in row order. Two accumulators per state (the halves); at most 4 states per pass,
// as for fp32.
template <int B>
inline void PanelInt8(const int8_t* panel, const int8_t* ahead, int64_t pairs,
                      const int32_t* const* xp, const float* scale, const float* sx,
                      const float* bias, float* const* ys, int64_t row0, int valid) {
  __m256i lo[B];
  __m256i hi[B];
  for (int b = 0; b < B; ++b) lo[b] = hi[b] = _mm256_setzero_si256();
  for (int64_t q = 0; q < pairs; ++q) {
    if ((q & 1) == 0) {  // One prefetch per 64 bytes.
      _mm_prefetch(reinterpret_cast<const char*>(ahead + q * 2 * kPanelRows), _MM_HINT_T0);
    }
    const int8_t* w = panel + q * 2 * kPanelRows;
    const __m256i w_lo = _mm256_cvtepi8_epi16(_mm_load_si128(reinterpret_cast<const __m128i*>(w)));
    const __m256i w_hi =
        _mm256_cvtepi8_epi16(_mm_load_si128(reinterpret_cast<const __m128i*>(w + 16)));
    for (int b = 0; b < B; ++b) {
      const __m256i x = _mm256_set1_epi32(xp[b][q]);
      lo[b] = _mm256_add_epi32(lo[b], _mm256_madd_epi16(w_lo, x));
      hi[b] = _mm256_add_epi32(hi[b], _mm256_madd_epi16(w_hi, x));
    }
  }
  // Padding rows have scale 0, so full loads are harmless.
  const __m256 scale_lo = _mm256_load_ps(scale);
  const __m256 scale_hi = _mm256_load_ps(scale + 8);
  alignas(32) float bias_buf[kPanelRows] = {};
  if (bias != nullptr) {
    for (int i = 0; i < valid; ++i) bias_buf[i] = bias[row0 + i];
  }
  const __m256 bias_lo = _mm256_load_ps(bias_buf);
  const __m256 bias_hi = _mm256_load_ps(bias_buf + 8);
  for (int b = 0; b < B; ++b) {
    const __m256 s = _mm256_set1_ps(sx[b]);
    const __m256 y_lo =
        _mm256_fmadd_ps(_mm256_cvtepi32_ps(lo[b]), _mm256_mul_ps(scale_lo, s), bias_lo);
    const __m256 y_hi =
        _mm256_fmadd_ps(_mm256_cvtepi32_ps(hi[b]), _mm256_mul_ps(scale_hi, s), bias_hi);
    float* y = ys[b] + row0;
    if (valid == kPanelRows) {
      _mm256_storeu_ps(y, y_lo);
      _mm256_storeu_ps(y + 8, y_hi);
    } else {  // The last, partial panel goes through a stack buffer.
      alignas(32) float buf[kPanelRows];
      _mm256_store_ps(buf, y_lo);
      _mm256_store_ps(buf + 8, y_hi);
      for (int i = 0; i < valid; ++i) y[i] = buf[i];
    }
  }
}

template <int B>
inline void PanelInt8States(const int8_t* panel, const int8_t* ahead, int64_t pairs,
                            const int32_t* const* xp, const float* scale, const float* sx,
                            const float* bias, float* const* ys, int64_t row0, int valid) {
  if constexpr (B <= kMaxStatesPerPass) {
    PanelInt8<B>(panel, ahead, pairs, xp, scale, sx, bias, ys, row0, valid);
  } else {
    PanelInt8<kMaxStatesPerPass>(panel, ahead, pairs, xp, scale, sx, bias, ys, row0, valid);
    PanelInt8<B - kMaxStatesPerPass>(panel, panel, pairs, xp + kMaxStatesPerPass, scale,
                                     sx + kMaxStatesPerPass, bias, ys + kMaxStatesPerPass, row0,
                                     valid);
  }
}

template <int B>
void MatVecInt8B(const PanelMatrix& m, const QuantizedStates& states, const float* bias,
                 float* const* ys, int64_t panel_begin, int64_t panel_end) {
  const int32_t* xp[B];
  float sx[B];
  for (int b = 0; b < B; ++b) {
    xp[b] = states.pairs(b);
    sx[b] = states.scale(b);
  }
  const int8_t* data = m.int8();
  const float* scales = m.row_scales();
  const int64_t pairs = m.padded_cols() / 2;
  const int64_t stride = pairs * 2 * kPanelRows;
  const int64_t full_panels = m.rows() / kPanelRows;
  const int64_t ahead_panels = PrefetchPanels(stride);
  int64_t p = panel_begin;
  for (; p < panel_end && p < full_panels; ++p) {
    const int64_t ahead = p + ahead_panels < panel_end ? p + ahead_panels : p;
    _mm_prefetch(reinterpret_cast<const char*>(scales + ahead * kPanelRows), _MM_HINT_T0);
    PanelInt8States<B>(data + p * stride, data + ahead * stride, pairs, xp, scales + p * kPanelRows,
                       sx, bias, ys, p * kPanelRows, kPanelRows);
  }
  if (p < panel_end) {
    PanelInt8States<B>(data + p * stride, data + p * stride, pairs, xp, scales + p * kPanelRows, sx,
                       bias, ys, p * kPanelRows, static_cast<int>(m.rows() - p * kPanelRows));
  }
}

void MatVecInt8(const PanelMatrix& m, const float* const* xs, int batch, const float* bias,
                float* const* ys, int64_t panel_begin, int64_t panel_end) {
  const QuantizedStates states(xs, batch, m.cols());
  switch (batch) {
#define HRNN_BATCH_CASE(n)                                       \
  case n:                                                        \
    MatVecInt8B<n>(m, states, bias, ys, panel_begin, panel_end); \
    break;
    HRNN_BATCH_CASE(1)
    HRNN_BATCH_CASE(2)
    HRNN_BATCH_CASE(3)
    HRNN_BATCH_CASE(4)
    HRNN_BATCH_CASE(5)
    HRNN_BATCH_CASE(6)
    HRNN_BATCH_CASE(7)
    HRNN_BATCH_CASE(8)
#undef HRNN_BATCH_CASE
    default:
      break;
  }
}

int64_t FindFirstGreater(const float* values, int64_t n, float threshold) {
  const __m256 t = _mm256_set1_ps(threshold);
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {  // _CMP_GT_OQ is false for NaN.
    const uint32_t m0 = static_cast<uint32_t>(
        _mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(values + i), t, _CMP_GT_OQ)));
    const uint32_t m1 = static_cast<uint32_t>(
        _mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(values + i + 8), t, _CMP_GT_OQ)));
    const uint32_t m2 = static_cast<uint32_t>(
        _mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(values + i + 16), t, _CMP_GT_OQ)));
    const uint32_t m3 = static_cast<uint32_t>(
        _mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(values + i + 24), t, _CMP_GT_OQ)));
    const uint32_t bits = m0 | (m1 << 8) | (m2 << 16) | (m3 << 24);
    if (bits != 0) return i + __builtin_ctz(bits);
  }
  for (; i + 8 <= n; i += 8) {
    const int bits = _mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(values + i), t, _CMP_GT_OQ));
    if (bits != 0) return i + __builtin_ctz(static_cast<unsigned>(bits));
  }
  for (; i < n; ++i) {
    if (values[i] > threshold) return i;
  }
  return n;
}

void Adagrad(float* w, float* acc, float* vel, const float* g, int64_t n, float lr, float eps,
             float momentum) {
  const __m256 lr_v = _mm256_set1_ps(lr), eps_v = _mm256_set1_ps(eps);
  const __m256 momentum_v = _mm256_set1_ps(momentum);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 gv = _mm256_loadu_ps(g + i);
    const __m256 a = _mm256_add_ps(_mm256_loadu_ps(acc + i), _mm256_mul_ps(gv, gv));
    _mm256_storeu_ps(acc + i, a);
    const __m256 step =
        _mm256_div_ps(_mm256_mul_ps(lr_v, gv), _mm256_sqrt_ps(_mm256_add_ps(a, eps_v)));
    const __m256 wv = _mm256_loadu_ps(w + i);
    if (momentum > 0) {
      const __m256 v = _mm256_sub_ps(_mm256_mul_ps(momentum_v, _mm256_loadu_ps(vel + i)), step);
      _mm256_storeu_ps(vel + i, v);
      _mm256_storeu_ps(w + i, _mm256_add_ps(wv, v));
    } else {
      _mm256_storeu_ps(w + i, _mm256_sub_ps(wv, step));
    }
  }
  for (; i < n; ++i) {  // Scalar tail, the same operations.
    acc[i] = acc[i] + g[i] * g[i];
    const float step = lr * g[i] / __builtin_sqrtf(acc[i] + eps);
    if (momentum > 0) {
      vel[i] = momentum * vel[i] - step;
      w[i] = w[i] + vel[i];
    } else {
      w[i] = w[i] - step;
    }
  }
}

}  // namespace

const SimdKernels& Avx2Kernels() {
  static constexpr SimdKernels kKernels = {&MatVecF32, &MatVecBf16, &MatVecInt8, &FindFirstGreater,
                                           &Adagrad};
  return kKernels;
}

}  // namespace hrnn::internal
