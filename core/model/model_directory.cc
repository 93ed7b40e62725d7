#include "core/model/model_directory.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <filesystem>
#include <map>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/base/sha256.h"
#include "core/base/status_macros.h"
#include "core/model/config_json.h"
#include "core/model/items_tsv.h"
#include "core/model/safetensors.h"

namespace hrnn {
namespace {

namespace fs = std::filesystem;

// A status with `status`'s code and the message "<prefix>: <message>".
absl::Status Prefixed(absl::string_view prefix, const absl::Status& status) {
  return absl::Status(status.code(), absl::StrCat(prefix, ": ", status.message()));
}

absl::Status ErrnoError(int error_number, absl::string_view what) {
  return absl::ErrnoToStatus(error_number, what);
}

absl::Status ErrorCodeStatus(const std::error_code& ec, absl::string_view what) {
  if (ec.category() == std::generic_category() || ec.category() == std::system_category()) {
    return absl::ErrnoToStatus(ec.value(), what);
  }
  return absl::InternalError(absl::StrCat(what, ": ", ec.message()));
}

// Closes a file descriptor on scope exit.
class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;
  ~FdCloser() {
    if (fd_ >= 0) ::close(fd_);
  }
  // Closes now and reports the error of close().
  absl::Status Close(absl::string_view path) {
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) return ErrnoError(errno, absl::StrCat(path, ": close"));
    return absl::OkStatus();
  }

 private:
  int fd_;
};

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError(errno, absl::StrCat(path, ": open"));
  FdCloser closer(fd);
  struct stat info;
  if (::fstat(fd, &info) != 0) return ErrnoError(errno, absl::StrCat(path, ": stat"));
  if (!S_ISREG(info.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a regular file"));
  }
  std::string content;
  content.resize(static_cast<size_t>(info.st_size));
  size_t done = 0;
  while (true) {
    if (done == content.size()) content.resize(content.size() + 65536);  // The file grew.
    const ssize_t n = ::read(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(errno, absl::StrCat(path, ": read"));
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  content.resize(done);
  return content;
}

// Creates `path` (which must not exist), writes `content` and fsyncs it.
absl::Status WriteFileSynced(const std::string& path, absl::string_view content) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoError(errno, absl::StrCat(path, ": create"));
  FdCloser closer(fd);
  size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(errno, absl::StrCat(path, ": write"));
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) return ErrnoError(errno, absl::StrCat(path, ": fsync"));
  return closer.Close(path);
}

absl::Status SyncDirectory(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoError(errno, absl::StrCat(path, ": open directory"));
  FdCloser closer(fd);
  if (::fsync(fd) != 0) return ErrnoError(errno, absl::StrCat(path, ": fsync directory"));
  return closer.Close(path);
}

// Renames directory `from` to `to`, failing with AlreadyExists if `to` exists.
absl::Status RenameNoReplace(const std::string& from, const std::string& to) {
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) {
    return absl::OkStatus();
  }
  int error = errno;
  if (error == EINVAL || error == ENOSYS) {
    // The file system lacks RENAME_NOREPLACE: check, then rename. rename() refuses a non-empty
    // target directory, so only a racing empty directory could be replaced.
    std::error_code ec;
    if (fs::exists(to, ec)) return absl::AlreadyExistsError(absl::StrCat(to, ": already exists"));
    if (::rename(from.c_str(), to.c_str()) == 0) return absl::OkStatus();
    error = errno;
  }
  if (error == EEXIST || error == ENOTEMPTY) {
    return absl::AlreadyExistsError(
        absl::StrCat(to, ": already exists; model versions are immutable"));
  }
  return ErrnoError(error, absl::StrCat("rename ", from, " to ", to));
}

bool IsPlainFileName(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos &&
         name.find('\0') == std::string::npos;
}

