// libFuzzer target: hrnn-batch's users file reader (server/batch_users_file.h) on arbitrary text.
// It must return a status, never crash; what it accepts must hold to the layout (ids valid,
// unique, without control characters; one value list per column, values trimmed, not empty,
// without "|"), and survive being written back as a fully quoted CSV and read again with the
// same users, lines aside (else the target traps).
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/string_view.h"
#include "server/batch_users_file.h"

namespace {

void AppendQuoted(absl::string_view field, std::string* out) {
  out->push_back('"');
  for (char c : field) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

void Check(const hrnn::UsersFile& file) {
  if (file.users.empty()) __builtin_trap();
  absl::flat_hash_set<std::string> ids;
  for (const hrnn::BatchUser& user : file.users) {
    if (user.user_id.empty() || !ids.insert(user.user_id).second || user.line < 1) {
      __builtin_trap();
    }
    for (char c : user.user_id) {
      const unsigned char byte = static_cast<unsigned char>(c);
      if (byte < 0x20 || byte == 0x7f) __builtin_trap();
    }
    if (user.values.size() != (file.csv ? file.parameters.size() : 0)) __builtin_trap();
    for (const auto& values : user.values) {
      if (values.size() > static_cast<size_t>(hrnn::kMaxUsersFileValues)) __builtin_trap();
      for (const std::string& value : values) {
        if (value.empty() || value.find('|') != std::string::npos ||
            absl::StripAsciiWhitespace(value) != value) {
          __builtin_trap();
        }
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view content(reinterpret_cast<const char*>(data), size);
  const absl::StatusOr<hrnn::UsersFile> parsed = hrnn::ParseUsersFile(content, "fuzz.csv");
  if (!parsed.ok()) return 0;
  Check(*parsed);
  std::string canonical = "user_id";
  for (const std::string& parameter : parsed->parameters) canonical += "," + parameter;
  canonical += "\n";
  for (const hrnn::BatchUser& user : parsed->users) {
    AppendQuoted(user.user_id, &canonical);
    for (const auto& values : user.values) {
      std::string cell;
      for (size_t v = 0; v < values.size(); ++v) cell += (v > 0 ? "|" : "") + values[v];
      canonical += ",";
      AppendQuoted(cell, &canonical);
    }
    canonical += "\n";
  }
  const absl::StatusOr<hrnn::UsersFile> reparsed = hrnn::ParseUsersFile(canonical, "canonical.csv");
  if (!reparsed.ok() || reparsed->parameters != parsed->parameters ||
      reparsed->users.size() != parsed->users.size()) {
    __builtin_trap();
  }
  for (size_t u = 0; u < parsed->users.size(); ++u) {
    const hrnn::BatchUser& a = parsed->users[u];
    const hrnn::BatchUser& b = reparsed->users[u];
    if (a.user_id != b.user_id) __builtin_trap();
    if (parsed->csv && a.values != b.values) __builtin_trap();
  }
  return 0;
}
