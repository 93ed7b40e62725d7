#include "core/state/internal/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"

namespace hrnn::internal {

absl::Status ErrnoStatus(int error_number, absl::string_view what) {
  return absl::ErrnoToStatus(error_number, what);
}

OwnedFd& OwnedFd::operator=(OwnedFd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.Release();
  }
  return *this;
}

OwnedFd::~OwnedFd() {
  if (fd_ >= 0) ::close(fd_);
}

int OwnedFd::Release() {
  const int fd = fd_;
  fd_ = -1;
  return fd;
}

absl::Status OwnedFd::Close(absl::string_view path) {
  if (fd_ < 0) return absl::OkStatus();
  const int fd = Release();
  if (::close(fd) != 0) return ErrnoStatus(errno, absl::StrCat(path, ": close"));
  return absl::OkStatus();
}

absl::StatusOr<OwnedFd> OpenFile(const std::string& path, int flags, int mode) {
  int fd;
  do {
    fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat(path, ": open"));
  return OwnedFd(fd);
}

absl::Status WriteAll(int fd, absl::string_view data, absl::string_view path) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, absl::StrCat(path, ": write"));
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

absl::Status Fdatasync(int fd, absl::string_view path) {
  if (::fdatasync(fd) != 0) return ErrnoStatus(errno, absl::StrCat(path, ": fdatasync"));
  return absl::OkStatus();
}

absl::Status SyncDirectory(const std::string& dir) {
  auto fd = OpenFile(dir, O_RDONLY | O_DIRECTORY);
  if (!fd.ok()) return fd.status();
  if (::fsync(fd->get()) != 0) return ErrnoStatus(errno, absl::StrCat(dir, ": fsync directory"));
  return fd->Close(dir);
}

absl::StatusOr<std::vector<std::string>> ListDirectory(const std::string& dir) {
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  std::vector<std::string> names;
  for (; !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    names.push_back(it->path().filename().string());
  }
  if (ec) return ErrnoStatus(ec.value(), absl::StrCat(dir, ": list directory"));
  return names;
}

absl::Status CreateDirectories(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return ErrnoStatus(ec.value(), absl::StrCat(dir, ": create directory"));
  if (!std::filesystem::is_directory(dir, ec)) {
    return absl::FailedPreconditionError(absl::StrCat(dir, ": not a directory"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<SequentialReader>> SequentialReader::Open(const std::string& path) {
  auto fd = OpenFile(path, O_RDONLY);
  if (!fd.ok()) return fd.status();
  struct stat info;
  if (::fstat(fd->get(), &info) != 0) return ErrnoStatus(errno, absl::StrCat(path, ": stat"));
  if (!S_ISREG(info.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(path, ": not a regular file"));
  }
  return std::make_unique<SequentialReader>(*std::move(fd), path,
                                            static_cast<int64_t>(info.st_size));
}

SequentialReader::SequentialReader(OwnedFd fd, std::string path, int64_t size)
    : fd_(std::move(fd)), path_(std::move(path)), size_(size) {}

absl::StatusOr<size_t> SequentialReader::Read(char* out, size_t n) {
  size_t done = 0;
  while (done < n) {
    if (begin_ == end_) {
      if (n - done >= kBufferSize) {
        // Large reads go straight to the caller's memory.
        const ssize_t got = ::pread(fd_.get(), out + done, n - done, file_offset_);
        if (got < 0) {
          if (errno == EINTR) continue;
          return ErrnoStatus(errno, absl::StrCat(path_, ": read"));
        }
        if (got == 0) break;
        file_offset_ += got;
        offset_ += got;
        done += static_cast<size_t>(got);
        continue;
      }
      if (buffer_.empty()) buffer_.resize(kBufferSize);
      const ssize_t got = ::pread(fd_.get(), buffer_.data(), buffer_.size(), file_offset_);
      if (got < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus(errno, absl::StrCat(path_, ": read"));
      }
      if (got == 0) break;
      file_offset_ += got;
      begin_ = 0;
      end_ = static_cast<size_t>(got);
    }
    const size_t take = std::min(n - done, end_ - begin_);
    std::memcpy(out + done, buffer_.data() + begin_, take);
    begin_ += take;
    done += take;
    offset_ += static_cast<int64_t>(take);
  }
  return done;
}

void SequentialReader::SkipTo(int64_t offset) {
  const int64_t buffered = static_cast<int64_t>(end_ - begin_);
  if (offset - offset_ <= buffered) {
    begin_ += static_cast<size_t>(offset - offset_);
  } else {
    begin_ = end_ = 0;
    file_offset_ = offset;
  }
  offset_ = offset;
}

bool ByteDecoder::GetBytes(size_t n, absl::string_view* bytes) {
  if (rest_.size() < n) return false;
  *bytes = rest_.substr(0, n);
  rest_.remove_prefix(n);
  return true;
}

bool ByteDecoder::GetU8(uint8_t* v) {
  if (rest_.empty()) return false;
  *v = static_cast<uint8_t>(rest_[0]);
  rest_.remove_prefix(1);
  return true;
}

bool ByteDecoder::GetU32(uint32_t* v) {
  if (rest_.size() < 4) return false;
  *v = LoadU32(rest_.data());
  rest_.remove_prefix(4);
  return true;
}

bool ByteDecoder::GetU64(uint64_t* v) {
  if (rest_.size() < 8) return false;
  *v = LoadU64(rest_.data());
  rest_.remove_prefix(8);
  return true;
}

bool ByteDecoder::GetI32(int32_t* v) {
  uint32_t u;
  if (!GetU32(&u)) return false;
  *v = static_cast<int32_t>(u);
  return true;
}

bool ByteDecoder::GetI64(int64_t* v) {
  uint64_t u;
  if (!GetU64(&u)) return false;
  *v = static_cast<int64_t>(u);
  return true;
}

bool ByteDecoder::GetF64(double* v) {
  uint64_t u;
  if (!GetU64(&u)) return false;
  std::memcpy(v, &u, sizeof(u));
  return true;
}

bool ByteDecoder::GetString(std::string* s, uint32_t max_size) {
  uint32_t size;
  absl::string_view bytes;
  if (!GetU32(&size) || size > max_size || !GetBytes(size, &bytes)) return false;
  s->assign(bytes.data(), bytes.size());
  return true;
}

}  // namespace hrnn::internal
