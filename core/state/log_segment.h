// The event log's on-disk format (the numbered layouts below) and its reader: segment file
// names, the segment header, record frames, and the scan of a segment's records that both
// recovery (EventLog::Open) and EventLog::Read use. Stateless functions, safe to call
// concurrently; a SequentialReader passed in is used by one thread at a time.
//
// Layout of the log directory: segment files "events-<S>.log", where <S> is the sequence number
// of the segment's first record in 20 zero-padded decimal digits; other names are ignored.
// Records are numbered consecutively from 1 across segments (a prefix of segments may have been
// retired). Only the newest segment is written to; older ones are sealed.
//
// Layout of a segment file (all integers little-endian):
//   1. 8 bytes: magic "HRNNLOG\0".
//   2. u32: format version, kEventLogFormatVersion.
//   3. u64: first_seq, the seq of the first record; equal to <S> in the file name.
//   4. Records, back to back to the end of the file, the i-th (from 0) holding seq first_seq + i:
//        a. u32 N: payload length, 1..kEventLogMaxPayloadBytes.
//        b. u32: CRC-32C (core/state/internal/crc32c.h) of the N payload bytes.
//        c. N bytes: payload, an EventRecord encoding (core/state/event_record.h).
// A segment ends at a record boundary, except that a crash may leave a torn or garbage tail on
// the newest segment, which Open cuts. A segment is sealed (fdatasync'ed) before the next one is
// created, and the next one's header is synced before any record goes into it.
#ifndef HRNN_CORE_STATE_LOG_SEGMENT_H_
#define HRNN_CORE_STATE_LOG_SEGMENT_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/state/event_record.h"
#include "core/state/internal/file_io.h"

namespace hrnn {

inline constexpr uint32_t kEventLogFormatVersion = 1;
inline constexpr size_t kEventLogHeaderBytes = 20;  // Items 1-3 of the segment layout.
inline constexpr size_t kEventLogFrameBytes = 8;    // Items 4a-4b.
inline constexpr uint32_t kEventLogMaxPayloadBytes = 1 << 20;

// What the log knows of one segment file.
struct LogSegment {
  uint64_t first_seq = 0;
  uint64_t last_seq = 0;                 // first_seq - 1 when empty.
  int64_t max_timestamp_ms = INT64_MIN;  // Newest timestamp among its records.
  std::string path;
};

// The file name (not path) of the segment whose first record has seq `first_seq`.
std::string LogSegmentName(uint64_t first_seq);

// The first seq encoded in a segment file name, or false when `name` is not one.
bool ParseLogSegmentName(absl::string_view name, uint64_t* first_seq);

// Items 1-3 of the segment layout for a segment starting at `first_seq`.
std::string EncodeLogSegmentHeader(uint64_t first_seq);

// Appends item 4 of the segment layout (frame and payload) for `record` to `out`.
// REQUIRES: ValidateEventRecord(record) is OK.
void AppendLogRecord(const EventRecord& record, std::string* out);

// DataLoss "<path> at offset <offset>: <what>".
absl::Status LogDataLossAt(const std::string& path, int64_t offset, absl::string_view what);

enum class LogHeaderState { kValid, kTorn, kBad };

// Reads and checks a segment header (items 1-3) from `reader`, positioned at 0. kTorn: shorter
// than a header, or all zero bytes (a crash while the segment was being created); kBad: anything
// else that is wrong. Both are described in `why`. Only I/O errors are returned as errors.
absl::StatusOr<LogHeaderState> ReadLogSegmentHeader(internal::SequentialReader& reader,
                                                    uint64_t first_seq, std::string* why);

// The result of scanning a segment's records.
struct LogSegmentScan {
  uint64_t next_seq = 0;  // Seq after the last good record.
  int64_t good_end = 0;   // Offset just after the last good record.
  int64_t max_timestamp_ms = INT64_MIN;
  uint64_t records = 0;
  bool bad = false;  // Stopped at a torn or corrupt record (described in why).
  std::string why;
};

// Reads records from `reader` (positioned just after the header), expecting seq `next_seq` first.
// Stops at the end of the file, at the first bad record, before a record whose seq would exceed
// `max_seq`, or when `visit` returns false (*stopped set). Only I/O errors are returned as errors.
absl::Status ScanLogSegmentRecords(internal::SequentialReader& reader, uint64_t next_seq,
                                   uint64_t max_seq,
                                   absl::FunctionRef<bool(const EventRecord&)> visit,
                                   LogSegmentScan* scan, bool* stopped);

// Reads the sealed or written part of `segment` through `reader` (positioned at 0): checks its
// header, then calls `visit` on each record with seq <= max_seq, in seq order, until it returns
// false (*stopped set). Errors: DataLoss (file, offset) when the header is not valid, a record is
// bad, or the file ends before max_seq; I/O errors.
absl::Status ReadLogSegment(internal::SequentialReader& reader, const LogSegment& segment,
                            uint64_t max_seq, absl::FunctionRef<bool(const EventRecord&)> visit,
                            bool* stopped);

}  // namespace hrnn

#endif  // HRNN_CORE_STATE_LOG_SEGMENT_H_
