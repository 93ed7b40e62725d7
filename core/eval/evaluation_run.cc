#include "core/eval/evaluation_run.h"

#include <algorithm>
#include <filesystem>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/base/status_macros.h"
#include "core/data/dataset_writer.h"
#include "core/data/tie_shuffle.h"
#include "core/eval/list_metrics.h"
#include "core/eval/network_scorer.h"
#include "core/eval/recipe_scorer.h"
#include "core/eval/scorer_evaluator.h"
#include "core/model/model_directory.h"
#include "core/serving/serving_model.h"

namespace hrnn {
namespace {

namespace fs = std::filesystem;

constexpr const char* kBaselineNames[] = {"pop", "ppop", "iknn", "iknn-self", "vsknn", "sr"};

void Log(const EvaluationRunOptions& options, const std::string& line) {
  if (options.log) options.log(line);
}

absl::StatusOr<PreparedData> ReadAndPrepare(const std::vector<std::string>& paths,
                                            const EvaluationRunOptions& options,
                                            const DataOptions& data, const std::string& what) {
  HRNN_ASSIGN_OR_RETURN(RawLog raw, ReadInteractions(paths, options.reader));
  Log(options, absl::StrFormat("%s: read %d rows from %d file(s) (%d malformed, skipped)", what,
                               raw.stats.rows, raw.stats.files, raw.stats.malformed));
  for (const std::string& error : raw.stats.first_errors) Log(options, "  " + error);
  return PrepareDataset(std::move(raw), data);
}

int64_t LastTimestamp(const Dataset& data) {
  int64_t last = 0;
  for (int64_t t : data.timestamps) last = std::max(last, t);
  return last;
}

DatasetSplit SplitWith(const Dataset& data, const EvaluationRunOptions& options) {
  if (options.split == "time") {
    const int64_t cut = LastTimestamp(data) - static_cast<int64_t>(options.test_days * 86400.0);
    return SplitByTime(data, cut);
  }
  return SplitLastSession(data);
}

struct LoadedData {
  DatasetSplit split;
  std::string split_name;
  std::string summary;
};

absl::StatusOr<LoadedData> LoadSplit(const EvaluationRunOptions& options) {
  LoadedData loaded;
  if (!options.inputs.empty()) {
    HRNN_ASSIGN_OR_RETURN(PreparedData prepared,
                          ReadAndPrepare(options.inputs, options, options.data, "input"));
    loaded.summary = "input: " + prepared.stats.ToString();
    loaded.split = SplitWith(prepared.dataset, options);
    loaded.split_name = options.split;
  } else {
    HRNN_ASSIGN_OR_RETURN(PreparedData train,
                          ReadAndPrepare(options.train_inputs, options, options.data, "train"));
    DataOptions test_data = options.data;
    test_data.min_item_support = 1;
    test_data.min_session_length = 1;
    test_data.min_sessions_per_user = 1;
    HRNN_ASSIGN_OR_RETURN(PreparedData test,
                          ReadAndPrepare(options.test_inputs, options, test_data, "test"));
    loaded.summary = absl::StrCat("train file(s): ", train.stats.ToString(),
                                  "test file(s): ", test.stats.ToString());
    loaded.split = AlignGivenSplit(std::move(train.dataset), test.dataset);
    loaded.split_name = "given";
  }
  if (options.validation) {
    Log(options, "test side set aside; validation carved from train: " + options.split);
    DatasetSplit validation = SplitWith(loaded.split.train, options);
    loaded.split = std::move(validation);
    loaded.split_name = options.split + " (validation carved from train)";
  }
  return loaded;
}

std::string BaselineDescription(const std::string& name, const EvaluationRunOptions& options) {
  if (name == "pop") return "training click counts; ignores user and session";
  if (name == "ppop") {
    return "clicks in the user's own training history, Pop as tie-break; ignores the session";
  }
  if (name == "iknn") {
    return "Item-KNN, session co-occurrence cosine to the current item; an item is not its "
           "own neighbour (the current item scores 0)";
  }
  if (name == "iknn-self") {
    return "Item-KNN as iknn but sim(i, i) = 1: the current item is recommended first";
  }
  if (name == "sr") {
    return absl::StrCat(
        "sequential rules: a click a before b adds 1/distance to the rule a -> b (up to ",
        options.sequential_rules.max_distance, " clicks apart; the ",
        options.sequential_rules.max_rules_per_item,
        " strongest rules per item kept); scores are the rules from the current item");
  }
  return absl::StrCat("V-SKNN, session kNN with linear position decay, ",
                      options.session_knn.similarity == SessionSimilarity::kVec
                          ? "session-rec's vec similarity"
                          : "cosine similarity",
                      "; current items are not excluded");
}

absl::StatusOr<std::unique_ptr<BaselineModel>> NewBaseline(const std::string& name,
                                                           const Dataset& train,
                                                           const EvaluationRunOptions& options) {
  if (name == "pop") return NewPopModel(train);
  if (name == "ppop") return NewPersonalPopModel(train);
  if (name == "iknn" || name == "iknn-self") {
    ItemKnnOptions knn = options.item_knn;
    knn.self_similarity = name == "iknn-self";
    return NewItemKnnModel(train, knn);
  }
  if (name == "vsknn") return NewSessionKnnModel(train, options.session_knn);
  if (name == "sr") return NewSequentialRulesModel(train, options.sequential_rules);
  return absl::InvalidArgumentError(absl::StrCat("--baselines: unknown baseline \"", name,
                                                 "\" (use pop, ppop, iknn, iknn-self, vsknn, sr)"));
}

// A model directory: the directory itself when it holds config.json, else its latest version.
absl::StatusOr<std::string> ResolveModelDir(const std::string& dir) {
  std::error_code error;
  if (fs::exists(fs::path(dir) / kConfigFileName, error)) return dir;
  return LatestModelVersionDir(dir);
}

struct Method {
  MethodResult result;
  std::unique_ptr<BaselineModel> model;
  std::shared_ptr<const HrnnNetwork> network;  // Models only.
  std::string baseline;                        // Baselines only: the name to refit.
};

NextItemEvalOptions EvalOptions(const EvaluationRunOptions& options, const std::string& method) {
  NextItemEvalOptions eval;
  eval.cutoffs = options.cutoffs;
  eval.max_predictions = options.max_predictions;
  eval.threads = options.threads;
  eval.exclude_seen_items = options.exclude_seen;
  if (options.progress) {
    eval.progress = [&options, method](int64_t done, int64_t total) {
      options.progress(method, done, total);
    };
  }
  return eval;
}

}  // namespace

int EvaluationRunOptions::headline_k() const {
  if (std::find(cutoffs.begin(), cutoffs.end(), 20) != cutoffs.end()) return 20;
  return cutoffs.empty() ? 20 : *std::max_element(cutoffs.begin(), cutoffs.end());
}

absl::Status EvaluationRunOptions::Validate() const {
  const bool given = !train_inputs.empty() || !test_inputs.empty();
  if (given && !inputs.empty()) {
    return absl::InvalidArgumentError("give either --input or --train and --test, not both");
  }
  if (!given && inputs.empty()) {
    return absl::InvalidArgumentError("no data: give --input, or --train and --test");
  }
  if (given && (train_inputs.empty() || test_inputs.empty())) {
    return absl::InvalidArgumentError("--train and --test must be given together");
  }
  if (split != "last-session" && split != "time") {
    return absl::InvalidArgumentError(
        absl::StrCat("--split must be last-session or time, got \"", split, "\""));
  }
  if (!(test_days > 0)) return absl::InvalidArgumentError("--test_days must be > 0");
  if (!model_names.empty() && model_names.size() != models.size()) {
    return absl::InvalidArgumentError("--model_names must name every --model, in order");
  }
  for (const std::string& name : baselines) {
    if (std::find(std::begin(kBaselineNames), std::end(kBaselineNames), name) ==
        std::end(kBaselineNames)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--baselines: unknown baseline \"", name,
                       "\" (use pop, ppop, iknn, iknn-self, vsknn, sr)"));
    }
  }
  if (models.empty() && baselines.empty()) {
    return absl::InvalidArgumentError("nothing to evaluate: give --model or --baselines");
  }
  if (cutoffs.empty()) return absl::InvalidArgumentError("--k must list at least one cutoff");
  for (int k : cutoffs) {
    if (k < 1) return absl::InvalidArgumentError("--k: every cutoff must be >= 1");
  }
  if (list_size < 1) return absl::InvalidArgumentError("--list_size must be >= 1");
  if ((all_recipes || !recipes.empty()) && models.empty()) {
    return absl::InvalidArgumentError("--recipes needs --model (the recipes are a model's)");
  }
  if (threads < 1) return absl::InvalidArgumentError("--threads must be >= 1");
  if (max_predictions < 0) return absl::InvalidArgumentError("--max_predictions must be >= 0");
  HRNN_RETURN_IF_ERROR(bootstrap.Validate());
  HRNN_RETURN_IF_ERROR(item_knn.Validate());
  HRNN_RETURN_IF_ERROR(session_knn.Validate());
  HRNN_RETURN_IF_ERROR(reader.Validate());
  return data.Validate();
}

