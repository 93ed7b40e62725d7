// The data-preparation flags that hrnn-train and hrnn-eval share (input format, sessionisation,
// event filters, support filters), so that the data evaluated is prepared as the data trained on,
// and the functions that turn them into ReaderOptions and DataOptions. For the tools' main()
// functions only (read after absl::ParseCommandLine); thread-safe as absl::GetFlag is.
#ifndef HRNN_CORE_TOOLS_DATA_FLAGS_H_
#define HRNN_CORE_TOOLS_DATA_FLAGS_H_

#include <cstdint>
#include <string>

#include "absl/flags/declare.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/data/interaction_reader.h"
#include "core/data/sessionizer.h"

ABSL_DECLARE_FLAG(std::string, format);
ABSL_DECLARE_FLAG(bool, strict);
ABSL_DECLARE_FLAG(absl::Duration, session_gap);
ABSL_DECLARE_FLAG(bool, use_session_ids);
ABSL_DECLARE_FLAG(std::string, event_types);
ABSL_DECLARE_FLAG(double, min_event_value);
ABSL_DECLARE_FLAG(int64_t, min_item_support);
ABSL_DECLARE_FLAG(int64_t, min_session_length);
ABSL_DECLARE_FLAG(int64_t, max_session_length);
ABSL_DECLARE_FLAG(int64_t, min_sessions_per_user);
ABSL_DECLARE_FLAG(bool, filter_fixpoint);

namespace hrnn {

// The file stem to pass to ShowFlagsFrom (core/tools/flags_usage.h) so that --help lists them.
inline constexpr char kDataFlagsFile[] = "data_flags";

// ReaderOptions from --format and --strict (other fields default). Errors: InvalidArgument from
// ParseInputFormat for an unknown --format.
absl::StatusOr<ReaderOptions> ReaderOptionsFromFlags();

// DataOptions from --session_gap, --use_session_ids, --event_types (comma-separated, empty items
// skipped), --min_event_value, the four support/length flags and --filter_fixpoint; other fields
// default. Not validated: the caller's run options Validate() it.
DataOptions DataOptionsFromFlags();

}  // namespace hrnn

#endif  // HRNN_CORE_TOOLS_DATA_FLAGS_H_
