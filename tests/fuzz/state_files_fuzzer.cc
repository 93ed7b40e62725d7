// libFuzzer target: the durable-state readers — an event record, an event-log segment (opened,
// verified and its tail repaired) and a state snapshot — on arbitrary bytes (the first byte picks
// the reader). They must refuse or repair with a status, never crash.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

#include "core/state/event_log.h"
#include "core/state/event_record.h"
#include "core/state/state_snapshot.h"
#include "tests/testing/state_files.h"

namespace {

const std::filesystem::path& ScratchDir() {
  static const std::filesystem::path dir = [] {
    auto path =
        std::filesystem::temp_directory_path() / ("hrnn-state-fuzz-" + std::to_string(getpid()));
    std::filesystem::create_directories(path);
    return path;
  }();
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const absl::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 3) {
    case 0:
      (void)hrnn::DecodeEventRecord(body);
      break;
    case 1: {
      const auto dir = ScratchDir() / "log";
      std::filesystem::remove_all(dir);
      std::filesystem::create_directories(dir);
      hrnn::testing::WriteBytes(dir / hrnn::LogSegmentName(1), body);
      hrnn::EventLogOptions options;
      options.dir = dir.string();
      options.fsync = hrnn::FsyncPolicy::kNone;
      hrnn::RecoveryReport report;
      auto log = hrnn::EventLog::Open(options, &report);
      if (log.ok()) {
        (void)(*log)->Read(1, [](const hrnn::EventRecord&) { return true; });
      }
      break;
    }
    default: {
      const auto path = hrnn::testing::SnapshotPath(ScratchDir(), 1);
      hrnn::testing::WriteBytes(path, body);
      (void)hrnn::ReadSnapshotFile(path.string());
      break;
    }
  }
  return 0;
}
