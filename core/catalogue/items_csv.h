// The items CSV (Personalize's items dataset; `hrnn-train --items=FILE`, and the copy a model
// directory keeps as items.csv): the reader and the canonical writer. Stateless functions; safe
// to call concurrently.
//
// Layout (UTF-8, RFC 4180 quoting: a field may be "quoted", with "" for a quote and line breaks
// inside; lines end with "\n" or "\r\n"; the reader also takes gzip through ReadItemsCsvFile):
//   1. A header naming the columns, case-insensitive, any order: ITEM_ID (required),
//      CREATION_TIMESTAMP (optional: epoch seconds, integer or decimal, truncated), and any
//      other fields. A field is numeric when its header name ends in a type suffix ":number"
//      (e.g. "PRICE:number"), or — without suffix — when every non-empty cell of the column
//      parses as a finite decimal number; otherwise categorical. ":category" forces categorical.
//   2. One row per item: the item id (as written, not trimmed) and its cells. A categorical
//      cell holds values separated by "|" (Personalize's multi-value separator), each trimmed
//      of spaces; an empty cell is a missing value. A numeric cell is a finite decimal number
//      or empty (missing), spaces around it ignored.
//   3. Empty lines are skipped.
// The canonical form written by SerializeItemsCsv has every numeric field suffixed ":number"
// and every categorical one ":category", so a round trip keeps the kinds whatever the values.
#ifndef HRNN_CORE_CATALOGUE_ITEMS_CSV_H_
#define HRNN_CORE_CATALOGUE_ITEMS_CSV_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/catalogue/item_attributes.h"

namespace hrnn {

// The canonical items CSV's name in a model directory (written by hrnn-train --items).
inline constexpr char kItemAttributesFileName[] = "item_attributes.csv";

// Parses the items CSV `content`; `source` names it in errors. Errors (InvalidArgument,
// "SOURCE:LINE:COLUMN: reason" with the 1-based physical line and byte column where the
// offending field starts; the earliest error of the file only; a bad file is refused as a
// whole): no header or no ITEM_ID column, a duplicate column, an unknown type suffix, a column
// name that is not [A-Za-z_][A-Za-z0-9_]*, a type suffix on ITEM_ID or CREATION_TIMESTAMP, a
// row with a different number of fields than the header, an unterminated quote or a character
// after a closing quote, a numeric cell (of a ":number" column) that is not a finite number, a
// bad CREATION_TIMESTAMP (negative, not a number, past int64), and whatever
// ItemAttributes::Builder refuses (duplicate item id, too many values or fields, ...).
absl::StatusOr<ItemAttributes> ParseItemsCsv(absl::string_view content,
                                             absl::string_view source = "items.csv");

// Reads and parses the file at `path` (plain or gzip, by its magic bytes). Errors: the file
// cannot be read (NotFound / InvalidArgument naming the path) and ParseItemsCsv's.
absl::StatusOr<ItemAttributes> ReadItemsCsvFile(const std::string& path);

// The canonical items CSV of `attributes` (header "ITEM_ID,<FIELD>:<kind>...[,CREATION_TIMESTAMP]",
// the timestamp column only when a row has one; values quoted only when needed; numbers in the
// shortest form that parses back to the same double). ParseItemsCsv(SerializeItemsCsv(a))
// equals `a`.
std::string SerializeItemsCsv(const ItemAttributes& attributes);

}  // namespace hrnn

#endif  // HRNN_CORE_CATALOGUE_ITEMS_CSV_H_
