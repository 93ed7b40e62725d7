#include "core/catalogue/filters_file.h"

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/base/file_chunks.h"

namespace hrnn {
namespace {

constexpr size_t kMaxNameLength = 64;
constexpr size_t kMaxFilters = 1000;

bool IsNameChar(char c) { return absl::ascii_isalnum(c) || c == '_' || c == '-'; }
bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

// One line of the file, without its "\n".
struct Line {
  absl::string_view text;
  size_t offset = 0;  // Of its first byte in the file.
  int number = 0;     // From 1.
};

std::vector<Line> SplitLines(absl::string_view content) {
  std::vector<Line> lines;
  size_t start = 0;
  int number = 1;
  while (start < content.size()) {
    size_t end = content.find('\n', start);
    if (end == absl::string_view::npos) end = content.size();
    lines.push_back(Line{content.substr(start, end - start), start, number});
    start = end + 1;
    ++number;
  }
  return lines;
}

bool IsEmptyLine(absl::string_view text) {
  for (const char c : text) {
    if (!IsBlank(c)) return false;
  }
  return true;
}

bool IsComment(absl::string_view text) {
  const absl::string_view stripped = absl::StripLeadingAsciiWhitespace(text);
  return !stripped.empty() && stripped.front() == '#';
}

}  // namespace

absl::StatusOr<std::vector<NamedFilter>> ParseFiltersFile(absl::string_view content,
                                                          absl::string_view source) {
  auto error = [source](int line, size_t column, absl::string_view reason) {
    return absl::InvalidArgumentError(absl::StrCat(source, ":", line, ":", column, ": ", reason));
  };
  const std::vector<Line> lines = SplitLines(content);
  std::vector<NamedFilter> filters;
  absl::flat_hash_map<std::string, int> line_of_name;
  size_t i = 0;
  while (i < lines.size()) {
    const Line& line = lines[i];
    if (IsEmptyLine(line.text) || IsComment(line.text)) {
      ++i;
      continue;
    }
    if (IsBlank(line.text.front())) {
      return error(line.number, 1,
                   "a line beginning with whitespace continues a filter, but no filter line "
                   "precedes it");
    }
    // NAME ":"
    size_t colon = 0;
    while (colon < line.text.size() && IsNameChar(line.text[colon])) ++colon;
    if (colon == line.text.size() || line.text[colon] != ':') {
      if (colon < line.text.size() && colon > 0 && line.text.find(':') != absl::string_view::npos) {
        return error(
            line.number, colon + 1,
            absl::StrCat("unexpected character \"", absl::CHexEscape(line.text.substr(colon, 1)),
                         "\" in a filter name (letters, digits, \"_\" and \"-\" only)"));
      }
      return error(line.number, 1, "expected \"NAME: EXPRESSION\"");
    }
    if (colon == 0) return error(line.number, 1, "empty filter name before \":\"");
    const std::string name(line.text.substr(0, colon));
    if (name.size() > kMaxNameLength) {
      return error(
          line.number, 1,
          absl::StrCat("filter name is ", name.size(), " characters, more than ", kMaxNameLength));
    }
    if (const auto it = line_of_name.find(name); it != line_of_name.end()) {
      return error(line.number, 1,
                   absl::StrCat("duplicate filter name \"", name, "\" (lines ", it->second, " and ",
                                line.number, ")"));
    }
    if (filters.size() >= kMaxFilters) {
      return error(line.number, 1, absl::StrCat("more than ", kMaxFilters, " filters"));
    }

    // The expression: the rest of the line and the continuation lines after it.
    size_t last = i;
    while (last + 1 < lines.size() && !lines[last + 1].text.empty() &&
           IsBlank(lines[last + 1].text.front()) && !IsEmptyLine(lines[last + 1].text) &&
           !IsComment(lines[last + 1].text)) {
      ++last;
    }
    const size_t begin = line.offset + colon + 1;
    const size_t end = lines[last].offset + lines[last].text.size();
    NamedFilter filter;
    filter.name = name;
    std::vector<absl::string_view> pieces;
    pieces.push_back(absl::StripAsciiWhitespace(line.text.substr(colon + 1)));
    for (size_t k = i + 1; k <= last; ++k) {
      pieces.push_back(absl::StripAsciiWhitespace(lines[k].text));
    }
    if (pieces.front().empty()) pieces.erase(pieces.begin());
    filter.text = absl::StrJoin(pieces, " ");

    TextPosition first;
    first.line = line.number;
    first.column = static_cast<int>(colon) + 2;
    absl::StatusOr<FilterExpression> expression =
        ParseFilterExpression(content.substr(begin, end - begin), first);
    if (!expression.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(source, ":", expression.status().message()));
    }
    filter.expression = *std::move(expression);
    line_of_name.emplace(name, line.number);
    filters.push_back(std::move(filter));
    i = last + 1;
  }
  return filters;
}

absl::StatusOr<std::vector<NamedFilter>> ReadFiltersFile(const std::string& path) {
  absl::StatusOr<std::string> content = ReadFileContents(path);
  if (!content.ok()) return content.status();
  return ParseFiltersFile(*content, path);
}

absl::StatusOr<std::vector<ItemFilterProgram>> CompileFilters(
    const std::vector<NamedFilter>& filters, const std::vector<AttributeField>& fields) {
  std::vector<ItemFilterProgram> programs;
  programs.reserve(filters.size());
  for (const NamedFilter& filter : filters) {
    absl::StatusOr<ItemFilterProgram> program =
        ItemFilterProgram::Compile(filter.name, filter.expression, fields);
    if (!program.ok()) return program.status();
    programs.push_back(*std::move(program));
  }
  return programs;
}

}  // namespace hrnn
