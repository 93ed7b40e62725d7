#include "client/filter_values.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace hrnn::client {
namespace {

using ::hrnn::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// The values of `param` in `filter` (empty when it has none).
std::vector<std::string> ValuesOf(const hrnn::v1::Filter& filter, const std::string& param) {
  const auto it = filter.values().find(param);
  if (it == filter.values().end()) return {};
  return {it->second.values().begin(), it->second.values().end()};
}

TEST(SetNamedFilterTest, OneParameterWithSeveralValues) {
  hrnn::v1::Filter filter;
  ASSERT_OK(SetNamedFilter("by_color", "COLORS=red|navy", &filter));
  EXPECT_EQ(filter.name(), "by_color");
  ASSERT_EQ(filter.values_size(), 1);
  EXPECT_THAT(ValuesOf(filter, "COLORS"), ElementsAre("red", "navy"));
}

TEST(SetNamedFilterTest, SeveralParameters) {
  hrnn::v1::Filter filter;
  ASSERT_OK(SetNamedFilter("cheaper_than", "MAX_PRICE=20;COLORS=red|navy|green;X=a=b", &filter));
  ASSERT_EQ(filter.values_size(), 3);
  EXPECT_THAT(ValuesOf(filter, "MAX_PRICE"), ElementsAre("20"));
  EXPECT_THAT(ValuesOf(filter, "COLORS"), ElementsAre("red", "navy", "green"));
  EXPECT_THAT(ValuesOf(filter, "X"), ElementsAre("a=b"));  // Split at the first '='.
}

TEST(SetNamedFilterTest, TrimsAroundTokensAndKeepsSpacesInsideValues) {
  hrnn::v1::Filter filter;
  ASSERT_OK(SetNamedFilter("f", "  COLORS = navy blue |\tred ; MAX_PRICE= 20  ", &filter));
  EXPECT_THAT(ValuesOf(filter, "COLORS"), ElementsAre("navy blue", "red"));
  EXPECT_THAT(ValuesOf(filter, "MAX_PRICE"), ElementsAre("20"));
  EXPECT_EQ(filter.values_size(), 2);
}

TEST(SetNamedFilterTest, EmptySpecMeansNoValues) {
  for (const char* spec : {"", "   ", "\t"}) {
    hrnn::v1::Filter filter;
    ASSERT_OK(SetNamedFilter("no_params", spec, &filter));
    EXPECT_EQ(filter.name(), "no_params") << "\"" << spec << "\"";
    EXPECT_THAT(filter.values(), IsEmpty()) << "\"" << spec << "\"";
  }
}

TEST(SetNamedFilterTest, ReplacesNameAndValuesAndKeepsTheOtherFields) {
  hrnn::v1::Filter filter;
  filter.set_exclude_purchased(true);
  filter.add_exclude_item_ids("i1");
  ASSERT_OK(SetNamedFilter("old", "A=1;B=2", &filter));
  ASSERT_OK(SetNamedFilter("new", "C=3", &filter));
  EXPECT_EQ(filter.name(), "new");
  ASSERT_EQ(filter.values_size(), 1);
  EXPECT_THAT(ValuesOf(filter, "C"), ElementsAre("3"));
  EXPECT_TRUE(filter.exclude_purchased());
  EXPECT_THAT(filter.exclude_item_ids(), ElementsAre("i1"));
  // An empty name and spec clear the named filter.
  ASSERT_OK(SetNamedFilter("", "", &filter));
  EXPECT_EQ(filter.name(), "");
  EXPECT_THAT(filter.values(), IsEmpty());
  EXPECT_TRUE(filter.exclude_purchased());
}

struct BadSpec {
  const char* name;
  const char* spec;
  const char* message;  // A substring of the error.
};

TEST(SetNamedFilterTest, ErrorsNameTheProblemAndItsPosition) {
  const BadSpec cases[] = {
      // A part without '='.
      {"f", "COLORS", "part 1 (column 1) \"COLORS\" has no '='"},
      {"f", "A=1; COLORS red", "part 2 (column 6) \"COLORS red\" has no '='"},
      // Empty parts: a trailing, leading or doubled ';'.
      {"f", "A=1;", "part 2 (column 5) is empty"},
      {"f", ";A=1", "part 1 (column 1) is empty"},
      {"f", "A=1; ;B=2", "part 2 (column 5) is empty"},
      // An empty parameter name.
      {"f", "=red", "part 1 (column 1) \"=red\" has an empty parameter name before '='"},
      {"f", "A=1;  = red", "part 2 (column 7) \"= red\" has an empty parameter name"},
      // A parameter given twice (after trimming).
      {"f", "COLORS=red;MAX=1; COLORS =navy",
       "part 3 (column 19): parameter \"COLORS\" is given twice"},
      // Empty values.
      {"f", "COLORS=", "part 1 (column 1): value 1 (column 8) of parameter \"COLORS\" is empty"},
      {"f", "COLORS=red||navy",
       "part 1 (column 1): value 2 (column 12) of parameter \"COLORS\" is empty"},
      {"f", "A=1;COLORS=red|  ", "part 2 (column 5): value 2 (column 16) of parameter"},
      {"f", "COLORS= |red", "value 1 (column 8) of parameter \"COLORS\" is empty"},
      // Values without a filter name.
      {"", "COLORS=red", "values \"COLORS=red\" are given without a filter name"},
  };
  for (const BadSpec& bad : cases) {
    hrnn::v1::Filter filter;
    filter.set_name("before");
    (*filter.mutable_values())["KEPT"].add_values("v");
    EXPECT_THAT(SetNamedFilter(bad.name, bad.spec, &filter),
                StatusIs(absl::StatusCode::kInvalidArgument, bad.message))
        << "name \"" << bad.name << "\", spec \"" << bad.spec << "\"";
    // On error the filter is unchanged.
    EXPECT_EQ(filter.name(), "before") << bad.spec;
    EXPECT_THAT(ValuesOf(filter, "KEPT"), ElementsAre("v")) << bad.spec;
    EXPECT_EQ(filter.values_size(), 1) << bad.spec;
  }
}

}  // namespace
}  // namespace hrnn::client
