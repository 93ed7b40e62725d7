// The gRPC metadata that routes a call by user: every call about one user carries
// `hrnn-user-id: <id>` so that a proxy can hash users consistently onto servers. Stateless
// functions; thread-safe.
#ifndef HRNN_CLIENT_ROUTING_METADATA_H_
#define HRNN_CLIENT_ROUTING_METADATA_H_

#include <string>

#include "absl/strings/string_view.h"

namespace hrnn::client {

// The metadata key (lower case, as gRPC requires).
inline constexpr char kUserIdMetadataKey[] = "hrnn-user-id";

// The metadata value for `user_id`: the id itself when it is printable ASCII without '%';
// otherwise every byte outside 0x20..0x7E, and '%', is written as %XX (upper-case hex), which
// keeps the value a legal ASCII header and the mapping one-to-one.
std::string UserIdMetadataValue(absl::string_view user_id);

}  // namespace hrnn::client

#endif  // HRNN_CLIENT_ROUTING_METADATA_H_
