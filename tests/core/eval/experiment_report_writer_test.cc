#include "core/eval/experiment_report_writer.h"

#include <cmath>
#include <limits>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace hrnn {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

ExperimentReport TwoArmReport() {
  ExperimentReport report;
  report.experiment = "ranker";
  report.control_arm = "control";
  report.first_timestamp_ms = 1'700'000'000'000;  // 2023-11-14 22:13:20 UTC.
  report.last_timestamp_ms = 1'700'086'400'000;
  report.events_attributed_by_id = 12;
  report.events_attributed_by_window = 3;
  report.resamples = 1000;
  report.confidence = 0.95;
  report.seed = 42;
  report.attribution_window_ms = 30 * 60 * 1000;
  ArmReport control;
  control.arm = "control";
  control.users = 10;
  control.recommendations = 40;
  control.clicks = 4;
  control.click_through = {0.1, 0.05, 0.15};
  control.conversion = {0.2, 0.0, 0.4};
  control.value_per_user = {1.5, 0.5, 2.5};
  control.click_through_change = control.conversion_change =
      control.value_per_user_change = {kNaN, kNaN, kNaN};
  ArmReport treatment = control;
  treatment.arm = "new|model";
  treatment.click_through = {0.125, 0.0625, 0.1875};
  treatment.click_through_change = {0.25, -0.125, 0.5};
  treatment.conversion_change = {0, -1, 1};
  treatment.value_per_user_change = {kNaN, kNaN, kNaN};
  report.arms = {control, treatment};
  return report;
}

TEST(ExperimentReportWriterTest, MarkdownHasTheHeadingPeriodAndOneRowPerArm) {
  const std::string page = ExperimentReportMarkdown(TwoArmReport());
  EXPECT_THAT(page, HasSubstr("# Experiment report: ranker\n"));
  EXPECT_THAT(page, HasSubstr("2023-11-14 22:13:20 UTC to 2023-11-15 22:13:20 UTC"));
  EXPECT_THAT(page, HasSubstr("| arm | users | recommendations | click-through [95% CI] | "
                              "conversion [95% CI] | value/user [95% CI] | "
                              "Δ click-through vs control [95% CI] |\n"));
  EXPECT_THAT(page, HasSubstr("| control (control) | 10 | 40 | 10.00% [5.00%, 15.00%] | "
                              "20.00% [0.00%, 40.00%] | 1.50 [0.50, 2.50] | – |\n"));
  EXPECT_THAT(page, HasSubstr("| new\\|model | 10 | 40 | 12.50% [6.25%, 18.75%] | "
                              "20.00% [0.00%, 40.00%] | 1.50 [0.50, 2.50] | "
                              "+25.0% [-12.5%, +50.0%] |\n"));
  EXPECT_THAT(page, HasSubstr("by recommendation id: 12"));
  EXPECT_THAT(page, HasSubstr("30m window"));
  EXPECT_THAT(page, Not(HasSubstr("nan")));
}

TEST(ExperimentReportWriterTest, JsonHoldsEveryFigureAndNullForUndefined) {
  const nlohmann::json json = nlohmann::json::parse(ExperimentReportJson(TwoArmReport()));
  EXPECT_EQ(json["experiment"], "ranker");
  EXPECT_EQ(json["control_arm"], "control");
  EXPECT_EQ(json["period"]["first_timestamp_ms"], 1'700'000'000'000);
  EXPECT_EQ(json["attribution"]["events_by_id"], 12);
  EXPECT_EQ(json["attribution"]["events_by_window"], 3);
  EXPECT_EQ(json["attribution"]["window_ms"], 1'800'000);
  EXPECT_EQ(json["bootstrap"]["resamples"], 1000);
  ASSERT_EQ(json["arms"].size(), 2u);
  const nlohmann::json& control = json["arms"][0];
  EXPECT_EQ(control["arm"], "control");
  EXPECT_EQ(control["control"], true);
  EXPECT_EQ(control["users"], 10);
  EXPECT_EQ(control["recommendations"], 40);
  EXPECT_EQ(control["clicks"], 4);
  EXPECT_DOUBLE_EQ(control["click_through"]["value"].get<double>(), 0.1);
  EXPECT_TRUE(control["click_through_change"]["value"].is_null());
  const nlohmann::json& treatment = json["arms"][1];
  EXPECT_EQ(treatment["arm"], "new|model");
  EXPECT_DOUBLE_EQ(treatment["click_through_change"]["low"].get<double>(), -0.125);
  EXPECT_TRUE(treatment["value_per_user_change"]["high"].is_null());
}

TEST(ExperimentReportWriterTest, JsonEscapesNames) {
  ExperimentReport report = TwoArmReport();
  report.experiment = "quote\" backslash\\ newline\n bad-utf8\xff";
  const nlohmann::json json = nlohmann::json::parse(ExperimentReportJson(report));
  EXPECT_EQ(json["experiment"], "quote\" backslash\\ newline\n bad-utf8\xEF\xBF\xBD");
}

}  // namespace
}  // namespace hrnn
