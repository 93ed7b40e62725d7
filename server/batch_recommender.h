// RunBatch: hrnn-batch's whole run (issue 17) — top-N lists for many users at once (email and
// push campaigns), each exactly what GetRecommendations would answer for that user, state and
// filter at the run's time. Each user's state is rebuilt as the server holds it: the state
// dir is copied into a temporary directory (the live log is never opened, let alone repaired)
// and recovered with the server's RecoverState. Each request goes through the server's own
// RequestHandlers (validation, state read, named filter, recipe and fallback, availability and
// exclusions: PrepareRecommendations, which calls the core pipeline's PrepareRecommendation),
// users are scored kMaxMatVecBatch at a time in one pass over the item table
// (HrnnNetwork::ScoreBatch), one pass per worker thread so that every core streams the table,
// and finished by CompleteRecommendations (FinishRecommendation). Lines go to OUT.partial in
// the users' order, renamed to OUT at the end (batch_output.h). RunBatch is thread-safe (it
// shares nothing between calls); its hooks are called from the calling thread only.
#ifndef HRNN_SERVER_BATCH_RECOMMENDER_H_
#define HRNN_SERVER_BATCH_RECOMMENDER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/catalogue/item_filter_program.h"
#include "core/kernels/panel_matrix.h"

namespace hrnn {

struct BatchOptions {
  // The model root models/<name>/; its highest complete version answers. Required.
  std::string model_dir;
  // The users (batch_users_file.h). Exactly one of users_file and all_users. Default: "".
  std::string users_file;
  // Every user the state dir holds a state of (sorted by id). Needs state_dir. Default: false.
  bool all_users = false;
  // The server's --state_dir (event log and snapshots), read from a copy; "" = no user has
  // state (everyone gets the fallback). Default: "".
  std::string state_dir;
  // Where the copy of the state dir goes (a fresh directory under it, removed at the end).
  // Default: "" (the system's temporary directory, $TMPDIR or /tmp).
  std::string temp_dir;
  // The recipe to answer with ("" = the model's default). Default: "".
  std::string recipe;
  // The named filter (from filters_file) and the values of its parameters for every user; a
  // users CSV's non-empty cells override them per user. Default: none.
  std::string filter;
  FilterParameterValues filter_values;
  // The server's --filters_file. Default: "".
  std::string filters_file;
  // The request filter's other exclusions, as in GetRecommendations. Default: false.
  bool exclude_session_items = false;
  bool exclude_user_history = false;
  bool exclude_purchased = false;
  // Items per user, 1..500. Default: 25.
  int num_results = 25;
  // The output, FILE.jsonl / FILE.json or FILE.csv (batch_output.h). Required.
  std::string out;
  // Continue OUT.partial of an interrupted run: its users are skipped. Default: false.
  bool resume = false;
  // Worker threads, each scoring its own users (0 = one per core). Default: 0.
  int threads = 0;
  // The time the lists are for, ms since the epoch (0 = the clock when the run starts): it
  // decides whether a session is still live and how trending decays. Default: 0.
  int64_t now_ms = 0;
  // Also time a streaming read of the item table with `threads` threads before the run
  // (BatchSummary::stream_*). Default: false.
  bool benchmark = false;

  // The server settings that shape states and answers: set them as the server that wrote
  // state_dir runs (hrnn-server's flags of the same names).
  int64_t session_timeout_ms = 30 * 60 * 1000;       // Default: 30 min.
  int64_t live_sessions = 100'000;                   // Default: 100,000.
  std::vector<std::string> session_event_types;      // Default: empty (every type).
  std::vector<std::string> purchase_event_types = {  // Default: {"purchase"}.
      "purchase"};
  ElementType item_table = ElementType::kFloat32;  // Default: fp32.
  int max_id_bytes = 256;                          // Default: 256.

  // OK, or InvalidArgument naming the first bad option by its flag (--users, --out, ...).
  absl::Status Validate() const;
};

// How far a run is, for a progress line.
struct BatchProgress {
  int64_t done = 0;     // Users written by this run.
  int64_t total = 0;    // Users this run writes (those a resumed file held excluded).
  int64_t resumed = 0;  // Users skipped: OUT.partial held them.
  double seconds = 0;   // Since the first user was started.
  double users_per_second = 0;
  double eta_seconds = 0;  // At the rate so far (0 until there is one).
};

// "1,234 / 10,000 users (12.3%), 456 users/s, ETA 19 s".
std::string FormatBatchProgress(const BatchProgress& progress);

struct BatchSummary {
  std::string model_name;
  int64_t model_version = 0;
  std::string recovery;       // RecoveryStats::ToString() ("" without a state dir).
  int64_t users = 0;          // Users asked for (the users file, or every user with state).
  int64_t resumed = 0;        // Of them, skipped because OUT.partial held them.
  int64_t written = 0;        // Lines this run wrote.
  int64_t no_history = 0;     // Of them, answered by the fallback (reason "no_history").
  int64_t failed = 0;         // Of them, users that could not be answered ("failed: ...").
  int64_t resumed_extra = 0;  // Lines of OUT.partial for users not asked for this time (kept).
  int threads = 0;
  double prepare_seconds = 0;   // Loading the model, copying and recovering the state.
  double run_seconds = 0;       // Scoring and writing the users (the users/s timer).
  double users_per_second = 0;  // written / run_seconds.
  // With BatchOptions::benchmark: a streaming read of the fp32 item table's bytes with
  // `threads` threads (the median of several), and what it bounds: passes over the table per
  // second, and users per second at kMaxMatVecBatch users a pass.
  int64_t stream_bytes = 0;
  double stream_seconds = 0;
  double stream_gb_per_second = 0;
  double stream_users_per_second = 0;  // kMaxMatVecBatch / stream_seconds.
};

struct BatchHooks {
  // Called after each block of lines is written and once more at the end; `final` on the last
  // call. May be empty.
  std::function<void(const BatchProgress& progress, bool final)> progress;
  // When set and it becomes true (e.g. from a signal handler), the run stops after the users
  // in progress, leaving OUT.partial for --resume. May be null.
  const std::atomic<bool>* cancel = nullptr;
};

// Runs the batch. On success OUT holds one line per user asked for (plus the lines a resumed
// OUT.partial held) and OUT.partial is gone. Errors — OUT is then not written (an earlier OUT
// is left as it was):
//   InvalidArgument or NotFound: bad input, before anything is written — the options
//     (Validate), the model dir (--model_dir: the loader's refusal), the filters file, the
//     recipe (--recipe), the filter (--filter: unknown, or one GetRecommendations cannot use),
//     the users file (FILE:LINE[:COLUMN]: malformed; a column that is not one of the filter's
//     parameters; a user without a value for one of them, or with a bad one; an id longer than
//     max_id_bytes), a resumed OUT.partial that does not fit (another format or model version);
//   Cancelled: hooks.cancel was set; OUT.partial holds the users written so far;
//   others (I/O, a corrupt event log): failures, OUT.partial kept when it was started.
absl::StatusOr<BatchSummary> RunBatch(const BatchOptions& options, const BatchHooks& hooks = {});

}  // namespace hrnn

#endif  // HRNN_SERVER_BATCH_RECOMMENDER_H_
