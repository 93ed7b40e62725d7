#include "core/eval/evaluation_run.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/data/synth.h"
#include "core/eval/report_writer.h"
#include "core/train/training_run.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace hrnn {
namespace {

namespace fs = std::filesystem;
using ::hrnn::testing::FreshTestDir;
using ::hrnn::testing::StatusIs;

std::string ReadText(const fs::path& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

class EvaluationRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = FreshTestDir();
    SynthOptions synth;
    synth.users = 150;
    synth.items = 200;
    synth.events = 5000;
    synth.seed = 9;
    input_ = (dir_ / "log.csv").string();
    ASSERT_OK(WriteSyntheticCsv(synth, input_).status());
  }

  EvaluationRunOptions Options() const {
    EvaluationRunOptions options;
    options.inputs = {input_};
    options.data.min_item_support = 1;
    options.bootstrap.resamples = 200;
    return options;
  }

  fs::path dir_;
  std::string input_;
};

TEST_F(EvaluationRunTest, EndToEndSelfSplitThenGivenFilesWithModels) {
  EvaluationRunOptions options = Options();
  options.write_split_dir = (dir_ / "split").string();
  std::vector<std::string> lines;
  options.log = [&](const std::string& line) { lines.push_back(line); };
  ASSERT_OK_AND_ASSIGN(const EvaluationReport self, RunEvaluation(options));
  EXPECT_EQ(self.split, "last-session");
  ASSERT_EQ(self.methods.size(), 6u);  // The six baselines, sr included.
  EXPECT_GT(self.test_predictions, 100);
  EXPECT_FALSE(lines.empty());
  for (const MethodResult& m : self.methods) {
    SCOPED_TRACE(m.name);
    EXPECT_EQ(m.metrics.predictions, self.test_predictions);
    EXPECT_LE(m.metrics.recall.at(5), m.metrics.recall.at(10));
    EXPECT_LE(m.metrics.recall.at(10), m.metrics.recall.at(20));
    EXPECT_LE(m.metrics.mrr.at(20), m.metrics.recall.at(20));
    EXPECT_LE(m.recall_ci.low, m.metrics.recall.at(20));
    EXPECT_GE(m.recall_ci.high, m.metrics.recall.at(20));
    EXPECT_GT(m.coverage, 0.0);
    EXPECT_LE(m.coverage, 1.0);
  }
  // Pop recommends the same 20 items to everyone: the most popular ones.
  EXPECT_DOUBLE_EQ(self.methods[0].coverage, 20.0 / self.catalogue_items);
  EXPECT_GT(self.methods[0].popularity_percentile, 90.0);
  ASSERT_TRUE(fs::exists(dir_ / "split" / "train.csv"));

  // Train two small models on the written training side, then evaluate the written files as
  // a given split: the baselines must see exactly the same data and score the same.
  std::vector<std::string> models;
  for (ModelMode mode : {ModelMode::kSessionOnly, ModelMode::kHrnnInit}) {
    TrainingRunOptions train;
    train.inputs = {(dir_ / "split" / "train.csv").string()};
    train.output = (dir_ / "models" / std::string(ModelModeName(mode))).string();
    train.data.min_item_support = 1;
    train.train.mode = mode;
    train.train.hidden_size = 16;
    train.train.user_hidden_size = 16;
    train.train.n_sample = 32;
    train.train.epochs = 1;
    train.checkpoints = false;
    ASSERT_OK_AND_ASSIGN(TrainingRunResult result, RunTraining(train, nullptr));
    models.push_back(train.output);  // A model root: the latest version is used.
  }
  EvaluationRunOptions given = Options();
  given.inputs.clear();
  given.train_inputs = {(dir_ / "split" / "train.csv").string()};
  given.test_inputs = {(dir_ / "split" / "test.csv").string()};
  given.models = models;
  given.model_names = {"gru", "hrnn"};
  ASSERT_OK_AND_ASSIGN(const EvaluationReport report, RunEvaluation(given));
  EXPECT_EQ(report.split, "given");
  ASSERT_EQ(report.methods.size(), 8u);
  EXPECT_EQ(report.test_predictions, self.test_predictions);
  EXPECT_EQ(report.catalogue_items, self.catalogue_items);
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(report.methods[i].metrics.ranks, self.methods[i].metrics.ranks)
        << report.methods[i].name;
  }
  EXPECT_EQ(report.methods[6].name, "gru");
  EXPECT_EQ(report.methods[6].kind, "session");
  EXPECT_EQ(report.methods[7].kind, "hrnn-init");
  EXPECT_EQ(report.methods[7].items_unknown_to_model, 0);
  EXPECT_TRUE(fs::exists(fs::path(report.methods[7].source) / "config.json"));

  // Outputs: table, JSON, markdown and chart.
  const std::string table = FormatReportTable(report);
  EXPECT_NE(table.find("are recommendable"), std::string::npos) << table;
  EXPECT_NE(table.find("hrnn"), std::string::npos);
  ASSERT_OK(WriteReportDirectory(report, (dir_ / "report").string()));
  const nlohmann::json json = nlohmann::json::parse(ReadText(dir_ / "report" / "report.json"));
  EXPECT_EQ(json["methods"].size(), 8u);
  EXPECT_EQ(json["methods"][0]["name"], "pop");
  EXPECT_DOUBLE_EQ(json["methods"][7]["recall"]["20"].get<double>(),
                   report.methods[7].metrics.recall.at(20));
  EXPECT_EQ(json["exclude_seen"], false);
  const std::string svg = ReadText(dir_ / "report" / "chart.svg");
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_EQ(Count(svg, "<polyline"), 16u);  // Two panels x eight methods.
  const std::string md = ReadText(dir_ / "report" / "report.md");
  EXPECT_NE(md.find("](chart.svg)"), std::string::npos);
  EXPECT_NE(md.find("may be recommended"), std::string::npos);
}

