// The web console for merchandisers (GET /console on the HTTP/JSON port, server/http_gateway.h):
// server/console/console.html, embedded into the binary at build time, and the
// Content-Security-Policy it is served with. The page only calls the gateway's /v1/ JSON API.
// Thread-safe: both functions are pure.
#ifndef HRNN_SERVER_HTTP_CONSOLE_H_
#define HRNN_SERVER_HTTP_CONSOLE_H_

#include <string>

#include "absl/strings/string_view.h"

namespace hrnn {

// server/console/console.html as it was at build time. server/CMakeLists.txt generates this
// function's definition in the build tree (a raw string literal); nothing is read at run time.
absl::string_view ConsoleHtml();

// The Content-Security-Policy for the page `html`: same-origin fetch only (connect-src 'self'),
// same-origin images, and exactly the page's inline <style> and <script> blocks (tags without
// attributes, outside comments) by their SHA-256 hashes ('sha256-<base64>'); no other script,
// style, font, frame, plug-in, form target or base URL, and no framing by other pages.
std::string ConsoleContentSecurityPolicy(absl::string_view html);

}  // namespace hrnn

#endif  // HRNN_SERVER_HTTP_CONSOLE_H_
