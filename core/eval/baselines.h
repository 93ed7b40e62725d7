// Non-neural next-item baselines for hrnn-eval (DESIGN §3): Pop, user-personal Pop, Item-KNN,
// V-SKNN and sequential rules (the last two call the recipes' code in core/recipes/), each
// scoring every item of the Dataset's vocabulary. A BaselineModel is built once from the training
// Dataset and is immutable (thread-safe); each thread takes its own, non-thread-safe
// NextItemScorer from NewScorer().
#ifndef HRNN_CORE_EVAL_BASELINES_H_
#define HRNN_CORE_EVAL_BASELINES_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/data/dataset.h"
#include "core/recipes/sequential_rules.h"
#include "core/recipes/session_knn.h"

namespace hrnn {

// One method's scores for the next click; one instance per thread (not thread-safe).
class NextItemScorer {
 public:
  virtual ~NextItemScorer() = default;
  // Called before a test user's sessions: the user's training history (nullptr if none).
  // `history` and `*history_user` must outlive the following Score() calls.
  virtual void BeginUser(const Dataset& history, const UserSpan* history_user) = 0;
  // Writes scores[i] for every item i (higher = better), given the clicks of the current
  // session so far. REQUIRES: session_prefix.size() >= 1, every click < num_items,
  // scores.size() == num_items of the training Dataset.
  virtual void Score(absl::Span<const int32_t> session_prefix, absl::Span<float> scores) = 0;
  // Called before each Score() and before EndSession() with the times (seconds since the
  // epoch) of the prefix's (the session's) clicks (same length; the span stays valid until the
  // next call). Default: ignored — only
  // the served recipes (recipe_scorer.h), whose sessions and decays follow the clock, use it.
  virtual void SetPrefixTimes(absl::Span<const int64_t> times) { (void)times; }
  // Called after the last prediction of each test session with all of its clicks, before the
  // next session's Score() calls (a model with a user state folds the session in here).
  // Default: nothing.
  virtual void EndSession(absl::Span<const int32_t> session) { (void)session; }
};

// A baseline fitted on a training Dataset. Immutable; thread-safe.
class BaselineModel {
 public:
  virtual ~BaselineModel() = default;
  // A fresh scorer for one thread; it may refer to this model, which must outlive it.
  virtual std::unique_ptr<NextItemScorer> NewScorer() const = 0;
  // Short method name for reports, e.g. "pop", "item-knn(self)".
  virtual std::string name() const = 0;
  // Size of the item vocabulary scored.
  virtual int64_t num_items() const = 0;
};

// Pop: score(i) = number of training clicks of i (counted from train.items). Ignores the user
// and the session; tied counts are ranked conservatively by the evaluator.
std::unique_ptr<BaselineModel> NewPopModel(const Dataset& train);

// PPop (user-personal popularity): score(i) = clicks of i in the user's own training history
// (the sessions of `history_user` given to BeginUser; not earlier test sessions) plus
// Pop(i) / (2 * (max Pop + 1)) < 0.5 as a tie-break. A user without history gets Pop's order.
// The counts are the `personal` recipe's scoring (core/recipes/personal_history.h) with no
// decay and session weight 0; the served recipe differs in holding 24 live items plus the
// training user's 100 most frequent (user_items.bin), its tuned decay and session weight, and
// its back-fill (docs/accuracy.md).
std::unique_ptr<BaselineModel> NewPersonalPopModel(const Dataset& train);

struct ItemKnnOptions {
  // Neighbours stored per item (the most similar, ties by lower item index). Default: 200.
  int neighbors = 200;
  // true: an item is its own best neighbour, sim(i, i) = 1, so the last click is recommended
  // again (strong where repeats are common); false: sim(i, i) = 0. Default: false.
  bool self_similarity = false;

  // InvalidArgument naming the field if neighbors < 1.
  absl::Status Validate() const;
};

// Item-KNN over session co-occurrence: with support(i) = number of training sessions containing
// i and co(i, j) = number of sessions containing both, sim(i, j) = co / sqrt(support(i) *
// support(j)) (the cosine of binary session vectors). score(i) = sim(last click, i); items not
// among the stored neighbours of the last click score 0. Fails only if options are invalid.
absl::StatusOr<std::unique_ptr<BaselineModel>> NewItemKnnModel(const Dataset& train,
                                                               const ItemKnnOptions& options);

// V-SKNN: the `sknn` recipe's SessionKnnIndex (core/recipes/session_knn.h, where the
// definition and SessionKnnOptions are) built from the training sessions (each with the time of
// its last click), scoring the current session prefix; the user is ignored. The current items
// are not excluded here (see NextItemEvalOptions::exclude_seen_items). Name "v-sknn". Fails only
// if options are invalid.
absl::StatusOr<std::unique_ptr<BaselineModel>> NewSessionKnnModel(const Dataset& train,
                                                                  const SessionKnnOptions& options);

// Sequential rules: the `sr` recipe's SequentialRules (core/recipes/sequential_rules.h, where
// the definition is) mined from the training sessions; score(i) = rule(last click -> i).
// Name "sr". Fails only if options are invalid.
absl::StatusOr<std::unique_ptr<BaselineModel>> NewSequentialRulesModel(
    const Dataset& train, const SequentialRulesOptions& options);

}  // namespace hrnn

#endif  // HRNN_CORE_EVAL_BASELINES_H_
