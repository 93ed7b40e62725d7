// Renders an ExperimentReport (core/eval/experiment_report.h) for people (a markdown page) and
// machines (JSON). Stateless functions; thread-safe.
#ifndef HRNN_CORE_EVAL_EXPERIMENT_REPORT_WRITER_H_
#define HRNN_CORE_EVAL_EXPERIMENT_REPORT_WRITER_H_

#include <string>

#include "core/eval/experiment_report.h"

namespace hrnn {

// A markdown page: a heading naming the experiment, the period (UTC), the control arm, the
// attribution and bootstrap settings, and one table (arm | users | recommendations |
// click-through [CI] | conversion [CI] | value/user [CI] | Δ click-through vs control [CI]), rates
// as percentages with two decimals, changes with one; undefined figures as "–". Names are
// escaped for the table ("|" as "\|", line breaks as spaces).
std::string ExperimentReportMarkdown(const ExperimentReport& report);

// A pretty-printed JSON object: "experiment", "control_arm", "period" {"first_timestamp_ms",
// "last_timestamp_ms"}, "attribution" {"window_ms", "events_by_id", "events_by_window"},
// "deleted_users", "bootstrap" {"resamples", "confidence", "seed"}, and "arms": one object per
// arm (by name) with "arm", "control" (bool), "users", "recommendations", "clicks", "purchases",
// "value" and, for each of "click_through", "conversion", "value_per_user",
// "click_through_change", "conversion_change" and "value_per_user_change", an object {"value",
// "low", "high"}. NaN is null; invalid UTF-8 in names becomes U+FFFD.
std::string ExperimentReportJson(const ExperimentReport& report);

}  // namespace hrnn

#endif  // HRNN_CORE_EVAL_EXPERIMENT_REPORT_WRITER_H_
