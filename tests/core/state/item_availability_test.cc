#include "core/state/item_availability.h"

#include <thread>
#include <utility>
#include <vector>

#include "core/kernels/top_k.h"
#include "gtest/gtest.h"

namespace hrnn {
namespace {

TEST(ItemAvailabilityTest, UpdatesPublishANewMaskAndKeepOldSnapshots) {
  ItemAvailability availability(130);
  const auto before = availability.Snapshot();
  ASSERT_EQ(before->size(), 3u);
  const std::vector<std::pair<int64_t, bool>> changes = {
      {0, false}, {64, false}, {129, false}, {500, false}, {-1, false}};
  availability.Update(changes);
  EXPECT_EQ(availability.unavailable_count(), 3);
  const auto after = availability.Snapshot();
  ItemExclusions exclusions(after.get());
  EXPECT_TRUE(exclusions.Contains(0));
  EXPECT_TRUE(exclusions.Contains(64));
  EXPECT_TRUE(exclusions.Contains(129));
  EXPECT_FALSE(exclusions.Contains(1));
  // The snapshot taken before is unchanged.
  for (uint64_t word : *before) EXPECT_EQ(word, 0u);

  const std::vector<std::pair<int64_t, bool>> restock = {{64, true}};
  availability.Update(restock);
  EXPECT_EQ(availability.unavailable_count(), 2);
  EXPECT_FALSE(ItemExclusions(availability.Snapshot().get()).Contains(64));
}

TEST(ItemAvailabilityTest, ConcurrentReadersAndWriters) {
  ItemAvailability availability(1000);
  std::thread writer([&] {
    for (int i = 0; i < 200; ++i) {
      const std::vector<std::pair<int64_t, bool>> change = {{i, false}};
      availability.Update(change);
    }
  });
  int64_t seen = 0;
  for (int i = 0; i < 200; ++i) seen += static_cast<int64_t>(availability.Snapshot()->size());
  writer.join();
  EXPECT_EQ(seen, 200 * 16);
  EXPECT_EQ(availability.unavailable_count(), 200);
}

}  // namespace
}  // namespace hrnn
