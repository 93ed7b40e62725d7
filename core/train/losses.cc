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
// exp takes the same packet / scalar-tail split for every row whatever the caller's addresses
// (its packet and scalar exp differ in the last bit): results are bitwise reproducible. Plain
// arithmetic is exact-IEEE in both paths, so it may also run on the caller's `grad`.
constexpr int64_t kPadFloats = 16;
using AlignedArray = Eigen::Map<Eigen::ArrayXf, Eigen::AlignedMax>;
using ConstArray = Eigen::Map<const Eigen::ArrayXf>;
using GradArray = Eigen::Map<Eigen::ArrayXf>;

// Four scratch rows of `cols` floats and the excluded-column list, owned by one
// ComputeLossRows call.
class Workspace {
 public:
  explicit Workspace(int64_t cols)
      : cols_(cols),
        stride_((cols + kPadFloats - 1) / kPadFloats * kPadFloats),
        storage_(static_cast<size_t>(4 * stride_ + kPadFloats)) {
    const auto address = reinterpret_cast<uintptr_t>(storage_.data());
    const uintptr_t aligned = (address + 63) & ~uintptr_t{63};
    base_ = storage_.data() + (aligned - address) / sizeof(float);
    same_item.reserve(static_cast<size_t>(cols));
    saved.reserve(static_cast<size_t>(cols));
  }
  AlignedArray Row(int index) { return AlignedArray(base_ + index * stride_, cols_); }

  std::vector<int32_t> same_item;  // Same-item columns of the current row, target excluded.
  std::vector<float> saved;        // MaskedExp's copy of o at those columns.

 private:
  int64_t cols_;
  int64_t stride_;
  std::vector<float> storage_;
  float* base_ = nullptr;
};

// sum_j f(j) for j in [0, n) in double with four interleaved accumulators: a fixed order, so
// the result is the same on every call (and the compiler can vectorise it).
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

// Fills `out` with the row's same-item columns other than the target. The mask is mostly zero:
// it is scanned eight bytes at a time.
void CollectSameItem(const RowInput& row, std::vector<int32_t>& out) {
  out.clear();
  if (row.same_item == nullptr) return;
  const uint8_t* mask = row.same_item;
  int64_t j = 0;
  for (; j + 8 <= row.cols; j += 8) {
    uint64_t word;
    std::memcpy(&word, mask + j, sizeof(word));
    if (word == 0) continue;
    for (int64_t k = j; k < j + 8; ++k) {
      if (mask[k] != 0 && k != row.target) out.push_back(static_cast<int32_t>(k));
    }
  }
  for (; j < row.cols; ++j) {
    if (mask[j] != 0 && j != row.target) out.push_back(static_cast<int32_t>(j));
  }
}

// Writes e = exp(o - m) with zeros at `excluded` (and at the target when `exclude_target`),
// where m is the max of o over the other columns; returns m (-inf when no column is left).
// `o` is restored before returning.
float MaskedExp(const RowInput& row, bool exclude_target, Workspace& ws, AlignedArray& o,
                AlignedArray& e) {
  const std::vector<int32_t>& excluded = ws.same_item;
  ws.saved.clear();
  for (int32_t j : excluded) {
    ws.saved.push_back(o[j]);
    o[j] = kNegInf;
  }
  const float o_target = o[row.target];
  if (exclude_target) o[row.target] = kNegInf;
  const float m = o.maxCoeff();
  if (m != kNegInf) e = (o - m).exp();
  for (size_t k = 0; k < excluded.size(); ++k) {
    e[excluded[k]] = 0.0f;
    o[excluded[k]] = ws.saved[k];
  }
  if (exclude_target) e[row.target] = 0.0f;
  o[row.target] = o_target;
  return m;
}

// [x > 0] for |x| >= 2^-127, as a vectorisable Eigen expression.
auto StepPositive(const ConstArray& x) { return (x.max(0.0f) * 0x1p127f).min(1.0f); }

double Sum(const AlignedArray& x) {
  return Reduce(x.size(), [&](int64_t j) { return static_cast<double>(x[j]); });
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
  CollectSameItem(row, ws.same_item);
  const float m = MaskedExp(row, /*exclude_target=*/false, ws, o, e);
  const double z = Sum(e);
  // log p_t in double: exact even where exp(o_t - m) underflows in float.
  const double log_p_target = (static_cast<double>(o[row.target]) - m) - std::log(z);
  const double loss = -std::log(std::exp(log_p_target) + kLogGuard);
  GradArray(grad, row.cols) = e * static_cast<float>(scale / z);
  grad[row.target] = static_cast<float>(scale * (std::exp(log_p_target) - 1.0));
  return loss;
}

// Sigmoids of o_t - o_j from the softmax numerators e_j = exp(o_j - m) in [0, 1] and
// e_t = exp(o_t - m): sig = σ(o_t - o_j) = e_t / (e_t + e_j), sig_c = 1 - sig =
// e_j / (e_t + e_j), both without cancellation. e_t is clamped to [FLT_MIN, 2^100] so that
// nothing is 0 / 0 or inf / inf; the sigmoids are saturated in float long before that.
void PairSigmoids(float o_target, float m, const AlignedArray& e, AlignedArray& sig,
                  AlignedArray& sig_c) {
  const float e_t = std::clamp(std::exp(std::min(o_target - m, 80.0f)),
                               std::numeric_limits<float>::min(), 0x1p100f);
  sig_c = (e + e_t).inverse();
  sig = sig_c * e_t;
  sig_c *= e;
}

