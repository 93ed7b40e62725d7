#include "server/recommender_server.h"

#include <algorithm>
#include <exception>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/base/status_macros.h"
#include "core/model/model_directory.h"
#include "core/serving/recommendation_id.h"
#include "core/state/state_snapshot.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "prometheus/exposer.h"
#include "server/server_log.h"
#include "server/state_recovery.h"

namespace hrnn {
namespace {

constexpr char kServiceName[] = "hrnn.v1.Recommender";

// "host:port", with IPv6 literals bracketed.
std::string JoinHostPort(const std::string& host, int port) {
  return absl::StrContains(host, ':') ? absl::StrCat("[", host, "]:", port)
                                      : absl::StrCat(host, ":", port);
}

absl::StatusOr<std::string> ReadPemFile(absl::string_view flag, const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::stringstream contents;
  if (file) contents << file.rdbuf();
  if (!file || contents.str().empty()) {
    return absl::InvalidArgumentError(absl::StrCat("--", flag, ": cannot read ", path));
  }
  return contents.str();
}

// Plaintext, TLS, or mutual TLS, as configured.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentialsFor(
    const ServerConfig& config) {
  if (config.tls_cert_file.empty()) return grpc::InsecureServerCredentials();
  grpc::SslServerCredentialsOptions options;
  grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
  HRNN_ASSIGN_OR_RETURN(pair.cert_chain, ReadPemFile("tls_cert_file", config.tls_cert_file));
  HRNN_ASSIGN_OR_RETURN(pair.private_key, ReadPemFile("tls_key_file", config.tls_key_file));
  options.pem_key_cert_pairs.push_back(std::move(pair));
  if (!config.tls_client_ca_file.empty()) {
    HRNN_ASSIGN_OR_RETURN(options.pem_root_certs,
                          ReadPemFile("tls_client_ca_file", config.tls_client_ca_file));
    options.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(options);
}

std::vector<std::string> LabelledEventTypes(const ServerConfig& config) {
  std::vector<std::string> types = {"click"};
  for (const auto* list : {&config.session_event_types, &config.purchase_event_types}) {
    types.insert(types.end(), list->begin(), list->end());
  }
  return types;
}

}  // namespace

RecommenderServer::RecommenderServer(ServerConfig config, const Clock* clock)
    : config_(std::move(config)),
      clock_(clock != nullptr ? *clock : system_clock_),
      metrics_(LabelledEventTypes(config_), RecommenderService::MethodNames()) {}

absl::StatusOr<std::unique_ptr<RecommenderServer>> RecommenderServer::Start(ServerConfig config,
                                                                            const Clock* clock) {
  HRNN_RETURN_IF_ERROR(config.Validate());
  UserStateStoreOptions store_options;
  store_options.num_shards = config.state_shards;
  store_options.max_users = config.max_users;
  store_options.max_bytes = config.max_state_bytes;
  store_options.idle_ttl_ms = config.user_idle_ttl_ms;
  HRNN_RETURN_IF_ERROR(store_options.Validate());

  std::unique_ptr<RecommenderServer> server(new RecommenderServer(std::move(config), clock));
  RecommenderServer& s = *server;
  s.store_ = std::make_unique<UserStateStore>(store_options);
  if (!s.config_.state_dir.empty()) {
    EventLogOptions log_options;
    log_options.dir = (std::filesystem::path(s.config_.state_dir) / "log").string();
    log_options.fsync = s.config_.fsync;
    log_options.fsync_interval_ms = s.config_.fsync_interval_ms;
    RecoveryReport report;
    absl::StatusOr<std::unique_ptr<EventLog>> log = EventLog::Open(log_options, &report);
    if (!log.ok()) {
      return absl::Status(log.status().code(),
                          absl::StrCat("--state_dir: event log: ", log.status().message()));
    }
    s.log_ = *std::move(log);
    ServerLog(absl::StrCat("event log ", log_options.dir, ": ", report.ToString()));
  }
  s.catalogue_ = std::make_unique<CatalogueUpdater>(&s.model_, s.log_.get(), &s.clock_);
  s.handlers_ =
      std::make_unique<RequestHandlers>(&s.config_, &s.model_, s.catalogue_.get(), s.store_.get(),
                                        &s.clock_, &s.metrics_, s.log_.get());
  if (s.log_ != nullptr) s.waiter_ = std::make_unique<DurabilityWaiter>(s.handlers_.get());
  if (!s.config_.auth_tokens_file.empty()) {
    HRNN_ASSIGN_OR_RETURN(s.authenticator_,
                          TokenAuthenticator::FromFile(s.config_.auth_tokens_file));
  }
  if (!s.config_.filters_file.empty()) {
    absl::StatusOr<std::vector<NamedFilter>> filters = ReadFiltersFile(s.config_.filters_file);
    if (!filters.ok()) {
      return absl::Status(filters.status().code(),
                          absl::StrCat("--filters_file: ", filters.status().message()));
    }
    s.filters_ = *std::move(filters);
  }
  if (!s.config_.experiments_file.empty()) {
    absl::StatusOr<std::optional<Experiment>> experiment =
        ReadExperimentsFile(s.config_.experiments_file);
    if (!experiment.ok()) {
      return absl::Status(experiment.status().code(),
                          absl::StrCat("--experiments_file: ", experiment.status().message()));
    }
    s.experiment_ = *std::move(experiment);
  }
  if (s.experiment_.has_value()) {
    // Its recommendation ids carry the arm, and must fit in an Event.recommendation_id.
    size_t longest_arm = 0;
    for (const ExperimentArm& arm : s.experiment_->arms) {
      longest_arm = std::max(longest_arm, arm.name.size());
    }
    const size_t id_bytes =
        kRecommendationIdRandomChars + 2 + s.experiment_->name.size() + longest_arm;
    if (id_bytes > static_cast<size_t>(s.config_.max_id_bytes)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--max_id_bytes: ", s.config_.max_id_bytes, " is below the ", id_bytes,
          " bytes of the experiment's recommendation ids (\"<32 hex>:", s.experiment_->name,
          ":<arm>\"), which events send back"));
    }
  }
  if (s.experiment_.has_value()) {
    std::vector<std::string> arms;
    std::vector<std::string> described;
    for (const ExperimentArm& arm : s.experiment_->arms) {
      arms.push_back(arm.name);
      described.push_back(
          absl::StrCat(arm.name, " (", arm.percent, "%, ", RecipeKindName(arm.recipe), ")"));
    }
    s.metrics_.RegisterExperiment(s.experiment_->name, arms);
    s.handlers_->set_experiment(&*s.experiment_);
    ServerLog(absl::StrCat("experiment ", s.experiment_->name,
                           ": GetRecommendations calls that "
                           "name no recipe are split by user into ",
                           absl::StrJoin(described, ", ")));
  }
  HRNN_ASSIGN_OR_RETURN(std::shared_ptr<grpc::ServerCredentials> credentials,
                        ServerCredentialsFor(s.config_));
  if (s.config_.scoring == ScoringMode::kBatched) {
    const int threads = s.config_.scoring_threads > 0
                            ? s.config_.scoring_threads
                            : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
    s.batcher_ = std::make_unique<ScoringBatcher>(threads, s.config_.max_batch,
                                                  [&s](int size) { s.metrics_.RecordBatch(size); });
  }
  s.service_ = std::make_unique<RecommenderService>(
      s.handlers_.get(), &s.metrics_, s.config_.max_concurrent_streams, s.authenticator_.get(),
      s.batcher_.get(), s.waiter_.get());
  s.PollModel();
  if (!s.config_.catalog_stream.empty()) {
    // Validate() checked the address. The first model (and the recovered catalogue) is in
    // place: the follower applies what the stream holds after this replica's position.
    const CatalogueStreamAddress address = *ParseCatalogueStreamAddress(s.config_.catalog_stream);
    CatalogueReplicatorOptions options;
    options.stream_name = address.name;
    if (!s.config_.state_dir.empty()) {
      options.position_file =
          (std::filesystem::path(s.config_.state_dir) / "catalog_stream.position").string();
    }
    s.replicator_ = std::make_unique<CatalogueReplicator>(
        s.catalogue_.get(), s.log_.get(), NewRedisCatalogueStream(address),
        NewRedisCatalogueStream(address), options);
    if (absl::Status started = s.replicator_->Start(); !started.ok()) {
      return absl::Status(started.code(), absl::StrCat("--catalog_stream: ", started.message()));
    }
    s.handlers_->set_catalogue_replicator(s.replicator_.get());
  }

  // Metrics first: a server whose metrics port is taken should not start serving at all.
  try {
    s.exposer_ = std::make_unique<prometheus::Exposer>(
        JoinHostPort(s.config_.host, s.config_.metrics_port), /*num_threads=*/1);
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("--metrics_port: cannot listen on ",
                                               JoinHostPort(s.config_.host, s.config_.metrics_port),
                                               ": ", e.what()));
  }
  s.exposer_->RegisterCollectable(s.metrics_.registry());
  const std::vector<int> metrics_ports = s.exposer_->GetListeningPorts();
  s.metrics_port_ = metrics_ports.empty() ? s.config_.metrics_port : metrics_ports.front();

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(JoinHostPort(s.config_.host, s.config_.port), credentials, &s.port_);
  builder.RegisterService(s.service_.get());
  builder.SetMaxReceiveMessageSize(s.config_.max_message_bytes);
  builder.SetMaxSendMessageSize(s.config_.max_message_bytes);
  // gRPC enables SO_REUSEPORT by default, which would let a second server silently share the
  // port; a taken port must be an error.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  s.grpc_server_ = builder.BuildAndStart();
  if (s.grpc_server_ == nullptr || s.port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("--port: cannot listen on ", JoinHostPort(s.config_.host, s.config_.port)));
  }
  if (s.config_.http_port >= 0) {
    HttpGatewayOptions http_options;
    http_options.host = s.config_.host;
    http_options.port = s.config_.http_port;
    http_options.max_body_bytes = s.config_.max_message_bytes;
    http_options.tls_cert_file = s.config_.tls_cert_file;
    http_options.tls_key_file = s.config_.tls_key_file;
    http_options.tls_client_ca_file = s.config_.tls_client_ca_file;
    HRNN_ASSIGN_OR_RETURN(s.http_,
                          HttpGateway::Start(http_options, s.handlers_.get(), &s.metrics_,
                                             s.authenticator_.get(), [&s] { return s.serving(); }));
  }
  const bool serving = s.serving();
  s.grpc_server_->GetHealthCheckService()->SetServingStatus(serving);
  s.grpc_server_->GetHealthCheckService()->SetServingStatus(kServiceName, serving);
  s.maintenance_ = std::thread([&s] { s.MaintenanceLoop(); });
  return server;
}

