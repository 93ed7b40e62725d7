#include "core/train/losses.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "Eigen/Core"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace hrnn {
namespace {

// GRU4Rec's guard inside the logarithms.
constexpr double kLogGuard = 1e-24;
constexpr float kNegInf = -std::numeric_limits<float>::infinity();

// Scratch rows are padded to 16 floats and start 64-byte aligned, so that Eigen's vectorised
// exp takes the same packet / scalar-tail split for every row whatever the caller's addresses:
// results are bitwise reproducible.
constexpr int64_t kPadFloats = 16;
using AlignedArray = Eigen::Map<Eigen::ArrayXf, Eigen::AlignedMax>;
using ConstArray = Eigen::Map<const Eigen::ArrayXf>;

// Four scratch rows (o, e, a, b) of `cols` floats each, owned by one ComputeLossRows call.
class Workspace {
 public:
  explicit Workspace(int64_t cols)
      : cols_(cols), stride_((cols + kPadFloats - 1) / kPadFloats * kPadFloats),
        storage_(static_cast<size_t>(4 * stride_ + kPadFloats)) {
    const auto address = reinterpret_cast<uintptr_t>(storage_.data());
    const uintptr_t aligned = (address + 63) & ~uintptr_t{63};
    base_ = storage_.data() + (aligned - address) / sizeof(float);
  }
  AlignedArray Row(int index) { return AlignedArray(base_ + index * stride_, cols_); }

