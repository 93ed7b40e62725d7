#include "core/state/state_snapshot.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <functional>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "core/base/sha256.h"
#include "core/base/status_macros.h"
#include "core/state/event_record.h"
#include "core/state/internal/file_io.h"

namespace hrnn {
namespace {

using internal::ByteDecoder;
using internal::OwnedFd;
using internal::SequentialReader;

constexpr char kMagic[8] = {'H', 'R', 'N', 'N', 'S', 'N', 'P', '\0'};
constexpr absl::string_view kPrefix = "snapshot-";
constexpr absl::string_view kSnapSuffix = ".snap";
constexpr absl::string_view kTmpSuffix = ".tmp";
constexpr uint32_t kOldestReadableVersion = 1;
constexpr size_t kSeqDigits = 20;
constexpr int kSnapshotsKept = 2;
constexpr size_t kFixedHeaderBytes = 8 + 4 + 4;            // Items 1, 2 and 3's length.
constexpr size_t kHeaderTailBytes = 8 + 8 + 8 + 4 + 4;     // Items 4-8.
constexpr size_t kTrailerBytes = 8 + Sha256::kDigestSize;  // Items 10-11.

std::string SnapshotName(uint64_t log_seq, absl::string_view suffix) {
  return absl::StrFormat("snapshot-%020u%s", log_seq, suffix);
}

// The seq in a "snapshot-<S><suffix>" name, or false when `name` is not one.
bool ParseSnapshotName(absl::string_view name, absl::string_view suffix, uint64_t* seq) {
  if (name.size() != kPrefix.size() + kSeqDigits + suffix.size() ||
      !absl::StartsWith(name, kPrefix) || !absl::EndsWith(name, suffix)) {
    return false;
  }
  const absl::string_view digits = name.substr(kPrefix.size(), kSeqDigits);
  return std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
         absl::SimpleAtoi(digits, seq);
}

// --- Encoding -------------------------------------------------------------------------------

void PutFloats(std::string* out, const std::vector<float>& values) {
  internal::PutU32(out, static_cast<uint32_t>(values.size()));
  if constexpr (std::endian::native == std::endian::little) {
    out->append(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float));
  } else {
    for (float v : values) internal::PutU32(out, std::bit_cast<uint32_t>(v));
  }
}

// The slot a RecentItems ring's next new item overwrites. The ring does not expose it, so when
// full it is found by pushing an item it lacks into a copy and seeing which slot changed.
template <int kCapacity>
int RingNext(const RecentItems<kCapacity>& ring) {
  if (ring.size() < kCapacity) return ring.size();
  int32_t fresh = -1;
  while (ring.Contains(fresh)) --fresh;
  RecentItems<kCapacity> probe = ring;
  probe.Push(fresh);
  for (int i = 0; i < kCapacity; ++i) {
    if (probe.begin()[i] != ring.begin()[i]) return i;
  }
  return 0;  // Unreachable: Push of an absent item always overwrites a slot.
}

template <int kCapacity>
void PutRing(std::string* out, const RecentItems<kCapacity>& ring) {
  internal::PutU8(out, static_cast<uint8_t>(ring.size()));
  internal::PutU8(out, static_cast<uint8_t>(RingNext(ring)));
  for (const int32_t item : ring) internal::PutU32(out, static_cast<uint32_t>(item));
}

template <int kCapacity>
void PutSessionClicks(std::string* out, const SessionClicks<kCapacity>& clicks) {
  internal::PutU8(out, static_cast<uint8_t>(clicks.size()));
  for (int i = 0; i < clicks.size(); ++i) {
    internal::PutU32(out, static_cast<uint32_t>(clicks.at(i)));
  }
}

template <int kCapacity>
void PutHistory(std::string* out, const ItemHistory<kCapacity>& history) {
  internal::PutU8(out, static_cast<uint8_t>(history.size()));
  for (int i = 0; i < history.size(); ++i) {
    internal::PutU32(out, static_cast<uint32_t>(history.item(i)));
    internal::PutU32(out, history.last_time_seconds(i));
    internal::PutU8(out, static_cast<uint8_t>(history.count(i)));
  }
}

void EncodeUserEntry(absl::string_view user_id, const UserState& state, std::string* out) {
  const size_t start = out->size();
  internal::PutU32(out, 0);  // Entry length, patched below.
  internal::PutString(out, user_id);
  PutFloats(out, state.user);
  PutFloats(out, state.session);
  internal::PutString(out, state.session_id);
  internal::PutI64(out, state.last_event_ms);
  internal::PutI64(out, state.last_item);
  internal::PutU32(out, static_cast<uint32_t>(state.session_length));
  internal::PutU32(out, static_cast<uint32_t>(state.sessions_folded));
  internal::PutU64(out, state.last_log_seq);
  PutSessionClicks(out, state.session_clicks);
  PutHistory(out, state.history);
  PutRing(out, state.purchased_items);
  const auto length = static_cast<uint32_t>(out->size() - start - 4);
  for (int i = 0; i < 4; ++i) (*out)[start + i] = static_cast<char>(length >> (8 * i));
}

absl::Status ValidateUser(const SnapshotHeader& header, absl::string_view user_id,
                          const UserState& state) {
  if (user_id.empty() || user_id.size() > kMaxEventFieldBytes) {
    return absl::InvalidArgumentError(absl::StrCat("snapshot: user id of ", user_id.size(),
                                                   " bytes is outside 1..", kMaxEventFieldBytes));
  }
  if (state.session_id.size() > kMaxEventFieldBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("snapshot: user ", user_id, ": session_id is too long"));
  }
  for (int i = 0; i < state.session_clicks.size(); ++i) {
    if (state.session_clicks.at(i) < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("snapshot: user ", user_id, ": session_clicks holds a negative item"));
    }
  }
  for (int i = 0; i < state.history.size(); ++i) {
    if (state.history.item(i) < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("snapshot: user ", user_id, ": history holds a negative item"));
    }
  }
  if (!state.user.empty() && state.user.size() != header.user_size) {
    return absl::InvalidArgumentError(absl::StrCat("snapshot: user ", user_id, ": user vector of ",
                                                   state.user.size(), " floats, header says ",
                                                   header.user_size));
  }
  if (!state.session.empty() && state.session.size() != header.session_size) {
    return absl::InvalidArgumentError(absl::StrCat("snapshot: user ", user_id,
                                                   ": session vector of ", state.session.size(),
                                                   " floats, header says ", header.session_size));
  }
  return absl::OkStatus();
}

