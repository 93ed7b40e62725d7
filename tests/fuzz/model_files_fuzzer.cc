// libFuzzer target: the model loader's parsers — weights.safetensors, items.tsv and config.json —
// and the recipes' files — sessions.bin, recipes.json and user_items.bin — on arbitrary bytes
// (the first byte picks the parser). They must refuse garbage with a status, never crash or
// allocate without bound.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "core/model/config_json.h"
#include "core/model/items_tsv.h"
#include "core/model/safetensors.h"
#include "core/recipes/recipe_files.h"
#include "core/recipes/user_item_history.h"

namespace {

// The binary recipe files check their num_items (bytes 12..15) against the model's: take the
// file's own, so that the fuzzer gets past that check.
int32_t OwnNumItems(absl::string_view bytes) {
  uint32_t num_items = 0;
  if (bytes.size() >= 16) std::memcpy(&num_items, bytes.data() + 12, sizeof(num_items));
  return static_cast<int32_t>(num_items);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const absl::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 6) {
    case 0:
      (void)hrnn::ParseSafetensors(bytes);
      break;
    case 1:
      (void)hrnn::ParseItemsTsv(bytes);
      break;
    case 2:
      (void)hrnn::ParseModelConfigJson(bytes);
      break;
    case 3:
      (void)hrnn::ParseTrainingSessions(bytes, OwnNumItems(bytes));
      break;
    case 4:
      (void)hrnn::ParseRecipeSettingsJson(bytes);
      break;
    default:
      (void)hrnn::UserItemHistory::Parse(bytes, OwnNumItems(bytes));
      break;
  }
  return 0;
}
