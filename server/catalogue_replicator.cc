#include "server/catalogue_replicator.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "server/server_log.h"

namespace hrnn {
namespace {

constexpr char kPositionHeader[] = "hrnn catalog stream position v1";

// Writes `contents` to `path` through a temporary file, fsync and rename.
absl::Status WriteFileDurably(const std::string& path, const std::string& contents) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::InternalError(absl::StrCat(tmp, ": open: ", std::strerror(errno)));
  }
  bool ok = ::write(fd, contents.data(), contents.size()) == static_cast<ssize_t>(contents.size());
  ok = ::fsync(fd) == 0 && ok;
  ok = ::close(fd) == 0 && ok;
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::InternalError(absl::StrCat(path, ": write: ", std::strerror(errno)));
  }
  const std::string dir = std::filesystem::path(path).parent_path().string();
  if (const int dir_fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY);
      dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
  return absl::OkStatus();
}

}  // namespace

CatalogueReplicator::CatalogueReplicator(CatalogueUpdater* updater, EventLog* log,
                                         std::unique_ptr<CatalogueStream> writer,
                                         std::unique_ptr<CatalogueStream> reader,
                                         CatalogueReplicatorOptions options)
    : updater_(*updater),
      log_(log),
      options_(std::move(options)),
      writer_(std::move(writer)),
      reader_(std::move(reader)) {}

CatalogueReplicator::~CatalogueReplicator() { Stop(); }

absl::Status CatalogueReplicator::Start() {
  std::string id = "0-0";
  if (!options_.position_file.empty() && std::filesystem::exists(options_.position_file)) {
    std::ifstream in(options_.position_file);
    std::stringstream contents;
    contents << in.rdbuf();
    const std::vector<std::string> lines = absl::StrSplit(contents.str(), '\n', absl::SkipEmpty());
    if (!in || lines.size() != 3 || lines[0] != kPositionHeader) {
      return absl::DataLossError(absl::StrCat(
          options_.position_file, ": not a catalog stream position (expected \"", kPositionHeader,
          "\", the stream's name and an entry id; delete it to re-apply the "
          "whole stream)"));
    }
    if (lines[1] != options_.stream_name) {
      ServerLog(absl::StrCat("catalog stream: ", options_.position_file, " is the position in \"",
                             lines[1], "\", not \"", options_.stream_name,
                             "\": applying the stream from its beginning"));
    } else {
      absl::StatusOr<std::pair<uint64_t, uint64_t>> parsed = ParseStreamEntryId(lines[2]);
      if (!parsed.ok()) {
        return absl::DataLossError(
            absl::StrCat(options_.position_file, ": ", parsed.status().message()));
      }
      id = lines[2];
      MutexLock lock(&mutex_);
      applied_ = *parsed;
    }
  }
  {
    MutexLock lock(&mutex_);
    applied_id_ = id;
    stopping_ = false;
  }
  ServerLog(
      absl::StrCat("catalog stream \"", options_.stream_name, "\": following after entry ", id));
  follower_ = std::thread([this] { FollowLoop(); });
  return absl::OkStatus();
}

void CatalogueReplicator::Stop() {
  {
    MutexLock lock(&mutex_);
    stopping_ = true;
    changed_.SignalAll();
  }
  if (follower_.joinable()) follower_.join();
}

bool CatalogueReplicator::Applied(const std::pair<uint64_t, uint64_t>& id) const {
  return applied_ >= id;
}

absl::StatusOr<AvailabilityUpdate> CatalogueReplicator::Submit(
    absl::Span<const AvailabilityChange> changes) {
  absl::StatusOr<AvailabilityUpdate> update = updater_.Classify(changes);
  if (!update.ok()) return update.status();
  absl::StatusOr<std::string> id;
  {
    MutexLock lock(&writer_mutex_);
    id = writer_->Append(changes);
  }
  if (!id.ok()) return id.status();
  absl::StatusOr<std::pair<uint64_t, uint64_t>> position = ParseStreamEntryId(*id);
  if (!position.ok())
    return absl::UnavailableError(absl::StrCat("catalog stream: XADD answered ", *id));
  const absl::Time deadline = absl::Now() + options_.apply_timeout;
  MutexLock lock(&mutex_);
  while (!Applied(*position)) {
    const absl::Duration left = deadline - absl::Now();
    if (stopping_ || left <= absl::ZeroDuration()) {
      return absl::DeadlineExceededError(absl::StrCat(
          "catalog stream: the update is entry ", *id, " of \"", options_.stream_name,
          "\" (every replica will apply it) but this replica had not applied it within ",
          absl::FormatDuration(options_.apply_timeout), " (it has applied up to ", applied_id_,
          ")"));
    }
    changed_.WaitWithTimeout(&mutex_, left);
  }
  return update;
}

