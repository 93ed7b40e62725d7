#include "client/routing_metadata.h"

#include <string>

#include "gtest/gtest.h"

namespace hrnn::client {
namespace {

TEST(UserIdMetadataValueTest, PrintableAsciiIsKept) {
  EXPECT_EQ(UserIdMetadataValue("user-42 A~z"), "user-42 A~z");
  EXPECT_EQ(UserIdMetadataValue(""), "");
}

TEST(UserIdMetadataValueTest, OtherBytesAndPercentAreEscaped) {
  EXPECT_EQ(UserIdMetadataValue("50%"), "50%25");
  EXPECT_EQ(UserIdMetadataValue("\xC3\xBC"), "%C3%BC");
  EXPECT_EQ(UserIdMetadataValue(std::string("a\0b\n\x7F", 5)), "a%00b%0A%7F");
}

TEST(UserIdMetadataValueTest, DistinctIdsGiveDistinctValues) {
  EXPECT_NE(UserIdMetadataValue("%25"), UserIdMetadataValue("%"));
}

}  // namespace
}  // namespace hrnn::client
