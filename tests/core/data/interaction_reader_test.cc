#include "core/data/interaction_reader.h"

#include <zlib.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace hrnn {
namespace {

namespace fs = std::filesystem;
using ::hrnn::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class InteractionReaderTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = ::hrnn::testing::FreshTestDir(); }

  std::string Write(const std::string& name, const std::string& content) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }

  std::string WriteGzip(const std::string& name, const std::string& content) {
    const std::string path = (dir_ / name).string();
    gzFile file = gzopen(path.c_str(), "wb");
    EXPECT_NE(file, nullptr);
    EXPECT_EQ(gzwrite(file, content.data(), static_cast<unsigned>(content.size())),
              static_cast<int>(content.size()));
    EXPECT_EQ(gzclose(file), Z_OK);
    return path;
  }

  // Parses `content` (as file "in.csv") with `options`.
  static absl::StatusOr<RawLog> Parse(const std::string& content, ReaderOptions options = {}) {
    RawLog log;
    absl::Status status = AppendInteractionsText(content, "in.csv", options, &log);
    if (!status.ok()) return status;
    return log;
  }

  // The (user id, item id, ms) of each row.
  static std::vector<std::string> Rows(const RawLog& log) {
    std::vector<std::string> rows;
    for (const RawEvent& e : log.events) {
      rows.push_back(std::string(log.users.Get(e.user)) + "|" + std::string(log.items.Get(e.item)) +
                     "|" + std::to_string(e.timestamp_ms));
    }
    return rows;
  }

  fs::path dir_;
};

TEST_F(InteractionReaderTest, PersonalizeBasic) {
  ASSERT_OK_AND_ASSIGN(RawLog log, Parse("USER_ID,ITEM_ID,TIMESTAMP\n"
                                         "u1,a,100\n"
                                         "u2,b,101.5\n"
                                         "u1,b,99.0004\n"));
  EXPECT_THAT(Rows(log), ElementsAre("u1|a|100000", "u2|b|101500", "u1|b|99000"));
  EXPECT_EQ(log.users.size(), 2);
  EXPECT_EQ(log.items.size(), 2);
  EXPECT_EQ(log.events[2].user, 0);
  EXPECT_EQ(log.events[2].item, 1);
  EXPECT_EQ(log.events[2].order, 2u);
  EXPECT_EQ(log.events[0].session, -1);
  EXPECT_EQ(log.events[0].event_type, -1);
  EXPECT_TRUE(std::isnan(log.events[0].event_value));
  EXPECT_FALSE(log.has_session_ids);
  EXPECT_EQ(log.stats.rows, 3);
  EXPECT_EQ(log.stats.malformed, 0);
}

TEST_F(InteractionReaderTest, HeaderCaseInsensitiveAnyOrderExtraColumns) {
  ASSERT_OK_AND_ASSIGN(RawLog log,
                       Parse("\xEF\xBB\xBFTimestamp,extra,item_id,Event_Type,EVENT_VALUE,"
                             "session_id,User_Id\r\n"
                             "5,x,i9,purchase,12.5,s1,u7\r\n"
                             "6,y,i8,,,,u7\r\n"));
  EXPECT_THAT(Rows(log), ElementsAre("u7|i9|5000", "u7|i8|6000"));
  EXPECT_TRUE(log.has_session_ids);
  EXPECT_TRUE(log.has_event_types);
  EXPECT_TRUE(log.has_event_values);
  EXPECT_EQ(log.event_types.Get(log.events[0].event_type), "purchase");
  EXPECT_FLOAT_EQ(log.events[0].event_value, 12.5f);
  EXPECT_EQ(log.sessions.Get(log.events[0].session), "s1");
  EXPECT_EQ(log.events[1].event_type, -1);
  EXPECT_EQ(log.events[1].session, -1);
  EXPECT_TRUE(std::isnan(log.events[1].event_value));
}

TEST_F(InteractionReaderTest, QuotedFields) {
  ASSERT_OK_AND_ASSIGN(RawLog log, Parse("USER_ID,ITEM_ID,TIMESTAMP\n"
                                         "\"u,1\",\"say \"\"hi\"\"\",\"7\"\n"
                                         "\"\",x,8\n"
                                         "u2,\"\",9\n"));
  ASSERT_EQ(log.events.size(), 1u);
  EXPECT_EQ(log.users.Get(0), "u,1");
  EXPECT_EQ(log.items.Get(0), "say \"hi\"");
  EXPECT_EQ(log.stats.malformed, 2);
  EXPECT_THAT(log.stats.first_errors,
              ElementsAre("in.csv:3:1: empty user id", "in.csv:4:4: empty item id"));
}

