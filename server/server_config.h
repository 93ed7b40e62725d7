// ServerConfig: every setting of hrnn-server, as a plain struct that hrnn-server's flags (and
// their HRNN_* environment variables) fill in and that Validate() checks at start-up.
// A value type; not synchronised (read-only once the server starts).
#ifndef HRNN_SERVER_SERVER_CONFIG_H_
#define HRNN_SERVER_SERVER_CONFIG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/kernels/panel_matrix.h"
#include "core/model/hrnn_network.h"
#include "core/serving/recommendation_pipeline.h"
#include "core/serving/recommender.h"
#include "core/state/event_log.h"

namespace hrnn {

struct ServerConfig {
  // The model root models/<name>/; the highest complete integer version under it is served.
  // Required.
  std::string model_dir;
  // Address to listen on (gRPC, metrics and HTTP). Default: "127.0.0.1".
  std::string host = "127.0.0.1";
  // gRPC port; 0 picks a free one. Default: 8500.
  int port = 8500;
  // Prometheus /metrics port; 0 picks a free one. Default: 9100.
  int metrics_port = 9100;
  // HTTP/JSON API port (server/http_gateway.h; plaintext); 0 picks a free one, -1 = off.
  // Default: -1.
  int http_port = -1;
  // TLS for the gRPC port: PEM certificate chain and private key files (both or neither; empty
  // = plaintext). Default: "".
  std::string tls_cert_file;
  std::string tls_key_file;
  // With TLS: PEM CA bundle that client certificates must chain to; set = mutual TLS (clients
  // without a valid certificate are refused). Default: "".
  std::string tls_client_ca_file;
  // Bearer tokens accepted on Recommender calls, one per line (empty = no token needed). The
  // health service never needs one. Default: "".
  std::string auth_tokens_file;
  // How GetRecommendations scores the catalogue (--scoring=batched|single|naive): concurrent
  // calls share passes over the item table with the SIMD kernels, one SIMD pass per call, or
  // one Eigen pass per call and std::partial_sort (the baseline for benchmarks).
  // Default: kBatched.
  ScoringMode scoring = ScoringMode::kBatched;
  // Threads scoring batched calls (0 = one per CPU core). Default: 0.
  int scoring_threads = 0;
  // Most calls scored in one pass. Default: 8.
  int max_batch = 8;
  // Scoring table precision (--item_table=fp32|bf16|int8). Default: kFloat32.
  ElementType item_table = ElementType::kFloat32;

  // A gap longer than this between a user's events ends the session. Default: 30 min.
  int64_t session_timeout_ms = 30 * 60 * 1000;
  // Sessions finished on the server kept for sknn and GetSimilarItems (0 = none; a version
  // without the sknn index keeps none). Default: 100,000.
  int64_t live_sessions = 100'000;
  // Event types that step the session GRU; empty = every type. Default: empty.
  std::vector<std::string> session_event_types;
  // Event types that record a purchase (the exclude_purchased filter). Default: {"purchase"}.
  std::vector<std::string> purchase_event_types = {"purchase"};
  // Named filter expressions requests can use (Filter.name; core/catalogue/filters_file.h has
  // the format). Read at start-up (a bad file stops the start, naming line and column) and
  // compiled for each model version's item fields (a version they do not fit is refused).
  // Default: "" (no named filters).
  std::string filters_file;
  // The A/B experiment GetRecommendations calls that name no recipe are split by
  // (core/serving/experiments.h has the format). Read at start-up (a bad file stops the start,
  // naming line and field). Default: "" (no experiment).
  std::string experiments_file;
  // Each GetRecommendations / GetSimilarItems answer is appended to the event log (a served
  // recommendation record: id, user, recipe, version, arm, items) for hrnn-report and
  // retraining; needs state_dir. Default: true.
  bool record_recommendations = true;
  // An accepted event with no recommendation_id (or one this server did not issue) that acts on
  // an item recommended to the same user at most this long before is attributed to that
  // recommendation in hrnn_recommendation_events_total (0 = by id only). Default: 30 min.
  int64_t attribution_window_ms = 30 * 60 * 1000;
  // Users whose recent recommendations are held for that (RecentRecommendations). Default: 200k.
  int64_t attribution_max_users = 200'000;
  // The shared stream of catalogue updates, redis://HOST[:PORT]/NAME (catalogue_stream.h):
  // PutItems appends to it and every replica applies it in order. Default: "" (this replica's
  // catalogue only).
  std::string catalog_stream;

