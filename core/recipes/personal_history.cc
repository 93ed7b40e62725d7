#include "core/recipes/personal_history.h"

#include <algorithm>
#include <cmath>
#include <cstddef>

#include "absl/strings/str_cat.h"

namespace hrnn {

absl::Status PersonalHistoryOptions::Validate() const {
  if (!(half_life_seconds > 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("half_life_seconds must be > 0, got ", half_life_seconds));
  }
  if (!std::isfinite(session_weight) || session_weight < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("session_weight must be finite and >= 0, got ", session_weight));
  }
  return absl::OkStatus();
}

namespace {

absl::Status CheckEntries(absl::Span<const ItemInteraction> interactions, int32_t num_items) {
  for (size_t e = 0; e < interactions.size(); ++e) {
    const ItemInteraction& entry = interactions[e];
    if (entry.item < 0 || entry.item >= num_items) {
      return absl::InvalidArgumentError(absl::StrCat("interactions[", e, "].item = ", entry.item,
                                                     " is outside [0, ", num_items, ")"));
    }
    if (entry.count < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("interactions[", e, "].count = ", entry.count, " is negative"));
    }
    if (entry.session_count < 0 || entry.session_count > entry.count) {
      return absl::InvalidArgumentError(absl::StrCat("interactions[", e,
                                                     "].session_count = ", entry.session_count,
                                                     " is outside [0, ", entry.count, "]"));
    }
  }
  return absl::OkStatus();
}

// 2^(-age / half_life), age = max(0, now - last_time), in double: no overflow for any pair of
// int64 times.
double Decay(int64_t now, int64_t last_time, double half_life_seconds) {
  const double age = std::max(0.0, static_cast<double>(now) - static_cast<double>(last_time));
  return std::exp2(-age / half_life_seconds);
}

}  // namespace

absl::Status ScorePersonalHistory(absl::Span<const ItemInteraction> interactions, int64_t now,
                                  const PersonalHistoryOptions& options, SparseScores* scores) {
  if (absl::Status status = options.Validate(); !status.ok()) return status;
  if (absl::Status status = CheckEntries(interactions, scores->num_items()); !status.ok()) {
    return status;
  }
  for (const ItemInteraction& entry : interactions) {
    const double weighted = static_cast<double>(entry.count - entry.session_count) +
                            options.session_weight * entry.session_count;
    if (weighted == 0) continue;
    scores->Add(entry.item, static_cast<float>(
                                weighted * Decay(now, entry.last_time, options.half_life_seconds)));
  }
  return absl::OkStatus();
}

absl::Status MergeTrainingHistory(absl::Span<const ItemInteraction> training, int64_t now,
                                  const PersonalHistoryOptions& options, SparseScores* scores) {
  if (absl::Status status = options.Validate(); !status.ok()) return status;
  if (absl::Status status = CheckEntries(training, scores->num_items()); !status.ok()) {
    return status;
  }
  for (size_t e = 0; e < training.size(); ++e) {
    if (training[e].session_count != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("interactions[", e, "].session_count must be 0 in a training history"));
    }
  }
  for (const ItemInteraction& entry : training) {
    const float value =
        static_cast<float>(entry.count * Decay(now, entry.last_time, options.half_life_seconds));
    const float current = scores->Get(entry.item);
    if (value > current) scores->Add(entry.item, value - current);
  }
  return absl::OkStatus();
}

}  // namespace hrnn
