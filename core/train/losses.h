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
// REQUIRES: rows >= 1, cols >= 2, targets in [0, cols), grad.size() == rows * cols.
double ComputeLoss(const LossOptions& options, const LossInput& input, absl::Span<float> grad);

}  // namespace hrnn

#endif  // HRNN_CORE_TRAIN_LOSSES_H_
