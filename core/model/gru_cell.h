// The GRU cell of both HRNN levels (DESIGN §2):
//   r = σ(W_r x + U_r h + b_r),  z = σ(W_z x + U_z h + b_z),
//   h~ = tanh(W_h x + U_h (r ⊙ h) + b_h),  h' = (1 − z) ⊙ h + z ⊙ h~.
// GruCell is the fast path (panel-packed weights, SIMD MatVec, vectorised activations);
// GruStepReference is the scalar oracle it is tested against. GruCell is immutable after
// construction and safe for concurrent use (scratch space is per call).
#ifndef HRNN_CORE_MODEL_GRU_CELL_H_
#define HRNN_CORE_MODEL_GRU_CELL_H_

#include <cstddef>
#include <vector>

#include "core/kernels/panel_matrix.h"
#include "core/model/tensor.h"

namespace hrnn {

// Scalar reference: h_out = GRU(x, h) with row-major weights laid out as in core/model/model.h
// (weight_x [3H, In], weight_h [3H, H], bias [3H], gates stacked r, z, h~). `h_out` may alias `h`.
// REQUIRES: shapes consistent.
void GruStepReference(const Tensor& weight_x, const Tensor& weight_h, const Tensor& bias,
                      const float* x, const float* h, float* h_out);

class GruCell {
 public:
  GruCell() = default;
  // Packs the weights for the SIMD kernels (always fp32: the cell is small and latency-bound).
  // REQUIRES: weight_x is [3H, In], weight_h [3H, H], bias [3H].
  GruCell(const Tensor& weight_x, const Tensor& weight_h, const Tensor& bias);

  int input_size() const { return input_size_; }
  int hidden_size() const { return hidden_size_; }
  // Bytes of packed weights and biases.
  size_t bytes() const {
    return weight_x_.bytes() + weight_h_rz_.bytes() + weight_h_h_.bytes() +
           sizeof(float) * bias_.size();
  }

  // h_out = GRU(x, h). `x` has input_size() floats, `h` and `h_out` hidden_size(); `h_out` may
  // alias `h`. Allocates nothing for hidden_size() <= 1024.
  void Step(const float* x, const float* h, float* h_out) const;

 private:
  int input_size_ = 0;
  int hidden_size_ = 0;
  PanelMatrix weight_x_;     // [3H, In]: W_r, W_z, W_h stacked.
  PanelMatrix weight_h_rz_;  // [2H, H]: U_r, U_z (applied to h).
  PanelMatrix weight_h_h_;   // [H, H]: U_h (applied to r ⊙ h).
  std::vector<float> bias_;  // [3H]
};

}  // namespace hrnn

#endif  // HRNN_CORE_MODEL_GRU_CELL_H_
