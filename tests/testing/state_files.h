// Helpers for the tests (and fuzzers) of the durable state: whole files as bytes, the segment and
// snapshot files of a directory, and a copy of a live event log opened to read its records.
// Header-only and free of gtest, so that the libFuzzer targets can use it; the functions are
// stateless (safe to call concurrently on different paths).
#ifndef HRNN_TESTS_TESTING_STATE_FILES_H_
#define HRNN_TESTS_TESTING_STATE_FILES_H_

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/state/event_log.h"
#include "core/state/event_record.h"

namespace hrnn::testing {

// The whole file at `path` ("" when it cannot be read).
inline std::string ReadBytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Replaces the file at `path` with `bytes`.
inline void WriteBytes(const std::filesystem::path& path, absl::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// The event log segment files (*.log) of `dir`, in name order, i.e. oldest first.
inline std::vector<std::filesystem::path> SegmentFiles(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".log") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// The path of the complete snapshot with log_seq `seq` in `dir` (core/state/state_snapshot.h).
inline std::filesystem::path SnapshotPath(const std::filesystem::path& dir, uint64_t seq) {
  char name[64];
  std::snprintf(name, sizeof(name), "snapshot-%020llu.snap", static_cast<unsigned long long>(seq));
  return dir / name;
}

// Appends to `records` every record of `log` with seq >= from_seq, in seq order; returns Read's
// status (the records read before an error are kept).
inline absl::Status ReadLogRecords(const EventLog& log, uint64_t from_seq,
                                   std::vector<EventRecord>* records) {
  return log.Read(from_seq, [&](const EventRecord& record) {
    records->push_back(record);
    return true;
  });
}

// Copies the segment files of the log directory `log_dir` to `copy` (emptied first) and opens
// the copy, so that a log another process or server still writes can be recovered and read.
inline absl::StatusOr<std::unique_ptr<EventLog>> OpenLogCopy(const std::filesystem::path& log_dir,
                                                             const std::filesystem::path& copy) {
  std::filesystem::remove_all(copy);
  std::filesystem::copy(log_dir, copy);
  EventLogOptions options;
  options.dir = copy.string();
  return EventLog::Open(options, nullptr);
}

}  // namespace hrnn::testing

#endif  // HRNN_TESTS_TESTING_STATE_FILES_H_
