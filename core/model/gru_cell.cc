#include "core/model/gru_cell.h"

#include <cassert>
#include <cmath>
#include <vector>

#include "Eigen/Core"
#include "absl/container/inlined_vector.h"
#include "core/kernels/matvec.h"

namespace hrnn {
namespace {

using ArrayMap = Eigen::Map<Eigen::ArrayXf>;
using ConstArrayMap = Eigen::Map<const Eigen::ArrayXf>;

}  // namespace

void GruStepReference(const Tensor& weight_x, const Tensor& weight_h, const Tensor& bias,
                      const float* x, const float* h, float* h_out) {
  const int64_t hidden = weight_h.cols();
  const int64_t inputs = weight_x.cols();
  assert(weight_x.rows() == 3 * hidden && weight_h.rows() == 3 * hidden);
  std::vector<double> gx(3 * hidden), gh(3 * hidden);
  for (int64_t row = 0; row < 3 * hidden; ++row) {
    double sum = bias.values[row];
    for (int64_t c = 0; c < inputs; ++c) sum += double{weight_x.row(row)[c]} * x[c];
    gx[row] = sum;
  }
  std::vector<double> r(hidden), z(hidden), rh(hidden);
  for (int64_t j = 0; j < hidden; ++j) {
    double ur = 0, uz = 0;
    for (int64_t c = 0; c < hidden; ++c) {
      ur += double{weight_h.row(j)[c]} * h[c];
      uz += double{weight_h.row(hidden + j)[c]} * h[c];
    }
    r[j] = 1.0 / (1.0 + std::exp(-(gx[j] + ur)));
    z[j] = 1.0 / (1.0 + std::exp(-(gx[hidden + j] + uz)));
    rh[j] = r[j] * h[j];
  }
  std::vector<float> result(hidden);
  for (int64_t j = 0; j < hidden; ++j) {
    double uh = 0;
    for (int64_t c = 0; c < hidden; ++c) uh += double{weight_h.row(2 * hidden + j)[c]} * rh[c];
    const double candidate = std::tanh(gx[2 * hidden + j] + uh);
    result[j] = static_cast<float>((1.0 - z[j]) * h[j] + z[j] * candidate);
  }
  std::copy(result.begin(), result.end(), h_out);
}

GruCell::GruCell(const Tensor& weight_x, const Tensor& weight_h, const Tensor& bias)
    : input_size_(static_cast<int>(weight_x.cols())),
      hidden_size_(static_cast<int>(weight_h.cols())),
      bias_(bias.values) {
  const int64_t hidden = hidden_size_;
  weight_x_ = PanelMatrix::FromRowMajor(weight_x.values.data(), 3 * hidden, input_size_,
                                        ElementType::kFloat32);
  weight_h_rz_ =
      PanelMatrix::FromRowMajor(weight_h.values.data(), 2 * hidden, hidden, ElementType::kFloat32);
  weight_h_h_ =
      PanelMatrix::FromRowMajor(weight_h.row(2 * hidden), hidden, hidden, ElementType::kFloat32);
}

void GruCell::Step(const float* x, const float* h, float* h_out) const {
  const int hidden = hidden_size_;
  // gates: [0,3H) = W x + b; [3H,5H) = U_rz h; [5H,6H) = U_h (r ⊙ h); [6H,7H) = r ⊙ h.
  absl::InlinedVector<float, 7 * 1024> scratch(7 * static_cast<size_t>(hidden));
  float* gx = scratch.data();
  float* gh_rz = gx + 3 * hidden;
  float* gh_h = gh_rz + 2 * hidden;
  float* reset_h = gh_h + hidden;

  MatVec(weight_x_, x, bias_.data(), gx);
  MatVec(weight_h_rz_, h, nullptr, gh_rz);

  ArrayMap reset(gx, hidden);
  ArrayMap update(gx + hidden, hidden);
  reset = (reset + ConstArrayMap(gh_rz, hidden)).logistic();
  update = (update + ConstArrayMap(gh_rz + hidden, hidden)).logistic();
  ConstArrayMap h_prev(h, hidden);
  ArrayMap(reset_h, hidden) = reset * h_prev;

  MatVec(weight_h_h_, reset_h, nullptr, gh_h);
  ArrayMap candidate(gx + 2 * hidden, hidden);
  candidate = (candidate + ConstArrayMap(gh_h, hidden)).tanh();
  // h' = h + z (h~ - h); computed into h_out, which may alias h (h_prev is read first per lane).
  ArrayMap(h_out, hidden) = h_prev + update * (candidate - h_prev);
}

}  // namespace hrnn
