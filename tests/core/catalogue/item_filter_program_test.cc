#include "core/catalogue/item_filter_program.h"

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/catalogue/filter_expression.h"
#include "core/catalogue/item_attributes.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace hrnn {
namespace {

using ::hrnn::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;

// Matches an OK StatusOr whose value matches `inner`.
MATCHER_P(IsOkAndHolds, inner, "") {
  if (!arg.ok()) {
    *result_listener << "status is " << arg.status();
    return false;
  }
  return ::testing::ExplainMatchResult(inner, *arg, result_listener);
}

// One row of a test table, kept beside the ItemAttributes so that the reference evaluator
// below needs nothing of the code under test.
struct TestRow {
  std::vector<std::string> colors;  // COLOR (categorical, multi-valued); empty: missing.
  std::string category;             // CATEGORY (categorical); empty: missing.
  std::optional<double> price;      // PRICE (numeric).
  std::optional<double> rating;     // RATING (numeric).
};

std::vector<AttributeField> TestFields() {
  return {{"COLOR", AttributeKind::kCategorical},
          {"CATEGORY", AttributeKind::kCategorical},
          {"PRICE", AttributeKind::kNumeric},
          {"RATING", AttributeKind::kNumeric}};
}

ItemAttributes BuildTable(const std::vector<TestRow>& rows) {
  absl::StatusOr<ItemAttributes::Builder> builder = ItemAttributes::Builder::Create(TestFields());
  EXPECT_TRUE(builder.ok()) << builder.status();
  for (size_t i = 0; i < rows.size(); ++i) {
    std::vector<ItemAttributes::Builder::Cell> cells(4);
    cells[0].values = rows[i].colors;
    if (!rows[i].category.empty()) cells[1].values = {rows[i].category};
    cells[2].number = rows[i].price;
    cells[3].number = rows[i].rating;
    const absl::Status status = builder->AddRow(absl::StrCat("item", i), std::move(cells));
    EXPECT_TRUE(status.ok()) << status;
  }
  return std::move(*builder).Build();
}

// The rows whose bit is set; also checks the size and that no bit beyond num_rows is set.
std::vector<int64_t> SetRows(const std::vector<uint64_t>& words, int64_t num_rows) {
  EXPECT_EQ(words.size(), static_cast<size_t>((num_rows + 63) / 64));
  std::vector<int64_t> rows;
  for (size_t w = 0; w < words.size(); ++w) {
    for (int b = 0; b < 64; ++b) {
      if ((words[w] >> b & 1) == 0) continue;
      const int64_t row = static_cast<int64_t>(w) * 64 + b;
      EXPECT_LT(row, num_rows) << "a tail bit is set";
      rows.push_back(row);
    }
  }
  return rows;
}

// Interactions as a map from event type to rows; also counts the calls.
struct FakeInteractions {
  std::map<std::string, std::vector<int64_t>> rows;
  int calls = 0;
  std::function<void(absl::string_view, std::vector<int64_t>*)> Function() {
    return [this](absl::string_view type, std::vector<int64_t>* out) {
      ++calls;
      const auto it = rows.find(std::string(type));
      if (it != rows.end()) out->insert(out->end(), it->second.begin(), it->second.end());
    };
  }
};

//  row  COLOR     CATEGORY  PRICE  RATING
//  0    red       shoes     10     4
//  1    navy,red  shirts    25     -
//  2    -         shoes     -      5
//  3    green     -         5      3
//  4    navy      hats      99     4
class ItemFilterProgramTest : public ::testing::Test {
 protected:
  ItemFilterProgramTest()
      : table_(BuildTable({{{"red"}, "shoes", 10, 4},
                           {{"navy", "red"}, "shirts", 25, std::nullopt},
                           {{}, "shoes", std::nullopt, 5},
                           {{"green"}, "", 5, 3},
                           {{"navy"}, "hats", 99, 4}})) {}

  absl::StatusOr<ItemFilterProgram> Compile(absl::string_view text) const {
    absl::StatusOr<FilterExpression> expression = ParseFilterExpression(text);
    if (!expression.ok()) return expression.status();
    return ItemFilterProgram::Compile("f", *expression, table_.fields());
  }

  // The excluded rows of the filter `text`, or the first error.
  absl::StatusOr<std::vector<int64_t>> Excluded(absl::string_view text,
                                                const FilterParameterValues& values = {},
                                                const FilterContext& context = {}) const {
    absl::StatusOr<ItemFilterProgram> program = Compile(text);
    if (!program.ok()) return program.status();
    std::vector<uint64_t> excluded;
    absl::Status status = program->Evaluate(table_, values, context, &excluded);
    if (!status.ok()) return status;
    return SetRows(excluded, table_.num_rows());
  }

  static FilterContext Current(int64_t row) {
    FilterContext context;
    context.current_item = row;
    return context;
  }

