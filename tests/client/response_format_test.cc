#include "client/response_format.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace hrnn::client {
namespace {

using ::testing::HasSubstr;

TEST(ResponseFormatTest, RecommendationsTable) {
  hrnn::v1::GetRecommendationsResponse response;
  response.set_state("session");
  response.set_model_version(3);
  response.set_recommendation_id("r1");
  auto* item = response.add_items();
  item->set_item_id("i12");
  item->set_score(1.5f);
  item = response.add_items();
  item->set_item_id("a-very-long-item-id");
  item->set_score(-0.25f);
  EXPECT_EQ(FormatRecommendations(response),
            "2 item(s), state session, model 3, recommendation r1\n"
            "rank  item_id                   score\n"
            "   1  i12                      1.5000\n"
            "   2  a-very-long-item-id     -0.2500\n");
}

TEST(ResponseFormatTest, RecommendationsNameTheRecipeAndTheBackFill) {
  hrnn::v1::GetRecommendationsResponse response;
  response.set_state("user");
  response.set_model_version(2);
  response.set_recommendation_id("r2");
  response.set_recipe("sknn");
  response.set_backfilled(3);
  EXPECT_THAT(FormatRecommendations(response),
              HasSubstr("0 item(s), state user, recipe sknn (3 back-filled), model 2, "
                        "recommendation r2\n"));
  response.set_backfilled(0);
  EXPECT_THAT(FormatRecommendations(response), HasSubstr("state user, recipe sknn, model 2"));
  response.set_experiment("gru-vs-knn");
  response.set_arm("knn");
  EXPECT_THAT(FormatRecommendations(response),
              HasSubstr("state user, recipe sknn, arm knn of experiment gru-vs-knn, model 2"));
}

TEST(ResponseFormatTest, PromotedItemsGetAPromotionColumn) {
  hrnn::v1::GetRecommendationsResponse response;
  response.set_state("session");
  response.set_model_version(3);
  response.set_recommendation_id("r1");
  hrnn::v1::ScoredItem* regular = response.add_items();
  regular->set_item_id("i1");
  regular->set_score(2);
  hrnn::v1::ScoredItem* promoted = response.add_items();
  promoted->set_item_id("i2");
  promoted->set_score(0.5);
  promoted->set_promotion("sale");
  EXPECT_EQ(FormatRecommendations(response),
            "2 item(s), state session, model 3, recommendation r1\n"
            "rank  item_id       score  promotion\n"
            "   1  i1           2.0000  \n"
            "   2  i2           0.5000  sale\n");
}

TEST(ResponseFormatTest, SimilarItemsNameTheRecipeAndTheBackFill) {
  hrnn::v1::GetSimilarItemsResponse response;
  response.set_model_version(3);
  response.set_recommendation_id("s1");
  response.set_recipe("auto");
  response.set_backfilled(1);
  hrnn::v1::ScoredItem* item = response.add_items();
  item->set_item_id("dress-9");
  item->set_score(1.25f);
  EXPECT_EQ(FormatSimilarItems(response),
            "1 item(s), recipe auto (1 back-filled), model 3, recommendation s1\n"
            "rank  item_id       score\n"
            "   1  dress-9      1.2500\n");
}

TEST(ResponseFormatTest, RankingMarksUnknownItems) {
  hrnn::v1::GetPersonalizedRankingResponse response;
  response.add_items()->set_item_id("x");
  EXPECT_THAT(FormatRanking(response), HasSubstr("   1  x            0.0000  unknown\n"));
}

TEST(ResponseFormatTest, PutEventsListsRejections) {
  hrnn::v1::PutEventsResponse response;
  response.set_accepted(2);
  auto* rejected = response.add_rejected();
  rejected->set_index(1);
  rejected->set_reason("item_id: must not be empty");
  EXPECT_EQ(FormatPutEvents(response),
            "accepted 2, rejected 1\n  event 1: item_id: must not be empty\n");
}

TEST(ResponseFormatTest, ModelInfoRowsAndSortedMetrics) {
  hrnn::v1::ModelInfo info;
  info.set_name("demo");
  info.set_version(4);
  info.set_loaded_at_ms(1700000000000);
  (*info.mutable_metrics())["z"] = 2;
  (*info.mutable_metrics())["a"] = 0.5;
  info.add_recipes("hrnn");
  info.add_recipes("auto");
  info.set_default_recipe("auto");
  (*info.mutable_blend_weights())["sknn"] = 0.25;
  (*info.mutable_blend_weights())["hrnn"] = 1;
  hrnn::v1::ItemField* field = info.add_item_fields();
  field->set_name("COLOR");
  field->set_kind("categorical");
  field = info.add_item_fields();
  field->set_name("PRICE");
  field->set_kind("numeric");
  info.set_items_with_attributes(120);
  const std::string text = FormatModelInfo(info);
  EXPECT_THAT(text, HasSubstr("item_fields        COLOR (categorical), PRICE (numeric)\n"));
  EXPECT_THAT(text, HasSubstr("attribute_items    120\n"));
  EXPECT_THAT(text, HasSubstr("recipes            hrnn, auto\n"));
  EXPECT_THAT(text, HasSubstr("default_recipe     auto\n"));
  EXPECT_THAT(text, HasSubstr("blend_weights      hrnn 1, sknn 0.25\n"));
  EXPECT_THAT(text, HasSubstr("name               demo\n"));
  EXPECT_THAT(text, HasSubstr("version            4\n"));
  EXPECT_THAT(text, HasSubstr("loaded_at          2023-11-14T22:13:20+00:00\n"));
  EXPECT_THAT(text, HasSubstr("created_at         -\n"));
  EXPECT_LT(text.find("metric a"), text.find("metric z"));
}

TEST(ResponseFormatTest, FiltersOneLineEachWithNumericParametersMarked) {
  hrnn::v1::ListFiltersResponse response;
  EXPECT_EQ(FormatFilters(response), "");
  hrnn::v1::NamedFilterInfo* filter = response.add_filters();
  filter->set_name("new_in");
  filter->set_expression("INCLUDE ItemID WHERE Items.IS_NEW = \"yes\"");
  filter = response.add_filters();
  filter->set_name("cheap");
  filter->set_expression("EXCLUDE ItemID WHERE Items.PRICE > $MAX OR Items.COLOR IN ($COLORS)");
  hrnn::v1::FilterParameterInfo* parameter = filter->add_parameters();
  parameter->set_name("MAX");
  parameter->set_numeric(true);
  filter->add_parameters()->set_name("COLORS");
  EXPECT_EQ(FormatFilters(response),
            "new_in(): INCLUDE ItemID WHERE Items.IS_NEW = \"yes\"\n"
            "cheap(MAX:number, COLORS): EXCLUDE ItemID WHERE Items.PRICE > $MAX OR Items.COLOR IN "
            "($COLORS)\n");
}

TEST(ResponseFormatTest, JsonUsesProtoFieldNamesAndPrintsDefaults) {
  hrnn::v1::GetRecommendationsResponse response;
  response.set_model_version(3);
  response.add_items()->set_item_id("i1");
  ASSERT_OK_AND_ASSIGN(const std::string json, ToJson(response));
  EXPECT_THAT(json, HasSubstr("\"model_version\":\"3\""));
  EXPECT_THAT(json, HasSubstr("\"item_id\":\"i1\""));
  EXPECT_THAT(json, HasSubstr("\"score\":0"));
  EXPECT_THAT(json, HasSubstr("\"recommendation_id\":\"\""));
  EXPECT_EQ(json.find('\n'), std::string::npos);
}

TEST(ResponseFormatTest, ServingStatusNames) {
  EXPECT_EQ(ServingStatusName(::grpc::health::v1::HealthCheckResponse::SERVING), "SERVING");
  EXPECT_EQ(ServingStatusName(::grpc::health::v1::HealthCheckResponse::NOT_SERVING), "NOT_SERVING");
}

}  // namespace
}  // namespace hrnn::client
