// Environment defaults for flags: HRNN_<FLAG_NAME_IN_CAPITALS>=value acts as --flag_name=value
// unless the command line sets the flag too (the command line wins). Used by hrnn-server so that
// containers can be configured by environment. Stateless; thread-compatible.
#ifndef HRNN_SERVER_ENV_FLAGS_H_
#define HRNN_SERVER_ENV_FLAGS_H_

#include <functional>
#include <string>
#include <vector>

namespace hrnn {

// The arguments to parse: argv[0], then "--name=value" for each flag in `flag_names` whose
// environment variable is set (looked up with `getenv`), then argv[1..]. Later arguments override
// earlier ones in absl's parser, so the command line wins.
std::vector<std::string> ArgsWithEnvironment(int argc, char** argv,
                                             const std::vector<std::string>& flag_names,
                                             const std::function<const char*(const char*)>& getenv);

// "session_timeout" -> "HRNN_SESSION_TIMEOUT".
std::string EnvironmentVariableFor(const std::string& flag_name);

}  // namespace hrnn

#endif  // HRNN_SERVER_ENV_FLAGS_H_
