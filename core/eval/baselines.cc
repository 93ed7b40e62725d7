#include "core/eval/baselines.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace hrnn {
namespace {

// Training clicks per item, counted from the events (not trusted from item_counts).
std::vector<int64_t> ClickCounts(const Dataset& train) {
  std::vector<int64_t> counts(train.num_items(), 0);
  for (int32_t item : train.items) ++counts[item];
  return counts;
}

// The distinct items of each training session, sorted.
std::vector<std::vector<int32_t>> DistinctSessionItems(const Dataset& train) {
  std::vector<std::vector<int32_t>> sessions(train.num_sessions());
  for (int64_t s = 0; s < train.num_sessions(); ++s) {
    const SessionSpan& span = train.sessions[s];
    std::vector<int32_t>& items = sessions[s];
    items.assign(train.items.begin() + span.begin, train.items.begin() + span.end);
    std::sort(items.begin(), items.end());
    items.erase(std::unique(items.begin(), items.end()), items.end());
  }
  return sessions;
}

// ---- Pop ----

class PopModel : public BaselineModel {
 public:
  explicit PopModel(const Dataset& train) : counts_(ClickCounts(train)) {}
  std::unique_ptr<NextItemScorer> NewScorer() const override;
  std::string name() const override { return "pop"; }
  int64_t num_items() const override { return static_cast<int64_t>(counts_.size()); }
  const std::vector<int64_t>& counts() const { return counts_; }

 private:
  std::vector<int64_t> counts_;
};

class PopScorer : public NextItemScorer {
 public:
  explicit PopScorer(const PopModel& model) : model_(model) {}
  void BeginUser(const Dataset&, const UserSpan*) override {}
  void Score(absl::Span<const int32_t>, absl::Span<float> scores) override {
    const std::vector<int64_t>& counts = model_.counts();
    assert(scores.size() == counts.size());
    for (size_t i = 0; i < counts.size(); ++i) scores[i] = static_cast<float>(counts[i]);
  }

 private:
  const PopModel& model_;
};

std::unique_ptr<NextItemScorer> PopModel::NewScorer() const {
  return std::make_unique<PopScorer>(*this);
}

// ---- Personal Pop ----

class PersonalPopModel : public BaselineModel {
 public:
  explicit PersonalPopModel(const Dataset& train) {
    const std::vector<int64_t> counts = ClickCounts(train);
    int64_t max_count = 0;
    for (int64_t c : counts) max_count = std::max(max_count, c);
    const double scale = 1.0 / (2.0 * (static_cast<double>(max_count) + 1.0));
    tie_break_.resize(counts.size());
    for (size_t i = 0; i < counts.size(); ++i) {
      tie_break_[i] = static_cast<float>(static_cast<double>(counts[i]) * scale);
    }
  }
  std::unique_ptr<NextItemScorer> NewScorer() const override;
  std::string name() const override { return "ppop"; }
  int64_t num_items() const override { return static_cast<int64_t>(tie_break_.size()); }
  const std::vector<float>& tie_break() const { return tie_break_; }

 private:
  std::vector<float> tie_break_;  // Pop scaled into [0, 0.5).
};

class PersonalPopScorer : public NextItemScorer {
 public:
  explicit PersonalPopScorer(const PersonalPopModel& model)
      : model_(model), user_counts_(model.num_items(), 0) {}
  void BeginUser(const Dataset& history, const UserSpan* history_user) override {
    for (int32_t item : touched_) user_counts_[item] = 0;
    touched_.clear();
    if (history_user == nullptr) return;
    for (int64_t s = history_user->session_begin; s < history_user->session_end; ++s) {
      const SessionSpan& span = history.sessions[s];
      for (int64_t e = span.begin; e < span.end; ++e) {
        const int32_t item = history.items[e];
        if (user_counts_[item]++ == 0) touched_.push_back(item);
      }
    }
  }
  void Score(absl::Span<const int32_t>, absl::Span<float> scores) override {
    const std::vector<float>& tie_break = model_.tie_break();
    assert(scores.size() == tie_break.size());
    std::copy(tie_break.begin(), tie_break.end(), scores.begin());
    for (int32_t item : touched_) scores[item] += static_cast<float>(user_counts_[item]);
  }

