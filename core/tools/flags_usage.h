// ShowFlagsFrom: makes `--help` list the flags defined in one *_main.cc file (absl's default
// only matches files named after the program, which ours are not). Header-only, for the tools'
// main() functions, which link absl flags; call once before parsing. Not thread-safe.
#ifndef HRNN_CORE_TOOLS_FLAGS_USAGE_H_
#define HRNN_CORE_TOOLS_FLAGS_USAGE_H_

#include <string>

#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"

namespace hrnn {

// `main_file_stem`: e.g. "train_main" for core/tools/train_main.cc.
inline void ShowFlagsFrom(const std::string& main_file_stem) {
  absl::FlagsUsageConfig config;
  config.contains_help_flags = [main_file_stem](absl::string_view file) {
    return absl::StrContains(file, main_file_stem);
  };
  config.contains_helpshort_flags = config.contains_help_flags;
  absl::SetFlagsUsageConfig(config);
}

}  // namespace hrnn

#endif  // HRNN_CORE_TOOLS_FLAGS_USAGE_H_
