// The `sr` recipe (DESIGN §2b): sequential rules (Ludewig & Jannach 2018; session-rec's
// algorithms/baselines/sr.py): rules a -> b mined from past sessions, scored from the last click.
// One implementation for serving and for hrnn-eval's "sr" baseline. SequentialRules is immutable
// once built and thread-safe.
#ifndef HRNN_CORE_RECIPES_SEQUENTIAL_RULES_H_
#define HRNN_CORE_RECIPES_SEQUENTIAL_RULES_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/recipes/sparse_scores.h"

namespace hrnn {

struct SequentialRulesOptions {
  // Largest distance d (in clicks) between a and a later b that makes a rule. Default: 10
  // (DESIGN §2b; session-rec's steps=10).
  int max_distance = 10;
  // Rules kept per antecedent item: the strongest, ties by the lower item index. Default: 20
  // (session-rec's pruning=20).
  int max_rules_per_item = 20;

  // InvalidArgument naming the field if max_distance < 1 or max_rules_per_item < 1.
  absl::Status Validate() const;
};

// One mined rule a -> item with its weight.
struct SequentialRule {
  int32_t item;
  float weight;
};

// Exactly: for every past session (clicks in order, repeats kept) and every pair of positions
// p < q with d = q - p <= max_distance, rule(s[p] -> s[q]) += 1 / d (session-rec's `div`
// weighting). Every occurrence counts (a pair seen twice in one session adds twice) and
// a -> a is a rule like any other (a repeat). Then each item keeps its max_rules_per_item
// strongest rules. score(i) = rule(last click of the prefix -> i); earlier clicks are ignored.
// session-rec's final division by the maximum is not done here (it does not change ranks;
// SparseScores::NormalizeByMax does it for the blend).
class SequentialRules {
 public:
  // Mines `sessions` (each a span of item indices in click order; the spans need not outlive
  // the call). Errors: InvalidArgument if options are invalid, num_items < 0, or an item is
  // outside [0, num_items) (naming the session and position).
  static absl::StatusOr<std::unique_ptr<const SequentialRules>> Build(
      int32_t num_items, absl::Span<const absl::Span<const int32_t>> sessions,
      const SequentialRulesOptions& options);

  // Adds rule(prefix.back() -> i) for every kept rule into *scores; an empty prefix adds
  // nothing. Errors: InvalidArgument if the last click is outside [0, num_items()).
  // REQUIRES: scores->num_items() == num_items().
  absl::Status Score(absl::Span<const int32_t> prefix, SparseScores* scores) const;

  // The kept rules from `item`, strongest first (ties by lower item). REQUIRES: 0 <= item <
  // num_items().
  absl::Span<const SequentialRule> RulesFrom(int32_t item) const;

  int32_t num_items() const { return static_cast<int32_t>(rule_begin_.size()) - 1; }
  const SequentialRulesOptions& options() const { return options_; }

 private:
  SequentialRules() = default;

  SequentialRulesOptions options_;
  std::vector<int64_t> rule_begin_;  // CSR over rules_, by antecedent item.
  std::vector<SequentialRule> rules_;
};

}  // namespace hrnn

#endif  // HRNN_CORE_RECIPES_SEQUENTIAL_RULES_H_
