// The named filters file (`hrnn-server --filters_file`): filters an operator defines once and
// requests name (`Filter.name` plus parameter values). Parsed at start-up (syntax), compiled
// against each model version's item fields when it loads. Stateless functions; safe to call
// concurrently.
//
// Layout (UTF-8 text): one filter per line, `NAME: EXPRESSION` (see filter_expression.h), where
// NAME is 1..64 characters of [A-Za-z0-9_-] (case-sensitive); a line whose first non-space
// character is "#" is a comment; empty (or all-space) lines are skipped. An expression may
// continue on the following lines when they begin with whitespace; a comment or empty line ends
// it, and a line beginning with whitespace that follows no filter line is an error. Lines end
// with "\n" or "\r\n".
#ifndef HRNN_CORE_CATALOGUE_FILTERS_FILE_H_
#define HRNN_CORE_CATALOGUE_FILTERS_FILE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/catalogue/filter_expression.h"
#include "core/catalogue/item_filter_program.h"

namespace hrnn {

struct NamedFilter {
  std::string name;
  std::string text;  // The expression as written (continuation lines joined by one space).
  FilterExpression expression;
};

// Parses the file `content`; `source` names it in errors. Errors (InvalidArgument,
// "SOURCE:LINE:COLUMN: reason", the first one): a line without "NAME:", a bad or duplicate
// name, an expression that does not parse (its position is the file's), more than 1,000
// filters.
absl::StatusOr<std::vector<NamedFilter>> ParseFiltersFile(absl::string_view content,
                                                          absl::string_view source);

// Reads and parses the file at `path` (`source` = path). Errors: NotFound (no such file) or
// InvalidArgument (not a regular file, unreadable), naming the path; and the above.
absl::StatusOr<std::vector<NamedFilter>> ReadFiltersFile(const std::string& path);

// Compiles every filter for `fields`, in order. Errors: the first filter that does not
// compile (ItemFilterProgram::Compile's message: "filter NAME: LINE:COLUMN: reason").
absl::StatusOr<std::vector<ItemFilterProgram>> CompileFilters(
    const std::vector<NamedFilter>& filters, const std::vector<AttributeField>& fields);

}  // namespace hrnn

#endif  // HRNN_CORE_CATALOGUE_FILTERS_FILE_H_
