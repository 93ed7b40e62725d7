#include "core/serving/promotion.h"

#include <algorithm>
#include <cassert>
#include <numeric>
#include <utility>

#include "absl/container/flat_hash_set.h"

namespace hrnn {
namespace {

// SplitMix64 (Steele, Lea, Flood 2014): a small, well-mixed generator whose sequence is fixed
// by its seed on every platform (std::uniform_int_distribution's is not).
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, bound) by rejection (no modulo bias). REQUIRES: bound >= 1.
  uint64_t Below(uint64_t bound) {
    const uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
    uint64_t value;
    do {
      value = Next();
    } while (value >= limit);
    return value % bound;
  }

 private:
  uint64_t state_;
};

}  // namespace

int PromotedSlots(int num_results, int percent) {
  assert(num_results >= 1 && percent >= 1 && percent <= 100);
  return static_cast<int>((static_cast<int64_t>(num_results) * percent + 99) / 100);
}

uint64_t PromotionSeed(absl::string_view recommendation_id) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char c : recommendation_id) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

RankedItems PlacePromotedItems(std::vector<ScoredItem> regular, int regular_backfilled,
                               std::vector<ScoredItem> promoted, int num_results, uint64_t seed) {
  assert(static_cast<int>(promoted.size()) <= num_results);
  absl::flat_hash_set<int32_t> promoted_items;
  for (const ScoredItem& item : promoted) promoted_items.insert(item.index);
  const int first_backfilled = static_cast<int>(regular.size()) - regular_backfilled;
  const int num_promoted = static_cast<int>(promoted.size());
  // The regular items that keep a slot, in order.
  std::vector<ScoredItem> kept;
  int kept_backfilled = 0;
  for (int i = 0; i < static_cast<int>(regular.size()); ++i) {
    if (num_promoted + static_cast<int>(kept.size()) == num_results) break;
    if (promoted_items.contains(regular[i].index)) continue;
    kept.push_back(regular[i]);
    if (i >= first_backfilled) ++kept_backfilled;
  }
  const int length = num_promoted + static_cast<int>(kept.size());

  // A partial Fisher-Yates shuffle of the positions picks the promoted slots.
  std::vector<int> positions(length);
  std::iota(positions.begin(), positions.end(), 0);
  SplitMix64 random(seed);
  for (int i = 0; i < num_promoted; ++i) {
    const int j = i + static_cast<int>(random.Below(static_cast<uint64_t>(length - i)));
    std::swap(positions[i], positions[j]);
  }
  RankedItems out;
  out.promoted_ranks.assign(positions.begin(), positions.begin() + num_promoted);
  std::sort(out.promoted_ranks.begin(), out.promoted_ranks.end());
  out.backfilled = kept_backfilled;
  out.items.reserve(length);
  size_t next_promoted = 0;
  size_t next_kept = 0;
  for (int rank = 0; rank < length; ++rank) {
    if (next_promoted < out.promoted_ranks.size() && out.promoted_ranks[next_promoted] == rank) {
      out.items.push_back(promoted[next_promoted++]);
    } else {
      out.items.push_back(kept[next_kept++]);
    }
  }
  return out;
}

}  // namespace hrnn
