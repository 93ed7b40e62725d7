#include "core/model/config_json.h"

#include <cmath>
#include <limits>
#include <map>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/status_matchers.h"

namespace hrnn {
namespace {

using ::hrnn::testing::StatusIs;
using json = nlohmann::json;

const char kDigestA[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
const char kDigestB[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

ModelConfig FullConfig() {
  ModelConfig config;
  config.mode = ModelMode::kHrnnAll;
  config.num_items = 12345;
  config.hidden_size = 100;
  config.user_hidden_size = 50;
  config.embedding_size = 64;
  config.loss = "bpr-max";
  config.data_fingerprint = "sha256:abcd";
  config.created_at = "2024-05-01T12:00:00Z";
  config.training = {{"epochs", "10"}, {"batch", "32"}, {"session_gap", "30m"}};
  config.metrics = {{"recall@20", 0.1234567890123}, {"mrr@20", 1e-300}, {"loss", -2.5}};
  return config;
}

std::map<std::string, FileDigest> Files() {
  return {{"weights.safetensors", {kDigestA, 123456789012}}, {"items.tsv", {kDigestB, 0}}};
}

// A valid config.json as a JSON object, for tests to spoil.
json ValidJson() { return json::parse(ModelConfigToJson(FullConfig(), Files())); }

absl::StatusOr<ParsedConfigJson> Parse(const json& j) { return ParseModelConfigJson(j.dump()); }

TEST(ConfigJsonTest, RoundTrips) {
  for (ModelMode mode : {ModelMode::kSessionOnly, ModelMode::kHrnnInit, ModelMode::kHrnnAll}) {
    ModelConfig config = FullConfig();
    config.mode = mode;
    ASSERT_OK_AND_ASSIGN(ParsedConfigJson parsed,
                         ParseModelConfigJson(ModelConfigToJson(config, Files())));
    EXPECT_EQ(parsed.config, config);
    EXPECT_EQ(parsed.files, Files());
  }
}

TEST(ConfigJsonTest, IsPrettyPrintedWithTheDocumentedFields) {
  const std::string text = ModelConfigToJson(FullConfig(), Files());
  EXPECT_THAT(text, ::testing::HasSubstr("\n  \"format_version\": 1,\n"));
  EXPECT_EQ(text.back(), '\n');
  const json j = json::parse(text);
  EXPECT_EQ(j["mode"], "hrnn-all");
  EXPECT_EQ(j["num_items"], 12345);
  EXPECT_EQ(j["hidden_size"], 100);
  EXPECT_EQ(j["user_hidden_size"], 50);
  EXPECT_EQ(j["embedding_size"], 64);
  EXPECT_EQ(j["loss"], "bpr-max");
  EXPECT_EQ(j["data_fingerprint"], "sha256:abcd");
  EXPECT_EQ(j["created_at"], "2024-05-01T12:00:00Z");
  EXPECT_EQ(j["training"]["epochs"], "10");
  EXPECT_EQ(j["metrics"]["loss"], -2.5);
  EXPECT_EQ(j["files"]["weights.safetensors"]["sha256"], kDigestA);
  EXPECT_EQ(j["files"]["weights.safetensors"]["bytes"], 123456789012);
}

TEST(ConfigJsonTest, OptionalFieldsDefault) {
  json j = ValidJson();
  for (const char* field : {"loss", "data_fingerprint", "created_at", "training", "metrics"}) {
    j.erase(field);
  }
  ASSERT_OK_AND_ASSIGN(ParsedConfigJson parsed, Parse(j));
  EXPECT_EQ(parsed.config.loss, "");
  EXPECT_TRUE(parsed.config.training.empty());
  EXPECT_TRUE(parsed.config.metrics.empty());
  EXPECT_EQ(parsed.config.num_items, 12345);
}

TEST(ConfigJsonTest, IgnoresUnknownFields) {
  json j = ValidJson();
  j["future_field"] = {1, 2, 3};
  EXPECT_OK(Parse(j));
}

TEST(ConfigJsonTest, NonFiniteMetricIsStoredAsNullAndReadAsNaN) {
  ModelConfig config = FullConfig();
  config.metrics = {{"bad", std::numeric_limits<double>::infinity()}};
  const std::string text = ModelConfigToJson(config, Files());
  EXPECT_TRUE(json::parse(text)["metrics"]["bad"].is_null());
  ASSERT_OK_AND_ASSIGN(ParsedConfigJson parsed, ParseModelConfigJson(text));
  EXPECT_TRUE(std::isnan(parsed.config.metrics.at("bad")));
}

TEST(ConfigJsonTest, RejectsInvalidJson) {
  EXPECT_THAT(ParseModelConfigJson("{\"format_version\": 1,"),
              StatusIs(absl::StatusCode::kInvalidArgument, "not valid JSON"));
}

TEST(ConfigJsonTest, RejectsNonObject) {
  EXPECT_THAT(ParseModelConfigJson("[1]"),
              StatusIs(absl::StatusCode::kInvalidArgument, "not a JSON object"));
}

TEST(ConfigJsonTest, RejectsUnknownFormatVersion) {
  json j = ValidJson();
  j["format_version"] = 2;
  EXPECT_THAT(Parse(j), StatusIs(absl::StatusCode::kInvalidArgument,
                                 "\"format_version\" is 2; this build reads 1"));
}

TEST(ConfigJsonTest, RejectsMissingFormatVersion) {
  json j = ValidJson();
  j.erase("format_version");
  EXPECT_THAT(Parse(j),
              StatusIs(absl::StatusCode::kInvalidArgument, "\"format_version\" is missing"));
}

TEST(ConfigJsonTest, RejectsEachMissingRequiredField) {
  for (const char* field :
       {"mode", "num_items", "hidden_size", "user_hidden_size", "embedding_size", "files"}) {
    json j = ValidJson();
    j.erase(field);
    EXPECT_THAT(Parse(j), StatusIs(absl::StatusCode::kInvalidArgument,
                                   std::string("\"") + field + "\" is missing"))
        << field;
  }
}

TEST(ConfigJsonTest, RejectsIllTypedIntegerField) {
  json j = ValidJson();
  j["hidden_size"] = "100";
  EXPECT_THAT(Parse(j),
              StatusIs(absl::StatusCode::kInvalidArgument, "\"hidden_size\" must be an integer"));
  j = ValidJson();
  j["num_items"] = 12.5;
  EXPECT_THAT(Parse(j),
              StatusIs(absl::StatusCode::kInvalidArgument, "\"num_items\" must be an integer"));
}

TEST(ConfigJsonTest, RejectsOutOfRangeIntegerField) {
  json j = ValidJson();
  j["user_hidden_size"] = int64_t{1} << 40;
  EXPECT_THAT(Parse(j),
              StatusIs(absl::StatusCode::kInvalidArgument, "\"user_hidden_size\" is out of range"));
}

TEST(ConfigJsonTest, RejectsIllTypedMode) {
  json j = ValidJson();
  j["mode"] = 1;
  EXPECT_THAT(Parse(j), StatusIs(absl::StatusCode::kInvalidArgument, "\"mode\" must be a string"));
}

TEST(ConfigJsonTest, RejectsInvalidMode) {
  json j = ValidJson();
  j["mode"] = "hrnn-everything";
  EXPECT_THAT(Parse(j), StatusIs(absl::StatusCode::kInvalidArgument, "\"hrnn-everything\""));
}

TEST(ConfigJsonTest, RejectsIllTypedOptionalFields) {
  json j = ValidJson();
  j["loss"] = 3;
  EXPECT_THAT(Parse(j), StatusIs(absl::StatusCode::kInvalidArgument, "\"loss\" must be a string"));
  j = ValidJson();
  j["training"]["epochs"] = 10;
  EXPECT_THAT(Parse(j),
              StatusIs(absl::StatusCode::kInvalidArgument, "\"training.epochs\" must be a string"));
  j = ValidJson();
  j["metrics"]["mrr@20"] = "high";
  EXPECT_THAT(Parse(j),
              StatusIs(absl::StatusCode::kInvalidArgument, "\"metrics.mrr@20\" must be a number"));
}

TEST(ConfigJsonTest, RejectsBadFileDigest) {
  json j = ValidJson();
  j["files"]["items.tsv"]["sha256"] = "ABC";
  EXPECT_THAT(Parse(j), StatusIs(absl::StatusCode::kInvalidArgument,
                                 "\"files.items.tsv.sha256\" must be 64 lower-case hex"));
  j = ValidJson();
  j["files"]["items.tsv"].erase("bytes");
  EXPECT_THAT(Parse(j),
              StatusIs(absl::StatusCode::kInvalidArgument, "\"files.items.tsv.bytes\" is missing"));
  j = ValidJson();
  j["files"]["weights.safetensors"]["bytes"] = -1;
  EXPECT_THAT(Parse(j), StatusIs(absl::StatusCode::kInvalidArgument,
                                 "\"files.weights.safetensors.bytes\" must be a non-negative"));
}

TEST(ConfigJsonTest, RejectsConfigThatFailsValidate) {
  json j = ValidJson();
  j["embedding_size"] = 5000;
  EXPECT_THAT(Parse(j), StatusIs(absl::StatusCode::kInvalidArgument, "embedding_size must be in"));
  j = ValidJson();
  j["num_items"] = 0;
  EXPECT_THAT(Parse(j), StatusIs(absl::StatusCode::kInvalidArgument, "num_items must be in"));
}

}  // namespace
}  // namespace hrnn
