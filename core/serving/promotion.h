// Promotions (Personalize's): a request may reserve a share of its slots for the best-scoring
// items that pass a second filter — items on sale, a new collection. The pipeline ranks the
// promoted candidates and the regular ones separately (recommendation_pipeline.h); this file
// decides how many slots that is and where the promoted items go. Their positions are drawn from
// a seed, which the server derives from the recommendation id, so one recommendation is always
// laid out the same way and different ones spread promoted items over the list. Stateless
// functions; safe to call concurrently.
#ifndef HRNN_CORE_SERVING_PROMOTION_H_
#define HRNN_CORE_SERVING_PROMOTION_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "core/kernels/top_k.h"

namespace hrnn {

// Ranked items, best first, with what the pipeline knows about how each got there.
struct RankedItems {
  std::vector<ScoredItem> items;
  // How many of the items that are not promoted were back-filled (from trending or popularity
  // order): the last `backfilled` of them.
  int backfilled = 0;
  // Positions in `items` (0-based, ascending) that hold promoted items, and the name of the
  // promotion that placed them (PromotionRequest::name; empty without one).
  std::vector<int> promoted_ranks;
  std::string promotion;
};

// Slots a promotion of `percent` (1..100) takes in a list of `num_results`:
// ceil(num_results * percent / 100), so any promotion gets at least one slot.
// REQUIRES: num_results >= 1, 1 <= percent <= 100.
int PromotedSlots(int num_results, int percent);

// A placement seed from a recommendation id: 64-bit FNV-1a of its bytes, the same in every
// process and on every machine (unlike absl::Hash).
uint64_t PromotionSeed(absl::string_view recommendation_id);

// Merges `promoted` (best first, at most PromotedSlots items: the promotion's candidates) into
// `regular` (best first; its last `regular_backfilled` items back-filled). The list has
// min(num_results, |promoted| + |regular not promoted|) items: every promoted item, at positions
// drawn uniformly without replacement by `seed` and filled in ascending order, best first; the
// other positions hold `regular`'s items in order, skipping those already promoted.
// REQUIRES: promoted.size() <= num_results.
RankedItems PlacePromotedItems(std::vector<ScoredItem> regular, int regular_backfilled,
                               std::vector<ScoredItem> promoted, int num_results, uint64_t seed);

}  // namespace hrnn

#endif  // HRNN_CORE_SERVING_PROMOTION_H_