// Buffers, hashes and writes the bytes of a snapshot file.
class SnapshotWriter {
 public:
  SnapshotWriter(int fd, const std::string& path) : fd_(fd), path_(path) {}

  std::string* buffer() { return &buffer_; }
  // Writes the buffer out when it is large (or `force`).
  absl::Status Drain(bool force) {
    if (buffer_.size() < kDrainBytes && !force) return absl::OkStatus();
    sha_.Update(buffer_);
    HRNN_RETURN_IF_ERROR(internal::WriteAll(fd_, buffer_, path_));
    buffer_.clear();
    return absl::OkStatus();
  }
  // Writes the buffer and the digest of everything written.
  absl::Status Finish() {
    HRNN_RETURN_IF_ERROR(Drain(/*force=*/true));
    const Sha256::Digest digest = sha_.Final();
    return internal::WriteAll(
        fd_, absl::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()), path_);
  }

 private:
  static constexpr size_t kDrainBytes = 1 << 20;
  int fd_;
  const std::string& path_;
  std::string buffer_;
  Sha256 sha_;
};

// Removes snapshots beyond the newest kSnapshotsKept, and leftover temporary files.
void RemoveOldSnapshots(const std::string& dir) {
  absl::StatusOr<std::vector<std::string>> names = internal::ListDirectory(dir);
  if (!names.ok()) return;
  std::vector<uint64_t> snaps;
  for (const std::string& name : *names) {
    uint64_t seq;
    if (ParseSnapshotName(name, kSnapSuffix, &seq)) snaps.push_back(seq);
    if (ParseSnapshotName(name, kTmpSuffix, &seq)) {
      ::unlink(absl::StrCat(dir, "/", name).c_str());
    }
  }
  std::sort(snaps.begin(), snaps.end(), std::greater<>());
  for (size_t i = kSnapshotsKept; i < snaps.size(); ++i) {
    ::unlink(absl::StrCat(dir, "/", SnapshotName(snaps[i], kSnapSuffix)).c_str());
  }
  internal::SyncDirectory(dir).IgnoreError();
}

