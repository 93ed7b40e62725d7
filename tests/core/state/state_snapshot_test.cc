#include "core/state/state_snapshot.h"

#include <cmath>
#include <cstring>
#include <filesystem>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/base/sha256.h"
#include "core/state/internal/file_io.h"
#include "gtest/gtest.h"
#include "tests/testing/state_files.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace hrnn {
namespace {

namespace fs = std::filesystem;
using ::hrnn::testing::FreshTestDir;
using ::hrnn::testing::ReadBytes;
using ::hrnn::testing::SnapshotPath;
using ::hrnn::testing::StatusIs;
using ::hrnn::testing::WriteBytes;

SnapshotHeader Header(uint64_t log_seq) {
  SnapshotHeader header;
  header.model_name = "retail";
  header.model_version = 7;
  header.log_seq = log_seq;
  header.created_at_ms = 1700000000123;
  header.user_size = 5;
  header.session_size = 3;
  return header;
}

// Users with every field set: full and wrapped rings and histories, partial ones, repeated
// clicks, empty vectors, special floats.
std::vector<SnapshotUser> Users() {
  std::vector<SnapshotUser> users(3);
  users[0].user_id = "alice";
  UserState& a = users[0].state;
  a.user = {1.5f, -0.0f, std::numeric_limits<float>::quiet_NaN(),
            std::numeric_limits<float>::infinity(), 1e-40f};
  a.session = {0.25f, -3.0f, 7.0f};
  a.session_id = "sess-1";
  a.last_event_ms = 1700000000999;
  a.last_item = 12345;
  a.session_length = 4;
  a.sessions_folded = 9;
  a.last_log_seq = 0xFEDCBA9876543210ull;
  for (int i = 0; i < 23; ++i) a.session_clicks.Push(i % 5);  // Full, wrapped, repeats.
  for (int i = 0; i < 70; ++i) {                              // Full, with evictions.
    a.history.Record(1000 + i % 40, int64_t{1700000000} + 7 * i);
  }
  for (int i = 0; i < 3; ++i) a.history.Record(1001, 1700000500);          // Repeats.
  for (int i = 0; i < 300; ++i) a.history.Record(1039, int64_t{4} << 32);  // Count 255, max time.
  for (int i = 0; i < 5; ++i) a.purchased_items.Push(-i);  // Partial, includes negatives.
  users[1].user_id = "bob \xF0\x9F\x98\x80";
  UserState& b = users[1].state;
  b.user = {0.f, 1.f, 2.f, 3.f, 4.f};  // No open session: empty session vector.
  b.last_item = -1;
  b.sessions_folded = 1;
  for (int i = 0; i < 16; ++i) b.purchased_items.Push(i);  // Exactly full (next slot 0).
  users[2].user_id = "carol";  // Session-only model state: no user vector.
  UserState& c = users[2].state;
  c.session = {9.f, 8.f, 7.f};
  c.session_length = 1;
  c.session_clicks.Push(5);
  c.session_clicks.Push(5);
  c.history.Record(5, 1700000000);
  c.history.Record(5, 1600000000);
  return users;
}

void WriteUsers(const std::string& dir, const SnapshotHeader& header,
                const std::vector<SnapshotUser>& users) {
  ASSERT_OK(WriteSnapshot(dir, header, [&](SnapshotUserSink sink) {
    for (const SnapshotUser& user : users) sink(user.user_id, user.state);
  }));
}

bool SameBits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() &&
         (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
}

// Same items in the same slots, and the same slot is overwritten next.
template <int kCapacity>
void ExpectSameRing(const RecentItems<kCapacity>& actual, const RecentItems<kCapacity>& expected,
                    const std::string& what) {
  ASSERT_EQ(actual.size(), expected.size()) << what;
  EXPECT_TRUE(std::equal(actual.begin(), actual.end(), expected.begin())) << what;
  RecentItems<kCapacity> a = actual;
  RecentItems<kCapacity> e = expected;
  a.Push(777777);
  e.Push(777777);
  EXPECT_TRUE(std::equal(a.begin(), a.end(), e.begin())) << what << " after a push";
}

void ExpectSameUser(const SnapshotUser& actual, const SnapshotUser& expected) {
  SCOPED_TRACE(expected.user_id);
  EXPECT_EQ(actual.user_id, expected.user_id);
  const UserState& a = actual.state;
  const UserState& e = expected.state;
  EXPECT_TRUE(SameBits(a.user, e.user));
  EXPECT_TRUE(SameBits(a.session, e.session));
  EXPECT_EQ(a.session_id, e.session_id);
  EXPECT_EQ(a.last_event_ms, e.last_event_ms);
  EXPECT_EQ(a.last_item, e.last_item);
  EXPECT_EQ(a.session_length, e.session_length);
  EXPECT_EQ(a.sessions_folded, e.sessions_folded);
  EXPECT_EQ(a.last_log_seq, e.last_log_seq);
  std::vector<int32_t> actual_clicks, expected_clicks;
  a.session_clicks.CopyTo(&actual_clicks);
  e.session_clicks.CopyTo(&expected_clicks);
  EXPECT_EQ(actual_clicks, expected_clicks);
  ASSERT_EQ(a.history.size(), e.history.size());
  for (int i = 0; i < e.history.size(); ++i) {  // Same slots, so the same evictions later.
    EXPECT_EQ(a.history.item(i), e.history.item(i)) << "slot " << i;
    EXPECT_EQ(a.history.count(i), e.history.count(i)) << "slot " << i;
    EXPECT_EQ(a.history.last_time_seconds(i), e.history.last_time_seconds(i)) << "slot " << i;
  }
  ExpectSameRing(a.purchased_items, e.purchased_items, "purchased_items");
}

TEST(StateSnapshotTest, RoundTripsEveryField) {
  const fs::path dir = FreshTestDir();
  const std::vector<SnapshotUser> users = Users();
  WriteUsers(dir, Header(42), users);
  EXPECT_TRUE(fs::exists(SnapshotPath(dir, 42)));
  SnapshotReport report;
  ASSERT_OK_AND_ASSIGN(const LoadedSnapshot loaded, ReadLatestSnapshot(dir, &report));
  EXPECT_EQ(loaded.path, SnapshotPath(dir, 42).string());
  EXPECT_EQ(loaded.format_version, kSnapshotFormatVersion);
  EXPECT_EQ(report.loaded, loaded.path);
  EXPECT_TRUE(report.skipped.empty());
  EXPECT_EQ(loaded.header, Header(42));
  ASSERT_EQ(loaded.users.size(), users.size());
  for (size_t i = 0; i < users.size(); ++i) ExpectSameUser(loaded.users[i], users[i]);
}

TEST(StateSnapshotTest, FixtureCoversFullAndSaturatedEntries) {
  const std::vector<SnapshotUser> users = Users();
  EXPECT_EQ(users[0].state.session_clicks.size(), 16);
  EXPECT_EQ(users[0].state.history.size(), users[0].state.history.capacity());
  EXPECT_EQ(users[2].state.session_clicks.size(), 2);
}

TEST(StateSnapshotTest, EmptySnapshotRoundTrips) {
  const fs::path dir = FreshTestDir();
  SnapshotHeader header = Header(1);
  header.model_name.clear();
  WriteUsers(dir, header, {});
  ASSERT_OK_AND_ASSIGN(const LoadedSnapshot loaded, ReadLatestSnapshot(dir, nullptr));
  EXPECT_EQ(loaded.header, header);
  EXPECT_TRUE(loaded.users.empty());
}

TEST(StateSnapshotTest, KeepsTheNewestTwo) {
  const fs::path dir = FreshTestDir();
  for (uint64_t seq : {10, 30, 20}) WriteUsers(dir, Header(seq), Users());
  EXPECT_FALSE(fs::exists(SnapshotPath(dir, 10)));
  EXPECT_TRUE(fs::exists(SnapshotPath(dir, 20)));
  EXPECT_TRUE(fs::exists(SnapshotPath(dir, 30)));
  ASSERT_OK_AND_ASSIGN(const LoadedSnapshot loaded, ReadLatestSnapshot(dir, nullptr));
  EXPECT_EQ(loaded.header.log_seq, 30u);
}

TEST(StateSnapshotTest, CorruptNewestIsSkippedForTheOlderOne) {
  const fs::path dir = FreshTestDir();
  WriteUsers(dir, Header(10), Users());
  WriteUsers(dir, Header(20), Users());
  const std::string original = ReadBytes(SnapshotPath(dir, 20));
  std::mt19937_64 rng(3);
  for (int trial = 0; trial < 300; ++trial) {
    std::string bytes = original;
    const size_t at = rng() % bytes.size();
    bytes[at] ^= static_cast<char>(1 + rng() % 255);
    WriteBytes(SnapshotPath(dir, 20), bytes);
    SnapshotReport report;
    ASSERT_OK_AND_ASSIGN(const LoadedSnapshot loaded, ReadLatestSnapshot(dir, &report));
    ASSERT_EQ(loaded.header.log_seq, 10u) << "byte " << at;
    ASSERT_EQ(report.skipped.size(), 1u);
    EXPECT_NE(report.skipped[0].find(SnapshotPath(dir, 20).string()), std::string::npos)
        << report.skipped[0];
  }
}

TEST(StateSnapshotTest, TruncatedAtEveryOffsetIsDataLoss) {
  const fs::path dir = FreshTestDir();
  WriteUsers(dir, Header(10), Users());
  const std::string original = ReadBytes(SnapshotPath(dir, 10));
  const fs::path cut = dir / "cut.snap";
  for (size_t n = 0; n < original.size(); ++n) {
    WriteBytes(cut, original.substr(0, n));
    ASSERT_THAT(ReadSnapshotFile(cut), StatusIs(absl::StatusCode::kDataLoss, cut.string()))
        << "cut to " << n << " bytes";
  }
  WriteBytes(cut, original + "x");
  EXPECT_THAT(ReadSnapshotFile(cut), StatusIs(absl::StatusCode::kDataLoss, ""));
  WriteBytes(cut, original);
  EXPECT_OK(ReadSnapshotFile(cut));
}

TEST(StateSnapshotTest, TruncatedNewestFallsBack) {
  const fs::path dir = FreshTestDir();
  WriteUsers(dir, Header(10), Users());
  WriteUsers(dir, Header(20), Users());
  const std::string original = ReadBytes(SnapshotPath(dir, 20));
  WriteBytes(SnapshotPath(dir, 20), original.substr(0, original.size() / 2));
  SnapshotReport report;
  ASSERT_OK_AND_ASSIGN(const LoadedSnapshot loaded, ReadLatestSnapshot(dir, &report));
  EXPECT_EQ(loaded.header.log_seq, 10u);
  EXPECT_EQ(report.skipped.size(), 1u) << report.ToString();
}

TEST(StateSnapshotTest, GarbageNeverCrashesOrAllocatesHugely) {
  const fs::path dir = FreshTestDir();
  WriteUsers(dir, Header(10), Users());
  const std::string original = ReadBytes(SnapshotPath(dir, 10));
  const fs::path path = dir / "garbage.snap";
  // Lengths and sizes set to huge values: every u32 position in the file set to 0xFFFFFFF0.
  for (size_t at = 0; at + 4 <= original.size(); ++at) {
    std::string bytes = original;
    std::memset(bytes.data() + at, 0xF0, 1);
    std::memset(bytes.data() + at + 1, 0xFF, 3);
    WriteBytes(path, bytes);
    ASSERT_THAT(ReadSnapshotFile(path), StatusIs(absl::StatusCode::kDataLoss, "")) << "at " << at;
  }
  std::mt19937_64 rng(5);
  for (int trial = 0; trial < 200; ++trial) {
    std::string bytes = original.substr(0, 16);  // Valid magic and version.
    bytes.resize(16 + rng() % 600);
    for (size_t i = 12; i < bytes.size(); ++i) bytes[i] = static_cast<char>(rng());
    WriteBytes(path, bytes);
    ASSERT_FALSE(ReadSnapshotFile(path).ok());
  }
}

TEST(StateSnapshotTest, TempFilesAreIgnoredAndCleanedUp) {
  const fs::path dir = FreshTestDir();
  WriteUsers(dir, Header(10), Users());
  const fs::path stale = dir / "snapshot-00000000000000000099.tmp";
  WriteBytes(stale, "a crash mid-write");
  WriteBytes(dir / "snapshot-junk.snap", "not a snapshot name");
  SnapshotReport report;
  ASSERT_OK_AND_ASSIGN(const LoadedSnapshot loaded, ReadLatestSnapshot(dir, &report));
  EXPECT_EQ(loaded.header.log_seq, 10u);
  EXPECT_TRUE(report.skipped.empty());
  WriteUsers(dir, Header(11), Users());
  EXPECT_FALSE(fs::exists(stale));
}

TEST(StateSnapshotTest, NotFoundWhenNoneIsValid) {
  const fs::path dir = FreshTestDir();
  EXPECT_THAT(ReadLatestSnapshot(dir / "absent", nullptr),
              StatusIs(absl::StatusCode::kNotFound, "no snapshot"));
  EXPECT_THAT(ReadLatestSnapshot(dir, nullptr),
              StatusIs(absl::StatusCode::kNotFound, "no valid snapshot"));
  WriteBytes(SnapshotPath(dir, 5), "garbage");
  SnapshotReport report;
  EXPECT_THAT(ReadLatestSnapshot(dir, &report), StatusIs(absl::StatusCode::kNotFound, "too short"));
  EXPECT_EQ(report.skipped.size(), 1u);
}

TEST(StateSnapshotTest, NameMustMatchHeaderSeq) {
  const fs::path dir = FreshTestDir();
  WriteUsers(dir, Header(10), Users());
  fs::rename(SnapshotPath(dir, 10), SnapshotPath(dir, 12));
  SnapshotReport report;
  EXPECT_THAT(ReadLatestSnapshot(dir, &report),
              StatusIs(absl::StatusCode::kNotFound, "does not match"));
}

TEST(StateSnapshotTest, InvalidUserIsRefusedAndNothingChanges) {
  const fs::path dir = FreshTestDir();
  WriteUsers(dir, Header(10), Users());
  std::vector<SnapshotUser> users = Users();
  users[1].state.session = {1.f};  // Header says 3.
  EXPECT_THAT(WriteSnapshot(dir, Header(20),
                            [&](SnapshotUserSink sink) {
                              for (const SnapshotUser& user : users) {
                                sink(user.user_id, user.state);
                              }
                            }),
              StatusIs(absl::StatusCode::kInvalidArgument, "session vector"));
  EXPECT_FALSE(fs::exists(dir / "snapshot-00000000000000000020.tmp"));
  EXPECT_FALSE(fs::exists(SnapshotPath(dir, 20)));
  ASSERT_OK_AND_ASSIGN(const LoadedSnapshot loaded, ReadLatestSnapshot(dir, nullptr));
  EXPECT_EQ(loaded.header.log_seq, 10u);
  SnapshotHeader bad = Header(30);
  bad.user_size = kMaxSnapshotVectorSize + 1;
  EXPECT_THAT(WriteSnapshot(dir, bad, [](SnapshotUserSink) {}),
              StatusIs(absl::StatusCode::kInvalidArgument, "vector sizes"));
}

TEST(StateSnapshotTest, ManyUsersSpanningWriteBuffers) {
  const fs::path dir = FreshTestDir();
  SnapshotHeader header = Header(1000);
  header.user_size = 100;
  header.session_size = 100;
  constexpr int kUsers = 5000;  // About 4 MB: several 1 MiB write buffers.
  ASSERT_OK(WriteSnapshot(dir, header, [&](SnapshotUserSink sink) {
    UserState state;
    for (int i = 0; i < kUsers; ++i) {
      state.user.assign(100, static_cast<float>(i));
      state.session.assign(100, static_cast<float>(-i));
      state.last_log_seq = i;
      state.history.Record(i, i);
      sink(absl::StrCat("user-", i), state);
    }
  }));
  ASSERT_OK_AND_ASSIGN(const LoadedSnapshot loaded, ReadLatestSnapshot(dir, nullptr));
  ASSERT_EQ(loaded.users.size(), size_t{kUsers});
  EXPECT_EQ(loaded.users[4321].user_id, "user-4321");
  EXPECT_EQ(loaded.users[4321].state.user[99], 4321.f);
  EXPECT_EQ(loaded.users[4321].state.last_log_seq, 4321u);
  EXPECT_EQ(loaded.users[4321].state.history.size(), UserState().history.capacity());
}

// A snapshot file written by hand: the header of Header(log_seq) with format `version`, then
// `entries` (each an entry body, framed here), the count and the digest.
// `catalogue` is item 8b's bytes (format 3 on; default: no item out of stock).
std::string HandWrittenSnapshot(uint32_t version, uint64_t log_seq,
                                const std::vector<std::string>& entries,
                                const std::string& catalogue = std::string(4, '\0')) {
  const SnapshotHeader header = Header(log_seq);
  std::string bytes("HRNNSNP\0", 8);
  internal::PutU32(&bytes, version);
  internal::PutString(&bytes, header.model_name);
  internal::PutI64(&bytes, header.model_version);
  internal::PutU64(&bytes, header.log_seq);
  internal::PutI64(&bytes, header.created_at_ms);
  internal::PutU32(&bytes, header.user_size);
  internal::PutU32(&bytes, header.session_size);
  if (version >= 3) bytes += catalogue;
  for (const std::string& entry : entries) {
    internal::PutU32(&bytes, static_cast<uint32_t>(entry.size()));
    bytes += entry;
  }
  internal::PutU64(&bytes, entries.size());
  Sha256 sha;
  sha.Update(bytes);
  const Sha256::Digest digest = sha.Final();
  bytes.append(reinterpret_cast<const char*>(digest.data()), digest.size());
  return bytes;
}

// Items 9.b.i-ix of an entry: user `id`, no vectors, the given last_event_ms.
std::string EntryStart(absl::string_view id, int64_t last_event_ms) {
  std::string entry;
  internal::PutString(&entry, id);
  internal::PutU32(&entry, 0);  // No user vector.
  internal::PutU32(&entry, 0);  // No session vector.
  internal::PutString(&entry, "s1");
  internal::PutI64(&entry, last_event_ms);
  internal::PutI64(&entry, 8);   // last_item.
  internal::PutU32(&entry, 3);   // session_length.
  internal::PutU32(&entry, 2);   // sessions_folded.
  internal::PutU64(&entry, 77);  // last_log_seq.
  return entry;
}

// A RecentItems ring as formats 1 and 2 store it.
void PutRing(std::string* out, const std::vector<int32_t>& slots, int next) {
  internal::PutU8(out, static_cast<uint8_t>(slots.size()));
  internal::PutU8(out, static_cast<uint8_t>(next));
  for (int32_t item : slots) internal::PutU32(out, static_cast<uint32_t>(item));
}

void PutClicks(std::string* out, const std::vector<int32_t>& clicks) {
  internal::PutU8(out, static_cast<uint8_t>(clicks.size()));
  for (int32_t item : clicks) internal::PutU32(out, static_cast<uint32_t>(item));
}

struct HistoryEntry {
  int32_t item;
  uint32_t time;
  uint8_t count;
};
void PutHistory(std::string* out, const std::vector<HistoryEntry>& entries) {
  internal::PutU8(out, static_cast<uint8_t>(entries.size()));
  for (const HistoryEntry& e : entries) {
    internal::PutU32(out, static_cast<uint32_t>(e.item));
    internal::PutU32(out, e.time);
    internal::PutU8(out, e.count);
  }
}

TEST(StateSnapshotTest, HandWrittenVersion2IsRead) {
  const fs::path dir = FreshTestDir();
  std::string entry = EntryStart("dave", 1700000000999);
  PutClicks(&entry, {4, 2, 4});
  PutHistory(&entry, {{4, 1700000000, 2}, {2, 1699999999, 1}});
  PutRing(&entry, {6}, 1);
  WriteBytes(SnapshotPath(dir, 9), HandWrittenSnapshot(2, 9, {entry}));
  ASSERT_OK_AND_ASSIGN(const LoadedSnapshot loaded, ReadSnapshotFile(SnapshotPath(dir, 9)));
  EXPECT_EQ(loaded.format_version, 2u);
  ASSERT_EQ(loaded.users.size(), 1u);
  const UserState& state = loaded.users[0].state;
  std::vector<int32_t> clicks;
  state.session_clicks.CopyTo(&clicks);
  EXPECT_EQ(clicks, (std::vector<int32_t>{4, 2, 4}));
  ASSERT_EQ(state.history.size(), 2);
  EXPECT_EQ(state.history.item(0), 4);
  EXPECT_EQ(state.history.count(0), 2);
  EXPECT_EQ(state.history.last_time_seconds(0), 1700000000u);
  EXPECT_EQ(state.history.item(1), 2);
  EXPECT_TRUE(state.purchased_items.Contains(6));
}

TEST(StateSnapshotTest, Version1IsReadAndConverted) {
  const fs::path dir = FreshTestDir();
  std::string full = EntryStart("erin", 1700000000999);
  // Full rings: slots 100..115 with next slot 3 (oldest first: 103..115, 100..102), and slots
  // 200..231 with next slot 5 (oldest first: 205..231, 200..204).
  std::vector<int32_t> session_slots(16), user_slots(32);
  for (int i = 0; i < 16; ++i) session_slots[i] = 100 + i;
  for (int i = 0; i < 32; ++i) user_slots[i] = 200 + i;
  PutRing(&full, session_slots, 3);
  PutRing(&full, user_slots, 5);
  PutRing(&full, {9}, 1);  // purchased_items.
  std::string before_epoch = EntryStart("frank", -1500);
  PutRing(&before_epoch, {4}, 1);
  PutRing(&before_epoch, {7, 8, 9}, 3);
  PutRing(&before_epoch, {}, 0);
  WriteBytes(SnapshotPath(dir, 9), HandWrittenSnapshot(1, 9, {full, before_epoch}));
  SnapshotReport report;
  ASSERT_OK_AND_ASSIGN(const LoadedSnapshot loaded, ReadLatestSnapshot(dir, &report));
  EXPECT_EQ(loaded.format_version, 1u);
  ASSERT_EQ(loaded.users.size(), 2u);
  const UserState& erin = loaded.users[0].state;
  EXPECT_EQ(erin.last_event_ms, 1700000000999);
  EXPECT_EQ(erin.last_log_seq, 77u);
  EXPECT_EQ(erin.model_version, 7);
  std::vector<int32_t> clicks;
  erin.session_clicks.CopyTo(&clicks);
  std::vector<int32_t> expected_clicks;
  for (int i = 3; i < 19; ++i) expected_clicks.push_back(100 + i % 16);
  EXPECT_EQ(clicks, expected_clicks);
  std::vector<int32_t> user_oldest_first;
  for (int i = 5; i < 37; ++i) user_oldest_first.push_back(200 + i % 32);
  const int capacity = erin.history.capacity();
  ASSERT_EQ(erin.history.size(), capacity);  // The newest of the 32.
  for (int i = 0; i < capacity; ++i) {
    EXPECT_EQ(erin.history.item(i), user_oldest_first[32 - capacity + i]) << i;
    EXPECT_EQ(erin.history.count(i), 1);
    EXPECT_EQ(erin.history.last_time_seconds(i), 1700000000u);
  }
  EXPECT_TRUE(erin.purchased_items.Contains(9));
  const UserState& frank = loaded.users[1].state;
  frank.session_clicks.CopyTo(&clicks);
  EXPECT_EQ(clicks, (std::vector<int32_t>{4}));
  ASSERT_EQ(frank.history.size(), 3);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(frank.history.item(i), 7 + i);
    EXPECT_EQ(frank.history.last_time_seconds(i), 0u);  // floor(-1.5 s) = -2, clamped to 0.
  }

