// AVX-512 (F/BW/VL/DQ) kernels. Compiled with -mavx512*; called only when the CPU has them.
// One 16-float zmm holds one panel column, so a panel is 16 output rows with no horizontal
// reduction: y[16] += W[:, c] * x[c] for every column c.
// Everything here is in an anonymous namespace, uses no standard-library templates and reads the
// PanelMatrix only through its trivial accessors, so no AVX-512 code leaks into other
// translation units through shared inline/COMDAT definitions.
#include <immintrin.h>

#include <cstdint>

#include "core/kernels/internal/int8_state.h"
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
// `ahead` is a later panel to prefetch, one column per column computed (the current panel when
// there is nothing left to prefetch, which then hits L1).
template <int B, typename Element>
inline void Panel(const Element* panel, const Element* ahead, int64_t cols, const float* const* xs,
                  const float* bias, float* const* ys, int64_t row0, __mmask16 valid) {
  constexpr int kAcc = AccumulatorsFor(B);
  __m512 acc[B][kAcc];
  for (int b = 0; b < B; ++b) {
    for (int a = 0; a < kAcc; ++a) acc[b][a] = _mm512_setzero_ps();
  }
  int64_t c = 0;
  for (; c + kAcc <= cols; c += kAcc) {
    for (int a = 0; a < kAcc; ++a) {
      _mm_prefetch(reinterpret_cast<const char*>(ahead + (c + a) * kPanelRows), _MM_HINT_T0);
      const __m512 w = LoadColumn(panel + (c + a) * kPanelRows);
      for (int b = 0; b < B; ++b) {
        acc[b][a] = _mm512_fmadd_ps(w, _mm512_set1_ps(xs[b][c + a]), acc[b][a]);
      }
    }
  }
  for (; c < cols; ++c) {
    _mm_prefetch(reinterpret_cast<const char*>(ahead + c * kPanelRows), _MM_HINT_T0);
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

// How many panels ahead to prefetch: at least kPrefetchBytes ahead (H = 100: 1 fp32 panel, 2
// bf16 panels). The L2
// streamer alone falls behind at DRAM sizes (it stops at 4 KiB pages); measured at N = 1M,
// H = 100: Batch8 fp32 ~50 -> ~36 ms, bf16 single state ~19.5 -> ~17 ms, fp32 single state
// ~33 -> ~31 ms. 1 and 2 fp32 panels ahead measured about the same; 4 no better.
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
    Panel<B>(data + p * stride, data + ahead * stride, cols, xs, bias, ys, p * kPanelRows, 0xffff);
  }
  if (p < panel_end) {  // The last, partial panel.
    const int left = static_cast<int>(rows - p * kPanelRows);
    Panel<B>(data + p * stride, data + p * stride, cols, xs, bias, ys, p * kPanelRows,
             static_cast<__mmask16>((1u << left) - 1));
  }
}

// bf16, column pairs. One 64-byte load holds columns c and c+1 of a panel; as 32-bit lanes,
// lane j < 8 packs rows 2j (low half) and 2j+1 (high half) of column c, lane 8 + j the same rows
// of column c+1. A shift gives the even rows as floats, a mask the odd rows; both multiply
// xpair = [x[c] x 8, x[c+1] x 8]. This halves the work per byte against widening 16 values at
// a time (2 ALU uops per 64 bytes instead of 4), which matters at DRAM sizes, where fewer
// uops per cache line let the core keep more lines in flight. A final permute folds the two
// column halves and interleaves even and odd rows back into row order.
// Measured at N = 1M, H = 100, one state: 0.64-0.78 -> 0.85 of the bf16 streaming roofline,
// 1.45-1.66x -> 1.88-1.91x the fp32 kernel. With 8 states the kernel is compute-bound and the
// per-state xpair tables (3.2 KB each) crowd L1: 153 -> 210 us at N = 10k, so only batches of
// 1-2 states take this path.
// Loads are unaligned: with an odd column count a bf16 panel starts on a 32-byte boundary.
constexpr int64_t kMaxPairs = 64;  // cols <= 128 use this path (H = 100); wider use Panel<>.
constexpr int kMaxPairsBatch = 2;