// --- Decoding -------------------------------------------------------------------------------

bool GetFloats(ByteDecoder& in, uint32_t expected, std::vector<float>* values) {
  uint32_t size;
  if (!in.GetU32(&size) || (size != 0 && size != expected)) return false;
  absl::string_view bytes;
  if (!in.GetBytes(size_t{size} * sizeof(float), &bytes)) return false;
  values->resize(size);
  if constexpr (std::endian::native == std::endian::little) {
    if (size > 0) std::memcpy(values->data(), bytes.data(), bytes.size());
  } else {
    for (uint32_t i = 0; i < size; ++i) {
      (*values)[i] = std::bit_cast<float>(internal::LoadU32(bytes.data() + 4 * i));
    }
  }
  return true;
}

// Rebuilds a ring holding `items` in slot order with `next` as its next slot, using only the
// public Push/Clear: `next` placeholder items absent from `items` fill slots 0..next-1, then
// items[next..] fill the rest, then items[0..next) overwrite the placeholders.
template <int kCapacity>
bool GetRing(ByteDecoder& in, RecentItems<kCapacity>* ring) {
  uint8_t count;
  uint8_t next;
  if (!in.GetU8(&count) || !in.GetU8(&next) || count > kCapacity) return false;
  if (count < kCapacity ? next != count : next >= kCapacity) return false;
  int32_t items[kCapacity];
  for (int i = 0; i < count; ++i) {
    if (!in.GetI32(&items[i])) return false;
  }
  ring->Clear();
  if (count == kCapacity) {
    int32_t placeholder = -1;
    for (int filled = 0; filled < next; --placeholder) {
      if (std::find(items, items + count, placeholder) != items + count) continue;
      ring->Push(placeholder);
      ++filled;
    }
    for (int i = next; i < count; ++i) ring->Push(items[i]);
  }
  for (int i = 0; i < (count == kCapacity ? next : count); ++i) ring->Push(items[i]);
  // Duplicates in `items` (never written by us) would make the ring differ.
  return ring->size() == count && std::equal(items, items + count, ring->begin()) &&
         RingNext(*ring) == next;
}

template <int kCapacity>
bool GetSessionClicks(ByteDecoder& in, SessionClicks<kCapacity>* clicks) {
  uint8_t count;
  if (!in.GetU8(&count) || count > kCapacity) return false;
  clicks->Clear();
  for (int i = 0; i < count; ++i) {
    int32_t item;
    if (!in.GetI32(&item) || item < 0) return false;
    clicks->Push(item);
  }
  return true;
}

template <int kCapacity>
bool GetHistory(ByteDecoder& in, ItemHistory<kCapacity>* history) {
  uint8_t count;
  if (!in.GetU8(&count) || count > kCapacity) return false;
  history->Clear();
  for (int i = 0; i < count; ++i) {
    int32_t item;
    uint32_t time;
    uint8_t interactions;
    if (!in.GetI32(&item) || !in.GetU32(&time) || !in.GetU8(&interactions) || item < 0 ||
        !history->Restore(item, time, interactions)) {
      return false;  // Restore refuses a duplicate item or 0 interactions.
    }
  }
  return true;
}

