// Little-endian integer encoding for the recipes' binary files (sessions.bin, user_items.bin):
// Put appends a value, BytesReader reads values off the front of a byte string and never past
// its end, ReadCountsHeader checks the header the two files share. Header-only helpers; not
// thread-safe per reader.
#ifndef HRNN_CORE_RECIPES_INTERNAL_BYTES_H_
#define HRNN_CORE_RECIPES_INTERNAL_BYTES_H_

#include <cstddef>
#include <cstring>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace hrnn::internal {

template <typename T>
void Put(std::string* out, T value) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));  // The supported targets are little-endian.
  out->append(bytes, sizeof(T));
}

class BytesReader {
 public:
  explicit BytesReader(absl::string_view bytes) : rest_(bytes) {}
  // Reads a T; false (nothing read) when fewer than sizeof(T) bytes remain.
  template <typename T>
  bool Get(T* value) {
    if (rest_.size() < sizeof(T)) return false;
    std::memcpy(value, rest_.data(), sizeof(T));
    rest_.remove_prefix(sizeof(T));
    return true;
  }
  // Reads `n` bytes as a view into the input; false (nothing read) when fewer remain.
  bool GetBytes(size_t n, absl::string_view* out) {
    if (rest_.size() < n) return false;
    *out = rest_.substr(0, n);
    rest_.remove_prefix(n);
    return true;
  }
  size_t remaining() const { return rest_.size(); }

 private:
  absl::string_view rest_;
};

// The header both files start with: 8 bytes of magic, u32 format version, u32 num_items, then
// two u64 counts (what they count is the file's).
struct CountsHeader {
  uint64_t first = 0;
  uint64_t second = 0;
};

// Checks `bytes`' header — `magic` (8 bytes), the format `version`, num_items ==
// `expected_num_items` — and returns its two counts, with *rest reading the bytes after it.
// Errors: InvalidArgument "<file_name>: ..." naming what is wrong ("bad magic (not <what>)",
// "truncated header", the version, num_items against the model's).
inline absl::StatusOr<CountsHeader> ReadCountsHeader(
    absl::string_view bytes, absl::string_view magic, absl::string_view what, uint32_t version,
    int32_t expected_num_items, absl::string_view file_name, BytesReader* rest) {
  const auto invalid = [&](absl::string_view message) {
    return absl::InvalidArgumentError(absl::StrCat(file_name, ": ", message));
  };
  if (!absl::StartsWith(bytes, magic)) return invalid(absl::StrCat("bad magic (not ", what, ")"));
  BytesReader reader(bytes.substr(magic.size()));
  uint32_t file_version = 0, num_items = 0;
  CountsHeader header;
  if (!reader.Get(&file_version) || !reader.Get(&num_items) || !reader.Get(&header.first) ||
      !reader.Get(&header.second)) {
    return invalid("truncated header");
  }
  if (file_version != version) {
    return invalid(absl::StrCat("format version ", file_version, " is not supported (expected ",
                                version, ")"));
  }
  if (static_cast<int64_t>(num_items) != expected_num_items) {
    return invalid(absl::StrCat("num_items is ", num_items, " but the model has ",
                                expected_num_items, " items"));
  }
  *rest = reader;
  return header;
}

}  // namespace hrnn::internal

#endif  // HRNN_CORE_RECIPES_INTERNAL_BYTES_H_
