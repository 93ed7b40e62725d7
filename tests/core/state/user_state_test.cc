#include "core/state/user_state.h"

#include <cstdint>
#include <vector>

#include "gtest/gtest.h"

namespace hrnn {
namespace {

template <int kCapacity>
std::vector<int32_t> Clicks(const SessionClicks<kCapacity>& clicks) {
  std::vector<int32_t> out = {-99};  // CopyTo overwrites.
  clicks.CopyTo(&out);
  return out;
}

TEST(SessionClicksTest, KeepsClickOrderAndRepeats) {
  SessionClicks<4> clicks;
  EXPECT_EQ(clicks.capacity(), 4);
  EXPECT_TRUE(Clicks(clicks).empty());
  for (int32_t item : {7, 3, 7}) clicks.Push(item);
  EXPECT_EQ(clicks.size(), 3);
  EXPECT_EQ(Clicks(clicks), (std::vector<int32_t>{7, 3, 7}));
  EXPECT_EQ(clicks.at(0), 7);
  EXPECT_EQ(clicks.at(2), 7);
  EXPECT_TRUE(clicks.Contains(3));
  EXPECT_FALSE(clicks.Contains(4));
}

TEST(SessionClicksTest, FullRingDropsTheOldest) {
  SessionClicks<4> clicks;
  for (int32_t item = 0; item < 10; ++item) {
    clicks.Push(item);
    std::vector<int32_t> expected;
    for (int32_t j = std::max(0, item - 3); j <= item; ++j) expected.push_back(j);
    ASSERT_EQ(Clicks(clicks), expected) << "after pushing " << item;
    ASSERT_EQ(clicks.at(clicks.size() - 1), item);
  }
  EXPECT_FALSE(clicks.Contains(5));
  EXPECT_TRUE(clicks.Contains(6));
  clicks.Clear();
  EXPECT_EQ(clicks.size(), 0);
  EXPECT_FALSE(clicks.Contains(9));
  clicks.Push(1);
  clicks.Push(1);
  EXPECT_EQ(Clicks(clicks), (std::vector<int32_t>{1, 1}));
}

TEST(ItemHistoryTest, CountsAndKeepsTheLatestTime) {
  ItemHistory<4> history;
  history.Record(5, 100);
  history.Record(5, 90);  // Earlier: the count grows, the time stays.
  history.Record(6, 50);
  history.Record(5, 120);
  ASSERT_EQ(history.size(), 2);
  EXPECT_TRUE(history.Contains(5));
  EXPECT_FALSE(history.Contains(7));
  EXPECT_EQ(history.item(0), 5);
  EXPECT_EQ(history.count(0), 3);
  EXPECT_EQ(history.last_time_seconds(0), 120u);
  EXPECT_EQ(history.item(1), 6);
  EXPECT_EQ(history.count(1), 1);
  EXPECT_EQ(history.last_time_seconds(1), 50u);
  history.Clear();
  EXPECT_EQ(history.size(), 0);
  EXPECT_FALSE(history.Contains(5));
}

TEST(ItemHistoryTest, EqualCountsEvictTheOldestLastTime) {
  ItemHistory<3> history;
  history.Record(1, 30);
  history.Record(2, 10);
  history.Record(3, 20);
  history.Record(2, 40);  // Item 2 is now the newest; item 3 the oldest.
  history.Record(4, 5);   // Even an older event evicts the oldest entry.
  EXPECT_FALSE(history.Contains(3));
  ASSERT_EQ(history.size(), 3);
  EXPECT_EQ(history.item(2), 4);  // It took item 3's slot.
  EXPECT_EQ(history.count(2), 1);
  EXPECT_EQ(history.last_time_seconds(2), 5u);
  history.Record(5, 50);  // Item 4 (time 5) goes.
  EXPECT_FALSE(history.Contains(4));
  EXPECT_EQ(history.item(2), 5);
}

TEST(ItemHistoryTest, FrequentItemsOutliveNewerOneOffs) {
  constexpr int64_t kDay = 24 * 3600;
  ItemHistory<3> history;
  for (int i = 0; i < 3; ++i) history.Record(1, 100 * kDay + i);  // Bought 3 times.
  history.Record(2, 150 * kDay);
  history.Record(3, 160 * kDay);
  // At day 170 item 1 is worth 3 * 2^(-70/90) ~ 1.75, item 2 2^(-20/90) ~ 0.86, item 3 ~ 0.93.
  history.Record(4, 170 * kDay);
  EXPECT_TRUE(history.Contains(1));
  EXPECT_FALSE(history.Contains(2));
  // Item 3 (0.93) and item 4 (1) are each worth less than item 1 (1.75) 69 days on...
  history.Record(5, 170 * kDay + 1);
  EXPECT_TRUE(history.Contains(1));
  EXPECT_FALSE(history.Contains(3));
  // ...but at day 400, 300 days after its last purchase, item 1 is worth 3 * 2^(-300/90) ~ 0.30
  // and the one-offs of day 170 2^(-230/90) ~ 0.17: they go first (4, then 5), then item 1.
  history.Record(6, 400 * kDay);
  EXPECT_TRUE(history.Contains(1));
  EXPECT_FALSE(history.Contains(4));
  history.Record(7, 400 * kDay);
  EXPECT_FALSE(history.Contains(5));
  history.Record(8, 400 * kDay);
  EXPECT_FALSE(history.Contains(1));
  EXPECT_TRUE(history.Contains(6));
  EXPECT_TRUE(history.Contains(7));
}

TEST(ItemHistoryTest, TiesEvictTheLowestSlot) {
  ItemHistory<3> history;
  for (int32_t item : {1, 2, 3}) history.Record(item, 7);
  history.Record(4, 9);  // All tie at 7: slot 0 (item 1) goes.
  EXPECT_FALSE(history.Contains(1));
  EXPECT_EQ(history.item(0), 4);
  history.Record(5, 8);  // 2 and 3 tie at 7: slot 1 (item 2) goes.
  EXPECT_FALSE(history.Contains(2));
  EXPECT_TRUE(history.Contains(3));
  EXPECT_EQ(history.item(1), 5);
}

TEST(ItemHistoryTest, CountSaturates) {
  ItemHistory<2> history;
  for (int i = 0; i < 1000; ++i) history.Record(9, i);
  EXPECT_EQ(history.count(0), ItemHistory<2>::kMaxCount);
  EXPECT_EQ(history.count(0), 255);
  EXPECT_EQ(history.last_time_seconds(0), 999u);
}

TEST(ItemHistoryTest, TimeIsClampedToU32) {
  ItemHistory<3> history;
  history.Record(1, -5);
  history.Record(2, int64_t{1} << 40);
  history.Record(3, 4294967295);
  EXPECT_EQ(history.last_time_seconds(0), 0u);
  EXPECT_EQ(history.last_time_seconds(1), 4294967295u);
  EXPECT_EQ(history.last_time_seconds(2), 4294967295u);
}

TEST(ItemHistoryTest, RestoreAppendsOrRefuses) {
  ItemHistory<2> history;
  EXPECT_TRUE(history.Restore(4, 100, 3));
  EXPECT_FALSE(history.Restore(4, 200, 1));  // Held already.
  EXPECT_FALSE(history.Restore(5, 200, 0));  // No interactions.
  EXPECT_FALSE(history.Restore(5, 200, 256));
  EXPECT_TRUE(history.Restore(5, 200, 255));
  EXPECT_FALSE(history.Restore(6, 300, 1));  // Full.
  ASSERT_EQ(history.size(), 2);
  EXPECT_EQ(history.count(0), 3);
  EXPECT_EQ(history.last_time_seconds(1), 200u);
}

TEST(UserStateTest, EntriesStayCompact) {
  // The per-user budget (UserStateStoreTest.StateBytesStayWithinTheBudgetAtHidden100) counts
  // sizeof(UserState): 4 bytes per click, 9 per history entry.
  EXPECT_LE(sizeof(SessionClicks<16>), 16 * 4 + 4);
  EXPECT_LE(sizeof(ItemHistory<32>), 32 * 9 + 4);
}

}  // namespace
}  // namespace hrnn
