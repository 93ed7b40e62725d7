#include "core/catalogue/filter_expression.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace hrnn {
namespace {

using ::hrnn::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

using Kind = FilterOperand::Kind;
using NodeKind = FilterNode::Kind;

constexpr absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;
constexpr char kWhere[] = "EXCLUDE ItemID WHERE ";

// Renders the boolean tree as "AND(c0, OR(c1, c2))" for compact structure checks.
std::string Shape(const FilterExpression& e, int node) {
  const FilterNode& n = e.nodes[node];
  if (n.kind == NodeKind::kCondition) return absl::StrCat("c", n.condition);
  std::string out = n.kind == NodeKind::kAnd ? "AND(" : "OR(";
  for (size_t i = 0; i < n.children.size(); ++i) {
    absl::StrAppend(&out, i == 0 ? "" : ", ", Shape(e, n.children[i]));
  }
  return out + ")";
}
std::string Shape(const FilterExpression& e) { return Shape(e, e.root); }

std::string Conditions(int n, absl::string_view joiner) {
  std::string text = kWhere;
  for (int i = 0; i < n; ++i) {
    absl::StrAppend(&text, i == 0 ? "" : joiner, "Items.A IN (\"x\")");
  }
  return text;
}

TEST(FilterExpressionTest, ParsesExcludeWithAParameterList) {
  ASSERT_OK_AND_ASSIGN(FilterExpression e,
                       ParseFilterExpression("EXCLUDE ItemID WHERE Items.COLOR IN ($COLORS)"));
  EXPECT_FALSE(e.include);
  ASSERT_EQ(e.conditions.size(), 1u);
  const FilterCondition& c = e.conditions[0];
  EXPECT_FALSE(c.interactions);
  EXPECT_EQ(c.field, "COLOR");
  EXPECT_EQ(c.comparison, FilterComparison::kIn);
  ASSERT_EQ(c.operands.size(), 1u);
  EXPECT_EQ(c.operands[0].kind, Kind::kParameter);
  EXPECT_EQ(c.operands[0].text, "COLORS");
  EXPECT_EQ(c.position.line, 1);
  EXPECT_EQ(c.position.column, 22);
  EXPECT_EQ(c.operands[0].position.column, 38);
  EXPECT_EQ(Shape(e), "c0");
}

TEST(FilterExpressionTest, ParsesIncludeWithAComparisonAndAList) {
  ASSERT_OK_AND_ASSIGN(FilterExpression e,
                       ParseFilterExpression("INCLUDE ItemID WHERE Items.PRICE < $MAX AND "
                                             "Items.CATEGORY IN (\"shoes\")"));
  EXPECT_TRUE(e.include);
  ASSERT_EQ(e.conditions.size(), 2u);
  EXPECT_EQ(e.conditions[0].field, "PRICE");
  EXPECT_EQ(e.conditions[0].comparison, FilterComparison::kLess);
  EXPECT_EQ(e.conditions[0].operands[0].kind, Kind::kParameter);
  EXPECT_EQ(e.conditions[0].operands[0].text, "MAX");
  EXPECT_EQ(e.conditions[1].field, "CATEGORY");
  EXPECT_EQ(e.conditions[1].operands[0].kind, Kind::kString);
  EXPECT_EQ(e.conditions[1].operands[0].text, "shoes");
  EXPECT_EQ(Shape(e), "AND(c0, c1)");
}

TEST(FilterExpressionTest, ParsesInteractionsEventType) {
  ASSERT_OK_AND_ASSIGN(FilterExpression e,
                       ParseFilterExpression("EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN "
                                             "(\"purchase\", $TYPES)"));
  ASSERT_EQ(e.conditions.size(), 1u);
  EXPECT_TRUE(e.conditions[0].interactions);
  EXPECT_EQ(e.conditions[0].field, "EVENT_TYPE");
  ASSERT_EQ(e.conditions[0].operands.size(), 2u);
  EXPECT_EQ(e.conditions[0].operands[0].text, "purchase");
  EXPECT_EQ(e.conditions[0].operands[1].kind, Kind::kParameter);
}

TEST(FilterExpressionTest, ParsesInteractionsNotInLeavingItToCompile) {
  ASSERT_OK_AND_ASSIGN(FilterExpression e,
                       ParseFilterExpression("INCLUDE ItemID WHERE Interactions.EVENT_TYPE NOT IN "
                                             "(\"purchase\")"));
  EXPECT_EQ(e.conditions[0].comparison, FilterComparison::kNotIn);
}

TEST(FilterExpressionTest, ParsesACurrentItemOperand) {
  ASSERT_OK_AND_ASSIGN(FilterExpression e,
                       ParseFilterExpression("INCLUDE ItemID WHERE Items.CATEGORY IN "
                                             "(CurrentItem.CATEGORY)"));
  ASSERT_EQ(e.conditions[0].operands.size(), 1u);
  EXPECT_EQ(e.conditions[0].operands[0].kind, Kind::kCurrentItem);
  EXPECT_EQ(e.conditions[0].operands[0].text, "CATEGORY");
}

TEST(FilterExpressionTest, AndBindsTighterThanOr) {
  ASSERT_OK_AND_ASSIGN(FilterExpression e,
                       ParseFilterExpression(absl::StrCat(
                           kWhere, "Items.A IN (\"a\") OR Items.B IN (\"b\") AND Items.C > 1")));
  EXPECT_EQ(Shape(e), "OR(c0, AND(c1, c2))");
  ASSERT_OK_AND_ASSIGN(e, ParseFilterExpression(absl::StrCat(
                              kWhere,
                              "Items.A IN (\"a\") AND Items.B IN (\"b\") OR Items.C > 1 "
                              "AND Items.D < 2 OR Items.E = 3")));
  EXPECT_EQ(Shape(e), "OR(AND(c0, c1), AND(c2, c3), c4)");
}

TEST(FilterExpressionTest, ParenthesesOverridePrecedence) {
  ASSERT_OK_AND_ASSIGN(FilterExpression e,
                       ParseFilterExpression(absl::StrCat(
                           kWhere, "(Items.A IN (\"a\") OR Items.B IN (\"b\")) AND Items.C > 1")));
  EXPECT_EQ(Shape(e), "AND(OR(c0, c1), c2)");
  ASSERT_OK_AND_ASSIGN(e, ParseFilterExpression(absl::StrCat(kWhere, "((Items.A IN (\"a\")))")));
  EXPECT_EQ(Shape(e), "c0");
}

TEST(FilterExpressionTest, ChildrenPrecedeTheirParents) {
  ASSERT_OK_AND_ASSIGN(FilterExpression e, ParseFilterExpression(absl::StrCat(
                                               kWhere,
                                               "(Items.A > 1 OR Items.B > 2) AND (Items.C > 3 OR "
                                               "Items.D > 4 AND Items.E > 5)")));
  EXPECT_EQ(Shape(e), "AND(OR(c0, c1), OR(c2, AND(c3, c4)))");
  for (size_t i = 0; i < e.nodes.size(); ++i) {
    for (int child : e.nodes[i].children) EXPECT_LT(child, static_cast<int>(i));
  }
  EXPECT_EQ(e.root, static_cast<int>(e.nodes.size()) - 1);
}

TEST(FilterExpressionTest, KeywordsAndFieldNamesAreCaseInsensitive) {
  ASSERT_OK_AND_ASSIGN(FilterExpression e,
                       ParseFilterExpression("include itemid where items.color not in "
                                             "(currentitem.Color) oR Interactions.event_type In "
                                             "(\"a\") AnD ITEMS.price >= 1"));
  EXPECT_TRUE(e.include);
  EXPECT_EQ(e.conditions[0].field, "COLOR");
  EXPECT_EQ(e.conditions[0].comparison, FilterComparison::kNotIn);
  EXPECT_EQ(e.conditions[0].operands[0].kind, Kind::kCurrentItem);
  EXPECT_EQ(e.conditions[0].operands[0].text, "COLOR");
  EXPECT_TRUE(e.conditions[1].interactions);
  EXPECT_EQ(e.conditions[1].field, "EVENT_TYPE");
  EXPECT_EQ(e.conditions[2].field, "PRICE");
  EXPECT_EQ(Shape(e), "OR(c0, AND(c1, c2))");
}

TEST(FilterExpressionTest, ParameterNamesKeepTheirSpelling) {
  ASSERT_OK_AND_ASSIGN(FilterExpression e,
                       ParseFilterExpression(absl::StrCat(kWhere, "Items.A IN ($myColors_2)")));
  EXPECT_EQ(e.conditions[0].operands[0].text, "myColors_2");
}

TEST(FilterExpressionTest, ResolvesStringEscapes) {
  ASSERT_OK_AND_ASSIGN(
      FilterExpression e,
      ParseFilterExpression(absl::StrCat(
          kWhere, R"(Items.A IN ("say \"hi\"", "back\\slash", "", "ünï code", "tab	in"))")));
  std::vector<std::string> values;
  for (const FilterOperand& o : e.conditions[0].operands) values.push_back(o.text);
  EXPECT_THAT(values, ElementsAre("say \"hi\"", "back\\slash", "", "ünï code", "tab\tin"));
}

TEST(FilterExpressionTest, ParsesNumbersKeepingTheirSpelling) {
  ASSERT_OK_AND_ASSIGN(
      FilterExpression e,
      ParseFilterExpression(absl::StrCat(kWhere, "Items.P IN (42, -1.5e3, 0.25, 7E+2, 1e-2)")));
  std::vector<double> numbers;
  std::vector<std::string> spellings;
  for (const FilterOperand& o : e.conditions[0].operands) {
    EXPECT_EQ(o.kind, Kind::kNumber);
    numbers.push_back(o.number);
    spellings.push_back(o.text);
  }
  EXPECT_THAT(numbers, ElementsAre(42, -1500, 0.25, 700, 0.01));
  EXPECT_THAT(spellings, ElementsAre("42", "-1.5e3", "0.25", "7E+2", "1e-2"));
}

TEST(FilterExpressionTest, ParsesEveryComparison) {
  const std::vector<std::pair<std::string, FilterComparison>> cases = {
      {"<", FilterComparison::kLess},    {"<=", FilterComparison::kLessEqual},
      {">", FilterComparison::kGreater}, {">=", FilterComparison::kGreaterEqual},
      {"=", FilterComparison::kEqual},
  };
  for (const auto& [op, comparison] : cases) {
    SCOPED_TRACE(op);
    ASSERT_OK_AND_ASSIGN(FilterExpression e,
                         ParseFilterExpression(absl::StrCat(kWhere, "Items.P", op, "3")));
    EXPECT_EQ(e.conditions[0].comparison, comparison);
    EXPECT_EQ(FilterComparisonName(comparison), op);
    EXPECT_EQ(e.conditions[0].operands[0].number, 3);
  }
  EXPECT_EQ(FilterComparisonName(FilterComparison::kIn), "IN");
  EXPECT_EQ(FilterComparisonName(FilterComparison::kNotIn), "NOT IN");
}

TEST(FilterExpressionTest, AcceptsFreeWhitespaceAndNewlines) {
  ASSERT_OK_AND_ASSIGN(FilterExpression e,
                       ParseFilterExpression("  EXCLUDE\tItemID\r\n WHERE(Items.A IN(\"x\",\"y\")"
                                             "OR Items.B<=-2)  \n"));
  EXPECT_EQ(Shape(e), "OR(c0, c1)");
  EXPECT_EQ(e.conditions[1].operands[0].number, -2);
}

TEST(FilterExpressionTest, CountsLinesAndColumnsFromTheFirstPosition) {
  // The first line's columns start at first.column, the next lines' at 1.
  ASSERT_OK_AND_ASSIGN(FilterExpression e,
                       ParseFilterExpression("EXCLUDE ItemID WHERE Items.A IN (\"x\") OR\n"
                                             "    Items.B IN (\"y\",\n  $P)",
                                             TextPosition{3, 10}));
  EXPECT_EQ(e.conditions[0].position.line, 3);
  EXPECT_EQ(e.conditions[0].position.column, 31);
  EXPECT_EQ(e.conditions[1].position.line, 4);
  EXPECT_EQ(e.conditions[1].position.column, 5);
  EXPECT_EQ(e.conditions[1].operands[1].position.line, 5);
  EXPECT_EQ(e.conditions[1].operands[1].position.column, 3);
}

TEST(FilterExpressionTest, NamesTheColumnOfAnUnexpectedToken) {
  EXPECT_THAT(ParseFilterExpression("EXCLUDE ItemID WHERE Items.COLOR ON (\"red\")"),
              StatusIs(kInvalid, "1:34: expected \"IN\" after Items.COLOR, got \"ON\""));
  EXPECT_THAT(ParseFilterExpression("EXCLUDE ItemID WHERE Items.COLOR ( \"red\")"),
              StatusIs(kInvalid,
                       "1:34: expected \"IN\", \"NOT IN\" or a comparison after "
                       "Items.COLOR, got \"(\""));
}

TEST(FilterExpressionTest, PlacesErrorsOnLaterLinesFromColumnOne) {
  EXPECT_THAT(ParseFilterExpression("EXCLUDE ItemID WHERE\n  Items.A IN \"x\"", {7, 12}),
              StatusIs(kInvalid, "8:14: expected \"(\" to open the IN list, got string \"x\""));
  EXPECT_THAT(ParseFilterExpression("EXCLUDE ItemID WHERE Items.A IN x", {7, 12}),
              StatusIs(kInvalid, "7:44: expected \"(\" to open the IN list, got \"x\""));
}

TEST(FilterExpressionTest, RejectsAMissingIncludeOrExclude) {
  EXPECT_THAT(ParseFilterExpression("REMOVE ItemID WHERE Items.A IN (\"x\")"),
              StatusIs(kInvalid, "1:1: expected \"INCLUDE\" or \"EXCLUDE\", got \"REMOVE\""));
  EXPECT_THAT(ParseFilterExpression(""),
              StatusIs(kInvalid, "1:1: expected \"INCLUDE\" or \"EXCLUDE\", got end of text"));
  EXPECT_THAT(ParseFilterExpression("   "), StatusIs(kInvalid, "1:4: expected \"INCLUDE\""));
}

TEST(FilterExpressionTest, RejectsAMissingItemIdOrWhere) {
  EXPECT_THAT(ParseFilterExpression("EXCLUDE Items WHERE Items.A IN (\"x\")"),
              StatusIs(kInvalid, "1:9: expected \"ItemID\", got \"Items\""));
  EXPECT_THAT(ParseFilterExpression("EXCLUDE ItemID Items.A IN (\"x\")"),
              StatusIs(kInvalid, "1:16: expected \"WHERE\", got \"Items.A\""));
  EXPECT_THAT(ParseFilterExpression("EXCLUDE ItemID WHERE"),
              StatusIs(kInvalid, "1:21: expected a condition"));
}

TEST(FilterExpressionTest, RejectsAnUnknownSubject) {
  EXPECT_THAT(ParseFilterExpression(absl::StrCat(kWhere, "Users.AGE IN (\"x\")")),
              StatusIs(kInvalid,
                       "1:22: expected a condition (Items.FIELD, "
                       "Interactions.EVENT_TYPE or \"(\"), got \"Users.AGE\""));
  EXPECT_THAT(ParseFilterExpression(absl::StrCat(kWhere, "COLOR IN (\"x\")")),
              StatusIs(kInvalid, "1:22: expected a condition"));
  EXPECT_THAT(ParseFilterExpression(absl::StrCat(kWhere, "Interactions.ITEM_ID IN (\"x\")")),
              StatusIs(kInvalid, "1:22: Interactions has only EVENT_TYPE"));
}

TEST(FilterExpressionTest, RejectsComparisonsAndNonStringOperandsOnInteractions) {
  EXPECT_THAT(ParseFilterExpression(absl::StrCat(kWhere, "Interactions.EVENT_TYPE = \"x\"")),
              StatusIs(kInvalid, "1:46: Interactions.EVENT_TYPE takes only IN or NOT IN"));
  EXPECT_THAT(ParseFilterExpression(absl::StrCat(kWhere, "Interactions.EVENT_TYPE IN (\"a\", 3)")),
              StatusIs(kInvalid,
                       "1:55: Interactions.EVENT_TYPE takes strings or parameters, "
                       "got number 3"));
  EXPECT_THAT(
      ParseFilterExpression(absl::StrCat(kWhere, "Interactions.EVENT_TYPE IN (CurrentItem.X)")),
      StatusIs(kInvalid, "1:50: Interactions.EVENT_TYPE takes strings or parameters"));
}

TEST(FilterExpressionTest, RejectsMalformedInLists) {
  EXPECT_THAT(ParseFilterExpression(absl::StrCat(kWhere, "Items.A IN ()")),
              StatusIs(kInvalid,
                       "1:34: expected a value (a \"string\", a number, $PARAMETER or "
                       "CurrentItem.FIELD), got \")\""));
  EXPECT_THAT(ParseFilterExpression(absl::StrCat(kWhere, "Items.A IN (\"a\" \"b\")")),
              StatusIs(kInvalid, "1:38: expected \",\" or \")\" in the IN list, got string \"b\""));
  EXPECT_THAT(ParseFilterExpression(absl::StrCat(kWhere, "Items.A IN (\"a\",)")),
              StatusIs(kInvalid, "1:38: expected a value"));
  EXPECT_THAT(ParseFilterExpression(absl::StrCat(kWhere, "Items.A IN (\"a\"")),
              StatusIs(kInvalid, "1:37: expected \",\" or \")\" in the IN list, got end of text"));
  EXPECT_THAT(ParseFilterExpression(absl::StrCat(kWhere, "Items.A IN (red)")),
              StatusIs(kInvalid,
                       "1:34: expected a value (a \"string\", a number, $PARAMETER or "
                       "CurrentItem.FIELD), got \"red\""));
  EXPECT_THAT(ParseFilterExpression(absl::StrCat(kWhere, "Items.A NOT (\"a\")")),
              StatusIs(kInvalid, "1:34: expected \"IN\" after \"NOT\", got \"(\""));
  EXPECT_THAT(ParseFilterExpression(absl::StrCat(kWhere, "Items.A <")),
              StatusIs(kInvalid, "1:31: expected a value"));
}

TEST(FilterExpressionTest, RejectsUnbalancedParentheses) {
  EXPECT_THAT(ParseFilterExpression(absl::StrCat(kWhere, "(Items.A > 1 OR Items.B > 2")),
              StatusIs(kInvalid, "1:49: expected \")\" or a boolean operator, got end of text"));
  EXPECT_THAT(ParseFilterExpression(absl::StrCat(kWhere, "Items.A > 1)")),
              StatusIs(kInvalid, "1:33: unexpected \")\" after the expression"));
}

TEST(FilterExpressionTest, RejectsTrailingText) {
  EXPECT_THAT(ParseFilterExpression(absl::StrCat(kWhere, "Items.A > 1 Items.B > 2")),
              StatusIs(kInvalid, "1:34: unexpected \"Items.B\" after the expression"));
  EXPECT_THAT(ParseFilterExpression(absl::StrCat(kWhere, "Items.A > 1 AND")),
              StatusIs(kInvalid, "1:37: expected a condition"));
}

TEST(FilterExpressionTest, RejectsLexicalErrorsAtTheirPosition) {
  EXPECT_THAT(ParseFilterExpression(absl::StrCat(kWhere, "Items.A IN (\"red)")),
              StatusIs(kInvalid, "1:34: unterminated string"));
  EXPECT_THAT(ParseFilterExpression(absl::StrCat(kWhere, "Items.A IN (\"red\n\")")),
              StatusIs(kInvalid, "1:34: unterminated string"));
  EXPECT_THAT(ParseFilterExpression(absl::StrCat(kWhere, "Items.A IN (\"a\\nb\")")),
              StatusIs(kInvalid, "1:36: unknown escape in string"));
  EXPECT_THAT(ParseFilterExpression(absl::StrCat(kWhere, "Items.A IN (\"a\\")),
              StatusIs(kInvalid, "1:36: unknown escape in string"));
  EXPECT_THAT(ParseFilterExpression(absl::StrCat(kWhere, "Items.A IN (\"a\\\")")),
              StatusIs(kInvalid, "1:34: unterminated string"));
  EXPECT_THAT(ParseFilterExpression(absl::StrCat(kWhere, "Items.A != 3")),
              StatusIs(kInvalid, "1:30: unexpected character \"!\""));
  EXPECT_THAT(ParseFilterExpression(absl::StrCat(kWhere, "Items.A IN ($)")),
              StatusIs(kInvalid, "1:35: expected a parameter name after \"$\""));
  EXPECT_THAT(ParseFilterExpression(absl::StrCat(kWhere, "Items. A IN (\"x\")")),
              StatusIs(kInvalid, "1:28: expected a name after \"Items.\""));
  EXPECT_THAT(ParseFilterExpression(absl::StrCat(kWhere, "Items.A > 1.")),
              StatusIs(kInvalid, "1:34: expected a digit after \".\" in a number"));
  EXPECT_THAT(ParseFilterExpression(absl::StrCat(kWhere, "Items.A > 1e")),
              StatusIs(kInvalid, "1:34: expected a digit in the exponent"));
  EXPECT_THAT(ParseFilterExpression(absl::StrCat(kWhere, "Items.A > 1e999")),
              StatusIs(kInvalid, "1:32: number 1e999 is out of range"));
  EXPECT_THAT(ParseFilterExpression(absl::StrCat(kWhere, "Items.A > .5")),
              StatusIs(kInvalid, "1:32: unexpected character \".\""));
  EXPECT_THAT(ParseFilterExpression(absl::StrCat(kWhere, "Items.A IN (\"x\")\x01")),
              StatusIs(kInvalid, "1:38: unexpected character \"\\x01\""));
}

TEST(FilterExpressionTest, AcceptsUpTo4096Bytes) {
  std::string text = absl::StrCat(kWhere, "Items.A IN (\"x\")");
  text.resize(4096, ' ');
  EXPECT_OK(ParseFilterExpression(text));
  text.push_back(' ');
  EXPECT_THAT(ParseFilterExpression(text, {2, 5}),
              StatusIs(kInvalid, "2:5: filter expression is 4097 bytes, more than 4096"));
}

TEST(FilterExpressionTest, AcceptsUpTo64Conditions) {
  ASSERT_OK_AND_ASSIGN(FilterExpression e, ParseFilterExpression(Conditions(64, " OR ")));
  EXPECT_EQ(e.conditions.size(), 64u);
  EXPECT_EQ(e.nodes[e.root].children.size(), 64u);
  // The 65th starts after the prefix (21), 64 conditions (16 each) and 64 " OR ".
  EXPECT_THAT(ParseFilterExpression(Conditions(65, " OR ")),
              StatusIs(kInvalid, "1:1302: more than 64 conditions in one filter"));
}

TEST(FilterExpressionTest, AcceptsUpTo500OperandsInAList) {
  std::string values;
  for (int i = 0; i < 500; ++i) absl::StrAppend(&values, i == 0 ? "" : ",", i);
  ASSERT_OK_AND_ASSIGN(FilterExpression e,
                       ParseFilterExpression(absl::StrCat(kWhere, "Items.A IN (", values, ")")));
  EXPECT_EQ(e.conditions[0].operands.size(), 500u);
  const std::string prefix = absl::StrCat(kWhere, "Items.A IN (", values, ",");
  EXPECT_THAT(ParseFilterExpression(absl::StrCat(prefix, "500)")),
              StatusIs(kInvalid, absl::StrCat("1:", prefix.size() + 1,
                                              ": more than 500 values in one IN list")));
}

TEST(FilterExpressionTest, AcceptsNestingUpToDepth16) {
  auto nested = [](int depth) {
    return absl::StrCat(kWhere, std::string(depth, '('), "Items.A > 1", std::string(depth, ')'));
  };
  EXPECT_OK(ParseFilterExpression(nested(16)));
  EXPECT_THAT(ParseFilterExpression(nested(17)),
              StatusIs(kInvalid, "1:38: parentheses nested deeper than 16 levels"));
}

}  // namespace
}  // namespace hrnn
