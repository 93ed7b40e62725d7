// State snapshots (issue 7): every user's UserState written to one file, with the model it was
// computed with and the event-log position it reflects, so that start-up loads the newest valid
// snapshot and replays the log from there. Stateless functions; concurrent calls are safe on
// different directories (one writer per directory at a time).
//
// A snapshot directory holds "snapshot-<S>.snap" files, <S> being the header's log_seq in 20
// zero-padded decimal digits; a file being written is "snapshot-<S>.tmp" until it is complete,
// synced and renamed. Other names are ignored.
//
// Layout of a snapshot file (all integers little-endian, f32 IEEE-754 binary32; a "string" is a
// u32 byte length + bytes):
//   1. 8 bytes: magic "HRNNSNP\0".
//   2. u32: format version, kSnapshotFormatVersion.
//   3. string: model name, 0..kMaxSnapshotModelNameBytes bytes.
//   4. i64: model version. Every state in the file was computed by this model version (its
//      UserState::model_version is this value; it is not repeated per entry).
//   5. u64: log_seq. Every event-log record with seq < log_seq is reflected in the states; a
//      user's last_log_seq tells which later records are (replay skips seq <= last_log_seq).
//   6. i64: created_at_ms, ms since the epoch.
//   7. u32: user_size, floats in a user vector (UserState::user), 0..kMaxSnapshotVectorSize.
//   8. u32: session_size, floats in a session vector (UserState::session), same range.
//   8b. (format 3 on) u32 N, then N strings of 1..kMaxEventFieldBytes bytes: the ids of the
//      catalogue items out of stock (PutItems) with every event-log record of seq < log_seq
//      applied; later kItemAvailability records (event_record.h) may be reflected too, and
//      replaying them again is harmless (each sets the item's availability).
//   9. User entries, back to back up to the trailer, each:
//        a. u32 L: length of b, 1..kMaxSnapshotEntryBytes.
//        b. L bytes, exactly:
//           i.    string: user id, 1..kMaxEventFieldBytes bytes.
//           ii.   u32 U, then U f32: UserState::user; U is 0 or user_size.
//           iii.  u32 S, then S f32: UserState::session; S is 0 or session_size.
//           iv.   string: session_id, 0..kMaxEventFieldBytes bytes.
//           v.    i64 last_event_ms, vi. i64 last_item, vii. i32 session_length,
//           viii. i32 sessions_folded, ix. u64 last_log_seq.
//           x.    session_clicks: u8 count (<= its capacity, 16), then count i32 items >= 0,
//                 oldest first (click order; repeats allowed).
//           xi.   history: u8 count (<= its capacity, 24), then count entries in slot order,
//                 each i32 item (>= 0, all distinct), u32 last_time_seconds (seconds since the
//                 epoch), u8 interactions (1..255).
//           xii.  purchased_items: a RecentItems ring as u8 count (<= capacity), u8 next (the
//                 slot the next new item overwrites: count when not full, else < capacity),
//                 then count i32 items in slot order, all distinct.
//  10. u64: the number of user entries in 9.
//  11. 32 bytes: SHA-256 of every byte before it (items 1-10).
//
// Version 2 (still read; never written) has no item 8b (no item is out of stock on reading).
// Version 1 (still read; never written) has no item 8b, and differs in 9.b.x and 9.b.xi: each was a
// RecentItems ring as in xii, x the open session's distinct items (session_items, capacity 16) and
// xi the user's (user_items, capacity 32). On reading, session_items' items become session_clicks
// from the oldest pushed to the newest (slot order starting at `next`; plain slot order when the
// ring is not full), and the newest 24 of user_items' items (same order) history entries with 1
// interaction and last_time_seconds floor(last_event_ms / 1000) clamped to [0, 2^32 - 1].
#ifndef HRNN_CORE_STATE_STATE_SNAPSHOT_H_
#define HRNN_CORE_STATE_STATE_SNAPSHOT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/state/user_state.h"

namespace hrnn {

inline constexpr uint32_t kSnapshotFormatVersion = 3;  // Written; 1 to 3 are read.
inline constexpr uint32_t kMaxSnapshotModelNameBytes = 4096;
inline constexpr uint32_t kMaxSnapshotVectorSize = 1 << 20;
inline constexpr uint32_t kMaxSnapshotEntryBytes = 16 << 20;

// Items 2-8 of the layout.
struct SnapshotHeader {
  std::string model_name;
  int64_t model_version = 0;
  uint64_t log_seq = 0;
  int64_t created_at_ms = 0;
  uint32_t user_size = 0;
  uint32_t session_size = 0;
  // Item 8b: the catalogue's out-of-stock item ids, in any order.
  std::vector<std::string> unavailable_item_ids;

  friend bool operator==(const SnapshotHeader&, const SnapshotHeader&) = default;
};

struct SnapshotUser {
  std::string user_id;
  UserState state;
};

struct LoadedSnapshot {
  std::string path;             // The file it came from.
  uint32_t format_version = 0;  // The file's format version (1 files are converted on reading).
  SnapshotHeader header;
  std::vector<SnapshotUser> users;  // In file order.
};

// What ReadLatestSnapshot looked at.
struct SnapshotReport {
  std::string loaded;                // Path of the snapshot returned ("" when none).
  std::vector<std::string> skipped;  // "<path>: <why>" for each newer snapshot found invalid.

  // One line for the server's log.
  std::string ToString() const;
};

// The callback WriteSnapshot passes to `for_each_user`: call it once per user.
using SnapshotUserSink = absl::FunctionRef<void(absl::string_view user_id, const UserState&)>;

// Writes a snapshot (format kSnapshotFormatVersion) of the users that `for_each_user` emits (it is
// called once, and must call the sink once per user, from its own thread) to
// "<dir>/snapshot-<header.log_seq>.tmp", fdatasyncs it, renames it to ".snap" (replacing one with
// the same log_seq), fsyncs `dir`, then deletes all but the newest 2 snapshots and any other
// leftover ".tmp" (errors while deleting are ignored). Creates `dir` when absent. On error the
// temporary file is removed and no snapshot is changed. Errors: InvalidArgument when the header's
// model name or sizes are out of range, an unavailable item id is empty or longer than
// kMaxEventFieldBytes, or a user's id is empty or too long, its session_id too long, a vector's
// size is neither 0 nor the header's size, or session_clicks or history holds a negative item
// (naming the user); I/O errors.
absl::Status WriteSnapshot(const std::string& dir, const SnapshotHeader& header,
                           absl::FunctionRef<void(SnapshotUserSink)> for_each_user);

// Reads and fully validates one snapshot file of format version 1 to 3 (magic, version, every
// range and length in the layout, entry and user counts, SHA-256); a version 1 file is converted
// as the layout says. Memory is bounded by the file's size. Errors:
// DataLoss saying what is wrong and where; I/O errors.
absl::StatusOr<LoadedSnapshot> ReadSnapshotFile(const std::string& path);

// The newest valid snapshot in `dir` (highest log_seq whose file reads back valid and whose
// header's log_seq matches its name). Invalid ones are skipped and listed in `report` (may be
// null). NotFound when `dir` is absent or holds no valid snapshot; other I/O errors listing it.
absl::StatusOr<LoadedSnapshot> ReadLatestSnapshot(const std::string& dir, SnapshotReport* report);

}  // namespace hrnn

#endif  // HRNN_CORE_STATE_STATE_SNAPSHOT_H_
