// ItemAvailability: which catalogue items are out of stock (PutItems), as a bitmap that
// recommendation requests read without waiting: writers copy, edit and publish a new bitmap;
// readers hold an immutable snapshot for the duration of a request.
// Thread-safe.
#ifndef HRNN_CORE_STATE_ITEM_AVAILABILITY_H_
#define HRNN_CORE_STATE_ITEM_AVAILABILITY_H_

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/types/span.h"
#include "core/base/mutex.h"

namespace hrnn {

class ItemAvailability {
 public:
  // Bit i of word i / 64 set = item i unavailable (the layout ItemExclusions reads).
  using Mask = std::vector<uint64_t>;

  // All `num_items` items available.
  explicit ItemAvailability(int64_t num_items)
      : num_items_(num_items),
        mask_(std::make_shared<const Mask>(static_cast<size_t>((num_items + 63) / 64), 0)) {}

  int64_t num_items() const { return num_items_; }

  // Sets the availability of each (item index, available) pair; indices outside
  // [0, num_items) are ignored. Concurrent updates are serialised; readers see the old or the
  // new bitmap, never a mix.
  void Update(absl::Span<const std::pair<int64_t, bool>> changes) ABSL_LOCKS_EXCLUDED(mutex_);

  // The current bitmap; stays valid and unchanged while the caller holds it.
  std::shared_ptr<const Mask> Snapshot() const ABSL_LOCKS_EXCLUDED(mutex_);

  // Items currently unavailable.
  int64_t unavailable_count() const ABSL_LOCKS_EXCLUDED(mutex_);

 private:
  const int64_t num_items_;
  mutable Mutex mutex_;
  std::shared_ptr<const Mask> mask_ ABSL_GUARDED_BY(mutex_);
  int64_t unavailable_ ABSL_GUARDED_BY(mutex_) = 0;
};

}  // namespace hrnn

#endif  // HRNN_CORE_STATE_ITEM_AVAILABILITY_H_
