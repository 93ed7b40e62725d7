// What ItemAttributes::Builder and the items CSV reader share: the field-name rule, the item id
// limit, how error messages quote a refused text, and how Builder::AddRow tells the reader which
// cell of a row it refused (a payload on the returned status), so that the reader's
// "SOURCE:LINE:COLUMN" points at that cell. Header-only; stateless and thread-safe.
#ifndef HRNN_CORE_CATALOGUE_INTERNAL_ATTRIBUTE_CHECKS_H_
#define HRNN_CORE_CATALOGUE_INTERNAL_ATTRIBUTE_CHECKS_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace hrnn::internal {

inline constexpr size_t kMaxItemIdBytes = 256;

// [A-Za-z_][A-Za-z0-9_]*.
inline bool IsAttributeFieldName(absl::string_view name) {
  if (name.empty() || absl::ascii_isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (const char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

// `text` C-escaped and cut to its first 40 bytes, in quotes, for an error message.
inline std::string Quoted(absl::string_view text) {
  constexpr size_t kShown = 40;
  return absl::StrCat("\"", absl::CHexEscape(text.substr(0, kShown)),
                      text.size() > kShown ? "...\"" : "\"");
}

// The cell an AddRow error is about: the item id, a field (0..fields - 1) or the timestamp.
inline constexpr int kItemIdCell = -1;
inline constexpr int kTimestampCell = -2;
inline constexpr absl::string_view kRefusedCellPayloadUrl = "hrnn.catalogue/refused_cell";

// `status` (not OK) with `cell` attached.
inline absl::Status WithRefusedCell(absl::Status status, int cell) {
  status.SetPayload(kRefusedCellPayloadUrl, absl::Cord(std::to_string(cell)));
  return status;
}

// The cell attached by WithRefusedCell, or nullopt (the row as a whole).
inline std::optional<int> RefusedCell(const absl::Status& status) {
  const auto payload = status.GetPayload(kRefusedCellPayloadUrl);
  int cell = 0;
  if (!payload.has_value() || !absl::SimpleAtoi(std::string(*payload), &cell)) return std::nullopt;
  return cell;
}

}  // namespace hrnn::internal

#endif  // HRNN_CORE_CATALOGUE_INTERNAL_ATTRIBUTE_CHECKS_H_
