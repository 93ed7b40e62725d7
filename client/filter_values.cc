#include "client/filter_values.h"

#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/map.h"

namespace hrnn::client {
namespace {

// A trimmed piece of the spec and the 1-based column of its first character in the spec (for
// an empty piece, where it would start).
struct Piece {
  absl::string_view text;
  size_t column = 0;
};

// `raw`, which starts at 1-based `column` of the spec, trimmed.
Piece Trim(absl::string_view raw, size_t column) {
  const absl::string_view trimmed = absl::StripAsciiWhitespace(raw);
  const size_t lead = trimmed.empty() ? 0 : static_cast<size_t>(trimmed.data() - raw.data());
  return {trimmed, column + lead};
}

// Splits `text`, which starts at 1-based `column` of the spec, at every `delimiter` and trims
// each piece. Always returns at least one piece.
std::vector<Piece> SplitTrimmed(absl::string_view text, size_t column, char delimiter) {
  std::vector<Piece> pieces;
  size_t start = 0;
  while (true) {
    const size_t end = std::min(text.find(delimiter, start), text.size());
    pieces.push_back(Trim(text.substr(start, end - start), column + start));
    if (end == text.size()) break;
    start = end + 1;
  }
  return pieces;
}

}  // namespace

absl::Status SetNamedFilter(absl::string_view name, absl::string_view values_spec,
                            hrnn::v1::Filter* filter) {
  const bool no_values = absl::StripAsciiWhitespace(values_spec).empty();
  if (name.empty() && !no_values) {
    return absl::InvalidArgumentError(
        absl::StrCat("values \"", values_spec, "\" are given without a filter name"));
  }
  google::protobuf::Map<std::string, hrnn::v1::FilterValues> values;
  if (!no_values) {
    const std::vector<Piece> parts = SplitTrimmed(values_spec, 1, ';');
    for (size_t i = 0; i < parts.size(); ++i) {
      const Piece& part = parts[i];
      const std::string where = absl::StrCat("part ", i + 1, " (column ", part.column, ")");
      if (part.text.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, " is empty; want PARAM=V1|V2 between ';'"));
      }
      const size_t equals = part.text.find('=');
      if (equals == absl::string_view::npos) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, " \"", part.text, "\" has no '='; want PARAM=V1|V2"));
      }
      const absl::string_view param = absl::StripAsciiWhitespace(part.text.substr(0, equals));
      if (param.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, " \"", part.text, "\" has an empty parameter name before '='"));
      }
      const std::string param_name(param);
      if (values.contains(param_name)) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": parameter \"", param_name, "\" is given twice"));
      }
      hrnn::v1::FilterValues& out = values[param_name];
      const std::vector<Piece> items =
          SplitTrimmed(part.text.substr(equals + 1), part.column + equals + 1, '|');
      for (size_t j = 0; j < items.size(); ++j) {
        if (items[j].text.empty()) {
          return absl::InvalidArgumentError(absl::StrCat(where, ": value ", j + 1, " (column ",
                                                         items[j].column, ") of parameter \"",
                                                         param_name, "\" is empty"));
        }
        out.add_values(std::string(items[j].text));
      }
    }
  }
  filter->set_name(std::string(name));
  filter->mutable_values()->swap(values);
  return absl::OkStatus();
}

}  // namespace hrnn::client
