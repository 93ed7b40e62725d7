// The one place where an absl::Status becomes a grpc::Status (tensorflow/serving's
// ToGRPCStatus): same code, same message. Stateless; thread-safe.
#ifndef HRNN_SERVER_STATUS_CONVERSION_H_
#define HRNN_SERVER_STATUS_CONVERSION_H_

#include <string>

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace hrnn {

inline grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

}  // namespace hrnn

#endif  // HRNN_SERVER_STATUS_CONVERSION_H_
