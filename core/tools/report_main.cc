// hrnn-report: the report of one online experiment from a server's event log (--state_dir): per
// arm, users, recommendations, click-through, conversion and value per user with bootstrap
// intervals, and each arm's change against the control (core/eval/experiment_report.h), as
// markdown or JSON. Safe to run while the server is up: it reads a copy of the log.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "core/eval/experiment_report.h"
#include "core/eval/experiment_report_writer.h"
#include "core/state/event_log.h"
#include "core/tools/flags_usage.h"

ABSL_FLAG(std::string, state_dir, "",
          "The server's --state_dir (the log is in DIR/log). Required.");
ABSL_FLAG(std::string, experiment, "", "The experiment to report on (experiments file). Required.");
ABSL_FLAG(std::string, format, "markdown", "markdown or json.");
ABSL_FLAG(std::string, out, "-",
          "Output file, written whole or not at all (FILE.tmp-PID renamed); '-' for stdout.");
ABSL_FLAG(absl::Duration, attribution_window, absl::Minutes(30),
          "An event without a recommendation id counts for the newest recommendation of its item "
          "served to its user at most this long before it.");
ABSL_FLAG(std::vector<std::string>, click_types, {"click"},
          "Event types counted as clicks (comma-separated).");
ABSL_FLAG(std::vector<std::string>, purchase_types, {"purchase"},
          "Event types counted as purchases; their event_value is the value (comma-separated).");
ABSL_FLAG(std::string, control, "",
          "The control arm the others are compared with; default: the first arm by name.");
ABSL_FLAG(int, resamples, 1000, "Bootstrap resamples of each arm's users.");
ABSL_FLAG(uint64_t, seed, 42, "Seed of the bootstrap.");

namespace {

int Fail(const std::string& reason) {
  std::cerr << "hrnn-report: " << reason << "\n";
  return 2;
}

// Writes `text` to `path` through a temporary file in the same folder and a rename.
bool WriteAtomically(const std::string& path, const std::string& text, std::string* error) {
  const std::string temp = absl::StrCat(path, ".tmp-", getpid());
  {
    std::ofstream file(temp, std::ios::binary | std::ios::trunc);
    file << text;
    file.flush();
    if (!file) {
      *error = absl::StrCat("cannot write ", temp);
      std::remove(temp.c_str());
      return false;
    }
  }
  std::error_code code;
  std::filesystem::rename(temp, path, code);
  if (code) {
    *error = absl::StrCat("cannot rename ", temp, " to ", path, ": ", code.message());
    std::remove(temp.c_str());
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Reports one experiment from a server's event log: per arm, users, recommendations,\n"
      "click-through, conversion and value per user with bootstrap intervals, and the change\n"
      "against the control arm.\n"
      "  hrnn-report --state_dir=DIR --experiment=NAME [--format=markdown|json] [--out=FILE]");
  hrnn::ShowFlagsFrom("report_main");
  const std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  if (positional.size() > 1) return Fail(absl::StrCat("unexpected argument: ", positional[1]));
  const std::string state_dir = absl::GetFlag(FLAGS_state_dir);
  const std::string format = absl::GetFlag(FLAGS_format);
  const std::string out_path = absl::GetFlag(FLAGS_out);
  if (state_dir.empty()) return Fail("--state_dir is required");
  if (absl::GetFlag(FLAGS_experiment).empty()) return Fail("--experiment is required");
  if (format != "markdown" && format != "json") {
    return Fail(absl::StrCat("--format must be markdown or json, not \"", format, "\""));
  }
  if (out_path.empty()) return Fail("--out must name a file or '-'");

  hrnn::ExperimentReportOptions options;
  options.experiment = absl::GetFlag(FLAGS_experiment);
  options.attribution_window_ms =
      absl::ToInt64Milliseconds(absl::GetFlag(FLAGS_attribution_window));
  options.click_types = absl::GetFlag(FLAGS_click_types);
  options.purchase_types = absl::GetFlag(FLAGS_purchase_types);
  options.control_arm = absl::GetFlag(FLAGS_control);
  options.resamples = absl::GetFlag(FLAGS_resamples);
  options.seed = absl::GetFlag(FLAGS_seed);
  auto builder = hrnn::ExperimentReportBuilder::Create(options);
  if (!builder.ok()) return Fail(std::string(builder.status().message()));

  // EventLog::Open repairs a torn tail in place, which must never happen to the log a running
  // server is appending to: read a copy of the segments instead.
  std::error_code error;
  const std::filesystem::path copy =
      std::filesystem::temp_directory_path() / absl::StrCat("hrnn-report-", getpid());
  std::filesystem::remove_all(copy, error);
  std::filesystem::copy(std::filesystem::path(state_dir) / "log", copy, error);
  if (error) return Fail(absl::StrCat("cannot copy ", state_dir, "/log: ", error.message()));
  hrnn::EventLogOptions log_options;
  log_options.dir = copy.string();
  log_options.fsync = hrnn::FsyncPolicy::kNone;
  auto log = hrnn::EventLog::Open(log_options, nullptr);
  if (!log.ok()) {
    std::filesystem::remove_all(copy, error);
    return Fail(std::string(log.status().message()));
  }
  const absl::Status read = (*log)->Read((*log)->first_seq(), [&](const hrnn::EventRecord& record) {
    (*builder)->Add(record);
    return true;
  });
  log->reset();
  std::filesystem::remove_all(copy, error);
  if (!read.ok()) return Fail(std::string(read.message()));

  absl::StatusOr<hrnn::ExperimentReport> report = (*builder)->Finish();
  if (!report.ok()) return Fail(std::string(report.status().message()));
  const std::string text = format == "json" ? hrnn::ExperimentReportJson(*report)
                                            : hrnn::ExperimentReportMarkdown(*report);
  if (out_path == "-") {
    std::cout << text;
    std::cout.flush();
    return std::cout ? 0 : 1;
  }
  std::string write_error;
  if (!WriteAtomically(out_path, text, &write_error)) return Fail(write_error);
  return 0;
}