// A RecentItems ring's items from the oldest pushed to the newest: slot order from the slot the
// next item overwrites.
template <int kCapacity>
std::vector<int32_t> OldestFirst(const RecentItems<kCapacity>& ring) {
  const int next = RingNext(ring) % kCapacity;
  std::vector<int32_t> items(ring.begin() + next, ring.end());
  items.insert(items.end(), ring.begin(), ring.begin() + next);
  return items;
}

// Version 1's session_items and user_items rings, converted as the header's layout says.
bool GetVersion1Rings(ByteDecoder& in, UserState* state, absl::string_view* bad_field) {
  RecentItems<16> session_items;
  RecentItems<32> user_items;
  auto nonnegative = [](const auto& ring) {
    return std::all_of(ring.begin(), ring.end(), [](int32_t item) { return item >= 0; });
  };
  if (!GetRing(in, &session_items) || !nonnegative(session_items)) {
    *bad_field = "session_items";
    return false;
  }
  if (!GetRing(in, &user_items) || !nonnegative(user_items)) {
    *bad_field = "user_items";
    return false;
  }
  const std::vector<int32_t> clicks = OldestFirst(session_items);
  state->session_clicks.Clear();
  for (const int32_t item : clicks) state->session_clicks.Push(item);
  const int64_t ms = state->last_event_ms;
  const uint32_t time = ItemHistory<1>::ClampTime(ms / 1000 - (ms % 1000 < 0 ? 1 : 0));
  const std::vector<int32_t> items = OldestFirst(user_items);
  const int kept = std::min<int>(static_cast<int>(items.size()), state->history.capacity());
  state->history.Clear();
  for (size_t i = items.size() - kept; i < items.size(); ++i) {
    state->history.Restore(items[i], time, 1);
  }
  return true;
}

absl::Status DecodeUserEntry(absl::string_view entry, uint32_t version,
                             const SnapshotHeader& header, SnapshotUser* user) {
  ByteDecoder in(entry);
  UserState& state = user->state;
  if (!in.GetString(&user->user_id, kMaxEventFieldBytes) || user->user_id.empty()) {
    return absl::DataLossError("bad user id");
  }
  auto bad = [&](absl::string_view what) {
    return absl::DataLossError(absl::StrCat("user ", user->user_id, ": bad ", what));
  };
  if (!GetFloats(in, header.user_size, &state.user)) return bad("user vector");
  if (!GetFloats(in, header.session_size, &state.session)) return bad("session vector");
  if (!in.GetString(&state.session_id, kMaxEventFieldBytes)) return bad("session_id");
  if (!in.GetI64(&state.last_event_ms) || !in.GetI64(&state.last_item) ||
      !in.GetI32(&state.session_length) || !in.GetI32(&state.sessions_folded) ||
      !in.GetU64(&state.last_log_seq)) {
    return bad("counters (entry ends early)");
  }
  if (version == 1) {
    absl::string_view field;
    if (!GetVersion1Rings(in, &state, &field)) return bad(field);
  } else {
    if (!GetSessionClicks(in, &state.session_clicks)) return bad("session_clicks");
    if (!GetHistory(in, &state.history)) return bad("history");
  }
  if (!GetRing(in, &state.purchased_items)) return bad("purchased_items");
  if (in.remaining() != 0) return bad("entry length (bytes left over)");
  state.model_version = header.model_version;  // Every state is the header's model's.
  return absl::OkStatus();
}

// Reads exactly `n` bytes into `out` and hashes them, or DataLoss.
absl::Status ReadHashed(SequentialReader& reader, Sha256& sha, size_t n, std::string* out) {
  out->resize(n);
  HRNN_ASSIGN_OR_RETURN(const size_t got, reader.Read(out->data(), n));
  if (got != n) {
    return absl::DataLossError(
        absl::StrCat("file ends at offset ", reader.offset(), " inside a field of ", n, " bytes"));
  }
  sha.Update(*out);
  return absl::OkStatus();
}

