#include "core/serving/filter_mask_cache.h"

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace hrnn {
namespace {

std::shared_ptr<const FilterMaskCache::Mask> MaskOf(size_t words, uint64_t value) {
  return std::make_shared<const FilterMaskCache::Mask>(words, value);
}

TEST(FilterMaskCacheTest, FindsWhatWasInsertedAndCountsHitsAndMisses) {
  FilterMaskCache cache;
  EXPECT_EQ(cache.Find("a"), nullptr);
  const auto mask = MaskOf(4, 7);
  cache.Insert("a", mask);
  EXPECT_EQ(cache.Find("a"), mask);
  EXPECT_EQ(cache.Find("b"), nullptr);
  const FilterMaskCache::Stats stats = cache.stats();
  EXPECT_EQ(stats.hits, 1);
  EXPECT_EQ(stats.misses, 2);
  EXPECT_EQ(stats.entries, 1);
  EXPECT_EQ(stats.bytes, 4 * 8 + 1);
}

TEST(FilterMaskCacheTest, ReplacingAKeyKeepsTheByteCountRight) {
  FilterMaskCache cache;
  cache.Insert("a", MaskOf(4, 1));
  const auto second = MaskOf(8, 2);
  cache.Insert("a", second);
  EXPECT_EQ(cache.Find("a"), second);
  EXPECT_EQ(cache.stats().entries, 1);
  EXPECT_EQ(cache.stats().bytes, 8 * 8 + 1);
}

TEST(FilterMaskCacheTest, PassingTheBudgetEmptiesItFirst) {
  FilterMaskCache cache(/*max_bytes=*/50);  // One 4-word mask with a 1-byte key: 33 bytes.
  cache.Insert("a", MaskOf(4, 1));
  EXPECT_EQ(cache.stats().clears, 0);
  cache.Insert("b", MaskOf(4, 2));
  EXPECT_EQ(cache.stats().clears, 1);
  EXPECT_EQ(cache.Find("a"), nullptr);
  ASSERT_NE(cache.Find("b"), nullptr);
  EXPECT_EQ(cache.stats().bytes, 33);
  // A mask larger than the budget is still kept (alone).
  cache.Insert("big", MaskOf(64, 3));
  EXPECT_NE(cache.Find("big"), nullptr);
  EXPECT_EQ(cache.stats().entries, 1);
}

TEST(FilterMaskCacheTest, ConcurrentFindsAndInsertsAreSafe) {
  FilterMaskCache cache(/*max_bytes=*/2000);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&cache, t] {
      for (int i = 0; i < 2000; ++i) {
        const std::string key = std::to_string((t * 7 + i) % 50);
        if (auto found = cache.Find(key)) {
          EXPECT_EQ((*found)[0], static_cast<uint64_t>(std::stoi(key)));
        } else {
          cache.Insert(key, MaskOf(4, static_cast<uint64_t>(std::stoi(key))));
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_LE(cache.stats().bytes, 2000);
}

}  // namespace
}  // namespace hrnn
