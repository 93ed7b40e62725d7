#include "core/state/user_state_store.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace hrnn {
namespace {

using ::hrnn::testing::StatusIs;

UserState StateWithLength(int session_length, int hidden = 100) {
  UserState state;
  state.user.assign(hidden, 0.5f);
  state.session.assign(hidden, 0.25f);
  state.session_length = session_length;
  return state;
}

UserStateStoreOptions OneShard() {
  UserStateStoreOptions options;
  options.num_shards = 1;
  return options;
}

TEST(UserStateStoreOptionsTest, ValidateNamesTheSetting) {
  UserStateStoreOptions options;
  EXPECT_OK(options.Validate());
  options.num_shards = 0;
  EXPECT_THAT(options.Validate(), StatusIs(absl::StatusCode::kInvalidArgument, "shards"));
  options = UserStateStoreOptions();
  options.max_users = -1;
  EXPECT_THAT(options.Validate(), StatusIs(absl::StatusCode::kInvalidArgument, "max_users"));
  options = UserStateStoreOptions();
  options.max_bytes = -1;
  EXPECT_THAT(options.Validate(), StatusIs(absl::StatusCode::kInvalidArgument, "max_state_bytes"));
  options = UserStateStoreOptions();
  options.idle_ttl_ms = -5;
  EXPECT_THAT(options.Validate(), StatusIs(absl::StatusCode::kInvalidArgument, "ttl"));
}

TEST(UserStateStoreTest, GetMissingThenInsertThenUpdate) {
  UserStateStore store(OneShard());
  EXPECT_FALSE(store.Get("alice", 0).has_value());

  const uint64_t v1 = store.CompareAndSet("alice", 0, StateWithLength(1), 0);
  ASSERT_NE(v1, 0u);
  auto got = store.Get("alice", 1);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->version, v1);
  EXPECT_EQ(got->state.session_length, 1);

  const uint64_t v2 = store.CompareAndSet("alice", v1, StateWithLength(2), 2);
  ASSERT_NE(v2, 0u);
  EXPECT_NE(v2, v1);
  EXPECT_EQ(store.Get("alice", 3)->state.session_length, 2);
  EXPECT_EQ(store.stats().users, 1);
}

TEST(UserStateStoreTest, CompareAndSetRefusesStaleVersions) {
  UserStateStore store(OneShard());
  const uint64_t v1 = store.CompareAndSet("bob", 0, StateWithLength(1), 0);
  // A second "insert" of the same user conflicts.
  EXPECT_EQ(store.CompareAndSet("bob", 0, StateWithLength(9), 0), 0u);
  const uint64_t v2 = store.CompareAndSet("bob", v1, StateWithLength(2), 0);
  ASSERT_NE(v2, 0u);
  // Writing with the old version again conflicts and leaves the state alone.
  EXPECT_EQ(store.CompareAndSet("bob", v1, StateWithLength(7), 0), 0u);
  EXPECT_EQ(store.Get("bob", 0)->state.session_length, 2);
  // After an erase, the old version no longer matches; inserting does.
  EXPECT_TRUE(store.Erase("bob"));
  EXPECT_FALSE(store.Erase("bob"));
  EXPECT_EQ(store.CompareAndSet("bob", v2, StateWithLength(3), 0), 0u);
  EXPECT_NE(store.CompareAndSet("bob", 0, StateWithLength(3), 0), 0u);
}

TEST(UserStateStoreTest, EvictsLeastRecentlyUsedBeyondMaxUsers) {
  UserStateStoreOptions options = OneShard();
  options.max_users = 3;
  UserStateStore store(options);
  for (const char* user : {"a", "b", "c"}) store.CompareAndSet(user, 0, StateWithLength(1), 0);
  ASSERT_TRUE(store.Get("a", 1).has_value());  // "a" is now the most recently used.
  store.CompareAndSet("d", 0, StateWithLength(1), 2);
  EXPECT_TRUE(store.Get("a", 3).has_value());
  EXPECT_FALSE(store.Get("b", 3).has_value()) << "b was least recently used";
  EXPECT_TRUE(store.Get("c", 3).has_value());
  EXPECT_TRUE(store.Get("d", 3).has_value());
  const UserStateStoreStats stats = store.stats();
  EXPECT_EQ(stats.users, 3);
  EXPECT_EQ(stats.evicted_capacity, 1);
}