// A u32 length (1..max_length, within the bytes before `end`) and that many bytes into `out`,
// hashed; DataLoss naming `what` and its offset otherwise.
absl::Status ReadLengthPrefixed(SequentialReader& reader, Sha256& sha, int64_t end,
                                uint32_t max_length, absl::string_view what, std::string* out) {
  const int64_t offset = reader.offset();
  if (end - offset < 4) {
    return absl::DataLossError(absl::StrCat(what, " at offset ", offset, " is torn"));
  }
  HRNN_RETURN_IF_ERROR(ReadHashed(reader, sha, 4, out));
  const uint32_t length = internal::LoadU32(out->data());
  if (length == 0 || length > max_length || length > end - offset - 4) {
    return absl::DataLossError(
        absl::StrCat(what, " at offset ", offset, ": length ", length, " is out of range"));
  }
  return ReadHashed(reader, sha, length, out);
}

// Item 8b: the out-of-stock item ids, each bounded by the bytes left before the trailer.
absl::Status ReadUnavailableItems(SequentialReader& reader, Sha256& sha, int64_t entries_end,
                                  SnapshotHeader* header) {
  std::string bytes;
  if (entries_end - reader.offset() < 4) {
    return absl::DataLossError("file ends inside the unavailable items' count");
  }
  HRNN_RETURN_IF_ERROR(ReadHashed(reader, sha, 4, &bytes));
  const uint32_t count = internal::LoadU32(bytes.data());
  // Each id takes at least 5 bytes: a count beyond what is left is corrupt (and bounds memory).
  if (count > (entries_end - reader.offset()) / 5) {
    return absl::DataLossError(
        absl::StrCat("unavailable items' count ", count, " exceeds what the file holds"));
  }
  header->unavailable_item_ids.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    HRNN_RETURN_IF_ERROR(ReadLengthPrefixed(reader, sha, entries_end, kMaxEventFieldBytes,
                                            absl::StrCat("unavailable item ", i), &bytes));
    header->unavailable_item_ids.push_back(bytes);
  }
  return absl::OkStatus();
}

absl::StatusOr<LoadedSnapshot> ReadSnapshot(SequentialReader& reader) {
  LoadedSnapshot snapshot;
  snapshot.path = reader.path();
  SnapshotHeader& header = snapshot.header;
  const int64_t size = reader.size();
  if (size < static_cast<int64_t>(kFixedHeaderBytes + kHeaderTailBytes + kTrailerBytes)) {
    return absl::DataLossError(absl::StrCat("file of ", size, " bytes is too short"));
  }
  const int64_t entries_end = size - static_cast<int64_t>(kTrailerBytes);
  Sha256 sha;
  std::string bytes;
  HRNN_RETURN_IF_ERROR(ReadHashed(reader, sha, kFixedHeaderBytes, &bytes));
  if (std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0) {
    return absl::DataLossError("bad magic (not a snapshot)");
  }
  const uint32_t version = internal::LoadU32(bytes.data() + 8);
  if (version < kOldestReadableVersion || version > kSnapshotFormatVersion) {
    return absl::DataLossError(absl::StrCat("format version ", version, ", this build reads ",
                                            kOldestReadableVersion, "..", kSnapshotFormatVersion));
  }
  snapshot.format_version = version;
  const uint32_t name_size = internal::LoadU32(bytes.data() + 12);
  if (name_size > kMaxSnapshotModelNameBytes ||
      static_cast<int64_t>(kFixedHeaderBytes + name_size + kHeaderTailBytes) > entries_end) {
    return absl::DataLossError(absl::StrCat("model name length ", name_size, " is out of range"));
  }
  HRNN_RETURN_IF_ERROR(ReadHashed(reader, sha, name_size + kHeaderTailBytes, &bytes));
  {
    ByteDecoder in(bytes);
    absl::string_view name;
    uint64_t seq;
    in.GetBytes(name_size, &name);
    header.model_name = std::string(name);
    in.GetI64(&header.model_version);
    in.GetU64(&seq);
    header.log_seq = seq;
    in.GetI64(&header.created_at_ms);
    in.GetU32(&header.user_size);
    in.GetU32(&header.session_size);
  }
  if (header.user_size > kMaxSnapshotVectorSize || header.session_size > kMaxSnapshotVectorSize) {
    return absl::DataLossError(absl::StrCat("vector sizes ", header.user_size, " and ",
                                            header.session_size, " are out of range"));
  }
  if (version >= 3) {
    HRNN_RETURN_IF_ERROR(ReadUnavailableItems(reader, sha, entries_end, &header));
  }
  while (reader.offset() < entries_end) {
    const int64_t offset = reader.offset();
    HRNN_RETURN_IF_ERROR(
        ReadLengthPrefixed(reader, sha, entries_end, kMaxSnapshotEntryBytes, "user entry", &bytes));
    SnapshotUser user;
    const absl::Status decoded = DecodeUserEntry(bytes, version, header, &user);
    if (!decoded.ok()) {
      return absl::DataLossError(
          absl::StrCat("user entry at offset ", offset, ": ", decoded.message()));
    }
    snapshot.users.push_back(std::move(user));
  }
  HRNN_RETURN_IF_ERROR(ReadHashed(reader, sha, 8, &bytes));
  const uint64_t count = internal::LoadU64(bytes.data());
  if (count != snapshot.users.size()) {
    return absl::DataLossError(
        absl::StrCat("trailer says ", count, " users, the file holds ", snapshot.users.size()));
  }
  const Sha256::Digest digest = sha.Final();
  std::string stored(Sha256::kDigestSize, '\0');
  HRNN_ASSIGN_OR_RETURN(const size_t got, reader.Read(stored.data(), stored.size()));
  if (got != stored.size() || std::memcmp(stored.data(), digest.data(), digest.size()) != 0) {
    return absl::DataLossError("SHA-256 mismatch (the file is corrupt)");
  }
  return snapshot;
}

}  // namespace

