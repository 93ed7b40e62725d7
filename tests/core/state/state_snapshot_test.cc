#include "core/state/state_snapshot.h"

#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
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

// Users with every field set: full and wrapped rings, partial rings, empty vectors, special
// floats.
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
  for (int i = 0; i < 23; ++i) a.session_items.Push(i * 3);  // Full, wrapped (next slot 7).
  for (int i = 0; i < 70; ++i) a.user_items.Push(1000 + i);  // Full, wrapped (next slot 6).
  for (int i = 0; i < 5; ++i) a.purchased_items.Push(-i);    // Partial, includes negatives.
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
  c.session_items.Push(5);
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
  ExpectSameRing(a.session_items, e.session_items, "session_items");
  ExpectSameRing(a.user_items, e.user_items, "user_items");
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
  EXPECT_EQ(report.loaded, loaded.path);
  EXPECT_TRUE(report.skipped.empty());
  EXPECT_EQ(loaded.header, Header(42));
  ASSERT_EQ(loaded.users.size(), users.size());
  for (size_t i = 0; i < users.size(); ++i) ExpectSameUser(loaded.users[i], users[i]);
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
      state.user_items.Push(i);
      sink(absl::StrCat("user-", i), state);
    }
  }));
  ASSERT_OK_AND_ASSIGN(const LoadedSnapshot loaded, ReadLatestSnapshot(dir, nullptr));
  ASSERT_EQ(loaded.users.size(), size_t{kUsers});
  EXPECT_EQ(loaded.users[4321].user_id, "user-4321");
  EXPECT_EQ(loaded.users[4321].state.user[99], 4321.f);
  EXPECT_EQ(loaded.users[4321].state.last_log_seq, 4321u);
  EXPECT_EQ(loaded.users[4321].state.user_items.size(), 32);
}

}  // namespace
}  // namespace hrnn
