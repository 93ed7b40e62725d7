#include "core/state/event_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/state/internal/crc32c.h"
#include "core/base/status_macros.h"

namespace hrnn {
namespace {

using internal::OwnedFd;
using internal::SequentialReader;

constexpr char kMagic[8] = {'H', 'R', 'N', 'N', 'L', 'O', 'G', '\0'};
constexpr absl::string_view kPrefix = "events-";
constexpr absl::string_view kSuffix = ".log";
constexpr size_t kSeqDigits = 20;

// Lets std::condition_variable_any wait on an hrnn::Mutex (absl::Mutex, or the std::mutex
// wrapper of the TSan build, which lacks lock()/unlock()).
class LockableMutex {
 public:
  explicit LockableMutex(Mutex* mutex) : mutex_(mutex) {}
  void lock() ABSL_NO_THREAD_SAFETY_ANALYSIS { mutex_->Lock(); }
  void unlock() ABSL_NO_THREAD_SAFETY_ANALYSIS { mutex_->Unlock(); }

 private:
  Mutex* mutex_;
};

std::string SegmentName(uint64_t first_seq) {
  return absl::StrFormat("events-%020u.log", first_seq);
}

// The first seq encoded in a segment file name, or false when `name` is not one.
bool ParseSegmentName(absl::string_view name, uint64_t* first_seq) {
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

std::string SegmentHeader(uint64_t first_seq) {
  std::string header(kMagic, sizeof(kMagic));
  internal::PutU32(&header, kEventLogFormatVersion);
  internal::PutU64(&header, first_seq);
  return header;
}

absl::Status DataLossAt(const std::string& path, int64_t offset, absl::string_view what) {
  return absl::DataLossError(absl::StrCat(path, " at offset ", offset, ": ", what));
}

absl::Status Fdatasync(int fd, const std::string& path) {
  if (::fdatasync(fd) != 0) return internal::ErrnoStatus(errno, absl::StrCat(path, ": fdatasync"));
  return absl::OkStatus();
}

// Creates segment `path` holding only its header, synced, and syncs the directory.
absl::StatusOr<OwnedFd> CreateSegment(const std::string& dir, const std::string& path,
                                      uint64_t first_seq) {
  HRNN_ASSIGN_OR_RETURN(OwnedFd fd,
                        internal::OpenFile(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND));
  HRNN_RETURN_IF_ERROR(internal::WriteAll(fd.get(), SegmentHeader(first_seq), path));
  HRNN_RETURN_IF_ERROR(Fdatasync(fd.get(), path));
  HRNN_RETURN_IF_ERROR(internal::SyncDirectory(dir));
  return fd;
}

enum class HeaderState { kValid, kTorn, kBad };

// Checks a segment header. kTorn: shorter than a header, or all zero bytes (a crash while the
// segment was being created); kBad: anything else that is wrong, described in `why`.
absl::StatusOr<HeaderState> ReadHeader(SequentialReader& reader, uint64_t first_seq,
                                       std::string* why) {
  char header[kEventLogHeaderBytes];
  HRNN_ASSIGN_OR_RETURN(const size_t got, reader.Read(header, sizeof(header)));
  if (got < sizeof(header) ||
      std::all_of(header, header + sizeof(header), [](char c) { return c == 0; })) {
    *why = absl::StrCat("torn header (", got, " bytes)");
    return HeaderState::kTorn;
  }
  if (std::memcmp(header, kMagic, sizeof(kMagic)) != 0) {
    *why = "bad magic (not an event log segment)";
    return HeaderState::kBad;
  }
  const uint32_t version = internal::LoadU32(header + 8);
  if (version != kEventLogFormatVersion) {
    *why = absl::StrCat("format version ", version, ", this build reads ", kEventLogFormatVersion);
    return HeaderState::kBad;
  }
  const uint64_t header_seq = internal::LoadU64(header + 12);
  if (header_seq != first_seq) {
    *why = absl::StrCat("header says first seq ", header_seq, ", file name says ", first_seq);
    return HeaderState::kBad;
  }
  return HeaderState::kValid;
}

// The result of scanning a segment's records.
struct Scan {
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
absl::Status ScanRecords(SequentialReader& reader, uint64_t next_seq, uint64_t max_seq,
                         absl::FunctionRef<bool(const EventRecord&)> visit, Scan* scan,
                         bool* stopped) {
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

absl::Status Truncate(const std::string& path, int64_t size) {
  HRNN_ASSIGN_OR_RETURN(OwnedFd fd, internal::OpenFile(path, O_WRONLY));
  if (::ftruncate(fd.get(), size) != 0) {
    return internal::ErrnoStatus(errno, absl::StrCat(path, ": ftruncate"));
  }
  if (::fsync(fd.get()) != 0) return internal::ErrnoStatus(errno, absl::StrCat(path, ": fsync"));
  return fd.Close(path);
}

}  // namespace

absl::Status EventLogOptions::Validate() const {
  if (dir.empty()) return absl::InvalidArgumentError("event log dir: not set");
  if (fsync_interval_ms < 1 || fsync_interval_ms > 3600000) {
    return absl::InvalidArgumentError(
        absl::StrCat("event log fsync_interval_ms: ", fsync_interval_ms, " is outside 1..3600000"));
  }
  if (segment_bytes < 1 || segment_bytes > (int64_t{1} << 40)) {
    return absl::InvalidArgumentError(
        absl::StrCat("event log segment_bytes: ", segment_bytes, " is outside 1..2^40"));
  }
  return absl::OkStatus();
}

std::string RecoveryReport::ToString() const {
  std::string text = absl::StrCat("event log: ", segments, " segment(s), ", records,
                                  " record(s), seq ", first_seq, "..", next_seq, " (next)");
  if (created) absl::StrAppend(&text, "; created");
  if (header_rewritten) absl::StrAppend(&text, "; torn header of the newest segment rewritten");
  if (tail_cut) {
    absl::StrAppend(&text, "; cut ", cut_bytes, " byte(s) of ", cut_file, " at offset ", cut_offset,
                    ": ", cut_reason);
  }
  return text;
}

absl::StatusOr<std::unique_ptr<EventLog>> EventLog::Open(const EventLogOptions& options,
                                                         RecoveryReport* report) {
  HRNN_RETURN_IF_ERROR(options.Validate());
  RecoveryReport local_report;
  if (report == nullptr) report = &local_report;
  *report = RecoveryReport();
  HRNN_RETURN_IF_ERROR(internal::CreateDirectories(options.dir));
  HRNN_ASSIGN_OR_RETURN(const std::vector<std::string> names, internal::ListDirectory(options.dir));
  std::vector<Segment> segments;
  for (const std::string& name : names) {
    Segment segment;
    if (!ParseSegmentName(name, &segment.first_seq)) continue;
    segment.path = absl::StrCat(options.dir, "/", name);
    segments.push_back(std::move(segment));
  }
  std::sort(segments.begin(), segments.end(),
            [](const Segment& a, const Segment& b) { return a.first_seq < b.first_seq; });

  for (size_t i = 0; i < segments.size(); ++i) {
    Segment& segment = segments[i];
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
    HRNN_ASSIGN_OR_RETURN(const HeaderState header, ReadHeader(*reader, segment.first_seq, &why));
    if (header == HeaderState::kBad || (header == HeaderState::kTorn && !newest)) {
      return DataLossAt(segment.path, 0, why);
    }
    if (header == HeaderState::kTorn) {
      // A crash while creating the segment: nothing was acknowledged in it. Write it afresh.
      if (reader->size() > static_cast<int64_t>(kEventLogHeaderBytes)) {
        return DataLossAt(segment.path, 0, absl::StrCat(why, " followed by data"));
      }
      HRNN_RETURN_IF_ERROR(Truncate(segment.path, 0));
      HRNN_ASSIGN_OR_RETURN(OwnedFd fd, internal::OpenFile(segment.path, O_WRONLY | O_APPEND));
      HRNN_RETURN_IF_ERROR(
          internal::WriteAll(fd.get(), SegmentHeader(segment.first_seq), segment.path));
      HRNN_RETURN_IF_ERROR(Fdatasync(fd.get(), segment.path));
      HRNN_RETURN_IF_ERROR(fd.Close(segment.path));
      report->header_rewritten = true;
      continue;
    }
    Scan scan;
    bool stopped;
    HRNN_RETURN_IF_ERROR(ScanRecords(
        *reader, segment.first_seq, UINT64_MAX, [](const EventRecord&) { return true; }, &scan,
        &stopped));
    report->records += scan.records;
    segment.last_seq = scan.next_seq - 1;
    segment.max_timestamp_ms = scan.max_timestamp_ms;
    if (!scan.bad) continue;
    if (!newest) return DataLossAt(segment.path, scan.good_end, scan.why);
    const int64_t size = reader->size();
    reader.reset();
    HRNN_RETURN_IF_ERROR(Truncate(segment.path, scan.good_end));
    report->tail_cut = true;
    report->cut_file = segment.path;
    report->cut_offset = scan.good_end;
    report->cut_bytes = size - scan.good_end;
    report->cut_reason = scan.why;
  }

  OwnedFd fd;
  int64_t segment_size = 0;
  if (segments.empty()) {
    Segment segment;
    segment.first_seq = 1;
    segment.last_seq = 0;
    segment.path = absl::StrCat(options.dir, "/", SegmentName(1));
    HRNN_ASSIGN_OR_RETURN(fd, CreateSegment(options.dir, segment.path, 1));
    segment_size = kEventLogHeaderBytes;
    segments.push_back(std::move(segment));
    report->created = true;
  } else {
    const std::string& path = segments.back().path;
    HRNN_ASSIGN_OR_RETURN(fd, internal::OpenFile(path, O_WRONLY | O_APPEND));
    const off_t end = ::lseek(fd.get(), 0, SEEK_END);
    if (end < 0) return internal::ErrnoStatus(errno, absl::StrCat(path, ": lseek"));
    segment_size = end;
  }
  report->segments = static_cast<int>(segments.size());
  report->first_seq = segments.front().first_seq;
  report->next_seq = segments.back().last_seq + 1;
  return std::unique_ptr<EventLog>(
      new EventLog(options, std::move(segments), std::move(fd), segment_size));
}

EventLog::EventLog(EventLogOptions options, std::vector<Segment> segments, OwnedFd fd,
                   int64_t segment_size)
    : options_(std::move(options)),
      next_seq_(segments.back().last_seq + 1),
      written_seq_(segments.back().last_seq),
      synced_seq_(segments.back().last_seq),
      segments_(std::move(segments)),
      fd_(std::move(fd)),
      segment_size_(segment_size) {
  if (options_.fsync != FsyncPolicy::kEveryBatch) {
    interval_thread_ = std::thread([this] { IntervalLoop(); });
  }
}

EventLog::~EventLog() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
  }
  stop_changed_.notify_all();
  if (interval_thread_.joinable()) interval_thread_.join();
  Flush().IgnoreError();
}

uint64_t EventLog::Append(EventRecord* record) {
  if (!ValidateEventRecord(*record).ok()) return 0;
  const size_t payload_size = EncodedEventRecordSize(*record);
  MutexLock lock(&mu_);
  if (!error_.ok()) return 0;
  record->seq = next_seq_++;
  const size_t start = buffer_.size();
  buffer_.resize(start + kEventLogFrameBytes);
  EncodeEventRecord(*record, &buffer_);
  char* frame = buffer_.data() + start;
  const uint32_t crc = internal::Crc32cExtend(0, frame + kEventLogFrameBytes, payload_size);
  for (int i = 0; i < 4; ++i) {
    frame[i] = static_cast<char>(payload_size >> (8 * i));
    frame[4 + i] = static_cast<char>(crc >> (8 * i));
  }
  buffer_max_timestamp_ms_ = std::max(buffer_max_timestamp_ms_, record->timestamp_ms);
  return record->seq;
}

absl::Status EventLog::WaitDurable(uint64_t seq) {
  {
    MutexLock lock(&mu_);
    if (seq >= next_seq_) {
      return absl::InvalidArgumentError(
          absl::StrCat("event log: seq ", seq, " was not appended (next seq ", next_seq_, ")"));
    }
  }
  return Commit(seq, options_.fsync == FsyncPolicy::kEveryBatch);
}

absl::Status EventLog::Flush() {
  uint64_t last;
  {
    MutexLock lock(&mu_);
    last = next_seq_ - 1;
  }
  return Commit(last, /*sync=*/true);
}

absl::Status EventLog::Commit(uint64_t seq, bool sync) {
  LockableMutex lockable(&mu_);
  mu_.Lock();
  while (true) {
    if (seq <= (sync ? synced_seq_ : written_seq_)) break;
    if (!error_.ok()) {
      absl::Status error = error_;
      mu_.Unlock();
      return error;
    }
    if (flushing_) {
      commit_done_.wait(lockable);
      continue;
    }
    // Lead a group commit: take everything buffered so far.
    flushing_ = true;
    std::string batch;
    batch.swap(buffer_);
    buffer_.swap(spare_);
    const uint64_t last_seq = next_seq_ - 1;
    const int64_t max_timestamp_ms = buffer_max_timestamp_ms_;
    buffer_max_timestamp_ms_ = INT64_MIN;
    mu_.Unlock();

    bool written = false;
    bool synced = false;
    absl::Status status = WriteBatch(batch, last_seq, max_timestamp_ms, sync, &written, &synced);

    mu_.Lock();
    flushing_ = false;
    if (written) written_seq_ = last_seq;
    if (synced) synced_seq_ = last_seq;
    if (!status.ok() && error_.ok()) error_ = status;
    batch.clear();
    if (spare_.capacity() < batch.capacity()) spare_.swap(batch);
    commit_done_.notify_all();
  }
  mu_.Unlock();
  return absl::OkStatus();
}

absl::Status EventLog::WriteBatch(const std::string& batch, uint64_t last_seq,
                                  int64_t max_timestamp_ms, bool sync, bool* written,
                                  bool* synced) {
  std::string path;
  {
    MutexLock lock(&segments_mu_);
    path = segments_.back().path;  // Only the leader changes the newest segment.
  }
  if (!batch.empty()) {
    HRNN_RETURN_IF_ERROR(internal::WriteAll(fd_.get(), batch, path));
    segment_size_ += static_cast<int64_t>(batch.size());
    MutexLock lock(&segments_mu_);
    Segment& segment = segments_.back();
    segment.last_seq = last_seq;
    segment.max_timestamp_ms = std::max(segment.max_timestamp_ms, max_timestamp_ms);
  }
  *written = true;
  const bool seal = segment_size_ >= options_.segment_bytes &&
                    segment_size_ > static_cast<int64_t>(kEventLogHeaderBytes);
  if (sync || seal) {
    HRNN_RETURN_IF_ERROR(Fdatasync(fd_.get(), path));
    *synced = true;
  }
  if (!seal) return absl::OkStatus();

  Segment next;
  next.first_seq = last_seq + 1;
  next.last_seq = last_seq;
  next.path = absl::StrCat(options_.dir, "/", SegmentName(next.first_seq));
  HRNN_ASSIGN_OR_RETURN(OwnedFd fd, CreateSegment(options_.dir, next.path, next.first_seq));
  HRNN_RETURN_IF_ERROR(fd_.Close(path));
  fd_ = std::move(fd);
  segment_size_ = kEventLogHeaderBytes;
  MutexLock lock(&segments_mu_);
  segments_.push_back(std::move(next));
  return absl::OkStatus();
}

void EventLog::IntervalLoop() {
  const bool sync = options_.fsync == FsyncPolicy::kInterval;
  const auto interval = std::chrono::milliseconds(options_.fsync_interval_ms);
  LockableMutex lockable(&mu_);
  while (true) {
    uint64_t last;
    {
      MutexLock lock(&mu_);
      if (stopping_) return;
      // Wait (mu_ released meanwhile) for the interval to pass or for the destructor.
      stop_changed_.wait_for(lockable, interval);
      if (stopping_) return;
      if (!error_.ok()) continue;
      last = next_seq_ - 1;
      if (last <= (sync ? synced_seq_ : written_seq_)) continue;
    }
    Commit(last, sync).IgnoreError();  // A failure is sticky; appenders and waiters see it.
  }
}

absl::Status EventLog::Read(uint64_t from_seq,
                            absl::FunctionRef<bool(const EventRecord&)> visit) const {
  uint64_t limit;
  {
    MutexLock lock(&mu_);
    limit = written_seq_;
  }
  struct Source {
    Segment segment;
    std::unique_ptr<SequentialReader> reader;
  };
  std::vector<Source> sources;
  {
    // Open the files under the lock, so that RetireSegments cannot delete one in between; an
    // open file stays readable after it is deleted.
    MutexLock lock(&segments_mu_);
    for (size_t i = 0; i < segments_.size(); ++i) {
      const Segment& segment = segments_[i];
      if (segment.first_seq > limit) break;
      if (segment.first_seq > segment.last_seq) continue;  // No records.
      if (segment.last_seq < from_seq) continue;
      HRNN_ASSIGN_OR_RETURN(std::unique_ptr<SequentialReader> reader,
                            SequentialReader::Open(segment.path));
      sources.push_back({segment, std::move(reader)});
    }
  }
  for (Source& source : sources) {
    const Segment& segment = source.segment;
    std::string why;
    HRNN_ASSIGN_OR_RETURN(const HeaderState header,
                          ReadHeader(*source.reader, segment.first_seq, &why));
    if (header != HeaderState::kValid) return DataLossAt(segment.path, 0, why);
    const uint64_t max_seq = std::min(limit, segment.last_seq);
    Scan scan;
    bool stopped = false;
    HRNN_RETURN_IF_ERROR(ScanRecords(
        *source.reader, segment.first_seq, max_seq,
        [&](const EventRecord& record) { return record.seq < from_seq || visit(record); }, &scan,
        &stopped));
    if (stopped) return absl::OkStatus();
    if (scan.bad) return DataLossAt(segment.path, scan.good_end, scan.why);
    if (scan.next_seq <= max_seq) {
      return DataLossAt(segment.path, scan.good_end,
                        absl::StrCat("ends at seq ", scan.next_seq - 1, ", expected ", max_seq));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<int> EventLog::RetireSegments(uint64_t covered_seq, int64_t min_keep_timestamp_ms) {
  MutexLock lock(&segments_mu_);
  int retired = 0;
  absl::Status status;
  while (segments_.size() > 1) {
    const Segment& oldest = segments_.front();
    if (oldest.last_seq >= covered_seq || oldest.max_timestamp_ms >= min_keep_timestamp_ms) break;
    if (::unlink(oldest.path.c_str()) != 0 && errno != ENOENT) {
      status = internal::ErrnoStatus(errno, absl::StrCat(oldest.path, ": unlink"));
      break;
    }
    segments_.erase(segments_.begin());
    ++retired;
  }
  if (retired > 0) {
    const absl::Status synced = internal::SyncDirectory(options_.dir);
    if (status.ok()) status = synced;
  }
  if (!status.ok()) return status;
  return retired;
}

uint64_t EventLog::next_seq() const {
  MutexLock lock(&mu_);
  return next_seq_;
}

uint64_t EventLog::durable_seq() const {
  MutexLock lock(&mu_);
  return options_.fsync == FsyncPolicy::kEveryBatch ? synced_seq_ : written_seq_;
}

uint64_t EventLog::synced_seq() const {
  MutexLock lock(&mu_);
  return synced_seq_;
}

uint64_t EventLog::first_seq() const {
  MutexLock lock(&segments_mu_);
  return segments_.front().first_seq;
}

absl::Status EventLog::status() const {
  MutexLock lock(&mu_);
  return error_;
}

}  // namespace hrnn