  // User state store: at most this many users (0 = no cap). Default: 0.
  int64_t max_users = 0;
  // At most this many bytes of user state (0 = no cap). Default: 0.
  int64_t max_state_bytes = 0;
  // Users idle longer than this are forgotten (0 = never). Default: 0.
  int64_t user_idle_ttl_ms = 0;
  // Independently locked shards of the store. Default: 64.
  int state_shards = 64;

  // Longest accepted user, session, item or recommendation id, in bytes. Default: 256.
  int max_id_bytes = 256;
  // Most events in one PutEvents call. Default: 1000.
  int max_events_per_call = 1000;
  // Events stamped more than this ahead of the server's clock are rejected. Default: 5 min.
  int64_t max_future_skew_ms = 5 * 60 * 1000;
  // Largest gRPC message accepted or sent, bytes. Default: 4 MiB.
  int max_message_bytes = 4 << 20;
  // Most StreamEvents calls open at once; more are refused with RESOURCE_EXHAUSTED.
  // Default: 256.
  int max_concurrent_streams = 256;

  // Durability: where the event log (DIR/log/) and the state snapshots (DIR/snapshots/) live;
  // empty = user state in memory only (lost on restart). Default: "".
  std::string state_dir;
  // When an accepted event is acknowledged (--fsync=batch|interval|none): written and
  // fdatasync'ed (nothing acknowledged is lost even on power loss); written and synced every
  // fsync_interval_ms (a process crash loses nothing, a machine crash up to one interval); or
  // written, the kernel syncing in its own time. Default: kEveryBatch.
  FsyncPolicy fsync = FsyncPolicy::kEveryBatch;
  int64_t fsync_interval_ms = 100;
  // How often the user states are snapshotted (0 = only at shutdown). Default: 5 min.
  int64_t snapshot_interval_ms = 5 * 60 * 1000;
  // Log segments covered by a snapshot are deleted once their events are older than this (the
  // window kept for retraining and for `hrnn-export`). Default: 7 days.
  int64_t log_retention_ms = int64_t{7} * 24 * 3600 * 1000;

  // After a model swap, each held user's state is rebuilt in the background through the new
  // model from the user's events of this window before the swap (0 = no rebuild: users start
  // afresh on the new model). Needs state_dir. Default: 24 h.
  int64_t rebuild_window_ms = int64_t{24} * 3600 * 1000;
  // Passes the rebuild makes over the log's newest records for users whose live events got ahead
  // of it, before it holds those users' event writers still for a last pass (0 = hold them at
  // once). More passes: fewer writers wait, the rebuild takes longer. Default: 4.
  int rebuild_catch_up_passes = 4;

  // On SIGTERM: how long in-flight calls may take to finish before they are cancelled.
  // Default: 10 s.
  int64_t drain_deadline_ms = 10 * 1000;
  // How often the model root is checked for a new complete version (and, while no model is
  // served, for any). Default: 5 s.
  int64_t model_poll_interval_ms = 5 * 1000;

  // OK, or InvalidArgument naming the first bad setting (by its flag name) and why.
  absl::Status Validate() const;

  // How model versions load under these settings (the item table's number format), and how
  // their user states step (session timeout, live sessions): one place for the server, its
  // recovery and hrnn-batch.
  NetworkOptions network_options() const;
  SessionPolicy session_policy() const;

  bool AdvancesSession(absl::string_view event_type) const;
  bool IsPurchase(absl::string_view event_type) const;
};

// The names of the choice settings as their flags spell them, and their parsers (parsed once at
// start-up). Errors: InvalidArgument quoting the name and listing the choices.
absl::StatusOr<ElementType> ParseItemTable(absl::string_view name);  // "fp32", "bf16", "int8"
absl::string_view FsyncPolicyName(FsyncPolicy policy);               // "batch", "interval", "none"
absl::StatusOr<FsyncPolicy> ParseFsyncPolicy(absl::string_view name);

// absl flag support for the choice settings (ABSL_FLAG(hrnn::ScoringMode, ...)), found by ADL.
bool AbslParseFlag(absl::string_view text, ScoringMode* mode, std::string* error);
std::string AbslUnparseFlag(ScoringMode mode);
bool AbslParseFlag(absl::string_view text, ElementType* type, std::string* error);
std::string AbslUnparseFlag(ElementType type);
bool AbslParseFlag(absl::string_view text, FsyncPolicy* policy, std::string* error);
std::string AbslUnparseFlag(FsyncPolicy policy);

}  // namespace hrnn

#endif  // HRNN_SERVER_SERVER_CONFIG_H_
