#include "core/eval/experiment_report_writer.h"

#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace hrnn {
namespace {

constexpr absl::string_view kUndefinedCell = "–";

// `text` safe inside a markdown table cell or heading.
std::string MarkdownText(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if (c == '|') {
      out += "\\|";
    } else if (c == '\n' || c == '\r') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::string Timestamp(int64_t ms) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", absl::FromUnixMillis(ms), absl::UTCTimeZone());
}

std::string Percent(double share) {
  return std::isfinite(share) ? absl::StrFormat("%.2f%%", 100 * share)
                              : std::string(kUndefinedCell);
}

std::string SignedPercent(double change) {
  return std::isfinite(change) ? absl::StrFormat("%+.1f%%", 100 * change)
                               : std::string(kUndefinedCell);
}

std::string Amount(double value) {
  return std::isfinite(value) ? absl::StrFormat("%.2f", value) : std::string(kUndefinedCell);
}

// "point [low, high]", or "–" when the point is undefined.
std::string Cell(const EstimateWithInterval& estimate, std::string (*format)(double)) {
  if (!std::isfinite(estimate.value)) return std::string(kUndefinedCell);
  return absl::StrCat(format(estimate.value), " [", format(estimate.low), ", ",
                      format(estimate.high), "]");
}

nlohmann::json Number(double value) {
  return std::isfinite(value) ? nlohmann::json(value) : nlohmann::json(nullptr);
}

nlohmann::json EstimateJson(const EstimateWithInterval& estimate) {
  return {{"value", Number(estimate.value)},
          {"low", Number(estimate.low)},
          {"high", Number(estimate.high)}};
}

}  // namespace

std::string ExperimentReportMarkdown(const ExperimentReport& report) {
  const std::string level = absl::StrFormat("%g%%", 100 * report.confidence);
  std::string page = absl::StrCat("# Experiment report: ", MarkdownText(report.experiment), "\n\n");
  int64_t users = 0;
  for (const ArmReport& arm : report.arms) users += arm.users;
  if (users == 0) {
    absl::StrAppend(&page, "Period: none (no user left to count).\n\n");
  } else {
    absl::StrAppend(&page, "Period: ", Timestamp(report.first_timestamp_ms), " to ",
                    Timestamp(report.last_timestamp_ms), ".\n\n");
  }
  absl::StrAppend(
      &page, "Control arm: ", MarkdownText(report.control_arm),
      ". Events attributed by recommendation id: ", report.events_attributed_by_id, "; by the ",
      absl::FormatDuration(absl::Milliseconds(report.attribution_window_ms)),
      " window after a recommendation of the item: ", report.events_attributed_by_window,
      ". Users deleted: ", report.deleted_users, ".\n\n");
  absl::StrAppend(&page, "Intervals: ", level, " percentile bootstrap over each arm's users (",
                  report.resamples, " resamples, seed ", report.seed, ").\n\n");
  absl::StrAppend(&page, "| arm | users | recommendations | click-through [", level,
                  " CI] | conversion [", level, " CI] | value/user [", level,
                  " CI] | Δ click-through vs control [", level, " CI] |\n");
  absl::StrAppend(&page, "|---|--:|--:|--:|--:|--:|--:|\n");
  for (const ArmReport& arm : report.arms) {
    const bool is_control = arm.arm == report.control_arm;
    absl::StrAppend(
        &page, "| ", MarkdownText(arm.arm), is_control ? " (control)" : "", " | ", arm.users, " | ",
        arm.recommendations, " | ", Cell(arm.click_through, Percent), " | ",
        Cell(arm.conversion, Percent), " | ", Cell(arm.value_per_user, Amount), " | ",
        is_control ? std::string(kUndefinedCell) : Cell(arm.click_through_change, SignedPercent),
        " |\n");
  }
  return page;
}

std::string ExperimentReportJson(const ExperimentReport& report) {
  using nlohmann::json;
  json arms = json::array();
  for (const ArmReport& arm : report.arms) {
    arms.push_back({{"arm", arm.arm},
                    {"control", arm.arm == report.control_arm},
                    {"users", arm.users},
                    {"recommendations", arm.recommendations},
                    {"clicks", arm.clicks},
                    {"purchases", arm.purchases},
                    {"value", Number(arm.value)},
                    {"click_through", EstimateJson(arm.click_through)},
                    {"conversion", EstimateJson(arm.conversion)},
                    {"value_per_user", EstimateJson(arm.value_per_user)},
                    {"click_through_change", EstimateJson(arm.click_through_change)},
                    {"conversion_change", EstimateJson(arm.conversion_change)},
                    {"value_per_user_change", EstimateJson(arm.value_per_user_change)}});
  }
  json root = {
      {"experiment", report.experiment},
      {"control_arm", report.control_arm},
      {"period",
       {{"first_timestamp_ms", report.first_timestamp_ms},
        {"last_timestamp_ms", report.last_timestamp_ms}}},
      {"attribution",
       {{"window_ms", report.attribution_window_ms},
        {"events_by_id", report.events_attributed_by_id},
        {"events_by_window", report.events_attributed_by_window}}},
      {"deleted_users", report.deleted_users},
      {"bootstrap",
       {{"resamples", report.resamples}, {"confidence", report.confidence}, {"seed", report.seed}}},
      {"arms", std::move(arms)},
  };
  // Names come from clients: never throw on invalid UTF-8.
  return root.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace hrnn
