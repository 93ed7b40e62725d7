// The experiment report (hrnn-report): what each arm of an online experiment (core/serving/
// experiments.h) served and what its users did with it, aggregated from the event log's served
// recommendations and events, with bootstrap intervals and each arm's difference to the control
// (rendered by experiment_report_writer.h). ExperimentReportBuilder is not thread-safe: one
// thread feeds it.
//
// Attribution, applied to the records in log (seq) order:
//   1. A served record (kRecommendation) whose experiment is options.experiment counts as one
//      recommendation of its arm for its user_id (served records of other experiments and of no
//      experiment count nowhere: they are listed in the "no data" error and matter to rule 2b). One
//      without a user_id (a GetSimilarItems call naming no user) counts nowhere, but its id still
//      attributes events (rule 2a).
//   2. A kEvent whose event_type is in neither click_types nor purchase_types is ignored. Any
//      other event is attributed to at most one arm, by the first rule that applies:
//      a. by id: its recommendation_id is the id of a served record of the experiment logged
//         before it: that record's arm; else, when the id parses (ParseRecommendationId: one
//         the server issued), the arm it names when it names the experiment (its served record
//         may have been retired from the log), and no arm otherwise (another experiment's or
//         none's: the event is not the experiment's). Any other id falls through to rule b;
//      b. by window: among the recommendations served to the same user_id and logged before the
//         event, served at most attribution_window_ms before the event's timestamp and not
//         after it, the newest that held its item_id — of any experiment or of none, as the
//         server's live attribution (core/serving/recent_recommendations.h) picks it: its arm
//         when it is the experiment's, else no arm.
//      An event attributed to an arm makes its user one of the arm's users. Clicks count clicks;
//      purchases count purchases and add their event_value (absent or not finite: 0) to the
//      arm's value.
//   3. A kDeleteUser removes from the report everything of its user_id recorded before it: their
//      served records and their events (later records of the same user count again, and the
//      ids of the removed served records still attribute later events by rule 2a).
// Memory: per user, the counts per arm and only the served records inside the window of the
// user's newest served record (rule 2b misses an event logged after a recommendation served
// more than the window after the one it would match); plus one hash-map entry per served id of
// the experiment (rule 2a).
#ifndef HRNN_CORE_EVAL_EXPERIMENT_REPORT_H_
#define HRNN_CORE_EVAL_EXPERIMENT_REPORT_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/state/event_record.h"

namespace hrnn {

struct ExperimentReportOptions {
  // The experiment reported on (the `experiment` of served records). Required.
  std::string experiment;
  // Rule b's window: an event matches recommendations served at most this long before it.
  // Default: 30 minutes.
  int64_t attribution_window_ms = int64_t{30} * 60 * 1000;
  // Event types counted as clicks. Default: {"click"}.
  std::vector<std::string> click_types = {"click"};
  // Event types counted as purchases (their event_value is the value). Default: {"purchase"}.
  std::vector<std::string> purchase_types = {"purchase"};
  // The arm the others are compared with; must be an arm of the report. Default: empty, the arm
  // whose name sorts first.
  std::string control_arm;
  // Bootstrap resamples of each arm's users. Default: 1000.
  int resamples = 1000;
  // Coverage of the percentile intervals. Default: 0.95.
  double confidence = 0.95;
  // Seed of the std::mt19937_64 drawing the resamples. Default: 42.
  uint64_t seed = 42;

  // InvalidArgument naming the field: experiment empty; attribution_window_ms < 0; click_types
  // or purchase_types empty, holding an empty type, or sharing a type; resamples < 1;
  // confidence outside (0, 1).
  absl::Status Validate() const;
};

// A point estimate and its percentile bootstrap interval. NaN where undefined (no users, no
// recommendations, a zero control metric).
struct EstimateWithInterval {
  double value = 0;
  double low = 0;
  double high = 0;
};

struct ArmReport {
  std::string arm;
  int64_t users = 0;            // Users served in the arm or with an event attributed to it.
  int64_t recommendations = 0;  // Served records.
  int64_t clicks = 0;
  int64_t purchases = 0;
  double value = 0;  // Sum of the purchases' event_value.

