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

absl::Status ScorePersonalHistory(absl::Span<const ItemInteraction> interactions, int64_t now,
                                  const PersonalHistoryOptions& options, SparseScores* scores) {
  if (absl::Status status = options.Validate(); !status.ok()) return status;
  for (size_t e = 0; e < interactions.size(); ++e) {
    const ItemInteraction& entry = interactions[e];
    if (entry.item < 0 || entry.item >= scores->num_items()) {
      return absl::InvalidArgumentError(absl::StrCat("interactions[", e, "].item = ", entry.item,
                                                     " is outside [0, ", scores->num_items(), ")"));
    }
    if (entry.count < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("interactions[", e, "].count = ", entry.count, " is negative"));
    }
    if (entry.session_count < 0 || entry.session_count > entry.count) {
      return absl::InvalidArgumentError(absl::StrCat("interactions[", e, "].session_count = ",
                                                     entry.session_count, " is outside [0, ",
                                                     entry.count, "]"));
    }
  }
  for (const ItemInteraction& entry : interactions) {
    const double weighted = static_cast<double>(entry.count - entry.session_count) +
                            options.session_weight * entry.session_count;
    if (weighted == 0) continue;
    // Age in double: no overflow for any pair of int64 times.
    const double age =
        std::max(0.0, static_cast<double>(now) - static_cast<double>(entry.last_time));
    const double decay = std::exp2(-age / options.half_life_seconds);
    scores->Add(entry.item, static_cast<float>(weighted * decay));
  }
  return absl::OkStatus();
}

}  // namespace hrnn
