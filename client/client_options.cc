#include "client/client_options.h"

#include "absl/strings/str_cat.h"

namespace hrnn::client {

absl::Status ClientOptions::Validate() const {
  if (target.empty()) return absl::InvalidArgumentError("target: must not be empty");
  if (deadline <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("deadline: must be positive, got ", absl::FormatDuration(deadline)));
  }
  if (stream_deadline <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat("stream_deadline: must be positive, got ",
                                                   absl::FormatDuration(stream_deadline)));
  }
  if (max_attempts < 1 || max_attempts > 10) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_attempts: ", max_attempts, " is outside 1..10"));
  }
  if (initial_backoff <= absl::ZeroDuration() || max_backoff < initial_backoff) {
    return absl::InvalidArgumentError(absl::StrCat(
        "initial_backoff, max_backoff: need 0 < initial_backoff <= max_backoff, got ",
        absl::FormatDuration(initial_backoff), " and ", absl::FormatDuration(max_backoff)));
  }
  return absl::OkStatus();
}

}  // namespace hrnn::client
