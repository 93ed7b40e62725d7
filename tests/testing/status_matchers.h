// GoogleTest helpers for absl::Status / absl::StatusOr, which Abseil 20220623 does not ship:
// EXPECT_OK, ASSERT_OK, ASSERT_OK_AND_ASSIGN and the StatusIs(code, substring) matcher.
#ifndef HRNN_TESTS_TESTING_STATUS_MATCHERS_H_
#define HRNN_TESTS_TESTING_STATUS_MATCHERS_H_

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hrnn::testing {

inline const absl::Status& GetStatus(const absl::Status& status) { return status; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

// Matches a Status or StatusOr whose code is `code` and whose message contains `substring`.
MATCHER_P2(StatusIs, code, substring,
           std::string("has code ") + absl::StatusCodeToString(code) +
               " and a message containing \"" + std::string(substring) + "\"") {
  const absl::Status& status = ::hrnn::testing::GetStatus(arg);
  *result_listener << "status is " << status;
  return status.code() == code &&
         status.message().find(std::string(substring)) != absl::string_view::npos;
}

}  // namespace hrnn::testing

// Each evaluates `expr` once.
#define EXPECT_OK(expr)                                             \
  do {                                                              \
    const auto& hrnn_test_result_ = (expr);                         \
    EXPECT_TRUE(::hrnn::testing::GetStatus(hrnn_test_result_).ok()) \
        << ::hrnn::testing::GetStatus(hrnn_test_result_);           \
  } while (false)
#define ASSERT_OK(expr)                                             \
  do {                                                              \
    const auto& hrnn_test_result_ = (expr);                         \
    ASSERT_TRUE(::hrnn::testing::GetStatus(hrnn_test_result_).ok()) \
        << ::hrnn::testing::GetStatus(hrnn_test_result_);           \
  } while (false)

#define HRNN_TEST_CONCAT_INNER_(a, b) a##b
#define HRNN_TEST_CONCAT_(a, b) HRNN_TEST_CONCAT_INNER_(a, b)
#define ASSERT_OK_AND_ASSIGN(lhs, expr) \
  ASSERT_OK_AND_ASSIGN_IMPL_(HRNN_TEST_CONCAT_(hrnn_test_statusor_, __LINE__), lhs, expr)
#define ASSERT_OK_AND_ASSIGN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                               \
  ASSERT_TRUE(statusor.ok()) << statusor.status();      \
  lhs = *std::move(statusor)

#endif  // HRNN_TESTS_TESTING_STATUS_MATCHERS_H_
