#include "core/recipes/trending.h"

#include <cmath>
#include <cstdlib>
#include <limits>
#include <memory>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace hrnn {
namespace {

std::unique_ptr<Trending> Make(int32_t num_items, double half_life_seconds) {
  TrendingOptions options;
  options.half_life_seconds = half_life_seconds;
  absl::StatusOr<std::unique_ptr<Trending>> trending = Trending::Create(num_items, options);
  EXPECT_TRUE(trending.ok()) << trending.status();
  return trending.ok() ? *std::move(trending) : nullptr;
}

TEST(TrendingTest, HalvesPerHalfLife) {
  std::unique_ptr<Trending> trending = Make(4, 100);
  ASSERT_NE(trending, nullptr);
  ASSERT_OK(trending->Record(0, 1000));
  ASSERT_OK(trending->Record(0, 1100));
  ASSERT_OK(trending->Record(1, 1100, 2.0));
  // At 1100: item 0 = 2^-1 + 1 = 1.5; item 1 = 2. At 1300 (two more half-lives): / 4.
  EXPECT_DOUBLE_EQ(trending->Score(0, 1100), 1.5);
  EXPECT_DOUBLE_EQ(trending->Score(1, 1100), 2.0);
  EXPECT_DOUBLE_EQ(trending->Score(0, 1300), 0.375);
  EXPECT_DOUBLE_EQ(trending->Score(1, 1300), 0.5);
  EXPECT_EQ(trending->Score(2, 1100), 0.0);
  // Out of order: an event at 900 counts 2^-2 at 1100.
  ASSERT_OK(trending->Record(1, 900));
  EXPECT_DOUBLE_EQ(trending->Score(1, 1100), 2.25);

  SparseScores scores(4);
  trending->AddScores(1100, &scores);
  EXPECT_EQ(scores.touched().size(), 2u);  // Items 2 and 3 have no events.
  EXPECT_FLOAT_EQ(scores.Get(0), 1.5f);
  EXPECT_FLOAT_EQ(scores.Get(1), 2.25f);
  // Older popularity fades: a newer single event overtakes item 1's 2.25 after enough time.
  ASSERT_OK(trending->Record(2, 1500));
  EXPECT_GT(trending->Score(2, 1500), trending->Score(1, 1500));
}

TEST(TrendingTest, TopScoresAreTheBestItemsWithCurrentScores) {
  std::unique_ptr<Trending> trending = Make(6, 100);
  ASSERT_NE(trending, nullptr);
  for (int32_t item : {4, 4, 4, 1, 1, 5, 5}) ASSERT_OK(trending->Record(item, 1000));
  SparseScores scores(6);
  trending->AddTopScores(1000, 2, &scores);
  // 4 (3 events), then 1 and 5 tie at 2: the lower index.
  EXPECT_EQ(scores.touched(), (std::vector<int32_t>{4, 1}));
  EXPECT_FLOAT_EQ(scores.Get(4), 3.0f);
  scores.Clear();
  // Half a second later (same second): a new event does not change the cached membership,
  // but the scores are current (item 5 is not listed, item 1 keeps its decayed score).
  ASSERT_OK(trending->Record(5, 1000));
  ASSERT_OK(trending->Record(5, 1000));
  trending->AddTopScores(1000, 2, &scores);
  EXPECT_EQ(scores.touched(), (std::vector<int32_t>{4, 1}));
  scores.Clear();
  // A second on, the list is rebuilt: 5 now leads with 4 events. Scores decay by 2^(-1/100).
  trending->AddTopScores(1001, 2, &scores);
  EXPECT_EQ(scores.touched(), (std::vector<int32_t>{5, 4}));
  EXPECT_FLOAT_EQ(scores.Get(5), static_cast<float>(4 * std::exp2(-0.01)));
  scores.Clear();
  // A different m rebuilds at once; more than the items with events lists them all.
  trending->AddTopScores(1001, 10, &scores);
  EXPECT_EQ(scores.touched(), (std::vector<int32_t>{5, 4, 1}));
  scores.Clear();
  trending->AddTopScores(1001, 0, &scores);
  EXPECT_TRUE(scores.empty());
}

TEST(TrendingTest, RebasesFarAheadWithoutOverflow) {
  std::unique_ptr<Trending> trending = Make(2, 1);
  ASSERT_NE(trending, nullptr);
  ASSERT_OK(trending->Record(0, 0));
  ASSERT_OK(trending->Record(1, 100));  // 100 half-lives ahead of the reference: rescaled.
  EXPECT_DOUBLE_EQ(trending->Score(0, 100), std::exp2(-100.0));
  EXPECT_DOUBLE_EQ(trending->Score(1, 100), 1.0);
  EXPECT_DOUBLE_EQ(trending->Score(1, 101), 0.5);
  ASSERT_OK(trending->Record(1, 1000000));  // Far ahead again: old amounts decay to 0.
  EXPECT_DOUBLE_EQ(trending->Score(1, 1000000), 1.0);
  EXPECT_EQ(trending->Score(0, 1000000), 0.0);
  SparseScores scores(2);
  trending->AddScores(0, &scores);  // 10^6 half-lives before the events: clamped, not inf.
  EXPECT_EQ(scores.Get(1), std::numeric_limits<float>::max());
  EXPECT_FALSE(std::isnan(scores.Get(0)));
}

TEST(TrendingTest, EmptyAndErrors) {
  std::unique_ptr<Trending> trending = Make(2, 10);
  ASSERT_NE(trending, nullptr);
  SparseScores scores(2);
  trending->AddScores(0, &scores);
  EXPECT_TRUE(scores.empty());
  EXPECT_THAT(trending->Record(2, 0),
              testing::StatusIs(absl::StatusCode::kInvalidArgument, "item = 2"));
  EXPECT_THAT(trending->Record(0, 0, -1),
              testing::StatusIs(absl::StatusCode::kInvalidArgument, "weight"));
  EXPECT_THAT(trending->Record(0, 0, std::nan("")),
              testing::StatusIs(absl::StatusCode::kInvalidArgument, "weight"));
  EXPECT_EQ(trending->Score(0, 0), 0.0);
  TrendingOptions options;
  options.half_life_seconds = 0;
  EXPECT_THAT(Trending::Create(2, options).status(),
              testing::StatusIs(absl::StatusCode::kInvalidArgument, "half_life_seconds"));
  options.half_life_seconds = std::numeric_limits<double>::infinity();
  EXPECT_THAT(Trending::Create(2, options).status(),
              testing::StatusIs(absl::StatusCode::kInvalidArgument, "half_life_seconds"));
  EXPECT_THAT(Trending::Create(-1, TrendingOptions{}).status(),
              testing::StatusIs(absl::StatusCode::kInvalidArgument, "num_items"));
}

// Several threads Record concurrently (crossing rebases: half-life 1 s, times 0..199) while
// another reads; no event is lost: each item ends at kThreads * sum_t 2^-(199 - t).
TEST(TrendingTest, ConcurrentRecordAndRead) {
  constexpr int kThreads = 4, kItems = 8, kTimes = 200;
  std::unique_ptr<Trending> trending = Make(kItems, 1);
  ASSERT_NE(trending, nullptr);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&trending] {
      for (int time = 0; time < kTimes; ++time) {
        for (int32_t item = 0; item < kItems; ++item) {
          if (!trending->Record(item, time).ok()) std::abort();
        }
      }
    });
  }
  std::thread reader([&trending] {
    SparseScores scores(kItems);
    for (int r = 0; r < 200; ++r) {
      scores.Clear();
      trending->AddScores(kTimes - 1, &scores);
      for (int32_t item : scores.touched()) {
        if (!(scores.Get(item) >= 0)) std::abort();
      }
    }
  });
  for (std::thread& thread : threads) thread.join();
  reader.join();
  double expected = 0;
  for (int time = 0; time < kTimes; ++time) expected += kThreads * std::exp2(time - (kTimes - 1.0));
  for (int32_t item = 0; item < kItems; ++item) {
    EXPECT_NEAR(trending->Score(item, kTimes - 1), expected, 1e-9 * expected) << "item " << item;
  }

  // Without decay effects (all at one time) the scores are exact counts.
  std::unique_ptr<Trending> counts = Make(kItems, 100);
  ASSERT_NE(counts, nullptr);
  threads.clear();
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&counts, t] {
      for (int n = 0; n < 5000; ++n) {
        if (!counts->Record((n + t) % kItems, 42).ok()) std::abort();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int32_t item = 0; item < kItems; ++item) {
    EXPECT_EQ(counts->Score(item, 42), kThreads * 5000.0 / kItems) << "item " << item;
  }
}

}  // namespace
}  // namespace hrnn
