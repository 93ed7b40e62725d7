#include "client/grpc_status.h"

#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace hrnn::client {
namespace {

using ::hrnn::testing::StatusIs;

TEST(FromGrpcStatusTest, KeepsCodeAndMessage) {
  EXPECT_OK(FromGrpcStatus(grpc::Status::OK));
  EXPECT_THAT(FromGrpcStatus(
                  grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "user_id: must not be empty")),
              StatusIs(absl::StatusCode::kInvalidArgument, "user_id: must not be empty"));
  EXPECT_THAT(FromGrpcStatus(grpc::Status(grpc::StatusCode::UNAVAILABLE, "no model")),
              StatusIs(absl::StatusCode::kUnavailable, "no model"));
  EXPECT_THAT(FromGrpcStatus(grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "who")),
              StatusIs(absl::StatusCode::kUnauthenticated, "who"));
  EXPECT_THAT(FromGrpcStatus(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "late")),
              StatusIs(absl::StatusCode::kDeadlineExceeded, "late"));
}

TEST(FromGrpcStatusTest, NonCanonicalCodesAreUnknown) {
  // 20 is outside the canonical codes but inside the enum's value range (no UB).
  EXPECT_THAT(FromGrpcStatus(grpc::Status(static_cast<grpc::StatusCode>(20), "odd")),
              StatusIs(absl::StatusCode::kUnknown, "odd"));
}

}  // namespace
}  // namespace hrnn::client
