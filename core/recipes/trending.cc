#include "core/recipes/trending.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

#include "absl/strings/str_cat.h"

namespace hrnn {
namespace {

// Rescale once an event is this many half-lives past the reference (2^32 is far from overflow).
constexpr double kMaxHalfLivesAhead = 32;

// amount * factor, with 0 for a zero amount whatever the factor (0 * inf would be NaN) and the
// product clamped to `max` (a factor can be +inf for a `now` far before the reference).
double Decayed(double amount, double factor, double max) {
  if (amount == 0) return 0;
  return std::min(amount * factor, max);
}

}  // namespace

absl::Status TrendingOptions::Validate() const {
  if (!(half_life_seconds > 0) || std::isinf(half_life_seconds)) {
    return absl::InvalidArgumentError(
        absl::StrCat("half_life_seconds must be > 0 and finite, got ", half_life_seconds));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Trending>> Trending::Create(int32_t num_items,
                                                           const TrendingOptions& options) {
  if (absl::Status status = options.Validate(); !status.ok()) return status;
  if (num_items < 0) {
    return absl::InvalidArgumentError(absl::StrCat("num_items must be >= 0, got ", num_items));
  }
  return std::unique_ptr<Trending>(new Trending(num_items, options));
}

Trending::Trending(int32_t num_items, const TrendingOptions& options)
    : num_items_(num_items),
      options_(options),
      amount_(static_cast<size_t>(num_items), 0.0),
      has_events_(static_cast<size_t>(num_items), 0) {}

absl::Status Trending::Record(int32_t item, int64_t time, double weight) {
  if (item < 0 || item >= num_items_) {
    return absl::InvalidArgumentError(
        absl::StrCat("item = ", item, " is outside [0, ", num_items_, ")"));
  }
  if (!(weight >= 0) || std::isinf(weight)) {
    return absl::InvalidArgumentError(absl::StrCat("weight must be >= 0 and finite, got ", weight));
  }
  MutexLock lock(&mutex_);
  if (!has_reference_) {
    has_reference_ = true;
    reference_ = time;
  }
  double exponent =
      (static_cast<double>(time) - static_cast<double>(reference_)) / options_.half_life_seconds;
  if (exponent > kMaxHalfLivesAhead) {
    RebaseLocked(time);
    exponent = 0;
  }
  amount_[item] += weight * std::exp2(exponent);
  has_events_[item] = 1;
  ++events_;
  return absl::OkStatus();
}

void Trending::RebaseLocked(int64_t new_reference) {
  const double factor =
      std::exp2(-(static_cast<double>(new_reference) - static_cast<double>(reference_)) /
                options_.half_life_seconds);
  for (double& amount : amount_) amount *= factor;
  reference_ = new_reference;
}

double Trending::FactorLocked(int64_t now) const {
  return std::exp2(-(static_cast<double>(now) - static_cast<double>(reference_)) /
                   options_.half_life_seconds);
}

double Trending::Score(int32_t item, int64_t now) const {
  MutexLock lock(&mutex_);
  return Decayed(amount_[item], FactorLocked(now), std::numeric_limits<double>::max());
}

void Trending::AddScores(int64_t now, SparseScores* scores) const {
  MutexLock lock(&mutex_);
  if (!has_reference_) return;
  const double factor = FactorLocked(now);
  for (int32_t item = 0; item < num_items_; ++item) {
    if (has_events_[item] == 0) continue;
    const double score =
        Decayed(amount_[item], factor, static_cast<double>(std::numeric_limits<float>::max()));
    scores->Add(item, static_cast<float>(score));
  }
}

void Trending::AddTopScores(int64_t now, int m, SparseScores* scores) const {
  MutexLock lock(&mutex_);
  if (!has_reference_) return;
  const bool stale =
      top_m_ != m || (top_events_ != events_ && (now >= top_time_ + 1 || now <= top_time_ - 1));
  if (stale) {
    top_items_.clear();
    for (int32_t item = 0; item < num_items_; ++item) {
      if (has_events_[item] != 0) top_items_.push_back(item);
    }
    const double* amount = amount_.data();
    auto better = [amount](int32_t a, int32_t b) {
      return amount[a] != amount[b] ? amount[a] > amount[b] : a < b;
    };
    const size_t keep = std::min(top_items_.size(), static_cast<size_t>(m));
    std::partial_sort(top_items_.begin(), top_items_.begin() + keep, top_items_.end(), better);
    top_items_.resize(keep);
    top_m_ = m;
    top_time_ = now;
    top_events_ = events_;
  }
  const double factor = FactorLocked(now);
  for (int32_t item : top_items_) {
    const double score =
        Decayed(amount_[item], factor, static_cast<double>(std::numeric_limits<float>::max()));
    scores->Add(item, static_cast<float>(score));
  }
}

}  // namespace hrnn
