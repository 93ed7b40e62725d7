#include "server/http_gateway.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "httplib.h"
#include "server/http_console.h"

namespace hrnn {
namespace {

constexpr char kJson[] = "application/json";

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// {"code": "INVALID_ARGUMENT", "message": "..."}, the message escaped as a JSON string.
std::string ErrorBody(absl::StatusCode code, absl::string_view message) {
  google::protobuf::util::JsonPrintOptions options;
  std::string quoted;
  google::protobuf::Value value;
  value.set_string_value(std::string(message));
  if (!google::protobuf::util::MessageToJsonString(value, &quoted, options).ok()) quoted = "\"\"";
  return absl::StrCat("{\"code\": \"", absl::StatusCodeToString(code), "\", \"message\": ", quoted,
                      "}");
}

void Reply(const absl::Status& status, httplib::Response& out) {
  out.status = HttpStatusFor(status.code());
  out.set_content(ErrorBody(status.code(), status.message()), kJson);
}

// One route: the HTTP method and path pattern (a full-match regex, for cpp-httplib).
struct Route {
  const char* method;
  const char* pattern;
};

// Whether `path` is one `route` serves, without building a std::regex per call (and without
// std::regex in this file at all: GCC 12 warns inside its compiler at -O1, which -Werror makes an
// error): every pattern is a literal path, or a prefix ending in "/" followed by "([^/]+)".
bool RouteMatches(const Route& route, absl::string_view path) {
  absl::string_view pattern = route.pattern;
  if (!absl::ConsumeSuffix(&pattern, "([^/]+)")) return path == pattern;
  return absl::ConsumePrefix(&path, pattern) && !path.empty() &&
         path.find('/') == absl::string_view::npos;
}

constexpr Route kRoutes[] = {
    {"POST", "/v1/recommendations"},
    {"POST", "/v1/ranking"},
    {"POST", "/v1/similar-items"},
    {"POST", "/v1/events"},
    {"POST", "/v1/items"},
    {"DELETE", "/v1/users/([^/]+)"},
    {"GET", "/v1/model"},
    {"GET", "/v1/filters"},
    {"GET", "/healthz"},
    {"GET", "/console"},
    {"GET", "/console/"},
    {"POST", "/v1/events:stream"},
};

// A stream's answer lists at most this many rejected events (as the gRPC StreamEvents).
constexpr int kMaxReportedStreamRejections = 1000;

}  // namespace

int HttpStatusFor(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
      return 200;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
      return 400;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kResourceExhausted:
      return 429;
    case absl::StatusCode::kUnimplemented:
      return 501;
    case absl::StatusCode::kUnavailable:
      return 503;
    case absl::StatusCode::kDeadlineExceeded:
      return 504;
    default:
      return 500;
  }
}

class HttpGateway::Impl {
 public:
  // HTTPS when options.tls_cert_file is set (then check server_->is_valid()).
  Impl(const HttpGatewayOptions& options, const RequestHandlers* handlers, ServerMetrics* metrics,
       const TokenAuthenticator* authenticator, std::function<bool()> serving)
      : server_(options.tls_cert_file.empty()
                    ? std::make_unique<httplib::Server>()
                    : std::make_unique<httplib::SSLServer>(
                          options.tls_cert_file.c_str(), options.tls_key_file.c_str(),
                          options.tls_client_ca_file.empty() ? nullptr
                                                             : options.tls_client_ca_file.c_str())),
        handlers_(*handlers),
        metrics_(metrics),
        authenticator_(authenticator),
        serving_(std::move(serving)),
        console_csp_(ConsoleContentSecurityPolicy(ConsoleHtml())) {}