template <int B>
inline void PanelBf16Pairs(const uint16_t* panel, const uint16_t* ahead, int64_t cols,
                           const __m512 (*xpairs)[kMaxPairs], const float* const* xs,
                           const float* bias, float* const* ys, int64_t row0, __mmask16 valid) {
  constexpr int kAcc = AccumulatorsFor(B) / 2 > 1 ? AccumulatorsFor(B) / 2 : 1;
  const int64_t pairs = cols / 2;
  const __m512i high_mask = _mm512_set1_epi32(static_cast<int>(0xffff0000u));
  __m512 even[B][kAcc];
  __m512 odd[B][kAcc];
  for (int b = 0; b < B; ++b) {
    for (int a = 0; a < kAcc; ++a) even[b][a] = odd[b][a] = _mm512_setzero_ps();
  }
  int64_t q = 0;
  for (; q + kAcc <= pairs; q += kAcc) {
    for (int a = 0; a < kAcc; ++a) {
      _mm_prefetch(reinterpret_cast<const char*>(ahead + (q + a) * 2 * kPanelRows), _MM_HINT_T0);
      const __m512i v = _mm512_loadu_si512(panel + (q + a) * 2 * kPanelRows);
      const __m512 e = _mm512_castsi512_ps(_mm512_maskz_slli_epi32(0xffff, v, 16));
      const __m512 o = _mm512_castsi512_ps(_mm512_and_si512(v, high_mask));
      for (int b = 0; b < B; ++b) {
        even[b][a] = _mm512_fmadd_ps(e, xpairs[b][q + a], even[b][a]);
        odd[b][a] = _mm512_fmadd_ps(o, xpairs[b][q + a], odd[b][a]);
      }
    }
  }
  for (; q < pairs; ++q) {
    _mm_prefetch(reinterpret_cast<const char*>(ahead + q * 2 * kPanelRows), _MM_HINT_T0);
    const __m512i v = _mm512_loadu_si512(panel + q * 2 * kPanelRows);
    const __m512 e = _mm512_castsi512_ps(_mm512_maskz_slli_epi32(0xffff, v, 16));
    const __m512 o = _mm512_castsi512_ps(_mm512_and_si512(v, high_mask));
    for (int b = 0; b < B; ++b) {
      even[b][0] = _mm512_fmadd_ps(e, xpairs[b][q], even[b][0]);
      odd[b][0] = _mm512_fmadd_ps(o, xpairs[b][q], odd[b][0]);
    }
  }
  // Row r of the result: even (r = 2j) or odd (r = 2j + 1) sums, lane j of the folded vectors.
  const __m512i interleave =
      _mm512_set_epi32(23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
  const bool odd_cols = (cols & 1) != 0;
  const __m512 last = odd_cols ? LoadColumn(panel + (cols - 1) * kPanelRows) : _mm512_setzero_ps();
  const __m512 bias_v =
      bias != nullptr ? _mm512_maskz_loadu_ps(valid, bias + row0) : _mm512_setzero_ps();
  for (int b = 0; b < B; ++b) {
    for (int a = 1; a < kAcc; ++a) {
      even[b][0] = _mm512_add_ps(even[b][0], even[b][a]);
      odd[b][0] = _mm512_add_ps(odd[b][0], odd[b][a]);
    }
    // Fold column c's half (lanes 0..7) with column c+1's (lanes 8..15).
    const __m512 e =
        _mm512_add_ps(even[b][0], _mm512_maskz_shuffle_f32x4(0xffff, even[b][0], even[b][0], 0x4e));
    const __m512 o =
        _mm512_add_ps(odd[b][0], _mm512_maskz_shuffle_f32x4(0xffff, odd[b][0], odd[b][0], 0x4e));
    __m512 y = _mm512_add_ps(_mm512_permutex2var_ps(e, interleave, o), bias_v);
    if (odd_cols) y = _mm512_fmadd_ps(last, _mm512_set1_ps(xs[b][cols - 1]), y);
    if (valid == 0xffff) {
      _mm512_storeu_ps(ys[b] + row0, y);
    } else {
      _mm512_mask_storeu_ps(ys[b] + row0, valid, y);
    }
  }
}

// REQUIRES: cols <= 2 * kMaxPairs.
template <int B>
void MatVecBf16PairsB(const uint16_t* data, int64_t rows, int64_t cols, const float* const* xs,
                      const float* bias, float* const* ys, int64_t panel_begin, int64_t panel_end) {
  alignas(64) __m512 xpairs[B][kMaxPairs];
  for (int b = 0; b < B; ++b) {
    for (int64_t q = 0; q < cols / 2; ++q) {
      xpairs[b][q] = _mm512_mask_blend_ps(0xff00, _mm512_set1_ps(xs[b][2 * q]),
                                          _mm512_set1_ps(xs[b][2 * q + 1]));
    }
  }
  const int64_t full_panels = rows / kPanelRows;
  const int64_t stride = cols * kPanelRows;
  const int64_t ahead_panels = PrefetchPanels(stride * static_cast<int64_t>(sizeof(uint16_t)));
  int64_t p = panel_begin;
  for (; p < panel_end && p < full_panels; ++p) {
    const int64_t ahead = p + ahead_panels < panel_end ? p + ahead_panels : p;
    PanelBf16Pairs<B>(data + p * stride, data + ahead * stride, cols, xpairs, xs, bias, ys,
                      p * kPanelRows, 0xffff);
  }
  if (p < panel_end) {
    const int left = static_cast<int>(rows - p * kPanelRows);
    PanelBf16Pairs<B>(data + p * stride, data + p * stride, cols, xpairs, xs, bias, ys,
                      p * kPanelRows, static_cast<__mmask16>((1u << left) - 1));
  }
}

void MatVecBf16Pairs(const uint16_t* data, int64_t rows, int64_t cols, const float* const* xs,
                     int batch, const float* bias, float* const* ys, int64_t panel_begin,
                     int64_t panel_end) {
  static_assert(kMaxPairsBatch == 2, "instantiate MatVecBf16PairsB for each batch size");
  if (batch == 1) {
    MatVecBf16PairsB<1>(data, rows, cols, xs, bias, ys, panel_begin, panel_end);
  } else {
    MatVecBf16PairsB<2>(data, rows, cols, xs, bias, ys, panel_begin, panel_end);
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
  if (batch <= kMaxPairsBatch && m.cols() <= 2 * kMaxPairs) {
    MatVecBf16Pairs(m.bf16(), m.rows(), m.cols(), xs, batch, bias, ys, panel_begin, panel_end);
    return;
  }
  MatVecDispatch(m.bf16(), m.rows(), m.cols(), xs, batch, bias, ys, panel_begin, panel_end);
}

// int8, column pairs (layout in panel_matrix.h, arithmetic in matvec.h). 32 bytes of a panel
// hold columns c, c+1 of its 16 rows, row j's two values adjacent: widened to 32 int16, one
// vpmaddwd against the broadcast state pair (xq[c], xq[c+1]) gives the 16 rows' partial sums as
// int32 lanes in row order, so there is no final permute. The accumulator chain is one vpaddd
// (latency 1) per pair, so one accumulator per state suffices; all 8 states fit in registers
// (8 accumulators, the widened pair, the broadcasts), and a 64-byte line costs 2 widenings plus
// 2 multiply-adds and 2 adds per state.
template <int B>
inline void PanelInt8(const int8_t* panel, const int8_t* ahead, int64_t pairs,
                      const int32_t* const* xp, const float* scale, const float* sx,
                      const float* bias, float* const* ys, int64_t row0, __mmask16 valid) {
  __m512i acc[B];
  for (int b = 0; b < B; ++b) acc[b] = _mm512_setzero_si512();
  int64_t q = 0;
  for (; q + 2 <= pairs; q += 2) {  // One 64-byte line (when the panel starts on one).
    _mm_prefetch(reinterpret_cast<const char*>(ahead + q * 2 * kPanelRows), _MM_HINT_T0);
    const __m512i w0 = _mm512_maskz_cvtepi8_epi16(
        0xffffffff, _mm256_load_si256(reinterpret_cast<const __m256i*>(panel + q * 32)));
    const __m512i w1 = _mm512_maskz_cvtepi8_epi16(
        0xffffffff, _mm256_load_si256(reinterpret_cast<const __m256i*>(panel + q * 32 + 32)));
    for (int b = 0; b < B; ++b) {
      acc[b] = _mm512_add_epi32(acc[b], _mm512_madd_epi16(w0, _mm512_set1_epi32(xp[b][q])));
      acc[b] = _mm512_add_epi32(acc[b], _mm512_madd_epi16(w1, _mm512_set1_epi32(xp[b][q + 1])));
    }
  }
  if (q < pairs) {
    _mm_prefetch(reinterpret_cast<const char*>(ahead + q * 2 * kPanelRows), _MM_HINT_T0);
    const __m512i w = _mm512_maskz_cvtepi8_epi16(
        0xffffffff, _mm256_load_si256(reinterpret_cast<const __m256i*>(panel + q * 32)));
    for (int b = 0; b < B; ++b) {
      acc[b] = _mm512_add_epi32(acc[b], _mm512_madd_epi16(w, _mm512_set1_epi32(xp[b][q])));
    }
  }
  // Padding rows have scale 0, so the full 16-lane load is harmless.
  const __m512 scale_v = _mm512_load_ps(scale);
  const __m512 bias_v =
      bias != nullptr ? _mm512_maskz_loadu_ps(valid, bias + row0) : _mm512_setzero_ps();
  for (int b = 0; b < B; ++b) {
    const __m512 s = _mm512_mul_ps(scale_v, _mm512_set1_ps(sx[b]));
    const __m512 y = _mm512_fmadd_ps(_mm512_maskz_cvtepi32_ps(0xffff, acc[b]), s, bias_v);
    if (valid == 0xffff) {
      _mm512_storeu_ps(ys[b] + row0, y);
    } else {
      _mm512_mask_storeu_ps(ys[b] + row0, valid, y);
    }
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
    PanelInt8<B>(data + p * stride, data + ahead * stride, pairs, xp, scales + p * kPanelRows, sx,
                 bias, ys, p * kPanelRows, 0xffff);
  }
  if (p < panel_end) {  // The last, partial panel.
    const int left = static_cast<int>(m.rows() - p * kPanelRows);
    PanelInt8<B>(data + p * stride, data + p * stride, pairs, xp, scales + p * kPanelRows, sx, bias,
                 ys, p * kPanelRows, static_cast<__mmask16>((1u << left) - 1));
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
    const __mmask16 load =
        left >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << left) - 1);
    const __mmask16 bits =
        _mm512_mask_cmp_ps_mask(load, _mm512_maskz_loadu_ps(load, values + i), t, _CMP_GT_OQ);
    if (bits != 0) return i + __builtin_ctz(bits);
  }
  return n;
}