  // Written back, it is a current-version file with the same contents.
  WriteUsers(dir, Header(10), loaded.users);
  ASSERT_OK_AND_ASSIGN(const LoadedSnapshot again, ReadLatestSnapshot(dir, nullptr));
  EXPECT_EQ(again.format_version, kSnapshotFormatVersion);
  ASSERT_EQ(again.users.size(), 2u);
  for (size_t i = 0; i < again.users.size(); ++i) ExpectSameUser(again.users[i], loaded.users[i]);
}

TEST(StateSnapshotTest, BadCountsAndItemsAreRejectedNamingTheField) {
  const fs::path dir = FreshTestDir();
  struct Case {
    std::string what;
    uint32_t version;
    std::function<void(std::string*)> tail;  // Items 9.b.x-xii.
    std::string field;
  };
  const std::vector<Case> cases = {
      {"17 clicks", 2,
       [](std::string* e) {
         PutClicks(e, std::vector<int32_t>(17, 1));
         PutHistory(e, {});
         PutRing(e, {}, 0);
       },
       "session_clicks"},
      {"negative click", 2,
       [](std::string* e) {
         PutClicks(e, {1, -1});
         PutHistory(e, {});
         PutRing(e, {}, 0);
       },
       "session_clicks"},
      {"history over capacity", 2,
       [](std::string* e) {
         PutClicks(e, {});
         std::vector<HistoryEntry> entries;
         for (int i = 0; i <= UserState().history.capacity(); ++i) entries.push_back({i, 1, 1});
         PutHistory(e, entries);
         PutRing(e, {}, 0);
       },
       "history"},
      {"duplicate history item", 2,
       [](std::string* e) {
         PutClicks(e, {});
         PutHistory(e, {{3, 1, 1}, {3, 2, 1}});
         PutRing(e, {}, 0);
       },
       "history"},
      {"history count 0", 2,
       [](std::string* e) {
         PutClicks(e, {});
         PutHistory(e, {{3, 1, 0}});
         PutRing(e, {}, 0);
       },
       "history"},
      {"negative history item", 2,
       [](std::string* e) {
         PutClicks(e, {});
         PutHistory(e, {{-3, 1, 1}});
         PutRing(e, {}, 0);
       },
       "history"},
      {"17 purchases", 2,
       [](std::string* e) {
         PutClicks(e, {});
         PutHistory(e, {});
         std::vector<int32_t> slots(17);
         for (int i = 0; i < 17; ++i) slots[i] = i;
         PutRing(e, slots, 0);
       },
       "purchased_items"},
      {"v1 session_items count 17", 1,
       [](std::string* e) {
         std::vector<int32_t> slots(17);
         for (int i = 0; i < 17; ++i) slots[i] = i;
         PutRing(e, slots, 0);
         PutRing(e, {}, 0);
         PutRing(e, {}, 0);
       },
       "session_items"},
      {"v1 negative user item", 1,
       [](std::string* e) {
         PutRing(e, {}, 0);
         PutRing(e, {-2}, 1);
         PutRing(e, {}, 0);
       },
       "user_items"},
      {"v1 duplicate user items", 1,
       [](std::string* e) {
         PutRing(e, {}, 0);
         PutRing(e, {2, 2}, 2);
         PutRing(e, {}, 0);
       },
       "user_items"},
  };
  const fs::path path = dir / "bad.snap";
  for (const Case& c : cases) {
    std::string entry = EntryStart("gina", 1700000000999);
    c.tail(&entry);
    WriteBytes(path, HandWrittenSnapshot(c.version, 9, {entry}));
    EXPECT_THAT(ReadSnapshotFile(path),
                StatusIs(absl::StatusCode::kDataLoss, absl::StrCat("user gina: bad ", c.field)))
        << c.what;
  }
  WriteBytes(path, HandWrittenSnapshot(4, 9, {}));
  EXPECT_THAT(ReadSnapshotFile(path), StatusIs(absl::StatusCode::kDataLoss, "format version 4"));
  WriteBytes(path, HandWrittenSnapshot(0, 9, {}));
  EXPECT_THAT(ReadSnapshotFile(path), StatusIs(absl::StatusCode::kDataLoss, "format version 0"));
}

