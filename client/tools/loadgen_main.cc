// hrnn-loadgen: a load generator for the hrnn Recommender service (DESIGN §10): open loop at a
// fixed rate (latency from the intended send time) or closed loop with N callers, over a
// Zipf-distributed user population with storefront sessions; prints a table and writes JSON.
// Flags are parsed here only; the run is client/loadgen/RunLoad.
#include <cstdint>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "client/filter_values.h"
#include "client/loadgen/item_catalog.h"
#include "client/loadgen/load_report.h"
#include "client/loadgen/load_runner.h"
#include "client/loadgen/workload.h"
#include "client/tools/flags_usage.h"

ABSL_FLAG(std::string, target, "", "Server address HOST:PORT. Required; the only address used.");
ABSL_FLAG(std::string, mode, "open",
          "open: requests at --rate on a fixed schedule, latency from the intended send time; "
          "closed: --concurrency callers back to back.");
ABSL_FLAG(double, rate, 0, "Open loop: requests (events workload: events) per second, total.");
ABSL_FLAG(int, concurrency, 0,
          "Closed loop: concurrent callers. Events workload: the number of streams (default one "
          "per connection), in either mode.");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(10), "Measurement window (after --warmup).");
ABSL_FLAG(absl::Duration, warmup, absl::Seconds(1), "Load sent before the window, not counted.");
ABSL_FLAG(int64_t, max_requests, 0,
          "Stop after this many requests (events), warm-up included; 0 = bounded by time only.");
ABSL_FLAG(std::string, workload, "recommend",
          "recommend (GetRecommendations), events (StreamEvents streams), mix (unary PutEvents "
          "and GetRecommendations, --mix_events_per_recommend to 1) or similar (GetSimilarItems "
          "of popularity-drawn items, no user).");
ABSL_FLAG(int, mix_events_per_recommend, 10, "mix: events per GetRecommendations.");
ABSL_FLAG(int64_t, users, 10000, "User population size (ids <user_prefix>0..N-1).");
ABSL_FLAG(double, zipf, 1.0, "Zipf exponent of user popularity (0 = uniform).");
ABSL_FLAG(bool, users_sequential, false,
          "Visit users in turn instead of drawing them (N actions touch N users: loads state).");
ABSL_FLAG(double, session_length, 5, "Mean actions per user session (geometric) before it ends.");
ABSL_FLAG(std::string, user_prefix, "lg-u", "Prefix of the generated user ids.");
ABSL_FLAG(std::string, items_from, "",
          "Model directory whose items.tsv gives the item ids and popularity: a model root "
          "models/<name>/ (its highest integer version) or a version folder. Required unless "
          "--synthetic_items is set.");
ABSL_FLAG(int64_t, synthetic_items, 0,
          "Instead of --items_from: item ids i0..i<N-1> (hrnn-synth's ids), Zipf popularity.");
ABSL_FLAG(double, item_skew, 1.0, "Items are drawn with probability ∝ popularity^item_skew.");
ABSL_FLAG(int, num_results, 25, "GetRecommendations and GetSimilarItems num_results (1..500).");
ABSL_FLAG(bool, session_ids, true,
          "Send the generated session id with each GetRecommendations (false: the server uses "
          "the user's open session while it is live, e.g. one an events run left).");
ABSL_FLAG(std::string, recipe, "",
          "GetRecommendations recipe (hrnn, sknn, sr, personal, trending, auto; empty: the "
          "model's default).");
ABSL_FLAG(std::string, filter, "",
          "GetRecommendations and GetSimilarItems: a named filter of the server's "
          "--filters_file (Filter.name).");
ABSL_FLAG(std::string, filter_values, "",
          "The named filter's parameter values: PARAM=V1|V2;PARAM2=V (needs --filter).");
ABSL_FLAG(bool, exclude_session_items, false,
          "GetRecommendations: ask to exclude the session's items.");
ABSL_FLAG(int, connections, 1, "gRPC channels (TCP connections), used round-robin (1..64).");
ABSL_FLAG(absl::Duration, deadline, absl::Seconds(1), "Deadline of each unary call.");
ABSL_FLAG(uint64_t, seed, 1, "Seed of the user, session and item choices.");
ABSL_FLAG(std::string, json, "", "Also write the report as JSON to this file.");
ABSL_FLAG(bool, check_model, true,
          "Call GetModelInfo first and fail when the server does not answer it.");

