// SHA-256 (FIPS 180-4), used for the file checksums in a model directory's config.json.
// Sha256 is a streaming hasher: not thread-safe (one instance per thread); Sha256Hex is
// stateless and safe to call concurrently.
#ifndef HRNN_CORE_BASE_SHA256_H_
#define HRNN_CORE_BASE_SHA256_H_

#include <array>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace hrnn {

class Sha256 {
 public:
  static constexpr size_t kDigestSize = 32;
  using Digest = std::array<uint8_t, kDigestSize>;

  Sha256();

  // Appends `data` to the message. REQUIRES: Final() has not been called.
  void Update(absl::string_view data);
  void Update(const void* data, size_t size);

  // Pads the message and returns its digest. The hasher must not be used afterwards except
  // through Reset().
  Digest Final();

  // Starts a new, empty message.
  void Reset();

 private:
  void ProcessBlock(const uint8_t* block);

  std::array<uint32_t, 8> state_;
  std::array<uint8_t, 64> buffer_;
  size_t buffered_ = 0;       // Bytes in buffer_.
  uint64_t total_bytes_ = 0;  // Message length so far.
};

// Lower-case hex of a digest (64 characters).
std::string DigestToHex(const Sha256::Digest& digest);

// The lower-case hex SHA-256 of `data` (64 characters).
std::string Sha256Hex(absl::string_view data);

}  // namespace hrnn

#endif  // HRNN_CORE_BASE_SHA256_H_
