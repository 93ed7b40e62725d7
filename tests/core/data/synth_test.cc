#include "core/data/synth.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/catalogue/items_csv.h"
#include "core/data/interaction_reader.h"
#include "core/data/sessionizer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace hrnn {
namespace {

namespace fs = std::filesystem;
using ::hrnn::testing::StatusIs;

class SynthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::hrnn::testing::FreshTestDir();
    options_.users = 300;
    options_.items = 2000;
    options_.events = 20000;
    options_.seed = 7;
  }

  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

  static std::string ReadAll(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }

  // Writes, reads back and sessionises (30-minute gap, no filters) the log of options_.
  PreparedData RoundTrip(const std::string& name, SynthStats* stats) {
    absl::StatusOr<SynthStats> written = WriteSyntheticCsv(options_, Path(name));
    EXPECT_TRUE(written.ok()) << written.status();
    if (written.ok()) *stats = *written;
    ReaderOptions strict;
    strict.strict = true;
    absl::StatusOr<RawLog> log = ReadInteractions({Path(name)}, strict);
    EXPECT_TRUE(log.ok()) << log.status();
    DataOptions data;
    data.min_item_support = 1;
    data.min_session_length = 1;
    absl::StatusOr<PreparedData> prepared =
        PrepareDataset(log.ok() ? *std::move(log) : RawLog(), data);
    EXPECT_TRUE(prepared.ok()) << prepared.status();
    return prepared.ok() ? *std::move(prepared) : PreparedData{};
  }

  fs::path dir_;
  SynthOptions options_;
};

TEST_F(SynthTest, DeterministicForASeed) {
  ASSERT_OK(WriteSyntheticCsv(options_, Path("a.csv")));
  ASSERT_OK(WriteSyntheticCsv(options_, Path("b.csv")));
  options_.seed = 8;
  ASSERT_OK(WriteSyntheticCsv(options_, Path("c.csv")));
  const std::string a = ReadAll(Path("a.csv"));
  EXPECT_GT(a.size(), 100000u);
  EXPECT_EQ(a, ReadAll(Path("b.csv")));
  EXPECT_NE(a, ReadAll(Path("c.csv")));
  EXPECT_EQ(a.substr(0, a.find('\n')), "USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE");
}

TEST_F(SynthTest, SizesHonouredAndReadsBack) {
  SynthStats stats;
  const PreparedData p = RoundTrip("s.csv", &stats);
  EXPECT_EQ(stats.events, options_.events);
  EXPECT_EQ(stats.users, options_.users);
  EXPECT_EQ(p.stats.rows_read, options_.events);
  EXPECT_EQ(p.stats.malformed_rows, 0);
  EXPECT_EQ(p.dataset.num_users(), options_.users);
  EXPECT_EQ(p.dataset.num_items(), stats.distinct_items);
  EXPECT_LE(stats.distinct_items, options_.items);
  EXPECT_GT(stats.distinct_items, options_.items / 2);  // A long tail, but a used catalogue.
  EXPECT_GT(stats.purchases, options_.events / 100);
  EXPECT_LT(stats.purchases, options_.events / 10);
  EXPECT_EQ(stats.clicks + stats.purchases, stats.events);
  // Popularity is skewed: the top 10% of items get well over 10% of the clicks.
  int64_t top = 0;
  for (int64_t i = 0; i < p.dataset.num_items() / 10; ++i) top += p.dataset.item_counts[i];
  EXPECT_GT(top, p.dataset.num_events() / 4);
}

TEST_F(SynthTest, SessionsAreRecoveredByThe30MinuteGap) {
  SynthStats stats;
  const PreparedData p = RoundTrip("s.csv", &stats);
  EXPECT_EQ(p.dataset.num_sessions(), stats.sessions);
  // Users come back: several sessions each on average, spread over weeks.
  EXPECT_GT(stats.sessions, 3 * options_.users);
  EXPECT_GT(stats.last_timestamp - stats.first_timestamp, 14 * 86400);
  for (const SessionSpan& s : p.dataset.sessions) EXPECT_GE(s.length(), 2);
}

TEST_F(SynthTest, PurchasesCarryPricesAndClicksDoNot) {
  ASSERT_OK(WriteSyntheticCsv(options_, Path("p.csv")));
  ASSERT_OK_AND_ASSIGN(RawLog log, ReadInteractions({Path("p.csv")}, {}));
  ASSERT_EQ(log.event_types.size(), 2);
  const auto purchase = log.event_types.Find("purchase");
  ASSERT_TRUE(purchase.has_value());
  for (const RawEvent& e : log.events) {
    if (e.event_type == *purchase) {
      EXPECT_GT(e.event_value, 0.0f);
    } else {
      EXPECT_TRUE(std::isnan(e.event_value));
    }
  }
}

