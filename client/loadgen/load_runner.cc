#include "client/loadgen/load_runner.h"

#include <sys/prctl.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "client/client_options.h"
#include "client/event_stream.h"
#include "client/grpc_status.h"
#include "client/loadgen/open_loop_schedule.h"
#include "client/recommender_client.h"
#include "client/routing_metadata.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"

namespace hrnn::client::loadgen {
namespace {

constexpr char kRecommend[] = "GetRecommendations";
constexpr char kSimilar[] = "GetSimilarItems";
constexpr char kPutEvents[] = "PutEvents";
constexpr char kStreamEvents[] = "StreamEvents";
constexpr int64_t kLateNs = 1'000'000;  // A send this late counts in late_sends.

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void SleepUntilNs(int64_t t_ns) {
  const int64_t now = NowNs();
  if (t_ns > now) std::this_thread::sleep_for(std::chrono::nanoseconds(t_ns - now));
}

// Linux rounds sleeps up by the thread's timer slack (50 µs by default), which would show as
// latency in open loop; 1 ns makes the sender wake on time.
void TightenTimerSlack() { prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL); }

std::string CodeName(const grpc::Status& status) {
  return absl::StatusCodeToString(FromGrpcStatus(status).code());
}

// One unary call in flight; deleted by its completion callback.
struct UnaryCall {
  grpc::ClientContext context;
  hrnn::v1::GetRecommendationsRequest recommend_request;
  hrnn::v1::GetRecommendationsResponse recommend_response;
  hrnn::v1::GetSimilarItemsRequest similar_request;
  hrnn::v1::GetSimilarItemsResponse similar_response;
  hrnn::v1::PutEventsRequest events_request;
  hrnn::v1::PutEventsResponse events_response;
  int64_t intended_ns = 0;
  bool measured = false;
};

// Owned by RunLoad, which returns only when no call is in flight: completion callbacks hold a
// plain pointer, and their last touch of the runner is the in_flight_ decrement (so the runner
// and its channels are never destroyed on a gRPC callback thread).
class Runner {
 public:
  Runner(const LoadConfig& config, const ItemCatalog& items,
         std::unique_ptr<WorkloadGenerator> generator)
      : config_(config), items_(items), generator_(std::move(generator)) {}

