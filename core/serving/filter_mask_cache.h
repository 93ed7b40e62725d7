// FilterMaskCache: the exclusion masks of named filters that depend on their parameter values
// only (no Interactions.EVENT_TYPE, no CurrentItem), for one model version, keyed by the filter
// and its values. A shop sends a handful of parameter combinations (a colour, a price band), so
// most requests reuse a mask instead of evaluating the filter over the catalogue (measured in
// docs/benchmarks.md, "Named filters"). Bounded in bytes: when an insert would pass the budget
// the cache is emptied first (the next requests re-evaluate; no eviction order to maintain).
// Thread-safe.
#ifndef HRNN_CORE_SERVING_FILTER_MASK_CACHE_H_
#define HRNN_CORE_SERVING_FILTER_MASK_CACHE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "core/base/mutex.h"

namespace hrnn {

class FilterMaskCache {
 public:
  using Mask = std::vector<uint64_t>;

  // Holds at most `max_bytes` of masks (at least one mask always fits).
  explicit FilterMaskCache(int64_t max_bytes = int64_t{64} << 20) : max_bytes_(max_bytes) {}
  FilterMaskCache(const FilterMaskCache&) = delete;
  FilterMaskCache& operator=(const FilterMaskCache&) = delete;

  // The mask stored under `key`, or null.
  std::shared_ptr<const Mask> Find(absl::string_view key) const ABSL_LOCKS_EXCLUDED(mutex_);
  // Stores `mask` under `key` (replacing one stored there).
  void Insert(std::string key, std::shared_ptr<const Mask> mask) ABSL_LOCKS_EXCLUDED(mutex_);

  struct Stats {
    int64_t hits = 0;
    int64_t misses = 0;
    int64_t entries = 0;
    int64_t bytes = 0;
    int64_t clears = 0;  // Times the budget emptied the cache.
  };
  Stats stats() const ABSL_LOCKS_EXCLUDED(mutex_);

 private:
  const int64_t max_bytes_;
  mutable Mutex mutex_;
  absl::flat_hash_map<std::string, std::shared_ptr<const Mask>> masks_ ABSL_GUARDED_BY(mutex_);
  int64_t bytes_ ABSL_GUARDED_BY(mutex_) = 0;
  mutable int64_t hits_ ABSL_GUARDED_BY(mutex_) = 0;
  mutable int64_t misses_ ABSL_GUARDED_BY(mutex_) = 0;
  int64_t clears_ ABSL_GUARDED_BY(mutex_) = 0;
};

}  // namespace hrnn

#endif  // HRNN_CORE_SERVING_FILTER_MASK_CACHE_H_
