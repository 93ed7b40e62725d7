// hrnn-batch: top-N recommendation lists for many users at once (email and push campaigns),
// each what GetRecommendations would answer for the user's state, with the same recipes and
// filters (server/batch_recommender.h). Exit status: 0 done, 2 bad usage or input, 1 failure
// or interruption (OUT.partial then holds the users written: run again with --resume), 3 done
// but some users failed (their lines say why).
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "client/filter_values.h"
#include "core/kernels/matvec.h"
#include "core/tools/flags_usage.h"
#include "server/batch_recommender.h"
#include "server/env_flags.h"
#include "server/server_config.h"

ABSL_FLAG(std::string, model_dir, "",
          "Model root models/<name>/ (required); its highest complete version answers, as the "
          "server would serve it.");
ABSL_FLAG(std::string, users, "",
          "Users file: one user id a line, or a CSV with the header user_id,PARAM1,... giving "
          "each user's values of the --filter's parameters ('|' between several values).");
ABSL_FLAG(bool, all_users, false,
          "Every user --state_dir holds a state of, instead of --users (sorted by id).");
ABSL_FLAG(std::string, state_dir, "",
          "The server's --state_dir; users' states are rebuilt from a copy of its event log and "
          "snapshots (the live files are only read). Empty: every user gets the fallback.");
ABSL_FLAG(std::string, temp_dir, "",
          "Where the copy of --state_dir goes (removed at the end); default $TMPDIR or /tmp.");
ABSL_FLAG(std::string, recipe, "", "Recipe to answer with; empty = the model's default.");
ABSL_FLAG(std::string, filter, "", "Named filter (from --filters_file) every list must pass.");
ABSL_FLAG(std::string, filter_values, "",
          "The --filter's parameter values for every user, 'PARAM=V1|V2;PARAM2=V'; a users "
          "CSV's non-empty cells override them per user.");
ABSL_FLAG(std::string, filters_file, "",
          "The server's named filters file ('NAME: EXPRESSION' a line).");
ABSL_FLAG(bool, exclude_session_items, false, "Leave out the items of the user's live session.");
ABSL_FLAG(bool, exclude_user_history, false, "Leave out every item in the user's history.");
ABSL_FLAG(bool, exclude_purchased, false, "Leave out the items the user bought.");
ABSL_FLAG(int, num_results, 25, "Items per user, 1..500.");
ABSL_FLAG(std::string, out, "",
          "Output file (required): FILE.jsonl (one JSON object a line) or FILE.csv; written as "
          "FILE.partial and renamed to FILE when every user is in it.");
ABSL_FLAG(bool, resume, false,
          "Continue FILE.partial left by an interrupted run: its users are skipped.");
ABSL_FLAG(int, threads, 0, "Worker threads, each scoring its own users (0 = one per core).");
ABSL_FLAG(int64_t, now_ms, 0,
          "The time the lists are for, ms since the epoch (0 = now): decides whether sessions "
          "are still live and how trending decays.");
ABSL_FLAG(bool, benchmark, false,
          "Also time a streaming read of the item table and report users/s against it.");
ABSL_FLAG(absl::Duration, progress_interval, absl::Seconds(5),
          "When stderr is not a terminal: how often a progress line is printed.");
ABSL_FLAG(absl::Duration, session_timeout, absl::Minutes(30),
          "As the server's --session_timeout (the state must be rebuilt as the server did).");
ABSL_FLAG(int64_t, live_sessions, 100000, "As the server's --live_sessions.");
ABSL_FLAG(std::vector<std::string>, session_event_types, {},
          "As the server's --session_event_types.");
ABSL_FLAG(std::vector<std::string>, purchase_event_types, {"purchase"},
          "As the server's --purchase_event_types.");
ABSL_FLAG(hrnn::ElementType, item_table, hrnn::ElementType::kFloat32,
          "As the server's --item_table: fp32, bf16 or int8.");
ABSL_FLAG(int, max_id_bytes, 256, "As the server's --max_id_bytes.");

namespace {

// The settings shared with hrnn-server: each can also come from its HRNN_<FLAG> environment
// variable, so that a job can read the server's own configuration (deploy/batch).
const std::vector<std::string> kServerFlagNames = {
    "model_dir",     "state_dir",           "filters_file",         "session_timeout",
    "live_sessions", "session_event_types", "purchase_event_types", "item_table",
    "max_id_bytes"};

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;
// The output is complete, but some users' lines say "failed: ..." instead of a list.
constexpr int kExitSomeUsersFailed = 3;

int UsageError(const std::string& reason) {
  std::fprintf(stderr, "hrnn-batch: %s\n", reason.c_str());
  return kExitUsage;
}

// absl::ParseCommandLine reports a flag it cannot parse and calls exit(1); bad usage exits 2
// here, so that exit path is rewritten while it parses (but not for --help and its kin).
std::atomic<bool> parsing_flags{false};
void ExitUsageOnFlagError() {
  if (parsing_flags.load()) {
    std::fflush(stderr);
    std::_Exit(kExitUsage);
  }
}

std::atomic<bool> interrupted{false};
void OnSignal(int) { interrupted.store(true); }

// Draws the progress line: redrawn in place on a terminal, a line every `interval` otherwise.
class ProgressPrinter {
 public:
  explicit ProgressPrinter(absl::Duration interval)
      : tty_(isatty(STDERR_FILENO) != 0), interval_(interval) {}

