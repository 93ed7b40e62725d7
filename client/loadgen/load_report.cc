#include "client/loadgen/load_report.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace hrnn::client::loadgen {
namespace {

double Ms(int64_t ns) { return static_cast<double>(ns) / 1e6; }

// A JSON string literal (quotes, backslashes and control characters escaped).
std::string Quote(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          absl::StrAppendFormat(&out, "\\u%04x", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string Num(double value) { return absl::StrFormat("%.6g", value); }

std::string LatencyJson(const LatencyHistogram& h, const std::string& indent) {
  return absl::StrCat("{\n", indent, "  \"count\": ", h.count(), ",\n", indent,
                      "  \"mean\": ", Num(h.mean() / 1e6), ",\n", indent,
                      "  \"p50\": ", Num(Ms(h.Percentile(0.50))), ",\n", indent,
                      "  \"p90\": ", Num(Ms(h.Percentile(0.90))), ",\n", indent,
                      "  \"p99\": ", Num(Ms(h.Percentile(0.99))), ",\n", indent,
                      "  \"p999\": ", Num(Ms(h.Percentile(0.999))), ",\n", indent,
                      "  \"max\": ", Num(Ms(h.max())), "\n", indent, "}");
}

std::string ErrorsJson(const std::map<std::string, int64_t>& errors) {
  std::string out = "{";
  bool first = true;
  for (const auto& [code, count] : errors) {
    absl::StrAppend(&out, first ? "" : ", ", Quote(code), ": ", count);
    first = false;
  }
  return out + "}";
}

std::string ErrorsText(const std::map<std::string, int64_t>& errors) {
  std::string out;
  for (const auto& [code, count] : errors) {
    absl::StrAppend(&out, out.empty() ? "" : ", ", code, " ", count);
  }
  return out;
}

std::string LatencyRow(const std::string& name, int64_t count, const LatencyHistogram& h) {
  return absl::StrFormat("%-20s %10d %9.3f %9.3f %9.3f %9.3f %9.3f\n", name, count,
                         Ms(h.Percentile(0.50)), Ms(h.Percentile(0.90)), Ms(h.Percentile(0.99)),
                         Ms(h.Percentile(0.999)), Ms(h.max()));
}

}  // namespace

int64_t LoadReport::sent() const {
  int64_t total = 0;
  for (const auto& [name, m] : methods) total += m.sent;
  return total;
}

int64_t LoadReport::ok() const {
  int64_t total = 0;
  for (const auto& [name, m] : methods) total += m.ok;
  return total;
}

std::map<std::string, int64_t> LoadReport::errors() const {
  std::map<std::string, int64_t> all;
  for (const auto& [name, m] : methods) {
    for (const auto& [code, count] : m.errors) all[code] += count;
  }
  return all;
}

int64_t LoadReport::errors_total() const {
  int64_t total = 0;
  for (const auto& [code, count] : errors()) total += count;
  return total;
}

LatencyHistogram LoadReport::latency_ns() const {
  LatencyHistogram all;
  for (const auto& [name, m] : methods) all.Merge(m.latency_ns);
  return all;
}

std::string FormatTable(const LoadReport& r) {
  std::string out =
      absl::StrFormat("hrnn-loadgen: %s loop, workload %s, target %s, %d connection(s)\n", r.mode,
                      r.workload, r.target, r.connections);
  if (r.mode == "open") {
    absl::StrAppendFormat(&out, "  offered   %.0f %s/s", r.target_rps, r.unit);
    if (r.workload == "events") absl::StrAppendFormat(&out, " over %d stream(s)", r.concurrency);
    out += "; latency from the intended send time\n";
  } else {
    absl::StrAppendFormat(
        &out, "  callers   %d %s\n", r.concurrency,
        r.workload == "events" ? "stream(s), writing back to back" : "caller(s), back to back");
  }
  if (!r.model_name.empty()) {
    absl::StrAppendFormat(&out, "  model     %s v%d, %d items; %d users\n", r.model_name,
                          r.model_version, r.model_items, r.users);
  }
  absl::StrAppendFormat(&out, "  window    %.1f s measured after %.1f s warm-up; elapsed %.2f s\n",
                        r.duration_s, r.warmup_s, r.elapsed_s);
  absl::StrAppendFormat(
      &out, "  %-9s %d sent, %d ok, %d errors%s\n", r.unit, r.sent(), r.ok(), r.errors_total(),
      r.errors_total() > 0 ? absl::StrCat(" (", ErrorsText(r.errors()), ")") : "");
  if (r.rejected_events > 0) {
    absl::StrAppendFormat(&out, "  rejected  %d events (answered, not accepted)\n",
                          r.rejected_events);
  }
  if (r.late_sends > 0) {
    absl::StrAppendFormat(&out,
                          "  late      %d sends left > 1 ms after their intended time "
                          "(the load generator was short of CPU)\n",
                          r.late_sends);
  }
  absl::StrAppendFormat(&out, "  achieved  %.1f %s/s\n", r.achieved_rps(), r.unit);
  absl::StrAppendFormat(&out, "%-20s %10s %9s %9s %9s %9s %9s\n", "latency (ms)", "ok", "p50",
                        "p90", "p99", "p99.9", "max");
  for (const auto& [name, m] : r.methods) out += LatencyRow(name, m.ok, m.latency_ns);
  if (r.methods.size() > 1) out += LatencyRow("all", r.ok(), r.latency_ns());
  return out;
}

std::string ToJson(const LoadReport& r) {
  std::string out = "{\n";
  absl::StrAppend(&out, "  \"target\": ", Quote(r.target), ",\n");
  absl::StrAppend(&out, "  \"mode\": ", Quote(r.mode), ",\n");
  absl::StrAppend(&out, "  \"workload\": ", Quote(r.workload), ",\n");
  absl::StrAppend(&out, "  \"unit\": ", Quote(r.unit), ",\n");
  absl::StrAppend(&out, "  \"target_rps\": ", Num(r.target_rps), ",\n");
  absl::StrAppend(&out, "  \"concurrency\": ", r.concurrency, ",\n");
  absl::StrAppend(&out, "  \"connections\": ", r.connections, ",\n");
  absl::StrAppend(&out, "  \"users\": ", r.users, ",\n");
  absl::StrAppend(&out, "  \"duration_s\": ", Num(r.duration_s), ",\n");
  absl::StrAppend(&out, "  \"warmup_s\": ", Num(r.warmup_s), ",\n");
  absl::StrAppend(&out, "  \"model\": {\"name\": ", Quote(r.model_name),
                  ", \"version\": ", r.model_version, ", \"num_items\": ", r.model_items, "},\n");
  absl::StrAppend(&out, "  \"elapsed_s\": ", Num(r.elapsed_s), ",\n");
  absl::StrAppend(&out, "  \"sent\": ", r.sent(), ",\n");
  absl::StrAppend(&out, "  \"ok\": ", r.ok(), ",\n");
  absl::StrAppend(&out, "  \"achieved_rps\": ", Num(r.achieved_rps()), ",\n");
  absl::StrAppend(&out, "  \"errors\": ", ErrorsJson(r.errors()), ",\n");
  absl::StrAppend(&out, "  \"errors_total\": ", r.errors_total(), ",\n");
  absl::StrAppend(&out, "  \"rejected_events\": ", r.rejected_events, ",\n");
  absl::StrAppend(&out, "  \"late_sends\": ", r.late_sends, ",\n");
  absl::StrAppend(&out, "  \"latency_ms\": ", LatencyJson(r.latency_ns(), "  "), ",\n");
  out += "  \"methods\": {";
  bool first = true;
  for (const auto& [name, m] : r.methods) {
    absl::StrAppend(&out, first ? "\n" : ",\n", "    ", Quote(name), ": {\"sent\": ", m.sent,
                    ", \"ok\": ", m.ok, ", \"errors\": ", ErrorsJson(m.errors),
                    ",\n      \"latency_ms\": ", LatencyJson(m.latency_ns, "      "), "}");
    first = false;
  }
  out += first ? "}\n" : "\n  }\n";
  return out + "}\n";
}

}  // namespace hrnn::client::loadgen