TEST_F(EvaluationRunTest, ValidationTimeSplitExcludeSeenAndTieShuffle) {
  EvaluationRunOptions options = Options();
  options.baselines = {"pop", "iknn-self"};
  options.exclude_seen = true;
  options.validation = true;
  options.split = "time";
  options.test_days = 30;
  ASSERT_OK_AND_ASSIGN(const EvaluationReport report, RunEvaluation(options));
  EXPECT_NE(report.split.find("validation"), std::string::npos);
  EXPECT_TRUE(report.exclude_seen);
  EXPECT_NE(FormatReportTable(report).find("NOT recommendable"), std::string::npos);
  EXPECT_GT(report.test_predictions, 0);
  if (report.test_timestamp_ties > 0) {
    EXPECT_TRUE(report.tie_shuffle);
    EXPECT_TRUE(report.methods[0].tie_shuffled);
  } else {
    EXPECT_FALSE(report.tie_shuffle);
  }
}

TEST_F(EvaluationRunTest, RejectsBadOptions) {
  EvaluationRunOptions options = Options();
  options.inputs.clear();
  EXPECT_THAT(RunEvaluation(options).status(), StatusIs(absl::StatusCode::kInvalidArgument, ""));
  options = Options();
  options.train_inputs = {input_};
  EXPECT_THAT(RunEvaluation(options).status(), StatusIs(absl::StatusCode::kInvalidArgument, ""));
  options = Options();
  options.split = "random";
  EXPECT_THAT(RunEvaluation(options).status(), StatusIs(absl::StatusCode::kInvalidArgument, ""));
  options = Options();
  options.baselines = {"pop", "magic"};
  EXPECT_THAT(RunEvaluation(options).status(), StatusIs(absl::StatusCode::kInvalidArgument, ""));
  options = Options();
  options.cutoffs = {0};
  EXPECT_THAT(RunEvaluation(options).status(), StatusIs(absl::StatusCode::kInvalidArgument, ""));
  options = Options();
  options.models = {(dir_ / "no-such-model").string()};
  EXPECT_THAT(RunEvaluation(options).status(), StatusIs(absl::StatusCode::kNotFound, ""));
  options = Options();
  options.models = {"a"};
  options.model_names = {"x", "y"};
  EXPECT_THAT(RunEvaluation(options).status(), StatusIs(absl::StatusCode::kInvalidArgument, ""));
}

}  // namespace
}  // namespace hrnn
