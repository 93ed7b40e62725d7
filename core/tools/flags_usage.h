// ShowFlagsFrom: makes `--help` list the flags defined in one *_main.cc file and the shared flag
// files it names (absl's default only matches files named after the program, which ours are
// not). Header-only, for the tools' main() functions, which link absl flags; call once before
// parsing. Not thread-safe.
#ifndef HRNN_CORE_TOOLS_FLAGS_USAGE_H_
#define HRNN_CORE_TOOLS_FLAGS_USAGE_H_

#include <initializer_list>
#include <string>
#include <vector>

#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"

namespace hrnn {

// `file_stems`: e.g. {"train_main", "data_flags"} for core/tools/train_main.cc and the shared
// flags it links (core/tools/data_flags.h).
inline void ShowFlagsFrom(std::initializer_list<absl::string_view> file_stems) {
  absl::FlagsUsageConfig config;
  config.contains_help_flags = [stems = std::vector<std::string>(
                                    file_stems.begin(), file_stems.end())](absl::string_view file) {
    for (const std::string& stem : stems) {
      if (absl::StrContains(file, stem)) return true;
    }
    return false;
  };
  config.contains_helpshort_flags = config.contains_help_flags;
  absl::SetFlagsUsageConfig(config);
}

// `main_file_stem`: e.g. "train_main" for core/tools/train_main.cc.
inline void ShowFlagsFrom(const std::string& main_file_stem) { ShowFlagsFrom({main_file_stem}); }

}  // namespace hrnn

#endif  // HRNN_CORE_TOOLS_FLAGS_USAGE_H_
