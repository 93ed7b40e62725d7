// LoadReport: what one load-generator run measured (counts, errors by gRPC status code, the
// achieved rate and latency percentiles, overall and per method), printed as a table and as
// JSON. The JSON keys achieved_rps, errors and latency_ms{p50,p90,p99,p999,max} are the
// DESIGN §10 contract. A plain value type; not synchronized.
#ifndef HRNN_CLIENT_LOADGEN_LOAD_REPORT_H_
#define HRNN_CLIENT_LOADGEN_LOAD_REPORT_H_

#include <cstdint>
#include <map>
#include <string>

#include "client/loadgen/latency_histogram.h"

namespace hrnn::client::loadgen {

// One method's calls within the measurement window.
struct MethodStats {
  int64_t sent = 0;                       // Calls (or stream writes) started in the window.
  int64_t ok = 0;                         // Of those, the ones that succeeded.
  std::map<std::string, int64_t> errors;  // Failed ones by status code name ("UNAVAILABLE").
  LatencyHistogram latency_ns;            // Successful calls only.
};

struct LoadReport {
  // The run's settings.
  std::string target;
  std::string mode;       // "open" or "closed".
  std::string workload;   // "recommend", "events", "mix" or "similar".
  std::string unit;       // What achieved_rps counts: "requests", or "events" (events workload).
  double target_rps = 0;  // Open loop; 0 in closed loop.
  int concurrency = 0;    // Closed loop callers, or event streams.
  int connections = 0;
  double duration_s = 0;  // The measurement window.
  double warmup_s = 0;
  int64_t users = 0;

  // The server's model (from GetModelInfo before the run; empty when it failed).
  std::string model_name;
  int64_t model_version = 0;
  int64_t model_items = 0;

  // Results. Only calls started in the measurement window count.
  // elapsed_s: from the window's start to the last completion of a counted call (at least the
  // time sends went on), so a server that falls behind lowers achieved_rps.
  double elapsed_s = 0;
  std::map<std::string, MethodStats> methods;  // By method, e.g. "GetRecommendations".
  int64_t rejected_events = 0;  // Events the server answered as rejected (not call errors).
  int64_t late_sends = 0;       // Open loop: sends that left > 1 ms after their intended time.

  // Totals over the methods.
  int64_t sent() const;
  int64_t ok() const;
  std::map<std::string, int64_t> errors() const;
  int64_t errors_total() const;
  LatencyHistogram latency_ns() const;
  double achieved_rps() const { return elapsed_s > 0 ? ok() / elapsed_s : 0.0; }
};

// The human-readable summary (several lines, ends with a newline).
std::string FormatTable(const LoadReport& report);

// The report as one JSON object (pretty-printed, ends with a newline). Latencies in
// milliseconds: "latency_ms": {"count", "mean", "p50", "p90", "p99", "p999", "max"}.
std::string ToJson(const LoadReport& report);

}  // namespace hrnn::client::loadgen

#endif  // HRNN_CLIENT_LOADGEN_LOAD_REPORT_H_
