#include "core/catalogue/items_csv.h"

#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <string>
#include <utility>
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
using ::testing::ElementsAreArray;
using ::testing::IsEmpty;
using ::testing::Optional;

using Cell = ItemAttributes::Builder::Cell;

class ItemsCsvTest : public ::testing::Test {
 protected:
  // The values of `row` in categorical field `name`, as strings.
  static std::vector<std::string> ValuesOf(const ItemAttributes& table, absl::string_view id,
                                           absl::string_view name) {
    const std::optional<int64_t> row = table.FindRow(id);
    const std::optional<int> field = table.FindField(name);
    EXPECT_TRUE(row.has_value()) << id;
    EXPECT_TRUE(field.has_value()) << name;
    if (!row.has_value() || !field.has_value()) return {};
    std::vector<std::string> values;
    for (const int32_t value : table.RowValues(*row, *field)) {
      values.push_back(table.value(*field, value));
    }
    return values;
  }

  static std::optional<double> NumberOf(const ItemAttributes& table, absl::string_view id,
                                        absl::string_view name) {
    return table.Numeric(table.FindRow(id).value(), table.FindField(name).value());
  }

  static AttributeKind KindOf(const ItemAttributes& table, absl::string_view name) {
    return table.fields()[table.FindField(name).value()].kind;
  }

  // Checks that `b` holds what `a` does, value ids included.
  static void ExpectSameTable(const ItemAttributes& a, const ItemAttributes& b) {
    ASSERT_EQ(a.fields().size(), b.fields().size());
    ASSERT_EQ(a.num_rows(), b.num_rows());
    for (size_t f = 0; f < a.fields().size(); ++f) {
      const int field = static_cast<int>(f);
      EXPECT_EQ(a.fields()[f].name, b.fields()[f].name);
      ASSERT_EQ(a.fields()[f].kind, b.fields()[f].kind) << a.fields()[f].name;
      if (a.fields()[f].kind == AttributeKind::kCategorical) {
        ASSERT_EQ(a.num_values(field), b.num_values(field)) << a.fields()[f].name;
        for (int32_t v = 0; v < a.num_values(field); ++v) {
          EXPECT_EQ(a.value(field, v), b.value(field, v));
          EXPECT_THAT(b.RowsWithValue(field, v), ElementsAreArray(a.RowsWithValue(field, v)));
        }
      }
    }
    for (int64_t row = 0; row < a.num_rows(); ++row) {
      EXPECT_EQ(a.item_id(row), b.item_id(row));
      EXPECT_EQ(a.creation_timestamp_s(row), b.creation_timestamp_s(row)) << a.item_id(row);
      for (size_t f = 0; f < a.fields().size(); ++f) {
        const int field = static_cast<int>(f);
        if (a.fields()[f].kind == AttributeKind::kCategorical) {
          EXPECT_THAT(b.RowValues(row, field), ElementsAreArray(a.RowValues(row, field)))
              << a.item_id(row) << " " << a.fields()[f].name;
        } else {
          EXPECT_EQ(a.Numeric(row, field), b.Numeric(row, field))
              << a.item_id(row) << " " << a.fields()[f].name;
        }
      }
    }
  }

  std::string Write(const std::string& name, const std::string& content) {
    const std::string path = (Dir() / name).string();
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }

  std::string WriteGzip(const std::string& name, const std::string& content) {
    const std::string path = (Dir() / name).string();
    gzFile file = gzopen(path.c_str(), "wb");
    EXPECT_NE(file, nullptr);
    EXPECT_EQ(gzwrite(file, content.data(), static_cast<unsigned>(content.size())),
              static_cast<int>(content.size()));
    EXPECT_EQ(gzclose(file), Z_OK);
    return path;
  }

  const fs::path& Dir() {
    if (dir_.empty()) dir_ = ::hrnn::testing::FreshTestDir();
    return dir_;
  }

 private:
  fs::path dir_;
};

