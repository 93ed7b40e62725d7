// items.tsv of a model directory (DESIGN §4): the item vocabulary as text.
// Stateless functions; safe to call concurrently.
//
// Layout (UTF-8 text, lines end with "\n"; "\r" anywhere is refused):
//   1. The header line: "index\titem_id\tpopularity".
//   2. One line per item, in index order: "<i>\t<item id>\t<popularity>", where i is 0, 1, 2, ...
//      (decimal, no sign), the id is non-empty and holds no tab, and popularity is a
//      non-negative decimal int64 (the item's number of training events).
//   3. Optionally, empty lines at the very end; the final newline may be missing.
#ifndef HRNN_CORE_MODEL_ITEMS_TSV_H_
#define HRNN_CORE_MODEL_ITEMS_TSV_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/model/item_vocabulary.h"

namespace hrnn {

// Returns the items.tsv text of `items` (ends with a newline).
std::string SerializeItemsTsv(const ItemVocabulary& items);

// Parses items.tsv. Errors (InvalidArgument, "items.tsv line L: ..."): a missing or wrong header;
// a carriage return (CRLF line endings); a line without exactly three tab-separated fields; an
// index other than the line's position; an empty id; a popularity that is not a non-negative
// integer; a duplicate id (names the id and both indices); an empty line before the end.
absl::StatusOr<ItemVocabulary> ParseItemsTsv(absl::string_view content);

}  // namespace hrnn

#endif  // HRNN_CORE_MODEL_ITEMS_TSV_H_
