// POSIX file helpers for the event log and the snapshots: an owned file descriptor, full
// writes, directory fsync, a buffered sequential reader and a little-endian byte encoder.
// Functions are stateless and thread-safe; each object is used by one thread at a time.
#ifndef HRNN_CORE_STATE_INTERNAL_FILE_IO_H_
#define HRNN_CORE_STATE_INTERNAL_FILE_IO_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hrnn::internal {

// errno as a Status whose message starts with `what` (e.g. "<path>: write").
absl::Status ErrnoStatus(int error_number, absl::string_view what);

// Owns a file descriptor and closes it on destruction (errors ignored; call Close() to see them).
class OwnedFd {
 public:
  OwnedFd() = default;
  explicit OwnedFd(int fd) : fd_(fd) {}
  OwnedFd(OwnedFd&& other) noexcept : fd_(other.Release()) {}
  OwnedFd& operator=(OwnedFd&& other) noexcept;
  OwnedFd(const OwnedFd&) = delete;
  OwnedFd& operator=(const OwnedFd&) = delete;
  ~OwnedFd();

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int Release();
  // Closes the descriptor; `path` names it in the error.
  absl::Status Close(absl::string_view path);

 private:
  int fd_ = -1;
};

// Opens `path` with open(2) flags (O_CLOEXEC is added) and `mode` for O_CREAT.
absl::StatusOr<OwnedFd> OpenFile(const std::string& path, int flags, int mode = 0644);

// Writes all of `data` at the file offset, retrying on EINTR and short writes.
absl::Status WriteAll(int fd, absl::string_view data, absl::string_view path);

// fdatasync(2)s `fd`; `path` names it in the error.
absl::Status Fdatasync(int fd, absl::string_view path);

// fsyncs the directory `dir` so that entries created, renamed or removed in it are durable.
absl::Status SyncDirectory(const std::string& dir);

// The names (not paths) of the entries of `dir`, in no particular order.
absl::StatusOr<std::vector<std::string>> ListDirectory(const std::string& dir);

// Creates `dir` and its parents when absent; OK when it exists as a directory.
absl::Status CreateDirectories(const std::string& dir);

// Reads a file front to back through a buffer. Not thread-safe.
class SequentialReader {
 public:
  // Opens `path` for reading; size() is its size at open.
  static absl::StatusOr<std::unique_ptr<SequentialReader>> Open(const std::string& path);
  // Takes over `fd` (open for reading), positioned at 0. Never fails.
  SequentialReader(OwnedFd fd, std::string path, int64_t size);

  // Copies up to `n` bytes into `out`, fewer only at the end of the file. Returns the number
  // copied, or an I/O error.
  absl::StatusOr<size_t> Read(char* out, size_t n);
  // Skips forward to absolute `offset`. REQUIRES: offset >= offset().
  void SkipTo(int64_t offset);

  int64_t offset() const { return offset_; }
  int64_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  static constexpr size_t kBufferSize = 1 << 20;

  OwnedFd fd_;
  std::string path_;
  int64_t size_;
  int64_t offset_ = 0;       // Offset of the next byte Read returns.
  int64_t file_offset_ = 0;  // Offset of the next byte pread fetches.
  std::vector<char> buffer_;
  size_t begin_ = 0, end_ = 0;  // Unread bytes are buffer_[begin_, end_).
};

// Little-endian encoders appending to a string.
inline void PutU8(std::string* out, uint8_t v) { out->push_back(static_cast<char>(v)); }
inline void PutU32(std::string* out, uint32_t v) {
  char b[4];
  for (int i = 0; i < 4; ++i) b[i] = static_cast<char>(v >> (8 * i));
  out->append(b, 4);
}
inline void PutU64(std::string* out, uint64_t v) {
  char b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<char>(v >> (8 * i));
  out->append(b, 8);
}
inline void PutI64(std::string* out, int64_t v) { PutU64(out, static_cast<uint64_t>(v)); }
inline void PutF64(std::string* out, double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof(bits));
  PutU64(out, bits);
}
// A u32 length followed by the bytes. REQUIRES: s.size() < 2^32.
inline void PutString(std::string* out, absl::string_view s) {
  PutU32(out, static_cast<uint32_t>(s.size()));
  out->append(s.data(), s.size());
}

inline uint32_t LoadU32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return v;
}
inline uint64_t LoadU64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return v;
}

// Decodes little-endian values from a byte range, never past its end: each Get returns false
// (and leaves the output unspecified) when too few bytes remain.
class ByteDecoder {
 public:
  explicit ByteDecoder(absl::string_view bytes) : rest_(bytes) {}

  bool GetU8(uint8_t* v);
  bool GetU32(uint32_t* v);
  bool GetU64(uint64_t* v);
  bool GetI32(int32_t* v);
  bool GetI64(int64_t* v);
  bool GetF64(double* v);
  // A u32 length (at most `max_size`) and that many bytes.
  bool GetString(std::string* s, uint32_t max_size);
  bool GetBytes(size_t n, absl::string_view* bytes);

  size_t remaining() const { return rest_.size(); }

 private:
  absl::string_view rest_;
};

}  // namespace hrnn::internal

#endif  // HRNN_CORE_STATE_INTERNAL_FILE_IO_H_
