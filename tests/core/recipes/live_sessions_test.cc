// LiveSessions: when an open session finishes (a new session, the timeout, the open cap), what
// joins the ring (2+ clicks, distinct items), the ring's bound and its postings, Forget, and
// V-SKNN over the live sessions and the index together (hand-computed), also under concurrent
// writers and readers.
#include "core/recipes/live_sessions.h"

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "core/recipes/session_knn.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace hrnn {
namespace {

using ::hrnn::testing::StatusIs;

constexpr int32_t kItems = 10;
constexpr int64_t kMinute = 60 * 1000;

std::unique_ptr<LiveSessions> MakeLive(int32_t capacity, int32_t max_open = 1000) {
  LiveSessionsOptions options;
  options.capacity = capacity;
  options.timeout_ms = 30 * kMinute;
  options.max_open = max_open;
  absl::StatusOr<std::unique_ptr<LiveSessions>> live = LiveSessions::Create(kItems, options);
  EXPECT_OK(live.status());
  return live.ok() ? *std::move(live) : nullptr;
}

// The index of one past session [1 2] (t = 1).
std::unique_ptr<const SessionKnnIndex> IndexOf12(int sample_size = 1000) {
  SessionKnnOptions options;
  options.sample_size = sample_size;
  const std::vector<int32_t> session = {1, 2};
  const IndexedSession indexed[] = {{session, 1}};
  absl::StatusOr<std::unique_ptr<const SessionKnnIndex>> index =
      SessionKnnIndex::Build(kItems, indexed, options);
  EXPECT_OK(index.status());
  return index.ok() ? *std::move(index) : nullptr;
}

std::vector<float> Scores(const SessionKnnIndex& index, const LiveSessions* live,
                          const std::vector<int32_t>& prefix) {
  SessionKnnScratch scratch;
  SparseScores sparse(kItems);
  EXPECT_OK(index.Score(prefix, &scratch, &sparse, live));
  std::vector<float> dense(kItems, 0.0f);
  sparse.AddTo(absl::MakeSpan(dense), 1.0f);
  return dense;
}

TEST(LiveSessionsTest, ASessionJoinsTheRingWhenItsUserStartsAnother) {
  auto live = MakeLive(100);
  live->RecordClick("ann", false, std::vector<int32_t>{1}, 0);
  live->RecordClick("ann", false, std::vector<int32_t>{1, 5}, 1000);
  EXPECT_EQ(live->stats().open, 1);
  EXPECT_EQ(live->stats().finished, 0);
  // Open sessions count for nobody yet.
  auto index = IndexOf12();
  EXPECT_FLOAT_EQ(Scores(*index, live.get(), {1})[5], 0.0f);

  live->RecordClick("ann", true, std::vector<int32_t>{7}, 2000);
  EXPECT_EQ(live->stats().open, 1);
  EXPECT_EQ(live->stats().finished, 1);
  EXPECT_EQ(live->stats().added, 1);
  EXPECT_GT(live->stats().bytes, 0);
  // Prefix {1}: neighbours [1 5] (live) and [1 2] (indexed), similarity 1 each.
  const std::vector<float> scores = Scores(*index, live.get(), {1});
  EXPECT_FLOAT_EQ(scores[1], 2.0f);
  EXPECT_FLOAT_EQ(scores[2], 1.0f);
  EXPECT_FLOAT_EQ(scores[5], 1.0f);
  EXPECT_FLOAT_EQ(scores[7], 0.0f);
}

TEST(LiveSessionsTest, LiveSessionsAreMoreRecentThanTheIndex) {
  auto live = MakeLive(100);
  live->RecordClick("ann", false, std::vector<int32_t>{1, 5}, 0);
  live->RecordClick("ann", true, std::vector<int32_t>{9}, 1000);
  // With one candidate, the most recent session holding 1 is the live [1 5].
  auto index = IndexOf12(/*sample_size=*/1);
  const std::vector<float> scores = Scores(*index, live.get(), {1});
  EXPECT_FLOAT_EQ(scores[5], 1.0f);
  EXPECT_FLOAT_EQ(scores[2], 0.0f);
  // Without live sessions, the index alone.
  EXPECT_FLOAT_EQ(Scores(*index, nullptr, {1})[2], 1.0f);
}

TEST(LiveSessionsTest, IdleSessionsFinishAfterTheTimeout) {
  auto live = MakeLive(100);
  live->RecordClick("ann", false, std::vector<int32_t>{3, 4, 3}, 10 * kMinute);
  live->RecordClick("bob", false, std::vector<int32_t>{6, 8}, 20 * kMinute);
  EXPECT_EQ(live->FinishIdle(40 * kMinute - 1), 0);
  EXPECT_EQ(live->FinishIdle(40 * kMinute), 1);  // ann's last click is 30 minutes old.
  EXPECT_EQ(live->stats().open, 1);
  EXPECT_EQ(live->FinishIdle(50 * kMinute), 1);
  EXPECT_EQ(live->stats().open, 0);
  EXPECT_EQ(live->stats().finished, 2);
  // ann's session is the set {3 4}: similarity of the prefix {3} is 1.
  auto index = IndexOf12();
  EXPECT_FLOAT_EQ(Scores(*index, live.get(), {3})[4], 1.0f);
  EXPECT_FLOAT_EQ(Scores(*index, live.get(), {3})[3], 1.0f);
}

TEST(LiveSessionsTest, OneClickSessionsAndForgottenUsersNeverJoin) {
  auto live = MakeLive(100);
  live->RecordClick("ann", false, std::vector<int32_t>{1}, 0);
  live->RecordClick("ann", true, std::vector<int32_t>{2}, 1000);  // [1] finished: one click.
  EXPECT_EQ(live->stats().added, 0);
  live->RecordClick("bob", false, std::vector<int32_t>{1, 3}, 0);
  live->Forget("bob");
  live->Forget("nobody");
  EXPECT_EQ(live->stats().open, 1);  // ann's [2].
  EXPECT_EQ(live->FinishIdle(100 * kMinute), 0);
  EXPECT_EQ(live->stats().finished, 0);
  // Items outside the catalogue are ignored; a session left with none is dropped.
  live->RecordClick("cat", false, std::vector<int32_t>{-1, kItems}, 0);
  EXPECT_EQ(live->FinishIdle(100 * kMinute), 0);
}

TEST(LiveSessionsTest, TheRingKeepsTheLatestSessionsAndTheirPostingsOnly) {
  auto live = MakeLive(/*capacity=*/3);
  // Sessions {0 s} for s = 1..5 finish in order; the ring keeps {0 3}, {0 4}, {0 5}.
  for (int32_t s = 1; s <= 5; ++s) {
    live->RecordClick("u", false, std::vector<int32_t>{0, s}, s * 1000);
    live->RecordClick("u", true, std::vector<int32_t>{9}, s * 1000 + 1);
  }
  EXPECT_EQ(live->stats().finished, 3);
  EXPECT_EQ(live->stats().added, 5);
  auto index = IndexOf12();
  const std::vector<float> scores = Scores(*index, live.get(), {0});
  EXPECT_FLOAT_EQ(scores[0], 3.0f);
  EXPECT_FLOAT_EQ(scores[1], 0.0f);  // Only in the index's [1 2], which holds no 0.
  EXPECT_FLOAT_EQ(scores[2], 0.0f);
  EXPECT_FLOAT_EQ(scores[3], 1.0f);
  EXPECT_FLOAT_EQ(scores[5], 1.0f);
  // Many more: the postings stay bounded by what the ring holds.
  for (int32_t s = 0; s < 1000; ++s) {
    live->RecordClick("u", false, std::vector<int32_t>{0, 1 + s % 8}, s);
    live->RecordClick("u", true, std::vector<int32_t>{9}, s);
  }
  EXPECT_FLOAT_EQ(Scores(*index, live.get(), {0})[0], 3.0f);
  EXPECT_LT(live->stats().bytes, 4096);
}

TEST(LiveSessionsTest, TheOpenCapFinishesTheLeastRecentlyClickedSession) {
  // 16 shards, max_open 16: one open session per shard.
  auto live = MakeLive(100, /*max_open=*/16);
  for (int u = 0; u < 200; ++u) {
    live->RecordClick("user-" + std::to_string(u), false, std::vector<int32_t>{1, 2}, u);
  }
  EXPECT_LE(live->stats().open, 16);
  EXPECT_EQ(live->stats().added + live->stats().open, 200);
}

TEST(LiveSessionsTest, CapacityZeroKeepsNothing) {
  auto live = MakeLive(0);
  live->RecordClick("ann", false, std::vector<int32_t>{1, 5}, 0);
  live->RecordClick("ann", true, std::vector<int32_t>{9}, 1000);
  EXPECT_EQ(live->stats().open, 0);
  EXPECT_EQ(live->stats().finished, 0);
  auto index = IndexOf12();
  EXPECT_FLOAT_EQ(Scores(*index, live.get(), {1})[5], 0.0f);
}

TEST(LiveSessionsTest, OptionsAreValidated) {
  LiveSessionsOptions options;
  options.capacity = -1;
  EXPECT_THAT(LiveSessions::Create(kItems, options).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, "capacity"));
  options = LiveSessionsOptions();
  options.timeout_ms = 0;
  EXPECT_THAT(LiveSessions::Create(kItems, options).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, "timeout_ms"));
  options = LiveSessionsOptions();
  options.max_open = 0;
  EXPECT_THAT(LiveSessions::Create(kItems, options).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, "max_open"));
  EXPECT_THAT(LiveSessions::Create(-1, LiveSessionsOptions()).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, "num_items"));
}

TEST(LiveSessionsTest, ConcurrentWritersAndReadersAgree) {
  auto live = MakeLive(/*capacity=*/64);
  auto index = IndexOf12();
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int w = 0; w < 2; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < 2000; ++i) {
        const std::string user = "w" + std::to_string(w) + "-" + std::to_string(i % 7);
        live->RecordClick(user, i % 3 == 0, std::vector<int32_t>{i % kItems, (i + w) % kItems}, i);
        if (i % 100 == 0) live->FinishIdle(i + 60 * kMinute);
      }
    });
  }
  std::atomic<int> bad{0};
  threads.emplace_back([&] {
    SessionKnnScratch scratch;
    SparseScores sparse(kItems);
    while (!stop.load()) {
      sparse.Clear();
      if (!index->Score(std::vector<int32_t>{1}, &scratch, &sparse, live.get()).ok()) ++bad;
      // Item 1 is in every neighbour holding it: its score is the most.
      for (int32_t item : sparse.touched()) {
        if (sparse.Get(item) > sparse.Get(1) + 1e-6f) ++bad;
      }
    }
  });
  threads[0].join();
  threads[1].join();
  stop = true;
  threads[2].join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_LE(live->stats().finished, 64);
}

}  // namespace
}  // namespace hrnn
