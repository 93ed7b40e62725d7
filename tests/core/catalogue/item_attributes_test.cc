#include "core/catalogue/item_attributes.h"

#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace hrnn {
namespace {

using ::hrnn::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Optional;

using Cell = ItemAttributes::Builder::Cell;

Cell Values(std::vector<std::string> values) { return Cell{std::move(values), std::nullopt}; }
Cell Number(double number) { return Cell{{}, number}; }
Cell Missing() { return Cell{}; }

// COLOR (categorical), PRICE (numeric), SIZE (categorical).
class ItemAttributesTest : public ::testing::Test {
 protected:
  static constexpr int kColor = 0;
  static constexpr int kPrice = 1;
  static constexpr int kSize = 2;

  static ItemAttributes::Builder NewBuilder() {
    absl::StatusOr<ItemAttributes::Builder> builder =
        ItemAttributes::Builder::Create({{"color", AttributeKind::kCategorical},
                                         {"Price", AttributeKind::kNumeric},
                                         {"SIZE", AttributeKind::kCategorical}});
    EXPECT_OK(builder);
    return *std::move(builder);
  }

  // Rows a (red, navy; 10; S), b (navy; missing; missing), c (missing; 2.5; S, M; time 7).
  static ItemAttributes Sample() {
    ItemAttributes::Builder builder = NewBuilder();
    EXPECT_OK(builder.AddRow("a", {Values({"red", "navy"}), Number(10), Values({"S"})}));
    EXPECT_OK(builder.AddRow("b", {Values({"navy"}), Missing(), Missing()}));
    EXPECT_OK(builder.AddRow("c", {Missing(), Number(2.5), Values({"M", "S"})}, 7));
    return std::move(builder).Build();
  }

