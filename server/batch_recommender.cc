#include "server/batch_recommender.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/base/clock.h"
#include "core/base/status_macros.h"
#include "core/catalogue/filters_file.h"
#include "core/kernels/matvec.h"
#include "core/serving/recommendation_pipeline.h"
#include "core/serving/serving_model.h"
#include "core/state/event_log.h"
#include "core/state/user_state_store.h"
#include "hrnn/v1/recommender.pb.h"
#include "server/batch_output.h"
#include "server/batch_users_file.h"
#include "server/catalogue_updater.h"
#include "server/internal/batch_requests.h"
#include "server/internal/batch_state.h"
#include "server/internal/ordered_blocks.h"
#include "server/request_handlers.h"
#include "server/server_config.h"
#include "server/state_recovery.h"

namespace hrnn {
namespace {

constexpr int kMaxNumResults = 500;
// Blocks of users a worker may finish ahead of the block being written, per worker.
constexpr int64_t kBlocksAheadPerWorker = 16;

class FixedClock final : public Clock {
 public:
  explicit FixedClock(int64_t now_ms) : now_ms_(now_ms) {}
  int64_t NowMs() const override { return now_ms_; }

 private:
  const int64_t now_ms_;
};

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// One worker: claims blocks of up to kMaxMatVecBatch users, prepares each request through the
// server's handlers, scores the block's catalogue passes in one pass over the item table and
// completes them.
void Work(const internal::BatchRequests& requests, const RequestHandlers& handlers,
          const ServingModel& model, absl::Span<const internal::BatchUserRef> users,
          BatchOutputFormat format, const std::string& recipe, std::atomic<int64_t>& next_block,
          const std::atomic<bool>* cancel, internal::OrderedBlocks& blocks) {
  const size_t num_items = static_cast<size_t>(model.network->num_items());
  std::vector<float> scores(num_items * kMaxMatVecBatch);
  const int64_t num_blocks =
      (static_cast<int64_t>(users.size()) + kMaxMatVecBatch - 1) / kMaxMatVecBatch;
  struct Slot {
    v1::GetRecommendationsResponse response;
    absl::Status status;
    std::optional<CataloguePass> pass;
  };
  std::vector<Slot> slots(kMaxMatVecBatch);
  BatchResult result;
  while (cancel == nullptr || !cancel->load(std::memory_order_relaxed)) {
    const int64_t index = next_block.fetch_add(1, std::memory_order_relaxed);
    if (index >= num_blocks || !blocks.WaitForTurn(index)) break;
    const size_t begin = static_cast<size_t>(index) * kMaxMatVecBatch;
    const size_t count = std::min<size_t>(kMaxMatVecBatch, users.size() - begin);
    std::vector<const float*> queries;
    std::vector<float*> outputs;
    for (size_t i = 0; i < count; ++i) {
      Slot& slot = slots[i];
      slot.response.Clear();
      slot.pass.reset();
      absl::StatusOr<std::optional<CataloguePass>> prepared =
          handlers.PrepareRecommendations(requests.For(users[begin + i]), &slot.response);
      slot.status = prepared.status();
      if (!prepared.ok() || !prepared->has_value()) continue;
      slot.pass = **std::move(prepared);
      queries.push_back(slot.pass->query.data());
      outputs.push_back(scores.data() + num_items * outputs.size());
    }
    // One pass over the item table for every user of the block that needs one.
    if (!queries.empty()) model.network->ScoreBatch(queries, outputs);
    internal::LineBlock block;
    size_t scored = 0;
    for (size_t i = 0; i < count; ++i) {
      Slot& slot = slots[i];
      if (slot.pass.has_value()) {
        handlers.CompleteRecommendations(requests.For(users[begin + i]), *slot.pass,
                                         absl::MakeConstSpan(outputs[scored++], num_items),
                                         &slot.response);
      }
      result.user_id = *users[begin + i].user_id;
      result.items.clear();
      result.model_version = model.version;
      if (!slot.status.ok()) {
        result.recipe = recipe;
        result.reason = absl::StrCat("failed: ", slot.status.message());
        ++block.failed;
      } else {
        for (const v1::ScoredItem& item : slot.response.items()) {
          result.items.push_back({item.item_id(), item.score()});
        }
        result.recipe = slot.response.recipe();
        result.model_version = slot.response.model_version();
        const bool no_history = slot.response.state() == AnswerStateName(AnswerState::kNewUser);
        result.reason = no_history ? kNoHistoryReason : "";
        block.no_history += no_history ? 1 : 0;
      }
      AppendBatchLine(format, result, &block.lines);
      ++block.users;
    }
    blocks.Put(index, std::move(block));
  }
  blocks.WorkerDone();
}

// The median time of a streaming read of `values` by `threads` threads, each reading its
// slice with the SIMD kernels (FindFirstGreater with a threshold nothing exceeds reads every
// float once).
double StreamReadSeconds(absl::Span<const float> values, int threads) {
  std::vector<double> times;
  std::atomic<int64_t> sink{0};
  const auto start = std::chrono::steady_clock::now();
  while (times.size() < 5 || (times.size() < 200 && SecondsSince(start) < 1.0)) {
    const auto pass = std::chrono::steady_clock::now();
    std::vector<std::thread> readers;
    for (int t = 0; t < threads; ++t) {
      readers.emplace_back([&, t] {
        const size_t begin = values.size() * t / threads;
        const size_t end = values.size() * (t + 1) / threads;
        sink += FindFirstGreater(values.subspan(begin, end - begin),
                                 std::numeric_limits<float>::infinity());
      });
    }
    for (std::thread& reader : readers) reader.join();
    times.push_back(SecondsSince(pass));
  }
  std::nth_element(times.begin(), times.begin() + times.size() / 2, times.end());
  return times[times.size() / 2];
}

}  // namespace

absl::Status BatchOptions::Validate() const {
  auto invalid = [](absl::string_view flag, absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("--", flag, ": ", why));
  };
  if (model_dir.empty()) return invalid("model_dir", "is required");
  if (users_file.empty() == !all_users) {
    return invalid("users", "give either --users=FILE or --all_users");
  }
  if (all_users && state_dir.empty()) {
    return invalid("all_users", "needs --state_dir (the users are those it holds a state of)");
  }
  if (out.empty()) return invalid("out", "is required");
  HRNN_RETURN_IF_ERROR(BatchOutputFormatFor(out).status());
  if (num_results < 1 || num_results > kMaxNumResults) {
    return invalid("num_results", absl::StrCat(num_results, " is outside 1..", kMaxNumResults));
  }
  if (threads < 0 || threads > 256) {
    return invalid("threads", absl::StrCat(threads, " is outside 0..256"));
  }
  if (!filter_values.empty() && filter.empty()) {
    return invalid("filter_values", "needs --filter=NAME");
  }
  if (!filter.empty() && filters_file.empty()) {
    return invalid("filter", "needs --filters_file (where the named filters are defined)");
  }
  if (now_ms < 0) return invalid("now_ms", "must not be negative");
  return absl::OkStatus();
}