// Expects ParseItemsCsv(content) to fail with InvalidArgument and a message containing
// `message` (which starts with "items.csv:LINE:COLUMN: ").
#define EXPECT_REFUSED(content, message) \
  EXPECT_THAT(ParseItemsCsv(content), StatusIs(absl::StatusCode::kInvalidArgument, message))

TEST_F(ItemsCsvTest, ReadsTheHeaderInAnyOrderAndCase) {
  ASSERT_OK_AND_ASSIGN(const ItemAttributes table,
                       ParseItemsCsv("color,Item_Id,creation_Timestamp\nred,a,5\nblue,b,\n"));
  ASSERT_EQ(table.fields().size(), 1u);
  EXPECT_EQ(table.fields()[0].name, "COLOR");
  EXPECT_EQ(table.fields()[0].kind, AttributeKind::kCategorical);
  EXPECT_EQ(table.num_rows(), 2);
  EXPECT_EQ(table.item_id(0), "a");
  EXPECT_THAT(ValuesOf(table, "b", "color"), ElementsAre("blue"));
  EXPECT_THAT(table.creation_timestamp_s(0), Optional(5));
  EXPECT_EQ(table.creation_timestamp_s(1), std::nullopt);
}

TEST_F(ItemsCsvTest, ReadsAFileWithOnlyItemIds) {
  ASSERT_OK_AND_ASSIGN(const ItemAttributes table, ParseItemsCsv("ITEM_ID\na\nb"));
  EXPECT_THAT(table.fields(), IsEmpty());
  EXPECT_EQ(table.num_rows(), 2);
  EXPECT_EQ(table.creation_timestamp_s(1), std::nullopt);
}

TEST_F(ItemsCsvTest, SplitsMultiValuesAtPipesAndTrimsSpaces) {
  ASSERT_OK_AND_ASSIGN(const ItemAttributes table,
                       ParseItemsCsv("ITEM_ID,GENRE\na, comedy | drama |comedy\nb,  \nc,sci fi\n"));
  EXPECT_THAT(ValuesOf(table, "a", "GENRE"), ElementsAre("comedy", "drama"));
  EXPECT_THAT(ValuesOf(table, "b", "GENRE"), IsEmpty());
  EXPECT_THAT(ValuesOf(table, "c", "GENRE"), ElementsAre("sci fi"));
}

TEST_F(ItemsCsvTest, DoesNotTrimItemIds) {
  ASSERT_OK_AND_ASSIGN(const ItemAttributes table, ParseItemsCsv("ITEM_ID,C\n a ,x\n"));
  EXPECT_EQ(table.item_id(0), " a ");
}

TEST_F(ItemsCsvTest, ReadsQuotedFieldsWithCommasQuotesAndLineBreaks) {
  ASSERT_OK_AND_ASSIGN(const ItemAttributes table,
                       ParseItemsCsv("ITEM_ID,TITLE,GENRE\n\"x,1\",\"He said \"\"hi\"\"\",\"a|b\"\n"
                                     "\"y\",\"two\nlines\",\"\"\n"));
  ASSERT_EQ(table.num_rows(), 2);
  EXPECT_EQ(table.item_id(0), "x,1");
  EXPECT_THAT(ValuesOf(table, "x,1", "TITLE"), ElementsAre("He said \"hi\""));
  EXPECT_THAT(ValuesOf(table, "x,1", "GENRE"), ElementsAre("a", "b"));
  EXPECT_THAT(ValuesOf(table, "y", "TITLE"), ElementsAre("two\nlines"));
  EXPECT_THAT(ValuesOf(table, "y", "GENRE"), IsEmpty());
}

TEST_F(ItemsCsvTest, AcceptsCrlfLineEnds) {
  ASSERT_OK_AND_ASSIGN(const ItemAttributes table,
                       ParseItemsCsv("ITEM_ID,PRICE,C\r\na,1,\"q\"\r\nb,,x\r\n"));
  EXPECT_EQ(table.item_id(0), "a");
  EXPECT_EQ(KindOf(table, "PRICE"), AttributeKind::kNumeric);
  EXPECT_THAT(NumberOf(table, "a", "PRICE"), Optional(1.0));
  EXPECT_EQ(NumberOf(table, "b", "PRICE"), std::nullopt);
  EXPECT_THAT(ValuesOf(table, "a", "C"), ElementsAre("q"));
  EXPECT_THAT(ValuesOf(table, "b", "C"), ElementsAre("x"));
}

