// hrnn-train: learns an HRNN (or session-only GRU4Rec) model from interaction logs and writes a
// model directory (DESIGN §10). Flags are parsed here only; the work is RunTraining().
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "core/tools/data_flags.h"
#include "core/tools/flags_usage.h"
#include "core/train/recipe_training.h"
#include "core/train/training_run.h"

ABSL_FLAG(std::string, input, "",
          "Interaction log(s), comma-separated: Personalize CSV "
          "(USER_ID, ITEM_ID, TIMESTAMP[, EVENT_TYPE, EVENT_VALUE, SESSION_ID]) or GRU4Rec TSV "
          "(SessionId, ItemId, Time); gzip is detected. Required.");
ABSL_FLAG(std::string, items, "",
          "Items CSV (Personalize's items dataset: ITEM_ID, attribute fields with '|' between "
          "values, optional CREATION_TIMESTAMP; gzip is detected): stored in the version as "
          "item_attributes.csv for filters and GetModelInfo.");
ABSL_FLAG(std::string, output, "",
          "Model root: writes <output>/<next integer version>/; or an "
          "explicit version directory <root>/<N>. Checkpoints go to <root>/checkpoints/. "
          "Required.");
ABSL_FLAG(std::string, mode, "hrnn-init", "Model: hrnn-init, hrnn-all or session (GRU4Rec).");
ABSL_FLAG(std::string, loss, "xe",
          "Loss: xe (cross-entropy, sampled softmax), bpr-max or "
          "top1-max.");
ABSL_FLAG(int, hidden, 100, "Session GRU size H.");
ABSL_FLAG(int, user_hidden, 100, "User GRU size (HRNN modes).");
ABSL_FLAG(int, embedding, 0,
          "Separate input embedding size; 0 = constrained (the input "
          "embedding is the item's output row).");
ABSL_FLAG(int, epochs, 10, "Passes over the training data.");
ABSL_FLAG(int, batch, 32, "Mini-batch size (parallel users, or sessions in session mode).");
ABSL_FLAG(int, n_sample, 2048, "Shared negative samples per mini-batch.");
ABSL_FLAG(double, sample_alpha, 0.5, "Negatives are drawn with probability ∝ popularity^alpha.");
ABSL_FLAG(double, learning_rate, 0.05, "Adagrad learning rate.");
ABSL_FLAG(double, momentum, 0.0, "Momentum on the Adagrad step.");
ABSL_FLAG(double, dropout_embedding, 0.0, "Dropout on the item input embedding.");
ABSL_FLAG(double, dropout_hidden, 0.0, "Dropout on the session state before scoring.");
ABSL_FLAG(double, dropout_init, 0.0, "Dropout on the user-to-session initial state.");
ABSL_FLAG(double, logq, 1.0, "Cross-entropy: weight of the logQ sampling correction.");
ABSL_FLAG(double, bpreg, 1.0, "BPR-max: score regularisation weight.");
ABSL_FLAG(double, elu, 0.0, "BPR-max: ELU parameter applied to scores (0 = off).");
ABSL_FLAG(std::string, order, "random",
          "Order of users (sessions in session mode) per epoch: "
          "random (reshuffled each epoch) or time (by first click, as the official GRU4Rec).");
ABSL_FLAG(uint64_t, seed, 42, "Seed of every random choice.");
ABSL_FLAG(int, threads, 1, "Worker threads; results are identical for a fixed count.");
// The data-preparation flags (--format, --session_gap, the filters, ...): core/tools/data_flags.h.
ABSL_FLAG(bool, validation, false,
          "Hold out each user's last training session, evaluate "
          "Recall@20 after each epoch and keep the best epoch (early stopping).");
ABSL_FLAG(int, patience, 3, "With --validation: stop after this many epochs without gain.");
ABSL_FLAG(bool, refit, true,
          "With --validation: once the epochs (and the recipes' settings and blend) are chosen "
          "on the validation split, train the GRU again on every prepared session, validation "
          "included, for that many epochs and write that model (one more training run).");
ABSL_FLAG(absl::Duration, validation_window, absl::Hours(24),
          "With --validation on anonymous sessions (no user has a second session): the sessions "
          "starting in this last stretch of the log are the validation split (GRU4Rec's "
          "protocol; hrnn-eval --validation --split=time --test_days carves the same).");
ABSL_FLAG(bool, checkpoints, true, "Write <root>/checkpoints/epoch-N after every epoch.");
ABSL_FLAG(std::string, recipes, "auto",
          "Recipes of the model version (DESIGN §2b), comma-separated: hrnn, sknn, sr, personal, "
          "trending, auto (every component and their blend, fit on a validation split: turns "
          "--validation on); the first is the default a request without `recipe` gets. "
          "\"hrnn\" alone writes a GRU-only version (no recipe files).");
