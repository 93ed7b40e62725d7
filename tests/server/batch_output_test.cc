// hrnn-batch's output (server/batch_output.h): the JSON Lines and CSV line formats and their
// parser, and the file: written as OUT.partial, renamed at Commit, resumed after a torn line.
#include "server/batch_output.h"

#include <filesystem>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/state_files.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace hrnn {
namespace {

namespace fs = std::filesystem;
using ::hrnn::testing::StatusIs;
using ::testing::UnorderedElementsAre;

BatchResult Result(const std::string& user, int64_t version = 3) {
  BatchResult result;
  result.user_id = user;
  result.items = {{"i7", 0.25f}, {"i,9", -1.5e-7f}};
  result.recipe = "hrnn";
  result.model_version = version;
  return result;
}

std::string Line(BatchOutputFormat format, const BatchResult& result) {
  std::string line;
  AppendBatchLine(format, result, &line);
  return line;
}

TEST(BatchOutputTest, TheFormatComesFromTheExtension) {
  EXPECT_EQ(*BatchOutputFormatFor("a/b.jsonl"), BatchOutputFormat::kJsonLines);
  EXPECT_EQ(*BatchOutputFormatFor("b.json"), BatchOutputFormat::kJsonLines);
  EXPECT_EQ(*BatchOutputFormatFor("b.csv"), BatchOutputFormat::kCsv);
  EXPECT_THAT(BatchOutputFormatFor("b.txt").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, "--out: \"b.txt\""));
}

TEST(BatchOutputTest, JsonLinesAreJsonWithEveryFieldAndShortestScores) {
  BatchResult result = Result("u\"1\n\x01\xff");
  result.reason = kNoHistoryReason;
  const std::string line = Line(BatchOutputFormat::kJsonLines, result);
  EXPECT_EQ(
      line,
      "{\"user_id\":\"u\\\"1\\n\\u0001\xEF\xBF\xBD\",\"items\":[{\"item_id\":\"i7\",\"score\":"
      "0.25},{\"item_id\":\"i,9\",\"score\":-1.5e-07}],\"recipe\":\"hrnn\",\"model_"
      "version\":3,\"reason\":\"no_history\"}\n");
  const nlohmann::json json = nlohmann::json::parse(line);
  EXPECT_EQ(json["items"][1]["score"].get<float>(), -1.5e-7f);  // Reads back exactly.
  ASSERT_OK_AND_ASSIGN(BatchLineKey key, ParseBatchLine(BatchOutputFormat::kJsonLines,
                                                        line.substr(0, line.size() - 1)));
  EXPECT_EQ(key.user_id, "u\"1\n\x01\xEF\xBF\xBD");
  EXPECT_EQ(key.model_version, 3);
  EXPECT_FALSE(ParseBatchLine(BatchOutputFormat::kJsonLines, "{\"user_id\":\"u1\"").ok());
  EXPECT_FALSE(ParseBatchLine(BatchOutputFormat::kJsonLines, "{\"user_id\":\"u1\"}").ok());
}

TEST(BatchOutputTest, CsvRowsQuoteWhatTheyMust) {
  BatchResult result = Result("u,1");
  result.reason = "failed: bad \"x\"";
  const std::string line = Line(BatchOutputFormat::kCsv, result);
  EXPECT_EQ(line, "\"u,1\",\"i7|i,9\",0.25|-1.5e-07,hrnn,3,\"failed: bad \"\"x\"\"\"\n");
  ASSERT_OK_AND_ASSIGN(BatchLineKey key,
                       ParseBatchLine(BatchOutputFormat::kCsv, line.substr(0, line.size() - 1)));
  EXPECT_EQ(key.user_id, "u,1");
  EXPECT_EQ(key.model_version, 3);
  EXPECT_EQ(BatchCsvHeader(), "user_id,item_ids,scores,recipe,model_version,reason\n");
  EXPECT_FALSE(ParseBatchLine(BatchOutputFormat::kCsv,
                              "user_id,item_ids,scores,recipe,"
                              "model_version,reason")
                   .ok());
  EXPECT_FALSE(ParseBatchLine(BatchOutputFormat::kCsv, "u1,a,1,hrnn,x,").ok());
}