TEST_F(ItemsCsvTest, SkipsEmptyLines) {
  ASSERT_OK_AND_ASSIGN(const ItemAttributes table,
                       ParseItemsCsv("\n\r\nITEM_ID,C\n\na,x\r\n\r\n\nb,y\n\n"));
  ASSERT_EQ(table.num_rows(), 2);
  EXPECT_EQ(table.item_id(1), "b");
}

TEST_F(ItemsCsvTest, SkipsAByteOrderMark) {
  ASSERT_OK_AND_ASSIGN(const ItemAttributes table, ParseItemsCsv("\xEF\xBB\xBFITEM_ID,C\na,x\n"));
  EXPECT_EQ(table.item_id(0), "a");
  EXPECT_REFUSED("\xEF\xBB\xBFITEM_ID,C,C\n", "items.csv:1:11: duplicate column C");
}

TEST_F(ItemsCsvTest, DetectsNumericColumnsWithoutASuffix) {
  ASSERT_OK_AND_ASSIGN(const ItemAttributes table,
                       ParseItemsCsv("ITEM_ID,PRICE,ZIP,EMPTY,MIXED,INF,HUGE\n"
                                     "a,1.5,01234,,1,inf,1\n"
                                     "b,,-2e3,  ,x,1,1e999\n"));
  EXPECT_EQ(KindOf(table, "PRICE"), AttributeKind::kNumeric);
  EXPECT_THAT(NumberOf(table, "a", "PRICE"), Optional(1.5));
  EXPECT_EQ(NumberOf(table, "b", "PRICE"), std::nullopt);
  EXPECT_EQ(KindOf(table, "ZIP"), AttributeKind::kNumeric);
  EXPECT_THAT(NumberOf(table, "a", "ZIP"), Optional(1234.0));
  EXPECT_THAT(NumberOf(table, "b", "ZIP"), Optional(-2000.0));
  // No value at all: categorical, every cell missing.
  EXPECT_EQ(KindOf(table, "EMPTY"), AttributeKind::kCategorical);
  EXPECT_THAT(ValuesOf(table, "a", "EMPTY"), IsEmpty());
  EXPECT_EQ(KindOf(table, "MIXED"), AttributeKind::kCategorical);
  EXPECT_THAT(ValuesOf(table, "a", "MIXED"), ElementsAre("1"));
  // Neither infinity nor an overflowing number is a finite number.
  EXPECT_EQ(KindOf(table, "INF"), AttributeKind::kCategorical);
  EXPECT_THAT(ValuesOf(table, "a", "INF"), ElementsAre("inf"));
  EXPECT_EQ(KindOf(table, "HUGE"), AttributeKind::kCategorical);
}

TEST_F(ItemsCsvTest, TypeSuffixesForceTheKindIgnoringCase) {
  ASSERT_OK_AND_ASSIGN(const ItemAttributes table,
                       ParseItemsCsv("ITEM_ID,code:Category,RANK:NUMBER, size : number \n"
                                     "a,123,4,\nb,,,\n"));
  ASSERT_EQ(table.fields().size(), 3u);
  EXPECT_EQ(table.fields()[0].name, "CODE");
  EXPECT_EQ(KindOf(table, "CODE"), AttributeKind::kCategorical);
  EXPECT_THAT(ValuesOf(table, "a", "CODE"), ElementsAre("123"));
  EXPECT_EQ(KindOf(table, "RANK"), AttributeKind::kNumeric);
  EXPECT_THAT(NumberOf(table, "a", "RANK"), Optional(4.0));
  EXPECT_EQ(table.fields()[2].name, "SIZE");
  EXPECT_EQ(KindOf(table, "SIZE"), AttributeKind::kNumeric);
  EXPECT_EQ(NumberOf(table, "a", "SIZE"), std::nullopt);
}

