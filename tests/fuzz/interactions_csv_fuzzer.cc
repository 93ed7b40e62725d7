// libFuzzer target: the interactions reader (Personalize CSV / GRU4Rec TSV) on arbitrary text,
// in lenient and strict mode. It must return a status, never crash.
#include <cstddef>
#include <cstdint>

#include "core/data/interaction_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view content(reinterpret_cast<const char*>(data), size);
  for (bool strict : {false, true}) {
    hrnn::ReaderOptions options;
    options.strict = strict;
    hrnn::RawLog log;
    (void)hrnn::AppendInteractionsText(content, "fuzz.csv", options, &log);
  }
  return 0;
}