absl::Status WriteVersionFiles(const Model& model, const std::string& dir,
                               const std::map<std::string, std::string>& extra_files) {
  std::map<std::string, FileDigest> digests;
  for (const auto& [name, content] : extra_files) {
    if (!IsPlainFileName(name) || name == kConfigFileName || name == kWeightsFileName ||
        name == kItemsFileName) {
      return absl::InvalidArgumentError(
          absl::StrCat("extra model file \"", name, "\": not a plain file name of its own"));
    }
    if (absl::Status s = WriteFileSynced((fs::path(dir) / name).string(), content); !s.ok()) {
      return s;
    }
    digests[name] = FileDigest{Sha256Hex(content), static_cast<int64_t>(content.size())};
  }
  const std::string weights = SerializeSafetensors(
      model.tensors(),
      {{"format", "pt"}, {"hrnn_mode", std::string(ModelModeName(model.config().mode))}});
  const std::string items = SerializeItemsTsv(model.items());
  for (const auto& [name, content] :
       {std::pair<const char*, const std::string*>{kWeightsFileName, &weights},
        std::pair<const char*, const std::string*>{kItemsFileName, &items}}) {
    if (absl::Status s = WriteFileSynced((fs::path(dir) / name).string(), *content); !s.ok()) {
      return s;
    }
    digests[name] = FileDigest{Sha256Hex(*content), static_cast<int64_t>(content->size())};
  }
  // config.json last: its presence marks the directory complete.
  if (absl::Status s = WriteFileSynced((fs::path(dir) / kConfigFileName).string(),
                                       ModelConfigToJson(model.config(), digests));
      !s.ok()) {
    return s;
  }
  return SyncDirectory(dir);
}

// A canonical decimal version number: digits only, no leading zero (except "0"), fits int64.
bool ParseVersionName(const std::string& name, int64_t* version) {
  if (name.empty() || name.size() > 18) return false;
  if (name.size() > 1 && name[0] == '0') return false;
  int64_t value = 0;
  for (char c : name) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  *version = value;
  return true;
}

// Integer-named subdirectories of `model_root`; when `complete_only`, only those holding a
// regular config.json.
absl::StatusOr<std::vector<int64_t>> ScanVersions(const std::string& model_root,
                                                  bool complete_only) {
  std::error_code ec;
  if (!fs::is_directory(model_root, ec)) {
    if (ec && ec != std::errc::no_such_file_or_directory) {
      return ErrorCodeStatus(ec, model_root);
    }
    return absl::NotFoundError(absl::StrCat(model_root, ": no such model directory"));
  }
  std::vector<int64_t> versions;
  fs::directory_iterator it(model_root, ec);
  if (ec) return ErrorCodeStatus(ec, model_root);
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    int64_t version = 0;
    if (!ParseVersionName(it->path().filename().string(), &version)) continue;
    std::error_code entry_ec;
    if (!fs::is_directory(it->path(), entry_ec)) continue;
    if (complete_only && !fs::is_regular_file(it->path() / kConfigFileName, entry_ec)) continue;
    versions.push_back(version);
  }
  if (ec) return ErrorCodeStatus(ec, model_root);
  std::sort(versions.begin(), versions.end());
  return versions;
}

}  // namespace

absl::Status WriteModelDirectory(const Model& model, const std::string& version_dir,
                                 const std::map<std::string, std::string>& extra_files) {
  static std::atomic<int64_t> counter{0};
  std::error_code ec;
  if (fs::exists(version_dir, ec)) {
    return absl::AlreadyExistsError(
        absl::StrCat(version_dir, ": already exists; model versions are immutable"));
  }
  if (ec) return ErrorCodeStatus(ec, version_dir);
  std::string base = version_dir;
  while (base.size() > 1 && base.back() == '/') base.pop_back();
  fs::path parent = fs::path(base).parent_path();
  if (parent.empty()) parent = ".";
  fs::create_directories(parent, ec);
  if (ec) return ErrorCodeStatus(ec, absl::StrCat(parent.string(), ": create directories"));

  const std::string temp = absl::StrCat(base, ".tmp-", ::getpid(), "-", counter.fetch_add(1));
  if (::mkdir(temp.c_str(), 0755) != 0) {
    return ErrnoError(errno, absl::StrCat(temp, ": mkdir"));
  }
  absl::Status status = WriteVersionFiles(model, temp, extra_files);
  if (status.ok()) status = RenameNoReplace(temp, base);
  if (!status.ok()) {
    fs::remove_all(temp, ec);  // Best effort.
    return status;
  }
  return SyncDirectory(parent.string());
}

