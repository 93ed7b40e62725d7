// ClientOptions: how a RecommenderClient connects (target, credentials), how long each call may
// take and how it retries. A plain value type; not synchronized (copy it per thread).
#ifndef HRNN_CLIENT_CLIENT_OPTIONS_H_
#define HRNN_CLIENT_CLIENT_OPTIONS_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "grpcpp/security/credentials.h"

namespace hrnn::client {

struct ClientOptions {
  // gRPC target, e.g. "127.0.0.1:50051" or "dns:///recs.internal:443". Required.
  std::string target;

  // Deadline of each unary call, all its attempts and backoff sleeps included.
  // Default: 2 s. Must be positive.
  absl::Duration deadline = absl::Seconds(2);

  // Deadline of one StreamEvents stream, from opening it to Finish(). absl::InfiniteDuration()
  // means none. Default: 5 min. Must be positive.
  absl::Duration stream_deadline = absl::Minutes(5);

  // Attempts per unary call, the first included: a call that fails with UNAVAILABLE is retried
  // until it succeeds, fails otherwise, runs out of attempts or would pass its deadline.
  // Streams are not retried. Default: 3. Must be 1..10.
  int max_attempts = 3;

  // Backoff before retry n (n = 1, 2, ...) is initial_backoff * 2^(n-1), capped at max_backoff,
  // then jittered uniformly to [50%, 100%] of that. Default: 50 ms and 1 s. Both positive,
  // initial_backoff <= max_backoff.
  absl::Duration initial_backoff = absl::Milliseconds(50);
  absl::Duration max_backoff = absl::Seconds(1);

  // Channel credentials. Default: null, meaning insecure (plaintext) credentials.
  std::shared_ptr<grpc::ChannelCredentials> credentials;

  // Returns InvalidArgument naming the first bad field, else OK.
  absl::Status Validate() const;
};

}  // namespace hrnn::client

#endif  // HRNN_CLIENT_CLIENT_OPTIONS_H_
