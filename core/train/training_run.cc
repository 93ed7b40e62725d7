#include "core/train/training_run.h"

#include <algorithm>
#include <filesystem>
#include <optional>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/base/status_macros.h"
#include "core/catalogue/items_csv.h"
#include "core/data/split.h"
#include "core/eval/next_item_evaluator.h"
#include "core/model/hrnn_network.h"
#include "core/model/model_directory.h"
#include "core/train/recipe_training.h"

namespace hrnn {
namespace {

namespace fs = std::filesystem;

// Splits `output` into (model root, explicit version dir or "").
std::pair<std::string, std::string> ResolveOutput(const std::string& output) {
  const fs::path path = fs::path(output).lexically_normal();
  const std::string last = path.filename().string();
  int64_t version = 0;
  if (!last.empty() && absl::SimpleAtoi(last, &version) && version > 0 &&
      last == absl::StrCat(version)) {
    return {path.parent_path().string(), path.string()};
  }
  return {path.string(), ""};
}

absl::Status WriteCheckpoint(const Model& model, const std::string& dir) {
  std::error_code error;
  fs::remove_all(dir, error);  // A rerun replaces an old checkpoint of the same epoch.
  return WriteModelDirectory(model, dir);
}

}  // namespace

absl::Status TrainingRunOptions::Validate() const {
  if (inputs.empty()) return absl::InvalidArgumentError("--input names no file");
  if (output.empty()) return absl::InvalidArgumentError("--output must name a model directory");
  if (patience < 0) return absl::InvalidArgumentError("--patience must be >= 0");
  if (validation_window_seconds <= 0) {
    return absl::InvalidArgumentError("--validation_window must be positive");
  }
  HRNN_RETURN_IF_ERROR(reader.Validate());
  HRNN_RETURN_IF_ERROR(data.Validate());
  if (write_recipes) {
    RecipeSettings check = recipes;
    if (check.Serves(RecipeKind::kAuto) && check.blend.empty()) check.blend = {{"hrnn", 1.0}};
    if (absl::Status status = check.Validate(); !status.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--recipes: ", status.message()));
    }
    if (recipes.Serves(RecipeKind::kAuto) && !validation) {
      return absl::InvalidArgumentError(
          "--recipes=auto: the blend is fit on a validation split; add --validation");
    }
  }
  return train.Validate();
}

absl::StatusOr<TrainingRunResult> RunTraining(const TrainingRunOptions& options,
                                              const std::atomic<bool>* cancel) {
  HRNN_RETURN_IF_ERROR(options.Validate());
  if (const std::string version = ResolveOutput(options.output).second;
      !version.empty() && fs::exists(version)) {
    // Versions are immutable: refuse before spending the training time.
    return absl::AlreadyExistsError(
        absl::StrCat("--output: model version ", version, " already exists"));
  }
  auto log = [&](const std::string& line) {
    if (options.log) options.log(line);
  };
  TrainingRunResult result;

  std::optional<ItemAttributes> item_attributes;
  if (!options.items_file.empty()) {
    absl::StatusOr<ItemAttributes> read = ReadItemsCsvFile(options.items_file);
    if (!read.ok()) {
      return absl::Status(read.status().code(), absl::StrCat("--items: ", read.status().message()));
    }
    item_attributes = *std::move(read);
    std::string fields;
    for (const AttributeField& field : item_attributes->fields()) {
      absl::StrAppend(&fields, fields.empty() ? "" : ", ", field.name, " (",
                      AttributeKindName(field.kind), ")");
    }
    log(absl::StrFormat("read %d items from %s; fields: %s", item_attributes->num_rows(),
                        options.items_file, fields.empty() ? "none" : fields));
  }
  HRNN_ASSIGN_OR_RETURN(RawLog raw, ReadInteractions(options.inputs, options.reader));
  log(absl::StrFormat("read %d rows from %d file(s) (%d malformed, skipped)", raw.stats.rows,
                      raw.stats.files, raw.stats.malformed));
  for (const std::string& error : raw.stats.first_errors) log("  " + error);
  HRNN_ASSIGN_OR_RETURN(PreparedData prepared, PrepareDataset(std::move(raw), options.data));
  result.prepare = prepared.stats;
  log(prepared.stats.ToString());
  const std::string fingerprint = DatasetFingerprint(prepared.dataset);
  // The recipes index every prepared session; validation sessions included (the GRU's epoch
  // choice is the only thing validation decides here).
  TrainingSessions all_sessions;
  UserItemHistory all_users;
  std::vector<std::string> all_item_ids;  // The indexing of all_* (the split re-indexes).
  if (options.write_recipes) {
    all_sessions = TrainingSessionsOf(prepared.dataset);
    if (options.recipes.Serves(RecipeKind::kPersonal)) {  // user_items.bin is personal's.
      all_users = UserItemHistoryOf(prepared.dataset, kUserItemsPerUser);
    }
    all_item_ids = prepared.dataset.item_ids;
  }

  // The refit learns from every prepared session once validation has chosen the epochs.
  Dataset all_data;
  if (options.validation && options.refit) all_data = prepared.dataset;
  Dataset train = std::move(prepared.dataset);
  Dataset validation;
  std::string validation_kind = "none";
  if (options.validation) {
    DatasetSplit split = SplitLastSession(train);
    validation_kind = "last-session";
    if (split.test.num_events() == 0 && train.num_events() > 0) {
      // Anonymous sessions: hold out the last window of the log instead.
      const int64_t last = *std::max_element(train.timestamps.begin(), train.timestamps.end());
      const int64_t cut = last - options.validation_window_seconds;
      log(absl::StrFormat(
          "validation: no user has a second session to hold out; holding out "
          "the sessions that start in the last %s of the log (after %d)",
          absl::FormatDuration(absl::Seconds(options.validation_window_seconds)), cut));
      split = SplitByTime(train, cut);
      validation_kind = absl::StrCat("time:", options.validation_window_seconds);
    }
    log("validation split: " + split.stats.ToString());
    if (split.test.num_events() == 0) {
      return absl::InvalidArgumentError(
          "--validation: no user has a second session to hold out, and no session of two or "
          "more known items starts in the last --validation_window of the log; train without "
          "--validation (and without auto)");
    }
    train = std::move(split.train);
    validation = std::move(split.test);
  }
  HRNN_ASSIGN_OR_RETURN(std::unique_ptr<Trainer> trainer, Trainer::Create(train, options.train));

  const auto [root, explicit_version] = ResolveOutput(options.output);
  ModelConfig provenance;
  provenance.data_fingerprint = fingerprint;
  provenance.training = options.train.ToMap();
  for (size_t i = 0; i < options.inputs.size(); ++i) {
    provenance.training[absl::StrCat("input", i)] = options.inputs[i];
  }
  provenance.training["session_gap_seconds"] = absl::StrCat(options.data.session_gap_seconds);
  provenance.training["min_item_support"] = absl::StrCat(options.data.min_item_support);
  provenance.training["filter_fixpoint"] = options.data.filter_fixpoint ? "true" : "false";
  provenance.training["validation"] = validation_kind;

  std::shared_ptr<const Model> best_model;
  double best_recall = -1;
  int epochs_without_gain = 0;
  int64_t pairs = 0;
  double seconds = 0;
  for (int epoch = 1; epoch <= options.train.epochs; ++epoch) {
    EpochStats stats = trainer->TrainEpoch(options.progress, cancel);
    result.epochs.push_back(stats);
    if (!stats.cancelled) {
      pairs += stats.pairs;
      seconds += stats.seconds;
    }
    log(absl::StrFormat("epoch %d: %d pairs, loss %.4f, %.0f pairs/s, %.1f s%s", stats.epoch,
                        stats.pairs, stats.mean_loss, stats.PairsPerSecond(), stats.seconds,
                        stats.cancelled ? " (interrupted)" : ""));
    ModelConfig epoch_provenance = provenance;
    epoch_provenance.created_at =
        absl::FormatTime(absl::RFC3339_sec, absl::Now(), absl::UTCTimeZone());
    epoch_provenance.metrics["epochs"] = trainer->epochs_done();
    epoch_provenance.metrics["train_loss"] = stats.mean_loss;
    HRNN_ASSIGN_OR_RETURN(std::shared_ptr<const Model> model,
                          trainer->ExportModel(epoch_provenance));
    if (options.checkpoints || stats.cancelled) {
      result.checkpoint_dir =
          (fs::path(root) / "checkpoints" /
           absl::StrCat("epoch-", stats.epoch, stats.cancelled ? "-interrupted" : ""))
              .string();
      HRNN_RETURN_IF_ERROR(WriteCheckpoint(*model, result.checkpoint_dir));
      log("checkpoint: " + result.checkpoint_dir);
    }
    if (stats.cancelled) {
      result.cancelled = true;
      return result;
    }
    if (options.validation) {
      HRNN_ASSIGN_OR_RETURN(auto network, HrnnNetwork::Create(model));
      NextItemEvalOptions eval_options;
      eval_options.threads = options.train.threads;
      const NextItemMetrics metrics = EvaluateNextItem(*network, train, validation, eval_options);
      log(absl::StrFormat("epoch %d validation: Recall@20 %.4f MRR@20 %.4f (%d predictions)",
                          stats.epoch, metrics.recall.at(20), metrics.mrr.at(20),
                          metrics.predictions));
      if (metrics.recall.at(20) > best_recall) {
        best_recall = metrics.recall.at(20);
        result.best_epoch = stats.epoch;
        result.metrics = {{"validation_recall_at_20", metrics.recall.at(20)},
                          {"validation_mrr_at_20", metrics.mrr.at(20)},
                          {"best_epoch", stats.epoch}};
        best_model = model;
        epochs_without_gain = 0;
      } else if (options.patience > 0 && ++epochs_without_gain >= options.patience) {
        log(absl::StrFormat("early stop: no gain for %d epochs; keeping epoch %d", options.patience,
                            result.best_epoch));
        break;
      }
    } else {
      best_model = model;
      result.best_epoch = stats.epoch;
    }
  }
  result.pairs_per_second = seconds > 0 ? pairs / seconds : 0;
  if (best_model == nullptr) {  // epochs == 0: export the initial weights.
    HRNN_ASSIGN_OR_RETURN(best_model, trainer->ExportModel(provenance));
  }
  // Record the run's metrics in the final config.json.
  ModelConfig final_config = best_model->config();
  for (const auto& [name, value] : result.metrics) final_config.metrics[name] = value;
  final_config.metrics["train_pairs_per_second"] = result.pairs_per_second;
  HRNN_ASSIGN_OR_RETURN(std::shared_ptr<const Model> final_model,
                        Model::Create(final_config, best_model->tensors(), best_model->items()));
  if (!explicit_version.empty()) {
    result.model_dir = explicit_version;
  } else {
    HRNN_ASSIGN_OR_RETURN(result.model_dir, NextModelVersionDir(root));
  }
  RecipeSettings recipes = options.recipes;
  if (options.write_recipes && options.validation) {
    HRNN_ASSIGN_OR_RETURN(auto network, HrnnNetwork::Create(final_model));
    RecipeFitOptions fit;
    fit.threads = options.train.threads;
    fit.allow_worse = options.allow_worse;
    fit.log = options.log;
    HRNN_ASSIGN_OR_RETURN(recipes, FitRecipes(std::move(recipes), network, train, validation, fit));
  }
  if (options.validation && options.refit) {
    log(
        absl::StrFormat("refit: training %d epoch(s) again on all %d prepared sessions "
                        "(validation included)",
                        result.best_epoch, all_data.sessions.size()));
    HRNN_ASSIGN_OR_RETURN(std::unique_ptr<Trainer> refit, Trainer::Create(all_data, options.train));
    for (int epoch = 1; epoch <= result.best_epoch; ++epoch) {
      EpochStats stats = refit->TrainEpoch(options.progress, cancel);
      result.refit_epochs.push_back(stats);
      log(absl::StrFormat("refit epoch %d: %d pairs, loss %.4f, %.0f pairs/s, %.1f s%s",
                          stats.epoch, stats.pairs, stats.mean_loss, stats.PairsPerSecond(),
                          stats.seconds, stats.cancelled ? " (interrupted)" : ""));
      if (stats.cancelled) {  // Nothing is written: the version would not be what was asked.
        result.cancelled = true;
        return result;
      }
    }
    ModelConfig refit_config = provenance;
    refit_config.created_at = absl::FormatTime(absl::RFC3339_sec, absl::Now(), absl::UTCTimeZone());
    refit_config.training["refit"] = "true";
    for (const auto& [name, value] : final_config.metrics) refit_config.metrics[name] = value;
    refit_config.metrics["epochs"] = refit->epochs_done();
    HRNN_ASSIGN_OR_RETURN(std::shared_ptr<const Model> refit_model,
                          refit->ExportModel(refit_config));
    final_model = std::move(refit_model);
  }
  std::map<std::string, std::string> extra_files;
  if (options.write_recipes) {
    all_sessions = MapToVocabulary(all_sessions, all_item_ids, final_model->items());
    all_users = MapToVocabulary(all_users, all_item_ids, final_model->items(), kUserItemsPerUser);
    HRNN_ASSIGN_OR_RETURN(extra_files, RecipeFiles(all_sessions, all_users, recipes));
    std::string names;
    for (RecipeKind kind : options.recipes.recipes) {
      absl::StrAppend(&names, names.empty() ? "" : ", ", RecipeKindName(kind));
    }
    log(absl::StrFormat("recipes: %s (default %s); %d sessions, %d clicks in sessions.bin%s", names,
                        RecipeKindName(options.recipes.default_recipe), all_sessions.num_sessions(),
                        all_sessions.items.size(),
                        extra_files.contains(kUserItemsFileName)
                            ? absl::StrFormat("; %d users, %d items in user_items.bin",
                                              all_users.num_users(), all_users.num_entries())
                            : ""));
  }
  if (item_attributes.has_value()) {
    int64_t covered = 0;
    const ItemVocabulary& items = final_model->items();
    for (int64_t i = 0; i < items.size(); ++i) {
      covered += item_attributes->FindRow(items.id(i)).has_value() ? 1 : 0;
    }
    log(
        absl::StrFormat("item attributes: %d of the model's %d items have a row; %d rows are "
                        "items without training interactions",
                        covered, items.size(), item_attributes->num_rows() - covered));
    extra_files[kItemAttributesFileName] = SerializeItemsCsv(*item_attributes);
  }
  HRNN_RETURN_IF_ERROR(WriteModelDirectory(*final_model, result.model_dir, extra_files));
  log("model: " + result.model_dir);
  return result;
}

}  // namespace hrnn
