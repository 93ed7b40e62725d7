// hrnn-eval: offline next-item evaluation of model directories against baselines on one split
// (DESIGN §3, §10). Flags are parsed here only; the work is RunEvaluation().
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "core/eval/evaluation_run.h"
#include "core/eval/report_writer.h"
#include "core/tools/data_flags.h"
#include "core/tools/flags_usage.h"

ABSL_FLAG(std::string, model, "",
          "Model directories to evaluate, comma-separated: a model "
          "root (its highest version is used) or a version directory. Optional.");
ABSL_FLAG(std::string, model_names, "",
          "Display names for --model, comma-separated, same "
          "order (default: \"<mode> (<directory>)\").");
ABSL_FLAG(std::string, recipes, "",
          "Also evaluate recipes of each --model through the serving pipeline, one row each "
          "named by the recipe: all (every recipe the model serves) or a comma-separated list "
          "of hrnn, sknn, sr, personal, trending, auto. Default: none.");
ABSL_FLAG(std::string, train, "",
          "Given split: training log(s), comma-separated (the history "
          "replayed for each user, and what baselines are fitted on).");
ABSL_FLAG(std::string, test, "",
          "Given split: test log(s), comma-separated. Test items unknown "
          "to train are removed, then sessions shorter than 2 dropped (reported).");
ABSL_FLAG(std::string, input, "",
          "One log, comma-separated files, that hrnn-eval splits itself "
          "with --split (instead of --train/--test).");
ABSL_FLAG(std::string, split, "last-session",
          "last-session: each user's last session is test, "
          "earlier ones replayed (HRNN protocol); time: sessions starting in the last "
          "--test_days days are test (GRU4Rec protocol). With --train/--test: how --validation "
          "carves its split.");
ABSL_FLAG(double, test_days, 1.0, "--split=time: days at the end of the log that are test.");
ABSL_FLAG(bool, validation, false,
          "Evaluate on a validation split carved from the training "
          "side with --split's protocol (the test side is ignored): use it for tuning.");
ABSL_FLAG(std::string, write_split, "",
          "Write the evaluated split as DIR/train.csv and "
          "DIR/test.csv (Personalize CSV) so that hrnn-train can learn from the same train.");
ABSL_FLAG(std::string, baselines, "pop,ppop,iknn,iknn-self,vsknn,sr",
          "Baselines, comma-separated "
          "(empty = none): pop, ppop (user-personal pop), iknn (Item-KNN, no self-similarity), "
          "iknn-self (an item is its own nearest neighbour), vsknn (session kNN), sr (sequential "
          "rules).");
ABSL_FLAG(int, iknn_neighbors, 200, "Item-KNN: neighbours kept per item.");
ABSL_FLAG(int, vsknn_k, 100, "V-SKNN: neighbour sessions used.");
ABSL_FLAG(int, vsknn_sample, 1000, "V-SKNN: most recent candidate sessions considered.");
ABSL_FLAG(std::string, vsknn_similarity, "vec",
          "V-SKNN: vec (session-rec's: shared position weights / distinct session items) or "
          "cosine (also divides by ||w|| sqrt(neighbour length)).");
ABSL_FLAG(int, sr_max_distance, 10, "Sequential rules: largest distance in clicks of a rule.");
ABSL_FLAG(int, sr_max_rules, 20, "Sequential rules: strongest rules kept per item.");
ABSL_FLAG(std::string, k, "5,10,20",
          "Cutoffs for Recall/MRR/NDCG, comma-separated; the "
          "headline cutoff is 20 if listed, else the largest.");
ABSL_FLAG(int, list_size, 20, "Length of the recommended list for coverage and popularity.");
ABSL_FLAG(bool, exclude_seen, false,
          "Items already clicked in the current session (the current "
          "one included) are not recommendable; a repeated target keeps its own score. Stated in "
          "every report.");
ABSL_FLAG(int, threads, 2, "Evaluation threads (results do not depend on it).");
ABSL_FLAG(int64_t, max_predictions, 0, "Evaluate only the first N predictions (0 = all).");
ABSL_FLAG(int, bootstrap, 1000,
          "Bootstrap resamples of test users for the 95% intervals on "
          "the headline Recall and MRR.");
ABSL_FLAG(uint64_t, seed, 42, "Seed of the bootstrap.");
ABSL_FLAG(bool, tie_shuffle, true,
          "Also evaluate with equal-timestamp events shuffled inside "
          "sessions and report how much the headline metrics move (skipped when there are no "
          "ties).");
ABSL_FLAG(uint64_t, tie_seed, 7, "Seed of the tie shuffle.");
ABSL_FLAG(std::string, json, "", "Write the results as JSON to this file.");
ABSL_FLAG(std::string, report, "",
          "Write DIR/report.md, DIR/chart.svg (Recall@k and MRR@k per "
          "method) and DIR/report.json.");
// The data-preparation flags (--format, --session_gap, the filters, ...) are shared with
// hrnn-train, so that the data evaluated is the data trained on: core/tools/data_flags.h.

namespace {

int Fail(const std::string& message) {
  std::cerr << "hrnn-eval: " << message << "\n";
  return 2;
}

std::vector<std::string> List(const std::string& text) {
  return absl::StrSplit(text, ',', absl::SkipEmpty());
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Evaluates next-item recommendation offline against baselines (DESIGN §3).\n"
      "  hrnn-eval --model=MODEL_DIR[,MODEL_DIR...] --train=FILE --test=FILE\n"
      "            [--split=last-session|time] [--baselines=pop,ppop,iknn,iknn-self,vsknn,sr]\n"
      "            [--k=5,10,20] [--exclude_seen] [--json=OUT.json] [--report=DIR]\n"
      "            [--recipes=all|hrnn,sknn,...]\n"
      "  hrnn-eval --input=FILE --split=last-session|time [--write_split=DIR] ...\n"
      "Add --validation to evaluate on a split carved from the training side (for tuning).\n"
      "Prints a table on stdout; progress goes to stderr.");
  hrnn::ShowFlagsFrom({"eval_main", hrnn::kDataFlagsFile});
  const std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  if (positional.size() > 1) return Fail(absl::StrCat("unexpected argument: ", positional[1]));