TEST_F(ItemsCsvTest, ReadsCreationTimestampsTruncatingTowardZero) {
  ASSERT_OK_AND_ASSIGN(
      const ItemAttributes table,
      ParseItemsCsv("ITEM_ID,CREATION_TIMESTAMP\na,1700000000\n"
                    "b,1700000000.999\nc,\nd,1.5e9\ne, 0 \nf,9223372036854775807\n"));
  EXPECT_THAT(table.creation_timestamp_s(0), Optional(1700000000));
  EXPECT_THAT(table.creation_timestamp_s(1), Optional(1700000000));
  EXPECT_EQ(table.creation_timestamp_s(2), std::nullopt);
  EXPECT_THAT(table.creation_timestamp_s(3), Optional(1500000000));
  EXPECT_THAT(table.creation_timestamp_s(4), Optional(0));
  EXPECT_THAT(table.creation_timestamp_s(5), Optional(std::numeric_limits<int64_t>::max()));
}

TEST_F(ItemsCsvTest, RefusesAnEmptyInput) {
  EXPECT_REFUSED("", "items.csv:1:1: empty input (no header line)");
  EXPECT_REFUSED("\n\r\n", "items.csv:1:1: empty input (no header line)");
  EXPECT_THAT(ParseItemsCsv("", "catalogue.csv"),
              StatusIs(absl::StatusCode::kInvalidArgument, "catalogue.csv:1:1: empty input"));
}

TEST_F(ItemsCsvTest, RefusesAHeaderWithoutItemId) {
  EXPECT_REFUSED("\nID,COLOR\na,red\n", "items.csv:2:1: no ITEM_ID column");
}

TEST_F(ItemsCsvTest, RefusesADuplicateColumn) {
  EXPECT_REFUSED("ITEM_ID,color,COLOR:number\n", "items.csv:1:15: duplicate column COLOR");
  EXPECT_REFUSED("ITEM_ID,C,item_id\n", "items.csv:1:11: duplicate column ITEM_ID");
  EXPECT_REFUSED("ITEM_ID,CREATION_TIMESTAMP,creation_timestamp\n",
                 "items.csv:1:28: duplicate column CREATION_TIMESTAMP");
}

TEST_F(ItemsCsvTest, RefusesAnUnknownTypeSuffix) {
  EXPECT_REFUSED("ITEM_ID,PRICE:float\n",
                 "items.csv:1:9: unknown type suffix \":float\" (expected :number or :category)");
  EXPECT_REFUSED("ITEM_ID,C,PRICE:\n", "items.csv:1:11: unknown type suffix \":\"");
}

TEST_F(ItemsCsvTest, RefusesATypeSuffixOnItemIdOrTheTimestamp) {
  EXPECT_REFUSED("ITEM_ID:category,C\n", "items.csv:1:1: column ITEM_ID takes no type suffix");
  EXPECT_REFUSED("ITEM_ID,CREATION_TIMESTAMP:number\n",
                 "items.csv:1:9: column CREATION_TIMESTAMP takes no type suffix");
}

TEST_F(ItemsCsvTest, RefusesAColumnNameThatIsNotAnIdentifier) {
  EXPECT_REFUSED("ITEM_ID,COLOR-2\n",
                 "items.csv:1:9: column name \"COLOR-2\" is not [A-Za-z_][A-Za-z0-9_]*");
  EXPECT_REFUSED("ITEM_ID,C,,D\n", "items.csv:1:11: column name \"\" is not");
}

TEST_F(ItemsCsvTest, RefusesMoreThan64Fields) {
  std::string header = "ITEM_ID";
  for (int i = 0; i < kMaxAttributeFields; ++i) header += ",F" + std::to_string(i);
  EXPECT_OK(ParseItemsCsv(header + ",CREATION_TIMESTAMP\n"));
  const int64_t column = static_cast<int64_t>(header.size()) + 2;
  EXPECT_REFUSED(header + ",EXTRA\n",
                 "items.csv:1:" + std::to_string(column) + ": more than 64 fields besides ITEM_ID");
}

