#include "core/state/log_segment.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/base/status_macros.h"
#include "core/state/internal/crc32c.h"

namespace hrnn {
namespace {

using internal::SequentialReader;

constexpr char kMagic[8] = {'H', 'R', 'N', 'N', 'L', 'O', 'G', '\0'};
constexpr absl::string_view kPrefix = "events-";
constexpr absl::string_view kSuffix = ".log";
constexpr size_t kSeqDigits = 20;

}  // namespace

std::string LogSegmentName(uint64_t first_seq) {
  return absl::StrFormat("events-%020u.log", first_seq);
}

bool ParseLogSegmentName(absl::string_view name, uint64_t* first_seq) {
  if (name.size() != kPrefix.size() + kSeqDigits + kSuffix.size() ||
      !absl::StartsWith(name, kPrefix) || !absl::EndsWith(name, kSuffix)) {
    return false;
  }
  const absl::string_view digits = name.substr(kPrefix.size(), kSeqDigits);
  if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return false;
  }
  return absl::SimpleAtoi(digits, first_seq) && *first_seq >= 1;
}

std::string EncodeLogSegmentHeader(uint64_t first_seq) {
  std::string header(kMagic, sizeof(kMagic));
  internal::PutU32(&header, kEventLogFormatVersion);
  internal::PutU64(&header, first_seq);
  return header;
}

void AppendLogRecord(const EventRecord& record, std::string* out) {
  const size_t payload_size = EncodedEventRecordSize(record);
  const size_t start = out->size();
  out->resize(start + kEventLogFrameBytes);
  EncodeEventRecord(record, out);
  char* frame = out->data() + start;
  const uint32_t crc = internal::Crc32cExtend(0, frame + kEventLogFrameBytes, payload_size);
  for (int i = 0; i < 4; ++i) {
    frame[i] = static_cast<char>(payload_size >> (8 * i));
    frame[4 + i] = static_cast<char>(crc >> (8 * i));
  }
}

absl::Status LogDataLossAt(const std::string& path, int64_t offset, absl::string_view what) {
  return absl::DataLossError(absl::StrCat(path, " at offset ", offset, ": ", what));
}

absl::StatusOr<LogHeaderState> ReadLogSegmentHeader(SequentialReader& reader, uint64_t first_seq,
                                                    std::string* why) {
  char header[kEventLogHeaderBytes];
  HRNN_ASSIGN_OR_RETURN(const size_t got, reader.Read(header, sizeof(header)));
  if (got < sizeof(header) ||
      std::all_of(header, header + sizeof(header), [](char c) { return c == 0; })) {
    *why = absl::StrCat("torn header (", got, " bytes)");
    return LogHeaderState::kTorn;
  }
  if (std::memcmp(header, kMagic, sizeof(kMagic)) != 0) {
    *why = "bad magic (not an event log segment)";
    return LogHeaderState::kBad;
  }
  const uint32_t version = internal::LoadU32(header + 8);
  if (version != kEventLogFormatVersion) {
    *why = absl::StrCat("format version ", version, ", this build reads ", kEventLogFormatVersion);
    return LogHeaderState::kBad;
  }
  const uint64_t header_seq = internal::LoadU64(header + 12);
  if (header_seq != first_seq) {
    *why = absl::StrCat("header says first seq ", header_seq, ", file name says ", first_seq);
    return LogHeaderState::kBad;
  }
  return LogHeaderState::kValid;
}

absl::Status ScanLogSegmentRecords(SequentialReader& reader, uint64_t next_seq, uint64_t max_seq,
                                   absl::FunctionRef<bool(const EventRecord&)> visit,
                                   LogSegmentScan* scan, bool* stopped) {
  scan->next_seq = next_seq;
  scan->good_end = reader.offset();
  *stopped = false;
  std::string payload;
  while (scan->next_seq <= max_seq) {
    char frame[kEventLogFrameBytes];
    HRNN_ASSIGN_OR_RETURN(size_t got, reader.Read(frame, sizeof(frame)));
    if (got == 0) return absl::OkStatus();  // Clean end.
    auto bad = [&](std::string why) {
      scan->bad = true;
      scan->why = std::move(why);
      return absl::OkStatus();
    };
    if (got < sizeof(frame)) return bad(absl::StrCat("torn record frame (", got, " bytes)"));
    const uint32_t length = internal::LoadU32(frame);
    const uint32_t crc = internal::LoadU32(frame + 4);
    if (length == 0 || length > kEventLogMaxPayloadBytes) {
      return bad(
          absl::StrCat("record length ", length, " is outside 1..", kEventLogMaxPayloadBytes));
    }
    payload.resize(length);
    HRNN_ASSIGN_OR_RETURN(got, reader.Read(payload.data(), length));
    if (got < length) {
      return bad(absl::StrCat("torn record: length ", length, ", only ", got, " bytes left"));
    }
    const uint32_t actual = internal::Crc32c(payload);
    if (actual != crc) {
      return bad(
          absl::StrFormat("record CRC-32C mismatch (stored %08x, computed %08x)", crc, actual));
    }
    absl::StatusOr<EventRecord> record = DecodeEventRecord(payload);
    if (!record.ok()) return bad(std::string(record.status().message()));
    if (record->seq != scan->next_seq) {
      return bad(absl::StrCat("record seq ", record->seq, ", expected ", scan->next_seq));
    }
    ++scan->next_seq;
    ++scan->records;
    scan->good_end = reader.offset();
    scan->max_timestamp_ms = std::max(scan->max_timestamp_ms, record->timestamp_ms);
    if (!visit(*record)) {
      *stopped = true;
      return absl::OkStatus();
    }
  }
  return absl::OkStatus();
}

absl::Status ReadLogSegment(SequentialReader& reader, const LogSegment& segment, uint64_t max_seq,
                            absl::FunctionRef<bool(const EventRecord&)> visit, bool* stopped) {
  *stopped = false;
  std::string why;
  HRNN_ASSIGN_OR_RETURN(const LogHeaderState header,
                        ReadLogSegmentHeader(reader, segment.first_seq, &why));
  if (header != LogHeaderState::kValid) return LogDataLossAt(segment.path, 0, why);
  LogSegmentScan scan;
  HRNN_RETURN_IF_ERROR(
      ScanLogSegmentRecords(reader, segment.first_seq, max_seq, visit, &scan, stopped));
  if (*stopped) return absl::OkStatus();
  if (scan.bad) return LogDataLossAt(segment.path, scan.good_end, scan.why);
  if (scan.next_seq <= max_seq) {
    return LogDataLossAt(segment.path, scan.good_end,
                         absl::StrCat("ends at seq ", scan.next_seq - 1, ", expected ", max_seq));
  }
  return absl::OkStatus();
}

}  // namespace hrnn
