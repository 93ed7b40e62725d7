// RunLoad: drives one load-generator run against a Recommender server and measures it.
// - Open loop: requests leave on a fixed schedule at `rate` (OpenLoopSchedule) through the gRPC
//   callback API, so a slow response never delays the next send; latency is measured from each
//   request's intended send time (coordinated omission is not hidden).
// - Closed loop: `concurrency` callers, each sending its next request when the previous one
//   completes; latency from the actual send.
// - Workloads: GetRecommendations (of one recipe, or the model's default); GetSimilarItems of
//   popularity-drawn items; events on long-lived StreamEvents streams (`concurrency`
//   streams, written as fast as flow control allows, or at `rate` in total in open loop;
//   latency is then the time until Write() handed the event to the transport, and an event
//   counts as ok once the stream's final response accepted it); or the storefront mix of unary
//   PutEvents (one event each) and GetRecommendations.
// It only connects to config.target. Thread-safe: runs may proceed concurrently.
#ifndef HRNN_CLIENT_LOADGEN_LOAD_RUNNER_H_
#define HRNN_CLIENT_LOADGEN_LOAD_RUNNER_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/loadgen/item_catalog.h"
#include "client/loadgen/load_report.h"
#include "client/loadgen/workload.h"
#include "hrnn/v1/recommender.pb.h"

namespace hrnn::client::loadgen {

enum class LoadMode { kOpen, kClosed };

struct LoadConfig {
  // gRPC target HOST:PORT. Required.
  std::string target;
  // Default: open loop.
  LoadMode mode = LoadMode::kOpen;
  // Open loop: requests (events, for the events workload) per second in total. Required > 0 in
  // open loop; must be 0 in closed loop.
  double rate = 0;
  // Closed loop: concurrent callers (required, >= 1). Events workload, both modes: the number of
  // streams (0: one per connection). Otherwise must be 0 in open loop.
  int concurrency = 0;
  // The measurement window, after the warm-up. Default: 10 s. Must be positive.
  absl::Duration duration = absl::Seconds(10);
  // Sent but not counted, before the window. Default: 1 s. Must be >= 0.
  absl::Duration warmup = absl::Seconds(1);
  // Deadline of each unary call (streams: the run's length plus this). Default: 1 s. > 0.
  absl::Duration deadline = absl::Seconds(1);
  // Most requests (events) sent, warm-up included; 0 = no bound but the duration. Default: 0.
  int64_t max_requests = 0;
  // gRPC channels (each its own TCP connection); requests go round-robin. Default: 1. 1..64.
  int connections = 1;
  // GetRecommendations num_results. Default: 25. 1..500.
  int num_results = 25;
  // Ask for Filter.exclude_session_items. Default: false.
  bool exclude_session_items = false;
  // GetRecommendations' recipe ("" = the model's default). Default: "".
  std::string recipe;
  // A named filter (Filter.name and Filter.values) merged into every GetRecommendations and
  // GetSimilarItems request. Default: none (an empty name).
  hrnn::v1::Filter named_filter;
  // Send the generated session id with each GetRecommendations. Without it the server answers
  // from the user's open session while it is live (e.g. the one an earlier events run left).
  // Default: true.
  bool session_ids = true;
  // Ask GetModelInfo before the run (the run fails when the server does not answer it).
  // Default: true.
  bool check_model = true;
  // Users, sessions and items.
  WorkloadOptions workload;

  // Returns InvalidArgument naming the first bad field, else OK.
  absl::Status Validate() const;
};

// Runs the load and returns what it measured. `items` gives the item ids events click on.
// Errors: InvalidArgument for a bad config or empty `items`; UNAVAILABLE when the target cannot
// be reached (connect or GetModelInfo within 5 s); DeadlineExceeded when calls were still in
// flight 10 s after their deadline (should not happen). Failed calls during the run are not
// errors of RunLoad: they are counted in the report by status code.
absl::StatusOr<LoadReport> RunLoad(const LoadConfig& config, const ItemCatalog& items);

}  // namespace hrnn::client::loadgen

#endif  // HRNN_CLIENT_LOADGEN_LOAD_RUNNER_H_