RecommenderServer::~RecommenderServer() { Shutdown(absl::ZeroDuration()); }

std::string RecommenderServer::address() const { return JoinHostPort(config_.host, port_); }
std::string RecommenderServer::metrics_address() const {
  return JoinHostPort(config_.host, metrics_port_);
}
std::string RecommenderServer::http_address() const {
  return JoinHostPort(config_.host, http_port());
}

bool RecommenderServer::PollModel() {
  absl::StatusOr<std::vector<int64_t>> versions = ListModelVersions(config_.model_dir);
  if (!versions.ok() || versions->empty()) {
    if (!serving() && !reported_no_model_) {
      ServerLog(
          absl::StrCat("no model served: no complete version under ", config_.model_dir,
                       versions.ok() ? "" : absl::StrCat(" (", versions.status().ToString(), ")"),
                       "; checking every ", config_.model_poll_interval_ms, " ms"));
      reported_no_model_ = true;
    }
    return false;
  }
  const int64_t newest = versions->back();
  const std::shared_ptr<const ServingModel> current = model_.Get();
  if ((current != nullptr && current->version == newest) || newest == refused_version_) {
    return false;
  }
  absl::StatusOr<std::shared_ptr<const ServingModel>> model =
      LoadLatestServingModel(config_.model_dir, config_.network_options(), config_.session_policy(),
                             clock_.NowMs(), filters_);
  if (!model.ok()) {
    refused_version_ = newest;
    metrics_.ModelLoadFailed();
    ServerLog(absl::StrCat("refused model version ", newest, ": ", model.status().ToString(),
                           current == nullptr
                               ? std::string("; no model served")
                               : absl::StrCat("; still serving version ", current->version)));
    return false;
  }
  ServerLog(
      absl::StrCat("serving model ", (*model)->name, " version ", (*model)->version, " (",
                   (*model)->network->num_items(), " items, ",
                   ModelModeName((*model)->model().config().mode), ") from ", (*model)->version_dir,
                   current == nullptr ? "" : absl::StrCat("; was version ", current->version)));
  if (experiment_.has_value()) {
    for (const ExperimentArm& arm : experiment_->arms) {
      if ((*model)->Serves(arm.recipe)) continue;
      ServerLog(absl::StrCat("experiment ", experiment_->name, ", arm ", arm.name,
                             ": model version ", (*model)->version, " does not serve recipe \"",
                             RecipeKindName(arm.recipe), "\"; the arm's users get its default, \"",
                             RecipeKindName((*model)->default_recipe()), "\""));
    }
  }
  if (current == nullptr && log_ != nullptr) {
    // The first model: rebuild the users' states before any call can see them.
    absl::StatusOr<RecoveryStats> recovered =
        RecoverState(**model, config_, SnapshotDir(), *log_, *store_);
    if (!recovered.ok()) {
      refused_version_ = newest;
      metrics_.ModelLoadFailed();
      ServerLog(absl::StrCat("cannot recover user state for model version ", newest, ": ",
                             recovered.status().ToString()));
      return false;
    }
    ServerLog(absl::StrCat("recovered user state: ", recovered->ToString()));
  }
  metrics_.UpdateModel(model->get());
  // Records logged from here on may be applied through the new model (calls that start after
  // the swap): its rebuild leaves them to the live path.
  const uint64_t swap_seq = log_ != nullptr ? log_->next_seq() : 0;
  const int64_t carried = catalogue_->Serve(*model);
  if (carried > 0) {
    ServerLog(absl::StrCat(carried, " out-of-stock items carried over to model version ",
                           (*model)->version));
  }
  if (current != nullptr && log_ != nullptr && config_.rebuild_window_ms > 0) {
    StartRebuild(*model, current, swap_seq);
  }
  return true;
}

