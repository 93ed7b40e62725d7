#include "core/train/gru_layer.h"

#include <cassert>
#include <cmath>

#include "Eigen/Core"

namespace hrnn {
namespace {

using Array = Eigen::Array<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ArrayMap = Eigen::Map<Array, 0, Eigen::OuterStride<>>;
using ConstArrayMap = Eigen::Map<const Array, 0, Eigen::OuterStride<>>;

// Columns [col, col + cols) of a row-major buffer with `ld` floats per row, as an Eigen array.
ArrayMap Block(float* data, int64_t n, int64_t ld, int64_t col, int64_t cols) {
  return ArrayMap(data + col, n, cols, Eigen::OuterStride<>(ld));
}
ConstArrayMap ConstBlock(const float* data, int64_t n, int64_t ld, int64_t col, int64_t cols) {
  return ConstArrayMap(data + col, n, cols, Eigen::OuterStride<>(ld));
}

// Rows [row, row + rows) of a row-major [*, cols] tensor as a matrix view.
ConstMatrixView RowsOf(const Tensor& t, int64_t row, int64_t rows) {
  return {t.values.data() + row * t.cols(), rows, t.cols(), t.cols()};
}
MatrixView RowsOf(Tensor& t, int64_t row, int64_t rows) {
  return {t.values.data() + row * t.cols(), rows, t.cols(), t.cols()};
}

}  // namespace

GruGradients GruGradients::ZerosLike(const GruWeightsRef& w) {
  return {Tensor(w.weight_x->shape), Tensor(w.weight_h->shape), Tensor(w.bias->shape)};
}

void GruLayer::Forward(ThreadPool& pool, const GruWeightsRef& w, ConstMatrixView x,
                       ConstMatrixView h, MatrixView h_out, GruActivations& saved) {
  const int64_t n = x.rows, hidden = w.hidden(), inputs = w.inputs();
  assert(x.cols == inputs && h.rows == n && h.cols == hidden);
  saved.n = n;
  saved.x.resize(n * inputs);
  saved.h.resize(n * hidden);
  for (int64_t r = 0; r < n; ++r) {
    std::copy_n(x.row(r), inputs, saved.x.data() + r * inputs);
    std::copy_n(h.row(r), hidden, saved.h.data() + r * hidden);
  }
  for (auto* v : {&saved.reset, &saved.update, &saved.candidate, &saved.reset_h}) {
    v->resize(n * hidden);
  }
  saved.gates_x.resize(n * 3 * hidden);
  saved.gates_h.resize(n * 2 * hidden);
  const ConstMatrixView xs{saved.x.data(), n, inputs, inputs};
  const ConstMatrixView hs{saved.h.data(), n, hidden, hidden};
  MatrixView gx{saved.gates_x.data(), n, 3 * hidden, 3 * hidden};
  MatrixView gh{saved.gates_h.data(), n, 2 * hidden, 2 * hidden};
  matmul_.ABt(pool, xs, RowsOf(*w.weight_x, 0, 3 * hidden), w.bias->values.data(), gx);
  matmul_.ABt(pool, hs, RowsOf(*w.weight_h, 0, 2 * hidden), nullptr, gh);

  ArrayMap reset = Block(saved.reset.data(), n, hidden, 0, hidden);
  ArrayMap update = Block(saved.update.data(), n, hidden, 0, hidden);
  reset = (ConstBlock(gx.data, n, 3 * hidden, 0, hidden) +
           ConstBlock(gh.data, n, 2 * hidden, 0, hidden))
              .logistic();
  update = (ConstBlock(gx.data, n, 3 * hidden, hidden, hidden) +
            ConstBlock(gh.data, n, 2 * hidden, hidden, hidden))
               .logistic();
  const ConstArrayMap h_prev = ConstBlock(saved.h.data(), n, hidden, 0, hidden);
  Block(saved.reset_h.data(), n, hidden, 0, hidden) = reset * h_prev;

  // Reuse gates_h's first H columns for U_h (r ⊙ h).
  MatrixView uh{saved.gates_h.data(), n, hidden, 2 * hidden};
  matmul_.ABt(pool, {saved.reset_h.data(), n, hidden, hidden},
              RowsOf(*w.weight_h, 2 * hidden, hidden), nullptr, uh);
  ArrayMap candidate = Block(saved.candidate.data(), n, hidden, 0, hidden);
  candidate = (ConstBlock(gx.data, n, 3 * hidden, 2 * hidden, hidden) +
               ConstBlock(uh.data, n, 2 * hidden, 0, hidden))
                  .tanh();
  Block(h_out.data, n, h_out.ld, 0, hidden) = h_prev + update * (candidate - h_prev);
}

void GruLayer::Backward(ThreadPool& pool, const GruWeightsRef& w, const GruActivations& saved,
                        ConstMatrixView d_out, GruGradients& grads, MatrixView* dx,
                        MatrixView* dh) {
  const int64_t n = saved.n, hidden = w.hidden(), inputs = w.inputs();
  assert(d_out.rows == n && d_out.cols == hidden);
  d_gates_.resize(n * 3 * hidden);
  d_reset_h_.resize(n * hidden);
  const ConstArrayMap dout = ConstBlock(d_out.data, n, d_out.ld, 0, hidden);
  const ConstArrayMap h = ConstBlock(saved.h.data(), n, hidden, 0, hidden);
  const ConstArrayMap r = ConstBlock(saved.reset.data(), n, hidden, 0, hidden);
  const ConstArrayMap z = ConstBlock(saved.update.data(), n, hidden, 0, hidden);
  const ConstArrayMap c = ConstBlock(saved.candidate.data(), n, hidden, 0, hidden);
  ArrayMap da_r = Block(d_gates_.data(), n, 3 * hidden, 0, hidden);
  ArrayMap da_z = Block(d_gates_.data(), n, 3 * hidden, hidden, hidden);
  ArrayMap da_h = Block(d_gates_.data(), n, 3 * hidden, 2 * hidden, hidden);

  // h' = h + z (c - h):  dz = d' (c - h),  dc = d' z,  dh = d' (1 - z).
  da_h = dout * z * (1.0f - c.square());
  da_z = dout * (c - h) * z * (1.0f - z);
  // a_h = W_h x + U_h (r ⊙ h) + b_h:  d(r ⊙ h) = da_h U_h.
  MatrixView d_rh{d_reset_h_.data(), n, hidden, hidden};
  const ConstMatrixView da_h_view{d_gates_.data() + 2 * hidden, n, hidden, 3 * hidden};
  matmul_.AB(pool, da_h_view, RowsOf(*w.weight_h, 2 * hidden, hidden), d_rh);
  const ConstArrayMap d_rh_array = ConstBlock(d_reset_h_.data(), n, hidden, 0, hidden);
  da_r = d_rh_array * h * r * (1.0f - r);

  // Weight gradients, summed over the rows.
  const ConstMatrixView d_gates{d_gates_.data(), n, 3 * hidden, 3 * hidden};
  matmul_.AtB(pool, d_gates, {saved.x.data(), n, inputs, inputs},
              {grads.weight_x.values.data(), 3 * hidden, inputs, inputs});
  const ConstMatrixView d_rz{d_gates_.data(), n, 2 * hidden, 3 * hidden};
  matmul_.AtB(pool, d_rz, {saved.h.data(), n, hidden, hidden},
              RowsOf(grads.weight_h, 0, 2 * hidden));
  matmul_.AtB(pool, da_h_view, {saved.reset_h.data(), n, hidden, hidden},
              RowsOf(grads.weight_h, 2 * hidden, hidden));
  Eigen::Map<Eigen::RowVectorXf>(grads.bias.values.data(), 3 * hidden) =
      ConstBlock(d_gates_.data(), n, 3 * hidden, 0, 3 * hidden).colwise().sum().matrix();

  if (dx != nullptr) matmul_.AB(pool, d_gates, RowsOf(*w.weight_x, 0, 3 * hidden), *dx);
  if (dh != nullptr) {
    d_h_extra_.resize(n * hidden);
    MatrixView via_gates{d_h_extra_.data(), n, hidden, hidden};
    matmul_.AB(pool, d_rz, RowsOf(*w.weight_h, 0, 2 * hidden), via_gates);
    Block(dh->data, n, dh->ld, 0, hidden) =
        dout * (1.0f - z) + d_rh_array * r + ConstBlock(d_h_extra_.data(), n, hidden, 0, hidden);
  }
}

}  // namespace hrnn
