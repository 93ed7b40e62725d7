// hrnn-server: serves a model directory over gRPC with per-user state (DESIGN §5-§7, §10).
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "core/tools/flags_usage.h"
#include "server/env_flags.h"
#include "server/recommender_server.h"
#include "server/server_config.h"
#include "server/server_log.h"

ABSL_FLAG(std::string, model_dir, "",
          "Model root models/<name>/ (required); the highest complete integer version under it "
          "is served. While none loads, the server answers UNAVAILABLE and retries.");
ABSL_FLAG(std::string, host, "127.0.0.1",
          "Address to listen on for gRPC, metrics and HTTP (0.0.0.0 for all interfaces).");
ABSL_FLAG(int, port, 8500, "gRPC port; 0 picks a free one (printed as 'listening on H:P').");
ABSL_FLAG(int, metrics_port, 9100,
          "Prometheus /metrics port; 0 picks a free one (printed as 'metrics on H:P').");
ABSL_FLAG(int, http_port, -1,
          "HTTP/JSON API port (plaintext; POST /v1/recommendations etc.); 0 picks a free one "
          "(printed as 'http on H:P'), -1 = off.");
ABSL_FLAG(std::string, tls_cert_file, "",
          "PEM certificate chain for TLS on the gRPC port (with --tls_key_file; empty = "
          "plaintext).");
ABSL_FLAG(std::string, tls_key_file, "", "PEM private key for --tls_cert_file.");
ABSL_FLAG(std::string, tls_client_ca_file, "",
          "PEM CA bundle; when set, clients must present a certificate signed by it (mTLS).");
ABSL_FLAG(std::string, auth_tokens_file, "",
          "File of accepted bearer tokens, one per line (# comments); when set, every "
          "Recommender call needs 'authorization: Bearer <token>' metadata. Health checks "
          "never do.");
ABSL_FLAG(hrnn::ScoringMode, scoring, hrnn::ScoringMode::kBatched,
          "How GetRecommendations scores the catalogue: batched (concurrent calls share passes "
          "over the item table), single (one SIMD pass per call) or naive (Eigen + "
          "std::partial_sort, the benchmark baseline).");
ABSL_FLAG(int, scoring_threads, 0, "Threads scoring batched calls (0 = one per CPU core).");
ABSL_FLAG(int, max_batch, 8, "Most calls scored in one pass over the item table.");
ABSL_FLAG(hrnn::ElementType, item_table, hrnn::ElementType::kFloat32,
          "Scoring table precision: fp32, bf16 (half the memory traffic, slightly less exact) "
          "or int8 (a quarter of it, with approximate scores).");
ABSL_FLAG(absl::Duration, session_timeout, absl::Minutes(30),
          "Inactivity gap that ends a user's session (e.g. 30m).");
ABSL_FLAG(int64_t, live_sessions, 100000,
          "Sessions finished on the server kept for the sknn recipe and GetSimilarItems, so that "
          "new co-occurrences count without retraining (0 = none).");
ABSL_FLAG(std::vector<std::string>, session_event_types, {},
          "Comma-separated event types that step the session; empty = every type.");
ABSL_FLAG(std::vector<std::string>, purchase_event_types, {"purchase"},
          "Comma-separated event types that record a purchase (exclude_purchased filter).");
ABSL_FLAG(std::string, filters_file, "",
          "Named filter expressions, one 'NAME: EXPRESSION' a line (e.g. 'no_colour: EXCLUDE "
          "ItemID WHERE Items.COLOR IN ($COLORS)'); requests name one in Filter.name.");
ABSL_FLAG(std::string, experiments_file, "",
          "An A/B experiment: one arm a line, 'experiment=NAME arm=NAME percent=N recipe=RECIPE'; "
          "GetRecommendations calls that name no recipe get their user's arm's recipe.");
ABSL_FLAG(bool, record_recommendations, true,
          "Append each GetRecommendations / GetSimilarItems answer to the event log (needs "
          "--state_dir), for hrnn-report and retraining.");
ABSL_FLAG(absl::Duration, attribution_window, absl::Minutes(30),
          "Attribute an event without a recommendation_id to the newest recommendation of its item "
          "served to the same user within this window (0 = by recommendation_id only).");
ABSL_FLAG(int64_t, attribution_max_users, 200'000,
          "Most users whose recent recommendations are held for --attribution_window.");
ABSL_FLAG(std::string, catalog_stream, "",
          "redis://HOST[:PORT]/NAME: a Redis stream that carries PutItems updates to every "
          "replica (each appends what it accepts and applies the stream in order); empty = this "
          "replica's catalogue only.");
ABSL_FLAG(int64_t, max_users, 0,
          "Most users held in memory (0 = no cap); least recently used users are evicted.");
ABSL_FLAG(int64_t, max_state_bytes, 0,
          "Most bytes of user state held in memory (0 = no cap); LRU eviction.");
ABSL_FLAG(absl::Duration, user_idle_ttl, absl::ZeroDuration(),
          "Forget users idle longer than this (0 = never), e.g. 720h.");
