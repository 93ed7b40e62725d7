// ScoringBatcher: scores the whole catalogue for concurrent GetRecommendations calls in shared
// passes — HrnnNetwork::ScoreBatch reads the item table once for up to 8 query vectors, so
// under load the memory traffic per request falls up to 8-fold. Calls queue; a free worker
// takes every queued call (up to max_batch, of one model) and starts a pass over them; a large
// table's pass is split into one part per worker, and idle workers take the parts, so a lone
// call on an idle server is scored by every core at once and batching never adds latency when
// nothing is queued. Calls whose deadline has passed while queued are answered without
// scoring, so an overloaded server sheds work instead of scoring answers nobody waits for.
// Score buffers are reused from pass to pass (not zero-filled, not returned to the system), so
// a pass costs no allocation, page faults or memset of a catalogue-sized array per call.
// Thread-safe; the queue and the pass parts are guarded by one Mutex, the buffer pool by
// another (core/base/mutex.h), checked by clang's -Wthread-safety.
#ifndef HRNN_SERVER_SCORING_BATCHER_H_
#define HRNN_SERVER_SCORING_BATCHER_H_

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/types/span.h"
#include "core/base/mutex.h"
#include "core/serving/serving_model.h"

namespace hrnn {

class ScoringBatcher {
 public:
  struct Job {
    std::shared_ptr<const ServingModel> model;
    std::vector<float> query;  // model->network->hidden_size() floats.
    std::chrono::system_clock::time_point deadline = std::chrono::system_clock::time_point::max();
    // Called once on a worker thread: OK with the scores of every item (valid during the call
    // only), or DeadlineExceeded without scores.
    std::function<void(absl::Status, absl::Span<const float> scores)> done;
  };

  // `threads` workers, at most `max_batch` (1..kMaxMatVecBatch x 4) calls per pass;
  // `on_batch` (may be empty) is told the size of every pass.
  ScoringBatcher(int threads, int max_batch, std::function<void(int)> on_batch);
  // Scores what is queued, then stops the workers.
  ~ScoringBatcher();
  ScoringBatcher(const ScoringBatcher&) = delete;
  ScoringBatcher& operator=(const ScoringBatcher&) = delete;

  void Submit(Job job) ABSL_LOCKS_EXCLUDED(mutex_);

 private:
  // One pass over the item table for a batch of calls, in num_parts slices.
  struct Pass {
    std::vector<Job> jobs;
    std::vector<std::unique_ptr<float[]>> scores;  // Per job: every item's score.
    std::vector<const float*> queries;
    std::vector<float*> outputs;
    int num_parts = 1;
    std::atomic<int> remaining{0};  // Parts not finished; the last one completes the calls.
  };

  void Work() ABSL_LOCKS_EXCLUDED(mutex_);
  // Takes the next batch off the queue and queues its parts 1..num_parts-1; returns it (the
  // caller runs part 0), or null when every call had expired. Releases mutex_ while it
  // answers expired calls and allocates the scores, and holds it again on return.
  // REQUIRES: the queue is not empty.
  std::shared_ptr<Pass> StartPass() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // Scores one part; the last part of a pass finishes its calls.
  void RunPart(Pass& pass, int part);
  // A score buffer of `num_items` floats (uninitialised): a pooled one, or a new one.
  std::unique_ptr<float[]> TakeBuffer(int64_t num_items) ABSL_LOCKS_EXCLUDED(pool_mutex_);
  // Gives a pass's buffers back to the pool (at most kMaxPooledBuffers are kept).
  void ReturnBuffers(int64_t num_items, std::vector<std::unique_ptr<float[]>> buffers)
      ABSL_LOCKS_EXCLUDED(pool_mutex_);

  const int max_batch_;
  const int threads_;
  const std::function<void(int)> on_batch_;
  Mutex mutex_;
  CondVar ready_;  // Signalled when a call, a part or stopping_ arrives.
  std::deque<Job> queue_ ABSL_GUARDED_BY(mutex_);
  std::deque<std::pair<std::shared_ptr<Pass>, int>> parts_ ABSL_GUARDED_BY(mutex_);
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  Mutex pool_mutex_;
  int64_t pooled_items_ ABSL_GUARDED_BY(pool_mutex_) = 0;  // The pooled buffers' size.
  std::vector<std::unique_ptr<float[]>> pool_ ABSL_GUARDED_BY(pool_mutex_);
  std::vector<std::thread> workers_;
};

}  // namespace hrnn

#endif  // HRNN_SERVER_SCORING_BATCHER_H_
