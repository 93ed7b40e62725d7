// HttpGateway: the HTTP/JSON front of RequestHandlers, on its own port (--http_port), for
// backends that speak no gRPC. Each /v1/ endpoint maps a JSON body to the RPC's proto request
// (protobuf's JSON mapping), calls the same blocking RequestHandlers method the gRPC service
// calls, and answers the proto response as JSON (proto field names, primitive fields always
// printed); errors are {"code": "INVALID_ARGUMENT", "message": "..."} with the HTTP status of the
// gRPC code. POST /v1/events:stream is StreamEvents: newline-delimited JSON events, applied as
// the body arrives. Bearer tokens, request metrics and the message size limit are the gRPC port's.
// HTTPS with the gRPC port's certificate and key (and client CA: mutual TLS) when they are
// given, plaintext otherwise. GET /console serves the merchandisers' web console, a static page
// over that API (server/http_console.h). docs/operations.md lists the endpoints.
// Thread-safe: calls are served on cpp-httplib's worker threads; Start and Stop are not to be
// called concurrently with each other.
#ifndef HRNN_SERVER_HTTP_GATEWAY_H_
#define HRNN_SERVER_HTTP_GATEWAY_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/request_handlers.h"
#include "server/server_metrics.h"
#include "server/token_authenticator.h"

namespace hrnn {

// The HTTP status answering an absl::StatusCode (INVALID_ARGUMENT 400, NOT_FOUND 404, ...,
// anything unmapped 500); OK is 200.
int HttpStatusFor(absl::StatusCode code);

struct HttpGatewayOptions {
  // Address to listen on. Default: "127.0.0.1".
  std::string host = "127.0.0.1";
  // Port; 0 picks a free one (port() tells which). Default: 0.
  int port = 0;
  // Largest request body accepted, bytes (larger: 413). Default: 4 MiB.
  int64_t max_body_bytes = 4 << 20;
  // PEM files: with a certificate and key the gateway speaks HTTPS; with a client CA too, clients
  // must present a certificate it signed. Default: "" (plaintext).
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_client_ca_file;
};

class HttpGateway {
 public:
  // Binds the port and starts serving on background threads. `handlers` and `metrics` are
  // borrowed and must outlive the gateway (`metrics` may be null); `authenticator` may be null
  // (no token needed). `serving` answers /healthz (true: 200 "SERVING", false: 503).
  // Errors: Unavailable naming --http_port when the port cannot be bound; InvalidArgument naming
  // the TLS files when they cannot be loaded.
  static absl::StatusOr<std::unique_ptr<HttpGateway>> Start(const HttpGatewayOptions& options,
                                                            const RequestHandlers* handlers,
                                                            ServerMetrics* metrics,
                                                            const TokenAuthenticator* authenticator,
                                                            std::function<bool()> serving);
  ~HttpGateway();  // Stop().

  HttpGateway(const HttpGateway&) = delete;
  HttpGateway& operator=(const HttpGateway&) = delete;

  // The bound port.
  int port() const { return port_; }

  // Stops accepting connections and waits for the calls in flight to finish. Idempotent.
  void Stop();

 private:
  class Impl;
  explicit HttpGateway(std::unique_ptr<Impl> impl, int port);

  std::unique_ptr<Impl> impl_;
  int port_;
};

}  // namespace hrnn

#endif  // HRNN_SERVER_HTTP_GATEWAY_H_