  void Update(const hrnn::BatchProgress& progress, bool final) {
    const auto now = std::chrono::steady_clock::now();
    const absl::Duration since = absl::FromChrono(now - last_);
    if (!final && since < (tty_ ? absl::Milliseconds(200) : interval_)) return;
    last_ = now;
    const std::string line = absl::StrCat("hrnn-batch: ", hrnn::FormatBatchProgress(progress));
    if (tty_) {
      std::fprintf(stderr, "\r%s\x1b[K%s", line.c_str(), final ? "\n" : "");
    } else {
      std::fprintf(stderr, "%s\n", line.c_str());
    }
    std::fflush(stderr);
    drawn_ = tty_ && !final;
  }
  // Ends a line left open on a terminal.
  void Finish() {
    if (drawn_) std::fputc('\n', stderr);
    drawn_ = false;
  }

 private:
  const bool tty_;
  const absl::Duration interval_;
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
  bool drawn_ = false;
};

bool AsksForHelp(const std::vector<std::string>& args) {
  for (size_t i = 1; i < args.size(); ++i) {
    if (absl::StartsWith(args[i], "--help") || absl::StartsWith(args[i], "-help") ||
        args[i] == "--version" || args[i] == "-version" ||
        absl::StartsWith(args[i], "--only_check_args")) {
      return true;
    }
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Writes top-N recommendation lists for many users at once, each what GetRecommendations\n"
      "would answer for that user's state, recipe and filter.\n"
      "  hrnn-batch --model_dir=DIR --users=FILE|--all_users [--state_dir=DIR] [--recipe=R]\n"
      "             [--filter=NAME --filter_values='P=V1|V2' --filters_file=FILE] "
      "[--num_results=N]\n"
      "             --out=FILE.jsonl|FILE.csv [--resume] [--threads=N]\n"
      "The server's settings (model_dir, state_dir, filters_file, session_timeout, ...) can also\n"
      "come from the environment as HRNN_<FLAG>; the command line wins. Exit status: 0 done,\n"
      "2 bad usage or input, 1 failure or interruption (then run again with --resume), 3 done\n"
      "but some users failed (their lines' reason says why).");
  hrnn::ShowFlagsFrom("batch_main");
  std::vector<std::string> args =
      hrnn::ArgsWithEnvironment(argc, argv, kServerFlagNames,
                                [](const char* name) -> const char* { return std::getenv(name); });
  std::vector<char*> arg_pointers;
  for (std::string& arg : args) arg_pointers.push_back(arg.data());
  if (!AsksForHelp(args)) {
    std::atexit(ExitUsageOnFlagError);
    parsing_flags.store(true);
  }
  const std::vector<char*> positional =
      absl::ParseCommandLine(static_cast<int>(arg_pointers.size()), arg_pointers.data());
  parsing_flags.store(false);
  if (positional.size() > 1)
    return UsageError(absl::StrCat("unexpected argument: ", positional[1]));

  hrnn::BatchOptions options;
  options.model_dir = absl::GetFlag(FLAGS_model_dir);
  options.users_file = absl::GetFlag(FLAGS_users);
  options.all_users = absl::GetFlag(FLAGS_all_users);
  options.state_dir = absl::GetFlag(FLAGS_state_dir);
  options.temp_dir = absl::GetFlag(FLAGS_temp_dir);
  options.recipe = absl::GetFlag(FLAGS_recipe);
  options.filter = absl::GetFlag(FLAGS_filter);
  options.filters_file = absl::GetFlag(FLAGS_filters_file);
  const std::string filter_values = absl::GetFlag(FLAGS_filter_values);
  if (!filter_values.empty()) {
    if (options.filter.empty()) return UsageError("--filter_values: needs --filter=NAME");
    // The spec syntax of hrnn-cli and hrnn-loadgen, parsed by the same code.
    hrnn::v1::Filter parsed;
    if (absl::Status status = hrnn::client::SetNamedFilter(options.filter, filter_values, &parsed);
        !status.ok()) {
      return UsageError(absl::StrCat("--filter_values: ", status.message()));
    }
    for (const auto& [name, listed] : parsed.values()) {
      options.filter_values[name].assign(listed.values().begin(), listed.values().end());
    }
  }
  options.exclude_session_items = absl::GetFlag(FLAGS_exclude_session_items);
  options.exclude_user_history = absl::GetFlag(FLAGS_exclude_user_history);
  options.exclude_purchased = absl::GetFlag(FLAGS_exclude_purchased);
  options.num_results = absl::GetFlag(FLAGS_num_results);
  options.out = absl::GetFlag(FLAGS_out);
  options.resume = absl::GetFlag(FLAGS_resume);
  options.threads = absl::GetFlag(FLAGS_threads);
  options.now_ms = absl::GetFlag(FLAGS_now_ms);
  options.benchmark = absl::GetFlag(FLAGS_benchmark);
  options.session_timeout_ms = absl::ToInt64Milliseconds(absl::GetFlag(FLAGS_session_timeout));
  options.live_sessions = absl::GetFlag(FLAGS_live_sessions);
  options.session_event_types = absl::GetFlag(FLAGS_session_event_types);
  options.purchase_event_types = absl::GetFlag(FLAGS_purchase_event_types);
  options.item_table = absl::GetFlag(FLAGS_item_table);
  options.max_id_bytes = absl::GetFlag(FLAGS_max_id_bytes);
  if (absl::Status valid = options.Validate(); !valid.ok()) {
    return UsageError(std::string(valid.message()));
  }

  // SIGINT / SIGTERM stop the run after the users in progress; a second one kills it.
  struct sigaction action = {};
  action.sa_handler = OnSignal;
  action.sa_flags = SA_RESETHAND;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);

