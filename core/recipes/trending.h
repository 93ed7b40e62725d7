// The `trending` recipe (DESIGN §2b): popularity over the live event stream with exponential
// decay, the fallback for users without history. Trending is thread-safe: Record() and the
// reads may be called concurrently (one annotated Mutex; each call holds it briefly).
#ifndef HRNN_CORE_RECIPES_TRENDING_H_
#define HRNN_CORE_RECIPES_TRENDING_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/base/mutex.h"
#include "core/recipes/sparse_scores.h"

namespace hrnn {

struct TrendingOptions {
  // An event's weight halves every half_life_seconds (times are int64 seconds since the epoch,
  // as in personal_history.h). Default: 1 day.
  double half_life_seconds = 24 * 3600.0;

  // InvalidArgument naming the field unless 0 < half_life_seconds < infinity.
  absl::Status Validate() const;
};

// score(i, now) = sum over the recorded events e of item i of weight(e) * 2^(-(now - t_e) / h),
// h = half_life_seconds. The sliding window is this soft one: an event counts half after h,
// 1/1024 after 10 h, and never drops out abruptly (a hard window would have to keep every event
// it holds). Events may arrive out of order; an event later than `now` counts more than its
// weight (the formula as is). All items share the factor 2^(-now / h), so the ranking does not
// depend on `now`; only the absolute values do.
//
// Stored as a(i) = sum of weight(e) * 2^((t_e - t0) / h) relative to a reference time t0, so a
// Record() is O(1); when an event is more than 32 half-lives past t0, every a(i) is rescaled to a
// new t0 (O(items), once per 32 half-lives) so that nothing overflows.
//
// One Mutex, not shards: a Record() holds it for one multiply-add, a read for one item or one
// pass over the catalogue (no allocation under the lock when the output is reused). Shard the
// items if profiles show contention with high event rates.
class Trending {
 public:
  // Tracks items 0..num_items-1. Errors: InvalidArgument if options are invalid or
  // num_items < 0.
  static absl::StatusOr<std::unique_ptr<Trending>> Create(int32_t num_items,
                                                          const TrendingOptions& options);

  // Records one event of `item` at `time` with `weight` (e.g. 1 per click).
  // Errors: InvalidArgument if item is outside [0, num_items()) or weight is negative or not
  // finite (nothing is recorded then).
  absl::Status Record(int32_t item, int64_t time, double weight = 1.0) ABSL_LOCKS_EXCLUDED(mutex_);

  // score(item, now); 0 for an item without events (or whose events have decayed below the
  // double range), clamped to the largest double (never inf or NaN).
  // REQUIRES: 0 <= item < num_items().
  double Score(int32_t item, int64_t now) const ABSL_LOCKS_EXCLUDED(mutex_);

  // Adds score(i, now) for every item with events into *scores (items without events are not
  // touched); a score beyond the float range (only for `now` hundreds of half-lives before the
  // events) is clamped to the largest float, so nothing infinite or NaN is added. REQUIRES:
  // scores->num_items() == num_items().
  void AddScores(int64_t now, SparseScores* scores) const ABSL_LOCKS_EXCLUDED(mutex_);

  // Adds score(i, now) into *scores for the (at most) m items with the highest scores (ties by
  // the lower index; items without events never): what a request needs, in O(m) instead of
  // O(items). The list of those items is cached and recomputed (O(items), under the lock) only
  // when events were recorded since and `now` is at least a second from the time it was made,
  // or m changed; so the membership may be up to a second of events stale, while the scores are
  // always the current ones. REQUIRES: m >= 0, scores->num_items() == num_items().
  void AddTopScores(int64_t now, int m, SparseScores* scores) const ABSL_LOCKS_EXCLUDED(mutex_);

  int32_t num_items() const { return num_items_; }

 private:
  Trending(int32_t num_items, const TrendingOptions& options);
  void RebaseLocked(int64_t new_reference) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  double FactorLocked(int64_t now) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  const int32_t num_items_;
  const TrendingOptions options_;
  mutable Mutex mutex_;
  bool has_reference_ ABSL_GUARDED_BY(mutex_) = false;
  int64_t reference_ ABSL_GUARDED_BY(mutex_) = 0;       // t0.
  std::vector<double> amount_ ABSL_GUARDED_BY(mutex_);  // a(i); 0 for items without events.
  std::vector<uint8_t> has_events_ ABSL_GUARDED_BY(mutex_);
  uint64_t events_ ABSL_GUARDED_BY(mutex_) = 0;  // Record() calls so far.
  // AddTopScores' cache: the top items by amount, for top_m_, made at top_time_ after
  // top_events_ events.
  mutable std::vector<int32_t> top_items_ ABSL_GUARDED_BY(mutex_);
  mutable int top_m_ ABSL_GUARDED_BY(mutex_) = -1;
  mutable int64_t top_time_ ABSL_GUARDED_BY(mutex_) = 0;
  mutable uint64_t top_events_ ABSL_GUARDED_BY(mutex_) = 0;
};

}  // namespace hrnn

#endif  // HRNN_CORE_RECIPES_TRENDING_H_