std::string SnapshotReport::ToString() const {
  std::string text =
      loaded.empty() ? "snapshot: none loaded" : absl::StrCat("snapshot: loaded ", loaded);
  if (!skipped.empty()) {
    absl::StrAppend(&text, "; skipped ", skipped.size(), ": ", absl::StrJoin(skipped, "; "));
  }
  return text;
}

absl::Status WriteSnapshot(const std::string& dir, const SnapshotHeader& header,
                           absl::FunctionRef<void(SnapshotUserSink)> for_each_user) {
  if (header.model_name.size() > kMaxSnapshotModelNameBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("snapshot: model name longer than ", kMaxSnapshotModelNameBytes, " bytes"));
  }
  if (header.user_size > kMaxSnapshotVectorSize || header.session_size > kMaxSnapshotVectorSize) {
    return absl::InvalidArgumentError(absl::StrCat("snapshot: vector sizes ", header.user_size,
                                                   " and ", header.session_size, " exceed ",
                                                   kMaxSnapshotVectorSize));
  }
  for (const std::string& item_id : header.unavailable_item_ids) {
    if (item_id.empty() || item_id.size() > kMaxEventFieldBytes) {
      return absl::InvalidArgumentError(absl::StrCat("snapshot: an unavailable item id of ",
                                                     item_id.size(), " bytes (1..",
                                                     kMaxEventFieldBytes, " allowed)"));
    }
  }
  HRNN_RETURN_IF_ERROR(internal::CreateDirectories(dir));
  const std::string tmp = absl::StrCat(dir, "/", SnapshotName(header.log_seq, kTmpSuffix));
  const std::string final_path = absl::StrCat(dir, "/", SnapshotName(header.log_seq, kSnapSuffix));
  absl::Status status = [&]() -> absl::Status {
    HRNN_ASSIGN_OR_RETURN(OwnedFd fd, internal::OpenFile(tmp, O_WRONLY | O_CREAT | O_TRUNC));
    SnapshotWriter writer(fd.get(), tmp);
    std::string* out = writer.buffer();
    out->append(kMagic, sizeof(kMagic));
    internal::PutU32(out, kSnapshotFormatVersion);
    internal::PutString(out, header.model_name);
    internal::PutI64(out, header.model_version);
    internal::PutU64(out, header.log_seq);
    internal::PutI64(out, header.created_at_ms);
    internal::PutU32(out, header.user_size);
    internal::PutU32(out, header.session_size);
    internal::PutU32(out, static_cast<uint32_t>(header.unavailable_item_ids.size()));
    for (const std::string& item_id : header.unavailable_item_ids) {
      internal::PutString(out, item_id);
    }
    uint64_t count = 0;
    absl::Status error;
    for_each_user([&](absl::string_view user_id, const UserState& state) {
      if (!error.ok()) return;
      error = ValidateUser(header, user_id, state);
      if (!error.ok()) return;
      EncodeUserEntry(user_id, state, out);
      ++count;
      error = writer.Drain(/*force=*/false);
    });
    HRNN_RETURN_IF_ERROR(error);
    internal::PutU64(out, count);
    HRNN_RETURN_IF_ERROR(writer.Finish());
    if (::fdatasync(fd.get()) != 0) {
      return internal::ErrnoStatus(errno, absl::StrCat(tmp, ": fdatasync"));
    }
    HRNN_RETURN_IF_ERROR(fd.Close(tmp));
    if (::rename(tmp.c_str(), final_path.c_str()) != 0) {
      return internal::ErrnoStatus(errno, absl::StrCat("rename ", tmp, " to ", final_path));
    }
    return absl::OkStatus();
  }();
  if (!status.ok()) {
    ::unlink(tmp.c_str());
    return status;
  }
  HRNN_RETURN_IF_ERROR(internal::SyncDirectory(dir));
  RemoveOldSnapshots(dir);
  return absl::OkStatus();
}