int64_t RecommenderServer::model_version() const {
  const std::shared_ptr<const ServingModel> model = model_.Get();
  return model == nullptr ? 0 : model->version;
}

void RecommenderServer::StartRebuild(const std::shared_ptr<const ServingModel>& model,
                                     const std::shared_ptr<const ServingModel>& previous,
                                     uint64_t swap_seq) {
  MutexLock lock(&rebuild_mutex_);
  if (rebuilder_ != nullptr && !rebuilder_->done()) {
    ServerLog(absl::StrCat("state rebuild for model version ", rebuilder_->model_version(),
                           " cancelled: ", rebuilder_->progress().ToString()));
  }
  rebuilder_.reset();  // Cancels and joins a rebuild still running.
  rebuilder_ = std::make_unique<StateRebuilder>(
      model, previous, config_, *log_, *store_, &handlers_->user_write_locks(),
      clock_.NowMs() - config_.rebuild_window_ms, swap_seq, &metrics_);
  rebuild_reported_ = false;
  ServerLog(absl::StrCat("rebuilding user states through model version ", model->version,
                         " from the events of the last ", config_.rebuild_window_ms / 1000,
                         " s, in the background; users not yet rebuilt get its fallback"));
}

bool RecommenderServer::RebuildPending() {
  MutexLock lock(&rebuild_mutex_);
  if (rebuilder_ == nullptr) return false;
  if (!rebuilder_->done()) return true;
  const RebuildProgress progress = rebuilder_->progress();
  if (!rebuild_reported_) {
    rebuild_reported_ = true;
    ServerLog(absl::StrCat("state rebuild for model version ", rebuilder_->model_version(),
                           progress.cancelled ? " stopped: " : " finished: ", progress.ToString()));
  }
  // A rebuild that stopped early left some users on the fallback only until a restart, which
  // rebuilds them all from the log if no snapshot of this model exists.
  return progress.cancelled || !progress.error.empty();
}