ABSL_FLAG(int, state_shards, 64, "Independently locked shards of the user state store.");
ABSL_FLAG(int, max_id_bytes, 256, "Longest accepted user, session or item id, in bytes.");
ABSL_FLAG(int, max_events_per_call, 1000, "Most events in one PutEvents call.");
ABSL_FLAG(absl::Duration, max_future_skew, absl::Minutes(5),
          "Events stamped further ahead of the server clock than this are rejected.");
ABSL_FLAG(int, max_message_bytes, 4 << 20, "Largest gRPC message accepted or sent.");
ABSL_FLAG(int, max_concurrent_streams, 256,
          "Most StreamEvents calls open at once (more get RESOURCE_EXHAUSTED).");
ABSL_FLAG(std::string, state_dir, "",
          "Durable user state: event log in DIR/log, snapshots in DIR/snapshots; restarts "
          "recover every acknowledged event. Empty = state in memory only.");
ABSL_FLAG(hrnn::FsyncPolicy, fsync, hrnn::FsyncPolicy::kEveryBatch,
          "When accepted events are acknowledged: batch (fdatasync'ed, nothing lost even on "
          "power loss), interval (written; synced every --fsync_interval) or none.");
ABSL_FLAG(absl::Duration, fsync_interval, absl::Milliseconds(100),
          "With --fsync=interval: how often the log is synced.");
ABSL_FLAG(absl::Duration, snapshot_interval, absl::Minutes(5),
          "How often user states are snapshotted (0 = only at shutdown).");
ABSL_FLAG(absl::Duration, log_retention, absl::Hours(24 * 7),
          "Log segments covered by a snapshot are deleted once older than this (the window "
          "kept for retraining and hrnn-export).");
ABSL_FLAG(absl::Duration, rebuild_window, absl::Hours(24),
          "After a model swap, user states are rebuilt in the background through the new model "
          "from each user's events of this window (0 = none: users start afresh). Needs "
          "--state_dir.");
ABSL_FLAG(int, rebuild_catch_up_passes, 4,
          "Passes the rebuild makes over the log's newest records for users whose live events "
          "got ahead of it, before it holds their event writers still for a last pass (0..100).");
ABSL_FLAG(absl::Duration, drain_deadline, absl::Seconds(10),
          "On SIGTERM/SIGINT, how long calls in flight may take before they are cancelled.");
ABSL_FLAG(absl::Duration, model_poll_interval, absl::Seconds(5),
          "How often the model root is checked for a new version (served after validation; a "
          "bad version is refused and the current one keeps serving).");

namespace {

// Every flag above; each can also be set by the environment variable HRNN_<NAME>.
const std::vector<std::string> kFlagNames = {"model_dir",
                                             "host",
                                             "port",
                                             "metrics_port",
                                             "http_port",
                                             "tls_cert_file",
                                             "tls_key_file",
                                             "tls_client_ca_file",
                                             "auth_tokens_file",
                                             "scoring",
                                             "scoring_threads",
                                             "max_batch",
                                             "item_table",
                                             "session_timeout",
                                             "live_sessions",
                                             "session_event_types",
                                             "purchase_event_types",
                                             "filters_file",
                                             "experiments_file",
                                             "record_recommendations",
                                             "attribution_window",
                                             "attribution_max_users",
                                             "catalog_stream",
                                             "max_users",
                                             "max_state_bytes",
                                             "user_idle_ttl",
                                             "state_shards",
                                             "max_id_bytes",
                                             "max_events_per_call",
                                             "max_future_skew",
                                             "max_message_bytes",
                                             "max_concurrent_streams",
                                             "state_dir",
                                             "fsync",
                                             "fsync_interval",
                                             "snapshot_interval",
                                             "log_retention",
                                             "rebuild_window",
                                             "rebuild_catch_up_passes",
                                             "drain_deadline",
                                             "model_poll_interval"};

int Fail(const std::string& reason) {
  std::cerr << "hrnn-server: " << reason << "\n";
  return 2;
}

int64_t Millis(absl::Duration duration) { return absl::ToInt64Milliseconds(duration); }

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(absl::StrCat(
      "Serves an HRNN model over gRPC with per-user session state.\n"
      "  hrnn-server --model_dir=MODEL_ROOT [--host=127.0.0.1] [--port=8500] "
      "[--metrics_port=9100]\n"
      "              [--session_timeout=30m] [--max_users=N] ...\n"
      "Every flag can also be set by the environment as HRNN_<FLAG> (e.g. HRNN_MODEL_DIR); the "
      "command line wins.\nSIGTERM or SIGINT drains the calls in flight and exits 0."));
  hrnn::ShowFlagsFrom("server_main");
  std::vector<std::string> args = hrnn::ArgsWithEnvironment(
      argc, argv, kFlagNames, [](const char* name) -> const char* { return std::getenv(name); });
  std::vector<char*> arg_pointers;
  for (std::string& arg : args) arg_pointers.push_back(arg.data());
  const std::vector<char*> positional =
      absl::ParseCommandLine(static_cast<int>(arg_pointers.size()), arg_pointers.data());
  if (positional.size() > 1) return Fail(absl::StrCat("unexpected argument: ", positional[1]));

