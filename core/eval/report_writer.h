// Renders an EvaluationReport (core/eval/evaluation_run.h) for people and machines: a text
// table for stdout, JSON, and a report directory with a markdown page and its SVG chart.
// Stateless functions; thread-safe.
#ifndef HRNN_CORE_EVAL_REPORT_WRITER_H_
#define HRNN_CORE_EVAL_REPORT_WRITER_H_

#include <string>

#include "absl/status/status.h"
#include "core/eval/evaluation_run.h"

namespace hrnn {

// The protocol line, then one row per method: Recall/MRR/NDCG at each cutoff, coverage,
// popularity percentile, the bootstrap intervals and the tie-shuffled headline metrics.
std::string FormatReportTable(const EvaluationReport& report);

// JSON object: "protocol", "split", "split_stats", "catalogue_items", "test_predictions",
// "exclude_seen", "cutoffs", "headline_k", "list_size", "bootstrap", "timestamp_ties",
// "tie_shuffle" and "methods" (one object per method with "name", "kind", "source",
// "description", "predictions", "recall"/"mrr"/"ndcg" keyed by k as a string, "coverage",
// "popularity_percentile", "recall_ci"/"mrr_ci" [low, high], "tie_shuffled_recall"/
// "tie_shuffled_mrr" (null when not measured) and "seconds"). Pretty-printed.
std::string ReportToJson(const EvaluationReport& report);

// A markdown page: protocol and data, the results table (best value per column in bold),
// intervals, tie sensitivity, how each method treats the current item, and the chart image
// `chart_file` (a path relative to the page).
std::string ReportToMarkdown(const EvaluationReport& report, const std::string& chart_file);

// Writes DIR/report.md, DIR/chart.svg and DIR/report.json (creating DIR). Errors: the I/O
// error naming the path.
absl::Status WriteReportDirectory(const EvaluationReport& report, const std::string& dir);

}  // namespace hrnn

#endif  // HRNN_CORE_EVAL_REPORT_WRITER_H_
