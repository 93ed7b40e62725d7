#include "core/eval/baselines.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/recipes/personal_history.h"
#include "core/recipes/sparse_scores.h"

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

// The personal recipe's scoring (core/recipes/personal_history.h) over the user's whole
// training history, undecayed and without the current session, plus Pop's tie-break.
class PersonalPopScorer : public NextItemScorer {
 public:
  explicit PersonalPopScorer(const PersonalPopModel& model)
      : model_(model),
        slot_(model.num_items(), -1),
        counts_(static_cast<int32_t>(model.num_items())) {
    options_.half_life_seconds = std::numeric_limits<double>::infinity();
    options_.session_weight = 0;
  }
  void BeginUser(const Dataset& history, const UserSpan* history_user) override {
    for (const ItemInteraction& entry : entries_) slot_[entry.item] = -1;
    entries_.clear();
    if (history_user != nullptr) {
      for (int64_t s = history_user->session_begin; s < history_user->session_end; ++s) {
        const SessionSpan& span = history.sessions[s];
        for (int64_t e = span.begin; e < span.end; ++e) {
          const int32_t item = history.items[e];
          if (slot_[item] < 0) {
            slot_[item] = static_cast<int32_t>(entries_.size());
            entries_.push_back({item, 0, history.timestamps[e], 0});
          }
          ItemInteraction& entry = entries_[slot_[item]];
          ++entry.count;
          entry.last_time = std::max(entry.last_time, history.timestamps[e]);
        }
      }
    }
    counts_.Clear();
    const absl::Status status = ScorePersonalHistory(entries_, 0, options_, &counts_);
    assert(status.ok());  // The entries are the training side's own items.
    (void)status;
  }
  void Score(absl::Span<const int32_t>, absl::Span<float> scores) override {
    const std::vector<float>& tie_break = model_.tie_break();
    assert(scores.size() == tie_break.size());
    std::copy(tie_break.begin(), tie_break.end(), scores.begin());
    counts_.AddTo(scores, 1.0f);
  }

 private:
  const PersonalPopModel& model_;
  PersonalHistoryOptions options_;
  std::vector<int32_t> slot_;  // Item -> its entry in entries_, -1 when none.
  std::vector<ItemInteraction> entries_;
  SparseScores counts_;  // The user's training counts.
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

// ---- V-SKNN (the sknn recipe) ----

// The training sessions as the recipes take them: spans into train.items.
std::vector<absl::Span<const int32_t>> SessionSpans(const Dataset& train) {
  std::vector<absl::Span<const int32_t>> spans;
  spans.reserve(train.sessions.size());
  for (const SessionSpan& span : train.sessions) {
    spans.push_back(
        absl::MakeConstSpan(train.items.data() + span.begin, static_cast<size_t>(span.length())));
  }
  return spans;
}

class SessionKnnModel : public BaselineModel {
 public:
  explicit SessionKnnModel(std::unique_ptr<const SessionKnnIndex> index)
      : index_(std::move(index)) {}
  std::unique_ptr<NextItemScorer> NewScorer() const override;
  std::string name() const override { return "v-sknn"; }
  int64_t num_items() const override { return index_->num_items(); }
  const SessionKnnIndex& index() const { return *index_; }

 private:
  std::unique_ptr<const SessionKnnIndex> index_;
};

class SessionKnnScorer : public NextItemScorer {
 public:
  explicit SessionKnnScorer(const SessionKnnModel& model)
      : index_(model.index()), sparse_(model.index().num_items()) {}
  void BeginUser(const Dataset&, const UserSpan*) override {}
  void Score(absl::Span<const int32_t> session_prefix, absl::Span<float> scores) override {
    assert(!session_prefix.empty());
    sparse_.Clear();
    const absl::Status status = index_.Score(session_prefix, &scratch_, &sparse_);
    assert(status.ok());  // The evaluator passes training-vocabulary items only.
    (void)status;
    std::fill(scores.begin(), scores.end(), 0.0f);
    sparse_.AddTo(scores, 1.0f);
  }

 private:
  const SessionKnnIndex& index_;
  SessionKnnScratch scratch_;
  SparseScores sparse_;
};

std::unique_ptr<NextItemScorer> SessionKnnModel::NewScorer() const {
  return std::make_unique<SessionKnnScorer>(*this);
}

// ---- Sequential rules (the sr recipe) ----

class SequentialRulesModel : public BaselineModel {
 public:
  explicit SequentialRulesModel(std::unique_ptr<const SequentialRules> rules)
      : rules_(std::move(rules)) {}
  std::unique_ptr<NextItemScorer> NewScorer() const override;
  std::string name() const override { return "sr"; }
  int64_t num_items() const override { return rules_->num_items(); }
  const SequentialRules& rules() const { return *rules_; }

 private:
  std::unique_ptr<const SequentialRules> rules_;
};

class SequentialRulesScorer : public NextItemScorer {
 public:
  explicit SequentialRulesScorer(const SequentialRulesModel& model)
      : rules_(model.rules()), sparse_(model.rules().num_items()) {}
  void BeginUser(const Dataset&, const UserSpan*) override {}
  void Score(absl::Span<const int32_t> session_prefix, absl::Span<float> scores) override {
    assert(!session_prefix.empty());
    sparse_.Clear();
    const absl::Status status = rules_.Score(session_prefix, &sparse_);
    assert(status.ok());  // The evaluator passes training-vocabulary items only.
    (void)status;
    std::fill(scores.begin(), scores.end(), 0.0f);
    sparse_.AddTo(scores, 1.0f);
  }

 private:
  const SequentialRules& rules_;
  SparseScores sparse_;
};

std::unique_ptr<NextItemScorer> SequentialRulesModel::NewScorer() const {
  return std::make_unique<SequentialRulesScorer>(*this);
}

}  // namespace

absl::Status ItemKnnOptions::Validate() const {
  if (neighbors < 1) {
    return absl::InvalidArgumentError(absl::StrCat("neighbors must be >= 1, got ", neighbors));
  }
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
  const std::vector<absl::Span<const int32_t>> spans = SessionSpans(train);
  std::vector<IndexedSession> sessions(spans.size());
  for (size_t s = 0; s < spans.size(); ++s) {
    const SessionSpan& span = train.sessions[s];
    sessions[s] = {spans[s], span.length() > 0 ? train.timestamps[span.end - 1] : int64_t{0}};
  }
  absl::StatusOr<std::unique_ptr<const SessionKnnIndex>> index =
      SessionKnnIndex::Build(static_cast<int32_t>(train.num_items()), sessions, options);
  if (!index.ok()) return index.status();
  return std::unique_ptr<BaselineModel>(std::make_unique<SessionKnnModel>(*std::move(index)));
}

absl::StatusOr<std::unique_ptr<BaselineModel>> NewSequentialRulesModel(
    const Dataset& train, const SequentialRulesOptions& options) {
  absl::StatusOr<std::unique_ptr<const SequentialRules>> rules =
      SequentialRules::Build(static_cast<int32_t>(train.num_items()), SessionSpans(train), options);
  if (!rules.ok()) return rules.status();
  return std::unique_ptr<BaselineModel>(std::make_unique<SequentialRulesModel>(*std::move(rules)));
}

}  // namespace hrnn
