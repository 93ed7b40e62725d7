#include "server/scoring_batcher.h"

#include <algorithm>
#include <utility>

namespace hrnn {

ScoringBatcher::ScoringBatcher(int threads, int max_batch, std::function<void(int)> on_batch)
    : max_batch_(std::max(1, max_batch)), on_batch_(std::move(on_batch)) {
  for (int i = 0; i < std::max(1, threads); ++i) workers_.emplace_back([this] { Work(); });
}

ScoringBatcher::~ScoringBatcher() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  ready_.notify_all();
  for (std::thread& worker : workers_) worker.join();
}

void ScoringBatcher::Submit(Job job) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(std::move(job));
  }
  ready_.notify_one();
}

void ScoringBatcher::Work() {
  std::vector<Job> batch;
  std::vector<std::vector<float>> scores;  // One buffer per batch slot, reused.
  while (true) {
    batch.clear();
    {
      std::unique_lock<std::mutex> lock(mutex_);
      ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // Stopping and drained.
      // The front call and the calls behind it on the same model, up to max_batch.
      const ServingModel* model = queue_.front().model.get();
      for (auto it = queue_.begin();
           it != queue_.end() && static_cast<int>(batch.size()) < max_batch_;) {
        if (it->model.get() == model) {
          batch.push_back(std::move(*it));
          it = queue_.erase(it);
        } else {
          ++it;
        }
      }
    }

    // Calls nobody waits for any more are answered without scoring.
    const auto now = std::chrono::system_clock::now();
    auto live_end = std::partition(batch.begin(), batch.end(),
                                   [now](const Job& job) { return job.deadline > now; });
    for (auto it = live_end; it != batch.end(); ++it) {
      it->done(absl::DeadlineExceededError("deadline passed while queued for scoring"), {});
    }
    batch.erase(live_end, batch.end());
    if (batch.empty()) continue;

    const HrnnNetwork& network = *batch.front().model->network;
    const size_t n = static_cast<size_t>(network.num_items());
    if (scores.size() < batch.size()) scores.resize(batch.size());
    std::vector<const float*> queries;
    std::vector<float*> outputs;
    for (size_t i = 0; i < batch.size(); ++i) {
      scores[i].resize(n);
      queries.push_back(batch[i].query.data());
      outputs.push_back(scores[i].data());
    }
    network.ScoreBatch(queries, outputs);
    if (on_batch_) on_batch_(static_cast<int>(batch.size()));
    for (size_t i = 0; i < batch.size(); ++i) {
      batch[i].done(absl::OkStatus(), absl::MakeConstSpan(scores[i].data(), n));
    }
  }
}

}  // namespace hrnn