TEST(BatchOutputTest, OutAppearsOnlyAtCommit) {
  const fs::path dir = testing::FreshTestDir();
  const std::string out = (dir / "out.csv").string();
  ASSERT_OK_AND_ASSIGN(
      auto file, BatchOutputFile::Open(out, BatchOutputFormat::kCsv, false, std::nullopt, nullptr));
  ASSERT_OK(file->Append(Line(BatchOutputFormat::kCsv, Result("u1"))));
  EXPECT_FALSE(fs::exists(out));
  EXPECT_TRUE(fs::exists(out + ".partial"));
  ASSERT_OK(file->Commit());
  EXPECT_FALSE(fs::exists(out + ".partial"));
  EXPECT_EQ(testing::ReadBytes(out),
            std::string(BatchCsvHeader()) + Line(BatchOutputFormat::kCsv, Result("u1")));
}

TEST(BatchOutputTest, ResumeKeepsCompleteLinesAndCutsATornOne) {
  const fs::path dir = testing::FreshTestDir();
  const std::string out = (dir / "out.jsonl").string();
  const BatchOutputFormat format = BatchOutputFormat::kJsonLines;
  const std::string kept = Line(format, Result("u1")) + Line(format, Result("u2"));
  const std::string torn = Line(format, Result("u3")).substr(0, 20);
  testing::WriteBytes(out + ".partial", kept + torn);
  ResumedOutput resumed;
  ASSERT_OK_AND_ASSIGN(auto file, BatchOutputFile::Open(out, format, true, 3, &resumed));
  EXPECT_THAT(resumed.users, UnorderedElementsAre("u1", "u2"));
  EXPECT_EQ(resumed.lines, 2);
  EXPECT_EQ(resumed.cut_bytes, 20);
  ASSERT_OK(file->Append(Line(format, Result("u3"))));
  ASSERT_OK(file->Commit());
  EXPECT_EQ(testing::ReadBytes(out), kept + Line(format, Result("u3")));

  // Without a partial file, --resume starts afresh.
  ResumedOutput none;
  ASSERT_OK_AND_ASSIGN(auto fresh, BatchOutputFile::Open(out, format, true, 3, &none));
  EXPECT_EQ(none.lines, 0);
  // Without --resume, a partial file is replaced.
  testing::WriteBytes(out + ".partial", kept);
  ASSERT_OK_AND_ASSIGN(auto replaced,
                       BatchOutputFile::Open(out, format, false, std::nullopt, nullptr));
  EXPECT_EQ(testing::ReadBytes(out + ".partial"), "");
}

TEST(BatchOutputTest, ResumeRefusesAFileThatDoesNotFit) {
  const fs::path dir = testing::FreshTestDir();
  const std::string out = (dir / "out.jsonl").string();
  const BatchOutputFormat format = BatchOutputFormat::kJsonLines;
  ResumedOutput resumed;
  testing::WriteBytes(out + ".partial", Line(format, Result("u1")) + "garbage\n");
  EXPECT_THAT(BatchOutputFile::Open(out, format, true, 3, &resumed).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, out + ".partial:2: not a JSON object"));
  testing::WriteBytes(out + ".partial", Line(format, Result("u1", 2)));
  EXPECT_THAT(
      BatchOutputFile::Open(out, format, true, 3, &resumed).status(),
      StatusIs(absl::StatusCode::kInvalidArgument,
               out + ".partial:1: written with model version 2, this run serves version 3"));
  const std::string csv = (dir / "out.csv").string();
  testing::WriteBytes(csv + ".partial", Line(BatchOutputFormat::kCsv, Result("u1")));
  EXPECT_THAT(BatchOutputFile::Open(csv, BatchOutputFormat::kCsv, true, 3, &resumed).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, csv + ".partial:1: not the CSV header"));
  // A CSV torn inside its header starts again with the header.
  testing::WriteBytes(csv + ".partial", "user_id,ite");
  ResumedOutput torn;
  ASSERT_OK_AND_ASSIGN(auto file,
                       BatchOutputFile::Open(csv, BatchOutputFormat::kCsv, true, 3, &torn));
  ASSERT_OK(file->Commit());
  EXPECT_EQ(testing::ReadBytes(csv), BatchCsvHeader());
}

}  // namespace
}  // namespace hrnn