// BPR-max: o = ELU(s) (optional); w = softmax over the negatives; sig_j = σ(o_t - o_j);
// A = Σ w_j sig_j, R = Σ w_j o_j²; loss = -log(A + ε) + λ R. With dw_j/do_k = w_j(δ_jk - w_k):
//   dL/do_k = w_k [ -(sig_k² - A) / (A + ε) + λ (o_k² + 2 o_k - R) ]   (k a negative)
//   dL/do_t = -Σ_j w_j sig_j (1 - sig_j) / (A + ε)
// and through the ELU, do/ds = 1 for s > 0, else o + alpha.
double BprMaxRow(const LossOptions& options, const RowInput& row, float scale, Workspace& ws,
                 float* grad) {
  AlignedArray o = ws.Row(0);
  AlignedArray e = ws.Row(1);
  AlignedArray sig = ws.Row(2);
  AlignedArray sig_c = ws.Row(3);
  const ConstArray s(row.scores, row.cols);
  const float alpha = options.elu_param;
  if (alpha > 0.0f) {
    // max(s, 0) + alpha (exp(min(s, 0)) - 1): exactly s for s > 0 (Eigen's select and
    // comparisons are not vectorised).
    o = s.max(0.0f) + alpha * (s.min(0.0f).exp() - 1.0f);
  } else {
    o = s;
  }
  CollectSameItem(row, ws.same_item);
  const float m = MaskedExp(row, /*exclude_target=*/true, ws, o, e);
  GradArray g(grad, row.cols);
  if (m == kNegInf) {  // No negatives: nothing to rank against.
    g.setZero();
    return 0.0;
  }
  PairSigmoids(o[row.target], m, e, sig, sig_c);
  const double inv_z = 1.0 / Sum(e);
  const double a =
      inv_z * Reduce(row.cols, [&](int64_t j) { return static_cast<double>(e[j] * sig[j]); });
  const double r = inv_z * Reduce(row.cols, [&](int64_t j) {
                     return static_cast<double>(e[j] * (o[j] * o[j]));
                   });
  const double d = inv_z * Reduce(row.cols, [&](int64_t j) {
                     return static_cast<double>(e[j] * (sig[j] * sig_c[j]));
                   });
  const double bpreg = options.bpreg;
  const double loss = -std::log(a + kLogGuard) + bpreg * r;
  const double inv = 1.0 / (a + kLogGuard);
  const auto c_w = static_cast<float>(scale * inv_z);
  const auto c_inv = static_cast<float>(inv);
  const auto c_a = static_cast<float>(a);
  const auto c_reg = static_cast<float>(bpreg);
  const auto c_r = static_cast<float>(r);
  g = (e * c_w) * (c_reg * (o * o + 2.0f * o - c_r) - (sig * sig - c_a) * c_inv);
  for (int32_t j : ws.same_item) g[j] = 0.0f;  // e = 0 there; also clears any 0 * inf.
  g[row.target] = static_cast<float>(-scale * d * inv);
  if (alpha > 0.0f) {
    // do/ds = h + (1 - h)(o + alpha) with the step h = [s > 0] written as min(max(s, 0) 2^127, 1),
    // vectorisable (exact for |s| >= 2^-127; below that the kink is a matter of taste).
    g *= StepPositive(s) + (1.0f - StepPositive(s)) * (o + alpha);
  }
  return loss;
}

// TOP1-max: w = softmax over the negatives; a_j = σ(o_j - o_t), b_j = σ(o_j²), g = a + b;
// loss = L = Σ w_j g_j.
//   dL/do_k = w_k [ g_k - L + a_k (1 - a_k) + 2 o_k b_k (1 - b_k) ]   (k a negative)
//   dL/do_t = -Σ_j w_j a_j (1 - a_j)
// (a_j is 1 - sig_j of BPR-max.)
double Top1MaxRow(const RowInput& row, float scale, Workspace& ws, float* grad) {
  AlignedArray o = ws.Row(0);
  AlignedArray e = ws.Row(1);
  AlignedArray a_c = ws.Row(2);  // 1 - a
  AlignedArray a = ws.Row(3);
  o = ConstArray(row.scores, row.cols);
  CollectSameItem(row, ws.same_item);
  const float m = MaskedExp(row, /*exclude_target=*/true, ws, o, e);
  GradArray g(grad, row.cols);
  if (m == kNegInf) {
    g.setZero();
    return 0.0;
  }
  PairSigmoids(o[row.target], m, e, a_c, a);
  const double inv_z = 1.0 / Sum(e);
  const double d = inv_z * Reduce(row.cols, [&](int64_t j) {
                     return static_cast<double>(e[j] * (a[j] * a_c[j]));
                   });
  // b = σ(o²) overwrites o's scratch row after o² is read; o itself stays readable from s.
  const ConstArray s(row.scores, row.cols);
  AlignedArray b = ws.Row(0);
  b = ((-s.square()).exp() + 1.0f).inverse();
  const double loss = inv_z * Reduce(row.cols, [&](int64_t j) {
                        return static_cast<double>(e[j] * (a[j] + b[j]));
                      });
  const auto c_w = static_cast<float>(scale * inv_z);
  const auto c_loss = static_cast<float>(loss);
  g = (e * c_w) * ((a + b - c_loss) + a * a_c + 2.0f * s * b * (1.0f - b));
  for (int32_t j : ws.same_item) g[j] = 0.0f;
  g[row.target] = static_cast<float>(-scale * d);
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