namespace {

namespace lg = hrnn::client::loadgen;

constexpr char kUsage[] =
    "A load generator for the hrnn recommendation service.\n"
    "Usage: hrnn-loadgen --target=HOST:PORT --mode=open|closed --rate=RPS|--concurrency=N\n"
    "         --duration=10s --workload=recommend|events|mix|similar --users=N\n"
    "         --items_from=MODEL_DIR [--recipe=R] [--filter=NAME --filter_values=P=V1|V2;Q=V]\n"
    "         [--json=OUT.json] [--warmup=1s] [--max_requests=N] [--connections=N] ...\n"
    "Prints achieved rate, errors by status code and latency p50/p90/p99/p99.9/max (ms).\n"
    "Exit status: 0 the run completed (failed calls are counted, not fatal), 1 the target could\n"
    "not be reached or the JSON not written, 2 bad usage.";

int UsageError(const std::string& message) {
  std::cerr << "hrnn-loadgen: " << message << " (see hrnn-loadgen --help)\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(kUsage);
  hrnn::client::ShowFlagsFrom("loadgen_main");
  const std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  if (positional.size() > 1) {
    return UsageError(absl::StrCat("unexpected argument \"", positional[1], "\""));
  }

  lg::LoadConfig config;
  config.target = absl::GetFlag(FLAGS_target);
  const std::string mode = absl::GetFlag(FLAGS_mode);
  if (mode == "open") {
    config.mode = lg::LoadMode::kOpen;
  } else if (mode == "closed") {
    config.mode = lg::LoadMode::kClosed;
  } else {
    return UsageError(absl::StrCat("--mode=", mode, " is not open or closed"));
  }
  config.rate = absl::GetFlag(FLAGS_rate);
  config.concurrency = absl::GetFlag(FLAGS_concurrency);
  config.duration = absl::GetFlag(FLAGS_duration);
  config.warmup = absl::GetFlag(FLAGS_warmup);
  config.max_requests = absl::GetFlag(FLAGS_max_requests);
  config.connections = absl::GetFlag(FLAGS_connections);
  config.num_results = absl::GetFlag(FLAGS_num_results);
  config.exclude_session_items = absl::GetFlag(FLAGS_exclude_session_items);
  config.recipe = absl::GetFlag(FLAGS_recipe);
  if (!absl::GetFlag(FLAGS_filter).empty()) {
    absl::Status filter = hrnn::client::SetNamedFilter(
        absl::GetFlag(FLAGS_filter), absl::GetFlag(FLAGS_filter_values), &config.named_filter);
    if (!filter.ok()) return UsageError(absl::StrCat("--filter_values: ", filter.message()));
  } else if (!absl::GetFlag(FLAGS_filter_values).empty()) {
    return UsageError("--filter_values needs --filter");
  }
  config.session_ids = absl::GetFlag(FLAGS_session_ids);
  config.deadline = absl::GetFlag(FLAGS_deadline);
  config.check_model = absl::GetFlag(FLAGS_check_model);
  absl::StatusOr<lg::WorkloadKind> kind = lg::ParseWorkloadKind(absl::GetFlag(FLAGS_workload));
  if (!kind.ok()) return UsageError(std::string(kind.status().message()));
  config.workload.kind = *kind;
  config.workload.users = absl::GetFlag(FLAGS_users);
  config.workload.zipf = absl::GetFlag(FLAGS_zipf);
  config.workload.users_sequential = absl::GetFlag(FLAGS_users_sequential);
  config.workload.session_length = absl::GetFlag(FLAGS_session_length);
  config.workload.events_per_recommend = absl::GetFlag(FLAGS_mix_events_per_recommend);
  config.workload.item_skew = absl::GetFlag(FLAGS_item_skew);
  config.workload.user_prefix = absl::GetFlag(FLAGS_user_prefix);
  config.workload.seed = absl::GetFlag(FLAGS_seed);
  if (absl::Status status = config.Validate(); !status.ok()) {
    return UsageError(std::string(status.message()));
  }

  const std::string items_from = absl::GetFlag(FLAGS_items_from);
  const int64_t synthetic_items = absl::GetFlag(FLAGS_synthetic_items);
  if (items_from.empty() == (synthetic_items <= 0)) {
    return UsageError("give exactly one of --items_from=MODEL_DIR and --synthetic_items=N");
  }
  lg::ItemCatalog items;
  if (!items_from.empty()) {
    absl::StatusOr<lg::ItemCatalog> read = lg::ReadItemCatalog(items_from);
    if (!read.ok()) return UsageError(absl::StrCat("--items_from: ", read.status().message()));
    items = *std::move(read);
  } else {
    for (int64_t i = 0; i < synthetic_items; ++i) {
      items.ids.push_back(absl::StrCat("i", i));
      items.popularity.push_back(synthetic_items / (i + 1) + 1);
    }
  }

  const absl::StatusOr<lg::LoadReport> report = lg::RunLoad(config, items);
  if (!report.ok()) {
    std::cerr << "hrnn-loadgen: " << report.status() << "\n";
    return 1;
  }
  std::cout << lg::FormatTable(*report) << std::flush;
  if (const std::string json = absl::GetFlag(FLAGS_json); !json.empty()) {
    std::ofstream out(json);
    out << lg::ToJson(*report);
    out.close();
    if (!out) {
      std::cerr << "hrnn-loadgen: --json: cannot write " << json << "\n";
      return 1;
    }
  }
  return 0;
}