TEST_F(ItemsCsvTest, RefusesARowWithMoreFieldsThanTheHeader) {
  EXPECT_REFUSED("ITEM_ID,C\na,x\nb,y,z\n", "items.csv:3:5: the row has 3 fields, the header 2");
}

TEST_F(ItemsCsvTest, RefusesARowWithFewerFieldsThanTheHeader) {
  EXPECT_REFUSED("ITEM_ID,C,D\na,xy\r\n", "items.csv:2:5: the row has 2 fields, the header 3");
}

TEST_F(ItemsCsvTest, RefusesAnUnterminatedQuote) {
  EXPECT_REFUSED("ITEM_ID,C\na,\"xyz\nb,c\n", "items.csv:2:3: unterminated quoted field");
  EXPECT_REFUSED("ITEM_ID,\"C\n", "items.csv:1:9: unterminated quoted field");
}

TEST_F(ItemsCsvTest, RefusesACharacterAfterAClosingQuote) {
  EXPECT_REFUSED("ITEM_ID,C\na,\"x\"y\n",
                 "items.csv:2:3: unexpected character after a closing quote");
}

TEST_F(ItemsCsvTest, RefusesACellOfANumberColumnThatIsNotAFiniteNumber) {
  EXPECT_REFUSED("ITEM_ID,P:number\na,1\nb, 2x \n",
                 "items.csv:3:3: field P: \"2x\" is not a finite number");
  EXPECT_REFUSED("ITEM_ID,P:number\na,inf\n", "items.csv:2:3: field P: \"inf\" is not");
  EXPECT_REFUSED("ITEM_ID,P:number\na,nan\n", "items.csv:2:3: field P: \"nan\" is not");
  EXPECT_REFUSED("ITEM_ID,P:number\na,1e999\n", "items.csv:2:3: field P: \"1e999\" is not");
}

TEST_F(ItemsCsvTest, RefusesABadCreationTimestamp) {
  EXPECT_REFUSED("ITEM_ID,CREATION_TIMESTAMP\na,-5\n",
                 "items.csv:2:3: CREATION_TIMESTAMP: negative timestamp (\"-5\")");
  EXPECT_REFUSED("ITEM_ID,CREATION_TIMESTAMP\nab,-0.5\n",
                 "items.csv:2:4: CREATION_TIMESTAMP: negative timestamp");
  EXPECT_REFUSED("ITEM_ID,CREATION_TIMESTAMP\na,soon\n",
                 "items.csv:2:3: CREATION_TIMESTAMP: timestamp is not a number (\"soon\")");
  EXPECT_REFUSED("ITEM_ID,CREATION_TIMESTAMP\na,12x\n", "items.csv:2:3: CREATION_TIMESTAMP");
  EXPECT_REFUSED("ITEM_ID,CREATION_TIMESTAMP\na,nan\n", "items.csv:2:3: CREATION_TIMESTAMP");
  EXPECT_REFUSED("ITEM_ID,CREATION_TIMESTAMP\na,9223372036854775808\n",
                 "items.csv:2:3: CREATION_TIMESTAMP: timestamp out of range");
  EXPECT_REFUSED("ITEM_ID,CREATION_TIMESTAMP\na,1e19\n",
                 "items.csv:2:3: CREATION_TIMESTAMP: timestamp out of range");
}

TEST_F(ItemsCsvTest, RefusesADuplicateItemId) {
  EXPECT_REFUSED("C,ITEM_ID\nx,a\ny,b\nz,a\n", "items.csv:4:3: duplicate item id \"a\"");
}

TEST_F(ItemsCsvTest, RefusesAnEmptyItemId) {
  EXPECT_REFUSED("C,ITEM_ID\nx,\n", "items.csv:2:3: empty item id");
}

TEST_F(ItemsCsvTest, RefusesAnItemIdWithAControlCharacter) {
  EXPECT_REFUSED("C,ITEM_ID\nx,\"a\nb\"\n", "items.csv:2:3: item id \"a\\nb\" holds a control");
}

