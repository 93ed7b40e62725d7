#include "core/eval/experiment_report.h"

#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace hrnn {
namespace {

using ::hrnn::testing::StatusIs;
using ::testing::HasSubstr;

constexpr int64_t kT0 = 1'700'000'000'000;
constexpr int64_t kMinute = 60 * 1000;

// A 32-hex-digit random part; with `arm`, the id an experiment's call answers.
std::string RecommendationId(int n, const std::string& experiment = "",
                             const std::string& arm = "") {
  std::string id = absl::StrFormat("%032x", n);
  if (!arm.empty()) id += ":" + experiment + ":" + arm;
  return id;
}

EventRecord Served(const std::string& user, const std::string& arm, std::vector<std::string> items,
                   int64_t timestamp_ms, std::string id = "",
                   const std::string& experiment = "exp") {
  static int next_id = 1;
  EventRecord record;
  record.kind = EventRecord::Kind::kRecommendation;
  record.user_id = user;
  record.experiment = experiment;
  record.arm = arm;
  record.recipe = "hrnn";
  record.item_ids = std::move(items);
  record.timestamp_ms = timestamp_ms;
  record.recommendation_id = id.empty() ? RecommendationId(next_id++, experiment, arm) : id;
  return record;
}

EventRecord Event(const std::string& user, const std::string& type, const std::string& item,
                  int64_t timestamp_ms, std::string recommendation_id = "",
                  std::optional<double> value = std::nullopt) {
  EventRecord record;
  record.kind = EventRecord::Kind::kEvent;
  record.user_id = user;
  record.event_type = type;
  record.item_id = item;
  record.timestamp_ms = timestamp_ms;
  record.recommendation_id = std::move(recommendation_id);
  record.event_value = value;
  return record;
}

EventRecord DeleteUser(const std::string& user, int64_t timestamp_ms) {
  EventRecord record;
  record.kind = EventRecord::Kind::kDeleteUser;
  record.user_id = user;
  record.timestamp_ms = timestamp_ms;
  return record;
}

ExperimentReportOptions Options() {
  ExperimentReportOptions options;
  options.experiment = "exp";
  options.resamples = 200;
  return options;
}

absl::StatusOr<ExperimentReport> Report(const std::vector<EventRecord>& records,
                                        const ExperimentReportOptions& options = Options()) {
  absl::StatusOr<std::unique_ptr<ExperimentReportBuilder>> builder =
      ExperimentReportBuilder::Create(options);
  if (!builder.ok()) return builder.status();
  uint64_t seq = 0;
  for (EventRecord record : records) {
    record.seq = ++seq;
    (*builder)->Add(record);
  }
  return (*builder)->Finish();
}

const ArmReport& Arm(const ExperimentReport& report, const std::string& name) {
  for (const ArmReport& arm : report.arms) {
    if (arm.arm == name) return arm;
  }
  ADD_FAILURE() << "no arm " << name;
  static const ArmReport kNone;
  return kNone;
}

void ExpectContainsPoint(const EstimateWithInterval& estimate, const std::string& what) {
  EXPECT_LE(estimate.low, estimate.value) << what;
  EXPECT_GE(estimate.high, estimate.value) << what;
}

TEST(ExperimentReportTest, EventWithAServedIdCountsForThatRecordsArm) {
  // The served id carries no arm: only the served record tells it.
  const std::string id = RecommendationId(7);
  ASSERT_OK_AND_ASSIGN(const ExperimentReport report,
                       Report({Served("u1", "a", {"x"}, kT0, id),
                               Event("u1", "click", "not-served", kT0 + 2 * kMinute, id)}));
  EXPECT_EQ(Arm(report, "a").clicks, 1);
  EXPECT_EQ(Arm(report, "a").recommendations, 1);
  EXPECT_EQ(report.events_attributed_by_id, 1);
  EXPECT_EQ(report.events_attributed_by_window, 0);
}

TEST(ExperimentReportTest, IdOfARetiredRecordCountsForTheArmItNames) {
  ASSERT_OK_AND_ASSIGN(
      const ExperimentReport report,
      Report({Served("u1", "a", {"x"}, kT0),
              // Served before the log's oldest record: only the id tells the arm.
              Event("u2", "click", "y", kT0 + kMinute, RecommendationId(99, "exp", "b")),
              // Another experiment's id is not ours (and u3 was served nothing).
              Event("u3", "click", "y", kT0 + kMinute, RecommendationId(98, "other", "b"))}));
  ASSERT_EQ(report.arms.size(), 2u);
  EXPECT_EQ(Arm(report, "b").clicks, 1);
  EXPECT_EQ(Arm(report, "b").users, 1);
  EXPECT_EQ(Arm(report, "b").recommendations, 0);
  EXPECT_EQ(report.events_attributed_by_id, 1);
}

TEST(ExperimentReportTest, WindowCountsTheUsersOwnServedItemsWithinTheWindowAfterServing) {
  ASSERT_OK_AND_ASSIGN(
      const ExperimentReport report,
      Report({Served("u1", "a", {"x", "y"}, kT0), Served("u2", "a", {"z"}, kT0),
              Event("u1", "click", "x", kT0 + 10 * kMinute),  // Inside: counted.
              Event("u1", "click", "y", kT0 + 30 * kMinute),  // At the window's end: counted.
              Event("u1", "click", "x", kT0 + 31 * kMinute),  // After it.
              Event("u1", "click", "x", kT0 - kMinute),       // Before the recommendation.
              Event("u1", "click", "q", kT0 + kMinute),       // Not served.
              Event("u1", "click", "z", kT0 + kMinute),       // Served to another user.
              Event("u3", "click", "x", kT0 + kMinute)}));    // A user served nothing.
  EXPECT_EQ(Arm(report, "a").clicks, 2);
  EXPECT_EQ(Arm(report, "a").users, 2);
  EXPECT_EQ(report.events_attributed_by_window, 2);
}

TEST(ExperimentReportTest, WindowPicksTheNewestMatchingRecommendation) {
  ASSERT_OK_AND_ASSIGN(
      const ExperimentReport report,
      Report({Served("u1", "a", {"x"}, kT0), Served("u1", "b", {"x"}, kT0 + kMinute),
              Event("u1", "click", "x", kT0 + 2 * kMinute)}));
  EXPECT_EQ(Arm(report, "a").clicks, 0);
  EXPECT_EQ(Arm(report, "b").clicks, 1);
}

TEST(ExperimentReportTest, WindowLeavesAnEventToANewerAnswerOutsideTheExperiment) {
  // As the server counts it live: the newest answer holding the item takes the event, and an
  // answer outside the experiment (a call that named its recipe, GetSimilarItems) is not ours.
  ASSERT_OK_AND_ASSIGN(
      const ExperimentReport report,
      Report({Served("u1", "a", {"x", "y"}, kT0), Served("u1", "", {"x"}, kT0 + kMinute, "", ""),
              Event("u1", "click", "x", kT0 + 2 * kMinute),     // The newer answer's.
              Event("u1", "click", "y", kT0 + 2 * kMinute)}));  // Only arm a held it.
  EXPECT_EQ(Arm(report, "a").clicks, 1);
  EXPECT_EQ(report.events_attributed_by_window, 1);
}

TEST(ExperimentReportTest, AnIdTheServerIssuedOutsideTheExperimentDecides) {
  // The item is in arm a's window, but the event came from an answer outside the experiment.
  ASSERT_OK_AND_ASSIGN(const ExperimentReport report,
                       Report({Served("u1", "a", {"x"}, kT0),
                               Event("u1", "click", "x", kT0 + kMinute, RecommendationId(60)),
                               // An id the server did not issue falls through to the window.
                               Event("u1", "click", "x", kT0 + kMinute, "campaign-7")}));
  EXPECT_EQ(Arm(report, "a").clicks, 1);
  EXPECT_EQ(report.events_attributed_by_id, 0);
  EXPECT_EQ(report.events_attributed_by_window, 1);
}

TEST(ExperimentReportTest, WindowIsAnOption) {
  ExperimentReportOptions options = Options();
  options.attribution_window_ms = 60 * kMinute;
  ASSERT_OK_AND_ASSIGN(
      const ExperimentReport report,
      Report({Served("u1", "a", {"x"}, kT0), Event("u1", "click", "x", kT0 + 45 * kMinute)},
             options));
  EXPECT_EQ(Arm(report, "a").clicks, 1);
}

TEST(ExperimentReportTest, AnEventIsAttributedAtMostOnce) {
  ASSERT_OK_AND_ASSIGN(
      const ExperimentReport report,
      Report({Served("u1", "a", {"x"}, kT0),
              // Its item is in arm a's window, but its id names arm b: the id wins.
              Event("u1", "click", "x", kT0 + kMinute, RecommendationId(50, "exp", "b"))}));
  EXPECT_EQ(Arm(report, "a").clicks, 0);
  EXPECT_EQ(Arm(report, "b").clicks, 1);
  EXPECT_EQ(report.events_attributed_by_id + report.events_attributed_by_window, 1);
}

TEST(ExperimentReportTest, DeleteUserRemovesEverythingOfTheUserRecordedBeforeIt) {
  ASSERT_OK_AND_ASSIGN(
      const ExperimentReport report,
      Report({Served("u1", "a", {"x"}, kT0), Event("u1", "purchase", "x", kT0 + 1, "", 9.0),
              Served("u2", "a", {"x"}, kT0), DeleteUser("u1", kT0 + 2),
              // The served list went with the user: no window match.
              Event("u1", "click", "x", kT0 + 3), DeleteUser("never-seen", kT0 + 4),
              Served("u1", "a", {"y"}, kT0 + 5), Event("u1", "click", "y", kT0 + 6)}));
  const ArmReport& a = Arm(report, "a");
  EXPECT_EQ(a.users, 2);
  EXPECT_EQ(a.recommendations, 2);
  EXPECT_EQ(a.clicks, 1);
  EXPECT_EQ(a.purchases, 0);
  EXPECT_EQ(a.value, 0);
  EXPECT_EQ(report.deleted_users, 1);
  EXPECT_EQ(report.events_attributed_by_window, 1);
}

TEST(ExperimentReportTest, ClicksPurchasesAndValueByTypeOthersIgnored) {
  ExperimentReportOptions options = Options();
  options.click_types = {"click", "add_to_cart"};
  options.purchase_types = {"purchase", "order"};
  const std::string id = RecommendationId(3, "exp", "a");
  ASSERT_OK_AND_ASSIGN(
      const ExperimentReport report,
      Report({Served("u1", "a", {"x"}, kT0, id), Event("u1", "click", "x", kT0 + 1, id),
              Event("u1", "add_to_cart", "x", kT0 + 2, id), Event("u1", "view", "x", kT0 + 3, id),
              Event("u1", "purchase", "x", kT0 + 4, id, 12.5),
              Event("u1", "order", "x", kT0 + 5, id, 2.5),
              Event("u1", "order", "x", kT0 + 6, id),  // No value: 0.
              Event("u1", "purchase", "x", kT0 + 7, id, std::nan(""))},
             options));
  const ArmReport& a = Arm(report, "a");
  EXPECT_EQ(a.clicks, 2);
  EXPECT_EQ(a.purchases, 4);
  EXPECT_DOUBLE_EQ(a.value, 15.0);
  EXPECT_EQ(report.events_attributed_by_id, 6);
  EXPECT_EQ(report.first_timestamp_ms, kT0);
  EXPECT_EQ(report.last_timestamp_ms, kT0 + 7);
}

TEST(ExperimentReportTest, MetricsAndIntervalsContainingThem) {
  std::vector<EventRecord> records;
  for (int u = 0; u < 40; ++u) {
    const std::string user = absl::StrFormat("u%d", u);
    for (int r = 0; r < 1 + u % 3; ++r) records.push_back(Served(user, "a", {"x"}, kT0 + r));
    if (u % 4 == 0) records.push_back(Event(user, "click", "x", kT0 + 10));
    if (u % 5 == 0) records.push_back(Event(user, "purchase", "x", kT0 + 20, "", 10.0 + u));
  }
  ASSERT_OK_AND_ASSIGN(const ExperimentReport report, Report(records));
  const ArmReport& a = Arm(report, "a");
  EXPECT_EQ(a.users, 40);
  EXPECT_EQ(a.recommendations, 79);  // 14 users x 1 + 13 x 2 + 13 x 3.
  EXPECT_EQ(a.clicks, 10);
  EXPECT_EQ(a.purchases, 8);
  EXPECT_DOUBLE_EQ(a.click_through.value, 10.0 / 79);
  EXPECT_DOUBLE_EQ(a.conversion.value, 8.0 / 40);
  EXPECT_DOUBLE_EQ(a.value_per_user.value, a.value / 40);
  EXPECT_DOUBLE_EQ(a.value, 8 * 10.0 + (0 + 5 + 10 + 15 + 20 + 25 + 30 + 35));
  ExpectContainsPoint(a.click_through, "click-through");
  ExpectContainsPoint(a.conversion, "conversion");
  ExpectContainsPoint(a.value_per_user, "value per user");
  EXPECT_LT(a.conversion.low, a.conversion.high);
  EXPECT_TRUE(std::isnan(a.click_through_change.value));  // The control.
}

std::vector<EventRecord> TwoArms() {
  std::vector<EventRecord> records;
  for (int u = 0; u < 60; ++u) {
    const std::string user = absl::StrFormat("user-%d", u);
    // "beta" is served first; "alpha" still sorts first.
    const std::string arm = u % 2 == 0 ? "beta" : "alpha";
    records.push_back(Served(user, arm, {"x"}, kT0 + u));
    records.push_back(Served(user, arm, {"x"}, kT0 + u + 1));
    // beta's users click twice as often: 5 of alpha's 30, 10 of beta's 30.
    if ((arm == "alpha" && u % 12 == 1) || (arm == "beta" && u % 3 == 0)) {
      records.push_back(Event(user, "click", "x", kT0 + u + 2));
    }
    if (u % 7 == 0) records.push_back(Event(user, "purchase", "x", kT0 + u + 3, "", 5.0));
  }
  return records;
}

TEST(ExperimentReportTest, SameSeedSameIntervals) {
  ExperimentReportOptions options = Options();
  options.seed = 7;
  ASSERT_OK_AND_ASSIGN(const ExperimentReport first, Report(TwoArms(), options));
  ASSERT_OK_AND_ASSIGN(const ExperimentReport second, Report(TwoArms(), options));
  options.seed = 8;
  ASSERT_OK_AND_ASSIGN(const ExperimentReport other_seed, Report(TwoArms(), options));
  for (const char* name : {"alpha", "beta"}) {
    EXPECT_EQ(Arm(first, name).click_through.low, Arm(second, name).click_through.low) << name;
    EXPECT_EQ(Arm(first, name).click_through.high, Arm(second, name).click_through.high) << name;
    EXPECT_EQ(Arm(first, name).value_per_user.low, Arm(second, name).value_per_user.low) << name;
  }
  EXPECT_EQ(Arm(first, "beta").click_through_change.low,
            Arm(second, "beta").click_through_change.low);
  EXPECT_EQ(Arm(first, "alpha").click_through.value, Arm(other_seed, "alpha").click_through.value);
  const ArmReport& beta = Arm(first, "beta");
  const ArmReport& beta_other = Arm(other_seed, "beta");
  EXPECT_TRUE(beta.click_through.low != beta_other.click_through.low ||
              beta.click_through.high != beta_other.click_through.high ||
              beta.click_through_change.low != beta_other.click_through_change.low)
      << "another seed should draw other resamples";
}

TEST(ExperimentReportTest, RelativeChangeAgainstTheFirstArmByName) {
  ASSERT_OK_AND_ASSIGN(const ExperimentReport report, Report(TwoArms()));
  EXPECT_EQ(report.control_arm, "alpha");
  ASSERT_EQ(report.arms.size(), 2u);
  EXPECT_EQ(report.arms[0].arm, "alpha");
  const ArmReport& alpha = Arm(report, "alpha");
  const ArmReport& beta = Arm(report, "beta");
  EXPECT_EQ(alpha.clicks, 5);  // u = 1, 13, 25, 37, 49.
  EXPECT_EQ(beta.clicks, 10);  // u = 0, 6, ..., 54.
  EXPECT_DOUBLE_EQ(beta.click_through_change.value,
                   beta.click_through.value / alpha.click_through.value - 1);
  EXPECT_DOUBLE_EQ(beta.click_through_change.value, 1.0);
  ExpectContainsPoint(beta.click_through_change, "click-through change");
  EXPECT_TRUE(std::isnan(alpha.click_through_change.value));
  EXPECT_TRUE(std::isnan(alpha.click_through_change.low));
}

TEST(ExperimentReportTest, ChosenControlArm) {
  ExperimentReportOptions options = Options();
  options.control_arm = "beta";
  ASSERT_OK_AND_ASSIGN(const ExperimentReport report, Report(TwoArms(), options));
  EXPECT_EQ(report.control_arm, "beta");
  EXPECT_DOUBLE_EQ(Arm(report, "alpha").click_through_change.value, -0.5);
  EXPECT_TRUE(std::isnan(Arm(report, "beta").click_through_change.value));

  options.control_arm = "gamma";
  EXPECT_THAT(Report(TwoArms(), options),
              StatusIs(absl::StatusCode::kInvalidArgument, "control_arm: no arm \"gamma\""));
}

TEST(ExperimentReportTest, ChangeIsUndefinedWhenTheControlMetricIsZero) {
  ASSERT_OK_AND_ASSIGN(const ExperimentReport report,
                       Report({Served("u1", "a", {"x"}, kT0), Served("u2", "b", {"x"}, kT0),
                               Event("u2", "click", "x", kT0 + 1)}));
  const ArmReport& b = Arm(report, "b");
  EXPECT_DOUBLE_EQ(b.click_through.value, 1.0);
  EXPECT_TRUE(std::isnan(b.click_through_change.value));
  EXPECT_TRUE(std::isnan(b.click_through_change.low));
  EXPECT_TRUE(std::isnan(b.conversion_change.value));
}

TEST(ExperimentReportTest, AnExperimentWithoutRecommendationsIsAnError) {
  EXPECT_THAT(Report({Served("u1", "a", {"x"}, kT0, "", "other"),
                      Served("u1", "a", {"x"}, kT0, "", "another"),
                      Event("u1", "click", "x", kT0 + 1, RecommendationId(5, "exp", "a"))}),
              StatusIs(absl::StatusCode::kNotFound,
                       "no recommendation of experiment \"exp\" in the log (experiments seen: "
                       "another, other)"));
  EXPECT_THAT(Report({}), StatusIs(absl::StatusCode::kNotFound, "(experiments seen: none)"));
}

TEST(ExperimentReportTest, OptionErrorsNameTheField) {
  const auto error_of = [](auto change) {
    ExperimentReportOptions options = Options();
    change(options);
    return options.Validate();
  };
  EXPECT_OK(Options().Validate());
  EXPECT_THAT(error_of([](auto& o) { o.experiment = ""; }),
              StatusIs(absl::StatusCode::kInvalidArgument, "experiment"));
  EXPECT_THAT(error_of([](auto& o) { o.attribution_window_ms = -1; }),
              StatusIs(absl::StatusCode::kInvalidArgument, "attribution_window_ms"));
  EXPECT_THAT(error_of([](auto& o) { o.click_types = {}; }),
              StatusIs(absl::StatusCode::kInvalidArgument, "click_types"));
  EXPECT_THAT(error_of([](auto& o) {
                o.purchase_types = {"buy", ""};
              }),
              StatusIs(absl::StatusCode::kInvalidArgument, "purchase_types"));
  EXPECT_THAT(error_of([](auto& o) { o.purchase_types = {"click"}; }),
              StatusIs(absl::StatusCode::kInvalidArgument, "purchase_types"));
  EXPECT_THAT(error_of([](auto& o) { o.resamples = 0; }),
              StatusIs(absl::StatusCode::kInvalidArgument, "resamples"));
  EXPECT_THAT(error_of([](auto& o) { o.confidence = 1; }),
              StatusIs(absl::StatusCode::kInvalidArgument, "confidence"));
  ExperimentReportOptions options = Options();
  options.experiment = "";
  EXPECT_THAT(ExperimentReportBuilder::Create(options),
              StatusIs(absl::StatusCode::kInvalidArgument, "experiment"));
}

}  // namespace
}  // namespace hrnn
