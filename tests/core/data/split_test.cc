#include "core/data/split.h"

#include <string>
#include <vector>

#include "core/data/interaction_reader.h"
#include "core/data/sessionizer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hrnn {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// Builds a Dataset, without filters, from {user id, session, session, ...} where a session is a
// string of one-letter items; session k (1-based) of every user starts at 10,000 * k seconds,
// its events one second apart.
Dataset Make(const std::vector<std::vector<std::string>>& users) {
  std::string text = "USER_ID,ITEM_ID,TIMESTAMP\n";
  for (size_t u = 0; u < users.size(); ++u) {
    for (size_t s = 1; s < users[u].size(); ++s) {
      int64_t t = static_cast<int64_t>(s) * 10000;
      for (char item : users[u][s]) {
        text += users[u][0] + "," + std::string(1, item) + "," + std::to_string(t++) + "\n";
      }
    }
  }
  RawLog log;
  EXPECT_TRUE(AppendInteractionsText(text, "split.csv", {}, &log).ok());
  DataOptions options;
  options.min_item_support = 1;
  options.min_session_length = 1;
  absl::StatusOr<PreparedData> p = PrepareDataset(std::move(log), options);
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? p->dataset : Dataset{};
}

std::vector<std::string> Render(const Dataset& d) {
  std::vector<std::string> out;
  for (const UserSpan& u : d.users) {
    std::string line = u.id + ":";
    for (int64_t s = u.session_begin; s < u.session_end; ++s) {
      line += " ";
      for (int64_t e = d.sessions[s].begin; e < d.sessions[s].end; ++e) {
        line += d.item_ids[d.items[e]];
      }
    }
    out.push_back(line);
  }
  return out;
}

TEST(SplitTest, LastSessionOfEachUserIsTest) {
  const Dataset data =
      Make({{"u", "ab", "cd", "cd"}, {"v", "ab"}, {"w", "ab", "xy"}, {"z", "ab", "cqd"}});
  const DatasetSplit split = SplitLastSession(data);
  EXPECT_THAT(Render(split.train), ElementsAre("u: ab cd", "v: ab", "w: ab", "z: ab"));
  EXPECT_THAT(Render(split.test), ElementsAre("u: cd", "z: cd"));
  // One vocabulary: the train one (a, b: 4 clicks; c, d: 1, by first appearance).
  EXPECT_THAT(split.train.item_ids, ElementsAre("a", "b", "c", "d"));
  EXPECT_THAT(split.train.item_counts, ElementsAre(4, 4, 1, 1));
  EXPECT_EQ(split.test.item_ids, split.train.item_ids);
  EXPECT_THAT(split.test.item_counts, ElementsAre(0, 0, 2, 2));
  EXPECT_THAT(split.test.items, ElementsAre(2, 3, 2, 3));
  EXPECT_EQ(split.test.timestamps.size(), 4u);
  EXPECT_EQ(split.test.timestamps[2], 20000);  // z's c.
  EXPECT_EQ(split.test.timestamps[3], 20002);  // z's d, after the removed q.
  const SplitStats& s = split.stats;
  EXPECT_EQ(s.single_session_users, 1);
  EXPECT_EQ(s.test_events_unknown_item, 3);
  EXPECT_EQ(s.test_sessions_too_short, 1);
  EXPECT_EQ(s.test_events_too_short, 0);
  EXPECT_EQ(s.train_users, 4);
  EXPECT_EQ(s.train_sessions, 5);
  EXPECT_EQ(s.train_events, 10);
  EXPECT_EQ(s.test_users, 2);
  EXPECT_EQ(s.test_sessions, 2);
  EXPECT_EQ(s.test_events, 4);
  EXPECT_FALSE(s.ToString().empty());
}

TEST(SplitTest, CarvesValidationOutOfTrain) {
  const Dataset data = Make({{"u", "ab", "ba", "ab"}, {"v", "ab", "bb"}});
  const DatasetSplit outer = SplitLastSession(data);
  const DatasetSplit inner = SplitLastSession(outer.train);
  EXPECT_THAT(Render(inner.train), ElementsAre("u: ab", "v: ab"));
  EXPECT_THAT(Render(inner.test), ElementsAre("u: ba"));
}

TEST(SplitTest, ByTimeSessionsStartingAfterTheSplitAreTest) {
  // Sessions start at 10000, 20000, 30000 per user.
  const Dataset data = Make({{"u", "ab", "bc", "ca"}, {"v", "ab"}, {"w", "ca", "bz", "ac"}});
  DatasetSplit split = SplitByTime(data, 20000);
  EXPECT_THAT(Render(split.train), ElementsAre("u: ab bc", "v: ab", "w: ca bz"));
  EXPECT_THAT(Render(split.test), ElementsAre("u: ca", "w: ac"));
  EXPECT_EQ(split.stats.test_events_unknown_item, 0);
  EXPECT_EQ(split.stats.single_session_users, 0);

  split = SplitByTime(data, 10000);
  EXPECT_THAT(Render(split.train), ElementsAre("u: ab", "v: ab", "w: ca"));
  // w's "bz" loses z (unknown to train) and is dropped; its "ac" stays.
  EXPECT_THAT(Render(split.test), ElementsAre("u: bc ca", "w: ac"));
  EXPECT_EQ(split.stats.test_events_unknown_item, 1);
  EXPECT_EQ(split.stats.test_sessions_too_short, 1);
  EXPECT_EQ(split.stats.test_events_too_short, 1);

  split = SplitByTime(data, 0);  // Everything is test; nothing is known.
  EXPECT_THAT(split.train.users, IsEmpty());
  EXPECT_THAT(split.train.item_ids, IsEmpty());
  EXPECT_THAT(split.test.users, IsEmpty());
  EXPECT_EQ(split.stats.test_events_unknown_item, data.num_events());
}

TEST(SplitTest, GivenSplitMapsTestToTrainVocabularyById) {
  const Dataset train = Make({{"u", "ab", "bc"}, {"v", "ca"}});
  // A test file prepared on its own has its own indices; z is unknown to train.
  const Dataset test = Make({{"x", "zcz", "az"}, {"u", "cb"}});
  const DatasetSplit split = AlignGivenSplit(train, test);
  EXPECT_EQ(split.train.item_ids, train.item_ids);
  EXPECT_EQ(split.test.item_ids, train.item_ids);
  EXPECT_THAT(Render(split.train), ElementsAre("u: ab bc", "v: ca"));
  // x's "zcz" keeps only c (dropped), "az" only a (dropped); u's "cb" stays.
  EXPECT_THAT(Render(split.test), ElementsAre("u: cb"));
  EXPECT_EQ(split.stats.test_events_unknown_item, 3);
  EXPECT_EQ(split.stats.test_sessions_too_short, 2);
  EXPECT_EQ(split.stats.test_events_too_short, 2);
  EXPECT_EQ(split.stats.test_events, 2);
  EXPECT_EQ(split.stats.train_events, 6);
  EXPECT_EQ(split.test.item_counts[split.test.items[0]], 1);
}

TEST(SplitTest, EmptyDataset) {
  const DatasetSplit split = SplitLastSession(Dataset());
  EXPECT_EQ(split.train.num_events(), 0);
  EXPECT_EQ(split.test.num_events(), 0);
}

}  // namespace
}  // namespace hrnn
