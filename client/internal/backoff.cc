#include "client/internal/backoff.h"

#include <algorithm>

#include "absl/random/distributions.h"

namespace hrnn::client::internal {

absl::Duration RetryBackoff(int retry, absl::Duration initial, absl::Duration max,
                            absl::BitGenRef gen) {
  absl::Duration backoff = initial;
  for (int i = 1; i < retry && backoff < max; ++i) backoff *= 2;
  backoff = std::min(backoff, max);
  return backoff * absl::Uniform(absl::IntervalClosed, gen, 0.5, 1.0);
}

}  // namespace hrnn::client::internal
