#include "core/data/split.h"

#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "core/data/sessionizer.h"

namespace hrnn {
namespace {

constexpr int64_t kMinTestSessionLength = 2;

// Appends session `s` of `from` to `to` (items mapped through `map`, -1 = drop the event) under
// the user `user_id`, opening a new UserSpan when the user differs from the last one. Returns
// the number of events appended; appends nothing when fewer than `min_length` remain.
int64_t AppendSession(const Dataset& from, const SessionSpan& s, const std::string& user_id,
                      const std::vector<int32_t>* map, int64_t min_length, Dataset* to) {
  const int64_t begin = to->num_events();
  for (int64_t e = s.begin; e < s.end; ++e) {
    const int32_t item = map == nullptr ? from.items[e] : (*map)[from.items[e]];
    if (item < 0) continue;
    to->items.push_back(item);
    to->timestamps.push_back(from.timestamps[e]);
  }
  const int64_t end = to->num_events();
  if (end - begin < min_length) {
    to->items.resize(begin);
    to->timestamps.resize(begin);
    return end - begin;
  }
  if (to->users.empty() || to->users.back().id != user_id ||
      to->users.back().session_end != to->num_sessions()) {
    to->users.push_back({user_id, to->num_sessions(), to->num_sessions()});
  }
  to->sessions.push_back({begin, end});
  ++to->users.back().session_end;
  return end - begin;
}

// Appends the sessions of `data` selected by `is_test(user index, session index)` to
// split->test, mapped to split->train's vocabulary by item id: unknown items are removed, then
// sessions shorter than 2 events dropped (both counted in split->stats).
template <typename IsTest>
void AppendCleanTest(const Dataset& data, IsTest is_test, DatasetSplit* split) {
  const Dataset& train = split->train;
  SplitStats& stats = split->stats;
  absl::flat_hash_map<absl::string_view, int32_t> train_index;
  for (int32_t i = 0; i < train.num_items(); ++i) train_index.emplace(train.item_ids[i], i);
  std::vector<int32_t> map(data.num_items(), -1);
  for (int64_t i = 0; i < data.num_items(); ++i) {
    if (auto it = train_index.find(data.item_ids[i]); it != train_index.end()) {
      map[i] = it->second;
    }
  }
  Dataset& test = split->test;
  test.item_ids = train.item_ids;
  for (int64_t u = 0; u < data.num_users(); ++u) {
    const UserSpan& user = data.users[u];
    for (int64_t s = user.session_begin; s < user.session_end; ++s) {
      if (!is_test(u, s)) continue;
      const SessionSpan& span = data.sessions[s];
      int64_t known = 0;
      for (int64_t e = span.begin; e < span.end; ++e) known += map[data.items[e]] >= 0;
      stats.test_events_unknown_item += span.length() - known;
      AppendSession(data, span, user.id, &map, kMinTestSessionLength, &test);
      if (known < kMinTestSessionLength) {
        ++stats.test_sessions_too_short;
        stats.test_events_too_short += known;
      }
    }
  }
  test.item_counts.assign(test.num_items(), 0);
  for (int32_t item : test.items) ++test.item_counts[item];
}

void FillSideCounts(DatasetSplit* split) {
  SplitStats& stats = split->stats;
  stats.train_users = split->train.num_users();
  stats.train_sessions = split->train.num_sessions();
  stats.train_events = split->train.num_events();
  stats.test_users = split->test.num_users();
  stats.test_sessions = split->test.num_sessions();
  stats.test_events = split->test.num_events();
}

// Splits by `is_test(user index, session index)`, then cleans the test side.
template <typename IsTest>
DatasetSplit SplitBy(const Dataset& data, IsTest is_test) {
  DatasetSplit split;
  Dataset& train = split.train;
  train.item_ids = data.item_ids;
  for (int64_t u = 0; u < data.num_users(); ++u) {
    const UserSpan& user = data.users[u];
    for (int64_t s = user.session_begin; s < user.session_end; ++s) {
      if (!is_test(u, s)) AppendSession(data, data.sessions[s], user.id, nullptr, 0, &train);
    }
  }
  ReindexVocabularyByPopularity(&train);

  AppendCleanTest(data, is_test, &split);
  FillSideCounts(&split);
  return split;
}

}  // namespace

std::string SplitStats::ToString() const {
  return absl::StrFormat(
      "train: %d users, %d sessions, %d events\n"
      "test: %d users, %d sessions, %d events\n"
      "single-session users (train only) %d; test events with items unknown to train removed "
      "%d; test sessions shorter than 2 dropped %d (%d events)\n",
      train_users, train_sessions, train_events, test_users, test_sessions, test_events,
      single_session_users, test_events_unknown_item, test_sessions_too_short,
      test_events_too_short);
}

DatasetSplit SplitLastSession(const Dataset& data) {
  DatasetSplit split = SplitBy(data, [&](int64_t u, int64_t s) {
    const UserSpan& user = data.users[u];
    return user.num_sessions() >= 2 && s == user.session_end - 1;
  });
  for (const UserSpan& user : data.users)
    split.stats.single_session_users += user.num_sessions() == 1;
  return split;
}

DatasetSplit AlignGivenSplit(Dataset train, const Dataset& test) {
  DatasetSplit split;
  split.train = std::move(train);
  AppendCleanTest(
      test, [](int64_t, int64_t) { return true; }, &split);
  FillSideCounts(&split);
  return split;
}

DatasetSplit SplitByTime(const Dataset& data, int64_t split_timestamp) {
  return SplitBy(data, [&](int64_t, int64_t s) {
    const SessionSpan& span = data.sessions[s];
    return span.length() > 0 && data.timestamps[span.begin] > split_timestamp;
  });
}

}  // namespace hrnn
