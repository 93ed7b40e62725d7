#include "core/tools/data_flags.h"

#include <limits>
#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

// Each tool compiles this file itself (core/CMakeLists.txt), hrnn-eval with
// HRNN_DATA_FLAGS_FOR_EVAL=1, so that each keeps its own help text where the two differ:
// hrnn-eval's says that the filters apply to the training side.
#if HRNN_DATA_FLAGS_FOR_EVAL
#define HRNN_DATA_FLAG_HELP(eval_help, train_help) eval_help
#else
#define HRNN_DATA_FLAG_HELP(eval_help, train_help) train_help
#endif

ABSL_FLAG(std::string, format, "auto", "Input format: auto, personalize or gru4rec.");
ABSL_FLAG(bool, strict, false, "Stop at the first malformed line instead of skipping it.");
ABSL_FLAG(absl::Duration, session_gap, absl::Minutes(30),
          HRNN_DATA_FLAG_HELP("Inactivity gap that ends a session "
                              "(0 = cut only at session ids), as hrnn-train.",
                              "Inactivity gap that ends a session."));
ABSL_FLAG(bool, use_session_ids, true, "Also cut sessions where SESSION_ID changes.");
ABSL_FLAG(std::string, event_types, "",
          HRNN_DATA_FLAG_HELP("Comma-separated EVENT_TYPE values to keep (empty = "
                              "all).",
                              "Comma-separated EVENT_TYPE values to train on "
                              "(empty = all)."));
ABSL_FLAG(double, min_event_value, std::numeric_limits<double>::quiet_NaN(),
          "Keep only events with EVENT_VALUE >= this (unset = all).");
ABSL_FLAG(int64_t, min_item_support, 5,
          HRNN_DATA_FLAG_HELP("Drop items with fewer events (train side).",
                              "Drop items with fewer events."));
ABSL_FLAG(int64_t, min_session_length, 2,
          HRNN_DATA_FLAG_HELP("Drop sessions with fewer events (train side).",
                              "Drop sessions with fewer events."));
ABSL_FLAG(int64_t, max_session_length, 0,
          HRNN_DATA_FLAG_HELP("Keep only the last N events of longer sessions.",
                              "Keep only the last N events of longer sessions "
                              "(0 = unlimited)."));
ABSL_FLAG(int64_t, min_sessions_per_user, 1,
          HRNN_DATA_FLAG_HELP("Drop users with fewer sessions (train side).",
                              "Drop users with fewer sessions."));
ABSL_FLAG(bool, filter_fixpoint, false,
          HRNN_DATA_FLAG_HELP("Repeat the item support, session length and sessions-per-user "
                              "filters until nothing changes (train side; default: once each, "
                              "in that order), as hrnn-train.",
                              "Repeat the item support, session length and sessions-per-user "
                              "filters until nothing changes (default: once each, in that "
                              "order; the fixpoint can remove most of a sparse catalogue)."));

namespace hrnn {

absl::StatusOr<ReaderOptions> ReaderOptionsFromFlags() {
  absl::StatusOr<InputFormat> format = ParseInputFormat(absl::GetFlag(FLAGS_format));
  if (!format.ok()) return format.status();
  ReaderOptions reader;
  reader.format = *format;
  reader.strict = absl::GetFlag(FLAGS_strict);
  return reader;
}

DataOptions DataOptionsFromFlags() {
  DataOptions data;
  data.session_gap_seconds = absl::ToInt64Seconds(absl::GetFlag(FLAGS_session_gap));
  data.use_session_ids = absl::GetFlag(FLAGS_use_session_ids);
  for (absl::string_view type :
       absl::StrSplit(absl::GetFlag(FLAGS_event_types), ',', absl::SkipEmpty())) {
    data.event_types.emplace_back(type);
  }
  data.min_event_value = absl::GetFlag(FLAGS_min_event_value);
  data.min_item_support = absl::GetFlag(FLAGS_min_item_support);
  data.min_session_length = absl::GetFlag(FLAGS_min_session_length);
  data.max_session_length = absl::GetFlag(FLAGS_max_session_length);
  data.min_sessions_per_user = absl::GetFlag(FLAGS_min_sessions_per_user);
  data.filter_fixpoint = absl::GetFlag(FLAGS_filter_fixpoint);
  return data;
}

}  // namespace hrnn
