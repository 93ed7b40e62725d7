#include "client/event_csv_reader.h"

#include <fstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace hrnn::client {
namespace {

using ::hrnn::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class EventCsvReaderTest : public ::testing::Test {
 protected:
  // Writes `contents` to a fresh file and returns its path.
  std::string WriteFile(const std::string& contents) {
    const std::string path = (::hrnn::testing::FreshTestDir() / "log.csv").string();
    std::ofstream(path, std::ios::binary) << contents;
    return path;
  }

  // Reads every event of `contents`; skipped-line messages go to skipped_.
  absl::StatusOr<std::vector<hrnn::v1::Event>> ReadAll(const std::string& contents,
                                                       bool strict = false) {
    EventCsvReaderOptions options;
    options.strict = strict;
    options.on_skipped_line = [this](absl::string_view message) { skipped_.emplace_back(message); };
    absl::StatusOr<std::unique_ptr<EventCsvReader>> reader =
        EventCsvReader::Open(WriteFile(contents), options);
    if (!reader.ok()) return reader.status();
    std::vector<hrnn::v1::Event> events;
    hrnn::v1::Event event;
    while (true) {
      absl::StatusOr<bool> more = (*reader)->Next(&event);
      if (!more.ok()) return more.status();
      if (!*more) break;
      events.push_back(event);
      lines_.push_back((*reader)->line_number());
    }
    skipped_count_ = (*reader)->skipped_lines();
    return events;
  }

  std::vector<std::string> skipped_;
  std::vector<int64_t> lines_;
  int64_t skipped_count_ = 0;
};

TEST_F(EventCsvReaderTest, ReadsPersonalizeSchemaAndConvertsSecondsToMilliseconds) {
  ASSERT_OK_AND_ASSIGN(auto events, ReadAll("USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE\n"
                                            "u0,i89,1700826437,click,\n"
                                            "u0,i7,1700826459,purchase,19.5\n"));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].user_id(), "u0");
  EXPECT_EQ(events[0].item_id(), "i89");
  EXPECT_EQ(events[0].timestamp_ms(), 1700826437000);
  EXPECT_EQ(events[0].event_type(), "click");
  EXPECT_FALSE(events[0].has_event_value());
  EXPECT_EQ(events[1].event_type(), "purchase");
  ASSERT_TRUE(events[1].has_event_value());
  EXPECT_DOUBLE_EQ(events[1].event_value(), 19.5);
  EXPECT_THAT(lines_, ElementsAre(2, 3));
}

TEST_F(EventCsvReaderTest, MinimalHeaderInAnyOrderAndCase) {
  ASSERT_OK_AND_ASSIGN(auto events, ReadAll("timestamp,Item_Id,user_id\n1700000000,i1,u1\n"));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].user_id(), "u1");
  EXPECT_EQ(events[0].item_id(), "i1");
  EXPECT_EQ(events[0].timestamp_ms(), 1700000000000);
  EXPECT_EQ(events[0].event_type(), "");
}

TEST_F(EventCsvReaderTest, OptionalColumnsBomCrlfQuotesAndUnknownColumns) {
  ASSERT_OK_AND_ASSIGN(
      auto events,
      ReadAll("\xEF\xBB\xBFUSER_ID,ITEM_ID,TIMESTAMP,SESSION_ID,IMPRESSION,RECOMMENDATION_ID,"
              "EXTRA\r\n"
              "\"u,1\",i1,1700000000.25,s1,i2|i3,r9,whatever\r\n"
              "\r\n"
              "u2,\"i\"\"q\",0,,,,\r\n"));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].user_id(), "u,1");
  EXPECT_EQ(events[0].timestamp_ms(), 1700000000250);
  EXPECT_EQ(events[0].session_id(), "s1");
  EXPECT_THAT(events[0].impression_item_ids(), ElementsAre("i2", "i3"));
  EXPECT_EQ(events[0].recommendation_id(), "r9");
  EXPECT_EQ(events[1].item_id(), "i\"q");
  EXPECT_EQ(events[1].timestamp_ms(), 0);
  EXPECT_THAT(lines_, ElementsAre(2, 4));
}

TEST_F(EventCsvReaderTest, HeaderErrors) {
  EXPECT_THAT(ReadAll("USER_ID,ITEM_ID\nu,i\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, ":1: the header has no TIMESTAMP"));
  EXPECT_THAT(ReadAll("USER_ID,ITEM_ID,TIMESTAMP,user_id\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, "USER_ID appears twice"));
  EXPECT_THAT(ReadAll(""), StatusIs(absl::StatusCode::kInvalidArgument, ":1: empty file"));
  EXPECT_THAT(EventCsvReader::Open("/nonexistent/log.csv"),
              StatusIs(absl::StatusCode::kNotFound, "/nonexistent/log.csv"));
}

TEST_F(EventCsvReaderTest, SkipsMalformedLinesWithFileAndLine) {
  ASSERT_OK_AND_ASSIGN(auto events,
                       ReadAll("USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE\n"
                               "u1,i1,1700000000,click,\n"      // 2: ok
                               "u1,i2,yesterday,click,\n"       // 3: bad timestamp
                               "u1,i3,1700000001,click\n"       // 4: too few fields
                               ",i4,1700000002,click,\n"        // 5: empty user
                               "u1,,1700000002,click,\n"        // 6: empty item
                               "u1,i5,1700000003,click,abc\n"   // 7: bad value
                               "u1,i6,1700000004,click,nan\n"   // 8: NaN value
                               "u1,i7,-5,click,\n"              // 9: negative timestamp
                               "\"u1,i8,1700000005,click,\n"    // 10: unterminated quote
                               "u1,i9,1700000006,click,1\n"));  // 11: ok
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].item_id(), "i9");
  EXPECT_THAT(lines_, ElementsAre(2, 11));
  EXPECT_EQ(skipped_count_, 8);
  ASSERT_EQ(skipped_.size(), 8u);
  EXPECT_THAT(skipped_[0], HasSubstr("log.csv:3: TIMESTAMP"));
  EXPECT_THAT(skipped_[1], HasSubstr("log.csv:4: expected 5 fields"));
  EXPECT_THAT(skipped_[2], HasSubstr("log.csv:5: USER_ID: empty"));
  EXPECT_THAT(skipped_[3], HasSubstr("log.csv:6: ITEM_ID: empty"));
  EXPECT_THAT(skipped_[4], HasSubstr("log.csv:7: EVENT_VALUE"));
  EXPECT_THAT(skipped_[5], HasSubstr("log.csv:8: EVENT_VALUE"));
  EXPECT_THAT(skipped_[6], HasSubstr("log.csv:9: TIMESTAMP: -5 is out of range"));
  EXPECT_THAT(skipped_[7], HasSubstr("log.csv:10: unterminated"));
}

TEST_F(EventCsvReaderTest, StrictStopsAtTheFirstMalformedLine) {
  EXPECT_THAT(ReadAll("USER_ID,ITEM_ID,TIMESTAMP\n"
                      "u1,i1,1700000000\n"
                      "u1,i2,99999999999999999999\n"
                      "u1,i3,1700000001\n",
                      /*strict=*/true),
              StatusIs(absl::StatusCode::kInvalidArgument, "log.csv:3: TIMESTAMP"));
  EXPECT_TRUE(skipped_.empty());
}

TEST_F(EventCsvReaderTest, HeaderOnlyHasNoEvents) {
  ASSERT_OK_AND_ASSIGN(auto events, ReadAll("USER_ID,ITEM_ID,TIMESTAMP"));
  EXPECT_TRUE(events.empty());
}

}  // namespace
}  // namespace hrnn::client
