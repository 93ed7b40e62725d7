#include "core/data/sessionizer.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/base/sha256.h"

namespace hrnn {
namespace {

constexpr int64_t kMaxGapSeconds = int64_t{1} << 40;  // ~35,000 years; keeps ms math in range.

struct Session {
  int64_t begin;
  int64_t end;
  int32_t user;
};

// Moves the events with item >= 0 to the front, keeping order, and updates the session spans.
void CompactEvents(std::vector<RawEvent>* events, std::vector<Session>* sessions) {
  int64_t out = 0;
  for (Session& s : *sessions) {
    const int64_t begin = out;
    for (int64_t e = s.begin; e < s.end; ++e) {
      if ((*events)[e].item >= 0) (*events)[out++] = (*events)[e];
    }
    s.begin = begin;
    s.end = out;
  }
  events->resize(out);
}

// Removes the sessions with user < 0 and then compacts the events.
void CompactSessions(std::vector<RawEvent>* events, std::vector<Session>* sessions) {
  for (Session& s : *sessions) {
    if (s.user < 0) {
      for (int64_t e = s.begin; e < s.end; ++e) (*events)[e].item = -1;
    }
  }
  sessions->erase(std::remove_if(sessions->begin(), sessions->end(),
                                 [](const Session& s) { return s.user < 0; }),
                  sessions->end());
  CompactEvents(events, sessions);
}

// Whether one more filter round would remove nothing: every item has at least min_item_support
// events, every session min_session_length events and every user min_sessions_per_user
// sessions. `count` is scratch space of one entry per raw item.
bool FiltersAreStable(const std::vector<RawEvent>& events, const std::vector<Session>& sessions,
                      const DataOptions& options, std::vector<int64_t>* count) {
  std::fill(count->begin(), count->end(), 0);
  for (const RawEvent& e : events) ++(*count)[e.item];
  for (const RawEvent& e : events) {
    if ((*count)[e.item] < options.min_item_support) return false;
  }
  for (const Session& s : sessions) {
    if (s.end - s.begin < options.min_session_length) return false;
  }
  for (size_t b = 0; b < sessions.size();) {
    size_t e = b;
    while (e < sessions.size() && sessions[e].user == sessions[b].user) ++e;
    if (static_cast<int64_t>(e - b) < options.min_sessions_per_user) return false;
    b = e;
  }
  return true;
}

// Feeds little-endian integers and length-prefixed strings to a Sha256 through a buffer.
class HashWriter {
 public:
  void U64(uint64_t v) {
    char bytes[8];
    for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>(v >> (8 * i));
    buffer_.append(bytes, 8);
    if (buffer_.size() >= (1 << 16)) Flush();
  }
  void String(absl::string_view s) {
    U64(s.size());
    buffer_.append(s.data(), s.size());
    if (buffer_.size() >= (1 << 16)) Flush();
  }
  std::string Hex() {
    Flush();
    return DigestToHex(hash_.Final());
  }

 private:
  void Flush() {
    hash_.Update(buffer_);
    buffer_.clear();
  }
  Sha256 hash_;
  std::string buffer_;
};

}  // namespace

absl::Status DataOptions::Validate() const {
  if (session_gap_seconds < 0 || session_gap_seconds > kMaxGapSeconds) {
    return absl::InvalidArgumentError(absl::StrCat("session_gap_seconds must be in [0, ",
                                                   kMaxGapSeconds, "], got ", session_gap_seconds));
  }
  for (size_t i = 0; i < event_types.size(); ++i) {
    if (event_types[i].empty()) {
      return absl::InvalidArgumentError(absl::StrCat("event_types[", i, "] is empty"));
    }
  }
  if (std::isinf(min_event_value)) {
    return absl::InvalidArgumentError("min_event_value must be finite or NaN (disabled)");
  }
  if (min_item_support < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("min_item_support must be >= 0, got ", min_item_support));
  }
  if (min_session_length < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("min_session_length must be >= 1, got ", min_session_length));
  }
  if (max_session_length < 0 ||
      (max_session_length > 0 && max_session_length < min_session_length)) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_session_length must be 0 (unlimited) or >= min_session_length (",
                     min_session_length, "), got ", max_session_length));
  }
  if (min_sessions_per_user < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("min_sessions_per_user must be >= 0, got ", min_sessions_per_user));
  }
  if (max_filter_rounds < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_filter_rounds must be >= 1, got ", max_filter_rounds));
  }
  return absl::OkStatus();
}

