#include "core/data/tie_shuffle.h"

#include <algorithm>
#include <vector>

#include "gtest/gtest.h"
#include "tests/testing/dataset_builder.h"

namespace hrnn {
namespace {

using ::hrnn::testing::MakeDataset;

// Two sessions; timestamps set by hand: session 0 has a tied run [1..4) at t=50, session 1 a
// tie between its first two events only.
Dataset TiedData() {
  Dataset d = MakeDataset(10, {{"a", {{0, 1, 2, 3, 4}, {5, 6, 7}}}});
  d.timestamps = {10, 50, 50, 50, 60, 70, 70, 80};
  return d;
}

TEST(TieShuffleTest, CountsConsecutiveTiesWithinSessionsOnly) {
  Dataset d = TiedData();
  EXPECT_EQ(CountTimestampTies(d), 3);
  // A tie across the session boundary does not count.
  d.timestamps = {1, 2, 3, 4, 5, 5, 6, 7};
  EXPECT_EQ(CountTimestampTies(d), 0);
}

TEST(TieShuffleTest, PermutesOnlyTiedRunsAndIsSeeded) {
  const Dataset d = TiedData();
  bool moved = false;
  for (uint64_t seed = 0; seed < 20; ++seed) {
    const Dataset s = ShuffleTimestampTies(d, seed);
    EXPECT_EQ(s.timestamps, d.timestamps);
    EXPECT_EQ(s.items[0], 0);
    EXPECT_EQ(s.items[4], 4);
    EXPECT_EQ(s.items[7], 7);
    std::vector<int32_t> run(s.items.begin() + 1, s.items.begin() + 4);
    std::sort(run.begin(), run.end());
    EXPECT_EQ(run, (std::vector<int32_t>{1, 2, 3}));
    std::vector<int32_t> pair = {s.items[5], s.items[6]};
    std::sort(pair.begin(), pair.end());
    EXPECT_EQ(pair, (std::vector<int32_t>{5, 6}));
    moved = moved || s.items != d.items;
    EXPECT_EQ(ShuffleTimestampTies(d, seed).items, s.items) << "seed " << seed;
  }
  EXPECT_TRUE(moved);
}

}  // namespace
}  // namespace hrnn
