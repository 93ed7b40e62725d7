#include "core/kernels/internal/int8_state.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace hrnn::internal {
namespace {

uint32_t Low16(double q) { return static_cast<uint16_t>(static_cast<int16_t>(q)); }

}  // namespace

QuantizedStates::QuantizedStates(const float* const* xs, int batch, int64_t cols)
    : stride_((cols + 1) / 2) {
  if (stride_ <= kStackWords) {
    pairs_ = stack_;
  } else {
    heap_ = static_cast<int32_t*>(std::malloc(sizeof(int32_t) * stride_ * batch));
    if (heap_ == nullptr) std::abort();  // Out of memory: as fatal as a failed operator new.
    pairs_ = heap_;
  }
  const double limit = Int8StateMax(cols);
  for (int b = 0; b < batch; ++b) {
    const float* x = xs[b];
    int32_t* out = pairs_ + b * stride_;
    std::fill_n(out, stride_, 0);
    float max_abs = 0.0f;
    bool finite = true;
    for (int64_t c = 0; c < cols && finite; ++c) {
      const float a = std::fabs(x[c]);
      finite = std::isfinite(a);
      max_abs = std::max(max_abs, a);
    }
    if (!finite) {
      scales_[b] = std::nanf("");
      continue;
    }
    if (max_abs == 0.0f) {
      scales_[b] = 0.0f;
      continue;
    }
    for (int64_t c = 0; c < cols; ++c) {
      // x * limit is exact in double and the quotient correctly rounded (ties to even).
      const double q =
          std::clamp(std::nearbyint(static_cast<double>(x[c]) * limit / max_abs), -limit, limit);
      const uint32_t word = static_cast<uint32_t>(out[c / 2]) | (Low16(q) << (16 * (c % 2)));
      out[c / 2] = static_cast<int32_t>(word);
    }
    scales_[b] = static_cast<float>(static_cast<double>(max_abs) / limit);
  }
}

QuantizedStates::~QuantizedStates() { std::free(heap_); }

}  // namespace hrnn::internal