  absl::Status Connect() {
    for (int i = 0; i < config_.connections; ++i) {
      grpc::ChannelArguments args;
      // Each channel gets its own connection instead of sharing the global subchannel pool.
      args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
      args.SetInt("hrnn.loadgen.channel", i);
      auto channel =
          grpc::CreateCustomChannel(config_.target, grpc::InsecureChannelCredentials(), args);
      if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(5))) {
        return absl::UnavailableError(
            absl::StrCat(config_.target, ": could not connect within 5 s"));
      }
      stubs_.push_back(hrnn::v1::Recommender::NewStub(channel));
      channels_.push_back(std::move(channel));
    }
    return absl::OkStatus();
  }

  absl::Status Run(LoadReport* report) {
    start_ns_ = NowNs();
    measure_start_ns_ = start_ns_ + absl::ToInt64Nanoseconds(config_.warmup);
    end_ns_ = measure_start_ns_ + absl::ToInt64Nanoseconds(config_.duration);
    if (config_.workload.kind == WorkloadKind::kEvents) {
      RunStreams();
    } else if (config_.mode == LoadMode::kOpen) {
      RunOpenLoop();
    } else {
      RunClosedLoop();
    }
    // Every call has a deadline, so this ends; the margin covers a stalled machine.
    const int64_t give_up = NowNs() + absl::ToInt64Nanoseconds(config_.deadline) + 10'000'000'000;
    while (in_flight_.load(std::memory_order_acquire) > 0) {
      if (NowNs() > give_up) {
        return absl::DeadlineExceededError(
            absl::StrCat(in_flight_.load(), " calls still in flight 10 s after their deadline"));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    absl::MutexLock lock(&mu_);
    report->methods = methods_;
    report->rejected_events = rejected_events_;
    report->late_sends = late_sends_;
    const int64_t last = std::max(last_completion_ns_, last_send_ns_);
    report->elapsed_s = last > measure_start_ns_ ? (last - measure_start_ns_) / 1e9 : 0.0;
    return absl::OkStatus();
  }

 private:
  bool TakeBudget() {
    return config_.max_requests == 0 ||
           issued_.fetch_add(1, std::memory_order_relaxed) < config_.max_requests;
  }
  bool BudgetLeft() const {
    return config_.max_requests == 0 ||
           issued_.load(std::memory_order_relaxed) < config_.max_requests;
  }

  Action NextAction() {
    absl::MutexLock lock(&generator_mu_);
    return generator_->Next();
  }

  hrnn::v1::Recommender::Stub* NextStub() {
    return stubs_[next_stub_.fetch_add(1, std::memory_order_relaxed) % stubs_.size()].get();
  }

  void FillEvent(const Action& action, hrnn::v1::Event* event) const {
    event->set_user_id(action.user_id);
    event->set_session_id(action.session_id);
    event->set_item_id(items_.ids[action.item]);  // event_type "" = click, timestamp 0 = now.
  }

  // Sends one unary call for the next action; `closed` chains the next call on completion.
  void Issue(int64_t intended_ns, bool closed) {
    const Action action = NextAction();
    auto* call = new UnaryCall;
    call->intended_ns = intended_ns;
    call->measured = intended_ns >= measure_start_ns_ && intended_ns < end_ns_;
    call->context.set_deadline(std::chrono::system_clock::now() +
                               absl::ToChronoNanoseconds(config_.deadline));
    if (!action.user_id.empty()) {
      call->context.AddMetadata(kUserIdMetadataKey, UserIdMetadataValue(action.user_id));
    }
    const char* method = action.type == Action::Type::kRecommend ? kRecommend
                         : action.type == Action::Type::kSimilar ? kSimilar
                                                                 : kPutEvents;
    in_flight_.fetch_add(1, std::memory_order_relaxed);
    if (call->measured) {
      absl::MutexLock lock(&mu_);
      ++methods_[method].sent;
      last_send_ns_ = std::max(last_send_ns_, NowNs());
    }
    Runner* self = this;
    hrnn::v1::Recommender::Stub* stub = NextStub();
    if (action.type == Action::Type::kRecommend) {
      hrnn::v1::GetRecommendationsRequest& request = call->recommend_request;
      request.set_user_id(action.user_id);
      if (config_.session_ids) request.set_session_id(action.session_id);
      request.set_num_results(config_.num_results);
      if (config_.exclude_session_items) request.mutable_filter()->set_exclude_session_items(true);
      if (!config_.named_filter.name().empty()) {
        request.mutable_filter()->MergeFrom(config_.named_filter);
      }
      request.set_recipe(config_.recipe);
      stub->async()->GetRecommendations(&call->context, &call->recommend_request,
                                        &call->recommend_response,
                                        [self, call, closed](grpc::Status status) {
                                          self->Complete(kRecommend, status, call, 0, closed);
                                        });
    } else if (action.type == Action::Type::kSimilar) {
      hrnn::v1::GetSimilarItemsRequest& request = call->similar_request;
      request.set_item_id(items_.ids[action.item]);
      request.set_num_results(config_.num_results);
      if (!config_.named_filter.name().empty()) *request.mutable_filter() = config_.named_filter;
      stub->async()->GetSimilarItems(&call->context, &call->similar_request,
                                     &call->similar_response,
                                     [self, call, closed](grpc::Status status) {
                                       self->Complete(kSimilar, status, call, 0, closed);
                                     });
    } else {
      FillEvent(action, call->events_request.add_events());
      stub->async()->PutEvents(&call->context, &call->events_request, &call->events_response,
                               [self, call, closed](grpc::Status status) {
                                 self->Complete(kPutEvents, status, call,
                                                call->events_response.rejected_size(), closed);
                               });
    }
  }

  // Records `call`'s outcome, deletes it, and in closed loop sends the caller's next call.
  void Complete(const char* method, const grpc::Status& status, UnaryCall* call, int64_t rejected,
                bool closed) {
    const int64_t now = NowNs();
    if (call->measured) {
      absl::MutexLock lock(&mu_);
      MethodStats& stats = methods_[method];
      if (status.ok()) {
        ++stats.ok;
        stats.latency_ns.Record(now - call->intended_ns);
        rejected_events_ += rejected;
      } else {
        ++stats.errors[CodeName(status)];
      }
      last_completion_ns_ = std::max(last_completion_ns_, now);
    }
    // The next call of this caller is counted in flight before this one leaves, so the run
    // cannot look finished in between.
    delete call;
    if (closed && NowNs() < end_ns_ && TakeBudget()) Issue(NowNs(), /*closed=*/true);
    in_flight_.fetch_sub(1, std::memory_order_release);  // The last touch of the runner.
  }

  void RunOpenLoop() {
    TightenTimerSlack();
    const OpenLoopSchedule schedule(start_ns_, config_.rate);
    for (int64_t i = 0;; ++i) {
      const int64_t intended = schedule.IntendedTime(i);
      if (intended >= end_ns_ || !TakeBudget()) break;
      SleepUntilNs(intended);
      if (intended >= measure_start_ns_ && NowNs() - intended > kLateNs) {
        absl::MutexLock lock(&mu_);
        ++late_sends_;
      }
      Issue(intended, /*closed=*/false);
    }
  }

  void RunClosedLoop() {
    for (int c = 0; c < config_.concurrency; ++c) {
      if (!TakeBudget()) break;
      Issue(NowNs(), /*closed=*/true);
    }
    // The callers run on gRPC's callback threads; wait for the window to end, or for the
    // max_requests budget to be used up and answered.
    while (NowNs() < end_ns_ && (BudgetLeft() || in_flight_.load() > 0)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }

  // Events workload: each stream on its own thread, writing back to back (closed) or on its
  // share of the schedule (open).
  void RunStreams() {
    const int streams = config_.concurrency > 0 ? config_.concurrency : config_.connections;
    std::vector<std::thread> threads;
    threads.reserve(streams);
    for (int s = 0; s < streams; ++s) {
      threads.emplace_back([this, s, streams] { RunStream(s, streams); });
    }
    for (std::thread& thread : threads) thread.join();
  }

  void RunStream(int index, int streams) {
    TightenTimerSlack();
    const bool open = config_.mode == LoadMode::kOpen;
    // Stream s sends requests s, s + streams, ... of the whole schedule.
    const OpenLoopSchedule schedule(start_ns_, open ? config_.rate / streams : 1.0,
                                    open ? static_cast<int64_t>(1e9 / config_.rate * index) : 0);
    const absl::Duration stream_deadline =
        absl::Nanoseconds(end_ns_ - NowNs()) + config_.deadline + absl::Seconds(5);
    std::unique_ptr<EventStream> stream =
        EventStream::Open(stubs_[index % stubs_.size()].get(), "", stream_deadline);
    LatencyHistogram latency;
    int64_t written = 0;
    int64_t measured = 0;
    int64_t first_measured_index = -1;
    int64_t late = 0;
    int64_t last_send = 0;
    hrnn::v1::Event event;
    for (int64_t i = 0;; ++i) {
      const int64_t intended = open ? schedule.IntendedTime(i) : NowNs();
      if (intended >= end_ns_ || !TakeBudget()) break;
      if (open) SleepUntilNs(intended);
      const bool in_window = intended >= measure_start_ns_;
      if (open && in_window && NowNs() - intended > kLateNs) ++late;
      event.Clear();
      FillEvent(NextAction(), &event);
      if (!stream->Write(event).ok()) break;
      const int64_t done = NowNs();
      ++written;
      if (in_window) {
        if (first_measured_index < 0) first_measured_index = written - 1;
        ++measured;
        latency.Record(done - intended);
        last_send = done;
      }
    }
    const absl::StatusOr<hrnn::v1::PutEventsResponse> response = stream->Finish();
    const int64_t finished = NowNs();
    absl::MutexLock lock(&mu_);
    late_sends_ += late;
    if (measured == 0) return;
    MethodStats& stats = methods_[kStreamEvents];
    stats.sent += measured;
    last_send_ns_ = std::max(last_send_ns_, last_send);
    last_completion_ns_ = std::max(last_completion_ns_, finished);
    if (!response.ok()) {
      // Nothing in the stream is known to have been applied.
      stats.errors[absl::StatusCodeToString(response.status().code())] += measured;
      return;
    }
    // Rejections in the window: the listed ones at or after its first event, plus any beyond
    // the listed 1000 (assumed in the window).
    const int64_t rejected_total = written - response->accepted();
    int64_t rejected_in_window = rejected_total - response->rejected_size();
    for (const hrnn::v1::RejectedEvent& r : response->rejected()) {
      if (r.index() >= first_measured_index) ++rejected_in_window;
    }
    rejected_in_window = std::clamp<int64_t>(rejected_in_window, 0, measured);
    rejected_events_ += rejected_in_window;
    stats.ok += measured - rejected_in_window;
    stats.latency_ns.Merge(latency);
  }

  const LoadConfig config_;
  const ItemCatalog& items_;
  std::vector<std::shared_ptr<grpc::Channel>> channels_;
  std::vector<std::unique_ptr<hrnn::v1::Recommender::Stub>> stubs_;
  std::atomic<uint64_t> next_stub_{0};
  std::atomic<int64_t> issued_{0};
  std::atomic<int64_t> in_flight_{0};  // Unary calls sent and not yet completed.
  int64_t start_ns_ = 0;
  int64_t measure_start_ns_ = 0;
  int64_t end_ns_ = 0;

  absl::Mutex generator_mu_;
  std::unique_ptr<WorkloadGenerator> generator_ ABSL_GUARDED_BY(generator_mu_);

  absl::Mutex mu_;
  std::map<std::string, MethodStats> methods_ ABSL_GUARDED_BY(mu_);
  int64_t rejected_events_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t late_sends_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t last_send_ns_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t last_completion_ns_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace

absl::Status LoadConfig::Validate() const {
  if (target.empty()) return absl::InvalidArgumentError("target: required (HOST:PORT)");
  if (mode == LoadMode::kOpen) {
    if (!(rate > 0)) return absl::InvalidArgumentError("rate: open loop needs --rate > 0");
    if (concurrency != 0 && workload.kind != WorkloadKind::kEvents) {
      return absl::InvalidArgumentError(
          "concurrency: open loop takes --rate (--concurrency only sets the events streams)");
    }
  } else {
    if (rate != 0) return absl::InvalidArgumentError("rate: closed loop takes --concurrency");
    if (concurrency < 1) {
      return absl::InvalidArgumentError("concurrency: closed loop needs --concurrency >= 1");
    }
  }
  if (concurrency < 0 || concurrency > 10000) {
    return absl::InvalidArgumentError(
        absl::StrCat("concurrency: ", concurrency, " is outside 0..10000"));
  }
  if (duration <= absl::ZeroDuration() || duration == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError("duration: must be positive and finite");
  }
  if (warmup < absl::ZeroDuration() || warmup == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError("warmup: must be >= 0 and finite");
  }
  if (deadline <= absl::ZeroDuration() || deadline == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError("deadline: must be positive and finite");
  }
  if (max_requests < 0) return absl::InvalidArgumentError("max_requests: must be >= 0");
  if (connections < 1 || connections > 64) {
    return absl::InvalidArgumentError(
        absl::StrCat("connections: ", connections, " is outside 1..64"));
  }
  if (num_results < 1 || num_results > 500) {
    return absl::InvalidArgumentError(
        absl::StrCat("num_results: ", num_results, " is outside 1..500"));
  }
  return workload.Validate();
}

absl::StatusOr<LoadReport> RunLoad(const LoadConfig& config, const ItemCatalog& items) {
  if (absl::Status status = config.Validate(); !status.ok()) return status;
  if (items.ids.empty() || items.ids.size() != items.popularity.size()) {
    return absl::InvalidArgumentError("items: empty, or ids and popularity differ in length");
  }
  LoadReport report;
  report.target = config.target;
  report.mode = config.mode == LoadMode::kOpen ? "open" : "closed";
  report.workload = WorkloadKindName(config.workload.kind);
  report.unit = config.workload.kind == WorkloadKind::kEvents ? "events" : "requests";
  report.target_rps = config.mode == LoadMode::kOpen ? config.rate : 0;
  report.concurrency = config.workload.kind == WorkloadKind::kEvents && config.concurrency == 0
                           ? config.connections
                           : config.concurrency;
  report.connections = config.connections;
  report.duration_s = absl::ToDoubleSeconds(config.duration);
  report.warmup_s = absl::ToDoubleSeconds(config.warmup);
  report.users = config.workload.users;

  if (config.check_model) {
    ClientOptions options;
    options.target = config.target;
    options.deadline = absl::Seconds(5);
    absl::StatusOr<std::unique_ptr<RecommenderClient>> client = RecommenderClient::Create(options);
    if (!client.ok()) return client.status();
    absl::StatusOr<hrnn::v1::ModelInfo> info = (*client)->GetModelInfo();
    if (!info.ok()) {
      return absl::UnavailableError(
          absl::StrCat(config.target, ": GetModelInfo failed: ", info.status().ToString()));
    }
    report.model_name = info->name();
    report.model_version = info->version();
    report.model_items = info->num_items();
  }

  absl::StatusOr<std::unique_ptr<WorkloadGenerator>> generator =
      WorkloadGenerator::Create(config.workload, items.popularity);
  if (!generator.ok()) return generator.status();
  auto runner = std::make_unique<Runner>(config, items, *std::move(generator));
  if (absl::Status status = runner->Connect(); !status.ok()) return status;
  if (absl::Status status = runner->Run(&report); !status.ok()) {
    static_cast<void>(
        runner.release());  // Calls may still complete into it: leak it rather than crash.
    return status;
  }
  return report;
}

}  // namespace hrnn::client::loadgen