absl::StatusOr<ModelDirectoryContents> ReadModelDirectoryContents(const std::string& version_dir) {
  std::error_code ec;
  if (!fs::is_directory(version_dir, ec)) {
    if (ec && ec != std::errc::no_such_file_or_directory) {
      return ErrorCodeStatus(ec, version_dir);
    }
    return absl::NotFoundError(absl::StrCat(version_dir, ": no such model version directory"));
  }
  const fs::path dir(version_dir);
  const std::string config_path = (dir / kConfigFileName).string();
  absl::StatusOr<std::string> config_text = ReadFile(config_path);
  if (!config_text.ok()) {
    if (absl::IsNotFound(config_text.status())) {
      return absl::NotFoundError(
          absl::StrCat(config_path, ": missing (incomplete model version?)"));
    }
    return config_text.status();
  }
  absl::StatusOr<ParsedConfigJson> parsed = ParseModelConfigJson(*config_text);
  if (!parsed.ok()) return Prefixed(config_path, parsed.status());
  for (const char* required : {kWeightsFileName, kItemsFileName}) {
    if (!parsed->files.contains(required)) {
      return absl::InvalidArgumentError(
          absl::StrCat(config_path, ": \"files\" does not list \"", required, "\""));
    }
  }

  std::map<std::string, std::string> contents;
  for (const auto& [name, digest] : parsed->files) {
    if (!IsPlainFileName(name)) {
      return absl::InvalidArgumentError(
          absl::StrCat(config_path, ": \"files\" lists \"", name, "\", not a plain file name"));
    }
    const std::string path = (dir / name).string();
    absl::StatusOr<std::string> content = ReadFile(path);
    if (!content.ok()) return content.status();  // The message starts with the path.
    if (static_cast<int64_t>(content->size()) != digest.bytes) {
      return absl::DataLossError(absl::StrCat(path, ": size is ", content->size(),
                                              " bytes, config.json says ", digest.bytes,
                                              " (truncated or modified file)"));
    }
    const std::string sha256 = Sha256Hex(*content);
    if (sha256 != digest.sha256) {
      return absl::DataLossError(absl::StrCat(path, ": checksum mismatch: sha256 is ", sha256,
                                              ", config.json says ", digest.sha256));
    }
    contents[name] = *std::move(content);
  }

  const std::string weights_path = (dir / kWeightsFileName).string();
  absl::StatusOr<TensorMap> tensors = ParseSafetensors(contents[kWeightsFileName]);
  if (!tensors.ok()) return Prefixed(weights_path, tensors.status());
  contents.erase(kWeightsFileName);  // Free the raw bytes before assembling the model.
  absl::StatusOr<ItemVocabulary> items = ParseItemsTsv(contents[kItemsFileName]);
  if (!items.ok()) return Prefixed((dir / kItemsFileName).string(), items.status());
  contents.erase(kItemsFileName);
  absl::StatusOr<std::shared_ptr<const Model>> model =
      Model::Create(std::move(parsed->config), *std::move(tensors), *std::move(items));
  if (!model.ok()) return Prefixed(version_dir, model.status());
  return ModelDirectoryContents{*std::move(model), std::move(contents)};
}

absl::StatusOr<std::shared_ptr<const Model>> ReadModelDirectory(const std::string& version_dir) {
  HRNN_ASSIGN_OR_RETURN(ModelDirectoryContents contents, ReadModelDirectoryContents(version_dir));
  return std::move(contents.model);
}

absl::StatusOr<std::vector<int64_t>> ListModelVersions(const std::string& model_root) {
  return ScanVersions(model_root, /*complete_only=*/true);
}

absl::StatusOr<std::string> LatestModelVersionDir(const std::string& model_root) {
  absl::StatusOr<std::vector<int64_t>> versions = ListModelVersions(model_root);
  if (!versions.ok()) return versions.status();
  if (versions->empty()) {
    return absl::NotFoundError(absl::StrCat(model_root, ": no complete model version"));
  }
  return (fs::path(model_root) / std::to_string(versions->back())).string();
}

absl::StatusOr<std::string> NextModelVersionDir(const std::string& model_root) {
  std::error_code ec;
  fs::create_directories(model_root, ec);
  if (ec) return ErrorCodeStatus(ec, absl::StrCat(model_root, ": create directories"));
  absl::StatusOr<std::vector<int64_t>> versions = ScanVersions(model_root, /*complete_only=*/false);
  if (!versions.ok()) return versions.status();
  const int64_t next = versions->empty() ? 1 : versions->back() + 1;
  return (fs::path(model_root) / std::to_string(next)).string();
}

}  // namespace hrnn
