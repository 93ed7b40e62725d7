#include "core/state/event_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"
#include "core/state/internal/log_recovery.h"

namespace hrnn {
namespace {

using internal::OwnedFd;
using internal::SequentialReader;

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

// Creates segment `path` holding only its header, synced, and syncs the directory.
absl::StatusOr<OwnedFd> CreateSegment(const std::string& dir, const std::string& path,
                                      uint64_t first_seq) {
  HRNN_ASSIGN_OR_RETURN(OwnedFd fd,
                        internal::OpenFile(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND));
  HRNN_RETURN_IF_ERROR(internal::WriteAll(fd.get(), EncodeLogSegmentHeader(first_seq), path));
  HRNN_RETURN_IF_ERROR(internal::Fdatasync(fd.get(), path));
  HRNN_RETURN_IF_ERROR(internal::SyncDirectory(dir));
  return fd;
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
  HRNN_ASSIGN_OR_RETURN(std::vector<Segment> segments,
                        internal::RecoverLogSegments(options.dir, report));

  OwnedFd fd;
  int64_t segment_size = 0;
  if (segments.empty()) {
    Segment segment;
    segment.first_seq = 1;
    segment.last_seq = 0;
    segment.path = absl::StrCat(options.dir, "/", LogSegmentName(1));
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
  interval_thread_ = std::thread([this] { IntervalLoop(); });
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
  MutexLock lock(&mu_);
  if (!error_.ok()) return 0;
  record->seq = next_seq_++;
  AppendLogRecord(*record, &buffer_);
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
    HRNN_RETURN_IF_ERROR(internal::Fdatasync(fd_.get(), path));
    *synced = true;
  }
  if (!seal) return absl::OkStatus();

  Segment next;
  next.first_seq = last_seq + 1;
  next.last_seq = last_seq;
  next.path = absl::StrCat(options_.dir, "/", LogSegmentName(next.first_seq));
  HRNN_ASSIGN_OR_RETURN(OwnedFd fd, CreateSegment(options_.dir, next.path, next.first_seq));
  HRNN_RETURN_IF_ERROR(fd_.Close(path));
  fd_ = std::move(fd);
  segment_size_ = kEventLogHeaderBytes;
  MutexLock lock(&segments_mu_);
  segments_.push_back(std::move(next));
  return absl::OkStatus();
}

void EventLog::IntervalLoop() {
  // Under kEveryBatch the waiters commit their own records; this loop only picks up the records
  // nobody waits for (served recommendations) and syncs them, as the policy promises.
  const bool sync = options_.fsync != FsyncPolicy::kNone;
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
    bool stopped = false;
    HRNN_RETURN_IF_ERROR(ReadLogSegment(
        *source.reader, segment, std::min(limit, segment.last_seq),
        [&](const EventRecord& record) { return record.seq < from_seq || visit(record); },
        &stopped));
    if (stopped) return absl::OkStatus();
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