TEST(StateSnapshotTest, UnavailableItemsRoundTripAndBadOnesAreRefused) {
  const fs::path dir = FreshTestDir();
  SnapshotHeader header = Header(21);
  header.unavailable_item_ids = {"sku-9", "caf\xC3\xA9", std::string(300, 'x')};
  WriteUsers(dir, header, Users());
  ASSERT_OK_AND_ASSIGN(const LoadedSnapshot loaded, ReadLatestSnapshot(dir, nullptr));
  EXPECT_EQ(loaded.header, header);
  EXPECT_EQ(loaded.users.size(), Users().size());

  // A version 2 file has none; a version 3 file's users follow the items.
  const std::string entry = EntryStart("hana", 1700000000999) + std::string(4, '\0');
  WriteBytes(SnapshotPath(dir, 30), HandWrittenSnapshot(2, 30, {entry}));
  ASSERT_OK_AND_ASSIGN(const LoadedSnapshot v2, ReadSnapshotFile(SnapshotPath(dir, 30).string()));
  EXPECT_TRUE(v2.header.unavailable_item_ids.empty());
  std::string two_items;
  internal::PutU32(&two_items, 2);
  internal::PutString(&two_items, "a");
  internal::PutString(&two_items, "bb");
  WriteBytes(SnapshotPath(dir, 31), HandWrittenSnapshot(3, 31, {entry}, two_items));
  ASSERT_OK_AND_ASSIGN(const LoadedSnapshot v3, ReadSnapshotFile(SnapshotPath(dir, 31).string()));
  EXPECT_EQ(v3.header.unavailable_item_ids, (std::vector<std::string>{"a", "bb"}));
  ASSERT_EQ(v3.users.size(), 1u);
  EXPECT_EQ(v3.users[0].user_id, "hana");

  const fs::path path = dir / "bad.snap";
  std::string huge_count;
  internal::PutU32(&huge_count, 0xFFFFFFFFu);
  WriteBytes(path, HandWrittenSnapshot(3, 9, {}, huge_count));
  EXPECT_THAT(ReadSnapshotFile(path.string()),
              StatusIs(absl::StatusCode::kDataLoss, "unavailable items' count"));
  std::string empty_id;
  internal::PutU32(&empty_id, 1);
  internal::PutString(&empty_id, "");
  internal::PutU32(&empty_id, 0);  // Padding, so that the count is plausible.
  WriteBytes(path, HandWrittenSnapshot(3, 9, {}, empty_id));
  EXPECT_THAT(ReadSnapshotFile(path.string()),
              StatusIs(absl::StatusCode::kDataLoss, "unavailable item 0"));
  std::string long_id;
  internal::PutU32(&long_id, 1);
  internal::PutU32(&long_id, 1000);  // Longer than the file.
  long_id += "abcd";
  WriteBytes(path, HandWrittenSnapshot(3, 9, {}, long_id));
  EXPECT_THAT(ReadSnapshotFile(path.string()),
              StatusIs(absl::StatusCode::kDataLoss, "unavailable item 0"));

  header.unavailable_item_ids = {""};
  EXPECT_THAT(WriteSnapshot(dir.string(), header, [](SnapshotUserSink) {}),
              StatusIs(absl::StatusCode::kInvalidArgument, "unavailable item id"));
}

TEST(StateSnapshotTest, NegativeClickOrHistoryItemIsRefusedOnWrite) {
  const fs::path dir = FreshTestDir();
  for (int which = 0; which < 2; ++which) {
    std::vector<SnapshotUser> users = Users();
    if (which == 0) users[2].state.session_clicks.Push(-4);
    if (which == 1) users[2].state.history.Record(-4, 1);
    EXPECT_THAT(
        WriteSnapshot(dir, Header(20),
                      [&](SnapshotUserSink sink) {
                        for (const SnapshotUser& user : users) {
                          sink(user.user_id, user.state);
                        }
                      }),
        StatusIs(absl::StatusCode::kInvalidArgument, which == 0 ? "session_clicks" : "history"));
  }
}

}  // namespace
}  // namespace hrnn