std::string FormatBatchProgress(const BatchProgress& progress) {
  const double percent =
      progress.total > 0 ? 100.0 * static_cast<double>(progress.done) / progress.total : 100.0;
  std::string line = absl::StrFormat("%d / %d users (%.1f%%), %.0f users/s", progress.done,
                                     progress.total, percent, progress.users_per_second);
  if (progress.eta_seconds > 0) absl::StrAppendFormat(&line, ", ETA %.0f s", progress.eta_seconds);
  if (progress.resumed > 0) absl::StrAppend(&line, "; ", progress.resumed, " resumed");
  return line;
}

absl::StatusOr<BatchSummary> RunBatch(const BatchOptions& options, const BatchHooks& hooks) {
  HRNN_RETURN_IF_ERROR(options.Validate());
  const auto prepare_start = std::chrono::steady_clock::now();
  const BatchOutputFormat format = *BatchOutputFormatFor(options.out);
  const FixedClock clock(options.now_ms > 0 ? options.now_ms : SystemClock().NowMs());
  BatchSummary summary;
  summary.threads = options.threads > 0
                        ? options.threads
                        : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));

  // The server's settings that shape states and answers.
  ServerConfig config;
  config.model_dir = options.model_dir;
  config.filters_file = options.filters_file;
  config.scoring = ScoringMode::kBatched;
  config.attribution_window_ms = 0;  // Nothing is served live: no events to attribute.
  config.record_recommendations = false;
  config.session_timeout_ms = options.session_timeout_ms;
  config.live_sessions = options.live_sessions;
  config.session_event_types = options.session_event_types;
  config.purchase_event_types = options.purchase_event_types;
  config.item_table = options.item_table;
  config.max_id_bytes = options.max_id_bytes;
  HRNN_RETURN_IF_ERROR(config.Validate());

  // Bad input first, before the state is copied and anything is written.
  std::vector<NamedFilter> filters;
  if (!options.filters_file.empty()) {
    absl::StatusOr<std::vector<NamedFilter>> read = ReadFiltersFile(options.filters_file);
    if (!read.ok()) {
      return absl::Status(read.status().code(),
                          absl::StrCat("--filters_file: ", read.status().message()));
    }
    filters = *std::move(read);
  }
  absl::StatusOr<std::shared_ptr<const ServingModel>> loaded = LoadLatestServingModel(
      options.model_dir, config.network_options(), config.session_policy(), clock.NowMs(), filters);
  if (!loaded.ok()) {
    return absl::Status(loaded.status().code(),
                        absl::StrCat("--model_dir: ", loaded.status().message()));
  }
  const std::shared_ptr<const ServingModel> model = *std::move(loaded);
  summary.model_name = model->name;
  summary.model_version = model->version;
  std::optional<UsersFile> users_file;
  if (!options.users_file.empty()) {
    absl::StatusOr<UsersFile> read = ReadUsersFile(options.users_file);
    if (!read.ok()) {
      return absl::Status(read.status().code(), absl::StrCat("--users: ", read.status().message()));
    }
    users_file = *std::move(read);
  }
  HRNN_ASSIGN_OR_RETURN(const internal::BatchRequests requests,
                        internal::BatchRequests::Create(
                            options, *model, users_file.has_value() ? &*users_file : nullptr));

  // The output, resumed or fresh; a fresh one is removed again if the run fails before any
  // line is in it.
  ResumedOutput resumed;
  HRNN_ASSIGN_OR_RETURN(
      std::unique_ptr<BatchOutputFile> out,
      BatchOutputFile::Open(options.out, format, options.resume, model->version, &resumed));
  bool discard_partial = resumed.lines == 0;
  struct PartialGuard {
    const bool* discard;
    std::string path;
    ~PartialGuard() {
      std::error_code ec;
      if (*discard) std::filesystem::remove(path, ec);
    }
  } partial_guard{&discard_partial, out->partial_path()};

  // Every user's state, as the server holds it.
  UserStateStore store{UserStateStoreOptions()};
  if (!options.state_dir.empty()) {
    HRNN_ASSIGN_OR_RETURN(
        RecoveryStats recovered,
        internal::RecoverStateFromCopy(options.state_dir, options.temp_dir, *model, config, store));
    summary.recovery = recovered.ToString();
    if (model->recipes != nullptr && model->recipes->live_sessions() != nullptr) {
      // As the server's maintenance does: sessions idle past the timeout are finished.
      model->recipes->live_sessions()->FinishIdle(clock.NowMs());
    }
  }
  std::vector<std::string> all_users;
  std::vector<internal::BatchUserRef> asked;
  if (users_file.has_value()) {
    asked.reserve(users_file->users.size());
    for (const BatchUser& user : users_file->users) asked.push_back({&user.user_id, &user});
  } else {
    store.ForEachShard([&](const std::vector<std::pair<std::string, UserState>>& users) {
      for (const auto& [user_id, state] : users) {
        if (model->Owns(state)) all_users.push_back(user_id);
      }
    });
    std::sort(all_users.begin(), all_users.end());
    asked.reserve(all_users.size());
    for (const std::string& user_id : all_users) asked.push_back({&user_id, nullptr});
  }
  summary.users = static_cast<int64_t>(asked.size());
  std::vector<internal::BatchUserRef> todo;
  todo.reserve(asked.size());
  absl::flat_hash_set<absl::string_view> asked_ids;
  for (const internal::BatchUserRef& user : asked) {
    if (resumed.users.contains(*user.user_id)) {
      ++summary.resumed;
      asked_ids.insert(*user.user_id);
    } else {
      todo.push_back(user);
    }
  }
  summary.resumed_extra = static_cast<int64_t>(resumed.users.size() - asked_ids.size());
  summary.prepare_seconds = SecondsSince(prepare_start);

  if (options.benchmark) {
    const std::vector<float>& table = model->model().tensor("output.weight").values;
    summary.stream_bytes = static_cast<int64_t>(table.size() * sizeof(float));
    summary.stream_seconds = StreamReadSeconds(table, summary.threads);
    summary.stream_gb_per_second = summary.stream_bytes / summary.stream_seconds / 1e9;
    summary.stream_users_per_second = kMaxMatVecBatch / summary.stream_seconds;
  }

  // The server's request path over the recovered store, at the run's time.
  ServingModelHandle handle;
  handle.Set(model);
  CatalogueUpdater catalogue(&handle, nullptr, &clock);
  const RequestHandlers handlers(&config, &handle, &catalogue, &store, &clock, nullptr);

  const auto run_start = std::chrono::steady_clock::now();
  const int64_t num_blocks =
      (static_cast<int64_t>(todo.size()) + kMaxMatVecBatch - 1) / kMaxMatVecBatch;
  const int workers = static_cast<int>(
      std::max<int64_t>(1, std::min<int64_t>(summary.threads, std::max<int64_t>(num_blocks, 1))));
  internal::OrderedBlocks blocks(num_blocks, kBlocksAheadPerWorker * workers, workers);
  std::atomic<int64_t> next_block{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < workers; ++w) {
    threads.emplace_back([&] {
      Work(requests, handlers, *model, todo, format, options.recipe, next_block, hooks.cancel,
           blocks);
    });
  }
  BatchProgress progress;
  progress.total = static_cast<int64_t>(todo.size());
  progress.resumed = summary.resumed;
  absl::Status written = absl::OkStatus();
  internal::LineBlock block;
  int64_t blocks_written = 0;
  while (blocks.Take(&block)) {
    written = out->Append(block.lines);
    if (!written.ok()) {
      blocks.Abort();
      break;
    }
    discard_partial = false;
    ++blocks_written;
    summary.written += block.users;
    summary.no_history += block.no_history;
    summary.failed += block.failed;
    if (hooks.progress) {
      progress.done = summary.written;
      progress.seconds = SecondsSince(run_start);
      progress.users_per_second = progress.seconds > 0 ? progress.done / progress.seconds : 0;
      progress.eta_seconds = progress.users_per_second > 0
                                 ? (progress.total - progress.done) / progress.users_per_second
                                 : 0;
      hooks.progress(progress, /*final=*/false);
    }
  }
  blocks.Abort();  // Releases workers waiting for their turn after a failure.
  for (std::thread& thread : threads) thread.join();
  summary.run_seconds = SecondsSince(run_start);
  summary.users_per_second = summary.run_seconds > 0 ? summary.written / summary.run_seconds : 0;
  if (!written.ok()) return written;
  if (blocks_written < num_blocks) {
    return absl::CancelledError(absl::StrCat("interrupted after ", summary.written, " of ",
                                             todo.size(), " users; ", out->partial_path(),
                                             " holds them: run again with --resume"));
  }
  HRNN_RETURN_IF_ERROR(out->Commit());
  discard_partial = false;
  if (hooks.progress) {
    progress.done = summary.written;
    progress.seconds = summary.run_seconds;
    progress.users_per_second = summary.users_per_second;
    progress.eta_seconds = 0;
    hooks.progress(progress, /*final=*/true);
  }
  return summary;
}

}  // namespace hrnn