ABSL_FLAG(bool, allow_worse, false,
          "Keep an auto blend that is worse on validation than its best component (warns) "
          "instead of refusing to write the version.");
ABSL_FLAG(int, sknn_k, 100, "sknn: neighbour sessions kept (k).");
ABSL_FLAG(int, sknn_sample_size, 1000,
          "sknn: candidate sessions (the m most recent sharing an item with the session).");
ABSL_FLAG(int, sr_max_distance, 10, "sr: largest distance between the two items of a rule.");
ABSL_FLAG(absl::Duration, personal_half_life, absl::Hours(24 * 7),
          "personal: an interaction's weight halves every this long (inf: plain counts). With "
          "--validation the best of 1d..3650d, inf and this is chosen there.");
ABSL_FLAG(double, personal_session_weight, 1.0,
          "personal: the weight of the open session's clicks relative to earlier interactions "
          "(1: Personal Pop counting the current session; 0: ignoring it). With --validation the "
          "best of 0, 0.5, 1 and this is chosen there.");
ABSL_FLAG(absl::Duration, trending_half_life, absl::Hours(24),
          "trending: an event's weight halves every this long.");

namespace {

std::atomic<bool> g_cancel{false};

void HandleInterrupt(int) {
  if (g_cancel.exchange(true)) std::_Exit(130);  // Second Ctrl-C: leave at once.
}

int Fail(const std::string& message) {
  std::cerr << "hrnn-train: " << message << "\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Learns HRNN weights from interaction logs.\n"
      "  hrnn-train --input=FILE[,FILE] --output=MODEL_DIR [--items=ITEMS.csv]\n"
      "             [--mode=hrnn-init|hrnn-all|session]\n"
      "             [--loss=xe|bpr-max|top1-max] [--hidden=100] [--epochs=10] [--batch=32]\n"
      "             [--n_sample=2048] [--seed=42] [--threads=N] [--session_gap=30m]\n"
      "             [--format=auto|personalize|gru4rec] [--validation]\n"
      "             [--recipes=auto|hrnn,sknn,sr,personal,trending] [--allow_worse]\n"
      "Ctrl-C stops after the current step and writes a checkpoint (no model version).");
  hrnn::ShowFlagsFrom({"train_main", hrnn::kDataFlagsFile});
  const std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  if (positional.size() > 1) return Fail(absl::StrCat("unexpected argument: ", positional[1]));

  hrnn::TrainingRunOptions options;
  for (absl::string_view path :
       absl::StrSplit(absl::GetFlag(FLAGS_input), ',', absl::SkipEmpty())) {
    options.inputs.emplace_back(path);
  }
  options.output = absl::GetFlag(FLAGS_output);
  options.items_file = absl::GetFlag(FLAGS_items);
  absl::StatusOr<hrnn::ReaderOptions> reader = hrnn::ReaderOptionsFromFlags();
  if (!reader.ok()) return Fail(std::string(reader.status().message()));
  options.reader = *reader;
  auto mode = hrnn::ParseModelMode(absl::GetFlag(FLAGS_mode));
  if (!mode.ok()) return Fail(std::string(mode.status().message()));
  auto loss = hrnn::ParseLossKind(absl::GetFlag(FLAGS_loss));
  if (!loss.ok()) return Fail(std::string(loss.status().message()));

  hrnn::TrainOptions& train = options.train;
  train.mode = *mode;
  train.loss.kind = *loss;
  train.loss.logq = static_cast<float>(absl::GetFlag(FLAGS_logq));
  train.loss.bpreg = static_cast<float>(absl::GetFlag(FLAGS_bpreg));
  train.loss.elu_param = static_cast<float>(absl::GetFlag(FLAGS_elu));
  train.hidden_size = absl::GetFlag(FLAGS_hidden);
  train.user_hidden_size = absl::GetFlag(FLAGS_user_hidden);
  train.embedding_size = absl::GetFlag(FLAGS_embedding);
  train.epochs = absl::GetFlag(FLAGS_epochs);
  train.batch_size = absl::GetFlag(FLAGS_batch);
  train.n_sample = absl::GetFlag(FLAGS_n_sample);
  train.sample_alpha = static_cast<float>(absl::GetFlag(FLAGS_sample_alpha));
  train.learning_rate = static_cast<float>(absl::GetFlag(FLAGS_learning_rate));
  train.momentum = static_cast<float>(absl::GetFlag(FLAGS_momentum));
  train.dropout_embedding = static_cast<float>(absl::GetFlag(FLAGS_dropout_embedding));
  train.dropout_hidden = static_cast<float>(absl::GetFlag(FLAGS_dropout_hidden));
  train.dropout_init = static_cast<float>(absl::GetFlag(FLAGS_dropout_init));
  train.seed = absl::GetFlag(FLAGS_seed);
  const std::string order = absl::GetFlag(FLAGS_order);
  if (order != "random" && order != "time") {
    return Fail("--order must be random or time, got \"" + order + "\"");
  }
  train.order = order == "time" ? hrnn::UnitOrder::kTime : hrnn::UnitOrder::kRandom;
  train.threads = absl::GetFlag(FLAGS_threads);

