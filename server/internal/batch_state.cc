#include "server/internal/batch_state.h"

#include <stdlib.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <memory>
#include <system_error>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/state/event_log.h"

namespace hrnn::internal {
namespace {

namespace fs = std::filesystem;

constexpr int kCopyAttempts = 3;

// A fresh directory under `parent`, removed with everything in it on destruction.
class TempDirectory {
 public:
  static absl::StatusOr<std::unique_ptr<TempDirectory>> Create(const std::string& parent) {
    std::error_code ec;
    const fs::path base = parent.empty() ? fs::temp_directory_path(ec) : fs::path(parent);
    if (ec) return absl::InternalError(absl::StrCat("no temporary directory: ", ec.message()));
    std::string pattern = (base / "hrnn-batch-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      return absl::Status(absl::ErrnoToStatusCode(errno),
                          absl::StrCat("cannot create a directory like ", pattern, ": ",
                                       std::generic_category().message(errno)));
    }
    return std::unique_ptr<TempDirectory>(new TempDirectory(pattern));
  }
  ~TempDirectory() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  explicit TempDirectory(fs::path path) : path_(std::move(path)) {}
  fs::path path_;
};

// Copies the regular files of `from` whose names `keep` accepts into `to` (created), listing
// them first. Errors: the first I/O error.
template <typename Keep>
absl::Status CopyFiles(const fs::path& from, const fs::path& to, Keep keep) {
  std::error_code ec;
  fs::create_directories(to, ec);
  std::vector<fs::path> files;
  for (fs::directory_iterator it(from, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file(ec) && keep(it->path().filename().string())) {
      files.push_back(it->path());
    }
  }
  if (ec)
    return absl::UnavailableError(absl::StrCat("cannot list ", from.string(), ": ", ec.message()));
  std::sort(files.begin(), files.end());
  for (const fs::path& file : files) {
    if (!fs::copy_file(file, to / file.filename(), fs::copy_options::overwrite_existing, ec)) {
      return absl::UnavailableError(
          absl::StrCat("cannot copy ", file.string(), ": ", ec.message()));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<RecoveryStats> RecoverStateFromCopy(const std::string& state_dir,
                                                   const std::string& temp_dir,
                                                   const ServingModel& model,
                                                   const ServerConfig& config,
                                                   UserStateStore& store) {
  const fs::path live_log = fs::path(state_dir) / "log";
  const fs::path live_snapshots = fs::path(state_dir) / "snapshots";
  std::error_code ec;
  if (!fs::is_directory(live_log, ec)) {
    return absl::NotFoundError(
        absl::StrCat("--state_dir: ", live_log.string(), " is not an event log directory"));
  }
  absl::StatusOr<std::unique_ptr<TempDirectory>> temp = TempDirectory::Create(temp_dir);
  if (!temp.ok()) {
    return absl::Status(temp.status().code(),
                        absl::StrCat("--temp_dir: ", temp.status().message()));
  }
  const fs::path log_copy = (*temp)->path() / "log";
  const fs::path snapshots_copy = (*temp)->path() / "snapshots";
  absl::Status copied;
  std::unique_ptr<EventLog> log;
  for (int attempt = 1; attempt <= kCopyAttempts; ++attempt) {
    fs::remove_all(log_copy, ec);
    fs::remove_all(snapshots_copy, ec);
    // The log first: the segments a newer snapshot lets the server retire meanwhile are then
    // covered by that snapshot, which the second copy picks up.
    copied = CopyFiles(live_log, log_copy, [](const std::string&) { return true; });
    if (copied.ok() && fs::is_directory(live_snapshots, ec)) {
      copied = CopyFiles(live_snapshots, snapshots_copy, [](const std::string& name) {
        return absl::StartsWith(name, "snapshot-") && absl::EndsWith(name, ".snap");
      });
    }
    if (!copied.ok()) continue;
    EventLogOptions options;
    options.dir = log_copy.string();
    options.fsync = FsyncPolicy::kNone;
    absl::StatusOr<std::unique_ptr<EventLog>> opened = EventLog::Open(options, nullptr);
    if (opened.ok()) {
      log = *std::move(opened);
      break;
    }
    copied = opened.status();
  }
  if (log == nullptr) {
    return absl::Status(copied.code(),
                        absl::StrCat("--state_dir: a copy of ", state_dir, " (", kCopyAttempts,
                                     " attempts): ", copied.message()));
  }
  return RecoverState(model, config, snapshots_copy.string(), *log, store);
}

}  // namespace hrnn::internal