  // Registers the routes and the error handler on server_->
  void AddRoutes() {
    Post(kRoutes[0].pattern, "GetRecommendations", &RequestHandlers::GetRecommendations);
    Post(kRoutes[1].pattern, "GetPersonalizedRanking", &RequestHandlers::GetPersonalizedRanking);
    Post(kRoutes[2].pattern, "GetSimilarItems", &RequestHandlers::GetSimilarItems);
    Post(kRoutes[3].pattern, "PutEvents", &RequestHandlers::PutEvents);
    Post(kRoutes[4].pattern, "PutItems", &RequestHandlers::PutItems);
    server_->Delete(kRoutes[5].pattern, [this](const httplib::Request& in, httplib::Response& out) {
      Serve(in, out, "DeleteUser", &RequestHandlers::DeleteUser,
            [&in](v1::DeleteUserRequest* request) {
              request->set_user_id(in.matches[1].str());
              return absl::OkStatus();
            });
    });
    Get(kRoutes[6].pattern, "GetModelInfo", &RequestHandlers::GetModelInfo);
    Get(kRoutes[7].pattern, "ListFilters", &RequestHandlers::ListFilters);
    server_->Get(kRoutes[8].pattern, [this](const httplib::Request&, httplib::Response& out) {
      const bool serving = serving_();
      out.status = serving ? 200 : 503;
      out.set_content(serving ? "SERVING\n" : "NOT_SERVING\n", "text/plain");
    });
    // The web console: a static page with no data in it (its API calls carry the token), so it
    // needs none; not counted in the metrics (it names no RPC).
    server_->Post(kRoutes[11].pattern,
                  [this](const httplib::Request& in, httplib::Response& out,
                         const httplib::ContentReader& reader) { StreamEvents(in, out, reader); });
    for (const char* path : {"/console", "/console/"}) {
      server_->Get(path, [this](const httplib::Request&, httplib::Response& out) {
        const absl::string_view html = ConsoleHtml();
        out.status = 200;
        out.set_header("Cache-Control", "no-cache");
        out.set_header("X-Content-Type-Options", "nosniff");
        out.set_header("Content-Security-Policy", console_csp_);
        out.set_header("Referrer-Policy", "no-referrer");
        out.set_header("X-Frame-Options", "DENY");
        out.set_content(html.data(), html.size(), "text/html; charset=utf-8");
      });
    }
    using HandlerWithResponse = httplib::Server::HandlerWithResponse;
    server_->set_error_handler(HandlerWithResponse([](const httplib::Request& in,
                                                      httplib::Response& out) {
      if (!out.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
      if (out.status == 404) {
        std::vector<std::string> allowed;
        for (const auto& route : kRoutes) {
          if (RouteMatches(route, in.path)) allowed.push_back(route.method);
        }
        if (!allowed.empty()) {
          out.status = 405;
          out.set_header("Allow", absl::StrJoin(allowed, ", "));
          out.set_content(ErrorBody(absl::StatusCode::kUnimplemented,
                                    absl::StrCat(in.method, " is not allowed on ", in.path,
                                                 "; allowed: ", absl::StrJoin(allowed, ", "))),
                          kJson);
          return httplib::Server::HandlerResponse::Handled;
        }
        out.set_content(
            ErrorBody(absl::StatusCode::kNotFound, absl::StrCat("no endpoint ", in.path)), kJson);
      } else if (out.status == 413) {
        // gRPC answers a message over --max_message_bytes with RESOURCE_EXHAUSTED too.
        out.set_content(ErrorBody(absl::StatusCode::kResourceExhausted,
                                  "the request body is larger than --max_message_bytes"),
                        kJson);
      } else {
        out.set_content(ErrorBody(out.status < 500 ? absl::StatusCode::kInvalidArgument
                                                   : absl::StatusCode::kInternal,
                                  absl::StrCat("HTTP ", out.status)),
                        kJson);
      }
      return httplib::Server::HandlerResponse::Handled;
    }));
  }

  const std::unique_ptr<httplib::Server> server_;
  std::thread listener_;
  std::atomic<bool> listener_done_{false};

 private:
  template <typename Request, typename Response>
  using Handler = absl::Status (RequestHandlers::*)(const Request&, Response*) const;

  template <typename Request, typename Response>
  void Post(const char* pattern, const char* method, Handler<Request, Response> handler) {
    server_->Post(
        pattern, [this, method, handler](const httplib::Request& in, httplib::Response& out) {
          Serve(in, out, method, handler,
                [&in, method](Request* request) { return ParseBody(method, in.body, request); });
        });
  }

  template <typename Request, typename Response>
  void Get(const char* pattern, const char* method, Handler<Request, Response> handler) {
    server_->Get(pattern,
                 [this, method, handler](const httplib::Request& in, httplib::Response& out) {
                   Serve(in, out, method, handler, [](Request*) { return absl::OkStatus(); });
                 });
  }

  // The JSON body (empty: {}) into `request`. Errors: InvalidArgument naming the method, the
  // request type and protobuf's parse error.
  template <typename Request>
  static absl::Status ParseBody(const char* method, const std::string& body, Request* request) {
    const google::protobuf::util::Status parsed = google::protobuf::util::JsonStringToMessage(
        body.empty() ? std::string("{}") : body, request);
    if (parsed.ok()) return absl::OkStatus();
    return absl::InvalidArgumentError(absl::StrCat(method, ": the body is not a JSON ",
                                                   Request::descriptor()->full_name(), ": ",
                                                   parsed.message().ToString()));
  }

  // Authenticates, builds the request with `fill`, calls `handler`, answers JSON and records
  // the call in the metrics under `method`.
  template <typename Request, typename Response, typename Fill>
  void Serve(const httplib::Request& in, httplib::Response& out, const char* method,
             Handler<Request, Response> handler, Fill fill) const {
    const auto start = std::chrono::steady_clock::now();
    Request request;
    Response response;
    absl::Status status = Authenticate(in);
    if (status.ok()) status = fill(&request);
    if (status.ok()) status = (handlers_.*handler)(request, &response);
    std::string json;
    if (status.ok()) {
      google::protobuf::util::JsonPrintOptions options;
      options.preserve_proto_field_names = true;
      options.always_print_primitive_fields = true;
      const google::protobuf::util::Status printed =
          google::protobuf::util::MessageToJsonString(response, &json, options);
      if (!printed.ok()) {
        status = absl::InternalError(absl::StrCat(
            method, ": the response could not be printed as JSON: ", printed.message().ToString()));
      }
    }
    if (status.ok()) {
      out.status = 200;
      out.set_content(json, kJson);
    } else {
      Reply(status, out);
    }
    if (metrics_ != nullptr) metrics_->RecordRequest(method, status.code(), SecondsSince(start));
  }

  // StreamEvents over HTTP: the body is newline-delimited JSON, one hrnn.v1.Event a line
  // (blank lines skipped), applied as it arrives, as the gRPC stream applies its messages; the
  // answer, once every applied event is durable, is the PutEventsResponse. A line that is not a
  // JSON Event ends the call with INVALID_ARGUMENT naming the line (the events before it stay
  // applied, as on gRPC).
  void StreamEvents(const httplib::Request& in, httplib::Response& out,
                    const httplib::ContentReader& reader) const {
    const auto start = std::chrono::steady_clock::now();
    if (metrics_ != nullptr) metrics_->StreamOpened();
    absl::Status status = Authenticate(in);
    v1::PutEventsResponse response;
    uint64_t wait_seq = 0;
    int index = 0;
    int line_number = 0;
    auto apply_line = [&](absl::string_view line) {
      ++line_number;
      line = absl::StripAsciiWhitespace(line);
      if (line.empty()) return true;
      v1::Event event;
      const google::protobuf::util::Status parsed =
          google::protobuf::util::JsonStringToMessage(std::string(line), &event);
      if (!parsed.ok()) {
        status = absl::InvalidArgumentError(absl::StrCat(
            "StreamEvents: line ", line_number, " is not a JSON hrnn.v1.Event: ",
            parsed.message().ToString(), " (", index, " events before it were applied)"));
        return false;
      }
      absl::StatusOr<uint64_t> seq = handlers_.ApplyStreamEvent(event, index++, &response);
      if (!seq.ok()) {
        status = seq.status();
        return false;
      }
      wait_seq = std::max(wait_seq, *seq);
      if (response.rejected_size() > kMaxReportedStreamRejections) {
        response.mutable_rejected()->RemoveLast();
      }
      return true;
    };
    if (status.ok()) {
      std::string pending;  // The bytes after the last newline so far.
      reader([&](const char* data, size_t length) {
        pending.append(data, length);
        size_t begin = 0;
        for (size_t end; (end = pending.find('\n', begin)) != std::string::npos; begin = end + 1) {
          if (!apply_line(absl::string_view(pending).substr(begin, end - begin))) return false;
        }
        pending.erase(0, begin);
        return true;
      });
      if (status.ok() && !pending.empty()) apply_line(pending);
    }
    if (status.ok()) status = handlers_.WaitDurable(wait_seq);
    std::string json;
    if (status.ok()) {
      google::protobuf::util::JsonPrintOptions options;
      options.preserve_proto_field_names = true;
      options.always_print_primitive_fields = true;
      if (!google::protobuf::util::MessageToJsonString(response, &json, options).ok()) {
        status = absl::InternalError("StreamEvents: the response could not be printed as JSON");
      }
    }
    if (status.ok()) {
      out.status = 200;
      out.set_content(json, kJson);
    } else {
      Reply(status, out);
    }
    if (metrics_ != nullptr) {
      metrics_->StreamClosed();
      metrics_->RecordRequest("StreamEvents", status.code(), SecondsSince(start));
    }
  }

  absl::Status Authenticate(const httplib::Request& in) const {
    if (authenticator_ == nullptr) return absl::OkStatus();
    return authenticator_->Check(in.get_header_value("Authorization"));
  }

  const RequestHandlers& handlers_;
  ServerMetrics* metrics_;
  const TokenAuthenticator* authenticator_;
  const std::function<bool()> serving_;
  // The console page's Content-Security-Policy (its inline blocks' hashes), computed once.
  const std::string console_csp_;
};

absl::StatusOr<std::unique_ptr<HttpGateway>> HttpGateway::Start(
    const HttpGatewayOptions& options, const RequestHandlers* handlers, ServerMetrics* metrics,
    const TokenAuthenticator* authenticator, std::function<bool()> serving) {
  auto impl = std::make_unique<Impl>(options, handlers, metrics, authenticator, std::move(serving));
  if (!impl->server_->is_valid()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--http_port: cannot set up TLS with --tls_cert_file=", options.tls_cert_file,
                     " and --tls_key_file=", options.tls_key_file,
                     options.tls_client_ca_file.empty()
                         ? ""
                         : absl::StrCat(" and --tls_client_ca_file=", options.tls_client_ca_file)));
  }
  impl->AddRoutes();
  impl->server_->set_payload_max_length(static_cast<size_t>(options.max_body_bytes));
  int port = options.port;
  if (port == 0) {
    port = impl->server_->bind_to_any_port(options.host);
  } else if (!impl->server_->bind_to_port(options.host, port)) {
    port = -1;
  }
  if (port <= 0) {
    return absl::UnavailableError(
        absl::StrCat("--http_port: cannot listen on ", options.host, ":", options.port));
  }
  Impl& s = *impl;
  s.listener_ = std::thread([&s] {
    s.server_->listen_after_bind();
    s.listener_done_ = true;
  });
  // Stop() is a no-op until the listener runs: wait for it, so that a Stop right after Start
  // cannot leave the listener waiting forever.
  while (!s.server_->is_running() && !s.listener_done_) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return std::unique_ptr<HttpGateway>(new HttpGateway(std::move(impl), port));
}

HttpGateway::HttpGateway(std::unique_ptr<Impl> impl, int port)
    : impl_(std::move(impl)), port_(port) {}

HttpGateway::~HttpGateway() { Stop(); }

void HttpGateway::Stop() {
  if (!impl_->listener_.joinable()) return;
  impl_->server_->stop();
  impl_->listener_.join();  // listen_after_bind returns once the workers have finished.
}

}  // namespace hrnn
