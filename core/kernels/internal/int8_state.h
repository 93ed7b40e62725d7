// Internal: the int8 kernels' quantisation of their input states (the rule is in matvec.h),
// computed once per kernel call by every level with this one non-vectorised code, so that all
// levels multiply the same integers. Not thread-safe: one object per call.
#ifndef HRNN_CORE_KERNELS_INTERNAL_INT8_STATE_H_
#define HRNN_CORE_KERNELS_INTERNAL_INT8_STATE_H_

#include <cstdint>

#include "core/kernels/matvec.h"

namespace hrnn::internal {

class QuantizedStates {
 public:
  // Quantises xs[0 .. batch), each of `cols` floats. REQUIRES: 1 <= batch <= kMaxMatVecBatch,
  // cols >= 1.
  QuantizedStates(const float* const* xs, int batch, int64_t cols);
  ~QuantizedStates();
  QuantizedStates(const QuantizedStates&) = delete;
  QuantizedStates& operator=(const QuantizedStates&) = delete;

  // State b as (cols + 1) / 2 int32 words: word k holds xq[2k] in its low and xq[2k + 1] in its
  // high 16 bits (two's complement; xq[cols] = 0 when cols is odd), the operand of a 16-bit
  // multiply-add against a column pair of the int8 layout.
  const int32_t* pairs(int b) const { return pairs_ + b * stride_; }
  // sx_b: 0 for an all-zero state; NaN for a state holding NaN or infinity (its xq are all 0).
  float scale(int b) const { return scales_[b]; }

 private:
  static constexpr int64_t kStackWords = 256;  // Per state: cols <= 512 need no allocation.
  int64_t stride_ = 0;
  int32_t* pairs_ = nullptr;
  int32_t* heap_ = nullptr;
  float scales_[kMaxMatVecBatch] = {};
  alignas(64) int32_t stack_[kMaxMatVecBatch * kStackWords];
};

}  // namespace hrnn::internal

#endif  // HRNN_CORE_KERNELS_INTERNAL_INT8_STATE_H_