TEST_F(InteractionReaderTest, MalformedRowsCountedWithLocation) {
  ASSERT_OK_AND_ASSIGN(RawLog log, Parse("USER_ID,ITEM_ID,TIMESTAMP,EVENT_VALUE\n"
                                         "u1,a,abc,\n"
                                         "u1,a,-5,\n"
                                         "u1,a,nan,\n"
                                         "\n"
                                         "u1,a,1,zz\n"
                                         "u1,a\n"
                                         "u1,\"a,1\n"
                                         "u1,\"a\"b,1\n"
                                         "u1,a,1.5e3,2\n"
                                         "u1,a,3,1e400\n"));
  EXPECT_EQ(log.stats.rows, 1);
  EXPECT_EQ(log.events[0].timestamp_ms, 1500000);
  EXPECT_EQ(log.stats.malformed, 8);
  EXPECT_EQ(log.stats.empty_lines, 1);
  EXPECT_THAT(log.stats.first_errors,
              ElementsAre(HasSubstr("in.csv:2:6: timestamp is not a number"),
                          HasSubstr("in.csv:3:6: negative timestamp"),
                          HasSubstr("in.csv:4:6: timestamp is NaN"),
                          HasSubstr("in.csv:6:8: EVENT_VALUE is not a number"),
                          "in.csv:7:5: expected at least 4 fields, found 2",
                          "in.csv:8:4: unterminated quoted field",
                          "in.csv:9:7: unexpected character after closing quote",
                          HasSubstr("in.csv:11:8: EVENT_VALUE is not")));
}

TEST_F(InteractionReaderTest, KeepsOnlyFirstErrorMessages) {
  std::string text = "USER_ID,ITEM_ID,TIMESTAMP\n";
  for (int i = 0; i < 20; ++i) text += "u,i,x\n";
  ReaderOptions options;
  options.max_error_messages = 3;
  ASSERT_OK_AND_ASSIGN(RawLog log, Parse(text, options));
  EXPECT_EQ(log.stats.malformed, 20);
  EXPECT_EQ(log.stats.first_errors.size(), 3u);
}

TEST_F(InteractionReaderTest, StrictModeStopsAtFirstMalformedRow) {
  ReaderOptions options;
  options.strict = true;
  EXPECT_THAT(Parse("USER_ID,ITEM_ID,TIMESTAMP\nu,i,1\nu,i,1\nu,,2\n", options),
              StatusIs(absl::StatusCode::kInvalidArgument, "in.csv:4:3: empty item id"));
}