void Adagrad(float* w, float* acc, float* vel, const float* g, int64_t n, float lr, float eps,
             float momentum) {
  const __m512 lr_v = _mm512_set1_ps(lr), eps_v = _mm512_set1_ps(eps);
  const __m512 momentum_v = _mm512_set1_ps(momentum);
  const __m512 half_v = _mm512_set1_ps(0.5f), three_v = _mm512_set1_ps(3.0f);
  for (int64_t i = 0; i < n; i += 16) {
    const int64_t left = n - i;
    const __mmask16 m =
        left >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << left) - 1);
    const __m512 gv = _mm512_maskz_loadu_ps(m, g + i);
    const __m512 a = _mm512_add_ps(_mm512_maskz_loadu_ps(m, acc + i), _mm512_mul_ps(gv, gv));
    _mm512_mask_storeu_ps(acc + i, m, a);
    // 1 / sqrt(a + eps): the 14-bit estimate refined by one Newton step (~23 bits), which
    // avoids the divider (a shared unit that div and sqrt would each occupy ~16 cycles).
    const __m512 d = _mm512_add_ps(a, eps_v);
    const __m512 y0 = _mm512_maskz_rsqrt14_ps(0xffff, d);
    const __m512 y = _mm512_mul_ps(_mm512_mul_ps(half_v, y0),
                                   _mm512_sub_ps(three_v, _mm512_mul_ps(d, _mm512_mul_ps(y0, y0))));
    const __m512 step = _mm512_mul_ps(_mm512_mul_ps(lr_v, gv), y);
    const __m512 wv = _mm512_maskz_loadu_ps(m, w + i);
    if (momentum > 0) {
      const __m512 v =
          _mm512_sub_ps(_mm512_mul_ps(momentum_v, _mm512_maskz_loadu_ps(m, vel + i)), step);
      _mm512_mask_storeu_ps(vel + i, m, v);
      _mm512_mask_storeu_ps(w + i, m, _mm512_add_ps(wv, v));
    } else {
      _mm512_mask_storeu_ps(w + i, m, _mm512_sub_ps(wv, step));
    }
  }
}

}  // namespace

const SimdKernels& Avx512Kernels() {
  static constexpr SimdKernels kKernels = {&MatVecF32, &MatVecBf16, &MatVecInt8, &FindFirstGreater,
                                           &Adagrad};
  return kKernels;
}

}  // namespace hrnn::internal