RebuildProgress RecommenderServer::rebuild_progress(int64_t* model_version) const {
  MutexLock lock(&rebuild_mutex_);
  if (model_version != nullptr) {
    *model_version = rebuilder_ == nullptr ? -1 : rebuilder_->model_version();
  }
  if (rebuilder_ == nullptr) {
    RebuildProgress none;
    none.done = true;
    return none;
  }
  return rebuilder_->progress();
}

std::string RecommenderServer::SnapshotDir() const {
  return (std::filesystem::path(config_.state_dir) / "snapshots").string();
}

absl::Status RecommenderServer::TakeSnapshot() {
  const std::shared_ptr<const ServingModel> model = model_.Get();
  if (log_ == nullptr || model == nullptr) return absl::OkStatus();
  if (log_->next_seq() == last_snapshot_seq_) return absl::OkStatus();  // Nothing new.
  if (RebuildPending()) {
    // Until every user is rebuilt, the snapshot would hold only some users' states of the new
    // model; the previous snapshot (of the old model) makes a restart rebuild all from the log.
    ServerLog("snapshot deferred: the state rebuild after the model swap is not finished");
    return absl::OkStatus();
  }
  SnapshotHeader header;
  header.model_name = model->name;
  header.model_version = model->version;
  // Every event below this seq was committed to its user's state before it was appended, so
  // the scan below reflects it; later ones may be reflected too (per-user last_log_seq).
  header.log_seq = log_->next_seq();
  // Read after log_seq: reflects every availability change logged before it (and maybe later).
  header.unavailable_item_ids = catalogue_->UnavailableItemIds();
  header.created_at_ms = clock_.NowMs();
  header.user_size = static_cast<uint32_t>(model->network->user_state_size());
  header.session_size = static_cast<uint32_t>(model->network->hidden_size());
  HRNN_RETURN_IF_ERROR(log_->Flush());
  HRNN_RETURN_IF_ERROR(WriteSnapshot(SnapshotDir(), header, [&](SnapshotUserSink sink) {
    store_->ForEachShard([&](const std::vector<std::pair<std::string, UserState>>& users) {
      for (const auto& [user_id, state] : users) {
        if (model->Owns(state)) sink(user_id, state);
      }
    });
  }));
  last_snapshot_seq_ = header.log_seq;
  HRNN_ASSIGN_OR_RETURN(
      const int retired,
      log_->RetireSegments(header.log_seq, clock_.NowMs() - config_.log_retention_ms));
  ServerLog(
      absl::StrCat("snapshot at log seq ", header.log_seq, " written to ", SnapshotDir(),
                   retired > 0 ? absl::StrCat("; ", retired, " log segment(s) retired") : ""));
  return absl::OkStatus();
}

