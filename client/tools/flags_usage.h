// ShowFlagsFrom: makes `--help` list the flags defined in one *_main.cc file (absl's default
// only matches files named after the program, which ours are not), named by their path in the
// source tree rather than the build machine's absolute path. Header-only, for the client tools'
// main() functions (the client's copy of core/tools/flags_usage.h: client/ includes nothing of
// core/); call once before parsing. Not thread-safe.
#ifndef HRNN_CLIENT_TOOLS_FLAGS_USAGE_H_
#define HRNN_CLIENT_TOOLS_FLAGS_USAGE_H_

#include <string>

#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"

namespace hrnn::client {

// `file` (a flag's __FILE__) relative to the source tree when it lies in it; otherwise without
// its leading slashes (absl's default).
inline std::string SourceRelativeFilename(absl::string_view file) {
  // This header's own __FILE__ tells where the source tree is.
  absl::string_view root = __FILE__;
  if (!absl::ConsumeSuffix(&root, "client/tools/flags_usage.h")) root = "";
  if (!root.empty() && absl::ConsumePrefix(&file, root)) return std::string(file);
  while (absl::ConsumePrefix(&file, "/")) {
  }
  return std::string(file);
}

// `main_file_stem`: e.g. "cli_main" for client/tools/cli_main.cc.
inline void ShowFlagsFrom(const std::string& main_file_stem) {
  absl::FlagsUsageConfig config;
  config.contains_help_flags = [main_file_stem](absl::string_view file) {
    return absl::StrContains(file, main_file_stem);
  };
  config.contains_helpshort_flags = config.contains_help_flags;
  config.normalize_filename = SourceRelativeFilename;
  absl::SetFlagsUsageConfig(config);
}

}  // namespace hrnn::client

#endif  // HRNN_CLIENT_TOOLS_FLAGS_USAGE_H_
