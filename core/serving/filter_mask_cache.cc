#include "core/serving/filter_mask_cache.h"

#include <utility>

namespace hrnn {
namespace {

int64_t MaskBytes(const FilterMaskCache::Mask& mask) {
  return static_cast<int64_t>(mask.size() * sizeof(uint64_t));
}

}  // namespace

std::shared_ptr<const FilterMaskCache::Mask> FilterMaskCache::Find(absl::string_view key) const {
  MutexLock lock(&mutex_);
  const auto found = masks_.find(key);
  if (found == masks_.end()) {
    ++misses_;
    return nullptr;
  }
  ++hits_;
  return found->second;
}

void FilterMaskCache::Insert(std::string key, std::shared_ptr<const Mask> mask) {
  const int64_t bytes = MaskBytes(*mask) + static_cast<int64_t>(key.size());
  MutexLock lock(&mutex_);
  if (const auto found = masks_.find(key); found != masks_.end()) {
    bytes_ -= MaskBytes(*found->second) + static_cast<int64_t>(key.size());
    masks_.erase(found);
  }
  if (bytes_ + bytes > max_bytes_ && !masks_.empty()) {
    masks_.clear();
    bytes_ = 0;
    ++clears_;
  }
  bytes_ += bytes;
  masks_.emplace(std::move(key), std::move(mask));
}

FilterMaskCache::Stats FilterMaskCache::stats() const {
  MutexLock lock(&mutex_);
  return {hits_, misses_, static_cast<int64_t>(masks_.size()), bytes_, clears_};
}

}  // namespace hrnn
