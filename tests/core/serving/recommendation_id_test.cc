// Recommendation ids (core/serving/recommendation_id.h): fresh ids are 32 lowercase hex digits
// and differ; an id with an arm round-trips; anything else is not an id of ours.
#include "core/serving/recommendation_id.h"

#include <set>
#include <string>

#include "gtest/gtest.h"

namespace hrnn {
namespace {

TEST(RecommendationIdTest, FreshIdsAreDistinct32HexDigitsAndParse) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string id = NewRecommendationId();
    ASSERT_EQ(id.size(), 32u);
    std::optional<ParsedRecommendationId> parsed = ParseRecommendationId(id);
    ASSERT_TRUE(parsed.has_value()) << id;
    EXPECT_EQ(parsed->random, id);
    EXPECT_TRUE(parsed->experiment.empty());
    EXPECT_TRUE(parsed->arm.empty());
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(RecommendationIdTest, AnIdWithAnArmRoundTrips) {
  const std::string random = NewRecommendationId();
  const std::string id = RecommendationIdWithArm(random, "blend-vs-knn", "knn.v2");
  EXPECT_EQ(id, random + ":blend-vs-knn:knn.v2");
  std::optional<ParsedRecommendationId> parsed = ParseRecommendationId(id);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->random, random);
  EXPECT_EQ(parsed->experiment, "blend-vs-knn");
  EXPECT_EQ(parsed->arm, "knn.v2");
}

TEST(RecommendationIdTest, OtherStringsAreNotOurIds) {
  const std::string hex(32, 'a');
  for (const std::string& id :
       {std::string(""), std::string("campaign-42"), std::string(31, 'a'), hex + "0",
        std::string(32, 'A'), std::string(31, 'a') + "g", hex + ":", hex + ":e",
        hex + ":e:", hex + "::a", hex + ":e:a:b", hex + "-e:a"}) {
    EXPECT_FALSE(ParseRecommendationId(id).has_value()) << id;
  }
}

}  // namespace
}  // namespace hrnn
