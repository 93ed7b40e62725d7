// ItemCatalog: the item ids and training popularity the load generator draws clicks from, read
// from a model directory's items.tsv (DESIGN §4) with a small reader of its own (the client does
// not link the core). Stateless functions; thread-safe.
#ifndef HRNN_CLIENT_LOADGEN_ITEM_CATALOG_H_
#define HRNN_CLIENT_LOADGEN_ITEM_CATALOG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hrnn::client::loadgen {

struct ItemCatalog {
  std::vector<std::string> ids;     // In items.tsv order.
  std::vector<int64_t> popularity;  // Same length as ids.
};

// Parses items.tsv text: lines "<index>\t<item id>\t<popularity>" (the core's format: header
// "index\titem_id\tpopularity", then one line per item); the header is optional here, empty
// lines are skipped and a trailing "\r" is dropped. Errors: InvalidArgument naming the line
// ("items.tsv line L: ...") for a line without three tab-separated fields, an empty id or a
// popularity that is not a non-negative integer; InvalidArgument when there are no items.
absl::StatusOr<ItemCatalog> ParseItemCatalog(absl::string_view content);

// The version directory to read for `model_dir`: `model_dir` itself when it holds items.tsv,
// else its subdirectory with the highest decimal-integer name that holds items.tsv (a model root
// models/<name>/, as the server serves it). Errors: NotFound naming model_dir when neither.
absl::StatusOr<std::string> ResolveModelVersionDir(const std::string& model_dir);

// ResolveModelVersionDir, then reads and parses <version dir>/items.tsv.
// Errors: as both, or the read error.
absl::StatusOr<ItemCatalog> ReadItemCatalog(const std::string& model_dir);

}  // namespace hrnn::client::loadgen

#endif  // HRNN_CLIENT_LOADGEN_ITEM_CATALOG_H_
