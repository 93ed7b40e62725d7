#include "client/loadgen/workload.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"

namespace hrnn::client::loadgen {

absl::StatusOr<WorkloadKind> ParseWorkloadKind(const std::string& name) {
  if (name == "recommend") return WorkloadKind::kRecommend;
  if (name == "events") return WorkloadKind::kEvents;
  if (name == "mix") return WorkloadKind::kMix;
  if (name == "similar") return WorkloadKind::kSimilar;
  return absl::InvalidArgumentError(
      absl::StrCat("workload: \"", name, "\" is not recommend, events, mix or similar"));
}

const char* WorkloadKindName(WorkloadKind kind) {
  switch (kind) {
    case WorkloadKind::kRecommend:
      return "recommend";
    case WorkloadKind::kEvents:
      return "events";
    case WorkloadKind::kMix:
      return "mix";
    case WorkloadKind::kSimilar:
      return "similar";
  }
  return "?";
}

absl::Status WorkloadOptions::Validate() const {
  if (users < 1) return absl::InvalidArgumentError(absl::StrCat("users: ", users, " < 1"));
  if (!std::isfinite(zipf) || zipf < 0) {
    return absl::InvalidArgumentError(absl::StrCat("zipf: ", zipf, " must be >= 0"));
  }
  if (!std::isfinite(session_length) || session_length < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("session_length: ", session_length, " must be >= 1"));
  }
  if (events_per_recommend < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("mix_events_per_recommend: ", events_per_recommend, " must be >= 1"));
  }
  if (!std::isfinite(item_skew) || item_skew < 0) {
    return absl::InvalidArgumentError(absl::StrCat("item_skew: ", item_skew, " must be >= 0"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<WorkloadGenerator>> WorkloadGenerator::Create(
    const WorkloadOptions& options, const std::vector<int64_t>& item_popularity) {
  if (absl::Status status = options.Validate(); !status.ok()) return status;
  if (item_popularity.empty()) return absl::InvalidArgumentError("items: the list is empty");
  // A sequential run never samples users: a 1-entry table avoids 8 bytes per user.
  absl::StatusOr<DiscreteSampler> users =
      DiscreteSampler::Zipf(options.users_sequential ? 1 : options.users, options.zipf);
  if (!users.ok()) return users.status();
  std::vector<double> weights(item_popularity.size());
  double total = 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    weights[i] = options.item_skew == 0
                     ? 1.0
                     : std::pow(static_cast<double>(std::max<int64_t>(item_popularity[i], 0)),
                                options.item_skew);
    total += weights[i];
  }
  if (!(total > 0)) std::fill(weights.begin(), weights.end(), 1.0);  // All popularity 0.
  absl::StatusOr<DiscreteSampler> items = DiscreteSampler::FromWeights(weights);
  if (!items.ok()) return items.status();
  return std::unique_ptr<WorkloadGenerator>(
      new WorkloadGenerator(options, *std::move(users), *std::move(items)));
}

int64_t WorkloadGenerator::NextUser() {
  if (options_.users_sequential) return actions_ % options_.users;
  return users_.Sample(gen_);
}

int64_t WorkloadGenerator::SessionLength() {
  // Geometric on 1, 2, ... with mean session_length: P(L > k) = (1 - p)^k, p = 1 / mean.
  const double p = 1.0 / options_.session_length;
  if (p >= 1.0) return 1;
  const double u = absl::Uniform<double>(absl::IntervalOpenOpen, gen_, 0.0, 1.0);
  return 1 + static_cast<int64_t>(std::floor(std::log(u) / std::log1p(-p)));
}

Action WorkloadGenerator::Next() {
  if (options_.kind == WorkloadKind::kSimilar) {
    ++actions_;
    Action action;
    action.type = Action::Type::kSimilar;
    action.item = items_.Sample(gen_);
    return action;
  }
  const int64_t index = actions_;
  const int64_t user = NextUser();
  ++actions_;
  Action action;
  action.user_id = absl::StrCat(options_.user_prefix, user);
  const bool recommend = options_.kind == WorkloadKind::kRecommend ||
                         (options_.kind == WorkloadKind::kMix &&
                          (index + 1) % (options_.events_per_recommend + 1) == 0);
  auto it = open_.find(user);
  if (recommend && options_.kind == WorkloadKind::kMix) {
    // A recommendation does not advance the visit: it is shown within the open session, or to
    // a user between visits.
    action.type = Action::Type::kRecommend;
    if (it != open_.end())
      action.session_id = absl::StrCat(action.user_id, "-s", it->second.number);
    return action;
  }
  if (it == open_.end()) {
    it = open_.emplace(user, OpenSession{sessions_started_++, SessionLength()}).first;
  }
  action.type = recommend ? Action::Type::kRecommend : Action::Type::kEvent;
  action.session_id = absl::StrCat(action.user_id, "-s", it->second.number);
  if (!recommend) action.item = items_.Sample(gen_);
  if (--it->second.remaining <= 0) open_.erase(it);  // The user leaves.
  return action;
}

}  // namespace hrnn::client::loadgen