  // The values of `row` in categorical `field`, as strings.
  static std::vector<std::string> ValuesOf(const ItemAttributes& table, int64_t row, int field) {
    std::vector<std::string> values;
    for (const int32_t id : table.RowValues(row, field)) values.push_back(table.value(field, id));
    return values;
  }
};

TEST_F(ItemAttributesTest, DefaultHasNoFieldsAndNoRows) {
  const ItemAttributes table;
  EXPECT_THAT(table.fields(), IsEmpty());
  EXPECT_EQ(table.num_rows(), 0);
  EXPECT_EQ(table.FindRow("a"), std::nullopt);
  EXPECT_EQ(table.FindField("COLOR"), std::nullopt);
}

TEST_F(ItemAttributesTest, NamesBothKinds) {
  EXPECT_EQ(AttributeKindName(AttributeKind::kCategorical), "categorical");
  EXPECT_EQ(AttributeKindName(AttributeKind::kNumeric), "numeric");
}

TEST_F(ItemAttributesTest, UpperCasesFieldNamesAndFindsThemIgnoringCase) {
  const ItemAttributes table = Sample();
  ASSERT_EQ(table.fields().size(), 3u);
  EXPECT_EQ(table.fields()[kColor].name, "COLOR");
  EXPECT_EQ(table.fields()[kPrice].name, "PRICE");
  EXPECT_EQ(table.fields()[kPrice].kind, AttributeKind::kNumeric);
  EXPECT_EQ(table.fields()[kSize].kind, AttributeKind::kCategorical);
  EXPECT_THAT(table.FindField("price"), Optional(kPrice));
  EXPECT_THAT(table.FindField("Size"), Optional(kSize));
  EXPECT_EQ(table.FindField("WEIGHT"), std::nullopt);
}

TEST_F(ItemAttributesTest, FindsRowsByItemId) {
  const ItemAttributes table = Sample();
  EXPECT_EQ(table.num_rows(), 3);
  EXPECT_EQ(table.item_id(2), "c");
  EXPECT_THAT(table.FindRow("b"), Optional(1));
  EXPECT_EQ(table.FindRow("B"), std::nullopt);
  EXPECT_EQ(table.FindRow(""), std::nullopt);
}

TEST_F(ItemAttributesTest, NumbersCategoricalValuesInFirstSeenOrder) {
  const ItemAttributes table = Sample();
  EXPECT_EQ(table.num_values(kColor), 2);
  EXPECT_EQ(table.value(kColor, 0), "red");
  EXPECT_EQ(table.value(kColor, 1), "navy");
  EXPECT_THAT(table.FindValue(kColor, "navy"), Optional(1));
  EXPECT_EQ(table.FindValue(kColor, "Navy"), std::nullopt);
  EXPECT_EQ(table.num_values(kSize), 2);
  EXPECT_THAT(table.FindValue(kSize, "M"), Optional(1));
}

TEST_F(ItemAttributesTest, ListsRowValuesAscendingAndMissingCellsEmpty) {
  const ItemAttributes table = Sample();
  EXPECT_THAT(table.RowValues(0, kColor), ElementsAre(0, 1));
  EXPECT_THAT(table.RowValues(1, kColor), ElementsAre(1));
  EXPECT_THAT(table.RowValues(2, kColor), IsEmpty());
  // Row c lists "M" before "S", but ids ascend: S = 0, M = 1.
  EXPECT_THAT(table.RowValues(2, kSize), ElementsAre(0, 1));
  EXPECT_THAT(table.RowValues(1, kSize), IsEmpty());
}

TEST_F(ItemAttributesTest, ListsTheRowsWithEachValueAscending) {
  const ItemAttributes table = Sample();
  EXPECT_THAT(table.RowsWithValue(kColor, 0), ElementsAre(0));
  EXPECT_THAT(table.RowsWithValue(kColor, 1), ElementsAre(0, 1));
  EXPECT_THAT(table.RowsWithValue(kSize, 0), ElementsAre(0, 2));
  EXPECT_THAT(table.RowsWithValue(kSize, 1), ElementsAre(2));
}

TEST_F(ItemAttributesTest, CountsADuplicateValueWithinACellOnce) {
  ItemAttributes::Builder builder = NewBuilder();
  ASSERT_OK(builder.AddRow("a", {Values({"red", "red", "navy", "red"}), Missing(), Missing()}));
  std::vector<std::string> many;  // 64 distinct values, each three times: 192 listed.
  for (int repeat = 0; repeat < 3; ++repeat) {
    for (int i = 0; i < kMaxValuesPerItemField; ++i) many.push_back("v" + std::to_string(i));
  }
  ASSERT_OK(builder.AddRow("b", {Missing(), Missing(), Values(many)}));
  const ItemAttributes table = std::move(builder).Build();
  EXPECT_THAT(table.RowValues(0, kColor), ElementsAre(0, 1));
  EXPECT_THAT(table.RowsWithValue(kColor, 0), ElementsAre(0));
  EXPECT_EQ(table.num_values(kSize), kMaxValuesPerItemField);
  EXPECT_EQ(table.RowValues(1, kSize).size(), static_cast<size_t>(kMaxValuesPerItemField));
  EXPECT_EQ(table.value(kSize, 5), "v5");
}

TEST_F(ItemAttributesTest, StoresNumbersAndMissingNumbers) {
  const ItemAttributes table = Sample();
  EXPECT_THAT(table.Numeric(0, kPrice), Optional(10.0));
  EXPECT_EQ(table.Numeric(1, kPrice), std::nullopt);
  EXPECT_THAT(table.Numeric(2, kPrice), Optional(2.5));
}

TEST_F(ItemAttributesTest, StoresCreationTimestampsWhereGiven) {
  ItemAttributes::Builder builder = NewBuilder();
  ASSERT_OK(builder.AddRow("a", {Missing(), Missing(), Missing()}, 0));
  ASSERT_OK(builder.AddRow("b", {Missing(), Missing(), Missing()}));
  ASSERT_OK(builder.AddRow("c", {Missing(), Missing(), Missing()}, 1700000000));
  EXPECT_EQ(builder.num_rows(), 3);
  const ItemAttributes table = std::move(builder).Build();
  EXPECT_THAT(table.creation_timestamp_s(0), Optional(0));
  EXPECT_EQ(table.creation_timestamp_s(1), std::nullopt);
  EXPECT_THAT(table.creation_timestamp_s(2), Optional(1700000000));
}

TEST_F(ItemAttributesTest, CreateRefusesMoreThanTheMaximumOfFields) {
  std::vector<AttributeField> fields;
  for (int i = 0; i <= kMaxAttributeFields; ++i) fields.push_back({"F" + std::to_string(i)});
  EXPECT_THAT(ItemAttributes::Builder::Create(fields),
              StatusIs(absl::StatusCode::kInvalidArgument, "more than 64 fields (65)"));
  fields.pop_back();
  EXPECT_OK(ItemAttributes::Builder::Create(fields));
}

TEST_F(ItemAttributesTest, CreateRefusesANameThatIsNotAnIdentifier) {
  for (const char* name : {"", "1A", "A-B", "A B", "COLOR:number", "ÜBER"}) {
    EXPECT_THAT(ItemAttributes::Builder::Create({{name, AttributeKind::kCategorical}}),
                StatusIs(absl::StatusCode::kInvalidArgument, "is not [A-Za-z_][A-Za-z0-9_]*"))
        << name;
  }
  EXPECT_OK(ItemAttributes::Builder::Create({{"_a1", AttributeKind::kNumeric}}));
}

TEST_F(ItemAttributesTest, CreateRefusesANameUsedTwiceIgnoringCase) {
  EXPECT_THAT(ItemAttributes::Builder::Create(
                  {{"color", AttributeKind::kCategorical}, {"COLOR", AttributeKind::kNumeric}}),
              StatusIs(absl::StatusCode::kInvalidArgument, "duplicate field name COLOR"));
}

TEST_F(ItemAttributesTest, CreateRefusesTheNamesOfTheOwnColumns) {
  EXPECT_THAT(ItemAttributes::Builder::Create({{"item_id", AttributeKind::kCategorical}}),
              StatusIs(absl::StatusCode::kInvalidArgument, "ITEM_ID is reserved"));
  EXPECT_THAT(ItemAttributes::Builder::Create({{"Creation_Timestamp", AttributeKind::kNumeric}}),
              StatusIs(absl::StatusCode::kInvalidArgument, "CREATION_TIMESTAMP is reserved"));
}

TEST_F(ItemAttributesTest, AddRowRefusesAnEmptyItemId) {
  ItemAttributes::Builder builder = NewBuilder();
  EXPECT_THAT(builder.AddRow("", {Missing(), Missing(), Missing()}),
              StatusIs(absl::StatusCode::kInvalidArgument, "empty item id"));
}

TEST_F(ItemAttributesTest, AddRowRefusesAnItemIdLongerThan256Bytes) {
  ItemAttributes::Builder builder = NewBuilder();
  EXPECT_OK(builder.AddRow(std::string(256, 'x'), {Missing(), Missing(), Missing()}));
  EXPECT_THAT(builder.AddRow(std::string(257, 'y'), {Missing(), Missing(), Missing()}),
              StatusIs(absl::StatusCode::kInvalidArgument, "is longer than 256 bytes (257)"));
}

TEST_F(ItemAttributesTest, AddRowRefusesAnItemIdWithAControlCharacter) {
  ItemAttributes::Builder builder = NewBuilder();
  for (const std::string& id :
       std::vector<std::string>{"a\tb", "a\nb", std::string("a\0b", 3), "a\x7f", "\x1f"}) {
    EXPECT_THAT(builder.AddRow(id, {Missing(), Missing(), Missing()}),
                StatusIs(absl::StatusCode::kInvalidArgument, "holds a control character"));
  }
  EXPECT_OK(
      builder.AddRow("ünïcode id with spaces, \"quotes\"", {Missing(), Missing(), Missing()}));
}

TEST_F(ItemAttributesTest, AddRowRefusesADuplicateItemId) {
  ItemAttributes::Builder builder = NewBuilder();
  ASSERT_OK(builder.AddRow("a", {Missing(), Missing(), Missing()}));
  EXPECT_THAT(builder.AddRow("a", {Missing(), Missing(), Missing()}),
              StatusIs(absl::StatusCode::kInvalidArgument, "duplicate item id \"a\""));
}

TEST_F(ItemAttributesTest, AddRowRefusesAWrongNumberOfCells) {
  ItemAttributes::Builder builder = NewBuilder();
  EXPECT_THAT(
      builder.AddRow("a", {Missing(), Missing()}),
      StatusIs(absl::StatusCode::kInvalidArgument, "expected 3 cells (one per field), got 2"));
}

TEST_F(ItemAttributesTest, AddRowRefusesACellOfTheOtherKind) {
  ItemAttributes::Builder builder = NewBuilder();
  EXPECT_THAT(
      builder.AddRow("a", {Number(1), Missing(), Missing()}),
      StatusIs(absl::StatusCode::kInvalidArgument, "field COLOR: a number in a categorical cell"));
  EXPECT_THAT(
      builder.AddRow("a", {Missing(), Values({"1"}), Missing()}),
      StatusIs(absl::StatusCode::kInvalidArgument, "field PRICE: values in a numeric cell"));
}

TEST_F(ItemAttributesTest, AddRowRefusesMoreThan64ValuesInACell) {
  ItemAttributes::Builder builder = NewBuilder();
  std::vector<std::string> values;
  for (int i = 0; i <= kMaxValuesPerItemField; ++i) values.push_back(std::to_string(i));
  EXPECT_THAT(builder.AddRow("a", {Missing(), Missing(), Values(values)}),
              StatusIs(absl::StatusCode::kInvalidArgument, "field SIZE: more than 64 values (65)"));
}

TEST_F(ItemAttributesTest, AddRowRefusesAnEmptyValue) {
  ItemAttributes::Builder builder = NewBuilder();
  EXPECT_THAT(builder.AddRow("a", {Values({"red", ""}), Missing(), Missing()}),
              StatusIs(absl::StatusCode::kInvalidArgument, "field COLOR: empty value"));
}

TEST_F(ItemAttributesTest, AddRowRefusesAValueLongerThan256Bytes) {
  ItemAttributes::Builder builder = NewBuilder();
  EXPECT_OK(builder.AddRow("a", {Values({std::string(256, 'v')}), Missing(), Missing()}));
  EXPECT_THAT(
      builder.AddRow("b", {Values({std::string(257, 'v')}), Missing(), Missing()}),
      StatusIs(absl::StatusCode::kInvalidArgument,
               "field COLOR: value \"vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv...\" is longer "
               "than 256 bytes (257)"));
}

TEST_F(ItemAttributesTest, AddRowRefusesAValueTheItemsCsvCouldNotWriteBack) {
  ItemAttributes::Builder builder = NewBuilder();
  EXPECT_THAT(builder.AddRow("a", {Values({"red|navy"}), Missing(), Missing()}),
              StatusIs(absl::StatusCode::kInvalidArgument, "holds \"|\""));
  EXPECT_THAT(builder.AddRow("a", {Values({" red"}), Missing(), Missing()}),
              StatusIs(absl::StatusCode::kInvalidArgument, "has leading or trailing spaces"));
  EXPECT_THAT(builder.AddRow("a", {Values({"red "}), Missing(), Missing()}),
              StatusIs(absl::StatusCode::kInvalidArgument, "has leading or trailing spaces"));
  EXPECT_OK(builder.AddRow("a", {Values({"dark red, \"matte\"\n"}), Missing(), Missing()}));
}

TEST_F(ItemAttributesTest, AddRowRefusesAFieldPastTheMaximumOfDistinctValues) {
  ItemAttributes::Builder builder = NewBuilder();
  for (int32_t i = 0; i < kMaxDistinctValues; ++i) {
    ASSERT_OK(builder.AddRow("i" + std::to_string(i),
                             {Values({"c" + std::to_string(i)}), Missing(), Missing()}));
  }
  EXPECT_THAT(builder.AddRow("new", {Values({"c0", "fresh"}), Missing(), Missing()}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "field COLOR: more than 100000 distinct values"));
  EXPECT_OK(builder.AddRow("old", {Values({"c0", "c99999"}), Missing(), Missing()}));
}

TEST_F(ItemAttributesTest, AddRowRefusesANonFiniteNumber) {
  ItemAttributes::Builder builder = NewBuilder();
  for (const double number :
       {std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(),
        std::numeric_limits<double>::quiet_NaN()}) {
    EXPECT_THAT(builder.AddRow("a", {Missing(), Number(number), Missing()}),
                StatusIs(absl::StatusCode::kInvalidArgument, "field PRICE: not a finite number"));
  }
}

TEST_F(ItemAttributesTest, AddRowRefusesANegativeTimestamp) {
  ItemAttributes::Builder builder = NewBuilder();
  EXPECT_THAT(
      builder.AddRow("a", {Missing(), Missing(), Missing()}, -1),
      StatusIs(absl::StatusCode::kInvalidArgument, "CREATION_TIMESTAMP: negative timestamp -1"));
}

TEST_F(ItemAttributesTest, ARefusedRowLeavesTheTableAsItWas) {
  ItemAttributes::Builder builder = NewBuilder();
  ASSERT_OK(builder.AddRow("a", {Values({"red"}), Missing(), Missing()}));
  // The new COLOR value comes before the refused SIZE value.
  EXPECT_THAT(builder.AddRow("b", {Values({"blue"}), Missing(), Values({""})}),
              StatusIs(absl::StatusCode::kInvalidArgument, "field SIZE"));
  EXPECT_EQ(builder.num_rows(), 1);
  ASSERT_OK(builder.AddRow("b", {Values({"green"}), Missing(), Missing()}));
  const ItemAttributes table = std::move(builder).Build();
  EXPECT_EQ(table.num_values(kColor), 2);
  EXPECT_EQ(table.FindValue(kColor, "blue"), std::nullopt);
  EXPECT_THAT(table.FindRow("b"), Optional(1));
}

TEST_F(ItemAttributesTest, AlignedToPutsItemIdsInTheGivenOrder) {
  const ItemAttributes table = Sample();
  const std::vector<std::string> ids = {"c", "a", "b"};
  const ItemAttributes aligned = table.AlignedTo(ids);
  ASSERT_EQ(aligned.num_rows(), 3);
  EXPECT_EQ(aligned.fields().size(), 3u);
  EXPECT_EQ(aligned.item_id(0), "c");
  EXPECT_THAT(aligned.FindRow("a"), Optional(1));
  EXPECT_THAT(ValuesOf(aligned, 0, kSize), ElementsAre("S", "M"));
  EXPECT_THAT(ValuesOf(aligned, 1, kColor), ElementsAre("red", "navy"));
  EXPECT_THAT(ValuesOf(aligned, 2, kColor), ElementsAre("navy"));
  EXPECT_THAT(aligned.Numeric(0, kPrice), Optional(2.5));
  EXPECT_THAT(aligned.Numeric(1, kPrice), Optional(10.0));
  EXPECT_EQ(aligned.Numeric(2, kPrice), std::nullopt);
  EXPECT_THAT(aligned.creation_timestamp_s(0), Optional(7));
  EXPECT_EQ(aligned.creation_timestamp_s(1), std::nullopt);
  EXPECT_THAT(aligned.RowsWithValue(kSize, *aligned.FindValue(kSize, "S")), ElementsAre(0, 1));
}

TEST_F(ItemAttributesTest, AlignedToGivesUnknownIdsEveryFieldMissing) {
  const ItemAttributes table = Sample();
  const std::vector<std::string> ids = {"new", "b"};
  const ItemAttributes aligned = table.AlignedTo(ids);
  ASSERT_EQ(aligned.num_rows(), 2);
  EXPECT_THAT(aligned.FindRow("new"), Optional(0));
  EXPECT_THAT(aligned.RowValues(0, kColor), IsEmpty());
  EXPECT_THAT(aligned.RowValues(0, kSize), IsEmpty());
  EXPECT_EQ(aligned.Numeric(0, kPrice), std::nullopt);
  EXPECT_EQ(aligned.creation_timestamp_s(0), std::nullopt);
  EXPECT_THAT(ValuesOf(aligned, 1, kColor), ElementsAre("navy"));
}

TEST_F(ItemAttributesTest, AlignedToReportsDroppedIdsInRowOrder) {
  const ItemAttributes table = Sample();
  const std::vector<std::string> ids = {"b"};
  std::vector<std::string> dropped = {"earlier"};
  const ItemAttributes aligned = table.AlignedTo(ids, &dropped);
  EXPECT_THAT(dropped, ElementsAre("earlier", "a", "c"));
  EXPECT_EQ(aligned.num_rows(), 1);
  EXPECT_EQ(aligned.FindRow("a"), std::nullopt);
}

TEST_F(ItemAttributesTest, AlignedToRenumbersValuesInFirstSeenOrder) {
  const ItemAttributes table = Sample();
  const std::vector<std::string> ids = {"b", "c"};
  const ItemAttributes aligned = table.AlignedTo(ids);
  // "red" was only on the dropped row a; navy is now value 0.
  EXPECT_EQ(aligned.num_values(kColor), 1);
  EXPECT_EQ(aligned.value(kColor, 0), "navy");
  EXPECT_EQ(aligned.FindValue(kColor, "red"), std::nullopt);
  EXPECT_THAT(aligned.RowValues(0, kColor), ElementsAre(0));
  EXPECT_THAT(aligned.RowsWithValue(kColor, 0), ElementsAre(0));
  EXPECT_EQ(aligned.num_values(kSize), 2);
  EXPECT_THAT(aligned.RowValues(1, kSize), ElementsAre(0, 1));
  EXPECT_THAT(aligned.RowsWithValue(kSize, 1), ElementsAre(1));
}

TEST_F(ItemAttributesTest, AlignedToAnEmptyListHasNoRows) {
  const ItemAttributes table = Sample();
  std::vector<std::string> dropped;
  const ItemAttributes aligned = table.AlignedTo({}, &dropped);
  EXPECT_EQ(aligned.num_rows(), 0);
  EXPECT_EQ(aligned.fields().size(), 3u);
  EXPECT_EQ(aligned.num_values(kColor), 0);
  EXPECT_THAT(dropped, ElementsAre("a", "b", "c"));
}

TEST_F(ItemAttributesTest, AlignedToFromAnEmptyTableGivesRowsWithoutFields) {
  const std::vector<std::string> ids = {"a", "b"};
  const ItemAttributes aligned = ItemAttributes().AlignedTo(ids);
  EXPECT_THAT(aligned.fields(), IsEmpty());
  EXPECT_EQ(aligned.num_rows(), 2);
  EXPECT_THAT(aligned.FindRow("b"), Optional(1));
  EXPECT_EQ(aligned.creation_timestamp_s(0), std::nullopt);
}

}  // namespace
}  // namespace hrnn

