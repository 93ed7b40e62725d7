// ServerLog: hrnn-server's log lines on stderr ("2026-11-26T22:50:01Z hrnn-server: message"),
// one whole line per call so that concurrent lines never interleave. Never given secrets or
// per-request user data. Thread-safe.
#ifndef HRNN_SERVER_SERVER_LOG_H_
#define HRNN_SERVER_SERVER_LOG_H_

#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace hrnn {

inline void ServerLog(absl::string_view message) {
  const std::string line =
      absl::StrCat(absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now(), absl::UTCTimeZone()),
                   " hrnn-server: ", message, "\n");
  std::fwrite(line.data(), 1, line.size(), stderr);  // One write: lines never interleave.
}

}  // namespace hrnn

#endif  // HRNN_SERVER_SERVER_LOG_H_