  EstimateWithInterval click_through;   // clicks / recommendations.
  EstimateWithInterval conversion;      // Share of users with >= 1 purchase.
  EstimateWithInterval value_per_user;  // value / users.
  // metric / control's metric - 1, each draw from the same bootstrap iteration as the arms'
  // intervals (draws where the control's metric is 0 or undefined are skipped). All NaN for the
  // control itself.
  EstimateWithInterval click_through_change;
  EstimateWithInterval conversion_change;
  EstimateWithInterval value_per_user_change;
};

struct ExperimentReport {
  std::string experiment;
  std::string control_arm;
  std::vector<ArmReport> arms;  // Sorted by name.
  // First and last timestamp of the records counted (0 when none is left after deletions).
  int64_t first_timestamp_ms = 0;
  int64_t last_timestamp_ms = 0;
  int64_t events_attributed_by_id = 0;
  int64_t events_attributed_by_window = 0;
  int64_t deleted_users = 0;  // Tombstones that removed something from the report.
  // The bootstrap settings used.
  int resamples = 0;
  double confidence = 0;
  uint64_t seed = 0;
  int64_t attribution_window_ms = 0;
};

class ExperimentReportBuilder {
 public:
  // A builder for options.experiment. Errors: InvalidArgument from options.Validate().
  static absl::StatusOr<std::unique_ptr<ExperimentReportBuilder>> Create(
      const ExperimentReportOptions& options);

  ExperimentReportBuilder(const ExperimentReportBuilder&) = delete;
  ExperimentReportBuilder& operator=(const ExperimentReportBuilder&) = delete;

  // Takes one record into account (the attribution rules above). REQUIRES: records are added in
  // log order. Records of kind kItemAvailability are ignored.
  void Add(const EventRecord& record);

  // The report over what was added. Deterministic for given records and options. Errors:
  // NotFound "no recommendation of experiment ..." (listing the experiments seen) when no
  // served record of the experiment was added; InvalidArgument naming control_arm when it is
  // set and not an arm of the report.
  absl::StatusOr<ExperimentReport> Finish() const;

 private:
  // What one user did in one arm.
  struct ArmTally {
    int arm = 0;  // Index into arm_names_.
    int64_t recommendations = 0;
    int64_t clicks = 0;
    int64_t purchases = 0;
    double value = 0;
  };
  // A served record of the experiment that rule b may still match.
  struct ServedInWindow {
    int64_t timestamp_ms = 0;
    int arm = 0;
    std::vector<std::string> item_ids;
  };
  struct UserRecord {
    std::vector<ArmTally> arms;                // Few: a user is normally in one arm.
    std::deque<ServedInWindow> recent_served;  // Log order.
    int64_t newest_served_ms = INT64_MIN;
    int64_t first_timestamp_ms = INT64_MAX;  // Of what the tallies count.
    int64_t last_timestamp_ms = INT64_MIN;
    int64_t events_by_id = 0;
    int64_t events_by_window = 0;
  };

  explicit ExperimentReportBuilder(const ExperimentReportOptions& options);

  int ArmIndex(absl::string_view arm);
  ArmTally& TallyOf(UserRecord& user, int arm);
  void AddServed(const EventRecord& record);
  // A served record of another experiment or of none: kept for rule b only (arm kOutside).
  void AddServedElsewhere(const EventRecord& record);
  static constexpr int kOutside = -2;
  void AddEvent(const EventRecord& record);
  // Drops the user's served records that rule b can no longer match.
  void ForgetOutsideWindow(UserRecord& user) const;

  const ExperimentReportOptions options_;
  const absl::flat_hash_set<std::string> click_types_;
  const absl::flat_hash_set<std::string> purchase_types_;
  std::vector<std::string> arm_names_;
  absl::flat_hash_map<std::string, int> arm_index_;
  absl::flat_hash_map<std::string, int> served_arm_by_id_;  // Rule a.
  absl::flat_hash_map<std::string, UserRecord> users_;
  std::set<std::string> experiments_seen_;  // Of every served record.
  bool served_any_ = false;                 // A served record of the experiment was added.
  int64_t deleted_users_ = 0;
};

}  // namespace hrnn

#endif  // HRNN_CORE_EVAL_EXPERIMENT_REPORT_H_
