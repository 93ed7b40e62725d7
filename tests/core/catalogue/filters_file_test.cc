#include "core/catalogue/filters_file.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/catalogue/item_attributes.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace hrnn {
namespace {

using ::hrnn::testing::StatusIs;
using ::testing::IsEmpty;

constexpr absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;

std::vector<AttributeField> Fields() {
  return {{"COLOR", AttributeKind::kCategorical}, {"PRICE", AttributeKind::kNumeric}};
}

TEST(FiltersFileTest, ParsesNamedFiltersSkippingCommentsAndEmptyLines) {
  ASSERT_OK_AND_ASSIGN(std::vector<NamedFilter> filters,
                       ParseFiltersFile("# Filters for the shop.\n"
                                        "\n"
                                        "no-colors: EXCLUDE ItemID WHERE Items.COLOR IN ($COLORS)\n"
                                        "   # An indented comment.\n"
                                        "cheap_2:INCLUDE ItemID WHERE Items.PRICE < $MAX   \n"
                                        "  \t \n",
                                        "filters.txt"));
  ASSERT_EQ(filters.size(), 2u);
  EXPECT_EQ(filters[0].name, "no-colors");
  EXPECT_EQ(filters[0].text, "EXCLUDE ItemID WHERE Items.COLOR IN ($COLORS)");
  EXPECT_FALSE(filters[0].expression.include);
  ASSERT_EQ(filters[0].expression.conditions.size(), 1u);
  EXPECT_EQ(filters[0].expression.conditions[0].position.line, 3);
  EXPECT_EQ(filters[0].expression.conditions[0].position.column, 33);
  EXPECT_EQ(filters[1].name, "cheap_2");
  EXPECT_EQ(filters[1].text, "INCLUDE ItemID WHERE Items.PRICE < $MAX");
  EXPECT_TRUE(filters[1].expression.include);
}

TEST(FiltersFileTest, AnEmptyFileHasNoFilters) {
  ASSERT_OK_AND_ASSIGN(std::vector<NamedFilter> filters, ParseFiltersFile("", "f"));
  EXPECT_THAT(filters, IsEmpty());
  ASSERT_OK_AND_ASSIGN(filters, ParseFiltersFile("\n# only a comment\n\n", "f"));
  EXPECT_THAT(filters, IsEmpty());
}

TEST(FiltersFileTest, JoinsContinuationLinesWithOneSpace) {
  ASSERT_OK_AND_ASSIGN(std::vector<NamedFilter> filters,
                       ParseFiltersFile("shoes: INCLUDE ItemID WHERE\n"
                                        "    Items.COLOR IN (\"red\",\n"
                                        "\t\t\"navy\")   \n"
                                        "  AND Items.PRICE < 10\n"
                                        "next:\n"
                                        "  EXCLUDE ItemID WHERE Items.PRICE > 1\n",
                                        "f"));
  ASSERT_EQ(filters.size(), 2u);
  EXPECT_EQ(filters[0].text,
            "INCLUDE ItemID WHERE Items.COLOR IN (\"red\", \"navy\") AND Items.PRICE < 10");
  const FilterExpression& e = filters[0].expression;
  ASSERT_EQ(e.conditions.size(), 2u);
  EXPECT_EQ(e.conditions[0].position.line, 2);
  EXPECT_EQ(e.conditions[0].position.column, 5);
  EXPECT_EQ(e.conditions[0].operands[1].position.line, 3);
  EXPECT_EQ(e.conditions[0].operands[1].position.column, 3);
  EXPECT_EQ(e.conditions[1].position.line, 4);
  EXPECT_EQ(e.conditions[1].position.column, 7);
  EXPECT_EQ(filters[1].name, "next");
  EXPECT_EQ(filters[1].text, "EXCLUDE ItemID WHERE Items.PRICE > 1");
  EXPECT_EQ(filters[1].expression.conditions[0].position.line, 6);
}

TEST(FiltersFileTest, AcceptsCrlfLineEndings) {
  ASSERT_OK_AND_ASSIGN(std::vector<NamedFilter> filters,
                       ParseFiltersFile("a: EXCLUDE ItemID WHERE\r\n  Items.PRICE > 1\r\n"
                                        "\r\nb: EXCLUDE ItemID WHERE Items.PRICE < 1\r\n",
                                        "f"));
  ASSERT_EQ(filters.size(), 2u);
  EXPECT_EQ(filters[0].text, "EXCLUDE ItemID WHERE Items.PRICE > 1");
  EXPECT_EQ(filters[1].text, "EXCLUDE ItemID WHERE Items.PRICE < 1");
}

TEST(FiltersFileTest, ReportsExpressionErrorsAtTheirFilePosition) {
  EXPECT_THAT(ParseFiltersFile("# c\nf: EXCLUDE ItemID WHERE Items.COLOR ON (\"red\")\n", "x.txt"),
              StatusIs(kInvalid, "x.txt:2:37: expected \"IN\" after Items.COLOR, got \"ON\""));
  EXPECT_THAT(ParseFiltersFile("f: EXCLUDE ItemID WHERE\n  Items.PRICE > 1 AND\n"
                               "     Items.COLOR IN (red)\n",
                               "x.txt"),
              StatusIs(kInvalid, "x.txt:3:22: expected a value"));
  EXPECT_THAT(ParseFiltersFile("f: EXCLUDE ItemID WHERE Items.PRICE > 1 AND\n", "x.txt"),
              StatusIs(kInvalid, "x.txt:1:44: expected a condition"));
  EXPECT_THAT(ParseFiltersFile("f:\n", "x.txt"),
              StatusIs(kInvalid,
                       "x.txt:1:3: expected \"INCLUDE\" or \"EXCLUDE\", got end of "
                       "text"));
}

TEST(FiltersFileTest, EndsAFilterAtAnEmptyOrCommentLine) {
  EXPECT_THAT(ParseFiltersFile("f: EXCLUDE ItemID WHERE\n\n  Items.PRICE > 1\n", "x.txt"),
              StatusIs(kInvalid, "x.txt:1:24: expected a condition"));
  EXPECT_THAT(ParseFiltersFile(
                  "f: EXCLUDE ItemID WHERE Items.PRICE > 1\n# c\n  OR Items.PRICE < 0\n", "x.txt"),
              StatusIs(kInvalid,
                       "x.txt:3:1: a line beginning with whitespace continues a "
                       "filter, but no filter line precedes it"));
}

TEST(FiltersFileTest, RefusesAContinuationLineWithoutAFilter) {
  EXPECT_THAT(ParseFiltersFile("  f: EXCLUDE ItemID WHERE Items.PRICE > 1\n", "x.txt"),
              StatusIs(kInvalid, "x.txt:1:1: a line beginning with whitespace"));
}

TEST(FiltersFileTest, RefusesALineWithoutAName) {
  EXPECT_THAT(ParseFiltersFile("EXCLUDE ItemID WHERE Items.PRICE > 1\n", "x.txt"),
              StatusIs(kInvalid, "x.txt:1:1: expected \"NAME: EXPRESSION\""));
  EXPECT_THAT(ParseFiltersFile("a: EXCLUDE ItemID WHERE Items.PRICE > 1\nnocolon\n", "x.txt"),
              StatusIs(kInvalid, "x.txt:2:1: expected \"NAME: EXPRESSION\""));
  EXPECT_THAT(ParseFiltersFile(": EXCLUDE ItemID WHERE Items.PRICE > 1\n", "x.txt"),
              StatusIs(kInvalid, "x.txt:1:1: empty filter name before \":\""));
}

TEST(FiltersFileTest, RefusesABadName) {
  EXPECT_THAT(ParseFiltersFile("my filter: EXCLUDE ItemID WHERE Items.PRICE > 1\n", "x.txt"),
              StatusIs(kInvalid, "x.txt:1:3: unexpected character \" \" in a filter name"));
  EXPECT_THAT(ParseFiltersFile("a.b: EXCLUDE ItemID WHERE Items.PRICE > 1\n", "x.txt"),
              StatusIs(kInvalid, "x.txt:1:2: unexpected character \".\" in a filter name"));
  const std::string longest(64, 'n');
  EXPECT_OK(ParseFiltersFile(absl::StrCat(longest, ": EXCLUDE ItemID WHERE Items.A > 1"), "x"));
  EXPECT_THAT(ParseFiltersFile(absl::StrCat(longest, "n: EXCLUDE ItemID WHERE Items.A > 1"), "x"),
              StatusIs(kInvalid, "x:1:1: filter name is 65 characters, more than 64"));
}

TEST(FiltersFileTest, RefusesADuplicateNameNamingBothLines) {
  EXPECT_THAT(ParseFiltersFile("a: EXCLUDE ItemID WHERE Items.PRICE > 1\n"
                               "b: EXCLUDE ItemID WHERE Items.PRICE > 2\n"
                               "\n"
                               "a: EXCLUDE ItemID WHERE Items.PRICE > 3\n",
                               "x.txt"),
              StatusIs(kInvalid, "x.txt:4:1: duplicate filter name \"a\" (lines 1 and 4)"));
  // Names are case-sensitive.
  EXPECT_OK(
      ParseFiltersFile("a: EXCLUDE ItemID WHERE Items.PRICE > 1\n"
                       "A: EXCLUDE ItemID WHERE Items.PRICE > 2\n",
                       "x.txt"));
}

TEST(FiltersFileTest, AcceptsUpTo1000Filters) {
  std::string content;
  for (int i = 0; i < 1000; ++i) {
    absl::StrAppend(&content, "f", i, ": EXCLUDE ItemID WHERE Items.PRICE > ", i, "\n");
  }
  ASSERT_OK_AND_ASSIGN(std::vector<NamedFilter> filters, ParseFiltersFile(content, "x"));
  EXPECT_EQ(filters.size(), 1000u);
  absl::StrAppend(&content, "# one more\nlast: EXCLUDE ItemID WHERE Items.PRICE > 0\n");
  EXPECT_THAT(ParseFiltersFile(content, "x"),
              StatusIs(kInvalid, "x:1002:1: more than 1000 filters"));
}

TEST(FiltersFileTest, ReadsAFileNamingItInErrors) {
  const std::string path = absl::StrCat(::testing::TempDir(), "/filters_file_test_", getpid());
  {
    std::ofstream out(path);
    out << "a: EXCLUDE ItemID WHERE Items.PRICE > 1\nb: EXCLUDE ItemID WHERE Items.PRICE >\n";
  }
  EXPECT_THAT(ReadFiltersFile(path),
              StatusIs(kInvalid, absl::StrCat(path, ":2:38: expected a value")));
  {
    std::ofstream out(path);
    out << "a: EXCLUDE ItemID WHERE Items.PRICE > 1\n";
  }
  ASSERT_OK_AND_ASSIGN(std::vector<NamedFilter> filters, ReadFiltersFile(path));
  ASSERT_EQ(filters.size(), 1u);
  EXPECT_EQ(filters[0].name, "a");
  std::remove(path.c_str());
  EXPECT_THAT(ReadFiltersFile(path), StatusIs(absl::StatusCode::kNotFound, path));
  EXPECT_THAT(ReadFiltersFile(::testing::TempDir()), StatusIs(kInvalid, "not a regular file"));
}

TEST(FiltersFileTest, CompilesEveryFilterInOrder) {
  ASSERT_OK_AND_ASSIGN(std::vector<NamedFilter> filters,
                       ParseFiltersFile("a: EXCLUDE ItemID WHERE Items.COLOR IN ($C)\n"
                                        "b: INCLUDE ItemID WHERE Items.PRICE < $MAX\n",
                                        "x"));
  ASSERT_OK_AND_ASSIGN(std::vector<ItemFilterProgram> programs, CompileFilters(filters, Fields()));
  ASSERT_EQ(programs.size(), 2u);
  EXPECT_EQ(programs[0].name(), "a");
  EXPECT_FALSE(programs[0].include());
  EXPECT_EQ(programs[1].name(), "b");
  EXPECT_TRUE(programs[1].parameters()[0].numeric);
}

TEST(FiltersFileTest, CompileNamesTheFirstFilterThatFailsAtItsFilePosition) {
  ASSERT_OK_AND_ASSIGN(std::vector<NamedFilter> filters,
                       ParseFiltersFile("a: EXCLUDE ItemID WHERE Items.COLOR IN ($C)\n"
                                        "# sizes\n"
                                        "b: INCLUDE ItemID WHERE Items.PRICE < 3 OR\n"
                                        "     Items.SIZE IN (\"m\")\n"
                                        "c: INCLUDE ItemID WHERE Items.WEIGHT < 3\n",
                                        "x"));
  EXPECT_THAT(CompileFilters(filters, Fields()),
              StatusIs(kInvalid, "filter b: 4:6: unknown field Items.SIZE"));
}

}  // namespace
}  // namespace hrnn
