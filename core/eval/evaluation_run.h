// RunEvaluation: the whole of hrnn-eval as a library call (DESIGN §3, §10) — read and prepare
// the data as hrnn-train does, split it (given train/test files, last session per user, or by
// time; optionally a validation split carved from train), evaluate every requested baseline and
// model directory on the same split and catalogue, and collect the metrics, confidence
// intervals and timestamp-tie sensitivity in an EvaluationReport. Reentrant (each call owns its
// data).
#ifndef HRNN_CORE_EVAL_EVALUATION_RUN_H_
#define HRNN_CORE_EVAL_EVALUATION_RUN_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/data/interaction_reader.h"
#include "core/data/sessionizer.h"
#include "core/data/split.h"
#include "core/eval/baselines.h"
#include "core/eval/bootstrap.h"
#include "core/eval/next_item_evaluator.h"
#include "core/recipes/recipe_kind.h"

namespace hrnn {

struct EvaluationRunOptions {
  // Model roots (the highest version is used) or version directories. Default: none.
  std::vector<std::string> models;
  // Display names of the models, one per model; empty = "<mode> (<directory>)". Default: empty.
  std::vector<std::string> model_names;
  // Also evaluate these recipes of every model (core/eval/recipe_scorer.h: through the serving
  // pipeline), one row each named by the recipe ("<recipe> (<model name>)" with several
  // models); all_recipes = every recipe the model serves. A recipe a model does not serve is
  // an error unless all_recipes. Default: none (the GRU row only).
  std::vector<RecipeKind> recipes;
  bool all_recipes = false;
  // Either given train and test files (both non-empty) ...
  std::vector<std::string> train_inputs;
  std::vector<std::string> test_inputs;
  // ... or one log that RunEvaluation splits itself.
  std::vector<std::string> inputs;
  // "last-session" (each user's last session is test; HRNN protocol) or "time" (sessions
  // starting in the last test_days days are test; GRU4Rec protocol). With given files it names
  // their protocol and how a validation split is carved. Default: "last-session".
  std::string split = "last-session";
  // Time split: days at the end of the log whose sessions are test. Default: 1.
  double test_days = 1.0;
  // Evaluate on a validation split carved from the training side with the same protocol
  // (the test side is not used), for tuning. Default: false.
  bool validation = false;
  // Baselines: any of pop, ppop, iknn (no self-similarity), iknn-self, vsknn, sr.
  // Default: all six.
  std::vector<std::string> baselines = {"pop", "ppop", "iknn", "iknn-self", "vsknn", "sr"};
  ItemKnnOptions item_knn;
  SessionKnnOptions session_knn;
  SequentialRulesOptions sequential_rules;
  // Metric cutoffs; the headline cutoff is 20 when listed, else the largest. Default: 5, 10, 20.
  std::vector<int> cutoffs = {5, 10, 20};
  // Length of the recommended list for coverage and popularity. Default: 20.
  int list_size = 20;
  // Items already clicked in the current session are not recommendable. Default: false.
  bool exclude_seen = false;
  // Evaluation threads. Default: 2.
  int threads = 2;
  // Evaluate at most this many predictions per method (0 = all). Default: 0.
  int64_t max_predictions = 0;
  BootstrapOptions bootstrap;
  // Also evaluate every method with tied timestamps shuffled inside sessions (baselines refit
  // on the shuffled training side; models are not retrained). Default: true.
  bool tie_shuffle = true;
  // Seed of the tie shuffle. Default: 7.
  uint64_t tie_shuffle_seed = 7;
  ReaderOptions reader;
  // Data preparation, as hrnn-train's flags. For a given test file the item-support, session
  // length and sessions-per-user filters are not applied (the split's own cleaning is).
  DataOptions data;
  // When non-empty, train.csv and test.csv of the split are written here. Default: "".
  std::string write_split_dir;
  // Progress sinks (stderr in hrnn-eval). Default: none.
  std::function<void(const std::string&)> log = nullptr;
  std::function<void(const std::string& method, int64_t done, int64_t total)> progress = nullptr;

  // InvalidArgument naming the flag for any inconsistent or out-of-range option.
  absl::Status Validate() const;
  int headline_k() const;
};

struct MethodResult {
  std::string name;                  // Display name.
  std::string kind;                  // "baseline" or the model mode ("session", "hrnn-init", ...).
  std::string source;                // Model version directory, or "".
  std::string description;           // How the method scores and treats the current item.
  NextItemMetrics metrics;           // Ranks and per-k metrics.
  double coverage = 0;               // Catalogue coverage of the top-list_size lists.
  double popularity_percentile = 0;  // Mean popularity percentile of recommended items.
  ConfidenceInterval recall_ci;      // At the headline k.
  ConfidenceInterval mrr_ci;
  bool tie_shuffled = false;  // The two values below were measured.
  double tie_shuffled_recall = 0;
  double tie_shuffled_mrr = 0;
  double seconds = 0;  // Evaluation time (without the tie-shuffled pass).
  int64_t items_unknown_to_model = 0;
};

struct EvaluationReport {
  std::string protocol;  // One line: the split and catalogue.
  std::string split;     // "given", "last-session" or "time", with " (validation)".
  SplitStats split_stats;
  std::string data_summary;  // PrepareStats of the inputs, human-readable.
  int64_t catalogue_items = 0;
  int64_t test_predictions = 0;
  int64_t train_timestamp_ties = 0;
  int64_t test_timestamp_ties = 0;
  bool exclude_seen = false;
  std::vector<int> cutoffs;
  int headline_k = 20;
  int list_size = 20;
  BootstrapOptions bootstrap;
  bool tie_shuffle = false;
  uint64_t tie_shuffle_seed = 0;
  std::vector<MethodResult> methods;
};

// Runs the evaluation. Errors: InvalidArgument from Validate() or for an unknown baseline; the
// reader's errors; a model directory's errors (prefixed by its path); InvalidArgument when the
// test side is empty after cleaning.
absl::StatusOr<EvaluationReport> RunEvaluation(const EvaluationRunOptions& options);

}  // namespace hrnn

#endif  // HRNN_CORE_EVAL_EVALUATION_RUN_H_
