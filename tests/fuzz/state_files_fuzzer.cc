// libFuzzer target: the durable-state readers — an event record, an event-log segment (opened,
// verified and its tail repaired) and a state snapshot — on arbitrary bytes (the first byte picks
// the reader). They must refuse or repair with a status, never crash.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/state/event_log.h"
#include "core/state/event_record.h"
#include "core/state/state_snapshot.h"

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

void WriteFile(const std::filesystem::path& path, const uint8_t* data, size_t size) {
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t* body = data + 1;
  const size_t body_size = size - 1;
  switch (data[0] % 3) {
    case 0:
      (void)hrnn::DecodeEventRecord(
          absl::string_view(reinterpret_cast<const char*>(body), body_size));
      break;
    case 1: {
      const auto dir = ScratchDir() / "log";
      std::filesystem::remove_all(dir);
      std::filesystem::create_directories(dir);
      WriteFile(dir / "events-00000000000000000001.log", body, body_size);
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
      const auto path = ScratchDir() / "snapshot-00000000000000000001.snap";
      WriteFile(path, body, body_size);
      (void)hrnn::ReadSnapshotFile(path.string());
      break;
    }
  }
  return 0;
}