absl::StatusOr<EvaluationReport> RunEvaluation(const EvaluationRunOptions& options) {
  HRNN_RETURN_IF_ERROR(options.Validate());
  HRNN_ASSIGN_OR_RETURN(LoadedData loaded, LoadSplit(options));
  const Dataset& train = loaded.split.train;
  const Dataset& test = loaded.split.test;
  Log(options,
      loaded.summary + "split " + loaded.split_name + ": " + loaded.split.stats.ToString());
  if (test.num_events() == 0) {
    return absl::InvalidArgumentError(
        "the test side is empty after cleaning (no session with 2 known items)");
  }
  if (!options.write_split_dir.empty()) {
    std::error_code error;
    fs::create_directories(options.write_split_dir, error);
    const std::string dir = options.write_split_dir;
    HRNN_RETURN_IF_ERROR(WriteDatasetCsv(train, (fs::path(dir) / "train.csv").string()));
    HRNN_RETURN_IF_ERROR(WriteDatasetCsv(test, (fs::path(dir) / "test.csv").string()));
    Log(options, "split written to " + dir + "/{train,test}.csv");
  }

  EvaluationReport report;
  report.split = loaded.split_name;
  report.split_stats = loaded.split.stats;
  report.data_summary = loaded.summary;
  report.catalogue_items = train.num_items();
  report.train_timestamp_ties = CountTimestampTies(train);
  report.test_timestamp_ties = CountTimestampTies(test);
  report.exclude_seen = options.exclude_seen;
  report.cutoffs = options.cutoffs;
  report.headline_k = options.headline_k();
  report.list_size = options.list_size;
  report.bootstrap = options.bootstrap;
  report.tie_shuffle = options.tie_shuffle && report.test_timestamp_ties > 0;
  report.tie_shuffle_seed = options.tie_shuffle_seed;
  report.protocol = absl::StrFormat(
      "split %s; next-item prediction over all %d training items; test items unknown to train "
      "removed, test sessions shorter than 2 dropped; conservative ties; items already clicked "
      "in the session %s",
      loaded.split_name, train.num_items(),
      options.exclude_seen ? "are NOT recommendable (--exclude_seen)"
                           : "are recommendable (repeats count as hits)");

  std::vector<Method> methods;
  for (const std::string& name : options.baselines) {
    Method method;
    HRNN_ASSIGN_OR_RETURN(method.model, NewBaseline(name, train, options));
    method.baseline = name;
    method.result.name = name;
    method.result.kind = "baseline";
    method.result.description = BaselineDescription(name, options);
    methods.push_back(std::move(method));
  }
  for (size_t m = 0; m < options.models.size(); ++m) {
    Method method;
    HRNN_ASSIGN_OR_RETURN(const std::string dir, ResolveModelDir(options.models[m]));
    HRNN_ASSIGN_OR_RETURN(std::shared_ptr<const Model> model, ReadModelDirectory(dir));
    HRNN_ASSIGN_OR_RETURN(method.network, HrnnNetwork::Create(model));
    const ModelConfig& config = model->config();
    MethodResult& result = method.result;
    result.kind = std::string(ModelModeName(config.mode));
    result.source = dir;
    result.name = options.model_names.empty() ? absl::StrCat(result.kind, " (", dir, ")")
                                              : options.model_names[m];
    result.description =
        absl::StrFormat("%s GRU, hidden %d, loss %s; scores every item it knows (repeats included)",
                        result.kind, config.hidden_size, config.loss.empty() ? "?" : config.loss);
    NetworkModelInfo info;
    HRNN_ASSIGN_OR_RETURN(method.model, NewNetworkModel(method.network, train, result.name, &info));
    result.items_unknown_to_model = info.items_unknown_to_model;
    if (info.items_unknown_to_model > 0) {
      Log(options, absl::StrFormat("%s: %d of %d catalogue items unknown to the model (scored "
                                   "-inf); train it on the same training side",
                                   dir, info.items_unknown_to_model, info.catalogue_items));
    }
    // Recipe rows are named after this model's row (methods.back() moves on as they are added).
    const std::string model_name = method.result.name;
    methods.push_back(std::move(method));

    if (options.recipes.empty() && !options.all_recipes) continue;
    HRNN_ASSIGN_OR_RETURN(std::shared_ptr<const ServingModel> serving,
                          LoadServingModel(dir, NetworkOptions(), SessionPolicy(), 0));
    for (RecipeKind kind : options.all_recipes ? AllRecipeKinds() : options.recipes) {
      if (options.all_recipes && !serving->Serves(kind)) continue;
      Method recipe;
      MethodResult& row = recipe.result;
      row.kind = "recipe";
      row.source = dir;
      row.name = options.models.size() == 1
                     ? std::string(RecipeKindName(kind))
                     : absl::StrCat(RecipeKindName(kind), " (", model_name, ")");
      // "sr" is also a baseline's name: the served recipe's row says so.
      if (std::find(options.baselines.begin(), options.baselines.end(), row.name) !=
          options.baselines.end()) {
        row.name += " (served)";
      }
      row.description = absl::StrFormat(
          "the %s recipe as served (recommendation pipeline, list of %d; ties by popularity as "
          "served)",
          RecipeKindName(kind), options.list_size);
      absl::StatusOr<std::unique_ptr<BaselineModel>> scorer = NewRecipeModel(
          serving, kind, train,
          std::max(options.list_size,
                   *std::max_element(options.cutoffs.begin(), options.cutoffs.end())),
          row.name);
      if (!scorer.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("--recipes: ", dir, ": ", scorer.status().message()));
      }
      recipe.model = *std::move(scorer);
      methods.push_back(std::move(recipe));
    }
  }

  const int k = report.headline_k;
  for (Method& method : methods) {
    MethodResult& result = method.result;
    NextItemEvalOptions eval = EvalOptions(options, result.name);
    eval.list_size = options.list_size;
    const absl::Time start = absl::Now();
    result.metrics = EvaluateScorer(*method.model, train, test, eval);
    result.seconds = absl::ToDoubleSeconds(absl::Now() - start);
    report.test_predictions = result.metrics.predictions;
    result.coverage = CatalogueCoverage(result.metrics.recommended);
    result.popularity_percentile =
        MeanPopularityPercentile(result.metrics.recommended, train.item_counts);
    const std::vector<int64_t> offsets = PredictionGroupOffsets(test, result.metrics.predictions);
    result.recall_ci =
        BootstrapInterval(result.metrics.ranks, offsets, RankMetric::kRecall, k, options.bootstrap);
    result.mrr_ci =
        BootstrapInterval(result.metrics.ranks, offsets, RankMetric::kMrr, k, options.bootstrap);
    Log(options,
        absl::StrFormat("%s: Recall@%d %.4f MRR@%d %.4f (%d predictions, %.1f s)", result.name, k,
                        result.metrics.recall.at(k), k, result.metrics.mrr.at(k),
                        result.metrics.predictions, result.seconds));
  }

  if (report.tie_shuffle) {
    Log(options, absl::StrFormat("tie shuffle: %d tied test pairs, %d tied train pairs; "
                                 "re-evaluating with ties shuffled (seed %d)",
                                 report.test_timestamp_ties, report.train_timestamp_ties,
                                 options.tie_shuffle_seed));
    const Dataset shuffled_train = ShuffleTimestampTies(train, options.tie_shuffle_seed);
    const Dataset shuffled_test = ShuffleTimestampTies(test, options.tie_shuffle_seed + 1);
    for (Method& method : methods) {
      MethodResult& result = method.result;
      std::unique_ptr<BaselineModel> refit;
      const BaselineModel* model = method.model.get();
      if (!method.baseline.empty()) {
        HRNN_ASSIGN_OR_RETURN(refit, NewBaseline(method.baseline, shuffled_train, options));
        model = refit.get();
      }
      NextItemEvalOptions eval = EvalOptions(options, result.name + " (ties shuffled)");
      const NextItemMetrics shuffled = EvaluateScorer(*model, shuffled_train, shuffled_test, eval);
      result.tie_shuffled = true;
      result.tie_shuffled_recall = shuffled.recall.at(k);
      result.tie_shuffled_mrr = shuffled.mrr.at(k);
    }
  }
  for (Method& method : methods) report.methods.push_back(std::move(method.result));
  return report;
}

}  // namespace hrnn