 private:
  const PersonalPopModel& model_;
  std::vector<int64_t> user_counts_;  // Zero except at touched_.
  std::vector<int32_t> touched_;
};

std::unique_ptr<NextItemScorer> PersonalPopModel::NewScorer() const {
  return std::make_unique<PersonalPopScorer>(*this);
}

// ---- Item-KNN ----

struct Neighbor {
  int32_t item;
  float sim;
};

class ItemKnnModel : public BaselineModel {
 public:
  ItemKnnModel(const Dataset& train, const ItemKnnOptions& options) : options_(options) {
    const int64_t n = train.num_items();
    const std::vector<std::vector<int32_t>> sessions = DistinctSessionItems(train);
    std::vector<std::vector<int64_t>> item_sessions(n);
    for (int64_t s = 0; s < static_cast<int64_t>(sessions.size()); ++s) {
      for (int32_t item : sessions[s]) item_sessions[item].push_back(s);
    }
    neighbors_.resize(n);
    std::vector<int64_t> co(n, 0);
    std::vector<int32_t> touched;
    std::vector<Neighbor> candidates;
    for (int32_t i = 0; i < n; ++i) {
      for (int64_t s : item_sessions[i]) {
        for (int32_t j : sessions[s]) {
          if (j != i && co[j]++ == 0) touched.push_back(j);
        }
      }
      candidates.clear();
      const double support_i = static_cast<double>(item_sessions[i].size());
      for (int32_t j : touched) {
        const double support_j = static_cast<double>(item_sessions[j].size());
        candidates.push_back(
            {j, static_cast<float>(static_cast<double>(co[j]) / std::sqrt(support_i * support_j))});
        co[j] = 0;
      }
      touched.clear();
      auto better = [](const Neighbor& a, const Neighbor& b) {
        return a.sim != b.sim ? a.sim > b.sim : a.item < b.item;
      };
      const size_t keep = std::min(candidates.size(), static_cast<size_t>(options_.neighbors));
      std::partial_sort(candidates.begin(), candidates.begin() + keep, candidates.end(), better);
      neighbors_[i].assign(candidates.begin(), candidates.begin() + keep);
    }
  }
  std::unique_ptr<NextItemScorer> NewScorer() const override;
  std::string name() const override {
    return options_.self_similarity ? "item-knn(self)" : "item-knn(no-self)";
  }
  int64_t num_items() const override { return static_cast<int64_t>(neighbors_.size()); }
  const std::vector<Neighbor>& neighbors(int32_t item) const { return neighbors_[item]; }
  bool self_similarity() const { return options_.self_similarity; }

 private:
  ItemKnnOptions options_;
  std::vector<std::vector<Neighbor>> neighbors_;  // Best first; never the item itself.
};

class ItemKnnScorer : public NextItemScorer {
 public:
  explicit ItemKnnScorer(const ItemKnnModel& model) : model_(model) {}
  void BeginUser(const Dataset&, const UserSpan*) override {}
  void Score(absl::Span<const int32_t> session_prefix, absl::Span<float> scores) override {
    assert(!session_prefix.empty());
    std::fill(scores.begin(), scores.end(), 0.0f);
    const int32_t last = session_prefix.back();
    for (const Neighbor& neighbor : model_.neighbors(last)) scores[neighbor.item] = neighbor.sim;
    scores[last] = model_.self_similarity() ? 1.0f : 0.0f;
  }

 private:
  const ItemKnnModel& model_;
};

std::unique_ptr<NextItemScorer> ItemKnnModel::NewScorer() const {
  return std::make_unique<ItemKnnScorer>(*this);
}

// ---- V-SKNN ----

class SessionKnnModel : public BaselineModel {
 public:
  SessionKnnModel(const Dataset& train, const SessionKnnOptions& options)
      : options_(options), num_items_(train.num_items()), sessions_(DistinctSessionItems(train)) {
    // Recency order: by last click time, ties by later session index; rank 0 = most recent.
    const int64_t num_sessions = train.num_sessions();
    std::vector<int64_t> order(num_sessions);
    for (int64_t s = 0; s < num_sessions; ++s) order[s] = s;
    auto last_time = [&](int64_t s) {
      const SessionSpan& span = train.sessions[s];
      return span.length() > 0 ? train.timestamps[span.end - 1] : int64_t{0};
    };
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
      const int64_t ta = last_time(a), tb = last_time(b);
      return ta != tb ? ta > tb : a > b;
    });
    recency_rank_.resize(num_sessions);
    for (int64_t r = 0; r < num_sessions; ++r) recency_rank_[order[r]] = r;
    item_sessions_.resize(num_items_);
    for (int64_t s : order) {
      for (int32_t item : sessions_[s]) item_sessions_[item].push_back(s);
    }
  }
  std::unique_ptr<NextItemScorer> NewScorer() const override;
  std::string name() const override { return "v-sknn"; }
  int64_t num_items() const override { return num_items_; }

  const SessionKnnOptions& options() const { return options_; }
  const std::vector<int32_t>& session_items(int64_t s) const { return sessions_[s]; }
  // Training sessions containing `item`, most recent first.
  const std::vector<int64_t>& item_sessions(int32_t item) const { return item_sessions_[item]; }
  int64_t recency_rank(int64_t s) const { return recency_rank_[s]; }

 private:
  SessionKnnOptions options_;
  int64_t num_items_;
  std::vector<std::vector<int32_t>> sessions_;       // Distinct items per training session.
  std::vector<std::vector<int64_t>> item_sessions_;  // item -> sessions, most recent first.
  std::vector<int64_t> recency_rank_;                // session -> 0 for the most recent.
};