  hrnn::ServerConfig config;
  config.model_dir = absl::GetFlag(FLAGS_model_dir);
  config.host = absl::GetFlag(FLAGS_host);
  config.port = absl::GetFlag(FLAGS_port);
  config.metrics_port = absl::GetFlag(FLAGS_metrics_port);
  config.http_port = absl::GetFlag(FLAGS_http_port);
  config.tls_cert_file = absl::GetFlag(FLAGS_tls_cert_file);
  config.tls_key_file = absl::GetFlag(FLAGS_tls_key_file);
  config.tls_client_ca_file = absl::GetFlag(FLAGS_tls_client_ca_file);
  config.auth_tokens_file = absl::GetFlag(FLAGS_auth_tokens_file);
  config.filters_file = absl::GetFlag(FLAGS_filters_file);
  config.experiments_file = absl::GetFlag(FLAGS_experiments_file);
  config.record_recommendations = absl::GetFlag(FLAGS_record_recommendations);
  config.attribution_window_ms = Millis(absl::GetFlag(FLAGS_attribution_window));
  config.attribution_max_users = absl::GetFlag(FLAGS_attribution_max_users);
  config.catalog_stream = absl::GetFlag(FLAGS_catalog_stream);
  config.scoring = absl::GetFlag(FLAGS_scoring);
  config.scoring_threads = absl::GetFlag(FLAGS_scoring_threads);
  config.max_batch = absl::GetFlag(FLAGS_max_batch);
  config.item_table = absl::GetFlag(FLAGS_item_table);
  config.session_timeout_ms = Millis(absl::GetFlag(FLAGS_session_timeout));
  config.live_sessions = absl::GetFlag(FLAGS_live_sessions);
  config.session_event_types = absl::GetFlag(FLAGS_session_event_types);
  config.purchase_event_types = absl::GetFlag(FLAGS_purchase_event_types);
  config.max_users = absl::GetFlag(FLAGS_max_users);
  config.max_state_bytes = absl::GetFlag(FLAGS_max_state_bytes);
  config.user_idle_ttl_ms = Millis(absl::GetFlag(FLAGS_user_idle_ttl));
  config.state_shards = absl::GetFlag(FLAGS_state_shards);
  config.max_id_bytes = absl::GetFlag(FLAGS_max_id_bytes);
  config.max_events_per_call = absl::GetFlag(FLAGS_max_events_per_call);
  config.max_future_skew_ms = Millis(absl::GetFlag(FLAGS_max_future_skew));
  config.max_message_bytes = absl::GetFlag(FLAGS_max_message_bytes);
  config.max_concurrent_streams = absl::GetFlag(FLAGS_max_concurrent_streams);
  config.state_dir = absl::GetFlag(FLAGS_state_dir);
  config.fsync = absl::GetFlag(FLAGS_fsync);
  config.fsync_interval_ms = Millis(absl::GetFlag(FLAGS_fsync_interval));
  config.snapshot_interval_ms = Millis(absl::GetFlag(FLAGS_snapshot_interval));
  config.log_retention_ms = Millis(absl::GetFlag(FLAGS_log_retention));
  config.rebuild_window_ms = Millis(absl::GetFlag(FLAGS_rebuild_window));
  config.rebuild_catch_up_passes = absl::GetFlag(FLAGS_rebuild_catch_up_passes);
  const absl::Duration drain_deadline = absl::GetFlag(FLAGS_drain_deadline);
  config.drain_deadline_ms = Millis(drain_deadline);
  config.model_poll_interval_ms = Millis(absl::GetFlag(FLAGS_model_poll_interval));
  if (absl::Status valid = config.Validate(); !valid.ok()) return Fail(valid.message().data());

  // Block the shutdown signals in every thread (the server's threads inherit this mask) and
  // wait for them here.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  absl::StatusOr<std::unique_ptr<hrnn::RecommenderServer>> server =
      hrnn::RecommenderServer::Start(config);
  if (!server.ok()) return Fail(std::string(server.status().message()));
  std::printf("listening on %s\nmetrics on %s\n", (*server)->address().c_str(),
              (*server)->metrics_address().c_str());
  if ((*server)->http_port() > 0) std::printf("http on %s\n", (*server)->http_address().c_str());
  std::fflush(stdout);
  hrnn::ServerLog(absl::StrCat("listening on ", (*server)->address(), ", metrics on ",
                               (*server)->metrics_address()));

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  hrnn::ServerLog(absl::StrCat("received ", signal_number == SIGTERM ? "SIGTERM" : "SIGINT",
                               "; draining for up to ", absl::FormatDuration(drain_deadline)));
  (*server)->Shutdown(drain_deadline);
  server->reset();
  hrnn::ServerLog("stopped");
  return 0;
}