TEST_F(ItemsCsvTest, RefusesAnItemIdLongerThan256Bytes) {
  EXPECT_OK(ParseItemsCsv("ITEM_ID\n" + std::string(256, 'a') + "\n"));
  EXPECT_REFUSED("C,ITEM_ID\nx," + std::string(257, 'a') + "\n", "items.csv:2:3: item id \"aaaa");
}

TEST_F(ItemsCsvTest, RefusesAnEmptyValueBetweenPipes) {
  EXPECT_REFUSED("ITEM_ID,C,D\na,x,y| |z\n", "items.csv:2:5: field D: empty value");
  EXPECT_REFUSED("ITEM_ID,C,D\na,x,y|\n", "items.csv:2:5: field D: empty value");
}

TEST_F(ItemsCsvTest, RefusesMoreThan64ValuesInACell) {
  std::string cell = "v0";
  for (int i = 1; i < kMaxValuesPerItemField; ++i) cell += "|v" + std::to_string(i);
  EXPECT_OK(ParseItemsCsv("ITEM_ID,C\na," + cell + "|v0\n"));
  EXPECT_REFUSED("ITEM_ID,C\na," + cell + "|v64\n",
                 "items.csv:2:3: field C: more than 64 values (65)");
}

TEST_F(ItemsCsvTest, RefusesAValueLongerThan256Bytes) {
  EXPECT_OK(ParseItemsCsv("ITEM_ID,C\na,x|" + std::string(256, 'v') + "\n"));
  EXPECT_REFUSED("ITEM_ID,C\na,x|" + std::string(257, 'v') + "\n",
                 "items.csv:2:3: field C: value \"vvvv");
}

TEST_F(ItemsCsvTest, RefusesAFieldPastTheMaximumOfDistinctValues) {
  std::string content = "C,ITEM_ID\n";
  for (int32_t i = 0; i <= kMaxDistinctValues; ++i) {
    content += "v" + std::to_string(i) + ",i" + std::to_string(i) + "\n";
  }
  EXPECT_REFUSED(content, "items.csv:100002:1: field C: more than 100000 distinct values");
}

TEST_F(ItemsCsvTest, ReportsTheEarliestErrorOfTheFile) {
  // A duplicate id (line 3) comes before a malformed row (line 4), and the other way round.
  EXPECT_REFUSED("ITEM_ID,C\na,x\na,y\nb,x,z\n", "items.csv:3:1: duplicate item id");
  EXPECT_REFUSED("ITEM_ID,C\na,x,z\na,y\n", "items.csv:2:5: the row has 3 fields");
  EXPECT_REFUSED("ITEM_ID,C\na,x\nb,\"y\na,z\n", "items.csv:3:3: unterminated quoted field");
}

TEST_F(ItemsCsvTest, CountsPhysicalLinesInsideQuotedFields) {
  EXPECT_REFUSED("ITEM_ID,C\na,\"two\r\nlines\"\na,z\n", "items.csv:4:1: duplicate item id");
  EXPECT_REFUSED("ITEM_ID,C,P:number\na,\"x\ny\",zz\n",
                 "items.csv:3:4: field P: \"zz\" is not a finite number");
}

TEST_F(ItemsCsvTest, SerializesTheCanonicalForm) {
  ASSERT_OK_AND_ASSIGN(ItemAttributes::Builder builder,
                       ItemAttributes::Builder::Create({{"color", AttributeKind::kCategorical},
                                                        {"price", AttributeKind::kNumeric}}));
  ASSERT_OK(builder.AddRow("a", {Cell{{"red", "navy"}, std::nullopt}, Cell{{}, 10}}, 5));
  ASSERT_OK(builder.AddRow("b,\"q\"", {Cell{}, Cell{{}, 0.1}}));
  ASSERT_OK(builder.AddRow("c", {Cell{{"navy", "green, light"}, std::nullopt}, Cell{}}));
  EXPECT_EQ(SerializeItemsCsv(std::move(builder).Build()),
            "ITEM_ID,COLOR:category,PRICE:number,CREATION_TIMESTAMP\n"
            "a,red|navy,10,5\n"
            "\"b,\"\"q\"\"\",,0.1,\n"
            "c,\"navy|green, light\",,\n");
}

