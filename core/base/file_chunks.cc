#include "core/base/file_chunks.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <filesystem>
#include <memory>
#include <system_error>

#include "absl/strings/str_cat.h"

namespace hrnn {
namespace {

constexpr size_t kChunkBytes = 1 << 20;

absl::Status ReadGzip(const std::string& path, int fd, char* buffer,
                      absl::FunctionRef<absl::Status(absl::string_view)> visit) {
  gzFile file = gzdopen(fd, "rb");  // Owns fd from here on.
  if (file == nullptr) {
    ::close(fd);
    return absl::ResourceExhaustedError(absl::StrCat(path, ": gzdopen failed"));
  }
  gzbuffer(file, 256 * 1024);
  absl::Status status;
  while (status.ok()) {
    const int n = gzread(file, buffer, kChunkBytes);
    int errnum = Z_OK;
    const char* message = gzerror(file, &errnum);
    if (n < 0 || (errnum != Z_OK && errnum != Z_STREAM_END)) {
      status = absl::DataLossError(absl::StrCat(
          path, ": corrupt or truncated gzip data: ", message == nullptr ? "" : message));
      break;
    }
    if (n == 0) break;
    status = visit(absl::string_view(buffer, static_cast<size_t>(n)));
  }
  gzclose(file);
  return status;
}

absl::Status ReadPlain(const std::string& path, int fd, char* buffer,
                       absl::FunctionRef<absl::Status(absl::string_view)> visit) {
  absl::Status status;
  while (status.ok()) {
    const ssize_t n = ::read(fd, buffer, kChunkBytes);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      status = absl::ErrnoToStatus(errno, absl::StrCat(path, ": cannot read"));
      break;
    }
    if (n == 0) break;
    status = visit(absl::string_view(buffer, static_cast<size_t>(n)));
  }
  ::close(fd);
  return status;
}

}  // namespace

absl::Status ReadFileChunks(const std::string& path,
                            absl::FunctionRef<absl::Status(absl::string_view)> visit, bool* gzip) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::ErrnoToStatus(errno, absl::StrCat(path, ": cannot open"));
  unsigned char magic[2] = {0, 0};
  const bool is_gzip = ::pread(fd, magic, 2, 0) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
  if (gzip != nullptr) *gzip = is_gzip;
  std::unique_ptr<char[]> buffer(new char[kChunkBytes]);
  return is_gzip ? ReadGzip(path, fd, buffer.get(), visit)
                 : ReadPlain(path, fd, buffer.get(), visit);
}

absl::StatusOr<std::string> ReadFileContents(const std::string& path) {
  std::error_code ec;
  const bool regular = std::filesystem::is_regular_file(path, ec);
  if (ec) {
    const std::string reason = absl::StrCat(path, ": ", ec.message());
    if (ec == std::errc::no_such_file_or_directory) return absl::NotFoundError(reason);
    return absl::InvalidArgumentError(reason);
  }
  if (!regular) return absl::InvalidArgumentError(absl::StrCat(path, ": not a regular file"));
  std::string content;
  const absl::Status read = ReadFileChunks(path, [&content](absl::string_view chunk) {
    content.append(chunk.data(), chunk.size());
    return absl::OkStatus();
  });
  if (read.ok()) return content;
  if (absl::IsNotFound(read)) return read;
  return absl::InvalidArgumentError(read.message());
}

}  // namespace hrnn
