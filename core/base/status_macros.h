// Status propagation macros missing from Abseil 20220623: HRNN_RETURN_IF_ERROR and
// HRNN_ASSIGN_OR_RETURN. Header-only; no state, so trivially thread-safe.
#ifndef HRNN_CORE_BASE_STATUS_MACROS_H_
#define HRNN_CORE_BASE_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Evaluates `expr` (an absl::Status) and returns it from the enclosing function if not OK.
#define HRNN_RETURN_IF_ERROR(expr)               \
  do {                                           \
    ::absl::Status hrnn_status_ = (expr);        \
    if (!hrnn_status_.ok()) return hrnn_status_; \
  } while (false)

#define HRNN_STATUS_CONCAT_INNER_(a, b) a##b
#define HRNN_STATUS_CONCAT_(a, b) HRNN_STATUS_CONCAT_INNER_(a, b)

// `HRNN_ASSIGN_OR_RETURN(auto x, MakeX());` evaluates an absl::StatusOr<T>; on error returns
// its status from the enclosing function, else move-assigns the value to the left-hand side.
#define HRNN_ASSIGN_OR_RETURN(lhs, expr) \
  HRNN_ASSIGN_OR_RETURN_IMPL_(HRNN_STATUS_CONCAT_(hrnn_statusor_, __LINE__), lhs, expr)

#define HRNN_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr)   \
  auto statusor = (expr);                                  \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = *std::move(statusor)

#endif  // HRNN_CORE_BASE_STATUS_MACROS_H_
