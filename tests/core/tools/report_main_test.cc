// The hrnn-report binary end to end: a log written by EventLog, reported as markdown on stdout and
// as JSON to a file (written whole, the log left untouched); bad usage and an experiment the log
// does not hold exit 2 with a one-line reason.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "core/state/event_log.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/state_files.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace hrnn {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr int64_t kT0 = 1'700'000'000'000;

struct BinaryRun {
  int exit_code = -1;  // -1: killed.
  std::string out;
  std::string err;
};

// Runs hrnn-report with `args`, its stdout and stderr captured through files in `dir`.
BinaryRun RunReportBinary(const std::vector<std::string>& args, const fs::path& dir) {
  const fs::path out_path = dir / "stdout.txt";
  const fs::path err_path = dir / "stderr.txt";
  const pid_t pid = fork();
  if (pid == 0) {
    FILE* out = std::fopen(out_path.c_str(), "w");
    FILE* err = std::fopen(err_path.c_str(), "w");
    if (out != nullptr) dup2(fileno(out), STDOUT_FILENO);
    if (err != nullptr) dup2(fileno(err), STDERR_FILENO);
    std::vector<char*> argv = {const_cast<char*>(HRNN_REPORT_BINARY)};
    for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  BinaryRun run;
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  run.out = testing::ReadBytes(out_path);
  run.err = testing::ReadBytes(err_path);
  return run;
}

// Every file under `dir` with its size.
std::map<std::string, uintmax_t> Listing(const fs::path& dir) {
  std::map<std::string, uintmax_t> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) files[entry.path().string()] = entry.file_size();
  }
  return files;
}

class ReportBinaryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::FreshTestDir();
    state_dir_ = dir_ / "state";
    EventLogOptions options;
    options.dir = (state_dir_ / "log").string();
    options.fsync = FsyncPolicy::kNone;
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<EventLog> log, EventLog::Open(options, nullptr));
    // Arm "a": 4 users served twice, 2 of them click; arm "b": 4 users, all click.
    for (int u = 0; u < 8; ++u) {
      const std::string user = absl::StrFormat("user-%d", u);
      const std::string arm = u < 4 ? "a" : "b";
      for (int r = 0; r < 2; ++r) {
        EventRecord served;
        served.kind = EventRecord::Kind::kRecommendation;
        served.user_id = user;
        served.timestamp_ms = kT0 + 1000 * u + r;
        served.recommendation_id = absl::StrFormat("%032x:exp:%s", 2 * u + r, arm);
        served.recipe = "hrnn";
        served.experiment = "exp";
        served.arm = arm;
        served.item_ids = {"item-1", "item-2"};
        ASSERT_GT(log->Append(&served), 0u);
      }
      if (arm == "b" || u % 2 == 0) {
        EventRecord click;
        click.kind = EventRecord::Kind::kEvent;
        click.user_id = user;
        click.item_id = "item-2";
        click.event_type = "click";
        click.timestamp_ms = kT0 + 1000 * u + 500;
        ASSERT_GT(log->Append(&click), 0u);
      }
    }
    ASSERT_OK(log->Flush());
  }

  fs::path dir_;
  fs::path state_dir_;
};

TEST_F(ReportBinaryTest, MarkdownOnStdout) {
  const BinaryRun run = RunReportBinary(
      {"--state_dir=" + state_dir_.string(), "--experiment=exp", "--resamples=50"}, dir_);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("# Experiment report: exp\n"));
  EXPECT_THAT(run.out, HasSubstr("| a (control) | 4 | 8 | 25.00% ["));
  EXPECT_THAT(run.out, HasSubstr("| b | 4 | 8 | 50.00% [50.00%, 50.00%] |"));
  EXPECT_THAT(run.out, HasSubstr("| +100.0% ["));
}

TEST_F(ReportBinaryTest, JsonToAFileLeavingTheLogUntouched) {
  const auto before = Listing(state_dir_);
  const fs::path out = dir_ / "report.json";
  const BinaryRun run =
      RunReportBinary({"--state_dir=" + state_dir_.string(), "--experiment=exp", "--format=json",
                       "--out=" + out.string(), "--control=b", "--resamples=50"},
                      dir_);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, "");
  const nlohmann::json json = nlohmann::json::parse(testing::ReadBytes(out));
  EXPECT_EQ(json["control_arm"], "b");
  ASSERT_EQ(json["arms"].size(), 2u);
  EXPECT_EQ(json["arms"][0]["clicks"], 2);
  EXPECT_DOUBLE_EQ(json["arms"][0]["click_through_change"]["value"].get<double>(), -0.5);
  EXPECT_EQ(json["attribution"]["events_by_window"], 6);
  EXPECT_EQ(Listing(state_dir_), before);
  for (const auto& entry : fs::directory_iterator(dir_)) {
    EXPECT_THAT(entry.path().filename().string(), ::testing::Not(HasSubstr(".tmp-")));
  }
}

TEST_F(ReportBinaryTest, RefusalsExitTwoWithTheReason) {
  BinaryRun run =
      RunReportBinary({"--state_dir=" + state_dir_.string(), "--experiment=nope"}, dir_);
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_EQ(run.err,
            "hrnn-report: no recommendation of experiment \"nope\" in the log (experiments seen: "
            "exp)\n");
  EXPECT_EQ(run.out, "");

  run = RunReportBinary({"--state_dir=" + state_dir_.string()}, dir_);
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_EQ(run.err, "hrnn-report: --experiment is required\n");

  run = RunReportBinary({"--experiment=exp"}, dir_);
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_EQ(run.err, "hrnn-report: --state_dir is required\n");

  run = RunReportBinary({"--state_dir=" + (dir_ / "missing").string(), "--experiment=exp"}, dir_);
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, HasSubstr("hrnn-report: cannot copy "));

  run = RunReportBinary({"--state_dir=" + state_dir_.string(), "--experiment=exp", "--format=csv"},
                        dir_);
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, HasSubstr("--format must be markdown or json"));

  run = RunReportBinary({"--state_dir=" + state_dir_.string(), "--experiment=exp", "--resamples=0"},
                        dir_);
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, HasSubstr("resamples"));
}

}  // namespace
}  // namespace hrnn
