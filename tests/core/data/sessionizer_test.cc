#include "core/data/sessionizer.h"

#include <limits>
#include <string>
#include <vector>

#include "core/data/interaction_reader.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace hrnn {
namespace {

using ::hrnn::testing::StatusIs;
using ::testing::ElementsAre;

RawLog Log(const std::string& text) {
  RawLog log;
  const absl::Status status = AppendInteractionsText(text, "test.csv", {}, &log);
  EXPECT_TRUE(status.ok()) << status;
  return log;
}

// Options with every filter off.
DataOptions NoFilters() {
  DataOptions options;
  options.min_item_support = 1;
  options.min_session_length = 1;
  return options;
}

// "user: [items] [items]" per user, item ids by name.
std::vector<std::string> Render(const Dataset& d) {
  std::vector<std::string> out;
  for (const UserSpan& u : d.users) {
    std::string line = u.id + ":";
    for (int64_t s = u.session_begin; s < u.session_end; ++s) {
      line += " [";
      for (int64_t e = d.sessions[s].begin; e < d.sessions[s].end; ++e) {
        if (e > d.sessions[s].begin) line += " ";
        line += d.item_ids[d.items[e]];
      }
      line += "]";
    }
    out.push_back(line);
  }
  return out;
}

PreparedData Prepare(const std::string& text, const DataOptions& options) {
  absl::StatusOr<PreparedData> result = PrepareDataset(Log(text), options);
  EXPECT_TRUE(result.ok()) << result.status();
  return result.ok() ? *std::move(result) : PreparedData{};
}

constexpr char kHeader[] = "USER_ID,ITEM_ID,TIMESTAMP\n";

TEST(SessionizerTest, CutsOnGapsStrictlyGreater) {
  const PreparedData p = Prepare(std::string(kHeader) +
                                     "u,a,0\n"
                                     "u,b,1800\n"      // Exactly the gap: same session.
                                     "u,c,3600.001\n"  // 1800.001 s: new session.
                                     "u,d,3700\n"
                                     "v,e,3701\n",  // Another user: new session.
                                 NoFilters());
  EXPECT_THAT(Render(p.dataset), ElementsAre("u: [a b] [c d]", "v: [e]"));
  EXPECT_EQ(p.stats.sessions_built, 3);
  EXPECT_THAT(p.dataset.timestamps, ElementsAre(0, 1800, 3600, 3700, 3701));
  DataOptions no_gap = NoFilters();
  no_gap.session_gap_seconds = 0;
  EXPECT_THAT(Render(Prepare(std::string(kHeader) + "u,a,0\nu,b,99999\n", no_gap).dataset),
              ElementsAre("u: [a b]"));
}

TEST(SessionizerTest, ExplicitSessionIdsStillCutOnGaps) {
  const std::string text =
      "USER_ID,SESSION_ID,ITEM_ID,TIMESTAMP\n"
      "u,s1,a,0\nu,s1,b,10\nu,s2,c,20\nu,s2,d,30\nu,s2,e,5000\n";
  EXPECT_THAT(Render(Prepare(text, NoFilters()).dataset), ElementsAre("u: [a b] [c d] [e]"));
  DataOptions ignore = NoFilters();
  ignore.use_session_ids = false;
  EXPECT_THAT(Render(Prepare(text, ignore).dataset), ElementsAre("u: [a b c d] [e]"));
}

TEST(SessionizerTest, Gru4RecSessionsAreUsers) {
  const PreparedData p = Prepare(
      "SessionId\tItemId\tTime\n"
      "7\ta\t100.5\n8\tb\t100.2\n7\tc\t100.7\n8\td\t9000\n",
      NoFilters());
  EXPECT_THAT(Render(p.dataset), ElementsAre("7: [a c]", "8: [b] [d]"));
}

TEST(SessionizerTest, SortsByTimeAndTiesKeepInputOrder) {
  const PreparedData p = Prepare(std::string(kHeader) +
                                     "w,x,50\n"
                                     "u,c,5\nu,a,5\nu,b,5\n"
                                     "u,d,1\n"  // Out of order: sorted first.
                                     "w,y,49\n",
                                 NoFilters());
  // Users in first-seen order; within a user, time order; equal times in file order.
  EXPECT_THAT(Render(p.dataset), ElementsAre("w: [y x]", "u: [d c a b]"));
  EXPECT_EQ(p.stats.timestamp_ties, 2);
}

TEST(SessionizerTest, DefaultFiltersDropShortSessionsAndRareItems) {
  DataOptions options;  // Support 5, length 2.
  std::string text = kHeader;
  for (int i = 0; i < 5; ++i) {
    const std::string t = std::to_string(i * 10000);
    text += "u" + std::to_string(i) + ",p," + t + "\n";
    text += "u" + std::to_string(i) + ",q," + t + "\n";
  }
  text += "u0,rare,1\n";           // Support 1.
  text += "u9,p,1\nu9,q,99999\n";  // Two one-event sessions.
  const PreparedData p = Prepare(text, options);
  EXPECT_EQ(p.dataset.num_users(), 5);
  EXPECT_EQ(p.dataset.num_sessions(), 5);
  EXPECT_EQ(p.stats.items_dropped_support, 1);
  EXPECT_EQ(p.stats.events_dropped_item_support, 1);
  EXPECT_EQ(p.stats.sessions_dropped_length, 2);
  EXPECT_EQ(p.stats.events_dropped_session_length, 2);
  EXPECT_EQ(p.stats.rows_read, 13);
  EXPECT_EQ(p.stats.events, 10);
}

TEST(SessionizerTest, MinSessionsPerUser) {
  DataOptions options = NoFilters();
  options.min_sessions_per_user = 2;
  const PreparedData p =
      Prepare(std::string(kHeader) + "u,a,0\nu,b,10000\nv,a,0\nv,b,1\n", options);
  EXPECT_THAT(Render(p.dataset), ElementsAre("u: [a] [b]"));
  EXPECT_EQ(p.stats.users_dropped_sessions, 1);
  EXPECT_EQ(p.stats.sessions_dropped_user, 1);
  EXPECT_EQ(p.stats.events_dropped_user, 2);
}

// With min_item_support = 2 the fixpoint needs four rounds (FiltersRunToFixpoint) and a single
// pass keeps an item below support (FiltersRunOnceByDefault).
constexpr char kFixpointLog[] =
    "u1,z,0\nu1,c,1\n"
    "u2,c,0\nu2,d,1\n"
    "u3,d,0\nu3,e,1\nu3,e,2\n";

TEST(SessionizerTest, FiltersRunOnceByDefault) {
  // z is rare -> [z c] shrinks to [c] and is dropped; c is left with one event, below support,
  // but the item filter does not run again.
  const std::string text = std::string(kHeader) + kFixpointLog;
  DataOptions options;
  options.min_item_support = 2;
  const PreparedData p = Prepare(text, options);
  EXPECT_THAT(Render(p.dataset), ElementsAre("u2: [c d]", "u3: [d e e]"));
  EXPECT_THAT(p.dataset.item_ids, ElementsAre("d", "e", "c"));
  EXPECT_THAT(p.dataset.item_counts, ElementsAre(2, 2, 1));
  EXPECT_FALSE(p.stats.filter_fixpoint);
  EXPECT_EQ(p.stats.filter_rounds, 1);
  EXPECT_FALSE(p.stats.fixpoint_reached);
  EXPECT_EQ(p.stats.items_dropped_support, 1);
  EXPECT_EQ(p.stats.events_dropped_item_support, 1);
  EXPECT_EQ(p.stats.sessions_dropped_length, 1);
  EXPECT_EQ(p.stats.events_dropped_session_length, 1);
  const std::string report = p.stats.ToString();
  EXPECT_THAT(report, ::testing::HasSubstr(
                          "filters applied once (not a fixpoint: more rounds would remove more)"));
  EXPECT_THAT(report,
              ::testing::HasSubstr("catalogue kept: 3 of 4 items (75.0%), 5 of 7 events (71.4%)"));
  // When one pass leaves nothing to remove, the report says so.
  options.min_item_support = 1;
  const PreparedData stable = Prepare(text, options);
  EXPECT_THAT(Render(stable.dataset), ElementsAre("u1: [z c]", "u2: [c d]", "u3: [d e e]"));
  EXPECT_TRUE(stable.stats.fixpoint_reached);
  EXPECT_THAT(stable.stats.ToString(),
              ::testing::HasSubstr("filters applied once (already a fixpoint)"));
}

TEST(SessionizerTest, FiltersRunToFixpoint) {
  // z is rare -> [z c] shrinks to [c] and is dropped -> c becomes rare -> [c d] shrinks and
  // is dropped -> d becomes rare -> [d e e] shrinks to [e e], which stays.
  const std::string text = std::string(kHeader) + kFixpointLog;
  DataOptions options;
  options.min_item_support = 2;
  options.filter_fixpoint = true;
  const PreparedData p = Prepare(text, options);
  EXPECT_THAT(Render(p.dataset), ElementsAre("u3: [e e]"));
  EXPECT_TRUE(p.stats.filter_fixpoint);
  EXPECT_EQ(p.stats.filter_rounds, 4);
  EXPECT_TRUE(p.stats.fixpoint_reached);
  EXPECT_EQ(p.stats.items_dropped_support, 3);
  EXPECT_EQ(p.stats.sessions_dropped_length, 2);
  EXPECT_THAT(p.stats.ToString(),
              ::testing::HasSubstr("filters to a fixpoint: 4 round(s) (fixpoint reached)"));
  options.max_filter_rounds = 2;
  const PreparedData bounded = Prepare(text, options);
  EXPECT_FALSE(bounded.stats.fixpoint_reached);
  EXPECT_EQ(bounded.stats.filter_rounds, 2);
  EXPECT_THAT(Render(bounded.dataset), ElementsAre("u3: [d e e]"));
  EXPECT_THAT(
      bounded.stats.ToString(),
      ::testing::HasSubstr("filters to a fixpoint: 2 round(s) (BOUND HIT, not a fixpoint)"));
  // Three rounds remove everything there is to remove; the check after the last round sees it.
  options.max_filter_rounds = 3;
  const PreparedData exact = Prepare(text, options);
  EXPECT_EQ(exact.stats.filter_rounds, 3);
  EXPECT_TRUE(exact.stats.fixpoint_reached);
  EXPECT_THAT(Render(exact.dataset), ElementsAre("u3: [e e]"));
}

TEST(SessionizerTest, StatsStateTheShareOfTheCatalogueAndEventsKept) {
  // The fixpoint example above: 4 items (z, c, d, e) and 7 events in; e and its 2 events kept.
  const std::string text = std::string(kHeader) + kFixpointLog;
  DataOptions options;
  options.min_item_support = 2;
  options.filter_fixpoint = true;
  const PreparedData p = Prepare(text, options);
  EXPECT_EQ(p.stats.items_before_filters, 4);
  EXPECT_EQ(p.stats.events_before_filters, 7);
  EXPECT_EQ(p.stats.items, 1);
  EXPECT_EQ(p.stats.events, 2);
  EXPECT_THAT(p.stats.ToString(),
              ::testing::HasSubstr("catalogue kept: 1 of 4 items (25.0%), 2 of 7 events (28.6%)"));
  // The denominators count what the event-type filter let through, not what it dropped.
  options.event_types = {"click"};
  const PreparedData none = Prepare(text, options);
  EXPECT_EQ(none.stats.items_before_filters, 0);
  EXPECT_THAT(none.stats.ToString(),
              ::testing::HasSubstr("catalogue kept: 0 of 0 items (0.0%), 0 of 0 events (0.0%)"));
}

TEST(SessionizerTest, TruncatesLongSessionsToTheirLastEvents) {
  DataOptions options = NoFilters();
  options.max_session_length = 2;
  const PreparedData p = Prepare(std::string(kHeader) + "u,a,0\nu,b,1\nu,c,2\nu,d,3\n", options);
  EXPECT_THAT(Render(p.dataset), ElementsAre("u: [c d]"));
  EXPECT_EQ(p.stats.sessions_truncated, 1);
  EXPECT_EQ(p.stats.events_dropped_truncation, 2);
}

TEST(SessionizerTest, VocabularyByDescendingCountTiesByFirstAppearance) {
  const PreparedData p = Prepare(std::string(kHeader) +
                                     "u,b,0\nu,a,1\nu,c,2\nu,c,3\nu,a,4\nu,d,5\n"
                                     "v,d,0\n",
                                 NoFilters());
  // a, c and d have 2 clicks: first appearances a (1), c (2), d (5); then b.
  EXPECT_THAT(p.dataset.item_ids, ElementsAre("a", "c", "d", "b"));
  EXPECT_THAT(p.dataset.item_counts, ElementsAre(2, 2, 2, 1));
  EXPECT_THAT(p.dataset.items, ElementsAre(3, 0, 1, 1, 0, 2, 2));
}

TEST(SessionizerTest, EventTypeAndValueFilters) {
  const std::string text =
      "USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE\n"
      "u,a,0,click,1\nu,b,1,purchase,5\nu,c,2,,9\nu,d,3,click,\nu,e,4,click,3\n";
  DataOptions types = NoFilters();
  types.event_types = {"click", "unknown-type"};
  PreparedData p = Prepare(text, types);
  EXPECT_THAT(Render(p.dataset), ElementsAre("u: [a d e]"));
  EXPECT_EQ(p.stats.dropped_event_type, 2);
  DataOptions value = NoFilters();
  value.min_event_value = 3;
  p = Prepare(text, value);
  EXPECT_THAT(Render(p.dataset), ElementsAre("u: [b c e]"));
  EXPECT_EQ(p.stats.dropped_event_value, 2);
}

TEST(SessionizerTest, EverythingFilteredIsNotAnError) {
  const PreparedData p = Prepare(std::string(kHeader) + "u,a,0\n", DataOptions());
  EXPECT_EQ(p.dataset.num_events(), 0);
  EXPECT_EQ(p.dataset.num_users(), 0);
  EXPECT_EQ(p.dataset.num_items(), 0);
  EXPECT_EQ(p.stats.events, 0);
  EXPECT_FALSE(p.stats.ToString().empty());
}

TEST(SessionizerTest, ValidateNamesTheField) {
  auto check = [](auto mutate, const char* field) {
    DataOptions options;
    mutate(options);
    EXPECT_THAT(options.Validate(), StatusIs(absl::StatusCode::kInvalidArgument, field));
    EXPECT_THAT(PrepareDataset(RawLog(), options),
                StatusIs(absl::StatusCode::kInvalidArgument, field));
  };
  check([](DataOptions& o) { o.session_gap_seconds = -1; }, "session_gap_seconds");
  check([](DataOptions& o) { o.min_session_length = 0; }, "min_session_length");
  check([](DataOptions& o) { o.max_session_length = 1; }, "max_session_length");
  check([](DataOptions& o) { o.min_item_support = -1; }, "min_item_support");
  check([](DataOptions& o) { o.min_sessions_per_user = -2; }, "min_sessions_per_user");
  check([](DataOptions& o) { o.event_types = {"click", ""}; }, "event_types[1]");
  check([](DataOptions& o) { o.min_event_value = std::numeric_limits<double>::infinity(); },
        "min_event_value");
  check([](DataOptions& o) { o.max_filter_rounds = 0; }, "max_filter_rounds");
  EXPECT_OK(DataOptions().Validate());
}

TEST(SessionizerTest, FingerprintIsStableAndSensitive) {
  const std::string text = std::string(kHeader) + "u,a,0\nu,b,10\nv,a,5\nv,c,6\n";
  const Dataset d = Prepare(text, NoFilters()).dataset;
  const std::string fp = DatasetFingerprint(d);
  EXPECT_EQ(fp.size(), 64u);
  EXPECT_EQ(fp, DatasetFingerprint(Prepare(text, NoFilters()).dataset));
  // Pinned: a change here changes every model's recorded training-data fingerprint.
  EXPECT_EQ(fp, "3926da3a135ab68b96b06474ec87ac5e67e136d308ed038b00a0104ff9080d39");
  Dataset other = d;
  other.timestamps[1] += 1;
  EXPECT_NE(DatasetFingerprint(other), fp);
  other = d;
  other.sessions[0].end -= 1;
  other.sessions.insert(other.sessions.begin() + 1, {1, 2});
  ++other.users[0].session_end;
  ++other.users[1].session_begin;
  ++other.users[1].session_end;
  EXPECT_NE(DatasetFingerprint(other), fp);
  other = d;
  other.users[1].id = "w";
  EXPECT_NE(DatasetFingerprint(other), fp);
}

}  // namespace
}  // namespace hrnn
