// The GRU cell over a mini-batch for training: forward with saved activations, and the
// one-step backward (the incoming state is a constant, DESIGN §2) that produces the weight
// gradients and, on request, the gradients of the input and of the incoming state.
// Gate order and weight layout as in core/model/model.h. Functions are stateless apart from the
// caller's workspace; not thread-safe on a shared workspace.
#ifndef HRNN_CORE_TRAIN_GRU_LAYER_H_
#define HRNN_CORE_TRAIN_GRU_LAYER_H_

#include <cstdint>
#include <vector>

#include "core/model/tensor.h"
#include "core/train/matmul.h"
#include "core/train/thread_pool.h"

namespace hrnn {

struct GruWeightsRef {
  const Tensor* weight_x;  // [3H, In]
  const Tensor* weight_h;  // [3H, H]
  const Tensor* bias;      // [3H]
  int64_t hidden() const { return weight_h->cols(); }
  int64_t inputs() const { return weight_x->cols(); }
};

struct GruGradients {
  Tensor weight_x, weight_h, bias;
  // Zero tensors shaped like `w`.
  static GruGradients ZerosLike(const GruWeightsRef& w);
};

// What the backward pass needs from the forward pass, for n rows.
struct GruActivations {
  int64_t n = 0;
  std::vector<float> x, h;           // Inputs [n, In] and incoming state [n, H].
  std::vector<float> reset, update;  // r, z [n, H].
  std::vector<float> candidate;      // h~ [n, H].
  std::vector<float> reset_h;        // r ⊙ h [n, H].
  std::vector<float> gates_x;        // Scratch [n, 3H].
  std::vector<float> gates_h;        // Scratch [n, 2H].
};

class GruLayer {
 public:
  // h_out = GRU(x, h) for each of the n = x.rows rows; saves activations in `saved`.
  // h_out may alias h. REQUIRES: x [n, In], h and h_out [n, H].
  void Forward(ThreadPool& pool, const GruWeightsRef& w, ConstMatrixView x, ConstMatrixView h,
               MatrixView h_out, GruActivations& saved);

  // Given d_out = dLoss/dh_out [n, H], overwrites `grads` with the weight gradients (summed over
  // rows) and writes dLoss/dx into `dx` and dLoss/dh into `dh` when those are non-null.
  void Backward(ThreadPool& pool, const GruWeightsRef& w, const GruActivations& saved,
                ConstMatrixView d_out, GruGradients& grads, MatrixView* dx, MatrixView* dh);

 private:
  MatMul matmul_;
  std::vector<float> d_gates_;    // [n, 3H]: d pre-activation of r, z, h~.
  std::vector<float> d_reset_h_;  // [n, H]
  std::vector<float> d_h_extra_;  // [n, H]
};

}  // namespace hrnn

#endif  // HRNN_CORE_TRAIN_GRU_LAYER_H_
