#include "server/token_authenticator.h"

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace hrnn {
namespace {

constexpr size_t kMinTokenBytes = 16;
constexpr absl::string_view kBearer = "Bearer ";

Sha256::Digest DigestOf(absl::string_view token) {
  Sha256 hasher;
  hasher.Update(token);
  return hasher.Final();
}

}  // namespace

absl::StatusOr<std::unique_ptr<TokenAuthenticator>> TokenAuthenticator::FromFile(
    const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    return absl::InvalidArgumentError(absl::StrCat("--auth_tokens_file: cannot read ", path));
  }
  std::stringstream contents;
  contents << file.rdbuf();
  return FromContents(contents.str(), path);
}

absl::StatusOr<std::unique_ptr<TokenAuthenticator>> TokenAuthenticator::FromContents(
    absl::string_view contents, absl::string_view source) {
  std::vector<Sha256::Digest> digests;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(contents, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || absl::StartsWith(line, "#")) continue;
    if (line.size() < kMinTokenBytes) {
      return absl::InvalidArgumentError(absl::StrCat("--auth_tokens_file: ", source, ":",
                                                     line_number, ": token shorter than ",
                                                     kMinTokenBytes, " bytes"));
    }
    for (char c : line) {
      if (absl::ascii_isspace(static_cast<unsigned char>(c))) {
        return absl::InvalidArgumentError(absl::StrCat("--auth_tokens_file: ", source, ":",
                                                       line_number, ": token contains whitespace"));
      }
    }
    digests.push_back(DigestOf(line));
  }
  if (digests.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--auth_tokens_file: ", source, " holds no token"));
  }
  return std::unique_ptr<TokenAuthenticator>(new TokenAuthenticator(std::move(digests)));
}

absl::Status TokenAuthenticator::Check(absl::string_view authorization) const {
  if (authorization.empty()) {
    return absl::UnauthenticatedError(
        "authorization: missing; send \"authorization: Bearer <token>\" metadata");
  }
  if (!absl::StartsWith(authorization, kBearer)) {
    return absl::UnauthenticatedError("authorization: not a Bearer token");
  }
  const Sha256::Digest presented = DigestOf(authorization.substr(kBearer.size()));
  // Compare against every token, every byte, without early exit.
  uint8_t any_match = 0;
  for (const Sha256::Digest& digest : digests_) {
    uint8_t difference = 0;
    for (size_t i = 0; i < digest.size(); ++i) difference |= digest[i] ^ presented[i];
    any_match |= static_cast<uint8_t>(difference == 0);
  }
  if (any_match == 0) return absl::UnauthenticatedError("authorization: token not accepted");
  return absl::OkStatus();
}

}  // namespace hrnn