  ItemAttributes table_;
};

TEST_F(ItemFilterProgramTest, ExcludesItemsHoldingAParameterValue) {
  EXPECT_THAT(Excluded("EXCLUDE ItemID WHERE Items.COLOR IN ($COLORS)", {{"COLORS", {"red"}}}),
              IsOkAndHolds(ElementsAre(0, 1)));
  EXPECT_THAT(Excluded("EXCLUDE ItemID WHERE Items.COLOR IN ($COLORS)",
                       {{"COLORS", {"green", "navy", "purple"}}}),
              IsOkAndHolds(ElementsAre(1, 3, 4)));
}

TEST_F(ItemFilterProgramTest, IncludesOnlyItemsUnderAPriceInACategory) {
  EXPECT_THAT(Excluded("INCLUDE ItemID WHERE Items.PRICE < $MAX AND Items.CATEGORY IN "
                       "(\"shoes\")",
                       {{"MAX", {"20"}}}),
              IsOkAndHolds(ElementsAre(1, 2, 3, 4)));
}

TEST_F(ItemFilterProgramTest, ExcludesItemsTheUserPurchased) {
  FakeInteractions interactions;
  interactions.rows["purchase"] = {4, 1, 4};
  interactions.rows["click"] = {0};
  FilterContext context;
  context.interactions = interactions.Function();
  EXPECT_THAT(
      Excluded("EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN (\"purchase\")", {}, context),
      IsOkAndHolds(ElementsAre(1, 4)));
  EXPECT_EQ(interactions.calls, 1);
}

TEST_F(ItemFilterProgramTest, IncludesItemsOfTheCurrentItemsCategory) {
  EXPECT_THAT(
      Excluded("INCLUDE ItemID WHERE Items.CATEGORY IN (CurrentItem.CATEGORY)", {}, Current(2)),
      IsOkAndHolds(ElementsAre(1, 3, 4)));
  // A multi-valued current item matches any of its values.
  EXPECT_THAT(Excluded("EXCLUDE ItemID WHERE Items.COLOR IN (CurrentItem.COLOR)", {}, Current(1)),
              IsOkAndHolds(ElementsAre(0, 1, 4)));
}

TEST_F(ItemFilterProgramTest, CombinesAndBeforeOr) {
  EXPECT_THAT(Excluded("EXCLUDE ItemID WHERE Items.COLOR IN (\"green\") OR Items.PRICE > 50 AND "
                       "Items.RATING >= 4"),
              IsOkAndHolds(ElementsAre(3, 4)));
  EXPECT_THAT(Excluded("EXCLUDE ItemID WHERE (Items.COLOR IN (\"red\") OR Items.PRICE > 50) AND "
                       "Items.RATING >= 4"),
              IsOkAndHolds(ElementsAre(0, 4)));
  EXPECT_THAT(Excluded("EXCLUDE ItemID WHERE Items.COLOR IN (\"red\") AND Items.PRICE > 50 AND "
                       "Items.RATING >= 4"),
              IsOkAndHolds(IsEmpty()));
}

TEST_F(ItemFilterProgramTest, RowsWithAMissingValueMatchNoCondition) {
  EXPECT_THAT(Excluded("EXCLUDE ItemID WHERE Items.COLOR NOT IN (\"green\")"),
              IsOkAndHolds(ElementsAre(0, 1, 4)));
  EXPECT_THAT(Excluded("EXCLUDE ItemID WHERE Items.PRICE < 1000"),
              IsOkAndHolds(ElementsAre(0, 1, 3, 4)));
  EXPECT_THAT(Excluded("EXCLUDE ItemID WHERE Items.PRICE NOT IN (10)"),
              IsOkAndHolds(ElementsAre(1, 3, 4)));
  EXPECT_THAT(Excluded("EXCLUDE ItemID WHERE Items.CATEGORY NOT IN (\"shoes\")"),
              IsOkAndHolds(ElementsAre(1, 4)));
  // INCLUDE keeps only matching rows, so rows missing the value are excluded.
  EXPECT_THAT(Excluded("INCLUDE ItemID WHERE Items.RATING NOT IN (5)"),
              IsOkAndHolds(ElementsAre(1, 2)));
}

TEST_F(ItemFilterProgramTest, UnknownValuesMatchNothing) {
  EXPECT_THAT(Excluded("EXCLUDE ItemID WHERE Items.COLOR IN (\"purple\", \"RED\")"),
              IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(Excluded("EXCLUDE ItemID WHERE Items.COLOR NOT IN (\"purple\")"),
              IsOkAndHolds(ElementsAre(0, 1, 3, 4)));
  EXPECT_THAT(Excluded("EXCLUDE ItemID WHERE Items.COLOR IN ($C)", {{"C", {"", "x"}}}),
              IsOkAndHolds(IsEmpty()));
}

TEST_F(ItemFilterProgramTest, CategoricalEqualsIsInWithOneValue) {
  EXPECT_THAT(Excluded("EXCLUDE ItemID WHERE Items.CATEGORY = \"shoes\""),
              IsOkAndHolds(ElementsAre(0, 2)));
  EXPECT_THAT(Excluded("EXCLUDE ItemID WHERE Items.CATEGORY = $C", {{"C", {"hats", "shirts"}}}),
              IsOkAndHolds(ElementsAre(1, 4)));
}

TEST_F(ItemFilterProgramTest, NumericInTakesNumbersNumericStringsAndParameters) {
  EXPECT_THAT(Excluded("EXCLUDE ItemID WHERE Items.PRICE IN (10, \"99\", $P)", {{"P", {"5"}}}),
              IsOkAndHolds(ElementsAre(0, 3, 4)));
  EXPECT_THAT(Excluded("EXCLUDE ItemID WHERE Items.PRICE IN ($P)", {{"P", {"25", "1e1", "-0"}}}),
              IsOkAndHolds(ElementsAre(0, 1)));
}

TEST_F(ItemFilterProgramTest, ComparesNumbersWithEachOperator) {
  EXPECT_THAT(Excluded("EXCLUDE ItemID WHERE Items.PRICE >= 25"), IsOkAndHolds(ElementsAre(1, 4)));
  EXPECT_THAT(Excluded("EXCLUDE ItemID WHERE Items.PRICE > 25"), IsOkAndHolds(ElementsAre(4)));
  EXPECT_THAT(Excluded("EXCLUDE ItemID WHERE Items.RATING <= 4"),
              IsOkAndHolds(ElementsAre(0, 3, 4)));
  EXPECT_THAT(Excluded("EXCLUDE ItemID WHERE Items.RATING < 4"), IsOkAndHolds(ElementsAre(3)));
  EXPECT_THAT(Excluded("EXCLUDE ItemID WHERE Items.RATING = 4"), IsOkAndHolds(ElementsAre(0, 4)));
  EXPECT_THAT(Excluded("EXCLUDE ItemID WHERE Items.PRICE < $M", {{"M", {"10.5"}}}),
              IsOkAndHolds(ElementsAre(0, 3)));
}

TEST_F(ItemFilterProgramTest, ComparesWithTheCurrentItemsNumbers) {
  EXPECT_THAT(Excluded("EXCLUDE ItemID WHERE Items.PRICE > CurrentItem.PRICE", {}, Current(0)),
              IsOkAndHolds(ElementsAre(1, 4)));
  // Another numeric field of the current item.
  EXPECT_THAT(Excluded("EXCLUDE ItemID WHERE Items.PRICE > CurrentItem.RATING", {}, Current(3)),
              IsOkAndHolds(ElementsAre(0, 1, 3, 4)));
  EXPECT_THAT(Excluded("EXCLUDE ItemID WHERE Items.RATING IN (CurrentItem.RATING)", {}, Current(4)),
              IsOkAndHolds(ElementsAre(0, 4)));
}

TEST_F(ItemFilterProgramTest, ACurrentItemMissingTheValueMatchesNothing) {
  EXPECT_THAT(Excluded("EXCLUDE ItemID WHERE Items.RATING < CurrentItem.RATING", {}, Current(1)),
              IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(Excluded("EXCLUDE ItemID WHERE Items.RATING IN (CurrentItem.RATING)", {}, Current(1)),
              IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(Excluded("EXCLUDE ItemID WHERE Items.COLOR IN (CurrentItem.COLOR)", {}, Current(2)),
              IsOkAndHolds(IsEmpty()));
  // NOT IN an empty list: every row holding a value.
  EXPECT_THAT(
      Excluded("EXCLUDE ItemID WHERE Items.RATING NOT IN (CurrentItem.RATING)", {}, Current(1)),
      IsOkAndHolds(ElementsAre(0, 2, 3, 4)));
}

TEST_F(ItemFilterProgramTest, WithoutInteractionsMatchesNothing) {
  EXPECT_THAT(Excluded("EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN (\"purchase\")"),
              IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(Excluded("INCLUDE ItemID WHERE Interactions.EVENT_TYPE IN (\"purchase\")"),
              IsOkAndHolds(ElementsAre(0, 1, 2, 3, 4)));
}

TEST_F(ItemFilterProgramTest, CallsInteractionsOncePerListedEventType) {
  FakeInteractions interactions;
  interactions.rows["purchase"] = {3};
  interactions.rows["click"] = {0, -1, 5, 100};  // Rows outside the table are ignored.
  FilterContext context;
  context.interactions = interactions.Function();
  EXPECT_THAT(Excluded("EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN (\"purchase\", $T)",
                       {{"T", {"click", "view"}}}, context),
              IsOkAndHolds(ElementsAre(0, 3)));
  EXPECT_EQ(interactions.calls, 3);
}

TEST_F(ItemFilterProgramTest, OverwritesAndResizesExcluded) {
  ASSERT_OK_AND_ASSIGN(ItemFilterProgram program,
                       Compile("EXCLUDE ItemID WHERE Items.COLOR IN (\"none\")"));
  std::vector<uint64_t> excluded(7, ~uint64_t{0});
  ASSERT_OK(program.Evaluate(table_, {}, {}, &excluded));
  EXPECT_THAT(excluded, ElementsAre(uint64_t{0}));
}

TEST_F(ItemFilterProgramTest, LeavesExcludedUnchangedOnError) {
  ASSERT_OK_AND_ASSIGN(ItemFilterProgram program,
                       Compile("EXCLUDE ItemID WHERE Items.COLOR IN ($C)"));
  std::vector<uint64_t> excluded(3, 42);
  EXPECT_THAT(program.Evaluate(table_, {}, {}, &excluded), StatusIs(kInvalid, "missing"));
  EXPECT_THAT(excluded, ElementsAre(uint64_t{42}, uint64_t{42}, uint64_t{42}));
}

TEST(ItemFilterProgramTailTest, IncludeLeavesTheBitsPastTheLastRowClear) {
  for (int n : {1, 63, 64, 65, 70, 128, 130}) {
    SCOPED_TRACE(n);
    const ItemAttributes table = BuildTable(std::vector<TestRow>(n, TestRow{{"red"}}));
    ASSERT_OK_AND_ASSIGN(FilterExpression expression,
                         ParseFilterExpression("INCLUDE ItemID WHERE Items.COLOR IN (\"blue\")"));
    ASSERT_OK_AND_ASSIGN(ItemFilterProgram program,
                         ItemFilterProgram::Compile("f", expression, table.fields()));
    std::vector<uint64_t> excluded;
    ASSERT_OK(program.Evaluate(table, {}, {}, &excluded));
    EXPECT_EQ(SetRows(excluded, n).size(), static_cast<size_t>(n));
    if (n % 64 != 0) {
      EXPECT_EQ(excluded.back(), (uint64_t{1} << (n % 64)) - 1);
    }
  }
}

TEST(ItemFilterProgramTailTest, AnEmptyTableGivesNoWords) {
  const ItemAttributes table = BuildTable({});
  ASSERT_OK_AND_ASSIGN(FilterExpression expression,
                       ParseFilterExpression("INCLUDE ItemID WHERE Items.PRICE < 3"));
  ASSERT_OK_AND_ASSIGN(ItemFilterProgram program,
                       ItemFilterProgram::Compile("f", expression, table.fields()));
  std::vector<uint64_t> excluded(2, 1);
  ASSERT_OK(program.Evaluate(table, {}, {}, &excluded));
  EXPECT_THAT(excluded, IsEmpty());
}

TEST_F(ItemFilterProgramTest, ListsParametersInFirstUseOrder) {
  ASSERT_OK_AND_ASSIGN(ItemFilterProgram program,
                       Compile("INCLUDE ItemID WHERE Items.COLOR IN ($B, \"x\") AND Items.PRICE "
                               "< $A OR Items.CATEGORY IN ($B) OR Interactions.EVENT_TYPE IN "
                               "($t) OR Items.PRICE >= $A"));
  ASSERT_EQ(program.parameters().size(), 3u);
  EXPECT_EQ(program.parameters()[0].name, "B");
  EXPECT_FALSE(program.parameters()[0].numeric);
  EXPECT_EQ(program.parameters()[1].name, "A");
  EXPECT_TRUE(program.parameters()[1].numeric);
  EXPECT_EQ(program.parameters()[2].name, "t");
  EXPECT_FALSE(program.parameters()[2].numeric);
  EXPECT_EQ(program.name(), "f");
  EXPECT_TRUE(program.include());
  EXPECT_TRUE(program.uses_interactions());
  EXPECT_FALSE(program.uses_current_item());

  ASSERT_OK_AND_ASSIGN(program, Compile("EXCLUDE ItemID WHERE Items.PRICE < CurrentItem.PRICE"));
  EXPECT_THAT(program.parameters(), IsEmpty());
  EXPECT_FALSE(program.include());
  EXPECT_FALSE(program.uses_interactions());
  EXPECT_TRUE(program.uses_current_item());
}

TEST_F(ItemFilterProgramTest, RefusesAnUnknownFieldNamingItsPosition) {
  EXPECT_THAT(Compile("EXCLUDE ItemID WHERE Items.PRICE > 1 AND Items.SIZE IN (\"m\")"),
              StatusIs(kInvalid,
                       "filter f: 1:42: unknown field Items.SIZE (the catalogue has "
                       "COLOR (categorical), CATEGORY (categorical), PRICE (numeric), "
                       "RATING (numeric))"));
  EXPECT_THAT(Compile("EXCLUDE ItemID WHERE Items.COLOR IN (CurrentItem.SIZE)"),
              StatusIs(kInvalid, "filter f: 1:38: unknown field CurrentItem.SIZE"));
  EXPECT_THAT(ItemFilterProgram::Compile(
                  "g", *ParseFilterExpression("EXCLUDE ItemID WHERE Items.A IN (\"x\")"), {}),
              StatusIs(kInvalid,
                       "filter g: 1:22: unknown field Items.A (the catalogue has no "
                       "item fields)"));
}

TEST_F(ItemFilterProgramTest, MatchesFieldNamesCaseInsensitively) {
  EXPECT_THAT(Excluded("EXCLUDE ItemID WHERE items.Color IN (\"green\") OR ITEMS.price > 50"),
              IsOkAndHolds(ElementsAre(3, 4)));
}

TEST_F(ItemFilterProgramTest, RefusesKindMismatches) {
  EXPECT_THAT(Compile("EXCLUDE ItemID WHERE Items.COLOR < 3"),
              StatusIs(kInvalid,
                       "filter f: 1:22: Items.COLOR is categorical: < needs a numeric "
                       "field"));
  EXPECT_THAT(Compile("EXCLUDE ItemID WHERE Items.COLOR >= \"red\""),
              StatusIs(kInvalid, "filter f: 1:22: Items.COLOR is categorical: >= needs"));
  EXPECT_THAT(Compile("EXCLUDE ItemID WHERE Items.PRICE < \"10\""),
              StatusIs(kInvalid,
                       "filter f: 1:36: Items.PRICE < needs a number, got string "
                       "\"10\""));
  EXPECT_THAT(Compile("EXCLUDE ItemID WHERE Items.PRICE = \"10\""),
              StatusIs(kInvalid, "filter f: 1:36: Items.PRICE = needs a number"));
  EXPECT_THAT(Compile("EXCLUDE ItemID WHERE Items.COLOR IN (\"red\", 3)"),
              StatusIs(kInvalid,
                       "filter f: 1:45: Items.COLOR is categorical: quote the value, "
                       "as \"3\""));
  EXPECT_THAT(Compile("EXCLUDE ItemID WHERE Items.PRICE IN (3, \"cheap\")"),
              StatusIs(kInvalid,
                       "filter f: 1:41: Items.PRICE is numeric: \"cheap\" is not a "
                       "number"));
  EXPECT_THAT(Compile("EXCLUDE ItemID WHERE Items.PRICE IN (CurrentItem.COLOR)"),
              StatusIs(kInvalid,
                       "filter f: 1:38: CurrentItem.COLOR is categorical but "
                       "Items.PRICE is numeric"));
  EXPECT_THAT(Compile("EXCLUDE ItemID WHERE Items.COLOR = CurrentItem.RATING"),
              StatusIs(kInvalid,
                       "filter f: 1:36: CurrentItem.RATING is numeric but "
                       "Items.COLOR is categorical"));
}

TEST_F(ItemFilterProgramTest, RefusesAParameterUsedAsANumberAndAsAList) {
  EXPECT_THAT(Compile("EXCLUDE ItemID WHERE Items.COLOR IN ($P) OR Items.PRICE < $P"),
              StatusIs(kInvalid,
                       "filter f: 1:59: parameter $P is used both as a number and as a "
                       "list of values"));
  EXPECT_THAT(Compile("EXCLUDE ItemID WHERE Items.PRICE = $P OR Items.PRICE IN ($P)"),
              StatusIs(kInvalid, "filter f: 1:58: parameter $P is used both"));
}

TEST_F(ItemFilterProgramTest, RefusesInteractionsNotIn) {
  EXPECT_THAT(Compile("INCLUDE ItemID WHERE Interactions.EVENT_TYPE NOT IN (\"purchase\")"),
              StatusIs(kInvalid,
                       "filter f: 1:22: Interactions.EVENT_TYPE NOT IN is not "
                       "supported; use EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN"));
}

TEST_F(ItemFilterProgramTest, RefusesAMalformedHandBuiltExpression) {
  FilterExpression expression;
  EXPECT_THAT(ItemFilterProgram::Compile("f", expression, table_.fields()),
              StatusIs(kInvalid, "filter f: malformed expression: no root"));
  expression.nodes.push_back(FilterNode{FilterNode::Kind::kAnd, -1, {0}});
  expression.root = 0;
  EXPECT_THAT(ItemFilterProgram::Compile("f", expression, table_.fields()),
              StatusIs(kInvalid, "malformed expression: a child index out of order"));
  expression.nodes[0] = FilterNode{FilterNode::Kind::kCondition, 3, {}};
  EXPECT_THAT(ItemFilterProgram::Compile("f", expression, table_.fields()),
              StatusIs(kInvalid, "malformed expression: a condition index out of range"));
  FilterCondition condition;
  condition.field = "PRICE";
  condition.comparison = FilterComparison::kLess;
  expression.conditions.push_back(condition);
  expression.nodes[0].condition = 0;
  EXPECT_THAT(ItemFilterProgram::Compile("f", expression, table_.fields()),
              StatusIs(kInvalid, "malformed expression: Items.PRICE < with 0 operands"));
}

TEST_F(ItemFilterProgramTest, ReportsEachParameterError) {
  const std::string list = "EXCLUDE ItemID WHERE Items.COLOR IN ($C)";
  const std::string number = "EXCLUDE ItemID WHERE Items.PRICE < $M";
  const std::string numbers = "EXCLUDE ItemID WHERE Items.PRICE IN ($PS)";
  EXPECT_THAT(Excluded(list, {{"c", {"red"}}}), StatusIs(kInvalid,
                                                         "filter f: parameter $C: "
                                                         "missing"));
  EXPECT_THAT(Excluded(list, {{"C", {}}}),
              StatusIs(kInvalid, "filter f: parameter $C: has no values"));
  EXPECT_OK(Excluded(list, {{"C", std::vector<std::string>(500, "red")}}));
  EXPECT_THAT(Excluded(list, {{"C", std::vector<std::string>(501, "red")}}),
              StatusIs(kInvalid, "filter f: parameter $C: has 501 values, more than 500"));
  EXPECT_THAT(Excluded(number, {{"M", {"cheap"}}}),
              StatusIs(kInvalid, "filter f: parameter $M: \"cheap\" is not a number"));
  for (const char* bad : {"", " 1", "1 ", "+1", "nan", "inf", "0x10", "1e999", "1,5"}) {
    EXPECT_THAT(Excluded(number, {{"M", {bad}}}), StatusIs(kInvalid, "filter f: parameter $M: \""))
        << bad;
  }
  EXPECT_THAT(Excluded(number, {{"M", {"1", "2"}}}),
              StatusIs(kInvalid,
                       "filter f: parameter $M: is compared with a number and takes "
                       "exactly one value, got 2"));
  EXPECT_THAT(Excluded(numbers, {{"PS", {"1", "x"}}}),
              StatusIs(kInvalid, "filter f: parameter $PS: \"x\" is not a number"));
  EXPECT_OK(Excluded(numbers, {{"PS", {"1", "-2.5e1"}}}));
}

TEST_F(ItemFilterProgramTest, RefusesCurrentItemWithoutOne) {
  EXPECT_THAT(Excluded("INCLUDE ItemID WHERE Items.CATEGORY IN (CurrentItem.CATEGORY)"),
              StatusIs(kInvalid,
                       "filter f: uses CurrentItem, which only requests for an item "
                       "have"));
  EXPECT_THAT(
      Excluded("INCLUDE ItemID WHERE Items.CATEGORY IN (CurrentItem.CATEGORY)", {}, Current(5)),
      StatusIs(kInvalid, "filter f: the current item's row 5 is not in the catalogue"));
  EXPECT_THAT(
      Excluded("INCLUDE ItemID WHERE Items.CATEGORY IN (CurrentItem.CATEGORY)", {}, Current(-1)),
      StatusIs(kInvalid, "row -1 is not in the catalogue"));
}

TEST_F(ItemFilterProgramTest, RefusesATableWithOtherFields) {
  ASSERT_OK_AND_ASSIGN(ItemFilterProgram program, Compile("EXCLUDE ItemID WHERE Items.RATING > 1"));
  absl::StatusOr<ItemAttributes::Builder> builder =
      ItemAttributes::Builder::Create({{"COLOR", AttributeKind::kCategorical}});
  ASSERT_OK(builder);
  const ItemAttributes other = std::move(*builder).Build();
  std::vector<uint64_t> excluded;
  EXPECT_THAT(program.Evaluate(other, {}, {}, &excluded),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       "filter f: compiled for other item fields (Items.RATING"));
}

TEST_F(ItemFilterProgramTest, EvaluatesConcurrently) {
  ASSERT_OK_AND_ASSIGN(ItemFilterProgram program,
                       Compile("INCLUDE ItemID WHERE (Items.COLOR IN ($C) OR Items.PRICE < $M) "
                               "AND Items.RATING NOT IN (3)"));
  const FilterParameterValues values = {{"C", {"navy"}}, {"M", {"20"}}};
  std::vector<uint64_t> expected;
  ASSERT_OK(program.Evaluate(table_, values, {}, &expected));
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::vector<uint64_t> excluded;
      for (int i = 0; i < 200; ++i) {
        if (!program.Evaluate(table_, values, {}, &excluded).ok() || excluded != expected) {
          ++mismatches[t];
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_THAT(mismatches, ElementsAre(0, 0, 0, 0));
  EXPECT_THAT(SetRows(expected, 5), ElementsAre(1, 2, 3));
}

// ---- Against a brute-force per-row reference on random tables and expressions. ----

struct Environment {
  const std::vector<TestRow>* rows = nullptr;
  FilterParameterValues values;
  std::optional<int64_t> current;
  bool has_interactions = false;
  std::map<std::string, std::vector<int64_t>> interactions;
};

std::vector<std::string> CategoricalValues(const TestRow& row, absl::string_view field) {
  if (field == "COLOR") return row.colors;
  if (row.category.empty()) return {};
  return {row.category};
}

std::optional<double> NumericValue(const TestRow& row, absl::string_view field) {
  return field == "PRICE" ? row.price : row.rating;
}

bool ReferenceCondition(const FilterCondition& c, int64_t r, const Environment& env) {
  const TestRow& row = (*env.rows)[r];
  if (c.interactions) {
    if (!env.has_interactions) return false;
    for (const FilterOperand& o : c.operands) {
      std::vector<std::string> types = {o.text};
      if (o.kind == FilterOperand::Kind::kParameter) types = env.values.at(o.text);
      for (const std::string& type : types) {
        const auto it = env.interactions.find(type);
        if (it == env.interactions.end()) continue;
        for (int64_t x : it->second) {
          if (x == r) return true;
        }
      }
    }
    return false;
  }
  const TestRow* current = env.current ? &(*env.rows)[*env.current] : nullptr;
  if (c.field == "COLOR" || c.field == "CATEGORY") {
    absl::flat_hash_set<std::string> wanted;
    for (const FilterOperand& o : c.operands) {
      if (o.kind == FilterOperand::Kind::kString) wanted.insert(o.text);
      if (o.kind == FilterOperand::Kind::kParameter) {
        for (const std::string& v : env.values.at(o.text)) wanted.insert(v);
      }
      if (o.kind == FilterOperand::Kind::kCurrentItem) {
        for (const std::string& v : CategoricalValues(*current, o.text)) wanted.insert(v);
      }
    }
    const std::vector<std::string> have = CategoricalValues(row, c.field);
    bool any = false;
    for (const std::string& v : have) any = any || wanted.contains(v);
    if (c.comparison == FilterComparison::kNotIn) return !have.empty() && !any;
    return any;
  }
  std::vector<double> operands;
  for (const FilterOperand& o : c.operands) {
    if (o.kind == FilterOperand::Kind::kNumber) operands.push_back(o.number);
    if (o.kind == FilterOperand::Kind::kString) operands.push_back(std::stod(o.text));
    if (o.kind == FilterOperand::Kind::kParameter) {
      for (const std::string& v : env.values.at(o.text)) operands.push_back(std::stod(v));
    }
    if (o.kind == FilterOperand::Kind::kCurrentItem) {
      if (std::optional<double> v = NumericValue(*current, o.text)) operands.push_back(*v);
    }
  }
  const std::optional<double> value = NumericValue(row, c.field);
  if (!value.has_value()) return false;
  bool equal_any = false;
  for (double x : operands) equal_any = equal_any || *value == x;
  switch (c.comparison) {
    case FilterComparison::kIn:
      return equal_any;
    case FilterComparison::kNotIn:
      return !equal_any;
    case FilterComparison::kEqual:
      return equal_any;
    case FilterComparison::kLess:
      return !operands.empty() && *value < operands[0];
    case FilterComparison::kLessEqual:
      return !operands.empty() && *value <= operands[0];
    case FilterComparison::kGreater:
      return !operands.empty() && *value > operands[0];
    case FilterComparison::kGreaterEqual:
      return !operands.empty() && *value >= operands[0];
  }
  return false;
}

bool ReferenceNode(const FilterExpression& e, int node, int64_t r, const Environment& env) {
  const FilterNode& n = e.nodes[node];
  if (n.kind == FilterNode::Kind::kCondition) {
    return ReferenceCondition(e.conditions[n.condition], r, env);
  }
  for (int child : n.children) {
    const bool m = ReferenceNode(e, child, r, env);
    if (n.kind == FilterNode::Kind::kAnd && !m) return false;
    if (n.kind == FilterNode::Kind::kOr && m) return true;
  }
  return n.kind == FilterNode::Kind::kAnd;
}

class RandomFilters {
 public:
  explicit RandomFilters(uint32_t seed) : rng_(seed) {}

  int Uniform(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
  template <typename T>
  const T& Pick(const std::vector<T>& options) {
    return options[Uniform(static_cast<int>(options.size()))];
  }

  std::vector<TestRow> Rows(int n) {
    std::vector<TestRow> rows(n);
    const std::vector<std::string> colors = {"red", "navy", "green", "black", "white"};
    const std::vector<std::string> categories = {"", "shoes", "hats", "red", "shirts"};
    const std::vector<double> prices = {5, 10, 12.5, 20, 99, 0, -1};
    for (TestRow& row : rows) {
      const int k = Uniform(4);
      for (int i = 0; i < k; ++i) row.colors.push_back(Pick(colors));
      row.category = Pick(categories);
      if (Uniform(6) != 0) row.price = Pick(prices);
      if (Uniform(4) != 0) row.rating = 1 + Uniform(5);
    }
    return rows;
  }

  std::string Or(int depth) {
    std::vector<std::string> parts(1 + Uniform(depth == 0 ? 3 : 2));
    for (std::string& part : parts) part = And(depth);
    return absl::StrJoin(parts, Uniform(2) == 0 ? " OR " : " or ");
  }

  std::string And(int depth) {
    std::vector<std::string> parts(1 + Uniform(depth == 0 ? 3 : 2));
    for (std::string& part : parts) {
      part = depth < 3 && Uniform(4) == 0 ? absl::StrCat("(", Or(depth + 1), ")") : Condition();
    }
    return absl::StrJoin(parts, " AND ");
  }

  std::string Condition() {
    auto list = [this](const std::vector<std::string>& options) {
      std::vector<std::string> chosen(1 + Uniform(3));
      for (std::string& o : chosen) o = Pick(options);
      return absl::StrCat("(", absl::StrJoin(chosen, ", "), ")");
    };
    const std::string in = Uniform(3) == 0 ? "NOT IN" : "IN";
    const std::vector<std::string> numbers = {"5",
                                              "10",
                                              "12.5",
                                              "20",
                                              "99",
                                              "0",
                                              "-1",
                                              "3",
                                              "$MAX",
                                              "CurrentItem.PRICE",
                                              "CurrentItem.RATING"};
    const std::vector<std::string> number_lists = {"5",
                                                   "10",
                                                   "12.5",
                                                   "\"20\"",
                                                   "-1",
                                                   "4",
                                                   "$PRICES",
                                                   "CurrentItem.RATING",
                                                   "CurrentItem.PRICE"};
    switch (Uniform(6)) {
      case 0:
        return absl::StrCat("Items.COLOR ", in, " ",
                            list({"\"red\"", "\"navy\"", "\"green\"", "\"black\"", "\"purple\"",
                                  "$COLORS", "CurrentItem.COLOR", "CurrentItem.CATEGORY"}));
      case 1:
        if (Uniform(2) == 0) {
          return absl::StrCat("Items.CATEGORY = ",
                              Pick<std::string>({"\"shoes\"", "\"red\"", "\"socks\"", "$CATS",
                                                 "CurrentItem.CATEGORY", "CurrentItem.COLOR"}));
        }
        return absl::StrCat("Items.CATEGORY ", in, " ",
                            list({"\"shoes\"", "\"hats\"", "\"red\"", "$CATS",
                                  "CurrentItem.CATEGORY", "CurrentItem.COLOR"}));
      case 2:
      case 3:
        return absl::StrCat(Pick<std::string>({"Items.PRICE", "Items.RATING"}), " ",
                            Pick<std::string>({"<", "<=", ">", ">=", "="}), " ", Pick(numbers));
      case 4:
        return absl::StrCat(Pick<std::string>({"Items.PRICE", "Items.RATING"}), " ", in, " ",
                            list(number_lists));
      default:
        return absl::StrCat("Interactions.EVENT_TYPE IN ",
                            list({"\"purchase\"", "\"click\"", "\"view\"", "$TYPES"}));
    }
  }

  Environment Env(const std::vector<TestRow>& rows) {
    Environment env;
    env.rows = &rows;
    std::vector<std::string> colors;
    for (int i = 1 + Uniform(3); i > 0; --i) {
      colors.push_back(Pick<std::string>({"red", "navy", "white", "purple", "shoes"}));
    }
    env.values["COLORS"] = colors;
    env.values["CATS"] = {Pick<std::string>({"shoes", "hats", "red", "nope"})};
    env.values["MAX"] = {Pick<std::string>({"10", "12.5", "3", "-1", "1e2", "4.0"})};
    env.values["PRICES"] = {Pick<std::string>({"10", "12.5", "1e1"}), "4"};
    env.values["TYPES"] = {Pick<std::string>({"click", "view", "cart"})};
    if (!rows.empty()) env.current = Uniform(static_cast<int>(rows.size()));
    env.has_interactions = Uniform(5) != 0;
    for (const char* type : {"purchase", "click", "cart"}) {
      std::vector<int64_t>& list = env.interactions[type];
      for (int i = Uniform(8); i > 0 && !rows.empty(); --i) {
        list.push_back(Uniform(static_cast<int>(rows.size())));
      }
    }
    return env;
  }

 private:
  std::mt19937 rng_;
};

TEST(ItemFilterProgramReferenceTest, MatchesAPerRowReferenceOnRandomFilters) {
  RandomFilters random(20240611);
  int evaluated = 0;
  int mixed = 0;  // Filters that exclude some rows but not all.
  for (int n : {1, 2, 63, 64, 65, 130, 517}) {
    const std::vector<TestRow> rows = random.Rows(n);
    const ItemAttributes table = BuildTable(rows);
    for (int trial = 0; trial < 150; ++trial) {
      const std::string text = absl::StrCat(random.Uniform(2) == 0 ? "INCLUDE" : "EXCLUDE",
                                            " ItemID WHERE ", random.Or(0));
      absl::StatusOr<FilterExpression> expression = ParseFilterExpression(text);
      if (!expression.ok()) {
        // Only the condition limit may refuse a generated filter.
        EXPECT_THAT(expression, StatusIs(kInvalid, "more than 64 conditions")) << text;
        continue;
      }
      ASSERT_OK_AND_ASSIGN(ItemFilterProgram program,
                           ItemFilterProgram::Compile("random", *expression, table.fields()));
      const Environment env = random.Env(rows);
      FilterContext context;
      context.current_item = env.current;
      if (env.has_interactions) {
        context.interactions = [&env](absl::string_view type, std::vector<int64_t>* out) {
          const auto it = env.interactions.find(std::string(type));
          if (it != env.interactions.end()) {
            out->insert(out->end(), it->second.begin(), it->second.end());
          }
        };
      }
      std::vector<uint64_t> excluded = {123};
      ASSERT_OK(program.Evaluate(table, env.values, context, &excluded));
      std::vector<int64_t> expected;
      for (int64_t r = 0; r < n; ++r) {
        if (ReferenceNode(*expression, expression->root, r, env) != expression->include) {
          expected.push_back(r);
        }
      }
      ASSERT_EQ(SetRows(excluded, n), expected)
          << text << "\nrows " << n << ", current " << env.current.value_or(-1);
      ++evaluated;
      if (!expected.empty() && expected.size() < static_cast<size_t>(n)) ++mixed;
    }
  }
  EXPECT_GT(evaluated, 900);
  EXPECT_GT(mixed, evaluated / 2);  // Most filters split the table: the check has teeth.
}

}  // namespace
}  // namespace hrnn
