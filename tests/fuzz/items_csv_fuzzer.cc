// libFuzzer target: the items CSV reader on arbitrary text. It must return a status, never
// crash; and what it accepts must survive SerializeItemsCsv -> ParseItemsCsv with the same
// fields and rows (else the target traps).
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/catalogue/items_csv.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view content(reinterpret_cast<const char*>(data), size);
  const absl::StatusOr<hrnn::ItemAttributes> parsed = hrnn::ParseItemsCsv(content, "fuzz.csv");
  if (!parsed.ok()) return 0;
  const std::string canonical = hrnn::SerializeItemsCsv(*parsed);
  const absl::StatusOr<hrnn::ItemAttributes> reparsed =
      hrnn::ParseItemsCsv(canonical, "canonical.csv");
  if (!reparsed.ok() || reparsed->num_rows() != parsed->num_rows() ||
      reparsed->fields().size() != parsed->fields().size()) {
    __builtin_trap();
  }
  for (size_t f = 0; f < parsed->fields().size(); ++f) {
    if (reparsed->fields()[f].kind != parsed->fields()[f].kind) __builtin_trap();
  }
  if (hrnn::SerializeItemsCsv(*reparsed) != canonical) __builtin_trap();
  return 0;
}