class SessionKnnScorer : public NextItemScorer {
 public:
  explicit SessionKnnScorer(const SessionKnnModel& model)
      : model_(model), weight_(model.num_items(), 0.0f) {}
  void BeginUser(const Dataset&, const UserSpan*) override {}
  void Score(absl::Span<const int32_t> session_prefix, absl::Span<float> scores) override {
    assert(!session_prefix.empty());
    const SessionKnnOptions& options = model_.options();
    // Current session weights: position p (1-based) of L weighs p / L; the latest wins.
    const double length = static_cast<double>(session_prefix.size());
    current_.clear();
    for (size_t p = 0; p < session_prefix.size(); ++p) {
      const int32_t item = session_prefix[p];
      if (weight_[item] == 0.0f) current_.push_back(item);
      weight_[item] = static_cast<float>(static_cast<double>(p + 1) / length);
    }
    double norm = 0;
    for (int32_t item : current_) norm += static_cast<double>(weight_[item]) * weight_[item];
    norm = std::sqrt(norm);

    // Candidates: the sample_size most recent sessions containing any current item. Each
    // item's list is in recency order, so its first sample_size entries suffice.
    const size_t sample = static_cast<size_t>(options.sample_size);
    candidates_.clear();
    for (int32_t item : current_) {
      const std::vector<int64_t>& list = model_.item_sessions(item);
      candidates_.insert(candidates_.end(), list.begin(),
                         list.begin() + static_cast<std::ptrdiff_t>(std::min(sample, list.size())));
    }
    auto more_recent = [&](int64_t a, int64_t b) {
      return model_.recency_rank(a) < model_.recency_rank(b);
    };
    std::sort(candidates_.begin(), candidates_.end(), more_recent);
    candidates_.erase(std::unique(candidates_.begin(), candidates_.end()), candidates_.end());
    if (candidates_.size() > sample) candidates_.resize(sample);

    neighbors_.clear();
    for (int64_t s : candidates_) {
      const std::vector<int32_t>& items = model_.session_items(s);
      double dot = 0;
      for (int32_t item : items) dot += weight_[item];
      const double sim = dot / (norm * std::sqrt(static_cast<double>(items.size())));
      neighbors_.push_back({s, sim});
    }
    // Most similar first, ties by recency (candidates_ are in recency order).
    std::stable_sort(neighbors_.begin(), neighbors_.end(),
                     [](const Scored& a, const Scored& b) { return a.sim > b.sim; });
    if (neighbors_.size() > static_cast<size_t>(options.k)) neighbors_.resize(options.k);

    sums_.assign(scores.size(), 0.0);
    for (const Scored& neighbor : neighbors_) {
      for (int32_t item : model_.session_items(neighbor.session)) sums_[item] += neighbor.sim;
    }
    for (size_t i = 0; i < scores.size(); ++i) scores[i] = static_cast<float>(sums_[i]);
    for (int32_t item : current_) weight_[item] = 0.0f;
  }

 private:
  struct Scored {
    int64_t session;
    double sim;
  };
  const SessionKnnModel& model_;
  std::vector<float> weight_;  // Zero except at current_.
  std::vector<int32_t> current_;
  std::vector<int64_t> candidates_;
  std::vector<Scored> neighbors_;
  std::vector<double> sums_;
};

std::unique_ptr<NextItemScorer> SessionKnnModel::NewScorer() const {
  return std::make_unique<SessionKnnScorer>(*this);
}

}  // namespace

absl::Status ItemKnnOptions::Validate() const {
  if (neighbors < 1) {
    return absl::InvalidArgumentError(absl::StrCat("neighbors must be >= 1, got ", neighbors));
  }
  return absl::OkStatus();
}

absl::Status SessionKnnOptions::Validate() const {
  if (sample_size < 1) {
    return absl::InvalidArgumentError(absl::StrCat("sample_size must be >= 1, got ", sample_size));
  }
  if (k < 1) return absl::InvalidArgumentError(absl::StrCat("k must be >= 1, got ", k));
  return absl::OkStatus();
}

std::unique_ptr<BaselineModel> NewPopModel(const Dataset& train) {
  return std::make_unique<PopModel>(train);
}

std::unique_ptr<BaselineModel> NewPersonalPopModel(const Dataset& train) {
  return std::make_unique<PersonalPopModel>(train);
}

absl::StatusOr<std::unique_ptr<BaselineModel>> NewItemKnnModel(const Dataset& train,
                                                               const ItemKnnOptions& options) {
  if (absl::Status status = options.Validate(); !status.ok()) return status;
  return std::unique_ptr<BaselineModel>(std::make_unique<ItemKnnModel>(train, options));
}

absl::StatusOr<std::unique_ptr<BaselineModel>> NewSessionKnnModel(
    const Dataset& train, const SessionKnnOptions& options) {
  if (absl::Status status = options.Validate(); !status.ok()) return status;
  return std::unique_ptr<BaselineModel>(std::make_unique<SessionKnnModel>(train, options));
}

}  // namespace hrnn
