#include "core/recipes/user_item_history.h"

#include <algorithm>
#include <cassert>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"
#include "core/recipes/internal/bytes.h"

namespace hrnn {
namespace {

using internal::BytesReader;
using internal::Put;

constexpr char kMagic[8] = {'H', 'R', 'N', 'N', 'U', 'S', 'R', '\0'};
constexpr uint64_t kMaxUsers = (uint64_t{1} << 31) - 1;
constexpr uint64_t kMaxEntries = uint64_t{1} << 40;
constexpr uint64_t kEntryBytes = 16;  // i32 item, u32 count, i64 last_time.

absl::Status Invalid(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(kUserItemsFileName, ": ", what));
}

}  // namespace

void UserItemHistory::Add(absl::string_view user, std::vector<ItemInteraction> items,
                          int max_items) {
  assert(!user.empty() && user.size() <= kMaxUserIdBytes && max_items >= 1);
  assert(!index_.contains(user));
  std::sort(items.begin(), items.end(), [](const ItemInteraction& a, const ItemInteraction& b) {
    if (a.count != b.count) return a.count > b.count;
    if (a.last_time != b.last_time) return a.last_time > b.last_time;
    return a.item < b.item;
  });
  if (static_cast<int>(items.size()) > max_items) items.resize(max_items);
  index_.emplace(std::string(user), num_users());
  ids_.emplace_back(user);
  for (ItemInteraction& entry : items) {
    entry.session_count = 0;
    entries_.push_back(entry);
  }
  begin_.push_back(num_entries());
}

absl::Span<const ItemInteraction> UserItemHistory::Find(absl::string_view user) const {
  const auto it = index_.find(user);
  if (it == index_.end()) return {};
  return entries(it->second);
}

std::string UserItemHistory::Serialize() const {
  std::string out(kMagic, sizeof(kMagic));
  Put<uint32_t>(&out, kUserItemsFormatVersion);
  Put<uint32_t>(&out, static_cast<uint32_t>(num_items_));
  Put<uint64_t>(&out, static_cast<uint64_t>(num_users()));
  Put<uint64_t>(&out, static_cast<uint64_t>(num_entries()));
  for (int64_t u = 0; u < num_users(); ++u) {
    Put<uint32_t>(&out, static_cast<uint32_t>(ids_[u].size()));
    out += ids_[u];
    Put<uint32_t>(&out, static_cast<uint32_t>(begin_[u + 1] - begin_[u]));
  }
  out.reserve(out.size() + entries_.size() * kEntryBytes);
  for (const ItemInteraction& entry : entries_) {
    Put<int32_t>(&out, entry.item);
    Put<uint32_t>(&out, static_cast<uint32_t>(entry.count));
    Put<int64_t>(&out, entry.last_time);
  }
  return out;
}

absl::StatusOr<UserItemHistory> UserItemHistory::Parse(absl::string_view bytes,
                                                       int32_t expected_num_items) {
  BytesReader reader("");
  HRNN_ASSIGN_OR_RETURN(
      internal::CountsHeader header,
      internal::ReadCountsHeader(bytes, absl::string_view(kMagic, sizeof(kMagic)),
                                 "a user items file", kUserItemsFormatVersion, expected_num_items,
                                 kUserItemsFileName, &reader));
  const uint64_t num_users = header.first;
  const uint64_t num_entries = header.second;
  if (num_users > kMaxUsers) return Invalid(absl::StrCat("too many users: ", num_users));
  if (num_entries > kMaxEntries) return Invalid(absl::StrCat("too many entries: ", num_entries));
  // Every user takes at least 9 bytes (length, one id byte, count) and every entry 16: check
  // that the counts fit the file before reserving anything from them.
  if (num_users * 9 + num_entries * kEntryBytes > reader.remaining()) {
    return Invalid(absl::StrCat("the header's counts (", num_users, " users, ", num_entries,
                                " entries) need more than the ", reader.remaining(),
                                " bytes after it"));
  }
  UserItemHistory history;
  history.num_items_ = expected_num_items;
  history.ids_.reserve(num_users);
  history.begin_.reserve(num_users + 1);
  history.index_.reserve(num_users);
  uint64_t total = 0;
  for (uint64_t u = 0; u < num_users; ++u) {
    uint32_t length = 0, count = 0;
    absl::string_view id;
    if (!reader.Get(&length)) return Invalid(absl::StrCat("user ", u, ": truncated"));
    if (length == 0 || length > kMaxUserIdBytes) {
      return Invalid(absl::StrCat("user ", u, ": id length ", length, " is outside [1, ",
                                  kMaxUserIdBytes, "]"));
    }
    if (!reader.GetBytes(length, &id) || !reader.Get(&count)) {
      return Invalid(absl::StrCat("user ", u, ": truncated"));
    }
    if (count == 0) return Invalid(absl::StrCat("user ", u, " (\"", id, "\") has no entries"));
    total += count;
    if (total > num_entries) {
      return Invalid(absl::StrCat("user ", u, ": entry counts add up to more than ", num_entries));
    }
    if (!history.index_.emplace(std::string(id), static_cast<int64_t>(u)).second) {
      return Invalid(absl::StrCat("user ", u, ": id \"", id, "\" is repeated"));
    }
    history.ids_.emplace_back(id);
    history.begin_.push_back(static_cast<int64_t>(total));
  }
  if (total != num_entries) {
    return Invalid(absl::StrCat("entry counts add up to ", total, ", header says ", num_entries));
  }
  if (reader.remaining() != num_entries * kEntryBytes) {
    return Invalid(absl::StrCat("entries take ", reader.remaining(), " bytes; ", num_entries,
                                " entries need ", num_entries * kEntryBytes));
  }
  history.entries_.resize(num_entries);
  absl::flat_hash_set<int32_t> seen;
  for (uint64_t u = 0; u < num_users; ++u) {
    seen.clear();
    for (int64_t e = history.begin_[u]; e < history.begin_[u + 1]; ++e) {
      ItemInteraction& entry = history.entries_[e];
      uint32_t count = 0;
      reader.Get(&entry.item);
      reader.Get(&count);
      reader.Get(&entry.last_time);
      const std::string where =
          absl::StrCat("user \"", history.ids_[u], "\" entry ", e - history.begin_[u]);
      if (entry.item < 0 || entry.item >= history.num_items_) {
        return Invalid(absl::StrCat(where, ": item ", entry.item, " is outside [0, ",
                                    history.num_items_, ")"));
      }
      if (!seen.insert(entry.item).second) {
        return Invalid(absl::StrCat(where, ": item ", entry.item, " is repeated"));
      }
      if (count == 0 || count > static_cast<uint32_t>(INT32_MAX)) {
        return Invalid(absl::StrCat(where, ": count ", count, " is outside [1, 2^31)"));
      }
      entry.count = static_cast<int32_t>(count);
    }
  }
  return history;
}

}  // namespace hrnn
