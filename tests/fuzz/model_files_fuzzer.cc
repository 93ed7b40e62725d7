// libFuzzer target: the model loader's parsers — weights.safetensors, items.tsv and config.json —
// on arbitrary bytes (the first byte picks the parser). They must refuse garbage with a status,
// never crash or allocate without bound.
#include <cstddef>
#include <cstdint>

#include "core/model/config_json.h"
#include "core/model/items_tsv.h"
#include "core/model/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const absl::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0:
      (void)hrnn::ParseSafetensors(bytes);
      break;
    case 1:
      (void)hrnn::ParseItemsTsv(bytes);
      break;
    default:
      (void)hrnn::ParseModelConfigJson(bytes);
      break;
  }
  return 0;
}
