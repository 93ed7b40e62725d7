#include "core/eval/experiment_report.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/serving/recommendation_id.h"

namespace hrnn {
namespace {

constexpr double kUndefined = std::numeric_limits<double>::quiet_NaN();
constexpr int kMaxResamples = 1'000'000;

// What one user of an arm contributes to its metrics.
struct UserSample {
  int64_t recommendations = 0;
  int64_t clicks = 0;
  bool purchased = false;
  double value = 0;
};

struct ArmMetrics {
  double click_through = kUndefined;
  double conversion = kUndefined;
  double value_per_user = kUndefined;
};

ArmMetrics MetricsOf(int64_t users, int64_t recommendations, int64_t clicks, int64_t purchasers,
                     double value) {
  ArmMetrics metrics;
  if (recommendations > 0) {
    metrics.click_through = static_cast<double>(clicks) / static_cast<double>(recommendations);
  }
  if (users > 0) {
    metrics.conversion = static_cast<double>(purchasers) / static_cast<double>(users);
    metrics.value_per_user = value / static_cast<double>(users);
  }
  return metrics;
}

// One bootstrap resample of `samples` (with replacement, as many as there are).
ArmMetrics ResampleMetrics(const std::vector<UserSample>& samples, std::mt19937_64& rng) {
  if (samples.empty()) return {};
  std::uniform_int_distribution<size_t> pick(0, samples.size() - 1);
  int64_t recommendations = 0, clicks = 0, purchasers = 0;
  double value = 0;
  for (size_t i = 0; i < samples.size(); ++i) {
    const UserSample& sample = samples[pick(rng)];
    recommendations += sample.recommendations;
    clicks += sample.clicks;
    purchasers += sample.purchased ? 1 : 0;
    value += sample.value;
  }
  return MetricsOf(static_cast<int64_t>(samples.size()), recommendations, clicks, purchasers,
                   value);
}

// `point` with the percentile interval of the finite `draws` (NaN bounds when none is).
EstimateWithInterval WithInterval(double point, std::vector<double> draws, double confidence) {
  draws.erase(
      std::remove_if(draws.begin(), draws.end(), [](double d) { return !std::isfinite(d); }),
      draws.end());
  if (draws.empty()) return {point, kUndefined, kUndefined};
  std::sort(draws.begin(), draws.end());
  const double tail = (1.0 - confidence) / 2.0;
  const auto at = [&](double q) {
    const int64_t last = static_cast<int64_t>(draws.size()) - 1;
    const int64_t index = std::clamp<int64_t>(
        static_cast<int64_t>(std::floor(q * static_cast<double>(last) + 0.5)), 0, last);
    return draws[index];
  };
  return {point, at(tail), at(1.0 - tail)};
}

double RelativeChange(double metric, double control) {
  if (!std::isfinite(metric) || !std::isfinite(control) || control == 0) return kUndefined;
  return metric / control - 1.0;
}

absl::Status ValidateTypes(const std::vector<std::string>& types, absl::string_view field) {
  if (types.empty()) return absl::InvalidArgumentError(absl::StrCat(field, " must not be empty"));
  for (const std::string& type : types) {
    if (type.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(field, " must not hold an empty type"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ExperimentReportOptions::Validate() const {
  if (experiment.empty()) return absl::InvalidArgumentError("experiment is required");
  if (attribution_window_ms < 0) {
    return absl::InvalidArgumentError("attribution_window_ms must be >= 0");
  }
  if (absl::Status status = ValidateTypes(click_types, "click_types"); !status.ok()) return status;
  if (absl::Status status = ValidateTypes(purchase_types, "purchase_types"); !status.ok()) {
    return status;
  }
  for (const std::string& type : click_types) {
    if (std::find(purchase_types.begin(), purchase_types.end(), type) != purchase_types.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("purchase_types: \"", type, "\" is also one of click_types"));
    }
  }
  if (resamples < 1 || resamples > kMaxResamples) {
    return absl::InvalidArgumentError(absl::StrCat("resamples must be in 1..", kMaxResamples));
  }
  if (!(confidence > 0 && confidence < 1)) {
    return absl::InvalidArgumentError("confidence must be in (0, 1)");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<ExperimentReportBuilder>> ExperimentReportBuilder::Create(
    const ExperimentReportOptions& options) {
  if (absl::Status status = options.Validate(); !status.ok()) return status;
  return std::unique_ptr<ExperimentReportBuilder>(new ExperimentReportBuilder(options));
}

ExperimentReportBuilder::ExperimentReportBuilder(const ExperimentReportOptions& options)
    : options_(options),
      click_types_(options.click_types.begin(), options.click_types.end()),
      purchase_types_(options.purchase_types.begin(), options.purchase_types.end()) {}

int ExperimentReportBuilder::ArmIndex(absl::string_view arm) {
  const auto [it, inserted] = arm_index_.try_emplace(arm, static_cast<int>(arm_names_.size()));
  if (inserted) arm_names_.emplace_back(arm);
  return it->second;
}

ExperimentReportBuilder::ArmTally& ExperimentReportBuilder::TallyOf(UserRecord& user, int arm) {
  for (ArmTally& tally : user.arms) {
    if (tally.arm == arm) return tally;
  }
  ArmTally& tally = user.arms.emplace_back();
  tally.arm = arm;
  return tally;
}

void ExperimentReportBuilder::Add(const EventRecord& record) {
  switch (record.kind) {
    case EventRecord::Kind::kRecommendation:
      if (!record.experiment.empty()) experiments_seen_.insert(record.experiment);
      if (record.experiment == options_.experiment) {
        AddServed(record);
      } else {
        AddServedElsewhere(record);
      }
      break;
    case EventRecord::Kind::kEvent:
      AddEvent(record);
      break;
    case EventRecord::Kind::kDeleteUser:
      if (const auto user = users_.find(record.user_id); user != users_.end()) {
        if (!user->second.arms.empty()) ++deleted_users_;
        users_.erase(user);
      }
      break;
    case EventRecord::Kind::kItemAvailability:
      break;
  }
}

void ExperimentReportBuilder::AddServed(const EventRecord& record) {
  served_any_ = true;
  const int arm = ArmIndex(record.arm);
  served_arm_by_id_.insert_or_assign(record.recommendation_id, arm);
  if (record.user_id.empty()) return;
  UserRecord& user = users_[record.user_id];
  ++TallyOf(user, arm).recommendations;
  user.first_timestamp_ms = std::min(user.first_timestamp_ms, record.timestamp_ms);
  user.last_timestamp_ms = std::max(user.last_timestamp_ms, record.timestamp_ms);
  user.newest_served_ms = std::max(user.newest_served_ms, record.timestamp_ms);
  if (!record.item_ids.empty()) {
    user.recent_served.push_back(ServedInWindow{record.timestamp_ms, arm, record.item_ids});
  }
  ForgetOutsideWindow(user);
}

void ExperimentReportBuilder::AddServedElsewhere(const EventRecord& record) {
  // Only rule b needs it: an event whose item this answer held is this answer's, not the
  // experiment's, when it is the newest one (as the server's live attribution counts it).
  if (record.user_id.empty() || record.item_ids.empty()) return;
  UserRecord& user = users_[record.user_id];
  user.newest_served_ms = std::max(user.newest_served_ms, record.timestamp_ms);
  user.recent_served.push_back(ServedInWindow{record.timestamp_ms, kOutside, record.item_ids});
  ForgetOutsideWindow(user);
}

void ExperimentReportBuilder::ForgetOutsideWindow(UserRecord& user) const {
  const int64_t window = options_.attribution_window_ms;
  const int64_t cutoff_ms =
      user.newest_served_ms >= INT64_MIN + window ? user.newest_served_ms - window : INT64_MIN;
  while (!user.recent_served.empty() && user.recent_served.front().timestamp_ms < cutoff_ms) {
    user.recent_served.pop_front();
  }
}

void ExperimentReportBuilder::AddEvent(const EventRecord& record) {
  const bool is_click = click_types_.contains(record.event_type);
  const bool is_purchase = purchase_types_.contains(record.event_type);
  if (!is_click && !is_purchase) return;

  int arm = -1;
  bool by_id = false;
  if (!record.recommendation_id.empty()) {
    if (const auto served = served_arm_by_id_.find(record.recommendation_id);
        served != served_arm_by_id_.end()) {
      arm = served->second;
    } else if (const std::optional<ParsedRecommendationId> parsed =
                   ParseRecommendationId(record.recommendation_id);
               parsed.has_value()) {
      // An id the server issued decides, as it does live: this experiment's arm, or none.
      if (parsed->experiment != options_.experiment) return;
      arm = ArmIndex(parsed->arm);
    }
    by_id = arm >= 0;
  }
  if (arm < 0 && !record.item_id.empty()) {
    if (const auto user = users_.find(record.user_id); user != users_.end()) {
      int64_t best_timestamp_ms = INT64_MIN;
      for (const ServedInWindow& served : user->second.recent_served) {
        // served <= event && event - served <= window (the difference fits a uint64_t).
        if (served.timestamp_ms > record.timestamp_ms || served.timestamp_ms < best_timestamp_ms ||
            static_cast<uint64_t>(record.timestamp_ms) -
                    static_cast<uint64_t>(served.timestamp_ms) >
                static_cast<uint64_t>(options_.attribution_window_ms)) {
          continue;
        }
        if (std::find(served.item_ids.begin(), served.item_ids.end(), record.item_id) !=
            served.item_ids.end()) {
          best_timestamp_ms = served.timestamp_ms;  // Ties: the one logged last.
          arm = served.arm;
        }
      }
    }
  }
  if (arm < 0) return;  // Not attributed, or the newest answer holding the item is not ours.

  UserRecord& user = users_[record.user_id];
  ArmTally& tally = TallyOf(user, arm);
  if (is_click) {
    ++tally.clicks;
  } else {
    ++tally.purchases;
    if (record.event_value.has_value() && std::isfinite(*record.event_value)) {
      tally.value += *record.event_value;
    }
  }
  user.first_timestamp_ms = std::min(user.first_timestamp_ms, record.timestamp_ms);
  user.last_timestamp_ms = std::max(user.last_timestamp_ms, record.timestamp_ms);
  ++(by_id ? user.events_by_id : user.events_by_window);
}

absl::StatusOr<ExperimentReport> ExperimentReportBuilder::Finish() const {
  if (!served_any_) {
    return absl::NotFoundError(absl::StrCat(
        "no recommendation of experiment \"", options_.experiment,
        "\" in the log (experiments seen: ",
        experiments_seen_.empty() ? "none" : absl::StrJoin(experiments_seen_, ", "), ")"));
  }
  // Arms by name; `position[i]` is where arm_names_[i] lands.
  std::vector<std::string> names = arm_names_;
  std::sort(names.begin(), names.end());
  std::vector<size_t> position(arm_names_.size());
  for (size_t i = 0; i < arm_names_.size(); ++i) {
    position[i] = static_cast<size_t>(std::lower_bound(names.begin(), names.end(), arm_names_[i]) -
                                      names.begin());
  }
  size_t control = 0;
  if (!options_.control_arm.empty()) {
    const auto it = std::lower_bound(names.begin(), names.end(), options_.control_arm);
    if (it == names.end() || *it != options_.control_arm) {
      return absl::InvalidArgumentError(
          absl::StrCat("control_arm: no arm \"", options_.control_arm, "\" in experiment \"",
                       options_.experiment, "\" (arms: ", absl::StrJoin(names, ", "), ")"));
    }
    control = static_cast<size_t>(it - names.begin());
  }

  ExperimentReport report;
  report.experiment = options_.experiment;
  report.control_arm = names[control];
  report.resamples = options_.resamples;
  report.confidence = options_.confidence;
  report.seed = options_.seed;
  report.attribution_window_ms = options_.attribution_window_ms;
  report.deleted_users = deleted_users_;
  report.arms.resize(names.size());
  for (size_t a = 0; a < names.size(); ++a) report.arms[a].arm = names[a];

  // Users in id order, so that the resamples do not depend on the hash map's order.
  std::vector<const std::pair<const std::string, UserRecord>*> users;
  users.reserve(users_.size());
  for (const auto& entry : users_) users.push_back(&entry);
  std::sort(users.begin(), users.end(),
            [](const auto* a, const auto* b) { return a->first < b->first; });

  std::vector<std::vector<UserSample>> samples(names.size());
  std::vector<int64_t> purchasers(names.size(), 0);
  int64_t first_ms = INT64_MAX, last_ms = INT64_MIN;
  for (const auto* entry : users) {
    const UserRecord& user = entry->second;
    if (user.arms.empty()) continue;
    first_ms = std::min(first_ms, user.first_timestamp_ms);
    last_ms = std::max(last_ms, user.last_timestamp_ms);
    report.events_attributed_by_id += user.events_by_id;
    report.events_attributed_by_window += user.events_by_window;
    for (const ArmTally& tally : user.arms) {
      const size_t a = position[tally.arm];
      ArmReport& arm = report.arms[a];
      ++arm.users;
      arm.recommendations += tally.recommendations;
      arm.clicks += tally.clicks;
      arm.purchases += tally.purchases;
      arm.value += tally.value;
      purchasers[a] += tally.purchases > 0 ? 1 : 0;
      samples[a].push_back(
          UserSample{tally.recommendations, tally.clicks, tally.purchases > 0, tally.value});
    }
  }
  if (first_ms <= last_ms) {
    report.first_timestamp_ms = first_ms;
    report.last_timestamp_ms = last_ms;
  }

  // Every iteration resamples each arm once (in name order, from one generator); the arms'
  // intervals and the changes against the control use the same draws.
  const size_t resamples = static_cast<size_t>(options_.resamples);
  std::vector<std::vector<ArmMetrics>> draws(names.size(), std::vector<ArmMetrics>(resamples));
  std::mt19937_64 rng(options_.seed);
  for (size_t r = 0; r < resamples; ++r) {
    for (size_t a = 0; a < names.size(); ++a) draws[a][r] = ResampleMetrics(samples[a], rng);
  }

  std::vector<ArmMetrics> points(names.size());
  for (size_t a = 0; a < names.size(); ++a) {
    const ArmReport& arm = report.arms[a];
    points[a] = MetricsOf(arm.users, arm.recommendations, arm.clicks, purchasers[a], arm.value);
  }
  const auto metric_draws = [&](size_t a, double ArmMetrics::*metric) {
    std::vector<double> values(resamples);
    for (size_t r = 0; r < resamples; ++r) values[r] = draws[a][r].*metric;
    return values;
  };
  const auto change_draws = [&](size_t a, double ArmMetrics::*metric) {
    std::vector<double> values(resamples);
    for (size_t r = 0; r < resamples; ++r) {
      values[r] = RelativeChange(draws[a][r].*metric, draws[control][r].*metric);
    }
    return values;
  };
  const double confidence = options_.confidence;
  const EstimateWithInterval undefined{kUndefined, kUndefined, kUndefined};
  for (size_t a = 0; a < names.size(); ++a) {
    ArmReport& arm = report.arms[a];
    arm.click_through = WithInterval(points[a].click_through,
                                     metric_draws(a, &ArmMetrics::click_through), confidence);
    arm.conversion =
        WithInterval(points[a].conversion, metric_draws(a, &ArmMetrics::conversion), confidence);
    arm.value_per_user = WithInterval(points[a].value_per_user,
                                      metric_draws(a, &ArmMetrics::value_per_user), confidence);
    if (a == control) {
      arm.click_through_change = arm.conversion_change = arm.value_per_user_change = undefined;
      continue;
    }
    arm.click_through_change =
        WithInterval(RelativeChange(points[a].click_through, points[control].click_through),
                     change_draws(a, &ArmMetrics::click_through), confidence);
    arm.conversion_change =
        WithInterval(RelativeChange(points[a].conversion, points[control].conversion),
                     change_draws(a, &ArmMetrics::conversion), confidence);
    arm.value_per_user_change =
        WithInterval(RelativeChange(points[a].value_per_user, points[control].value_per_user),
                     change_draws(a, &ArmMetrics::value_per_user), confidence);
  }
  return report;
}

}  // namespace hrnn
