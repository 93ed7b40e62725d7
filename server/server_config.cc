#include "server/server_config.h"

#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "server/catalogue_stream.h"

namespace hrnn {
namespace {

absl::Status Invalid(absl::string_view flag, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("--", flag, ": ", why));
}

bool Contains(const std::vector<std::string>& list, absl::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

}  // namespace

absl::Status ServerConfig::Validate() const {
  if (model_dir.empty()) return Invalid("model_dir", "is required");
  if (host.empty()) return Invalid("host", "must not be empty");
  if (port < 0 || port > 65535) return Invalid("port", absl::StrCat(port, " is outside 0..65535"));
  if (metrics_port < 0 || metrics_port > 65535) {
    return Invalid("metrics_port", absl::StrCat(metrics_port, " is outside 0..65535"));
  }
  if (port != 0 && port == metrics_port) {
    return Invalid("metrics_port", "must differ from --port");
  }
  if (http_port < -1 || http_port > 65535) {
    return Invalid("http_port", absl::StrCat(http_port, " is outside 0..65535 (or -1: off)"));
  }
  if (http_port > 0 && (http_port == port || http_port == metrics_port)) {
    return Invalid("http_port", "must differ from --port and --metrics_port");
  }
  if (!catalog_stream.empty()) {
    if (absl::StatusOr<CatalogueStreamAddress> address =
            ParseCatalogueStreamAddress(catalog_stream);
        !address.ok()) {
      return Invalid("catalog_stream", address.status().message());
    }
  }
  if (tls_cert_file.empty() != tls_key_file.empty()) {
    return Invalid(tls_cert_file.empty() ? "tls_cert_file" : "tls_key_file",
                   "TLS needs both --tls_cert_file and --tls_key_file");
  }
  if (!tls_client_ca_file.empty() && tls_cert_file.empty()) {
    return Invalid("tls_client_ca_file", "mutual TLS needs --tls_cert_file and --tls_key_file");
  }
  if (scoring_threads < 0 || scoring_threads > 256) {
    return Invalid("scoring_threads", absl::StrCat(scoring_threads, " is outside 0..256"));
  }
  if (max_batch < 1 || max_batch > 32) {
    return Invalid("max_batch", absl::StrCat(max_batch, " is outside 1..32"));
  }
  if (session_timeout_ms <= 0) return Invalid("session_timeout", "must be positive");
  if (live_sessions < 0 || live_sessions > std::numeric_limits<int32_t>::max()) {
    return Invalid("live_sessions", "must be in 0..2147483647");
  }
  for (const auto* list : {&session_event_types, &purchase_event_types}) {
    for (const std::string& type : *list) {
      if (type.empty() || type.size() > 64) {
        return Invalid(
            list == &session_event_types ? "session_event_types" : "purchase_event_types",
            absl::StrCat("event type \"", type, "\" must have 1..64 bytes"));
      }
    }
  }
  if (max_users < 0) return Invalid("max_users", "must not be negative");
  if (max_state_bytes < 0) return Invalid("max_state_bytes", "must not be negative");
  if (user_idle_ttl_ms < 0) return Invalid("user_idle_ttl", "must not be negative");
  if (state_shards < 1 || state_shards > 4096) {
    return Invalid("state_shards", absl::StrCat(state_shards, " is outside 1..4096"));
  }
  if (max_id_bytes < 1 || max_id_bytes > 4096) {
    return Invalid("max_id_bytes", absl::StrCat(max_id_bytes, " is outside 1..4096"));
  }
  if (max_events_per_call < 1 || max_events_per_call > 100000) {
    return Invalid("max_events_per_call",
                   absl::StrCat(max_events_per_call, " is outside 1..100000"));
  }
  if (max_future_skew_ms < 0) return Invalid("max_future_skew", "must not be negative");
  if (max_message_bytes < 4096) {
    return Invalid("max_message_bytes", absl::StrCat(max_message_bytes, " is below 4096"));
  }
  if (max_concurrent_streams < 1) return Invalid("max_concurrent_streams", "must be positive");
  if (fsync_interval_ms <= 0) return Invalid("fsync_interval", "must be positive");
  if (snapshot_interval_ms < 0) return Invalid("snapshot_interval", "must not be negative");
  if (log_retention_ms < 0) return Invalid("log_retention", "must not be negative");
  if (attribution_window_ms < 0) return Invalid("attribution_window", "must not be negative");
  if (attribution_max_users < 1) return Invalid("attribution_max_users", "must be at least 1");
  if (rebuild_window_ms < 0) return Invalid("rebuild_window", "must not be negative");
  if (rebuild_catch_up_passes < 0 || rebuild_catch_up_passes > 100) {
    return Invalid("rebuild_catch_up_passes",
                   absl::StrCat(rebuild_catch_up_passes, " is not in 0..100"));
  }
  if (drain_deadline_ms < 0) return Invalid("drain_deadline", "must not be negative");
  if (model_poll_interval_ms <= 0) return Invalid("model_poll_interval", "must be positive");
  return absl::OkStatus();
}

NetworkOptions ServerConfig::network_options() const {
  NetworkOptions options;
  options.item_table_type = item_table;
  return options;
}

SessionPolicy ServerConfig::session_policy() const {
  SessionPolicy policy;
  policy.timeout_ms = session_timeout_ms;
  policy.live_sessions = static_cast<int32_t>(live_sessions);
  return policy;
}

bool ServerConfig::AdvancesSession(absl::string_view event_type) const {
  return session_event_types.empty() || Contains(session_event_types, event_type);
}

bool ServerConfig::IsPurchase(absl::string_view event_type) const {
  return Contains(purchase_event_types, event_type);
}

namespace {

// AbslParseFlag from a StatusOr parser: the status message becomes the flag's error.
template <typename T>
bool ParseFlagWith(absl::StatusOr<T> parsed, T* value, std::string* error) {
  if (!parsed.ok()) {
    *error = std::string(parsed.status().message());
    return false;
  }
  *value = *parsed;
  return true;
}

}  // namespace

absl::StatusOr<ElementType> ParseItemTable(absl::string_view name) {
  for (ElementType type : {ElementType::kFloat32, ElementType::kBfloat16, ElementType::kInt8}) {
    if (name == ElementTypeName(type)) return type;
  }
  return absl::InvalidArgumentError(absl::StrCat("\"", name, "\" is not fp32, bf16 or int8"));
}

absl::string_view FsyncPolicyName(FsyncPolicy policy) {
  switch (policy) {
    case FsyncPolicy::kEveryBatch:
      return "batch";
    case FsyncPolicy::kInterval:
      return "interval";
    case FsyncPolicy::kNone:
      return "none";
  }
  return "unknown";
}

absl::StatusOr<FsyncPolicy> ParseFsyncPolicy(absl::string_view name) {
  for (FsyncPolicy policy :
       {FsyncPolicy::kEveryBatch, FsyncPolicy::kInterval, FsyncPolicy::kNone}) {
    if (name == FsyncPolicyName(policy)) return policy;
  }
  return absl::InvalidArgumentError(absl::StrCat("\"", name, "\" is not batch, interval or none"));
}

bool AbslParseFlag(absl::string_view text, ScoringMode* mode, std::string* error) {
  return ParseFlagWith(ParseScoringMode(text), mode, error);
}
std::string AbslUnparseFlag(ScoringMode mode) { return std::string(ScoringModeName(mode)); }
bool AbslParseFlag(absl::string_view text, ElementType* type, std::string* error) {
  return ParseFlagWith(ParseItemTable(text), type, error);
}
std::string AbslUnparseFlag(ElementType type) { return std::string(ElementTypeName(type)); }
bool AbslParseFlag(absl::string_view text, FsyncPolicy* policy, std::string* error) {
  return ParseFlagWith(ParseFsyncPolicy(text), policy, error);
}
std::string AbslUnparseFlag(FsyncPolicy policy) { return std::string(FsyncPolicyName(policy)); }

}  // namespace hrnn