 private:
  int64_t cols_;
  int64_t stride_;
  std::vector<float> storage_;
  float* base_ = nullptr;
};

// sum_j f(j) for j in [0, n) in double with four interleaved accumulators: a fixed order, so
// the result is the same on every call.
template <typename F>
double Reduce(int64_t n, F f) {
  double acc0 = 0.0, acc1 = 0.0, acc2 = 0.0, acc3 = 0.0;
  int64_t j = 0;
  for (; j + 4 <= n; j += 4) {
    acc0 += f(j);
    acc1 += f(j + 1);
    acc2 += f(j + 2);
    acc3 += f(j + 3);
  }
  for (; j < n; ++j) acc0 += f(j);
  return (acc0 + acc1) + (acc2 + acc3);
}

// One row of the batch. `same_item` is null when the batch has no same-item mask.
struct RowInput {
  const float* scores;
  const uint8_t* same_item;
  int64_t cols;
  int32_t target;
};

// True when column j is neither the target nor a same-item column.
inline bool IsNegative(const RowInput& row, int64_t j) {
  return j != row.target && (row.same_item == nullptr || row.same_item[j] == 0);
}

// Maximum of o over the negatives of the row; -inf when there is none.
float MaxOverNegatives(const RowInput& row, const float* o) {
  float m = kNegInf;
  if (row.same_item == nullptr) {
    for (int64_t j = 0; j < row.target; ++j) m = std::max(m, o[j]);
    for (int64_t j = row.target + 1; j < row.cols; ++j) m = std::max(m, o[j]);
  } else {
    for (int64_t j = 0; j < row.cols; ++j) {
      if (IsNegative(row, j)) m = std::max(m, o[j]);
    }
  }
  return m;
}

// e = exp(o - m) over the negatives, 0 elsewhere; returns sum(e) (> 0: the max gives 1).
double NegativeSoftmaxNumerators(const RowInput& row, const AlignedArray& o, float m,
                                 AlignedArray& e) {
  e = (o - m).exp();
  e[row.target] = 0.0f;
  if (row.same_item != nullptr) {
    for (int64_t j = 0; j < row.cols; ++j) {
      if (row.same_item[j] != 0) e[j] = 0.0f;
    }
  }
  return Reduce(row.cols, [&](int64_t j) { return static_cast<double>(e[j]); });
}

// Cross-entropy: o = s - logq * log_q; p = softmax over target + negatives;
// loss = -log(p_t + 1e-24); grad = scale * (p - onehot(t)).
double CrossEntropyRow(const LossOptions& options, absl::Span<const float> log_q,
                       const RowInput& row, float scale, Workspace& ws, float* grad) {
  AlignedArray o = ws.Row(0);
  AlignedArray e = ws.Row(1);
  const ConstArray s(row.scores, row.cols);
  if (options.logq > 0.0f) {
    o = s - options.logq * ConstArray(log_q.data(), row.cols);
  } else {
    o = s;
  }
  const float m = std::max(MaxOverNegatives(row, o.data()), o[row.target]);
  const double z = NegativeSoftmaxNumerators(row, o, m, e) + std::exp(o[row.target] - m);
  // log p_t in double: exact even where exp(o_t - m) underflows in float.
  const double log_p_target = (static_cast<double>(o[row.target]) - m) - std::log(z);
  const double loss = -std::log(std::exp(log_p_target) + kLogGuard);
  const auto factor = static_cast<float>(scale / z);
  for (int64_t j = 0; j < row.cols; ++j) grad[j] = e[j] * factor;
  grad[row.target] = static_cast<float>(scale * (std::exp(log_p_target) - 1.0));
  return loss;
}

// BPR-max: o = ELU(s) (optional); w = softmax over the negatives; sig_j = σ(o_t - o_j);
// A = Σ w_j sig_j, R = Σ w_j o_j²; loss = -log(A + ε) + λ R. With dw_j/do_k = w_j(δ_jk - w_k):
//   dL/do_k = w_k [ -(sig_k² - A) / (A + ε) + λ (o_k² + 2 o_k - R) ]   (k a negative)
//   dL/do_t = -Σ_j w_j sig_j (1 - sig_j) / (A + ε)
// and through the ELU, do/ds = 1 for s > 0, else o + alpha.
double BprMaxRow(const LossOptions& options, const RowInput& row, float scale, Workspace& ws,
                 float* grad) {
  AlignedArray o = ws.Row(0);
  AlignedArray w = ws.Row(1);
  AlignedArray sig = ws.Row(2);
  const ConstArray s(row.scores, row.cols);
  const float alpha = options.elu_param;
  if (alpha > 0.0f) {
    o = (s > 0.0f).select(s, alpha * (s.exp() - 1.0f));
  } else {
    o = s;
  }
  const float m = MaxOverNegatives(row, o.data());
  if (m == kNegInf) {  // No negatives: nothing to rank against.
    std::fill(grad, grad + row.cols, 0.0f);
    return 0.0;
  }
  const double z = NegativeSoftmaxNumerators(row, o, m, w);
  w *= static_cast<float>(1.0 / z);
  const float o_t = o[row.target];
  sig = ((o - o_t).exp() + 1.0f).inverse();
  const double a = Reduce(row.cols, [&](int64_t j) {
    return static_cast<double>(w[j]) * sig[j];
  });
  const double r = Reduce(row.cols, [&](int64_t j) {
    return static_cast<double>(w[j]) * o[j] * o[j];
  });
  const double d = Reduce(row.cols, [&](int64_t j) {
    return static_cast<double>(w[j]) * sig[j] * (1.0f - sig[j]);
  });
  const double bpreg = options.bpreg;
  const double loss = -std::log(a + kLogGuard) + bpreg * r;
  const double inv = 1.0 / (a + kLogGuard);
  const auto c_inv = static_cast<float>(inv);
  const auto c_a = static_cast<float>(a);
  const auto c_reg = static_cast<float>(bpreg);
  const auto c_r = static_cast<float>(r);
  for (int64_t j = 0; j < row.cols; ++j) {
    const float ok = o[j];
    const float sk = sig[j];
    grad[j] = scale * w[j] * (c_reg * (ok * ok + 2.0f * ok - c_r) - (sk * sk - c_a) * c_inv);
  }
  grad[row.target] = static_cast<float>(-scale * d * inv);
  if (row.same_item != nullptr) {  // w = 0 there already; also clear any 0 * inf.
    for (int64_t j = 0; j < row.cols; ++j) {
      if (row.same_item[j] != 0 && j != row.target) grad[j] = 0.0f;
    }
  }
  if (alpha > 0.0f) {
    for (int64_t j = 0; j < row.cols; ++j) {
      grad[j] *= row.scores[j] > 0.0f ? 1.0f : o[j] + alpha;
    }
  }
  return loss;
}

// TOP1-max: w = softmax over the negatives; a_j = σ(o_j - o_t), b_j = σ(o_j²), g = a + b;
// loss = L = Σ w_j g_j.
//   dL/do_k = w_k [ g_k - L + a_k (1 - a_k) + 2 o_k b_k (1 - b_k) ]   (k a negative)
//   dL/do_t = -Σ_j w_j a_j (1 - a_j)
double Top1MaxRow(const RowInput& row, float scale, Workspace& ws, float* grad) {
  const ConstArray o(row.scores, row.cols);
  AlignedArray w = ws.Row(1);
  AlignedArray sa = ws.Row(2);
  AlignedArray sb = ws.Row(3);
  AlignedArray o_copy = ws.Row(0);
  o_copy = o;
  const float m = MaxOverNegatives(row, o_copy.data());
  if (m == kNegInf) {
    std::fill(grad, grad + row.cols, 0.0f);
    return 0.0;
  }
  const double z = NegativeSoftmaxNumerators(row, o_copy, m, w);
  w *= static_cast<float>(1.0 / z);
  const float o_t = o_copy[row.target];
  sa = ((o_t - o_copy).exp() + 1.0f).inverse();
  sb = ((-o_copy.square()).exp() + 1.0f).inverse();
  const double loss = Reduce(row.cols, [&](int64_t j) {
    return static_cast<double>(w[j]) * (sa[j] + sb[j]);
  });
  const double d = Reduce(row.cols, [&](int64_t j) {
    return static_cast<double>(w[j]) * sa[j] * (1.0f - sa[j]);
  });
  const auto c_loss = static_cast<float>(loss);
  for (int64_t j = 0; j < row.cols; ++j) {
    const float a = sa[j];
    const float b = sb[j];
    const float ok = o_copy[j];
    grad[j] = scale * w[j] * ((a + b - c_loss) + a * (1.0f - a) + 2.0f * ok * b * (1.0f - b));
  }
  grad[row.target] = static_cast<float>(-scale * d);
  if (row.same_item != nullptr) {
    for (int64_t j = 0; j < row.cols; ++j) {
      if (row.same_item[j] != 0 && j != row.target) grad[j] = 0.0f;
    }
  }
  return loss;
}

}  // namespace