// The property that makes the user level useful: a user's last sessions come from the clusters
// of the first ones far more often than another user's would.
TEST_F(SynthTest, UsersHaveLastingTastes) {
  SynthStats stats;
  const PreparedData p = RoundTrip("t.csv", &stats);
  ASSERT_OK_AND_ASSIGN(SyntheticCatalog catalog, SyntheticCatalog::Create(options_));
  const Dataset& d = p.dataset;
  auto clusters = [&](int64_t session_begin, int64_t session_end) {
    std::set<int64_t> out;
    for (int64_t s = session_begin; s < session_end; ++s) {
      for (int64_t e = d.sessions[s].begin; e < d.sessions[s].end; ++e) {
        out.insert(catalog.ClusterOf(d.item_ids[d.items[e]]).value_or(-1));
      }
    }
    return out;
  };
  // Share of the clicks of a user's last two sessions whose cluster is among the clusters of
  // the first two sessions of user `reference`.
  int64_t own = 0, other = 0, total = 0;
  const int64_t n = d.num_users();
  for (int64_t u = 0; u < n; ++u) {
    const UserSpan& user = d.users[u];
    const UserSpan& ref = d.users[(u + n / 2) % n];
    if (user.num_sessions() < 6 || ref.num_sessions() < 2) continue;
    const std::set<int64_t> mine = clusters(user.session_begin, user.session_begin + 2);
    const std::set<int64_t> theirs = clusters(ref.session_begin, ref.session_begin + 2);
    for (int64_t e = d.sessions[user.session_end - 2].begin;
         e < d.sessions[user.session_end - 1].end; ++e) {
      const int64_t c = *catalog.ClusterOf(d.item_ids[d.items[e]]);
      own += mine.count(c);
      other += theirs.count(c);
      ++total;
    }
  }
  ASSERT_GT(total, 1000);
  const double own_share = static_cast<double>(own) / total;
  const double other_share = static_cast<double>(other) / total;
  EXPECT_GT(own_share, 0.5) << "own " << own_share << " other " << other_share;
  EXPECT_GT(own_share, 2.5 * other_share) << "own " << own_share << " other " << other_share;
}

TEST_F(SynthTest, SessionsHaveSequentialStructure) {
  SynthStats stats;
  const PreparedData p = RoundTrip("q.csv", &stats);
  ASSERT_OK_AND_ASSIGN(SyntheticCatalog catalog, SyntheticCatalog::Create(options_));
  const Dataset& d = p.dataset;
  int64_t same = 0, pairs = 0;
  for (const SessionSpan& s : d.sessions) {
    for (int64_t e = s.begin + 1; e < s.end; ++e) {
      same += catalog.ClusterOf(d.item_ids[d.items[e]]) ==
              catalog.ClusterOf(d.item_ids[d.items[e - 1]]);
      ++pairs;
    }
  }
  EXPECT_GT(static_cast<double>(same) / pairs, 0.8) << same << "/" << pairs;
}

TEST_F(SynthTest, GzipOutput) {
  SynthStats stats;
  const PreparedData p = RoundTrip("g.csv.gz", &stats);
  EXPECT_EQ(p.stats.rows_read, options_.events);
  std::ifstream in(Path("g.csv.gz"), std::ios::binary);
  EXPECT_EQ(in.get(), 0x1f);
  EXPECT_EQ(in.get(), 0x8b);
}

TEST_F(SynthTest, CatalogClusters) {
  ASSERT_OK_AND_ASSIGN(SyntheticCatalog catalog, SyntheticCatalog::Create(options_));
  EXPECT_EQ(catalog.num_items(), 2000);
  EXPECT_EQ(catalog.num_clusters(), 20);
  std::vector<int> sizes(20);
  for (int i = 0; i < 2000; ++i) {
    const auto c = catalog.ClusterOf("i" + std::to_string(i));
    ASSERT_TRUE(c.has_value());
    ++sizes[*c];
  }
  for (int size : sizes) EXPECT_EQ(size, 100);
  EXPECT_EQ(catalog.ClusterOf("i2000"), std::nullopt);
  EXPECT_EQ(catalog.ClusterOf("x1"), std::nullopt);
  EXPECT_EQ(catalog.ClusterOf("i"), std::nullopt);
}

