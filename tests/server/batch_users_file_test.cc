// The users file of hrnn-batch (server/batch_users_file.h): plain lists, CSVs with per-user
// filter parameter values, and every refusal with its line (and column).
#include "server/batch_users_file.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace hrnn {
namespace {

using ::hrnn::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::vector<std::string> Ids(const UsersFile& file) {
  std::vector<std::string> ids;
  for (const BatchUser& user : file.users) ids.push_back(user.user_id);
  return ids;
}

TEST(BatchUsersFileTest, APlainListIsOneIdALineAsWritten) {
  ASSERT_OK_AND_ASSIGN(UsersFile file,
                       ParseUsersFile("\xEF\xBB\xBFu1\r\n\n u 2 \nété\n", "users.txt"));
  EXPECT_FALSE(file.csv);
  EXPECT_THAT(file.parameters, IsEmpty());
  EXPECT_THAT(Ids(file), ElementsAre("u1", " u 2 ", "été"));
  EXPECT_EQ(file.users[0].line, 1);
  EXPECT_EQ(file.users[1].line, 3);
  EXPECT_EQ(file.users[2].line, 4);
  EXPECT_THAT(file.users[0].values, IsEmpty());
}

TEST(BatchUsersFileTest, ACsvGivesEachUserTheirParameterValues) {
  ASSERT_OK_AND_ASSIGN(UsersFile file, ParseUsersFile("User_ID,COLORS,$MAX\n"
                                                      "u1, red | navy blue ,10\n"
                                                      "\"u,2\",,20\n"
                                                      "\"u\"\"3\",green,\n",
                                                      "users.csv"));
  EXPECT_TRUE(file.csv);
  EXPECT_THAT(file.parameters, ElementsAre("COLORS", "MAX"));
  EXPECT_THAT(Ids(file), ElementsAre("u1", "u,2", "u\"3"));
  EXPECT_THAT(file.users[0].values[0], ElementsAre("red", "navy blue"));
  EXPECT_THAT(file.users[0].values[1], ElementsAre("10"));
  EXPECT_THAT(file.users[1].values[0], IsEmpty());  // Empty cell: no value of its own.
  EXPECT_THAT(file.users[1].values[1], ElementsAre("20"));
  EXPECT_THAT(file.users[2].values[1], IsEmpty());
  EXPECT_EQ(file.users[2].line, 4);
  // A header alone with user_id: a CSV without parameters.
  ASSERT_OK_AND_ASSIGN(UsersFile ids_only, ParseUsersFile("user_id\nu9\n", "ids.csv"));
  EXPECT_TRUE(ids_only.csv);
  EXPECT_THAT(Ids(ids_only), ElementsAre("u9"));
}

TEST(BatchUsersFileTest, MalformedFilesAreRefusedNamingTheLine) {
  struct Case {
    std::string content;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"u1\nu2\nu1\n", "f:3: user \"u1\" is listed again (first on line 1)"},
      {"u1\nu,2\n", "f:2: a user id with \",\""},
      {"u1\nu\x01\n", "f:2: the user id holds the control character 0x01"},
      {"u1\n\xC3\x28\n", "f:2: the user id is not valid UTF-8"},
      {"", "f: no users"},
      {"user_id,C\n", "f: no users"},
      {"user_id,C\nu1,red\nu2\n", "f:3:1: 1 fields, the header has 2"},
      {"user_id,C\nu1,red,blue\n", "f:2:1: 3 fields, the header has 2"},
      {"user_id,C\nu1,\"red\n", "f:2:4: unterminated quoted field"},
      {"user_id,C\nu1,red||blue\n", "f:2:4: an empty value in the column C"},
      {"user_id,C\n,red\n", "f:2:1: an empty user id"},
      {"user_id,C,C\nu1,a,b\n", "f:1:11: the column C is named twice"},
      {"user_id,1C\nu1,a\n", "f:1:9: \"1C\" is not a parameter name"},
      {"user_id,C\nu1,a\nu1,b\n", "f:3: user \"u1\" is listed again (first on line 2)"},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(ParseUsersFile(c.content, "f").status(),
                StatusIs(absl::StatusCode::kInvalidArgument, c.message))
        << c.content;
  }
  std::string many = "user_id,C\nu1,";
  for (int i = 0; i <= kMaxUsersFileValues; ++i) absl::StrAppend(&many, i == 0 ? "" : "|", i);
  EXPECT_THAT(ParseUsersFile(many, "f").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, "more than 500 values"));
}

TEST(BatchUsersFileTest, ReadingAMissingFileIsNotFound) {
  const auto dir = testing::FreshTestDir();
  EXPECT_THAT(ReadUsersFile((dir / "none.txt").string()).status(),
              StatusIs(absl::StatusCode::kNotFound, "none.txt"));
  EXPECT_THAT(ReadUsersFile(dir.string()).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, "not a regular file"));
}

}  // namespace
}  // namespace hrnn
