#include "core/model/items_tsv.h"

#include <string>
#include <vector>

#include "core/model/item_vocabulary.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace hrnn {
namespace {

using ::hrnn::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::Optional;

constexpr char kHeader[] = "index\titem_id\tpopularity\n";

TEST(ItemVocabularyTest, CreateMapsIdsToIndices) {
  ASSERT_OK_AND_ASSIGN(ItemVocabulary v,
                       ItemVocabulary::Create({"apple", "pear", "fig"}, {10, 0, 3}));
  EXPECT_EQ(v.size(), 3);
  EXPECT_EQ(v.id(1), "pear");
  EXPECT_EQ(v.popularity(0), 10);
  EXPECT_THAT(v.popularities(), ElementsAre(10, 0, 3));
  EXPECT_THAT(v.Find("fig"), Optional(2));
  EXPECT_EQ(v.Find("plum"), std::nullopt);
  EXPECT_EQ(v.Find(""), std::nullopt);
}

TEST(ItemVocabularyTest, DefaultIsEmpty) {
  ItemVocabulary v;
  EXPECT_EQ(v.size(), 0);
  EXPECT_EQ(v.Find("x"), std::nullopt);
}

TEST(ItemVocabularyTest, RejectsSizeMismatch) {
  EXPECT_THAT(ItemVocabulary::Create({"a", "b"}, {1}),
              StatusIs(absl::StatusCode::kInvalidArgument, "2 ids but 1 popularity"));
}

TEST(ItemVocabularyTest, RejectsEmptyId) {
  EXPECT_THAT(ItemVocabulary::Create({"a", ""}, {1, 2}),
              StatusIs(absl::StatusCode::kInvalidArgument, "empty item id at index 1"));
}

TEST(ItemVocabularyTest, RejectsIdWithTab) {
  EXPECT_THAT(ItemVocabulary::Create({"a\tb"}, {1}),
              StatusIs(absl::StatusCode::kInvalidArgument, "\"a\\tb\" at index 0 contains a tab"));
}

TEST(ItemVocabularyTest, RejectsIdWithNewline) {
  EXPECT_THAT(ItemVocabulary::Create({"ok", "a\nb"}, {1, 1}),
              StatusIs(absl::StatusCode::kInvalidArgument, "at index 1 contains a tab, newline"));
}

TEST(ItemVocabularyTest, RejectsDuplicateIdNamingBothIndices) {
  EXPECT_THAT(
      ItemVocabulary::Create({"a", "b", "c", "b"}, {1, 2, 3, 4}),
      StatusIs(absl::StatusCode::kInvalidArgument, "duplicate item id \"b\" at indices 1 and 3"));
}

TEST(ItemsTsvTest, SerializesInIndexOrder) {
  ASSERT_OK_AND_ASSIGN(ItemVocabulary v, ItemVocabulary::Create({"x", "y z"}, {5, 0}));
  EXPECT_EQ(SerializeItemsTsv(v), std::string(kHeader) + "0\tx\t5\n1\ty z\t0\n");
}

TEST(ItemsTsvTest, RoundTrips) {
  ASSERT_OK_AND_ASSIGN(
      ItemVocabulary v,
      ItemVocabulary::Create({"sku-1", "ünïcode", "with space", "9"}, {1000000000000, 7, 0, 1}));
  ASSERT_OK_AND_ASSIGN(ItemVocabulary parsed, ParseItemsTsv(SerializeItemsTsv(v)));
  ASSERT_EQ(parsed.size(), v.size());
  for (int64_t i = 0; i < v.size(); ++i) {
    EXPECT_EQ(parsed.id(i), v.id(i));
    EXPECT_EQ(parsed.popularity(i), v.popularity(i));
  }
  EXPECT_THAT(parsed.Find("ünïcode"), Optional(1));
}

TEST(ItemsTsvTest, RoundTripsEmptyVocabulary) {
  ASSERT_OK_AND_ASSIGN(ItemVocabulary parsed, ParseItemsTsv(SerializeItemsTsv(ItemVocabulary())));
  EXPECT_EQ(parsed.size(), 0);
}

TEST(ItemsTsvTest, AcceptsMissingFinalNewline) {
  ASSERT_OK_AND_ASSIGN(ItemVocabulary v, ParseItemsTsv(std::string(kHeader) + "0\ta\t1"));
  EXPECT_EQ(v.size(), 1);
  EXPECT_EQ(v.popularity(0), 1);
}

TEST(ItemsTsvTest, AcceptsBlankTrailingLines) {
  ASSERT_OK_AND_ASSIGN(ItemVocabulary v, ParseItemsTsv(std::string(kHeader) + "0\ta\t1\n\n\n"));
  EXPECT_EQ(v.size(), 1);
}

TEST(ItemsTsvTest, RejectsEmptyFile) {
  EXPECT_THAT(ParseItemsTsv(""),
              StatusIs(absl::StatusCode::kInvalidArgument, "items.tsv line 1: missing header"));
}

TEST(ItemsTsvTest, RejectsWrongHeader) {
  EXPECT_THAT(ParseItemsTsv("idx\titem\tpop\n0\ta\t1\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "items.tsv line 1: header is \"idx\\titem\\tpop\""));
}

TEST(ItemsTsvTest, RejectsCrlf) {
  EXPECT_THAT(ParseItemsTsv("index\titem_id\tpopularity\r\n0\ta\t1\r\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, "line 1: carriage return"));
  EXPECT_THAT(ParseItemsTsv(std::string(kHeader) + "0\ta\t1\n1\tb\t2\r\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, "line 3: carriage return"));
}

TEST(ItemsTsvTest, RejectsTooFewFields) {
  EXPECT_THAT(ParseItemsTsv(std::string(kHeader) + "0\ta\t1\n1\tb\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "line 3: expected 3 tab-separated fields, got 2"));
}

TEST(ItemsTsvTest, RejectsTooManyFields) {
  EXPECT_THAT(ParseItemsTsv(std::string(kHeader) + "0\ta\t1\textra\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "line 2: expected 3 tab-separated fields, got 4"));
}

TEST(ItemsTsvTest, RejectsIndexOutOfPosition) {
  EXPECT_THAT(ParseItemsTsv(std::string(kHeader) + "0\ta\t1\n2\tb\t1\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, "line 3: index is \"2\", expected 1"));
}

TEST(ItemsTsvTest, RejectsNonNumericIndex) {
  EXPECT_THAT(ParseItemsTsv(std::string(kHeader) + "+0\ta\t1\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, "line 2: index is \"+0\", expected 0"));
}

TEST(ItemsTsvTest, RejectsNonIntegerPopularity) {
  EXPECT_THAT(ParseItemsTsv(std::string(kHeader) + "0\ta\t1.5\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "line 2: popularity \"1.5\" is not a non-negative integer"));
}

TEST(ItemsTsvTest, RejectsNegativePopularity) {
  EXPECT_THAT(ParseItemsTsv(std::string(kHeader) + "0\ta\t-3\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, "line 2: popularity \"-3\""));
}

TEST(ItemsTsvTest, RejectsOverflowingPopularity) {
  EXPECT_THAT(ParseItemsTsv(std::string(kHeader) + "0\ta\t99999999999999999999\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, "line 2: popularity"));
}

TEST(ItemsTsvTest, RejectsEmptyId) {
  EXPECT_THAT(ParseItemsTsv(std::string(kHeader) + "0\t\t1\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, "line 2: empty item id"));
}

TEST(ItemsTsvTest, RejectsDuplicateIdNamingBothIndices) {
  EXPECT_THAT(ParseItemsTsv(std::string(kHeader) + "0\ta\t1\n1\tb\t1\n2\ta\t1\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "line 4: duplicate item id \"a\" at indices 0 and 2"));
}

TEST(ItemsTsvTest, RejectsEmptyLineInTheMiddle) {
  EXPECT_THAT(ParseItemsTsv(std::string(kHeader) + "0\ta\t1\n\n1\tb\t1\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, "line 3: empty line"));
}

}  // namespace
}  // namespace hrnn