absl::string_view LossKindName(LossKind kind) {
  switch (kind) {
    case LossKind::kCrossEntropy:
      return "xe";
    case LossKind::kBprMax:
      return "bpr-max";
    case LossKind::kTop1Max:
      return "top1-max";
  }
  return "unknown";
}

absl::StatusOr<LossKind> ParseLossKind(absl::string_view name) {
  for (LossKind kind : {LossKind::kCrossEntropy, LossKind::kBprMax, LossKind::kTop1Max}) {
    if (name == LossKindName(kind)) return kind;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("loss: unknown value \"", name, "\" (expected xe, bpr-max or top1-max)"));
}

double ComputeLossRows(const LossOptions& options, const LossInput& input, int64_t row_begin,
                       int64_t row_end, absl::Span<float> grad) {
  const int64_t rows = input.rows;
  const int64_t cols = input.cols;
  assert(rows >= 1 && cols >= 2);
  assert(0 <= row_begin && row_begin <= row_end && row_end <= rows);
  assert(static_cast<int64_t>(input.scores.size()) == rows * cols);
  assert(static_cast<int64_t>(grad.size()) == rows * cols);
  assert(static_cast<int64_t>(input.targets.size()) == rows);
  assert(input.same_item.empty() || static_cast<int64_t>(input.same_item.size()) == rows * cols);
  assert(options.kind != LossKind::kCrossEntropy || options.logq <= 0.0f ||
         static_cast<int64_t>(input.log_q.size()) == cols);
  if (row_begin >= row_end) return 0.0;
  const float scale = 1.0f / static_cast<float>(rows);
  Workspace ws(cols);
  double sum = 0.0;
  for (int64_t r = row_begin; r < row_end; ++r) {
    RowInput row;
    row.scores = input.scores.data() + r * cols;
    row.same_item = input.same_item.empty() ? nullptr : input.same_item.data() + r * cols;
    row.cols = cols;
    row.target = input.targets[r];
    assert(row.target >= 0 && row.target < cols);
    float* row_grad = grad.data() + r * cols;
    switch (options.kind) {
      case LossKind::kCrossEntropy:
        sum += CrossEntropyRow(options, input.log_q, row, scale, ws, row_grad);
        break;
      case LossKind::kBprMax:
        sum += BprMaxRow(options, row, scale, ws, row_grad);
        break;
      case LossKind::kTop1Max:
        sum += Top1MaxRow(row, scale, ws, row_grad);
        break;
    }
  }
  return sum;
}

double ComputeLoss(const LossOptions& options, const LossInput& input, absl::Span<float> grad) {
  return ComputeLossRows(options, input, 0, input.rows, grad) / static_cast<double>(input.rows);
}

}  // namespace hrnn
