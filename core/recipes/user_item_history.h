// The `personal` recipe's long memory: each training user's own items with counts and last times,
// written by hrnn-train into the model version (user_items.bin) so that the recipe knows a
// customer's whole training history, not only the few items the per-user state can hold
// (ItemHistory in core/state/user_state.h: 24 entries, the 1.5 KB budget). The same pattern as
// sknn: an index from training plus what the live state adds. Immutable once built; thread-safe.
//
// user_items.bin (integers little-endian):
//   1. 8 bytes: magic "HRNNUSR\0".
//   2. u32: format version, kUserItemsFormatVersion.
//   3. u32: num_items, the model's catalogue size (every item below is < num_items).
//   4. u64: U, the number of users, at most 2^31 - 1.
//   5. u64: E, the number of entries, at most 2^40.
//   6. U times: u32 id length L (1..kMaxUserIdBytes), L bytes of the user id (distinct ids),
//      u32 the user's number of entries (>= 1); these add up to E.
//   7. E times, user after user in the order of 6: i32 item, u32 count (>= 1), i64 last_time
//      (seconds since the epoch of the latest interaction); a user's items are distinct.
//   Nothing after 7. 16 bytes per entry plus the ids.
#ifndef HRNN_CORE_RECIPES_USER_ITEM_HISTORY_H_
#define HRNN_CORE_RECIPES_USER_ITEM_HISTORY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/recipes/personal_history.h"

namespace hrnn {

inline constexpr char kUserItemsFileName[] = "user_items.bin";
inline constexpr uint32_t kUserItemsFormatVersion = 1;
inline constexpr uint32_t kMaxUserIdBytes = 4096;

class UserItemHistory {
 public:
  UserItemHistory() = default;

  // Adds `user`'s interactions (item, count >= 1, last_time; session_count ignored) keeping the
  // max_items with the highest counts (ties: the later last time, then the lower item).
  // REQUIRES: `user` not added before, not empty and at most kMaxUserIdBytes; items distinct
  // and in [0, num_items); max_items >= 1.
  void Add(absl::string_view user, std::vector<ItemInteraction> items, int max_items);

  int32_t num_items() const { return num_items_; }
  void set_num_items(int32_t num_items) { num_items_ = num_items; }
  int64_t num_users() const { return static_cast<int64_t>(ids_.size()); }
  int64_t num_entries() const { return static_cast<int64_t>(entries_.size()); }
  // The u-th user added or read (0 <= u < num_users()) and their entries, as Find() gives them.
  const std::string& id(int64_t u) const { return ids_[u]; }
  absl::Span<const ItemInteraction> entries(int64_t u) const {
    return absl::MakeConstSpan(entries_).subspan(begin_[u], begin_[u + 1] - begin_[u]);
  }
  // `user`'s entries (session_count 0), highest count first; empty for a user the training log
  // did not have.
  absl::Span<const ItemInteraction> Find(absl::string_view user) const;

  std::string Serialize() const;
  // Parses user_items.bin. Errors: InvalidArgument naming what is wrong (magic, version,
  // counts, an id's length or a repeated id, an item outside [0, num_items) or repeated within
  // a user, a count of 0, trailing bytes) or when num_items differs from `expected_num_items`.
  static absl::StatusOr<UserItemHistory> Parse(absl::string_view bytes, int32_t expected_num_items);

 private:
  int32_t num_items_ = 0;
  std::vector<std::string> ids_;
  std::vector<int64_t> begin_ = {0};  // num_users() + 1 offsets into entries_.
  std::vector<ItemInteraction> entries_;
  absl::flat_hash_map<std::string, int64_t> index_;  // Id -> position in ids_.
};

}  // namespace hrnn

#endif  // HRNN_CORE_RECIPES_USER_ITEM_HISTORY_H_
