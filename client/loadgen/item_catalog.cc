#include "client/loadgen/item_catalog.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace hrnn::client::loadgen {
namespace {

namespace fs = std::filesystem;

constexpr absl::string_view kHeader = "index\titem_id\tpopularity";
constexpr char kItemsFile[] = "items.tsv";

absl::Status LineError(int64_t line, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("items.tsv line ", line, ": ", what));
}

bool IsDecimal(absl::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

bool HasItems(const fs::path& dir) {
  std::error_code ec;
  return fs::is_regular_file(dir / kItemsFile, ec);
}

}  // namespace

absl::StatusOr<ItemCatalog> ParseItemCatalog(absl::string_view content) {
  ItemCatalog catalog;
  int64_t line_number = 0;
  for (absl::string_view line : absl::StrSplit(content, '\n')) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    if (line_number == 1 && line == kHeader) continue;
    const std::vector<absl::string_view> fields = absl::StrSplit(line, '\t');
    if (fields.size() != 3) {
      return LineError(line_number,
                       absl::StrCat("expected 3 tab-separated fields, got ", fields.size()));
    }
    if (fields[1].empty()) return LineError(line_number, "empty item id");
    int64_t popularity = 0;
    if (!IsDecimal(fields[2]) || !absl::SimpleAtoi(fields[2], &popularity)) {
      return LineError(line_number, absl::StrCat("popularity \"", fields[2],
                                                 "\" is not a non-negative integer"));
    }
    catalog.ids.emplace_back(fields[1]);
    catalog.popularity.push_back(popularity);
  }
  if (catalog.ids.empty()) return absl::InvalidArgumentError("items.tsv: no items");
  return catalog;
}

absl::StatusOr<std::string> ResolveModelVersionDir(const std::string& model_dir) {
  const fs::path root(model_dir);
  if (HasItems(root)) return root.string();
  std::error_code ec;
  int64_t best = -1;
  fs::path best_dir;
  for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    int64_t version = 0;
    if (!IsDecimal(name) || !absl::SimpleAtoi(name, &version)) continue;
    if (version > best && HasItems(it->path())) {
      best = version;
      best_dir = it->path();
    }
  }
  if (best < 0) {
    return absl::NotFoundError(
        absl::StrCat(model_dir, ": no items.tsv, and no integer version folder holding one"));
  }
  return best_dir.string();
}

absl::StatusOr<ItemCatalog> ReadItemCatalog(const std::string& model_dir) {
  absl::StatusOr<std::string> dir = ResolveModelVersionDir(model_dir);
  if (!dir.ok()) return dir.status();
  const std::string path = (fs::path(*dir) / kItemsFile).string();
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return absl::DataLossError(absl::StrCat(path, ": read error"));
  absl::StatusOr<ItemCatalog> catalog = ParseItemCatalog(text.str());
  if (!catalog.ok()) {
    return absl::Status(catalog.status().code(),
                        absl::StrCat(path, ": ", catalog.status().message()));
  }
  return catalog;
}

}  // namespace hrnn::client::loadgen