  hrnn::EvaluationRunOptions options;
  options.models = List(absl::GetFlag(FLAGS_model));
  options.model_names = List(absl::GetFlag(FLAGS_model_names));
  if (const std::string recipes = absl::GetFlag(FLAGS_recipes); recipes == "all") {
    options.all_recipes = true;
  } else if (!recipes.empty()) {
    absl::StatusOr<std::vector<hrnn::RecipeKind>> kinds = hrnn::ParseRecipeList(recipes);
    if (!kinds.ok()) return Fail(absl::StrCat("--recipes: ", kinds.status().message()));
    options.recipes = *std::move(kinds);
  }
  options.train_inputs = List(absl::GetFlag(FLAGS_train));
  options.test_inputs = List(absl::GetFlag(FLAGS_test));
  options.inputs = List(absl::GetFlag(FLAGS_input));
  options.split = absl::GetFlag(FLAGS_split);
  options.test_days = absl::GetFlag(FLAGS_test_days);
  options.validation = absl::GetFlag(FLAGS_validation);
  options.write_split_dir = absl::GetFlag(FLAGS_write_split);
  options.baselines = List(absl::GetFlag(FLAGS_baselines));
  options.item_knn.neighbors = absl::GetFlag(FLAGS_iknn_neighbors);
  options.session_knn.k = absl::GetFlag(FLAGS_vsknn_k);
  options.session_knn.sample_size = absl::GetFlag(FLAGS_vsknn_sample);
  const std::string similarity = absl::GetFlag(FLAGS_vsknn_similarity);
  if (similarity == "vec") {
    options.session_knn.similarity = hrnn::SessionSimilarity::kVec;
  } else if (similarity == "cosine") {
    options.session_knn.similarity = hrnn::SessionSimilarity::kCosine;
  } else {
    return Fail("--vsknn_similarity must be vec or cosine, got \"" + similarity + "\"");
  }
  options.sequential_rules.max_distance = absl::GetFlag(FLAGS_sr_max_distance);
  options.sequential_rules.max_rules_per_item = absl::GetFlag(FLAGS_sr_max_rules);
  options.cutoffs.clear();
  for (const std::string& k : List(absl::GetFlag(FLAGS_k))) {
    int value = 0;
    if (!absl::SimpleAtoi(k, &value)) return Fail("--k: \"" + k + "\" is not an integer");
    options.cutoffs.push_back(value);
  }
  options.list_size = absl::GetFlag(FLAGS_list_size);
  options.exclude_seen = absl::GetFlag(FLAGS_exclude_seen);
  options.threads = absl::GetFlag(FLAGS_threads);
  options.max_predictions = absl::GetFlag(FLAGS_max_predictions);
  options.bootstrap.resamples = absl::GetFlag(FLAGS_bootstrap);
  options.bootstrap.seed = absl::GetFlag(FLAGS_seed);
  options.tie_shuffle = absl::GetFlag(FLAGS_tie_shuffle);
  options.tie_shuffle_seed = absl::GetFlag(FLAGS_tie_seed);
  absl::StatusOr<hrnn::ReaderOptions> reader = hrnn::ReaderOptionsFromFlags();
  if (!reader.ok()) return Fail(std::string(reader.status().message()));
  options.reader = *reader;
  options.data = hrnn::DataOptionsFromFlags();
  if (absl::Status status = options.Validate(); !status.ok()) {
    return Fail(std::string(status.message()));
  }

  const bool tty = isatty(STDERR_FILENO) != 0;
  bool line_open = false;
  options.log = [&](const std::string& line) {
    if (line_open) std::cerr << "\n";
    line_open = false;
    std::cerr << line << (line.empty() || line.back() != '\n' ? "\n" : "");
  };
  options.progress = [&](const std::string& method, int64_t done, int64_t total) {
    const double percent = total > 0 ? 100.0 * static_cast<double>(done) / total : 100.0;
    if (tty) {
      std::cerr << absl::StrFormat("\r%s: %5.1f%% of %d predictions ", method, percent, total)
                << std::flush;
      line_open = true;
    } else {
      std::cerr << absl::StrFormat("%s: %.1f%% of %d predictions\n", method, percent, total);
    }
  };

  absl::StatusOr<hrnn::EvaluationReport> report = hrnn::RunEvaluation(options);
  if (line_open) std::cerr << "\n";
  if (!report.ok()) return Fail(report.status().ToString());
  std::cout << hrnn::FormatReportTable(*report) << std::flush;
  if (const std::string path = absl::GetFlag(FLAGS_json); !path.empty()) {
    std::ofstream file(path, std::ios::trunc);
    file << hrnn::ReportToJson(*report);
    file.close();
    if (!file) return Fail("--json: cannot write " + path);
  }
  if (const std::string dir = absl::GetFlag(FLAGS_report); !dir.empty()) {
    if (absl::Status status = hrnn::WriteReportDirectory(*report, dir); !status.ok()) {
      return Fail(std::string(status.message()));
    }
    std::cerr << "report written to " << dir << "/report.md\n";
  }
  return 0;
}