TEST_F(InteractionReaderTest, MissingColumnIsNamed) {
  EXPECT_THAT(
      Parse("USER_ID,ITEM,TIMESTAMP\nu,i,1\n"),
      StatusIs(absl::StatusCode::kInvalidArgument, "in.csv:1: missing required column ITEM_ID"));
  EXPECT_THAT(Parse("SessionId\tItemId\n1\t2\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, "missing required column Time"));
  EXPECT_THAT(
      Parse("USER_ID,ITEM_ID,TIMESTAMP,user_id\n"),
      StatusIs(absl::StatusCode::kInvalidArgument, "in.csv:1:27: duplicate column USER_ID"));
  EXPECT_THAT(Parse(""), StatusIs(absl::StatusCode::kInvalidArgument, "empty input"));
}

TEST_F(InteractionReaderTest, Gru4RecSessionIsUserAndSession) {
  ASSERT_OK_AND_ASSIGN(RawLog log, Parse("SessionId\tItemId\tTime\n"
                                         "3\t214716935\t1396437466.94\n"
                                         "3\t214832672\t1396438212.318\n"
                                         "6\t214701242\t1396796300.848\n"));
  EXPECT_THAT(Rows(log), ElementsAre("3|214716935|1396437466940", "3|214832672|1396438212318",
                                     "6|214701242|1396796300848"));
  EXPECT_TRUE(log.has_session_ids);
  EXPECT_EQ(log.events[2].session, log.events[2].user);
  EXPECT_EQ(log.events[0].session, 0);
}

TEST_F(InteractionReaderTest, ForcedFormat) {
  ReaderOptions options;
  options.format = InputFormat::kGru4Rec;
  // A comma-separated file forced to GRU4Rec has one column only.
  EXPECT_THAT(Parse("USER_ID,ITEM_ID,TIMESTAMP\n", options),
              StatusIs(absl::StatusCode::kInvalidArgument, "missing required column SessionId"));
  options.format = InputFormat::kPersonalize;
  EXPECT_THAT(Parse("SessionId\tItemId\tTime\n", options),
              StatusIs(absl::StatusCode::kInvalidArgument, "missing required column USER_ID"));
  ASSERT_OK_AND_ASSIGN(InputFormat parsed, ParseInputFormat("GRU4Rec"));
  EXPECT_EQ(parsed, InputFormat::kGru4Rec);
  EXPECT_THAT(ParseInputFormat("csv"), StatusIs(absl::StatusCode::kInvalidArgument, "csv"));
}

TEST_F(InteractionReaderTest, GzipAndPlainFilesAppend) {
  const std::string a = WriteGzip("a.csv.gz", "USER_ID,ITEM_ID,TIMESTAMP\nu1,x,1\nu2,y,2\n");
  // No trailing newline in the second file.
  const std::string b = Write("b.csv", "user_id,item_id,timestamp\nu2,x,3\nu3,z,4");
  ASSERT_OK_AND_ASSIGN(RawLog log, ReadInteractions({a, b}, {}));
  EXPECT_THAT(Rows(log), ElementsAre("u1|x|1000", "u2|y|2000", "u2|x|3000", "u3|z|4000"));
  EXPECT_EQ(log.events[3].order, 3u);
  EXPECT_EQ(log.stats.files, 2);
  EXPECT_EQ(log.stats.gzip_files, 1);
  EXPECT_EQ(log.users.size(), 3);
  EXPECT_EQ(log.items.size(), 3);
}

TEST_F(InteractionReaderTest, LargeGzipCrossesChunks) {
  std::string text = "USER_ID,ITEM_ID,TIMESTAMP\n";
  const int kRows = 200000;  // ~3 MB, several read chunks.
  for (int i = 0; i < kRows; ++i) {
    text += "user" + std::to_string(i % 1000) + ",item" + std::to_string(i % 777) + "," +
            std::to_string(i) + "\n";
  }
  ASSERT_OK_AND_ASSIGN(RawLog log, ReadInteractions({WriteGzip("big.csv.gz", text)}, {}));
  ASSERT_EQ(log.stats.rows, kRows);
  EXPECT_EQ(log.stats.malformed, 0);
  EXPECT_EQ(log.users.size(), 1000);
  EXPECT_EQ(log.items.size(), 777);
  EXPECT_EQ(log.events[123457].timestamp_ms, 123457000);
  EXPECT_EQ(log.items.Get(log.events[123457].item), "item" + std::to_string(123457 % 777));
}

TEST_F(InteractionReaderTest, FileErrors) {
  EXPECT_THAT(ReadInteractions({(dir_ / "missing.csv").string()}, {}),
              StatusIs(absl::StatusCode::kNotFound, "missing.csv"));
  EXPECT_THAT(ReadInteractions({}, {}), StatusIs(absl::StatusCode::kInvalidArgument, "no files"));
  std::string text = "USER_ID,ITEM_ID,TIMESTAMP\n";
  for (int i = 0; i < 50000; ++i) text += "u" + std::to_string(i) + ",i,1\n";
  const std::string gz = WriteGzip("t.csv.gz", text);
  const auto size = fs::file_size(gz);
  fs::resize_file(gz, size / 2);
  EXPECT_THAT(ReadInteractions({gz}, {}), StatusIs(absl::StatusCode::kDataLoss, "t.csv.gz"));
  ReaderOptions bad;
  bad.max_error_messages = -1;
  EXPECT_THAT(ReadInteractions({gz}, bad),
              StatusIs(absl::StatusCode::kInvalidArgument, "max_error_messages"));
}

TEST_F(InteractionReaderTest, StrictFileErrorNamesFile) {
  const std::string path = Write("s.csv", "USER_ID,ITEM_ID,TIMESTAMP\nu,i,1\nu,i,one\n");
  ReaderOptions options;
  options.strict = true;
  EXPECT_THAT(ReadInteractions({path}, options),
              StatusIs(absl::StatusCode::kInvalidArgument, "s.csv:3:5: timestamp is not"));
}

TEST(StringPoolTest, InternFindCopy) {
  StringPool pool;
  EXPECT_EQ(pool.Intern("a"), 0);
  EXPECT_EQ(pool.Intern("bb"), 1);
  EXPECT_EQ(pool.Intern("a"), 0);
  EXPECT_EQ(pool.Intern(""), 2);
  const std::string big(100000, 'x');  // Larger than a block.
  EXPECT_EQ(pool.Intern(big), 3);
  StringPool copy = pool;
  StringPool moved = std::move(pool);
  for (const StringPool* p : {&copy, &moved}) {
    EXPECT_EQ(p->size(), 4);
    EXPECT_EQ(p->Get(1), "bb");
    EXPECT_EQ(p->Get(3), big);
    EXPECT_EQ(p->Find("bb"), 1);
    EXPECT_EQ(p->Find("c"), std::nullopt);
  }
}

// The real GRU4Rec-format sample of shared/data, when present (not part of the repository).
TEST_F(InteractionReaderTest, ReadsYoochooseSampleWhenPresent) {
  const char* env = std::getenv("HRNN_SHARED_DATA");
  const fs::path shared = env != nullptr && *env != '\0'
                              ? fs::path(env)
                              : fs::path(__FILE__).parent_path() / "../../../shared/data";
  const fs::path data = shared / "yoochoose-rsc15-100k";
  const fs::path train = data / "yoochoose-clicks-100k_train_full.txt.gz";
  const fs::path test = data / "yoochoose-clicks-100k_test.txt.gz";
  if (!fs::exists(train) || !fs::exists(test)) GTEST_SKIP() << "no " << data;
  ASSERT_OK_AND_ASSIGN(RawLog log, ReadInteractions({train.string(), test.string()}, {}));
  EXPECT_EQ(log.stats.rows, 70278 + 13568);
  EXPECT_EQ(log.stats.malformed, 0);
  EXPECT_EQ(log.stats.gzip_files, 2);
  EXPECT_EQ(log.users.size(), 21210);  // Sessions.
  EXPECT_EQ(log.items.size(), 2933);
}

}  // namespace
}  // namespace hrnn
