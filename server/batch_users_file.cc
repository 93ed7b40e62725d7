#include "server/batch_users_file.h"

#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "core/base/file_chunks.h"
#include "core/catalogue/internal/csv_scanner.h"
#include "server/internal/utf8.h"

namespace hrnn {
namespace {

constexpr absl::string_view kByteOrderMark = "\xEF\xBB\xBF";

// Why `id` cannot be a user id ("" when it can).
std::string UserIdProblem(absl::string_view id) {
  if (id.empty()) return "an empty user id";
  for (char c : id) {
    const unsigned char byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      return absl::StrCat("the user id holds the control character 0x",
                          absl::Hex(byte, absl::kZeroPad2));
    }
  }
  if (!internal::IsValidUtf8(id)) return "the user id is not valid UTF-8";
  return "";
}

bool IsParameterName(absl::string_view name) {
  if (name.empty() || !(absl::ascii_isalpha(name[0]) || name[0] == '_')) return false;
  for (char c : name) {
    if (!(absl::ascii_isalnum(c) || c == '_')) return false;
  }
  return true;
}

// Adds a user, refusing one listed before. `where` prefixes errors.
absl::Status AddUser(BatchUser user, const std::string& where,
                     absl::flat_hash_map<std::string, int64_t>& first_line, UsersFile& file) {
  const auto [it, added] = first_line.try_emplace(user.user_id, user.line);
  if (!added) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, ": user \"", user.user_id, "\" is listed again (first on line ", it->second, ")"));
  }
  file.users.push_back(std::move(user));
  return absl::OkStatus();
}

absl::StatusOr<UsersFile> ParsePlainList(absl::string_view content, UsersFile file) {
  absl::flat_hash_map<std::string, int64_t> first_line;
  int64_t line_number = 0;
  for (absl::string_view line : absl::StrSplit(content, '\n')) {
    ++line_number;
    absl::ConsumeSuffix(&line, "\r");
    if (line.empty()) continue;
    const std::string where = absl::StrCat(file.source, ":", line_number);
    if (absl::StrContains(line, ',')) {
      return absl::InvalidArgumentError(
          absl::StrCat(where,
                       ": a user id with \",\" (a users CSV starts with the header "
                       "user_id[,PARAM...])"));
    }
    if (std::string problem = UserIdProblem(line); !problem.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": ", problem));
    }
    BatchUser user;
    user.user_id = std::string(line);
    user.line = line_number;
    if (absl::Status added = AddUser(std::move(user), where, first_line, file); !added.ok()) {
      return added;
    }
  }
  return file;
}

absl::StatusOr<UsersFile> ParseCsv(absl::string_view content, UsersFile file) {
  internal::CsvScanner scanner(content);
  auto error_at = [&](int64_t line, int64_t column, absl::string_view reason) {
    return absl::InvalidArgumentError(
        absl::StrCat(file.source, ":", line, ":", column, ": ", reason));
  };
  auto scan_error = [&] {
    const internal::CsvScanner::Error& error = scanner.error();
    return error_at(error.line, error.column, error.reason);
  };
  if (!scanner.Next()) return scan_error();  // ParseUsersFile saw a header: only a bad quote.
  const std::vector<internal::CsvScanner::Field>& header = scanner.fields();
  if (!absl::EqualsIgnoreCase(header[0].text, "user_id")) {
    return error_at(header[0].line, header[0].column, "the header's first column is not user_id");
  }
  if (header.size() - 1 > static_cast<size_t>(kMaxUsersFileParameters)) {
    return error_at(
        header[0].line, header[0].column,
        absl::StrCat(header.size() - 1, " parameter columns, at most ", kMaxUsersFileParameters));
  }
  for (size_t c = 1; c < header.size(); ++c) {
    absl::string_view name = header[c].text;
    absl::ConsumePrefix(&name, "$");
    if (!IsParameterName(name)) {
      return error_at(header[c].line, header[c].column,
                      absl::StrCat("\"", absl::CHexEscape(header[c].text),
                                   "\" is not a parameter name ([A-Za-z_][A-Za-z0-9_]*)"));
    }
    for (const std::string& earlier : file.parameters) {
      if (earlier == name) {
        return error_at(header[c].line, header[c].column,
                        absl::StrCat("the column ", name, " is named twice"));
      }
    }
    file.parameters.emplace_back(name);
  }
  const size_t columns = header.size();
  absl::flat_hash_map<std::string, int64_t> first_line;
  while (scanner.Next()) {
    const std::vector<internal::CsvScanner::Field>& fields = scanner.fields();
    const internal::CsvScanner::Field& id = fields[0];
    if (fields.size() != columns) {
      return error_at(id.line, id.column,
                      absl::StrCat(fields.size(), " fields, the header has ", columns));
    }
    if (std::string problem = UserIdProblem(id.text); !problem.empty()) {
      return error_at(id.line, id.column, problem);
    }
    BatchUser user;
    user.user_id = std::string(id.text);
    user.line = id.line;
    user.values.resize(columns - 1);
    for (size_t c = 1; c < columns; ++c) {
      const internal::CsvScanner::Field& cell = fields[c];
      if (absl::StripAsciiWhitespace(cell.text).empty()) continue;  // No value of its own.
      std::vector<std::string>& values = user.values[c - 1];
      for (absl::string_view value : absl::StrSplit(cell.text, '|')) {
        value = absl::StripAsciiWhitespace(value);
        if (value.empty()) {
          return error_at(cell.line, cell.column,
                          absl::StrCat("an empty value in the column ", file.parameters[c - 1],
                                       " (values are separated by \"|\")"));
        }
        if (values.size() == static_cast<size_t>(kMaxUsersFileValues)) {
          return error_at(cell.line, cell.column,
                          absl::StrCat("more than ", kMaxUsersFileValues, " values in the column ",
                                       file.parameters[c - 1]));
        }
        values.emplace_back(value);
      }
    }
    if (absl::Status added =
            AddUser(std::move(user), absl::StrCat(file.source, ":", id.line), first_line, file);
        !added.ok()) {
      return added;
    }
  }
  if (!scanner.ok()) return scan_error();
  return file;
}

}  // namespace

absl::StatusOr<UsersFile> ParseUsersFile(absl::string_view content, absl::string_view source) {
  UsersFile file;
  file.source = std::string(source);
  absl::string_view body = content;
  absl::ConsumePrefix(&body, kByteOrderMark);
  // The first non-empty line decides the layout.
  absl::string_view first;
  for (absl::string_view line : absl::StrSplit(body, '\n')) {
    absl::ConsumeSuffix(&line, "\r");
    if (!line.empty()) {
      first = line;
      break;
    }
  }
  const absl::string_view first_field = first.substr(0, first.find(','));
  file.csv = absl::EqualsIgnoreCase(first_field, "user_id") ||
             absl::EqualsIgnoreCase(first_field, "\"user_id\"");
  absl::StatusOr<UsersFile> parsed =
      file.csv ? ParseCsv(content, std::move(file)) : ParsePlainList(body, std::move(file));
  if (parsed.ok() && parsed->users.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": no users"));
  }
  return parsed;
}

absl::StatusOr<UsersFile> ReadUsersFile(const std::string& path) {
  absl::StatusOr<std::string> content = ReadFileContents(path);
  if (!content.ok()) return content.status();
  return ParseUsersFile(*content, path);
}

}  // namespace hrnn