  ProgressPrinter printer(absl::GetFlag(FLAGS_progress_interval));
  hrnn::BatchHooks hooks;
  hooks.cancel = &interrupted;
  hooks.progress = [&printer](const hrnn::BatchProgress& progress, bool final) {
    printer.Update(progress, final);
  };
  absl::StatusOr<hrnn::BatchSummary> summary = hrnn::RunBatch(options, hooks);
  printer.Finish();
  if (!summary.ok()) {
    const absl::StatusCode code = summary.status().code();
    std::fprintf(stderr, "hrnn-batch: %s\n", std::string(summary.status().message()).c_str());
    return code == absl::StatusCode::kInvalidArgument || code == absl::StatusCode::kNotFound
               ? kExitUsage
               : kExitFailure;
  }
  const hrnn::BatchSummary& s = *summary;
  if (!s.recovery.empty()) std::fprintf(stderr, "hrnn-batch: state: %s\n", s.recovery.c_str());
  std::fprintf(stderr,
               "hrnn-batch: %lld users written to %s (model %s version %lld; %lld with no history "
               "answered by the fallback, %lld failed; %lld resumed) in %.2f s: %.0f users/s with "
               "%d threads (%.2f s to load and recover)\n",
               static_cast<long long>(s.written), options.out.c_str(), s.model_name.c_str(),
               static_cast<long long>(s.model_version), static_cast<long long>(s.no_history),
               static_cast<long long>(s.failed), static_cast<long long>(s.resumed), s.run_seconds,
               s.users_per_second, s.threads, s.prepare_seconds);
  if (s.resumed_extra > 0) {
    std::fprintf(stderr,
                 "hrnn-batch: note: %lld lines of the resumed file are for users not asked for "
                 "this time; they were kept\n",
                 static_cast<long long>(s.resumed_extra));
  }
  if (options.benchmark) {
    const double bound = 0.7 * s.stream_users_per_second;
    std::fprintf(
        stderr,
        "hrnn-batch: benchmark: streaming read of the %.1f MB fp32 item table with %d "
        "threads: %.3f ms (%.2f GB/s) -> %d users a pass bound %.0f users/s; measured "
        "%.0f users/s = %.2fx the bound (target >= 0.70x: %.0f users/s) %s\n",
        s.stream_bytes / 1e6, s.threads, s.stream_seconds * 1e3, s.stream_gb_per_second,
        hrnn::kMaxMatVecBatch, s.stream_users_per_second, s.users_per_second,
        s.stream_users_per_second > 0 ? s.users_per_second / s.stream_users_per_second : 0.0, bound,
        s.users_per_second >= bound ? "met" : "MISSED");
  }
  if (s.failed > 0) {
    std::fprintf(stderr,
                 "hrnn-batch: %lld users could not be answered: their lines in %s have reason "
                 "\"failed: ...\" (exit status %d)\n",
                 static_cast<long long>(s.failed), options.out.c_str(), kExitSomeUsersFailed);
    return kExitSomeUsersFailed;
  }
  return 0;
}