TEST_F(ItemsCsvTest, OmitsTheTimestampColumnWhenNoRowHasOne) {
  ASSERT_OK_AND_ASSIGN(ItemAttributes::Builder builder,
                       ItemAttributes::Builder::Create({{"N", AttributeKind::kNumeric}}));
  ASSERT_OK(builder.AddRow("a", {Cell{{}, -3}}));
  EXPECT_EQ(SerializeItemsCsv(std::move(builder).Build()), "ITEM_ID,N:number\na,-3\n");
  EXPECT_EQ(SerializeItemsCsv(ItemAttributes()), "ITEM_ID\n");
}

TEST_F(ItemsCsvTest, WritesNumbersInTheShortestFormThatReadsBack) {
  ASSERT_OK_AND_ASSIGN(ItemAttributes::Builder builder,
                       ItemAttributes::Builder::Create({{"N", AttributeKind::kNumeric}}));
  const std::vector<double> numbers = {
      0.1, 1e300, 1.0 / 3, -0.0, 123456789012.0, 5e-324, std::numeric_limits<double>::max()};
  for (size_t i = 0; i < numbers.size(); ++i) {
    ASSERT_OK(builder.AddRow(std::to_string(i), {Cell{{}, numbers[i]}}));
  }
  const ItemAttributes table = std::move(builder).Build();
  const std::string csv = SerializeItemsCsv(table);
  EXPECT_EQ(csv,
            "ITEM_ID,N:number\n0,0.1\n1,1e+300\n2,0.3333333333333333\n3,-0\n4,123456789012\n"
            "5,5e-324\n6,1.7976931348623157e+308\n");
  ASSERT_OK_AND_ASSIGN(const ItemAttributes parsed, ParseItemsCsv(csv));
  for (size_t i = 0; i < numbers.size(); ++i) {
    EXPECT_THAT(parsed.Numeric(static_cast<int64_t>(i), 0), Optional(numbers[i]));
  }
}

TEST_F(ItemsCsvTest, RoundTripsATableWithAwkwardValues) {
  ASSERT_OK_AND_ASSIGN(ItemAttributes::Builder builder,
                       ItemAttributes::Builder::Create({{"TEXT", AttributeKind::kCategorical},
                                                        {"DIGITS", AttributeKind::kCategorical},
                                                        {"UNSET", AttributeKind::kNumeric},
                                                        {"score", AttributeKind::kNumeric},
                                                        {"NOTHING", AttributeKind::kCategorical}}));
  const auto values = [](std::vector<std::string> v) { return Cell{std::move(v), std::nullopt}; };
  const auto number = [](double x) { return Cell{{}, x}; };
  ASSERT_OK(builder.AddRow("x,\"y\"",
                           {values({"dark red, \"matte\"", "multi\nline", "\r"}),
                            values({"1", "2"}), Cell{}, number(1.0 / 3), Cell{}},
                           0));
  ASSERT_OK(builder.AddRow(" leading space", {values({"tab\tin", "ünïcode", "\"", "multi\nline"}),
                                              values({"007"}), Cell{}, number(-1e-300), Cell{}}));
  ASSERT_OK(builder.AddRow("trailing space ", {Cell{}, Cell{}, Cell{}, Cell{}, Cell{}},
                           std::numeric_limits<int64_t>::max()));
  ASSERT_OK(builder.AddRow("\"quoted\"", {values({"a,b", "'", "=1+2"}), values({"-0", "1e5"}),
                                          Cell{}, number(-0.0), Cell{}}));
  ASSERT_OK(builder.AddRow("ü", {values({"\"", "\t"}), Cell{}, Cell{}, number(1e300), Cell{}}, 7));
  const ItemAttributes table = std::move(builder).Build();
  const std::string csv = SerializeItemsCsv(table);
  ASSERT_OK_AND_ASSIGN(const ItemAttributes parsed, ParseItemsCsv(csv));
  ExpectSameTable(table, parsed);
  EXPECT_EQ(SerializeItemsCsv(parsed), csv);
}