absl::StatusOr<LoadedSnapshot> ReadSnapshotFile(const std::string& path) {
  HRNN_ASSIGN_OR_RETURN(std::unique_ptr<SequentialReader> reader, SequentialReader::Open(path));
  absl::StatusOr<LoadedSnapshot> snapshot = ReadSnapshot(*reader);
  if (!snapshot.ok() && absl::IsDataLoss(snapshot.status())) {
    return absl::DataLossError(absl::StrCat(path, ": ", snapshot.status().message()));
  }
  return snapshot;
}

absl::StatusOr<LoadedSnapshot> ReadLatestSnapshot(const std::string& dir, SnapshotReport* report) {
  SnapshotReport local_report;
  if (report == nullptr) report = &local_report;
  *report = SnapshotReport();
  absl::StatusOr<std::vector<std::string>> names = internal::ListDirectory(dir);
  if (absl::IsNotFound(names.status())) {
    return absl::NotFoundError(absl::StrCat(dir, ": no snapshot (no such directory)"));
  }
  if (!names.ok()) return names.status();
  std::vector<uint64_t> seqs;
  for (const std::string& name : *names) {
    uint64_t seq;
    if (ParseSnapshotName(name, kSnapSuffix, &seq)) seqs.push_back(seq);
  }
  std::sort(seqs.begin(), seqs.end(), std::greater<>());
  for (const uint64_t seq : seqs) {
    const std::string path = absl::StrCat(dir, "/", SnapshotName(seq, kSnapSuffix));
    absl::StatusOr<LoadedSnapshot> snapshot = ReadSnapshotFile(path);
    if (snapshot.ok() && snapshot->header.log_seq != seq) {
      snapshot = absl::DataLossError(absl::StrCat(
          path, ": header log_seq ", snapshot->header.log_seq, " does not match the file name"));
    }
    if (snapshot.ok()) {
      report->loaded = path;
      return snapshot;
    }
    report->skipped.push_back(std::string(snapshot.status().message()));
  }
  return absl::NotFoundError(
      absl::StrCat(dir, ": no valid snapshot", report->skipped.empty() ? "" : " (",
                   absl::StrJoin(report->skipped, "; "), report->skipped.empty() ? "" : ")"));
}

}  // namespace hrnn
