#include "core/recipes/user_item_history.h"

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace hrnn {
namespace {

using ::hrnn::testing::StatusIs;

UserItemHistory TwoUsers() {
  UserItemHistory history;
  history.set_num_items(10);
  // Ann: 4 items, kept 3: by count, then the later time, then the lower item.
  history.Add("ann", {{7, 1, 50, 0}, {2, 5, 10, 0}, {3, 1, 60, 0}, {9, 1, 60, 0}}, 3);
  history.Add("bob", {{0, 2, 5, 1}}, 3);  // session_count is not kept.
  return history;
}

TEST(UserItemHistoryTest, KeepsEachUsersMostFrequentItems) {
  const UserItemHistory history = TwoUsers();
  EXPECT_EQ(history.num_users(), 2);
  EXPECT_EQ(history.num_entries(), 4);
  const std::vector<ItemInteraction> ann(history.Find("ann").begin(), history.Find("ann").end());
  EXPECT_EQ(ann, (std::vector<ItemInteraction>{{2, 5, 10, 0}, {3, 1, 60, 0}, {9, 1, 60, 0}}));
  ASSERT_EQ(history.Find("bob").size(), 1u);
  EXPECT_EQ(history.Find("bob")[0], (ItemInteraction{0, 2, 5, 0}));
  EXPECT_TRUE(history.Find("carl").empty());
  EXPECT_TRUE(history.Find("").empty());
  EXPECT_EQ(history.id(1), "bob");
}

TEST(UserItemHistoryTest, RoundTripsThroughTheFileFormat) {
  const UserItemHistory history = TwoUsers();
  const std::string bytes = history.Serialize();
  // Header 32 bytes; ann: 4 + 3 + 4, bob: 4 + 3 + 4; 4 entries of 16 bytes.
  EXPECT_EQ(bytes.size(), 32u + 11 + 11 + 4 * 16);
  ASSERT_OK_AND_ASSIGN(UserItemHistory read, UserItemHistory::Parse(bytes, 10));
  EXPECT_EQ(read.num_items(), 10);
  EXPECT_EQ(read.num_users(), 2);
  for (const char* user : {"ann", "bob"}) {
    EXPECT_EQ(std::vector<ItemInteraction>(read.Find(user).begin(), read.Find(user).end()),
              std::vector<ItemInteraction>(history.Find(user).begin(), history.Find(user).end()))
        << user;
  }
  ASSERT_OK_AND_ASSIGN(UserItemHistory empty,
                       UserItemHistory::Parse(UserItemHistory().Serialize(), 0));
  EXPECT_EQ(empty.num_users(), 0);
}

// Overwrites the bytes at `offset` with `value`.
template <typename T>
std::string Patched(std::string bytes, size_t offset, T value) {
  std::memcpy(bytes.data() + offset, &value, sizeof(T));
  return bytes;
}

TEST(UserItemHistoryTest, RefusesBadFilesNamingWhatIsWrong) {
  const std::string good = TwoUsers().Serialize();
  const auto parse = [](const std::string& bytes) { return UserItemHistory::Parse(bytes, 10); };
  const auto invalid = [](const char* what) {
    return StatusIs(absl::StatusCode::kInvalidArgument, what);
  };
  EXPECT_THAT(parse("HRNNSES"), invalid("bad magic"));
  EXPECT_THAT(parse(good.substr(0, 20)), invalid("truncated header"));
  EXPECT_THAT(parse(Patched<uint32_t>(good, 8, 2)), invalid("format version 2"));
  EXPECT_THAT(UserItemHistory::Parse(good, 11), invalid("num_items is 10 but the model has 11"));
  EXPECT_THAT(parse(Patched<uint64_t>(good, 16, uint64_t{1} << 40)), invalid("too many users"));
  EXPECT_THAT(parse(Patched<uint64_t>(good, 16, 1000)), invalid("need more than"));
  EXPECT_THAT(parse(Patched<uint64_t>(good, 24, 3)),
              invalid("user 1: entry counts add up to more than 3"));
  EXPECT_THAT(parse(Patched<uint32_t>(good, 32, 0)), invalid("user 0: id length 0"));
  EXPECT_THAT(parse(Patched<uint32_t>(good, 39, 0)), invalid("\"ann\") has no entries"));
  std::string twice = good;
  twice.replace(47, 3, "ann");  // Bob's id (after ann's 11 bytes and bob's length).
  EXPECT_THAT(parse(twice), invalid("user 1: id \"ann\" is repeated"));
  EXPECT_THAT(parse(good + "x"), invalid("entries take 65 bytes"));
  const size_t entries = 32 + 22;
  EXPECT_THAT(parse(Patched<int32_t>(good, entries, 10)),
              invalid("user \"ann\" entry 0: item 10 is outside [0, 10)"));
  EXPECT_THAT(parse(Patched<int32_t>(good, entries + 16, 2)), invalid("item 2 is repeated"));
  EXPECT_THAT(parse(Patched<uint32_t>(good, entries + 4, 0)), invalid("count 0"));
  EXPECT_OK(parse(good));
}

}  // namespace
}  // namespace hrnn
