// AVX-512 (F/BW/VL/DQ) kernels. Compiled with -mavx512*; called only when the CPU has them.
// One 16-float zmm holds one panel column, so a panel is 16 output rows with no horizontal
// reduction: y[16] += W[:, c] * x[c] for every column c.
// Everything here is in an anonymous namespace, uses no standard-library templates and reads the
// PanelMatrix only through its trivial accessors, so no AVX-512 code leaks into other
// translation units through shared inline/COMDAT definitions.
#include <immintrin.h>

#include <cstdint>

#include "core/kernels/internal/simd_kernels.h"

namespace hrnn::internal {
namespace {

// Independent FMA chains per state: FMA latency 4 x 2 ports = 8 chains keep the units busy, so
// small batches split the columns into interleaved partial sums.
constexpr int AccumulatorsFor(int batch) { return (8 + batch - 1) / batch; }

inline __m512 LoadColumn(const float* p) { return _mm512_load_ps(p); }
inline __m512 LoadColumn(const uint16_t* p) {
  const __m256i raw = _mm256_load_si256(reinterpret_cast<const __m256i*>(p));
  // The maskz forms with a full mask compile to the plain instructions; the plain intrinsics
  // trip GCC 12's -Wmaybe-uninitialized on their _mm512_undefined_epi32() operand.
  const __m512i wide = _mm512_maskz_cvtepu16_epi32(0xffff, raw);
  return _mm512_castsi512_ps(_mm512_maskz_slli_epi32(0xffff, wide, 16));
}

// Computes the kPanelRows rows of one panel for B states and stores `valid` of them.
// For B >= 2, `ahead` is a later panel to prefetch, one column per column computed (the
// current panel when there is nothing to prefetch, which then hits L1).
template <int B, typename Element>
inline void Panel(const Element* panel, const Element* ahead, int64_t cols,
                  const float* const* xs, const float* bias, float* const* ys, int64_t row0,
                  __mmask16 valid) {
  constexpr int kAcc = AccumulatorsFor(B);
  constexpr bool kPrefetch = B >= 2;
  __m512 acc[B][kAcc];
  for (int b = 0; b < B; ++b) {
    for (int a = 0; a < kAcc; ++a) acc[b][a] = _mm512_setzero_ps();
  }
  int64_t c = 0;
  for (; c + kAcc <= cols; c += kAcc) {
    for (int a = 0; a < kAcc; ++a) {
      if constexpr (kPrefetch) {
        _mm_prefetch(reinterpret_cast<const char*>(ahead + (c + a) * kPanelRows), _MM_HINT_T0);
      }
      const __m512 w = LoadColumn(panel + (c + a) * kPanelRows);
      for (int b = 0; b < B; ++b) {
        acc[b][a] = _mm512_fmadd_ps(w, _mm512_set1_ps(xs[b][c + a]), acc[b][a]);
      }
    }
  }
  for (; c < cols; ++c) {
    const __m512 w = LoadColumn(panel + c * kPanelRows);
    for (int b = 0; b < B; ++b) {
      acc[b][0] = _mm512_fmadd_ps(w, _mm512_set1_ps(xs[b][c]), acc[b][0]);
    }
  }
  const __m512 bias_v =
      bias != nullptr ? _mm512_maskz_loadu_ps(valid, bias + row0) : _mm512_setzero_ps();
  for (int b = 0; b < B; ++b) {
    // Pairwise reduction of the partial sums.
    for (int width = kAcc; width > 1; width = (width + 1) / 2) {
      for (int a = 0; a + (width + 1) / 2 < width; ++a) {
        acc[b][a] = _mm512_add_ps(acc[b][a], acc[b][a + (width + 1) / 2]);
      }
    }
    const __m512 y = _mm512_add_ps(acc[b][0], bias_v);
    if (valid == 0xffff) {
      _mm512_storeu_ps(ys[b] + row0, y);
    } else {
      _mm512_mask_storeu_ps(ys[b] + row0, valid, y);  // Nothing is written past rows.
    }
  }
}

template <int B, typename Element>
void MatVecB(const Element* data, int64_t rows, int64_t cols, const float* const* xs,
             const float* bias, float* const* ys, int64_t panel_begin, int64_t panel_end) {
  const int64_t full_panels = rows / kPanelRows;
  const int64_t stride = cols * kPanelRows;
  // Multi-state passes compute long enough per panel that the hardware prefetcher falls behind
  // at DRAM sizes; prefetching the next panel took Batch8 at N = 1M from ~50 to ~36 ms (fp32)
  // and ~28 to ~18 ms (bf16); 2 or 4 panels ahead measured no better. A single state is
  // already at the streaming roofline without it (see Panel()).
  constexpr int64_t kAhead = 1;
  int64_t p = panel_begin;
  for (; p < panel_end && p < full_panels; ++p) {
    const int64_t ahead = p + kAhead < panel_end ? p + kAhead : p;
    Panel<B>(data + p * stride, data + ahead * stride, cols, xs, bias, ys, p * kPanelRows,
             0xffff);
  }
  if (p < panel_end) {  // The last, partial panel.
    const int left = static_cast<int>(rows - p * kPanelRows);
    Panel<B>(data + p * stride, data + p * stride, cols, xs, bias, ys, p * kPanelRows,
             static_cast<__mmask16>((1u << left) - 1));
  }
}

template <typename Element>
void MatVecDispatch(const Element* data, int64_t rows, int64_t cols, const float* const* xs,
                    int batch, const float* bias, float* const* ys, int64_t panel_begin,
                    int64_t panel_end) {
  switch (batch) {
#define HRNN_BATCH_CASE(n)                                                          \
  case n:                                                                           \
    MatVecB<n>(data, rows, cols, xs, bias, ys, panel_begin, panel_end);             \
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

int64_t FindFirstGreater(const float* values, int64_t n, float threshold) {
  const __m512 t = _mm512_set1_ps(threshold);
  int64_t i = 0;
  // 64 values per iteration; _CMP_GT_OQ is false for NaN.
  for (; i + 64 <= n; i += 64) {
    const __mmask16 m0 = _mm512_cmp_ps_mask(_mm512_loadu_ps(values + i), t, _CMP_GT_OQ);
    const __mmask16 m1 = _mm512_cmp_ps_mask(_mm512_loadu_ps(values + i + 16), t, _CMP_GT_OQ);
    const __mmask16 m2 = _mm512_cmp_ps_mask(_mm512_loadu_ps(values + i + 32), t, _CMP_GT_OQ);
    const __mmask16 m3 = _mm512_cmp_ps_mask(_mm512_loadu_ps(values + i + 48), t, _CMP_GT_OQ);
    const uint64_t bits = static_cast<uint64_t>(m0) | (static_cast<uint64_t>(m1) << 16) |
                          (static_cast<uint64_t>(m2) << 32) | (static_cast<uint64_t>(m3) << 48);
    if (bits != 0) return i + __builtin_ctzll(bits);
  }
  for (; i < n; i += 16) {
    const int64_t left = n - i;
    const __mmask16 load = left >= 16 ? static_cast<__mmask16>(0xffff)
                                      : static_cast<__mmask16>((1u << left) - 1);
    const __mmask16 bits =
        _mm512_mask_cmp_ps_mask(load, _mm512_maskz_loadu_ps(load, values + i), t, _CMP_GT_OQ);
    if (bits != 0) return i + __builtin_ctz(bits);
  }
  return n;
}

}  // namespace

const SimdKernels& Avx512Kernels() {
  static constexpr SimdKernels kKernels = {&MatVecF32, &MatVecBf16, &FindFirstGreater};
  return kKernels;
}

}  // namespace hrnn::internal
