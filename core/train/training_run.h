// RunTraining: the whole of hrnn-train as a library call — read the logs, prepare sessions,
// optionally carve a validation split, train epoch by epoch with progress, per-epoch
// checkpoints and early stopping, and write the model directory (DESIGN §2, §4, §10).
// Reentrant (each call owns its data); `cancel` may be set from a signal handler.
#ifndef HRNN_CORE_TRAIN_TRAINING_RUN_H_
#define HRNN_CORE_TRAIN_TRAINING_RUN_H_

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/data/interaction_reader.h"
#include "core/data/sessionizer.h"
#include "core/recipes/recipe_files.h"
#include "core/train/trainer.h"

namespace hrnn {

struct TrainingRunOptions {
  std::vector<std::string> inputs;  // Interaction files. Required.
  // Model root (the next free integer version is written under it) or, when its last path
  // component is an integer, the explicit version directory. Required.
  std::string output;
  ReaderOptions reader;
  DataOptions data;
  TrainOptions train;
  // Hold out each training user's last session for validation, evaluate after every epoch and
  // keep the best epoch's weights (Recall@20). When no user has a second session (anonymous
  // sessions: each user is one session, as in YooChoose), the sessions that start in the last
  // validation_window_seconds of the log are held out instead (GRU4Rec's protocol). Default:
  // false.
  bool validation = false;
  // The time window of the fallback above; > 0. Default: 1 day.
  int64_t validation_window_seconds = 24 * 3600;
  // With validation: once the epoch count (and the recipes' settings and blend) are chosen on
  // the validation split, train the GRU again from its initial weights on every prepared session
  // (validation included) for that many epochs and write that model, as GRU4Rec's protocol does
  // after tuning; the recipes' validation figures stay those of the validation-time model.
  // Costs one more training run. Default: false (hrnn-train's --refit defaults to true).
  bool refit = false;
  // With validation: stop after this many epochs without improvement (0 = never). Default: 3.
  int patience = 3;
  // The recipes of the version (recipes.json's "recipes", "default" and component settings;
  // "hrnn" is always included). The training sessions (train and validation) go to
  // sessions.bin. Default: RecipeSettings's (hrnn alone, no recipe files) — hrnn-train's
  // --recipes flag sets the list.
  RecipeSettings recipes;
  // Write sessions.bin and recipes.json (false: a GRU-only version as before the recipes).
  bool write_recipes = false;
  // With validation, the recipes' figures (and the auto blend's weights) are measured on the
  // validation split (recipe_training.h: FitRecipes); a blend worse than its best component is
  // refused unless allow_worse. "auto" requires validation. Default: false.
  bool allow_worse = false;
  // The items CSV (core/catalogue/items_csv.h: ITEM_ID, attribute fields, optional
  // CREATION_TIMESTAMP), read before training (a bad file stops the run) and written to the
  // version as item_attributes.csv in canonical form, every row kept (items without
  // interactions too). Default: "" (no item attributes).
  std::string items_file;
  // Write <output root>/checkpoints/epoch-N after each epoch. Default: true.
  bool checkpoints = true;
  // Progress sink: lines to print (a TTY progress bar is drawn by the caller's sink).
  std::function<void(const std::string&)> log = nullptr;
  std::function<void(const TrainProgress&)> progress = nullptr;

  absl::Status Validate() const;
};

struct TrainingRunResult {
  std::string model_dir;  // The version directory written.
  PrepareStats prepare;
  std::vector<EpochStats> epochs;
  double pairs_per_second = 0;            // Over all completed epochs.
  bool cancelled = false;                 // Interrupted: only a checkpoint was written, no version.
  std::string checkpoint_dir;             // The last checkpoint written ("" if none).
  int best_epoch = 0;                     // With validation: the epoch whose weights were kept.
  std::vector<EpochStats> refit_epochs;   // With refit: the epochs on all prepared sessions.
  std::map<std::string, double> metrics;  // Recorded in config.json.
};

absl::StatusOr<TrainingRunResult> RunTraining(const TrainingRunOptions& options,
                                              const std::atomic<bool>* cancel);

}  // namespace hrnn

#endif  // HRNN_CORE_TRAIN_TRAINING_RUN_H_