std::string PrepareStats::ToString() const {
  std::string out;
  absl::StrAppendFormat(&out, "rows read %d, malformed (skipped) %d\n", rows_read, malformed_rows);
  absl::StrAppendFormat(&out, "dropped by event type %d, by event value %d\n", dropped_event_type,
                        dropped_event_value);
  absl::StrAppendFormat(&out, "sessions built %d; truncated %d (%d events dropped)\n",
                        sessions_built, sessions_truncated, events_dropped_truncation);
  absl::StrAppendFormat(&out, "item support: %d items, %d events dropped\n", items_dropped_support,
                        events_dropped_item_support);
  absl::StrAppendFormat(&out, "session length: %d sessions, %d events dropped\n",
                        sessions_dropped_length, events_dropped_session_length);
  absl::StrAppendFormat(&out, "sessions per user: %d users, %d sessions, %d events dropped\n",
                        users_dropped_sessions, sessions_dropped_user, events_dropped_user);
  if (filter_fixpoint) {
    absl::StrAppendFormat(&out, "filters to a fixpoint: %d round(s) (%s)\n", filter_rounds,
                          fixpoint_reached ? "fixpoint reached" : "BOUND HIT, not a fixpoint");
  } else {
    absl::StrAppendFormat(
        &out, "filters applied once (%s)\n",
        fixpoint_reached ? "already a fixpoint" : "not a fixpoint: more rounds would remove more");
  }
  absl::StrAppendFormat(&out, "kept: %d users, %d sessions, %d items, %d events\n", users, sessions,
                        items, events);
  const auto share = [](int64_t part, int64_t whole) {
    return whole > 0 ? 100.0 * static_cast<double>(part) / static_cast<double>(whole) : 0.0;
  };
  absl::StrAppendFormat(&out, "catalogue kept: %d of %d items (%.1f%%), %d of %d events (%.1f%%)\n",
                        items, items_before_filters, share(items, items_before_filters), events,
                        events_before_filters, share(events, events_before_filters));
  absl::StrAppendFormat(&out, "timestamp ties within sessions: %d\n", timestamp_ties);
  return out;
}

void ReindexVocabularyByPopularity(Dataset* dataset) {
  const int64_t n = dataset->num_items();
  std::vector<int64_t> count(n, 0);
  std::vector<int64_t> first(n, -1);
  for (int64_t e = 0; e < dataset->num_events(); ++e) {
    const int32_t item = dataset->items[e];
    if (count[item]++ == 0) first[item] = e;
  }
  std::vector<int32_t> order;
  for (int32_t i = 0; i < n; ++i) {
    if (count[i] > 0) order.push_back(i);
  }
  std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
    return count[a] != count[b] ? count[a] > count[b] : first[a] < first[b];
  });
  std::vector<int32_t> new_index(n, -1);
  std::vector<std::string> ids(order.size());
  std::vector<int64_t> counts(order.size());
  for (size_t k = 0; k < order.size(); ++k) {
    new_index[order[k]] = static_cast<int32_t>(k);
    ids[k] = std::move(dataset->item_ids[order[k]]);
    counts[k] = count[order[k]];
  }
  for (int32_t& item : dataset->items) item = new_index[item];
  dataset->item_ids = std::move(ids);
  dataset->item_counts = std::move(counts);
}