TEST_F(ItemsCsvTest, RoundTripsAnAlignedTable) {
  ASSERT_OK_AND_ASSIGN(const ItemAttributes table,
                       ParseItemsCsv("ITEM_ID,C,N\na,x|y,1\nb,y|z,\nc,w,3\n"));
  const std::vector<std::string> ids = {"c", "new", "a"};
  const ItemAttributes aligned = table.AlignedTo(ids);
  ASSERT_OK_AND_ASSIGN(const ItemAttributes parsed, ParseItemsCsv(SerializeItemsCsv(aligned)));
  ExpectSameTable(aligned, parsed);
}

TEST_F(ItemsCsvTest, ReadsAPlainFile) {
  const std::string path = Write("items.csv", "ITEM_ID,C\na,x\nb,y");
  ASSERT_OK_AND_ASSIGN(const ItemAttributes table, ReadItemsCsvFile(path));
  EXPECT_EQ(table.num_rows(), 2);
  EXPECT_THAT(ValuesOf(table, "b", "C"), ElementsAre("y"));
}

TEST_F(ItemsCsvTest, ReadsAGzipFileByItsMagicBytes) {
  std::string content = "ITEM_ID,GENRE,PRICE\n";
  const int kRows = 100000;  // ~3 MB, several read chunks.
  for (int i = 0; i < kRows; ++i) {
    content += "item" + std::to_string(i) + ",g" + std::to_string(i % 7) + "|h," +
               std::to_string(i) + ".5\n";
  }
  const std::string path = WriteGzip("items.data", content);  // No ".gz" to go by.
  ASSERT_OK_AND_ASSIGN(const ItemAttributes table, ReadItemsCsvFile(path));
  ASSERT_EQ(table.num_rows(), kRows);
  // Value ids are in first-seen order: g0, h, g1, ...
  EXPECT_THAT(ValuesOf(table, "item12345", "GENRE"), ElementsAre("h", "g4"));
  EXPECT_THAT(NumberOf(table, "item99999", "PRICE"), Optional(99999.5));
  EXPECT_EQ(table.RowsWithValue(0, *table.FindValue(0, "h")).size(), static_cast<size_t>(kRows));
}

TEST_F(ItemsCsvTest, NamesTheFileInParseErrors) {
  const std::string plain = Write("bad.csv", "ITEM_ID,C\na,x\na,y\n");
  EXPECT_THAT(ReadItemsCsvFile(plain),
              StatusIs(absl::StatusCode::kInvalidArgument, plain + ":3:1: duplicate item id"));
  const std::string gzip = WriteGzip("bad.csv.gz", "ITEM_ID,C\na,x,y\n");
  EXPECT_THAT(ReadItemsCsvFile(gzip),
              StatusIs(absl::StatusCode::kInvalidArgument, gzip + ":2:5: the row has 3 fields"));
}

TEST_F(ItemsCsvTest, RefusesAMissingFile) {
  const std::string path = (Dir() / "missing.csv").string();
  EXPECT_THAT(ReadItemsCsvFile(path), StatusIs(absl::StatusCode::kNotFound, path));
}

TEST_F(ItemsCsvTest, RefusesAPathThatIsNotAReadableFile) {
  EXPECT_THAT(ReadItemsCsvFile(Dir().string()),
              StatusIs(absl::StatusCode::kInvalidArgument, Dir().string() + ": cannot read"));
}

TEST_F(ItemsCsvTest, RefusesATruncatedGzipFile) {
  std::string content = "ITEM_ID\n";
  for (int i = 0; i < 50000; ++i) content += "item" + std::to_string(i) + "\n";
  const std::string path = WriteGzip("cut.csv.gz", content);
  fs::resize_file(path, fs::file_size(path) / 2);
  EXPECT_THAT(ReadItemsCsvFile(path), StatusIs(absl::StatusCode::kInvalidArgument,
                                               path + ": corrupt or truncated gzip data"));
}

}  // namespace
}  // namespace hrnn
