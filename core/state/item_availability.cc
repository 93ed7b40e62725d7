#include "core/state/item_availability.h"

#include <bit>

namespace hrnn {

void ItemAvailability::Update(absl::Span<const std::pair<int64_t, bool>> changes) {
  MutexLock lock(&mutex_);
  auto next = std::make_shared<Mask>(*mask_);
  for (const auto& [item, available] : changes) {
    if (item < 0 || item >= num_items_) continue;
    const uint64_t bit = uint64_t{1} << (item % 64);
    uint64_t& word = (*next)[item / 64];
    if (available) {
      word &= ~bit;
    } else {
      word |= bit;
    }
  }
  int64_t unavailable = 0;
  for (uint64_t word : *next) unavailable += std::popcount(word);
  unavailable_ = unavailable;
  mask_ = std::move(next);
}

std::shared_ptr<const ItemAvailability::Mask> ItemAvailability::Snapshot() const {
  MutexLock lock(&mutex_);
  return mask_;
}

int64_t ItemAvailability::unavailable_count() const {
  MutexLock lock(&mutex_);
  return unavailable_;
}

}  // namespace hrnn
