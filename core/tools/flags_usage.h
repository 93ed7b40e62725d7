// ShowFlagsFrom: makes `--help` list the flags of one *_main.cc and the shared flag files it
// names (absl only matches files named after the program), by their source-tree path, not the
// build machine's. Header-only, for the core and server tools' main(); call once before parsing.
// Not thread-safe.
#ifndef HRNN_CORE_TOOLS_FLAGS_USAGE_H_
#define HRNN_CORE_TOOLS_FLAGS_USAGE_H_

#include <initializer_list>
#include <string>
#include <vector>

#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"

namespace hrnn {

// `file` (a flag's __FILE__) relative to the source tree when it lies in it; otherwise without
// its leading slashes (absl's default).
inline std::string SourceRelativeFilename(absl::string_view file) {
  // This header's own __FILE__ tells where the source tree is.
  absl::string_view root = __FILE__;
  if (!absl::ConsumeSuffix(&root, "core/tools/flags_usage.h")) root = "";
  if (!root.empty() && absl::ConsumePrefix(&file, root)) return std::string(file);
  while (absl::ConsumePrefix(&file, "/")) {
  }
  return std::string(file);
}

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
  config.normalize_filename = SourceRelativeFilename;
  absl::SetFlagsUsageConfig(config);
}

// `main_file_stem`: e.g. "train_main" for core/tools/train_main.cc.
// (The list is spelled out: `{main_file_stem}` alone would pick this overload again in clang.)
inline void ShowFlagsFrom(const std::string& main_file_stem) {
  ShowFlagsFrom(std::initializer_list<absl::string_view>{main_file_stem});
}

}  // namespace hrnn

#endif  // HRNN_CORE_TOOLS_FLAGS_USAGE_H_
