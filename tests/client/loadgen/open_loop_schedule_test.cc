#include "client/loadgen/open_loop_schedule.h"

#include <cstdint>

#include "gtest/gtest.h"

namespace hrnn::client::loadgen {
namespace {

TEST(OpenLoopScheduleTest, EvenlySpacedFromStart) {
  const OpenLoopSchedule schedule(/*start_ns=*/1'000, /*rate=*/1000);  // 1 ms apart.
  EXPECT_EQ(schedule.IntendedTime(0), 1'000);
  EXPECT_EQ(schedule.IntendedTime(1), 1'001'000);
  EXPECT_EQ(schedule.IntendedTime(2500), 1'000 + 2'500'000'000);
  EXPECT_DOUBLE_EQ(schedule.period_ns(), 1e6);
}

TEST(OpenLoopScheduleTest, NonIntegerPeriodDoesNotDrift) {
  // 3 per second: 333,333,333.3 ns apart; after 3 million sends exactly 1e6 s have passed.
  const OpenLoopSchedule schedule(0, 3);
  EXPECT_EQ(schedule.IntendedTime(1), 333'333'333);
  EXPECT_EQ(schedule.IntendedTime(2), 666'666'667);
  EXPECT_EQ(schedule.IntendedTime(3'000'000), 1'000'000'000'000'000);
  for (int64_t i = 1; i < 1000; ++i) {
    const int64_t gap = schedule.IntendedTime(i) - schedule.IntendedTime(i - 1);
    ASSERT_GE(gap, 333'333'333) << i;
    ASSERT_LE(gap, 333'333'334) << i;
  }
}

TEST(OpenLoopScheduleTest, OffsetShiftsEveryTime) {
  const OpenLoopSchedule base(0, 100);
  const OpenLoopSchedule shifted(0, 100, /*offset_ns=*/250);
  for (int64_t i = 0; i < 10; ++i) EXPECT_EQ(shifted.IntendedTime(i), base.IntendedTime(i) + 250);
}

TEST(OpenLoopScheduleTest, CountBeforeIsTheNumberOfDueRequests) {
  const OpenLoopSchedule schedule(500, 7);
  EXPECT_EQ(schedule.CountBefore(0), 0);
  EXPECT_EQ(schedule.CountBefore(500), 0);
  EXPECT_EQ(schedule.CountBefore(501), 1);
  for (int64_t i = 0; i < 100; ++i) {
    const int64_t t = schedule.IntendedTime(i);
    EXPECT_EQ(schedule.CountBefore(t), i);
    EXPECT_EQ(schedule.CountBefore(t + 1), i + 1);
  }
}

}  // namespace
}  // namespace hrnn::client::loadgen
