// libFuzzer target: --catalog_stream addresses and stream entry ids on arbitrary text. Both
// parsers must answer with a status, never crash; a parsed address must print as a URL that
// parses back to the same address, and a parsed id must keep its order under a re-parse of its
// printed form.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "server/catalogue_stream.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  if (absl::StatusOr<hrnn::CatalogueStreamAddress> address =
          hrnn::ParseCatalogueStreamAddress(text);
      address.ok()) {
    Check(!address->host.empty() && !address->name.empty());
    Check(address->port >= 1 && address->port <= 65535);
    absl::StatusOr<hrnn::CatalogueStreamAddress> again =
        hrnn::ParseCatalogueStreamAddress(address->ToString());
    Check(again.ok() && again->host == address->host && again->port == address->port &&
          again->name == address->name);
  }
  if (absl::StatusOr<std::pair<uint64_t, uint64_t>> id = hrnn::ParseStreamEntryId(text); id.ok()) {
    absl::StatusOr<std::pair<uint64_t, uint64_t>> again =
        hrnn::ParseStreamEntryId(absl::StrCat(id->first, "-", id->second));
    Check(again.ok() && *again == *id);
  }
  return 0;
}
