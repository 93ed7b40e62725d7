#include "core/recipes/sequential_rules.h"

#include <algorithm>
#include <cstddef>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"

namespace hrnn {

absl::Status SequentialRulesOptions::Validate() const {
  if (max_distance < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_distance must be >= 1, got ", max_distance));
  }
  if (max_rules_per_item < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_rules_per_item must be >= 1, got ", max_rules_per_item));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<const SequentialRules>> SequentialRules::Build(
    int32_t num_items, absl::Span<const absl::Span<const int32_t>> sessions,
    const SequentialRulesOptions& options) {
  if (absl::Status status = options.Validate(); !status.ok()) return status;
  if (num_items < 0) {
    return absl::InvalidArgumentError(absl::StrCat("num_items must be >= 0, got ", num_items));
  }
  for (size_t s = 0; s < sessions.size(); ++s) {
    for (size_t p = 0; p < sessions[s].size(); ++p) {
      const int32_t item = sessions[s][p];
      if (item < 0 || item >= num_items) {
        return absl::InvalidArgumentError(absl::StrCat("sessions[", s, "][", p, "] = ", item,
                                                       " is outside [0, ", num_items, ")"));
      }
    }
  }

  // Weights in double, summed per (a, b) pair.
  absl::flat_hash_map<uint64_t, double> weights;
  const size_t max_distance = static_cast<size_t>(options.max_distance);
  for (absl::Span<const int32_t> session : sessions) {
    for (size_t q = 1; q < session.size(); ++q) {
      for (size_t d = 1; d <= std::min(max_distance, q); ++d) {
        const uint64_t key = (static_cast<uint64_t>(session[q - d]) << 32) |
                             static_cast<uint64_t>(static_cast<uint32_t>(session[q]));
        weights[key] += 1.0 / static_cast<double>(d);
      }
    }
  }

  struct Mined {
    int32_t from, to;
    double weight;
  };
  std::vector<Mined> mined;
  mined.reserve(weights.size());
  for (const auto& [key, weight] : weights) {
    mined.push_back(
        {static_cast<int32_t>(key >> 32), static_cast<int32_t>(key & 0xffffffffu), weight});
  }
  // By antecedent, then strongest first, ties by the lower consequent: a total order, so the
  // result does not depend on the hash map's iteration order.
  std::sort(mined.begin(), mined.end(), [](const Mined& a, const Mined& b) {
    if (a.from != b.from) return a.from < b.from;
    if (a.weight != b.weight) return a.weight > b.weight;
    return a.to < b.to;
  });

  std::unique_ptr<SequentialRules> rules(new SequentialRules());
  rules->options_ = options;
  rules->rule_begin_.assign(static_cast<size_t>(num_items) + 1, 0);
  size_t m = 0;
  for (int32_t item = 0; item < num_items; ++item) {
    int kept = 0;
    for (; m < mined.size() && mined[m].from == item; ++m) {
      if (kept < options.max_rules_per_item) {
        rules->rules_.push_back({mined[m].to, static_cast<float>(mined[m].weight)});
        ++kept;
      }
    }
    rules->rule_begin_[item + 1] = static_cast<int64_t>(rules->rules_.size());
  }
  return std::unique_ptr<const SequentialRules>(std::move(rules));
}

absl::Span<const SequentialRule> SequentialRules::RulesFrom(int32_t item) const {
  return absl::MakeConstSpan(rules_.data() + rule_begin_[item],
                             static_cast<size_t>(rule_begin_[item + 1] - rule_begin_[item]));
}

absl::Status SequentialRules::Score(absl::Span<const int32_t> prefix, SparseScores* scores) const {
  if (prefix.empty()) return absl::OkStatus();
  const int32_t last = prefix.back();
  if (last < 0 || last >= num_items()) {
    return absl::InvalidArgumentError(absl::StrCat("prefix[", prefix.size() - 1, "] = ", last,
                                                   " is outside [0, ", num_items(), ")"));
  }
  for (const SequentialRule& rule : RulesFrom(last)) scores->Add(rule.item, rule.weight);
  return absl::OkStatus();
}

}  // namespace hrnn