  options.data = hrnn::DataOptionsFromFlags();
  options.validation = absl::GetFlag(FLAGS_validation);
  options.refit = absl::GetFlag(FLAGS_refit);
  options.validation_window_seconds = absl::ToInt64Seconds(absl::GetFlag(FLAGS_validation_window));
  options.patience = absl::GetFlag(FLAGS_patience);
  options.checkpoints = absl::GetFlag(FLAGS_checkpoints);
  absl::StatusOr<hrnn::RecipeSettings> recipes =
      hrnn::RecipeSettingsFromList(absl::GetFlag(FLAGS_recipes));
  if (!recipes.ok()) return Fail(absl::StrCat("--recipes: ", recipes.status().message()));
  options.recipes = *std::move(recipes);
  options.write_recipes = options.recipes.recipes.size() > 1;
  options.allow_worse = absl::GetFlag(FLAGS_allow_worse);
  if (options.recipes.Serves(hrnn::RecipeKind::kAuto) && !options.validation) {
    std::cerr << "hrnn-train: --recipes=auto fits its blend on a validation split: "
                 "holding out each user's last session, or the last --validation_window of "
                 "anonymous sessions (--validation)\n";
    options.validation = true;
  }
  options.recipes.sknn.k = absl::GetFlag(FLAGS_sknn_k);
  options.recipes.sknn.sample_size = absl::GetFlag(FLAGS_sknn_sample_size);
  options.recipes.sr.max_distance = absl::GetFlag(FLAGS_sr_max_distance);
  options.recipes.personal.half_life_seconds =
      absl::ToDoubleSeconds(absl::GetFlag(FLAGS_personal_half_life));
  options.recipes.personal.session_weight = absl::GetFlag(FLAGS_personal_session_weight);
  options.recipes.trending.half_life_seconds =
      absl::ToDoubleSeconds(absl::GetFlag(FLAGS_trending_half_life));
  if (absl::Status status = options.Validate(); !status.ok()) {
    return Fail(std::string(status.message()));
  }

  const bool tty = isatty(STDERR_FILENO) != 0;
  bool bar_open = false;
  options.log = [&](const std::string& line) {
    if (bar_open) std::cerr << "\n";
    bar_open = false;
    std::cerr << line << "\n";
  };
  absl::Time last_plain = absl::InfinitePast();
  options.progress = [&](const hrnn::TrainProgress& p) {
    const double fraction = p.pairs_total > 0 ? double(p.pairs_done) / p.pairs_total : 0;
    const double rate = p.seconds > 0 ? p.pairs_done / p.seconds : 0;
    const double eta = rate > 0 ? (p.pairs_total - p.pairs_done) / rate : 0;
    if (tty) {
      const int width = 30, filled = static_cast<int>(fraction * width);
      std::cerr << absl::StrFormat("\repoch %d [%s%s] %5.1f%% %.0f pairs/s loss %.4f ETA %.0fs ",
                                   p.epoch, std::string(filled, '#'),
                                   std::string(width - filled, '.'), 100 * fraction, rate,
                                   p.mean_loss, eta)
                << std::flush;
      bar_open = true;
    } else if (absl::Now() - last_plain > absl::Seconds(10)) {
      last_plain = absl::Now();
      std::cerr << absl::StrFormat("epoch %d: %.1f%% %.0f pairs/s loss %.4f ETA %.0fs\n", p.epoch,
                                   100 * fraction, rate, p.mean_loss, eta);
    }
  };
  std::signal(SIGINT, HandleInterrupt);
  std::signal(SIGTERM, HandleInterrupt);

  absl::StatusOr<hrnn::TrainingRunResult> result = hrnn::RunTraining(options, &g_cancel);
  if (!result.ok()) return Fail(result.status().ToString());
  if (result->cancelled) {
    std::cerr << "interrupted: checkpoint written to " << result->checkpoint_dir << "\n";
    return 130;
  }
  std::cout << absl::StrFormat("trained %s: %.0f pairs/s over %d epoch(s); model %s\n",
                               hrnn::ModelModeName(train.mode), result->pairs_per_second,
                               result->epochs.size(), result->model_dir);
  return 0;
}
