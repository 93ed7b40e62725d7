#include "core/state/event_log_export.h"

#include <fstream>
#include <sstream>

#include "core/data/interaction_reader.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace hrnn {
namespace {

EventRecord Event(const std::string& user, const std::string& item, int64_t ms,
                  const std::string& session = "") {
  EventRecord record;
  record.kind = EventRecord::Kind::kEvent;
  record.user_id = user;
  record.item_id = item;
  record.timestamp_ms = ms;
  record.event_type = "click";
  record.session_id = session;
  return record;
}

TEST(ExportEventLogTest, HonoursTombstonesQuotesFieldsAndReadsBackForTraining) {
  const auto dir = testing::FreshTestDir();
  EventLogOptions options;
  options.dir = (dir / "log").string();
  ASSERT_OK_AND_ASSIGN(auto log, EventLog::Open(options, nullptr));
  std::vector<EventRecord> records = {Event("ann", "i1", 1'000'000), Event("bob", "i2", 2'000'000),
                                      Event("ann", "i3", 3'000'000)};
  EventRecord tombstone;
  tombstone.kind = EventRecord::Kind::kDeleteUser;
  tombstone.user_id = "ann";
  tombstone.timestamp_ms = 4'000'000;
  records.push_back(tombstone);
  records.push_back(Event("ann", "i4", 5'000'000, "s,1"));  // After the tombstone: kept.
  EventRecord valued = Event("bob", "i\"5", 6'000'000);
  valued.event_value = 2.5;
  valued.event_type = "purchase";
  valued.recommendation_id = "rec-1";  // Counted, not exported (the CSV has no column for it).
  records.push_back(valued);
  for (EventRecord& record : records) ASSERT_GT(log->Append(&record), 0u);
  ASSERT_OK(log->Flush());

  std::ostringstream out;
  ASSERT_OK_AND_ASSIGN(ExportStats stats, ExportEventLog(*log, 0, out));
  EXPECT_EQ(stats.events_written, 3);
  EXPECT_EQ(stats.events_with_recommendation_id, 1);
  EXPECT_EQ(stats.events_forgotten, 2);
  EXPECT_EQ(stats.tombstones, 1);
  EXPECT_EQ(out.str(),
            "USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE,SESSION_ID\n"
            "bob,i2,2000,click,,\n"
            "ann,i4,5000,click,,\"s,1\"\n"
            "bob,\"i\"\"5\",6000,purchase,2.5,\n");

  std::ostringstream recent;
  ASSERT_OK_AND_ASSIGN(ExportStats since, ExportEventLog(*log, 5'500'000, recent));
  EXPECT_EQ(since.events_written, 1);

  // hrnn-train's reader takes the export as it is.
  const std::string csv = (dir / "export.csv").string();
  std::ofstream(csv) << out.str();
  ASSERT_OK_AND_ASSIGN(RawLog raw, ReadInteractions({csv}, ReaderOptions()));
  EXPECT_EQ(raw.events.size(), 3u);
  EXPECT_TRUE(raw.has_session_ids);
  EXPECT_TRUE(raw.has_event_values);
}

TEST(ExportEventLogTest, ItemAvailabilityIsTheSnapshotWithTheLogAppliedInOrder) {
  const auto dir = testing::FreshTestDir();
  EventLogOptions options;
  options.dir = (dir / "log").string();
  ASSERT_OK_AND_ASSIGN(auto log, EventLog::Open(options, nullptr));
  auto change = [](const std::string& item, bool available) {
    EventRecord record;
    record.kind = EventRecord::Kind::kItemAvailability;
    record.item_id = item;
    record.item_available = available;
    record.timestamp_ms = 1'000'000;
    return record;
  };
  std::vector<EventRecord> records = {change("b", false), Event("ann", "a", 2'000'000),
                                      change("c,1", false), change("b", true), change("d", true)};
  for (EventRecord& record : records) ASSERT_GT(log->Append(&record), 0u);
  ASSERT_OK(log->Flush());

  std::ostringstream out;
  ASSERT_OK_AND_ASSIGN(ItemExportStats stats, ExportItemAvailability(*log, {"a", "b", "e"}, out));
  EXPECT_EQ(out.str(),
            "ITEM_ID,AVAILABLE\n"
            "a,false\n"  // From the snapshot; no later change.
            "b,true\n"   // The snapshot's, then the log's last change.
            "\"c,1\",false\n"
            "d,true\n"
            "e,false\n");
  EXPECT_EQ(stats.items_written, 5);
  EXPECT_EQ(stats.unavailable, 3);

  // Availability changes are not interactions: the events export skips them.
  std::ostringstream events;
  ASSERT_OK_AND_ASSIGN(ExportStats event_stats, ExportEventLog(*log, 0, events));
  EXPECT_EQ(event_stats.events_written, 1);
}

}  // namespace
}  // namespace hrnn

namespace hrnn {
namespace {

TEST(ExportEventLogTest, ServedRecommendationsAreWrittenWithoutForgottenUsers) {
  const auto dir = testing::FreshTestDir();
  EventLogOptions options;
  options.dir = (dir / "log").string();
  ASSERT_OK_AND_ASSIGN(auto log, EventLog::Open(options, nullptr));
  auto served = [](const std::string& user, const std::string& id, int64_t at) {
    EventRecord record;
    record.kind = EventRecord::Kind::kRecommendation;
    record.timestamp_ms = at;
    record.user_id = user;
    record.recommendation_id = id;
    record.recipe = "sknn";
    record.model_version = "3";
    record.experiment = "e";
    record.arm = "b";
    record.item_ids = {"i1", "i,2"};
    return record;
  };
  EventRecord tombstone;
  tombstone.kind = EventRecord::Kind::kDeleteUser;
  tombstone.user_id = "bob";
  std::vector<EventRecord> records = {served("bob", "r0", 500), served("ann", "r1", 1000),
                                      Event("ann", "i1", 1500), tombstone,
                                      served("bob", "r2", 2000)};
  records.back().item_ids.clear();  // An answer with no items.
  records.back().experiment.clear();
  records.back().arm.clear();
  for (EventRecord& record : records) ASSERT_GT(log->Append(&record), 0u);
  ASSERT_OK(log->Flush());

  std::ostringstream out;
  ASSERT_OK_AND_ASSIGN(RecommendationExportStats stats,
                       ExportServedRecommendations(*log, /*since_ms=*/0, out));
  EXPECT_EQ(out.str(),
            "RECOMMENDATION_ID,TIMESTAMP,USER_ID,SESSION_ID,ASKED_ITEM_ID,RECIPE,MODEL_VERSION,"
            "EXPERIMENT,ARM,ITEM_IDS\n"
            "r1,1000,ann,,,sknn,3,e,b,\"i1|i,2\"\n"
            "r2,2000,bob,,,sknn,3,,,\n");
  EXPECT_EQ(stats.recommendations_written, 2);
  EXPECT_EQ(stats.recommendations_forgotten, 1);
  std::ostringstream since;
  ASSERT_OK_AND_ASSIGN(stats, ExportServedRecommendations(*log, 1001, since));
  EXPECT_EQ(stats.recommendations_written, 1);
}

}  // namespace
}  // namespace hrnn
