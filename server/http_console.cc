#include "server/http_console.h"

#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/base/sha256.h"

namespace hrnn {
namespace {

// "'sha256-<base64 of the digest>'", a CSP hash source for an inline block's text.
std::string HashSource(absl::string_view text) {
  Sha256 hasher;
  hasher.Update(text);
  const Sha256::Digest digest = hasher.Final();
  return absl::StrCat("'sha256-",
                      absl::Base64Escape(absl::string_view(
                          reinterpret_cast<const char*>(digest.data()), digest.size())),
                      "'");
}

}  // namespace

std::string ConsoleContentSecurityPolicy(absl::string_view html) {
  std::vector<std::string> scripts;
  std::vector<std::string> styles;
  constexpr absl::string_view kComment = "<!--";
  struct Block {
    absl::string_view open, close;
    std::vector<std::string>* hashes;
  };
  const Block blocks[] = {{"<script>", "</script>", &scripts}, {"<style>", "</style>", &styles}};
  size_t at = 0;
  while (at < html.size()) {
    // The next comment or block, whichever starts first.
    size_t next = html.find(kComment, at);
    const Block* block = nullptr;
    for (const Block& candidate : blocks) {
      const size_t found = html.find(candidate.open, at);
      if (found < next) {
        next = found;
        block = &candidate;
      }
    }
    if (next == absl::string_view::npos) break;
    if (block == nullptr) {  // A comment: skip it.
      const size_t end = html.find("-->", next + kComment.size());
      if (end == absl::string_view::npos) break;
      at = end + 3;
      continue;
    }
    const size_t start = next + block->open.size();
    const size_t end = html.find(block->close, start);
    if (end == absl::string_view::npos) break;
    block->hashes->push_back(HashSource(html.substr(start, end - start)));
    at = end + block->close.size();
  }
  // 'none' when the page has no such block.
  if (scripts.empty()) scripts.push_back("'none'");
  if (styles.empty()) styles.push_back("'none'");
  return absl::StrCat("default-src 'none'; connect-src 'self'; img-src 'self'; script-src ",
                      absl::StrJoin(scripts, " "), "; style-src ", absl::StrJoin(styles, " "),
                      "; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
}

}  // namespace hrnn