namespace hrnn {
namespace {

// Every row holds "common"; rows 0, 5 and 9 also hold "rare": only the common value, held by at
// least max(64, rows / 32) rows, gets a bitmask, equal to its row list, after Build and AlignedTo.
TEST(ItemAttributesValueBitsTest, CommonValuesHaveABitmaskOfTheirRows) {
  auto builder = ItemAttributes::Builder::Create({{"TAG", AttributeKind::kCategorical}});
  ASSERT_TRUE(builder.ok()) << builder.status();
  constexpr int kRows = 130;
  for (int r = 0; r < kRows; ++r) {
    std::vector<ItemAttributes::Builder::Cell> cells(1);
    cells[0].values = {"common"};
    if (r == 0 || r == 5 || r == 9) cells[0].values.push_back("rare");
    ASSERT_TRUE(builder->AddRow("i" + std::to_string(r), std::move(cells)).ok());
  }
  const ItemAttributes table = std::move(*builder).Build();
  auto check = [](const ItemAttributes& t) {
    const int32_t common = *t.FindValue(0, "common");
    const int32_t rare = *t.FindValue(0, "rare");
    EXPECT_TRUE(t.ValueBits(0, rare).empty());
    const absl::Span<const uint64_t> bits = t.ValueBits(0, common);
    ASSERT_EQ(bits.size(), static_cast<size_t>((t.num_rows() + 63) / 64));
    std::vector<int64_t> from_bits;
    for (int64_t r = 0; r < t.num_rows(); ++r) {
      if ((bits[r / 64] >> (r % 64)) & 1) from_bits.push_back(r);
    }
    const absl::Span<const int64_t> rows = t.RowsWithValue(0, common);
    EXPECT_EQ(from_bits, std::vector<int64_t>(rows.begin(), rows.end()));
  };
  check(table);
  std::vector<std::string> ids;
  for (int r = kRows - 1; r >= 0; --r) ids.push_back("i" + std::to_string(r));
  ids.push_back("unknown");
  check(table.AlignedTo(ids));
}

}  // namespace
}  // namespace hrnn
