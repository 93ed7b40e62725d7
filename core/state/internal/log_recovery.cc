#include "core/state/internal/log_recovery.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"
#include "core/state/internal/file_io.h"

namespace hrnn::internal {
namespace {

absl::Status Truncate(const std::string& path, int64_t size) {
  HRNN_ASSIGN_OR_RETURN(OwnedFd fd, OpenFile(path, O_WRONLY));
  if (::ftruncate(fd.get(), size) != 0) {
    return ErrnoStatus(errno, absl::StrCat(path, ": ftruncate"));
  }
  if (::fsync(fd.get()) != 0) return ErrnoStatus(errno, absl::StrCat(path, ": fsync"));
  return fd.Close(path);
}

}  // namespace

absl::StatusOr<std::vector<LogSegment>> RecoverLogSegments(const std::string& dir,
                                                           RecoveryReport* report) {
  HRNN_ASSIGN_OR_RETURN(const std::vector<std::string> names, ListDirectory(dir));
  std::vector<LogSegment> segments;
  for (const std::string& name : names) {
    LogSegment segment;
    if (!ParseLogSegmentName(name, &segment.first_seq)) continue;
    segment.path = absl::StrCat(dir, "/", name);
    segments.push_back(std::move(segment));
  }
  std::sort(segments.begin(), segments.end(),
            [](const LogSegment& a, const LogSegment& b) { return a.first_seq < b.first_seq; });

  for (size_t i = 0; i < segments.size(); ++i) {
    LogSegment& segment = segments[i];
    const bool newest = i + 1 == segments.size();
    if (i > 0 && segment.first_seq != segments[i - 1].last_seq + 1) {
      return absl::DataLossError(absl::StrCat(
          segment.path, ": starts at seq ", segment.first_seq, " but ", segments[i - 1].path,
          " ends at seq ", segments[i - 1].last_seq, " (a segment is missing or was cut)"));
    }
    segment.last_seq = segment.first_seq - 1;
    HRNN_ASSIGN_OR_RETURN(std::unique_ptr<SequentialReader> reader,
                          SequentialReader::Open(segment.path));
    std::string why;
    HRNN_ASSIGN_OR_RETURN(const LogHeaderState header,
                          ReadLogSegmentHeader(*reader, segment.first_seq, &why));
    if (header == LogHeaderState::kBad || (header == LogHeaderState::kTorn && !newest)) {
      return LogDataLossAt(segment.path, 0, why);
    }
    if (header == LogHeaderState::kTorn) {
      // A crash while creating the segment: nothing was acknowledged in it. Write it afresh.
      if (reader->size() > static_cast<int64_t>(kEventLogHeaderBytes)) {
        return LogDataLossAt(segment.path, 0, absl::StrCat(why, " followed by data"));
      }
      HRNN_RETURN_IF_ERROR(Truncate(segment.path, 0));
      HRNN_ASSIGN_OR_RETURN(OwnedFd fd, OpenFile(segment.path, O_WRONLY | O_APPEND));
      HRNN_RETURN_IF_ERROR(
          WriteAll(fd.get(), EncodeLogSegmentHeader(segment.first_seq), segment.path));
      HRNN_RETURN_IF_ERROR(Fdatasync(fd.get(), segment.path));
      HRNN_RETURN_IF_ERROR(fd.Close(segment.path));
      report->header_rewritten = true;
      continue;
    }
    LogSegmentScan scan;
    bool stopped;
    HRNN_RETURN_IF_ERROR(ScanLogSegmentRecords(
        *reader, segment.first_seq, UINT64_MAX, [](const EventRecord&) { return true; }, &scan,
        &stopped));
    report->records += scan.records;
    segment.last_seq = scan.next_seq - 1;
    segment.max_timestamp_ms = scan.max_timestamp_ms;
    if (!scan.bad) continue;
    if (!newest) return LogDataLossAt(segment.path, scan.good_end, scan.why);
    const int64_t size = reader->size();
    reader.reset();
    HRNN_RETURN_IF_ERROR(Truncate(segment.path, scan.good_end));
    report->tail_cut = true;
    report->cut_file = segment.path;
    report->cut_offset = scan.good_end;
    report->cut_bytes = size - scan.good_end;
    report->cut_reason = scan.why;
  }
  return segments;
}

}  // namespace hrnn::internal