bool CatalogueReplicator::ApplyEntries(const std::vector<CatalogueStreamEntry>& entries) {
  uint64_t wait_seq = 0;
  size_t done = 0;
  absl::Status failure;
  for (; done < entries.size(); ++done) {
    absl::StatusOr<AvailabilityUpdate> update = updater_.Apply(entries[done].changes);
    if (!update.ok()) {
      failure = update.status();
      break;
    }
    wait_seq = std::max(wait_seq, update->wait_seq);
  }
  if (done == 0) {
    if (!failure.ok()) {
      MutexLock lock(&mutex_);
      ++errors_;
    }
    return failure.ok();
  }
  if (log_ != nullptr && wait_seq > 0) {
    if (absl::Status durable = log_->WaitDurable(wait_seq); !durable.ok()) {
      ServerLog(absl::StrCat("catalog stream: event log: ", durable.message()));
      MutexLock lock(&mutex_);
      ++errors_;
      return false;
    }
  }
  const std::string& id = entries[done - 1].id;
  if (!options_.position_file.empty()) {
    const std::string contents =
        absl::StrCat(kPositionHeader, "\n", options_.stream_name, "\n", id, "\n");
    if (absl::Status saved = WriteFileDurably(options_.position_file, contents); !saved.ok()) {
      // Applied and logged: a restart re-applies these entries, which is harmless.
      ServerLog(absl::StrCat("catalog stream: ", saved.message()));
    }
  }
  absl::StatusOr<std::pair<uint64_t, uint64_t>> parsed = ParseStreamEntryId(id);
  MutexLock lock(&mutex_);
  if (parsed.ok()) applied_ = *parsed;
  applied_id_ = id;
  entries_applied_ += static_cast<int64_t>(done);
  if (!failure.ok()) ++errors_;
  changed_.SignalAll();
  return failure.ok();
}

void CatalogueReplicator::FollowLoop() {
  std::string last_error;
  while (true) {
    std::string after;
    {
      MutexLock lock(&mutex_);
      if (stopping_) return;
      after = applied_id_;
    }
    absl::StatusOr<std::vector<CatalogueStreamEntry>> entries =
        reader_->Read(after, 1000, options_.read_wait);
    absl::Status status = entries.status();
    if (entries.ok() && !ApplyEntries(*entries)) {
      // The first entry not applied is retried after the pause (no model yet, a failed log).
      status = absl::UnavailableError(
          "an entry could not be applied (no model served, or the "
          "event log failed)");
    }
    {
      MutexLock lock(&mutex_);
      following_ = status.ok();
    }
    if (status.ok()) {
      if (!last_error.empty()) ServerLog("catalog stream: following again");
      last_error.clear();
      continue;
    }
    if (!entries.ok()) {
      MutexLock lock(&mutex_);
      ++errors_;
    }
    if (std::string error(status.message()); error != last_error) {
      ServerLog(absl::StrCat("catalog stream: ", error, "; retrying every ",
                             absl::FormatDuration(options_.retry_pause)));
      last_error = std::move(error);
    }
    MutexLock lock(&mutex_);
    if (!stopping_) changed_.WaitWithTimeout(&mutex_, options_.retry_pause);
  }
}

std::string CatalogueReplicator::applied_id() const {
  MutexLock lock(&mutex_);
  return applied_id_;
}

int64_t CatalogueReplicator::entries_applied() const {
  MutexLock lock(&mutex_);
  return entries_applied_;
}

int64_t CatalogueReplicator::errors() const {
  MutexLock lock(&mutex_);
  return errors_;
}

bool CatalogueReplicator::following() const {
  MutexLock lock(&mutex_);
  return following_;
}

}  // namespace hrnn
