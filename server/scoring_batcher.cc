#include "server/scoring_batcher.h"

#include <algorithm>
#include <utility>

namespace hrnn {

// Items per part below which a pass is not split (the hand-off would cost more than it saves).
constexpr int64_t kMinItemsPerPart = 16384;
// Score buffers kept for reuse: enough for every worker's pass at the largest batch.
constexpr size_t kMaxPooledBuffers = 64;

ScoringBatcher::ScoringBatcher(int threads, int max_batch, std::function<void(int)> on_batch)
    : max_batch_(std::max(1, max_batch)),
      threads_(std::max(1, threads)),
      on_batch_(std::move(on_batch)) {
  for (int i = 0; i < threads_; ++i) workers_.emplace_back([this] { Work(); });
}

ScoringBatcher::~ScoringBatcher() {
  {
    MutexLock lock(&mutex_);
    stopping_ = true;
  }
  ready_.SignalAll();
  for (std::thread& worker : workers_) worker.join();
}

void ScoringBatcher::Submit(Job job) {
  {
    MutexLock lock(&mutex_);
    queue_.push_back(std::move(job));
  }
  ready_.Signal();
}

void ScoringBatcher::Work() {
  while (true) {
    std::shared_ptr<Pass> pass;
    int part = 0;
    {
      MutexLock lock(&mutex_);
      while (!stopping_ && parts_.empty() && queue_.empty()) ready_.Wait(&mutex_);
      if (!parts_.empty()) {  // Help with a pass in progress first: it is someone's latency.
        std::tie(pass, part) = std::move(parts_.front());
        parts_.pop_front();
      } else if (!queue_.empty()) {
        pass = StartPass();
        if (pass == nullptr) continue;
      } else {
        return;  // Stopping and drained.
      }
    }
    RunPart(*pass, part);
  }
}

std::shared_ptr<ScoringBatcher::Pass> ScoringBatcher::StartPass() {
  auto pass = std::make_shared<Pass>();
  // The front call and the calls behind it on the same model, up to max_batch.
  const ServingModel* model = queue_.front().model.get();
  for (auto it = queue_.begin();
       it != queue_.end() && static_cast<int>(pass->jobs.size()) < max_batch_;) {
    if (it->model.get() == model) {
      pass->jobs.push_back(std::move(*it));
      it = queue_.erase(it);
    } else {
      ++it;
    }
  }
  mutex_.Unlock();
  // Calls nobody waits for any more are answered without scoring.
  const auto now = std::chrono::system_clock::now();
  auto live_end = std::partition(pass->jobs.begin(), pass->jobs.end(),
                                 [now](const Job& job) { return job.deadline > now; });
  for (auto it = live_end; it != pass->jobs.end(); ++it) {
    it->done(absl::DeadlineExceededError("deadline passed while queued for scoring"), {});
  }
  pass->jobs.erase(live_end, pass->jobs.end());
  if (pass->jobs.empty()) {
    mutex_.Lock();
    return nullptr;
  }
  const int64_t n = pass->jobs.front().model->network->num_items();
  pass->scores.reserve(pass->jobs.size());
  for (size_t i = 0; i < pass->jobs.size(); ++i) {
    pass->scores.push_back(TakeBuffer(n));
    pass->queries.push_back(pass->jobs[i].query.data());
    pass->outputs.push_back(pass->scores[i].get());
  }
  // Split the pass so that idle workers share it: one call's latency falls with the cores.
  pass->num_parts = static_cast<int>(
      std::clamp<int64_t>(n / kMinItemsPerPart, 1, static_cast<int64_t>(threads_)));
  pass->remaining = pass->num_parts;
  mutex_.Lock();
  for (int part = 1; part < pass->num_parts; ++part) parts_.emplace_back(pass, part);
  if (pass->num_parts > 1) ready_.SignalAll();
  return pass;  // The caller runs part 0.
}

void ScoringBatcher::RunPart(Pass& pass, int part) {
  const HrnnNetwork& network = *pass.jobs.front().model->network;
  network.ScoreBatchPart(pass.queries, pass.outputs, part, pass.num_parts);
  if (pass.remaining.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  // The last part to finish completes every call of the pass.
  if (on_batch_) on_batch_(static_cast<int>(pass.jobs.size()));
  const size_t n = static_cast<size_t>(network.num_items());
  for (size_t i = 0; i < pass.jobs.size(); ++i) {
    pass.jobs[i].done(absl::OkStatus(), absl::MakeConstSpan(pass.scores[i].get(), n));
  }
  ReturnBuffers(static_cast<int64_t>(n), std::move(pass.scores));
}

std::unique_ptr<float[]> ScoringBatcher::TakeBuffer(int64_t num_items) {
  {
    MutexLock lock(&pool_mutex_);
    if (pooled_items_ == num_items && !pool_.empty()) {
      std::unique_ptr<float[]> buffer = std::move(pool_.back());
      pool_.pop_back();
      return buffer;
    }
  }
  return std::unique_ptr<float[]>(new float[static_cast<size_t>(num_items)]);
}

void ScoringBatcher::ReturnBuffers(int64_t num_items,
                                   std::vector<std::unique_ptr<float[]>> buffers) {
  MutexLock lock(&pool_mutex_);
  if (pooled_items_ != num_items) {  // A model of another size: its buffers replace the pool.
    pool_.clear();
    pooled_items_ = num_items;
  }
  for (std::unique_ptr<float[]>& buffer : buffers) {
    if (pool_.size() >= kMaxPooledBuffers) break;
    pool_.push_back(std::move(buffer));
  }
}

}  // namespace hrnn
