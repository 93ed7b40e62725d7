// RecommenderServer: a running hrnn-server — the gRPC server (Recommender service, the standard
// health service, server reflection), the Prometheus exposer and the HTTP/JSON API (HttpGateway)
// on their own ports, the user state store, the event log and state snapshots, optional TLS /
// mutual TLS and bearer tokens, and a maintenance thread (idle eviction, metrics, snapshots, model
// polling and hot swaps, which start a background StateRebuilder). hrnn-server's main() and the
// integration tests both use it. Thread-safe.
#ifndef HRNN_SERVER_RECOMMENDER_SERVER_H_
#define HRNN_SERVER_RECOMMENDER_SERVER_H_

#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "core/base/clock.h"
#include "core/base/mutex.h"
#include "core/serving/experiments.h"
#include "core/serving/serving_model.h"
#include "core/state/event_log.h"
#include "core/state/user_state_store.h"
#include "server/catalogue_replicator.h"
#include "server/durability_waiter.h"
#include "server/http_gateway.h"
#include "server/recommender_service.h"
#include "server/request_handlers.h"
#include "server/server_config.h"
#include "server/server_metrics.h"
#include "server/state_rebuilder.h"
#include "server/token_authenticator.h"

namespace grpc {
class Server;
}  // namespace grpc
namespace prometheus {
class Exposer;
}  // namespace prometheus

namespace hrnn {

class RecommenderServer {
 public:
  // Validates `config`, loads the model (when that fails the server still starts, answers
  // UNAVAILABLE, reports NOT_SERVING on the health service, and retries every
  // model_poll_interval_ms), and starts serving. New versions are picked up while serving
  // (PollModel). `clock` may be null (the system clock); a
  // non-null one must outlive the server.
  // Errors: InvalidArgument for a bad config; Unavailable when a port cannot be bound.
  static absl::StatusOr<std::unique_ptr<RecommenderServer>> Start(ServerConfig config,
                                                                  const Clock* clock = nullptr);
  ~RecommenderServer();  // Shutdown(absl::ZeroDuration()) unless already shut down.

  int port() const { return port_; }
  int metrics_port() const { return metrics_port_; }
  // The HTTP/JSON API's port (--http_port); -1 when it is off.
  int http_port() const { return http_ != nullptr ? http_->port() : -1; }
  // "HOST:PORT" of the gRPC server, suitable as a client target.
  std::string address() const;
  std::string metrics_address() const;
  std::string http_address() const;  // REQUIRES: http_port() > 0.

  // Stops accepting calls, lets the calls in flight finish for up to `deadline` and cancels the
  // rest (HTTP calls in flight are waited for), then stops the metrics endpoint and the
  // maintenance thread. Idempotent.
  void Shutdown(absl::Duration deadline) ABSL_LOCKS_EXCLUDED(shutdown_mutex_);

  // True while a model is being served.
  bool serving() const { return model_.Get() != nullptr; }
  UserStateStore& store() { return *store_; }
  // The version of the model served (0: none).
  int64_t model_version() const;
  // The progress of the newest state rebuild after a model swap (all zero and done when none
  // ran). Its model_version() tells which swap it belongs to: -1 when none ran.
  RebuildProgress rebuild_progress(int64_t* model_version = nullptr) const
      ABSL_LOCKS_EXCLUDED(rebuild_mutex_);

 private:
  explicit RecommenderServer(ServerConfig config, const Clock* clock);
  // Serves the highest complete version under the model root when it is neither the one served
  // nor one already refused: loads and validates it (off the request path), then swaps it in;
  // requests in flight finish on the model they took. A bad version is logged, counted and
  // remembered, and the current model keeps serving. Returns true when the model changed.
  // Called only at start-up and from the maintenance thread.
  bool PollModel();
  void MaintenanceLoop();
  // Starts rebuilding the held users' states through `model` (replacing `previous`; swapped in
  // when the log's next seq was `swap_seq`), cancelling a rebuild still running for an older
  // model. Maintenance thread only.
  void StartRebuild(const std::shared_ptr<const ServingModel>& model,
                    const std::shared_ptr<const ServingModel>& previous, uint64_t swap_seq)
      ABSL_LOCKS_EXCLUDED(rebuild_mutex_);
  // Logs a finished rebuild once. Returns true while a rebuild is running or was cancelled
  // before it finished (snapshots then wait: they would record states of only some users).
  bool RebuildPending() ABSL_LOCKS_EXCLUDED(rebuild_mutex_);
  // Writes a snapshot of the served model's user states and retires the log segments it and
  // the retention window no longer need. No-op without a state dir or a model.
  absl::Status TakeSnapshot();
  std::string SnapshotDir() const;

  const ServerConfig config_;
  SystemClock system_clock_;
  const Clock& clock_;
  ServerMetrics metrics_;
  ServingModelHandle model_;
  std::unique_ptr<UserStateStore> store_;
  std::unique_ptr<EventLog> log_;                // Null without --state_dir.
  std::unique_ptr<CatalogueUpdater> catalogue_;  // Writes availability; serves new models.
  std::unique_ptr<RequestHandlers> handlers_;
  std::unique_ptr<CatalogueReplicator> replicator_;    // Null without --catalog_stream.
  std::unique_ptr<DurabilityWaiter> waiter_;           // Null without a log.
  std::unique_ptr<TokenAuthenticator> authenticator_;  // Null: no token needed.
  std::vector<NamedFilter> filters_;         // --filters_file, compiled for each model version.
  std::optional<Experiment> experiment_;     // --experiments_file.
  std::unique_ptr<ScoringBatcher> batcher_;  // Null unless config.scoring is kBatched.
  std::unique_ptr<RecommenderService> service_;
  std::unique_ptr<grpc::Server> grpc_server_;
  std::unique_ptr<HttpGateway> http_;  // Null: --http_port off.
  std::unique_ptr<prometheus::Exposer> exposer_;
  int64_t refused_version_ = -1;    // PollModel's caller only.
  uint64_t last_snapshot_seq_ = 0;  // TakeSnapshot's caller only (maintenance, then shutdown).
  bool reported_no_model_ = false;  // PollModel's caller only.
  mutable Mutex rebuild_mutex_;
  std::unique_ptr<StateRebuilder> rebuilder_ ABSL_GUARDED_BY(rebuild_mutex_);
  bool rebuild_reported_ ABSL_GUARDED_BY(rebuild_mutex_) = false;
  int port_ = 0;
  int metrics_port_ = 0;
  absl::Notification stop_maintenance_;
  std::thread maintenance_;
  Mutex shutdown_mutex_;
  bool shut_down_ ABSL_GUARDED_BY(shutdown_mutex_) = false;
};

}  // namespace hrnn

#endif  // HRNN_SERVER_RECOMMENDER_SERVER_H_
