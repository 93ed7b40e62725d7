// The `sknn` recipe (DESIGN §2b): V-SKNN, session-based kNN with a position-weighted current
// session (Ludewig & Jannach 2018, as session-rec's algorithms/knn/vsknn.py), over an index of
// past sessions. One implementation for serving and for hrnn-eval's "vsknn" baseline.
// SessionKnnIndex is immutable once built and thread-safe; SessionKnnScratch is per thread.
#ifndef HRNN_CORE_RECIPES_SESSION_KNN_H_
#define HRNN_CORE_RECIPES_SESSION_KNN_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/recipes/live_sessions.h"
#include "core/recipes/sparse_scores.h"

namespace hrnn {

// How a candidate session n is compared with the current session's weights w (see below).
enum class SessionSimilarity {
  // session-rec's `vec` (what its V-SKNN computes whatever its `similarity` argument says):
  // sim = sum_{i in current and n} w(i) / |distinct items of the current session|.
  kVec,
  // The cosine of w and n's binary vector: sum_{i in current and n} w(i) / (||w||_2 sqrt(|n|)),
  // which also discounts long neighbour sessions (hrnn-eval's definition before the recipe).
  kCosine,
};

struct SessionKnnOptions {
  // Neighbours kept: the k most similar candidates (ties by recency). Default: 100.
  int k = 100;
  // Candidates (session-rec's sample_size m): the m most recent indexed sessions containing
  // any item of the current session. Default: 1000.
  int sample_size = 1000;
  // Default: kVec (session-rec's definition, DESIGN §2b).
  SessionSimilarity similarity = SessionSimilarity::kVec;

  // InvalidArgument naming the field if k < 1 or sample_size < 1.
  absl::Status Validate() const;
};

// One past session as the index is built from it.
struct IndexedSession {
  absl::Span<const int32_t> items;  // In click order; repeats allowed; may be empty.
  int64_t last_time = 0;            // Time of its last click (any unit; only the order matters).
};

// Per-thread working memory of SessionKnnIndex::Score (sized on first use). Not thread-safe.
class SessionKnnScratch {
 public:
  SessionKnnScratch() = default;

 private:
  friend class SessionKnnIndex;
  struct Neighbor {
    int64_t session;  // Recency rank over the live candidates, then the index.
    double similarity;
  };
  std::vector<int32_t> position_;  // Item -> latest 1-based position in the prefix; 0 = absent.
  std::vector<int32_t> distinct_;  // The prefix's distinct items (where position_ != 0).
  std::vector<int64_t> candidates_;
  std::vector<std::pair<int64_t, size_t>> heap_;
  std::vector<Neighbor> neighbors_;
  // The live candidates (LiveSessions), copied out of the ring: their ages, then their items
  // (CSR: live_begin_[j]..live_begin_[j + 1] for the j-th most recent).
  std::vector<int64_t> live_ages_;
  std::vector<int32_t> live_items_;
  std::vector<size_t> live_begin_;
};

// V-SKNN, exactly (over the indexed sessions, and the live ones when Score is given them):
// - Current session (a prefix of L clicks): the click at 1-based position p weighs p / L, so
//   the latest click weighs 1 (session-rec's `div` weighting); an item clicked more than once
//   keeps the weight of its latest click. w(i) = 0 for items not in the prefix.
// - An indexed session is the set of its distinct items (binary vector).
// - Candidates: the sample_size most recent sessions that contain at least one item of the
//   prefix. Recency: the live sessions (finished on the server, live_sessions.h) are more recent
//   than every indexed one, latest finished first; indexed sessions by last_time, ties by the
//   later position in the Build() input. Both keep item -> sessions postings in recency order,
//   so only the first sample_size postings of each prefix item are read: no scan of the log.
// - Neighbours: the k candidates of highest similarity (options.similarity), ties by recency.
// - score(i) = sum of the similarities of the neighbours containing i. Items of the prefix are
//   not excluded (session-rec's remind=True; exclusion is the pipeline's filter).
// Deliberately not implemented from session-rec's defaults: its weighting_score='div' factor
// (a neighbour's contribution times 1/s, s the distance from the end of the prefix of the
// latest prefix item it contains) and its final division by the maximum (which does not change
// ranks; SparseScores::NormalizeByMax does it for the blend).
class SessionKnnIndex {
 public:
  // Indexes `sessions` over items 0..num_items-1, copying what it needs (the spans need not
  // outlive the call). Errors: InvalidArgument if options are invalid, num_items < 0, more than
  // 2^31-1 sessions, or an item is outside [0, num_items) (naming the session and position).
  static absl::StatusOr<std::unique_ptr<const SessionKnnIndex>> Build(
      int32_t num_items, absl::Span<const IndexedSession> sessions,
      const SessionKnnOptions& options);

  // Adds score(i) (above) for the current session `prefix` into *scores, the candidates drawn
  // from `live`'s finished sessions (when not null) and the index; an empty prefix, or one
  // sharing no item with either, adds nothing. Holds live's ring lock only while it copies its
  // candidates out. Errors: InvalidArgument if a prefix item is outside [0, num_items())
  // (nothing is added then).
  // REQUIRES: scores->num_items() == num_items(); live->num_items() == num_items(); `scratch`
  // used by one thread at a time.
  absl::Status Score(absl::Span<const int32_t> prefix, SessionKnnScratch* scratch,
                     SparseScores* scores, const LiveSessions* live = nullptr) const;

  int32_t num_items() const { return num_items_; }
  int32_t num_sessions() const { return static_cast<int32_t>(session_begin_.size()) - 1; }
  // Heap bytes held: per session 8 (its offset) + 8 per distinct item (its entry and its
  // posting), plus 8 per catalogue item.
  int64_t bytes() const;
  const SessionKnnOptions& options() const { return options_; }

 private:
  SessionKnnIndex() = default;

  // Distinct sorted items of the session of recency rank r (0 = most recent).
  absl::Span<const int32_t> SessionItems(int32_t r) const;
  // Recency ranks of the sessions containing `item`, ascending (most recent first).
  absl::Span<const int32_t> Postings(int32_t item) const;

  SessionKnnOptions options_;
  int32_t num_items_ = 0;
  std::vector<int64_t> session_begin_;  // CSR over session_items_, by recency rank.
  std::vector<int32_t> session_items_;
  std::vector<int64_t> posting_begin_;  // CSR over postings_, by item.
  std::vector<int32_t> postings_;
};

}  // namespace hrnn

#endif  // HRNN_CORE_RECIPES_SESSION_KNN_H_
