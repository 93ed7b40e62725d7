// The ranking losses of GRU4Rec / HRNN training over one mini-batch's score matrix
// (DESIGN §2): cross-entropy over the sampled columns with logQ correction, BPR-max (optional
// ELU on the scores, score regularisation) and TOP1-max. Each returns the mean loss over the
// active rows and writes dLoss/dScores. Stateless; safe to call concurrently on distinct data.
#ifndef HRNN_CORE_TRAIN_LOSSES_H_
#define HRNN_CORE_TRAIN_LOSSES_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace hrnn {

enum class LossKind { kCrossEntropy, kBprMax, kTop1Max };

// "xe", "bpr-max", "top1-max" (the --loss names of hrnn-train).
absl::string_view LossKindName(LossKind kind);
absl::StatusOr<LossKind> ParseLossKind(absl::string_view name);

struct LossOptions {
  // Default: kCrossEntropy.
  LossKind kind = LossKind::kCrossEntropy;
  // Cross-entropy only: weight of the logQ correction, scores[r][j] -= logq * log_q[j] before the
  // softmax (log_q[j] is the log sampling probability of column j). 0 disables it. Default: 1.
  float logq = 1.0f;
  // BPR-max only: weight of the score regularisation sum_j softmax(neg)_j * score_j^2.
  // Default: 1.
  float bpreg = 1.0f;
  // BPR-max only: when > 0, scores pass through ELU(alpha = elu_param) first. Default: 0 (off).
  float elu_param = 0.0f;
};

// One mini-batch: `scores` is a row-major [rows x cols] matrix (row r = one training pair,
// column j = one candidate item). Row r's positive is column targets[r]; every other column of
// the row is a negative, except columns listed as equal to the target in `same_item`
// (same_item[r * cols + j] != 0 means column j is the same item as row r's target, so it is
// neither a positive nor a negative; may be empty = no such columns). `log_q` has `cols`
// entries (used by cross-entropy with logq > 0).
struct LossInput {
  absl::Span<const float> scores;
  int64_t rows = 0;
  int64_t cols = 0;
  absl::Span<const int32_t> targets;
  absl::Span<const uint8_t> same_item;
  absl::Span<const float> log_q;
};

// Returns the mean loss over the rows and writes d(mean loss)/d(scores) into `grad`
// (rows x cols, row-major; every entry written). Numerically stable (max-shifted softmax).
// Same-item columns get gradient 0. A BPR-max / TOP1-max row without any negative column adds
// loss 0 and gradient 0. Cross-entropy's row loss is -log(p_target + 1e-24) (as GRU4Rec), its
// gradient that of -log(p_target), i.e. (softmax - onehot) / rows.
// REQUIRES: rows >= 1, cols >= 2, scores.size() == grad.size() == rows * cols, targets.size()
// == rows with values in [0, cols), same_item empty or rows * cols, and log_q.size() == cols
// when kind is kCrossEntropy with logq > 0.
double ComputeLoss(const LossOptions& options, const LossInput& input, absl::Span<float> grad);

// The same computation for rows [row_begin, row_end) only, so that a trainer can split the rows
// across threads: returns the SUM of those rows' losses and writes those rows of `grad` (still
// d(mean over all input.rows)/d(scores), i.e. scaled by 1 / input.rows); other rows are left
// untouched. ComputeLoss(o, in, g) == ComputeLossRows(o, in, 0, in.rows, g) / in.rows, and each
// row's result does not depend on the range it was computed in.
// REQUIRES: as ComputeLoss, and 0 <= row_begin <= row_end <= input.rows.
double ComputeLossRows(const LossOptions& options, const LossInput& input, int64_t row_begin,
                       int64_t row_end, absl::Span<float> grad);

}  // namespace hrnn

#endif  // HRNN_CORE_TRAIN_LOSSES_H_
