// UTF-8 well-formedness for hrnn-batch's files (the users file refuses ids that are not UTF-8;
// the JSON Lines output replaces such bytes). Header-only, stateless; thread-safe.
#ifndef HRNN_SERVER_INTERNAL_UTF8_H_
#define HRNN_SERVER_INTERNAL_UTF8_H_

#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"

namespace hrnn::internal {

// The length (1..4) of the well-formed UTF-8 sequence that starts at text[i], or 0 when none
// does there (a stray continuation byte, a truncated sequence, an overlong form, a surrogate or
// a code point past U+10FFFF). REQUIRES: i < text.size().
inline int Utf8SequenceLength(absl::string_view text, size_t i) {
  const unsigned char c = static_cast<unsigned char>(text[i]);
  if (c < 0x80) return 1;
  int extra = 0;
  uint32_t code = 0;
  if ((c & 0xE0) == 0xC0) {
    extra = 1;
    code = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    extra = 2;
    code = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    extra = 3;
    code = c & 0x07;
  } else {
    return 0;
  }
  if (i + static_cast<size_t>(extra) >= text.size()) return 0;
  for (int k = 1; k <= extra; ++k) {
    const unsigned char next = static_cast<unsigned char>(text[i + static_cast<size_t>(k)]);
    if ((next & 0xC0) != 0x80) return 0;
    code = (code << 6) | (next & 0x3F);
  }
  static constexpr uint32_t kMinimum[] = {0, 0x80, 0x800, 0x10000};
  if (code < kMinimum[extra] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return 0;
  return extra + 1;
}

// True when all of `text` is well-formed UTF-8.
inline bool IsValidUtf8(absl::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const int length = Utf8SequenceLength(text, i);
    if (length == 0) return false;
    i += static_cast<size_t>(length);
  }
  return true;
}

}  // namespace hrnn::internal

#endif  // HRNN_SERVER_INTERNAL_UTF8_H_
