// libFuzzer target: the experiment report (core/eval/experiment_report.h) over arbitrary event
// logs. The input is a sequence of chunks, each a u16 little-endian length and that many bytes
// (cut short at the end); each chunk that DecodeEventRecord accepts is fed to the builder with
// the next seq. The report of experiment "exp" must finish or refuse with a status, never crash,
// and its JSON must parse (else it traps).
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "core/eval/experiment_report.h"
#include "core/eval/experiment_report_writer.h"
#include "core/state/event_record.h"
#include "nlohmann/json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  hrnn::ExperimentReportOptions options;
  options.experiment = "exp";
  options.resamples = 20;
  auto builder = hrnn::ExperimentReportBuilder::Create(options);
  if (!builder.ok()) __builtin_trap();
  absl::string_view input(reinterpret_cast<const char*>(data), size);
  uint64_t seq = 0;
  while (input.size() >= 2) {
    const size_t length =
        static_cast<uint8_t>(input[0]) | (static_cast<size_t>(static_cast<uint8_t>(input[1])) << 8);
    input.remove_prefix(2);
    const absl::string_view chunk = input.substr(0, length);
    input.remove_prefix(chunk.size());
    absl::StatusOr<hrnn::EventRecord> record = hrnn::DecodeEventRecord(chunk);
    if (!record.ok()) continue;
    record->seq = ++seq;
    (*builder)->Add(*record);
  }
  const absl::StatusOr<hrnn::ExperimentReport> report = (*builder)->Finish();
  if (!report.ok()) return 0;
  (void)hrnn::ExperimentReportMarkdown(*report);
  const std::string json = hrnn::ExperimentReportJson(*report);
  if (nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false).is_discarded()) {
    __builtin_trap();
  }
  return 0;
}
