#include "server/env_flags.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace hrnn {

std::string EnvironmentVariableFor(const std::string& flag_name) {
  return absl::StrCat("HRNN_", absl::AsciiStrToUpper(flag_name));
}

std::vector<std::string> ArgsWithEnvironment(
    int argc, char** argv, const std::vector<std::string>& flag_names,
    const std::function<const char*(const char*)>& getenv) {
  std::vector<std::string> args;
  if (argc > 0) args.emplace_back(argv[0]);
  for (const std::string& name : flag_names) {
    if (const char* value = getenv(EnvironmentVariableFor(name).c_str())) {
      args.push_back(absl::StrCat("--", name, "=", value));
    }
  }
  for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
  return args;
}

}  // namespace hrnn
