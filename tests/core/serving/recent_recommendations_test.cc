#include "core/serving/recent_recommendations.h"

#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace hrnn {
namespace {

constexpr int64_t kWindow = 30 * 60 * 1000;

void Serve(RecentRecommendations& recent, const std::string& user, int64_t at, uint32_t tag,
           std::vector<absl::string_view> items) {
  recent.Remember(user, at, tag, items);
}

TEST(RecentRecommendationsTest, AttributesAnItemServedWithinTheWindow) {
  RecentRecommendations recent(kWindow, 1000);
  Serve(recent, "u", 1000, 7, {"a", "b", "c"});
  EXPECT_EQ(recent.Attribute("u", "b", 1000), 7u);
  EXPECT_EQ(recent.Attribute("u", "b", 1000 + kWindow), 7u);
  EXPECT_EQ(recent.Attribute("u", "b", 1001 + kWindow), std::nullopt) << "after the window";
  EXPECT_EQ(recent.Attribute("u", "b", 999), std::nullopt) << "before it was served";
  EXPECT_EQ(recent.Attribute("u", "z", 2000), std::nullopt) << "not recommended";
  EXPECT_EQ(recent.Attribute("v", "b", 2000), std::nullopt) << "recommended to another user";
  EXPECT_EQ(recent.Attribute("", "b", 2000), std::nullopt);
}

TEST(RecentRecommendationsTest, TheNewestRecommendationHoldingTheItemWins) {
  RecentRecommendations recent(kWindow, 1000);
  Serve(recent, "u", 1000, 1, {"a", "b"});
  Serve(recent, "u", 3000, 3, {"c"});
  Serve(recent, "u", 2000, 2, {"b"});  // Finished out of order.
  EXPECT_EQ(recent.Attribute("u", "b", 5000), 2u);
  EXPECT_EQ(recent.Attribute("u", "a", 5000), 1u);
  EXPECT_EQ(recent.Attribute("u", "b", 1500), 1u) << "the later one was not served yet";
}

TEST(RecentRecommendationsTest, KeepsOnlyTheNewestFewPerUser) {
  RecentRecommendations recent(kWindow, 1000);
  Serve(recent, "u", 1000, 0, {"old"});
  for (int i = 1; i <= RecentRecommendations::kPerUser; ++i) {
    Serve(recent, "u", 1000 + i, static_cast<uint32_t>(i), {"new"});
  }
  EXPECT_EQ(recent.Attribute("u", "old", 2000), std::nullopt);
  EXPECT_EQ(recent.Attribute("u", "new", 2000),
            static_cast<uint32_t>(RecentRecommendations::kPerUser));
}

TEST(RecentRecommendationsTest, ForgetDropsTheUser) {
  RecentRecommendations recent(kWindow, 1000);
  Serve(recent, "u", 1000, 1, {"a"});
  Serve(recent, "", 1000, 1, {"a"});  // Ignored.
  Serve(recent, "w", 1000, 1, {});    // Ignored.
  EXPECT_EQ(recent.users(), 1);
  recent.Forget("u");
  EXPECT_EQ(recent.users(), 0);
  EXPECT_EQ(recent.Attribute("u", "a", 1000), std::nullopt);
}

TEST(RecentRecommendationsTest, StaysWithinItsBoundDroppingExpiredUsersFirst) {
  const int64_t max_users = 160;
  RecentRecommendations recent(kWindow, max_users);
  for (int i = 0; i < 100; ++i) Serve(recent, "old" + std::to_string(i), 0, 1, {"a"});
  for (int i = 0; i < 2000; ++i) {
    Serve(recent, "new" + std::to_string(i), 2 * kWindow + i, 2, {"a"});
    ASSERT_LE(recent.users(), max_users + 16) << "a shard rounds its share up";
  }
  int old_left = 0;
  for (int i = 0; i < 100; ++i) {
    old_left += recent.Attribute("old" + std::to_string(i), "a", 10).has_value() ? 1 : 0;
  }
  EXPECT_EQ(old_left, 0);
  EXPECT_EQ(recent.Attribute("new1999", "a", 2 * kWindow + 2000), 2u) << "the newest is kept";
}

TEST(RecentRecommendationsTest, ConcurrentUseIsSafe) {
  RecentRecommendations recent(kWindow, 500);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&recent, t] {
      for (int i = 0; i < 2000; ++i) {
        const std::string user = "u" + std::to_string((i * 7 + t) % 700);
        Serve(recent, user, i, static_cast<uint32_t>(t), {"a", "b"});
        (void)recent.Attribute(user, "a", i);
        if (i % 97 == 0) recent.Forget(user);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_LE(recent.users(), 500 + 16);
}

}  // namespace
}  // namespace hrnn
