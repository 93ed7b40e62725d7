#include "core/recipes/session_knn.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <numeric>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/recipes/internal/sorted_merge.h"

namespace hrnn {
namespace {

// One item's postings (recency ranks, ascending).
struct RankCursor {
  absl::Span<const int32_t> ranks;
  size_t next = 0;
  bool Done() const { return next == ranks.size(); }
  int64_t Value() const { return ranks[next]; }
  void Advance() { ++next; }
};

}  // namespace

absl::Status SessionKnnOptions::Validate() const {
  if (k < 1) return absl::InvalidArgumentError(absl::StrCat("k must be >= 1, got ", k));
  if (sample_size < 1) {
    return absl::InvalidArgumentError(absl::StrCat("sample_size must be >= 1, got ", sample_size));
  }
  if (similarity != SessionSimilarity::kVec && similarity != SessionSimilarity::kCosine) {
    return absl::InvalidArgumentError("similarity must be kVec or kCosine");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<const SessionKnnIndex>> SessionKnnIndex::Build(
    int32_t num_items, absl::Span<const IndexedSession> sessions,
    const SessionKnnOptions& options) {
  if (absl::Status status = options.Validate(); !status.ok()) return status;
  if (num_items < 0) {
    return absl::InvalidArgumentError(absl::StrCat("num_items must be >= 0, got ", num_items));
  }
  if (sessions.size() >= static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    return absl::InvalidArgumentError(
        absl::StrCat("at most 2^31-2 sessions can be indexed, got ", sessions.size()));
  }
  for (size_t s = 0; s < sessions.size(); ++s) {
    for (size_t p = 0; p < sessions[s].items.size(); ++p) {
      const int32_t item = sessions[s].items[p];
      if (item < 0 || item >= num_items) {
        return absl::InvalidArgumentError(absl::StrCat("sessions[", s, "].items[", p, "] = ", item,
                                                       " is outside [0, ", num_items, ")"));
      }
    }
  }

  std::unique_ptr<SessionKnnIndex> index(new SessionKnnIndex());
  index->options_ = options;
  index->num_items_ = num_items;

  // Recency rank r = position in `order`: latest last_time first, ties by the later input.
  std::vector<int32_t> order(sessions.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
    const int64_t ta = sessions[a].last_time, tb = sessions[b].last_time;
    return ta != tb ? ta > tb : a > b;
  });

  index->session_begin_.reserve(sessions.size() + 1);
  index->session_begin_.push_back(0);
  std::vector<int64_t> support(static_cast<size_t>(num_items), 0);
  std::vector<int32_t> distinct;
  for (int32_t s : order) {
    distinct.assign(sessions[s].items.begin(), sessions[s].items.end());
    std::sort(distinct.begin(), distinct.end());
    distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
    for (int32_t item : distinct) ++support[item];
    index->session_items_.insert(index->session_items_.end(), distinct.begin(), distinct.end());
    index->session_begin_.push_back(static_cast<int64_t>(index->session_items_.size()));
  }

  // Postings, filled in rank order so that each list is ascending (most recent first).
  index->posting_begin_.assign(static_cast<size_t>(num_items) + 1, 0);
  for (int32_t i = 0; i < num_items; ++i) {
    index->posting_begin_[i + 1] = index->posting_begin_[i] + support[i];
  }
  index->postings_.resize(index->session_items_.size());
  std::vector<int64_t> next(index->posting_begin_.begin(), index->posting_begin_.end() - 1);
  for (int32_t r = 0; r < index->num_sessions(); ++r) {
    for (int32_t item : index->SessionItems(r)) index->postings_[next[item]++] = r;
  }
  return std::unique_ptr<const SessionKnnIndex>(std::move(index));
}

int64_t SessionKnnIndex::bytes() const {
  return static_cast<int64_t>(
      session_begin_.capacity() * sizeof(int64_t) + session_items_.capacity() * sizeof(int32_t) +
      posting_begin_.capacity() * sizeof(int64_t) + postings_.capacity() * sizeof(int32_t));
}

absl::Span<const int32_t> SessionKnnIndex::SessionItems(int32_t r) const {
  return absl::MakeConstSpan(session_items_.data() + session_begin_[r],
                             static_cast<size_t>(session_begin_[r + 1] - session_begin_[r]));
}

absl::Span<const int32_t> SessionKnnIndex::Postings(int32_t item) const {
  return absl::MakeConstSpan(postings_.data() + posting_begin_[item],
                             static_cast<size_t>(posting_begin_[item + 1] - posting_begin_[item]));
}

absl::Status SessionKnnIndex::Score(absl::Span<const int32_t> prefix, SessionKnnScratch* scratch,
                                    SparseScores* scores, const LiveSessions* live) const {
  for (size_t p = 0; p < prefix.size(); ++p) {
    if (prefix[p] < 0 || prefix[p] >= num_items_) {
      return absl::InvalidArgumentError(
          absl::StrCat("prefix[", p, "] = ", prefix[p], " is outside [0, ", num_items_, ")"));
    }
  }
  if (prefix.empty()) return absl::OkStatus();
  std::vector<int32_t>& position = scratch->position_;
  if (position.size() < static_cast<size_t>(num_items_)) position.assign(num_items_, 0);

  // Weights: w(i) = (latest 1-based position of i) / L.
  std::vector<int32_t>& distinct = scratch->distinct_;
  distinct.clear();
  for (size_t p = 0; p < prefix.size(); ++p) {
    if (position[prefix[p]] == 0) distinct.push_back(prefix[p]);
    position[prefix[p]] = static_cast<int32_t>(p + 1);
  }
  const double length = static_cast<double>(prefix.size());
  double norm_squared = 0;
  for (int32_t item : distinct) {
    const double w = position[item] / length;
    norm_squared += w * w;
  }
  const double norm = std::sqrt(norm_squared);

  // Candidates: the sample_size most recent sessions holding any prefix item — live ones first
  // (copied out of the ring under its lock), then indexed ones. Each postings list is in recency
  // order, so a merge of the prefix items' lists yields them most recent first and stops after
  // sample_size: O(sample_size log L), nothing sorted.
  const size_t sample = static_cast<size_t>(options_.sample_size);
  std::vector<int64_t>& live_ages = scratch->live_ages_;
  std::vector<int32_t>& live_items = scratch->live_items_;
  std::vector<size_t>& live_begin = scratch->live_begin_;
  live_ages.clear();
  live_items.clear();
  live_begin.assign(1, 0);
  if (live != nullptr) {
    MutexLock lock(&live->ring_mutex_);
    live->MostRecent(distinct, sample, &live_ages, &scratch->heap_);
    for (int64_t age : live_ages) {
      const absl::Span<const int32_t> items = live->ItemsOfAge(age);
      live_items.insert(live_items.end(), items.begin(), items.end());
      live_begin.push_back(live_items.size());
    }
  }
  const int64_t num_live = static_cast<int64_t>(live_ages.size());
  const size_t indexed_sample = sample - live_ages.size();
  std::vector<int64_t>& candidates = scratch->candidates_;
  candidates.clear();
  thread_local std::vector<RankCursor> cursors;
  cursors.clear();
  for (int32_t item : distinct) cursors.push_back({Postings(item)});
  internal::SmallestDistinct(cursors, indexed_sample, &candidates, &scratch->heap_);

  // A candidate's items: key < num_live is the key-th live one, else indexed rank key - num_live.
  auto items_of = [&](int64_t key) {
    if (key < num_live) {
      return absl::MakeConstSpan(live_items.data() + live_begin[key],
                                 live_begin[key + 1] - live_begin[key]);
    }
    return SessionItems(static_cast<int32_t>(key - num_live));
  };
  std::vector<SessionKnnScratch::Neighbor>& neighbors = scratch->neighbors_;
  neighbors.clear();
  auto add_neighbor = [&](int64_t key) {
    const absl::Span<const int32_t> items = items_of(key);
    double dot = 0;
    for (int32_t item : items) dot += position[item] / length;  // 0 for items not in the prefix.
    const double denominator = options_.similarity == SessionSimilarity::kVec
                                   ? static_cast<double>(distinct.size())
                                   : norm * std::sqrt(static_cast<double>(items.size()));
    neighbors.push_back({key, dot / denominator});
  };
  for (int64_t key = 0; key < num_live; ++key) add_neighbor(key);
  for (int64_t r : candidates) add_neighbor(num_live + r);
  const size_t keep = std::min(neighbors.size(), static_cast<size_t>(options_.k));
  std::partial_sort(neighbors.begin(), neighbors.begin() + keep, neighbors.end(),
                    [](const SessionKnnScratch::Neighbor& a, const SessionKnnScratch::Neighbor& b) {
                      return a.similarity != b.similarity ? a.similarity > b.similarity
                                                          : a.session < b.session;
                    });
  for (size_t n = 0; n < keep; ++n) {
    const float similarity = static_cast<float>(neighbors[n].similarity);
    for (int32_t item : items_of(neighbors[n].session)) scores->Add(item, similarity);
  }
  for (int32_t item : distinct) position[item] = 0;
  return absl::OkStatus();
}

}  // namespace hrnn
