// Conversion of grpc::Status to absl::Status (code and message kept) for the client library.
// Stateless functions; thread-safe.
#ifndef HRNN_CLIENT_GRPC_STATUS_H_
#define HRNN_CLIENT_GRPC_STATUS_H_

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace hrnn::client {

// Returns an absl::Status with the same canonical code and message (error_details dropped).
// Codes outside the canonical range become UNKNOWN.
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace hrnn::client

#endif  // HRNN_CLIENT_GRPC_STATUS_H_
