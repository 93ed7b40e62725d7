// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of event-log records and
// of iSCSI/ext4/leveldb. Table-driven (slicing-by-8), portable; stateless and thread-safe.
#ifndef HRNN_CORE_STATE_INTERNAL_CRC32C_H_
#define HRNN_CORE_STATE_INTERNAL_CRC32C_H_

#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"

namespace hrnn::internal {

// Returns the CRC-32C of the concatenation of A and `data[0, size)`, where `crc` is the CRC-32C
// of A (0 for the empty string). REQUIRES: data != nullptr or size == 0.
uint32_t Crc32cExtend(uint32_t crc, const void* data, size_t size);

// The CRC-32C of `data`; Crc32c("123456789") == 0xE3069283.
inline uint32_t Crc32c(absl::string_view data) { return Crc32cExtend(0, data.data(), data.size()); }

}  // namespace hrnn::internal

#endif  // HRNN_CORE_STATE_INTERNAL_CRC32C_H_
