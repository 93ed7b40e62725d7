// Little-endian integer encoding for the recipes' binary files (sessions.bin, user_items.bin):
// Put appends a value, BytesReader reads values off the front of a byte string and never past
// its end. Header-only helpers; not thread-safe per reader.
#ifndef HRNN_CORE_RECIPES_INTERNAL_BYTES_H_
#define HRNN_CORE_RECIPES_INTERNAL_BYTES_H_

#include <cstddef>
#include <cstring>
#include <string>

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

}  // namespace hrnn::internal

#endif  // HRNN_CORE_RECIPES_INTERNAL_BYTES_H_
