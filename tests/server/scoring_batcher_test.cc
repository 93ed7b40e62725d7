#include "server/scoring_batcher.h"

#include <atomic>
#include <mutex>
#include <vector>

#include "gtest/gtest.h"
#include "tests/testing/model_dir.h"
#include "tests/testing/random.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace hrnn {
namespace {

std::shared_ptr<const ServingModel> LoadModel(int64_t num_items) {
  const auto root = testing::FreshTestDir() / "models" / "m";
  testing::WriteRandomModel(root, 1, ModelMode::kHrnnInit, num_items);
  auto model = LoadLatestServingModel(root.string(), NetworkOptions(), SessionPolicy(), 0);
  EXPECT_TRUE(model.ok()) << model.status();
  return *model;
}

class ScoringBatcherThreadsTest : public ::testing::TestWithParam<int> {};

// With 1 worker every pass is whole; with 3 a 100k-item pass is split into 3 parts that the
// workers share.
TEST_P(ScoringBatcherThreadsTest, BatchedScoresEqualSingleScoresAndQueuedCallsShareAPass) {
  const auto model = LoadModel(100000);  // ~6 MB table: a pass takes long enough to queue.
  constexpr int kJobs = 40;
  std::mutex mutex;
  std::vector<int> batch_sizes;
  std::atomic<int> done{0};
  std::vector<std::vector<float>> queries(kJobs);
  std::vector<std::vector<float>> results(kJobs);
  {
    ScoringBatcher batcher(/*threads=*/GetParam(), /*max_batch=*/8, [&](int size) {
      std::lock_guard<std::mutex> lock(mutex);
      batch_sizes.push_back(size);
    });
    for (int i = 0; i < kJobs; ++i) {
      queries[i] = testing::RandomVector(16, 100 + i);
      ScoringBatcher::Job job;
      job.model = model;
      job.query = queries[i];
      job.done = [&, i](absl::Status status, absl::Span<const float> scores) {
        EXPECT_OK(status);
        results[i].assign(scores.begin(), scores.end());
        ++done;
      };
      batcher.Submit(std::move(job));
    }
  }  // The destructor scores everything queued.
  EXPECT_EQ(done.load(), kJobs);
  int total = 0;
  int largest = 0;
  for (int size : batch_sizes) {
    total += size;
    largest = std::max(largest, size);
    EXPECT_LE(size, 8);
  }
  EXPECT_EQ(total, kJobs);
  EXPECT_GE(largest, 2) << "calls queued behind a pass were not batched";
  std::vector<float> single(model->network->num_items());
  for (int i = 0; i < kJobs; i += 7) {
    model->network->Score(queries[i].data(), single.data());
    SCOPED_TRACE(i);
    testing::ExpectAllNear(results[i], single, 1e-5f, 1e-5f);
  }
}

INSTANTIATE_TEST_SUITE_P(Workers, ScoringBatcherThreadsTest, ::testing::Values(1, 3));

TEST(ScoringBatcherTest, ExpiredCallsAreAnsweredWithoutScoring) {
  const auto model = LoadModel(500);
  std::atomic<int> expired{0};
  std::atomic<int> scored{0};
  {
    ScoringBatcher batcher(2, 8, nullptr);
    for (int i = 0; i < 10; ++i) {
      ScoringBatcher::Job job;
      job.model = model;
      job.query = testing::RandomVector(16, i);
      job.deadline = i % 2 == 0 ? std::chrono::system_clock::now() - std::chrono::seconds(1)
                                : std::chrono::system_clock::time_point::max();
      job.done = [&](absl::Status status, absl::Span<const float> scores) {
        if (status.code() == absl::StatusCode::kDeadlineExceeded) {
          EXPECT_TRUE(scores.empty());
          ++expired;
        } else {
          EXPECT_EQ(scores.size(), 500u);
          ++scored;
        }
      };
      batcher.Submit(std::move(job));
    }
  }
  EXPECT_EQ(expired.load(), 5);
  EXPECT_EQ(scored.load(), 5);
}

}  // namespace
}  // namespace hrnn