TEST(UserStateStoreTest, ByteCapEvictsButNeverTheUserJustWritten) {
  const int64_t one_user = UserStateStore::StateBytes("u0", StateWithLength(1));
  UserStateStoreOptions options = OneShard();
  options.max_bytes = one_user * 2 + one_user / 2;  // Room for two users.
  UserStateStore store(options);
  for (int i = 0; i < 5; ++i) {
    ASSERT_NE(store.CompareAndSet(absl::StrCat("u", i), 0, StateWithLength(1), i), 0u);
    EXPECT_TRUE(store.Get(absl::StrCat("u", i), i).has_value());
  }
  const UserStateStoreStats stats = store.stats();
  EXPECT_EQ(stats.users, 2);
  EXPECT_EQ(stats.bytes, 2 * one_user);
  EXPECT_EQ(stats.evicted_capacity, 3);

  // A cap smaller than one user still keeps the user just written.
  options.max_bytes = 1;
  UserStateStore tiny(options);
  EXPECT_NE(tiny.CompareAndSet("x", 0, StateWithLength(1), 0), 0u);
  EXPECT_TRUE(tiny.Get("x", 0).has_value());
}

TEST(UserStateStoreTest, ReplaceHeldRewritesOnlyHeldUsersItAcceptsWithoutCountingAUse) {
  UserStateStoreOptions options = OneShard();
  options.max_users = 2;
  UserStateStore store(options);
  const uint64_t a_version = store.CompareAndSet("a", 0, StateWithLength(1), 0);
  store.CompareAndSet("b", 0, StateWithLength(1), 1);  // "a" is now least recently used.

  // Never held or deleted users are not resurrected, and `accept` is not asked.
  bool asked = false;
  EXPECT_FALSE(store.ReplaceHeld("nobody", StateWithLength(5), [&](const UserState&) {
    asked = true;
    return true;
  }));
  EXPECT_FALSE(asked);
  // `accept` sees the held state and can refuse.
  EXPECT_FALSE(store.ReplaceHeld("a", StateWithLength(5),
                                 [](const UserState& held) { return held.session_length > 1; }));
  EXPECT_TRUE(store.ReplaceHeld("a", StateWithLength(5),
                                [](const UserState& held) { return held.session_length == 1; }));
  // A new version (so a concurrent CompareAndSet from the old one conflicts), but no use: "a"
  // is still least recently used and goes first when the cap is reached.
  EXPECT_EQ(store.CompareAndSet("a", a_version, StateWithLength(9), 2), 0u);
  store.CompareAndSet("c", 0, StateWithLength(1), 3);
  EXPECT_FALSE(store.Get("a", 4).has_value());
  EXPECT_TRUE(store.Get("b", 4).has_value());

  EXPECT_TRUE(store.Erase("b"));
  EXPECT_FALSE(store.ReplaceHeld("b", StateWithLength(5), [](const UserState&) { return true; }));
  EXPECT_EQ(store.stats().users, 1);
}

TEST(UserStateStoreTest, ReplaceHeldKeepsTheByteCountAndTheCap) {
  const int64_t small = UserStateStore::StateBytes("u0", StateWithLength(1, 10));
  const int64_t large = UserStateStore::StateBytes("u0", StateWithLength(1, 100));
  UserStateStoreOptions options = OneShard();
  options.max_bytes = large + small + small / 2;  // Three small users, or one large and one small.
  UserStateStore store(options);
  for (int i = 0; i < 3; ++i) {
    store.CompareAndSet(absl::StrCat("u", i), 0, StateWithLength(1, 10), i);
  }
  ASSERT_LE(3 * small, options.max_bytes);
  ASSERT_EQ(store.stats().bytes, 3 * small);
  // u0 is the LRU end: growing it evicts u1 instead (the entry replaced is never evicted).
  ASSERT_TRUE(
      store.ReplaceHeld("u0", StateWithLength(1, 100), [](const UserState&) { return true; }));
  EXPECT_EQ(store.stats().users, 2);
  EXPECT_EQ(store.stats().bytes, large + small);
  EXPECT_EQ(store.stats().evicted_capacity, 1);
  EXPECT_TRUE(store.Get("u0", 5).has_value());
  EXPECT_FALSE(store.Get("u1", 5).has_value());
}