void RecommenderServer::MaintenanceLoop() {
  absl::Time next_model_poll = absl::Now() + absl::Milliseconds(config_.model_poll_interval_ms);
  absl::Time next_snapshot = absl::Now() + absl::Milliseconds(config_.snapshot_interval_ms);
  while (!stop_maintenance_.WaitForNotificationWithTimeout(absl::Milliseconds(500))) {
    store_->EvictIdle(clock_.NowMs());
    metrics_.UpdateStore(store_->stats());
    if (const std::shared_ptr<const ServingModel> model = model_.Get();
        model != nullptr && model->recipes != nullptr &&
        model->recipes->live_sessions() != nullptr) {
      LiveSessions& live = *model->recipes->live_sessions();
      live.FinishIdle(clock_.NowMs());
      metrics_.UpdateLiveSessions(live.stats());
    }
    if (log_ != nullptr) metrics_.UpdateLog(log_->next_seq() - 1, log_->durable_seq());
    if (replicator_ != nullptr) {
      metrics_.UpdateCatalogStream(replicator_->entries_applied(), replicator_->errors(),
                                   replicator_->following());
    }
    RebuildPending();  // Logs a rebuild that has just finished.
    if (log_ != nullptr && config_.snapshot_interval_ms > 0 && absl::Now() >= next_snapshot) {
      if (absl::Status snapshot = TakeSnapshot(); !snapshot.ok()) {
        ServerLog(absl::StrCat("snapshot failed: ", snapshot.ToString()));
      }
      next_snapshot = absl::Now() + absl::Milliseconds(config_.snapshot_interval_ms);
    }
    if (absl::Now() >= next_model_poll) {
      const bool was_serving = serving();
      if (PollModel() && !was_serving) {
        grpc_server_->GetHealthCheckService()->SetServingStatus(true);
        grpc_server_->GetHealthCheckService()->SetServingStatus(kServiceName, true);
      }
      next_model_poll = absl::Now() + absl::Milliseconds(config_.model_poll_interval_ms);
    }
  }
}

void RecommenderServer::Shutdown(absl::Duration deadline) {
  MutexLock lock(&shutdown_mutex_);
  if (shut_down_) return;
  shut_down_ = true;
  if (http_ != nullptr) http_->Stop();  // Waits for its calls: they may wait on the log.
  if (grpc_server_ != nullptr) {
    // Probes see NOT_SERVING while the calls in flight drain.
    grpc_server_->GetHealthCheckService()->Shutdown();
    grpc_server_->Shutdown(absl::ToChronoTime(absl::Now() + deadline));
    grpc_server_->Wait();
  }
  if (replicator_ != nullptr) replicator_->Stop();  // Before the log closes: it appends to it.
  batcher_.reset();                                 // Every call is finished: nothing is queued.
  waiter_.reset();
  stop_maintenance_.Notify();
  if (maintenance_.joinable()) maintenance_.join();
  {
    MutexLock lock(&rebuild_mutex_);
    if (rebuilder_ != nullptr && !rebuilder_->done()) {
      rebuilder_->Cancel();  // The final snapshot below is then skipped (RebuildPending).
      ServerLog(absl::StrCat("state rebuild for model version ", rebuilder_->model_version(),
                             " stopped by the shutdown: ", rebuilder_->progress().ToString()));
      rebuild_reported_ = true;
    }
  }
  if (log_ != nullptr) {
    // A final snapshot makes the next start-up fast; the log alone would also recover it all.
    if (absl::Status snapshot = TakeSnapshot(); !snapshot.ok()) {
      ServerLog(absl::StrCat("final snapshot failed: ", snapshot.ToString()));
    }
    log_.reset();
  }
  exposer_.reset();  // civetweb polls in 2 s quanta: stopping it takes up to 2 s.
}

}  // namespace hrnn
