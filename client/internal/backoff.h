// The client's retry backoff: exponential, capped, with jitter. A stateless function (the caller
// owns the random generator); thread-safe if the generator is not shared.
#ifndef HRNN_CLIENT_INTERNAL_BACKOFF_H_
#define HRNN_CLIENT_INTERNAL_BACKOFF_H_

#include "absl/random/bit_gen_ref.h"
#include "absl/time/time.h"

namespace hrnn::client::internal {

// The sleep before retry `retry` (1 = the first retry): min(initial * 2^(retry-1), max), then
// scaled by a uniform factor in [0.5, 1.0]. REQUIRES: retry >= 1, 0 < initial <= max.
absl::Duration RetryBackoff(int retry, absl::Duration initial, absl::Duration max,
                            absl::BitGenRef gen);

}  // namespace hrnn::client::internal

#endif  // HRNN_CLIENT_INTERNAL_BACKOFF_H_
