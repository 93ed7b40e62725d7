#include "core/model/items_tsv.h"

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace hrnn {
namespace {

constexpr absl::string_view kHeader = "index\titem_id\tpopularity";

absl::Status LineError(int64_t line, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("items.tsv line ", line, ": ", what));
}

// Parses a non-empty run of decimal digits that fits int64; no sign, no spaces.
bool ParseDecimal(absl::string_view text, int64_t* out) {
  if (text.empty()) return false;
  int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    if (__builtin_mul_overflow(value, int64_t{10}, &value) ||
        __builtin_add_overflow(value, int64_t{c - '0'}, &value)) {
      return false;
    }
  }
  *out = value;
  return true;
}

}  // namespace

std::string SerializeItemsTsv(const ItemVocabulary& items) {
  std::string out = absl::StrCat(kHeader, "\n");
  for (int64_t i = 0; i < items.size(); ++i) {
    absl::StrAppend(&out, i, "\t", items.id(i), "\t", items.popularity(i), "\n");
  }
  return out;
}

absl::StatusOr<ItemVocabulary> ParseItemsTsv(absl::string_view content) {
  if (const size_t cr = content.find('\r'); cr != absl::string_view::npos) {
    const int64_t line = 1 + std::count(content.begin(), content.begin() + cr, '\n');
    return LineError(line, "carriage return found (CRLF line endings are not supported)");
  }
  std::vector<absl::string_view> lines = absl::StrSplit(content, '\n');
  // Trailing empty lines (including the one after the final newline) are allowed.
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  if (lines.empty())
    return LineError(1, absl::StrCat("missing header \"", absl::CEscape(kHeader), "\""));
  if (lines[0] != kHeader) {
    return LineError(1, absl::StrCat("header is \"", absl::CEscape(lines[0]), "\", expected \"",
                                     absl::CEscape(kHeader), "\""));
  }

  std::vector<std::string> ids;
  std::vector<int64_t> popularity;
  ids.reserve(lines.size() - 1);
  popularity.reserve(lines.size() - 1);
  absl::flat_hash_map<absl::string_view, int64_t> index_of;
  index_of.reserve(lines.size() - 1);
  for (size_t l = 1; l < lines.size(); ++l) {
    const int64_t line_number = static_cast<int64_t>(l) + 1;
    const int64_t expected_index = static_cast<int64_t>(l) - 1;
    const absl::string_view line = lines[l];
    if (line.empty()) return LineError(line_number, "empty line");
    const std::vector<absl::string_view> fields = absl::StrSplit(line, '\t');
    if (fields.size() != 3) {
      return LineError(line_number,
                       absl::StrCat("expected 3 tab-separated fields, got ", fields.size()));
    }
    int64_t index = 0;
    if (!ParseDecimal(fields[0], &index) || index != expected_index) {
      return LineError(line_number, absl::StrCat("index is \"", absl::CEscape(fields[0]),
                                                 "\", expected ", expected_index));
    }
    if (fields[1].empty()) return LineError(line_number, "empty item id");
    int64_t count = 0;
    if (!ParseDecimal(fields[2], &count)) {
      return LineError(line_number, absl::StrCat("popularity \"", absl::CEscape(fields[2]),
                                                 "\" is not a non-negative integer"));
    }
    const auto [it, inserted] = index_of.emplace(fields[1], index);
    if (!inserted) {
      return LineError(line_number, absl::StrCat("duplicate item id \"", fields[1],
                                                 "\" at indices ", it->second, " and ", index));
    }
    ids.emplace_back(fields[1]);
    popularity.push_back(count);
  }
  return ItemVocabulary::Create(std::move(ids), std::move(popularity));
}

}  // namespace hrnn
