#include "client/routing_metadata.h"

#include "absl/strings/str_format.h"

namespace hrnn::client {

std::string UserIdMetadataValue(absl::string_view user_id) {
  std::string value;
  value.reserve(user_id.size());
  for (const char c : user_id) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte > 0x7E || c == '%') {
      absl::StrAppendFormat(&value, "%%%02X", byte);
    } else {
      value.push_back(c);
    }
  }
  return value;
}

}  // namespace hrnn::client