TEST(UserStateStoreTest, IdleUsersExpireOnReadAndInTheSweep) {
  UserStateStoreOptions options = OneShard();
  options.idle_ttl_ms = 1000;
  UserStateStore store(options);
  store.CompareAndSet("old", 0, StateWithLength(1), 0);
  store.CompareAndSet("reader", 0, StateWithLength(1), 100);
  store.CompareAndSet("young", 0, StateWithLength(1), 700);
  EXPECT_TRUE(store.Get("reader", 800).has_value());  // A read keeps a user alive.

  EXPECT_FALSE(store.Get("old", 1001).has_value());
  EXPECT_EQ(store.stats().evicted_idle, 1);
  EXPECT_EQ(store.EvictIdle(1750), 1);  // "young" (last used 700); "reader" (800) stays.
  EXPECT_TRUE(store.Get("reader", 1750).has_value());
  EXPECT_EQ(store.EvictIdle(5000), 1);
  const UserStateStoreStats stats = store.stats();
  EXPECT_EQ(stats.users, 0);
  EXPECT_EQ(stats.bytes, 0);
  EXPECT_EQ(stats.evicted_idle, 3);
}

TEST(UserStateStoreTest, NoTtlNeverExpires) {
  UserStateStore store(OneShard());
  store.CompareAndSet("u", 0, StateWithLength(1), 0);
  EXPECT_EQ(store.EvictIdle(int64_t{1} << 50), 0);
  EXPECT_TRUE(store.Get("u", int64_t{1} << 50).has_value());
}

TEST(UserStateStoreTest, StateBytesStayWithinTheBudgetAtHidden100) {
  // DESIGN §9: at most 1.5 KB per user at H = 100 (a typical 36-byte user id, a session id).
  UserState state = StateWithLength(3);
  state.session_id = "session-0123456789abcdef";
  const int64_t bytes = UserStateStore::StateBytes("user-0123456789abcdef0123456789ab", state);
  EXPECT_LE(bytes, 1536);
  EXPECT_GT(bytes, 800);  // At least the two float vectors.
  UserStateStore store(OneShard());
  store.CompareAndSet("user-0123456789abcdef0123456789ab", 0, state, 0);
  EXPECT_LE(store.stats().bytes, 1536);
}

TEST(UserStateStoreTest, ConcurrentCompareAndSetLosesNoIncrement) {
  UserStateStoreOptions options;
  options.num_shards = 4;
  UserStateStore store(options);
  constexpr int kThreads = 4;
  constexpr int kIncrements = 500;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&store, t] {
      for (int i = 0; i < kIncrements; ++i) {
        const std::string user = absl::StrCat("user", i % 3);
        while (true) {
          auto held = store.Get(user, 0);
          UserState state = held ? held->state : StateWithLength(0, 4);
          ++state.session_length;
          if (store.CompareAndSet(user, held ? held->version : 0, std::move(state), t) != 0) {
            break;
          }
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  int total = 0;
  for (int u = 0; u < 3; ++u) total += store.Get(absl::StrCat("user", u), 0)->state.session_length;
  EXPECT_EQ(total, kThreads * kIncrements);
}

TEST(RecentItemsTest, KeepsTheMostRecentDistinctItems) {
  RecentItems<3> ring;
  EXPECT_EQ(ring.size(), 0);
  ring.Push(1);
  ring.Push(2);
  ring.Push(1);  // Already held: no change.
  EXPECT_EQ(ring.size(), 2);
  ring.Push(3);
  ring.Push(4);  // Overwrites the oldest (1).
  EXPECT_EQ(ring.size(), 3);
  EXPECT_FALSE(ring.Contains(1));
  for (int item : {2, 3, 4}) EXPECT_TRUE(ring.Contains(item)) << item;
  ring.Clear();
  EXPECT_EQ(ring.size(), 0);
  EXPECT_FALSE(ring.Contains(2));
}

}  // namespace
}  // namespace hrnn
