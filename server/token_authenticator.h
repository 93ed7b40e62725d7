// TokenAuthenticator: optional bearer-token authentication of hrnn.v1.Recommender calls. The
// accepted tokens come from a file (one per line; blank lines and lines starting with '#' are
// skipped). A call must carry the metadata "authorization: Bearer <token>". Tokens are kept only
// as SHA-256 digests and compared in constant time, so neither a token's content nor its length
// leaks through timing; no token is ever logged. The health service is not checked (probes
// need no token). Immutable after creation; thread-safe.
#ifndef HRNN_SERVER_TOKEN_AUTHENTICATOR_H_
#define HRNN_SERVER_TOKEN_AUTHENTICATOR_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/base/sha256.h"

namespace hrnn {

class TokenAuthenticator {
 public:
  // Reads the token file. Errors: InvalidArgument naming "--auth_tokens_file" when it cannot be
  // read, holds no token, or holds a token shorter than 16 bytes or containing whitespace.
  static absl::StatusOr<std::unique_ptr<TokenAuthenticator>> FromFile(const std::string& path);
  // The same from the file's contents (`source` names it in messages).
  static absl::StatusOr<std::unique_ptr<TokenAuthenticator>> FromContents(
      absl::string_view contents, absl::string_view source);

  // OK when `authorization` (the value of the "authorization" metadata, empty when absent) is
  // "Bearer <token>" with an accepted token; else Unauthenticated with a message that never
  // repeats what was sent.
  absl::Status Check(absl::string_view authorization) const;

  int size() const { return static_cast<int>(digests_.size()); }

 private:
  explicit TokenAuthenticator(std::vector<Sha256::Digest> digests) : digests_(std::move(digests)) {}

  std::vector<Sha256::Digest> digests_;
};

}  // namespace hrnn

#endif  // HRNN_SERVER_TOKEN_AUTHENTICATOR_H_