TEST_F(SynthTest, ValidateNamesTheField) {
  auto check = [&](auto mutate, const char* field) {
    SynthOptions options = options_;
    mutate(options);
    EXPECT_THAT(WriteSyntheticCsv(options, Path("v.csv")),
                StatusIs(absl::StatusCode::kInvalidArgument, field));
  };
  check([](SynthOptions& o) { o.users = 0; }, "users");
  check([](SynthOptions& o) { o.items = 0; }, "items");
  check([](SynthOptions& o) { o.events = 599; }, "events must be >= 2 * users (600)");
  check([](SynthOptions& o) { o.clusters = 5000; }, "clusters");
  check([](SynthOptions& o) { o.zipf = -1; }, "zipf");
  check([](SynthOptions& o) { o.gift_share = 1.5; }, "gift_share");
  check([](SynthOptions& o) { o.drift = -0.1; }, "drift");
  check([](SynthOptions& o) { o.mean_session_length = 1; }, "mean_session_length");
  check([](SynthOptions& o) { o.mean_gap_days = 0; }, "mean_gap_days");
  EXPECT_THAT(WriteSyntheticCsv(options_, Path("no/such/dir/x.csv")),
              StatusIs(absl::StatusCode::kNotFound, "x.csv"));
}

TEST_F(SynthTest, ItemsFileFollowsTheTasteClustersAndAddsNewItemsAfterTheLog) {
  constexpr int64_t kLogEnd = 1'750'000'000;
  ASSERT_OK_AND_ASSIGN(const int64_t rows,
                       WriteSyntheticItemsCsv(options_, 50, kLogEnd, Path("items.csv")));
  EXPECT_EQ(rows, 2050);
  ASSERT_OK(WriteSyntheticItemsCsv(options_, 50, kLogEnd, Path("again.csv")).status());
  EXPECT_EQ(ReadAll(Path("items.csv")), ReadAll(Path("again.csv")));
  ASSERT_OK_AND_ASSIGN(ItemAttributes items, ReadItemsCsvFile(Path("items.csv")));
  ASSERT_EQ(items.num_rows(), 2050);
  const int category = *items.FindField("CATEGORY"), color = *items.FindField("COLOR"),
            size = *items.FindField("SIZE"), price = *items.FindField("PRICE");
  EXPECT_EQ(items.fields()[price].kind, AttributeKind::kNumeric);
  ASSERT_OK_AND_ASSIGN(SyntheticCatalog catalog, SyntheticCatalog::Create(options_));
  // Within a cluster: one category and one fit; the dominant colour on most items.
  std::map<int64_t, std::set<int32_t>> categories, fits;
  std::map<int64_t, std::map<int32_t, int>> colours;
  for (int64_t row = 0; row < options_.items; ++row) {
    const int64_t cluster = *catalog.ClusterOf(items.item_id(row));
    categories[cluster].insert(items.RowValues(row, category)[0]);
    fits[cluster].insert(items.RowValues(row, size).front());
    ++colours[cluster][items.RowValues(row, color)[0]];
    EXPECT_EQ(items.RowValues(row, size).size(), 3u);
    EXPECT_LE(*items.creation_timestamp_s(row), options_.start_time);
  }
  int dominant = 0;
  for (int64_t c = 0; c < catalog.num_clusters(); ++c) {
    EXPECT_EQ(categories[c].size(), 1u) << c;
    EXPECT_EQ(fits[c].size(), 1u) << c;
    int most = 0;
    for (const auto& [value, count] : colours[c]) most = std::max(most, count);
    dominant += most;
  }
  EXPECT_GT(dominant, options_.items * 6 / 10);
  EXPECT_GE(items.num_values(category), 10);
  // The new arrivals: ids after the catalogue's, created after the log.
  for (int64_t row = options_.items; row < rows; ++row) {
    EXPECT_EQ(items.item_id(row), absl::StrCat("i", row));
    EXPECT_GT(*items.creation_timestamp_s(row), kLogEnd);
    EXPECT_GT(*items.Numeric(row, price), 0);
  }
  EXPECT_THAT(WriteSyntheticItemsCsv(options_, -1, kLogEnd, Path("bad.csv")),
              StatusIs(absl::StatusCode::kInvalidArgument, "new_items"));
}

}  // namespace
}  // namespace hrnn