absl::StatusOr<PreparedData> PrepareDataset(RawLog log, const DataOptions& options) {
  if (absl::Status s = options.Validate(); !s.ok()) return s;
  PreparedData result;
  PrepareStats& stats = result.stats;
  std::vector<RawEvent>& events = log.events;
  stats.rows_read = static_cast<int64_t>(events.size());
  stats.malformed_rows = log.stats.malformed;

  // (1) Event filters.
  std::vector<bool> type_allowed(log.event_types.size(), options.event_types.empty());
  for (const std::string& name : options.event_types) {
    if (auto index = log.event_types.Find(name)) type_allowed[*index] = true;
  }
  const bool value_filter = !std::isnan(options.min_event_value);
  size_t kept = 0;
  for (const RawEvent& e : events) {
    if (!options.event_types.empty() && (e.event_type < 0 || !type_allowed[e.event_type])) {
      ++stats.dropped_event_type;
      continue;
    }
    if (value_filter && !(e.event_value >= options.min_event_value)) {
      ++stats.dropped_event_value;
      continue;
    }
    events[kept++] = e;
  }
  events.resize(kept);
  stats.events_before_filters = static_cast<int64_t>(events.size());
  {
    std::vector<bool> seen(log.items.size(), false);
    for (const RawEvent& e : events) {
      if (e.item >= 0 && !seen[e.item]) {
        seen[e.item] = true;
        ++stats.items_before_filters;
      }
    }
  }

  // (2) Sort: a total order, so std::sort is deterministic and stable by construction.
  std::sort(events.begin(), events.end(), [](const RawEvent& a, const RawEvent& b) {
    if (a.user != b.user) return a.user < b.user;
    if (a.timestamp_ms != b.timestamp_ms) return a.timestamp_ms < b.timestamp_ms;
    return a.order < b.order;
  });

  // (3) Sessions.
  const bool by_id = options.use_session_ids && log.has_session_ids;
  const int64_t gap_ms = options.session_gap_seconds * 1000;
  std::vector<Session> sessions;
  for (int64_t e = 0; e < static_cast<int64_t>(events.size()); ++e) {
    const RawEvent& cur = events[e];
    bool cut = e == 0;
    if (!cut) {
      const RawEvent& prev = events[e - 1];
      cut = cur.user != prev.user || (by_id && cur.session != prev.session) ||
            (gap_ms > 0 && cur.timestamp_ms - prev.timestamp_ms > gap_ms);
    }
    if (cut) {
      if (!sessions.empty()) sessions.back().end = e;
      sessions.push_back({e, e, cur.user});
    }
  }
  if (!sessions.empty()) sessions.back().end = static_cast<int64_t>(events.size());
  stats.sessions_built = static_cast<int64_t>(sessions.size());

  // (4) Truncation to the last max_session_length events.
  if (options.max_session_length > 0) {
    for (const Session& s : sessions) {
      const int64_t excess = s.end - s.begin - options.max_session_length;
      if (excess <= 0) continue;
      ++stats.sessions_truncated;
      stats.events_dropped_truncation += excess;
      for (int64_t e = s.begin; e < s.begin + excess; ++e) events[e].item = -1;
    }
    CompactEvents(&events, &sessions);
  }

  // (5) Filters: item support, session length, sessions per user; once, or to a fixpoint.
  std::vector<int64_t> count(log.items.size());
  std::vector<bool> item_dropped(log.items.size(), false);
  stats.filter_fixpoint = options.filter_fixpoint;
  const int64_t max_rounds = options.filter_fixpoint ? options.max_filter_rounds : 1;
  bool changed = true;
  while (changed && stats.filter_rounds < max_rounds) {
    changed = false;
    ++stats.filter_rounds;
    std::fill(count.begin(), count.end(), 0);
    for (const RawEvent& e : events) ++count[e.item];
    for (RawEvent& e : events) {
      if (count[e.item] >= options.min_item_support) continue;
      if (!item_dropped[e.item]) {
        item_dropped[e.item] = true;
        ++stats.items_dropped_support;
      }
      ++stats.events_dropped_item_support;
      e.item = -1;
      changed = true;
    }
    CompactEvents(&events, &sessions);
    for (Session& s : sessions) {
      if (s.end - s.begin >= options.min_session_length) continue;
      ++stats.sessions_dropped_length;
      stats.events_dropped_session_length += s.end - s.begin;
      s.user = -1;
      changed = true;
    }
    CompactSessions(&events, &sessions);
    for (size_t b = 0; b < sessions.size();) {
      size_t e = b;
      while (e < sessions.size() && sessions[e].user == sessions[b].user) ++e;
      if (static_cast<int64_t>(e - b) < options.min_sessions_per_user) {
        ++stats.users_dropped_sessions;
        stats.sessions_dropped_user += static_cast<int64_t>(e - b);
        for (size_t k = b; k < e; ++k) {
          stats.events_dropped_user += sessions[k].end - sessions[k].begin;
          sessions[k].user = -1;
        }
        changed = true;
      }
      b = e;
    }
    CompactSessions(&events, &sessions);
  }
  stats.fixpoint_reached = !changed || FiltersAreStable(events, sessions, options, &count);

  // (6) The Dataset, with the vocabulary re-indexed by popularity.
  Dataset& data = result.dataset;
  data.item_ids.reserve(log.items.size());
  for (int32_t i = 0; i < log.items.size(); ++i) data.item_ids.emplace_back(log.items.Get(i));
  data.items.reserve(events.size());
  data.timestamps.reserve(events.size());
  for (const RawEvent& e : events) {
    data.items.push_back(e.item);
    data.timestamps.push_back(e.timestamp_ms / 1000);
  }
  data.sessions.reserve(sessions.size());
  for (size_t k = 0; k < sessions.size(); ++k) {
    const Session& s = sessions[k];
    for (int64_t e = s.begin + 1; e < s.end; ++e) {
      if (events[e].timestamp_ms == events[e - 1].timestamp_ms) ++stats.timestamp_ties;
    }
    if (k == 0 || s.user != sessions[k - 1].user) {
      if (!data.users.empty()) data.users.back().session_end = static_cast<int64_t>(k);
      data.users.push_back({std::string(log.users.Get(s.user)), static_cast<int64_t>(k), 0});
    }
    data.sessions.push_back({s.begin, s.end});
  }
  if (!data.users.empty()) data.users.back().session_end = data.num_sessions();
  ReindexVocabularyByPopularity(&data);
  stats.users = data.num_users();
  stats.sessions = data.num_sessions();
  stats.items = data.num_items();
  stats.events = data.num_events();
  return result;
}

std::string DatasetFingerprint(const Dataset& dataset) {
  HashWriter hash;
  hash.String("hrnn-dataset-v1");
  hash.U64(dataset.item_ids.size());
  for (const std::string& id : dataset.item_ids) hash.String(id);
  hash.U64(dataset.items.size());
  for (int32_t item : dataset.items) hash.U64(static_cast<uint64_t>(item));
  hash.U64(dataset.timestamps.size());
  for (int64_t t : dataset.timestamps) hash.U64(static_cast<uint64_t>(t));
  hash.U64(dataset.sessions.size());
  for (const SessionSpan& s : dataset.sessions) {
    hash.U64(static_cast<uint64_t>(s.begin));
    hash.U64(static_cast<uint64_t>(s.end));
  }
  hash.U64(dataset.users.size());
  for (const UserSpan& u : dataset.users) {
    hash.String(u.id);
    hash.U64(static_cast<uint64_t>(u.session_begin));
    hash.U64(static_cast<uint64_t>(u.session_end));
  }
  return hash.Hex();
}

}  // namespace hrnn
