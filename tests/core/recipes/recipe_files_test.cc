#include "core/recipes/recipe_files.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace hrnn {
namespace {

using ::hrnn::testing::StatusIs;

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TrainingSessions Example() {
  TrainingSessions sessions;
  sessions.num_items = 5;
  const int32_t a[] = {0, 1, 1};
  const int32_t b[] = {4};
  const int32_t c[] = {2, 3};
  sessions.Add(a, 100);
  sessions.Add(b, 200);
  sessions.Add(c, 300);
  return sessions;
}

TEST(TrainingSessionsTest, RoundTripsExactly) {
  const TrainingSessions sessions = Example();
  const std::string bytes = SerializeTrainingSessions(sessions);
  // Header 8 + 4 + 4 + 8 + 8, 12 bytes per session, 4 per click.
  EXPECT_EQ(bytes.size(), 32u + 3 * 12 + 6 * 4);
  ASSERT_OK_AND_ASSIGN(TrainingSessions read, ParseTrainingSessions(bytes, 5));
  EXPECT_EQ(read.num_items, 5);
  EXPECT_EQ(read.begin, sessions.begin);
  EXPECT_EQ(read.items, sessions.items);
  EXPECT_EQ(read.last_time, sessions.last_time);
  EXPECT_THAT(read.session(0), ElementsAre(0, 1, 1));
  EXPECT_THAT(read.session(2), ElementsAre(2, 3));
}

TEST(TrainingSessionsTest, EmptyRoundTrips) {
  TrainingSessions empty;
  empty.num_items = 3;
  ASSERT_OK_AND_ASSIGN(TrainingSessions read,
                       ParseTrainingSessions(SerializeTrainingSessions(empty), 3));
  EXPECT_EQ(read.num_sessions(), 0);
}

TEST(TrainingSessionsTest, RejectsEveryCorruption) {
  const std::string good = SerializeTrainingSessions(Example());
  EXPECT_THAT(ParseTrainingSessions(good, 6), StatusIs(absl::StatusCode::kInvalidArgument,
                                                       "num_items is 5 but the model has 6 items"));
  EXPECT_THAT(ParseTrainingSessions("HRNNXXX", 5),
              StatusIs(absl::StatusCode::kInvalidArgument, "bad magic"));
  EXPECT_THAT(ParseTrainingSessions(good.substr(0, 20), 5),
              StatusIs(absl::StatusCode::kInvalidArgument, "truncated header"));
  EXPECT_THAT(ParseTrainingSessions(good + "x", 5),
              StatusIs(absl::StatusCode::kInvalidArgument, "the counts need"));
  std::string bad_version = good;
  bad_version[8] = 9;
  EXPECT_THAT(ParseTrainingSessions(bad_version, 5),
              StatusIs(absl::StatusCode::kInvalidArgument, "format version 9"));
  std::string bad_item = good;
  const int32_t out_of_range = 5;
  std::memcpy(&bad_item[good.size() - 4], &out_of_range, 4);  // The last click, session 2.
  EXPECT_THAT(ParseTrainingSessions(bad_item, 5),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "session 2 position 1: item 5 is outside [0, 5)"));
  std::string bad_length = good;
  const uint32_t too_long = 4;
  std::memcpy(&bad_length[32 + 8], &too_long, 4);  // Session 0 claims 4 clicks: 4+1+2 = 7 > 6.
  EXPECT_THAT(ParseTrainingSessions(bad_length, 5),
              StatusIs(absl::StatusCode::kInvalidArgument, "lengths add up to"));
  std::string huge = good;
  const uint64_t many = uint64_t{1} << 41;
  std::memcpy(&huge[24], &many, 8);
  EXPECT_THAT(ParseTrainingSessions(huge, 5),
              StatusIs(absl::StatusCode::kInvalidArgument, "too many clicks"));
}

RecipeSettings FullSettings() {
  RecipeSettings settings;
  settings.recipes = AllRecipeKinds();
  settings.default_recipe = RecipeKind::kAuto;
  settings.sknn.k = 50;
  settings.sknn.similarity = SessionSimilarity::kCosine;
  settings.sr.max_distance = 3;
  settings.personal.half_life_seconds = 3600;
  settings.trending.half_life_seconds = 60;
  settings.blend = {{"hrnn", 1}, {"sknn", 0.5}, {"personal", 0}};
  settings.validation["auto"] = RecipeValidation{0.25, 0.125, 42};
  return settings;
}

TEST(RecipeSettingsTest, JsonRoundTrips) {
  const RecipeSettings settings = FullSettings();
  ASSERT_OK_AND_ASSIGN(RecipeSettings read,
                       ParseRecipeSettingsJson(RecipeSettingsToJson(settings)));
  EXPECT_EQ(read.recipes, settings.recipes);
  EXPECT_EQ(read.default_recipe, RecipeKind::kAuto);
  EXPECT_EQ(read.sknn.k, 50);
  EXPECT_EQ(read.sknn.sample_size, 1000);
  EXPECT_EQ(read.sknn.similarity, SessionSimilarity::kCosine);
  EXPECT_EQ(read.sr.max_distance, 3);
  EXPECT_EQ(read.personal.half_life_seconds, 3600);
  EXPECT_EQ(read.trending.half_life_seconds, 60);
  EXPECT_EQ(read.blend, settings.blend);
  EXPECT_EQ(read.validation.at("auto").mrr_at_20, 0.125);
  EXPECT_EQ(read.validation.at("auto").predictions, 42);
}

TEST(RecipeSettingsTest, PersonalWithoutDecayAndItsSessionWeightRoundTrip) {
  RecipeSettings settings = FullSettings();
  settings.personal.half_life_seconds = std::numeric_limits<double>::infinity();
  settings.personal.session_weight = 0.5;
  const std::string json = RecipeSettingsToJson(settings);
  EXPECT_THAT(json, HasSubstr(R"("half_life_seconds": "none")"));
  ASSERT_OK_AND_ASSIGN(RecipeSettings read, ParseRecipeSettingsJson(json));
  EXPECT_TRUE(std::isinf(read.personal.half_life_seconds));
  EXPECT_EQ(read.personal.session_weight, 0.5);
  // A file from before session_weight keeps what those versions did: the session counts fully.
  ASSERT_OK_AND_ASSIGN(RecipeSettings old, ParseRecipeSettingsJson(
                                               R"({"format_version":1,"recipes":["hrnn","personal"],
                                                   "default":"hrnn",
                                                   "personal":{"half_life_seconds":60}})"));
  EXPECT_EQ(old.personal.half_life_seconds, 60);
  EXPECT_EQ(old.personal.session_weight, 1.0);
}

TEST(RecipeSettingsTest, RejectsBadFilesNamingTheKey) {
  auto parse = [](const std::string& text) { return ParseRecipeSettingsJson(text); };
  EXPECT_THAT(parse("{"), StatusIs(absl::StatusCode::kInvalidArgument, "not valid JSON"));
  EXPECT_THAT(parse(R"({"format_version":2,"recipes":["hrnn"],"default":"hrnn"})"),
              StatusIs(absl::StatusCode::kInvalidArgument, "\"format_version\""));
  EXPECT_THAT(parse(R"({"format_version":1,"recipes":["hrnn"],"default":"hrnn","extra":1})"),
              StatusIs(absl::StatusCode::kInvalidArgument, "extra\" is not known"));
  EXPECT_THAT(parse(R"({"format_version":1,"recipes":["sknn"],"default":"sknn"})"),
              StatusIs(absl::StatusCode::kInvalidArgument, "must include \"hrnn\""));
  EXPECT_THAT(parse(R"({"format_version":1,"recipes":["hrnn"],"default":"sr"})"),
              StatusIs(absl::StatusCode::kInvalidArgument, "not among \"recipes\""));
  EXPECT_THAT(parse(R"({"format_version":1,"recipes":["hrnn","sknn"],"default":"hrnn",
                        "sknn":{"k":0}})"),
              StatusIs(absl::StatusCode::kInvalidArgument, "k"));
  EXPECT_THAT(parse(R"({"format_version":1,"recipes":["hrnn","sknn"],"default":"hrnn",
                        "sknn":{"k":1.5}})"),
              StatusIs(absl::StatusCode::kInvalidArgument, "sknn.k\" is not an integer"));
  EXPECT_THAT(parse(R"({"format_version":1,"recipes":["hrnn","auto"],"default":"auto",
                        "blend":{"hrnn":0}})"),
              StatusIs(absl::StatusCode::kInvalidArgument, "needs a positive weight"));
  EXPECT_THAT(parse(R"({"format_version":1,"recipes":["hrnn","auto"],"default":"auto",
                        "blend":{"hrnn":-1}})"),
              StatusIs(absl::StatusCode::kInvalidArgument, "blend.hrnn"));
  EXPECT_THAT(parse(R"({"format_version":1,"recipes":["hrnn","auto"],"default":"auto",
                        "blend":{"auto":1}})"),
              StatusIs(absl::StatusCode::kInvalidArgument, "not a blend component"));
  EXPECT_THAT(parse(R"({"format_version":1,"recipes":["hrnn","auto"],"default":"auto",
                        "blend":{"sknn":1}})"),
              StatusIs(absl::StatusCode::kInvalidArgument, "does not serve"));
  EXPECT_THAT(parse(R"({"format_version":1,"recipes":["hrnn"],"default":"hrnn",
                        "blend":{"hrnn":1}})"),
              StatusIs(absl::StatusCode::kInvalidArgument, "\"auto\" is not served"));
  EXPECT_THAT(parse(R"({"format_version":1,"recipes":["hrnn"],"default":"hrnn",
                        "trending":{"half_life_seconds":0}})"),
              StatusIs(absl::StatusCode::kInvalidArgument, "half_life_seconds"));
  EXPECT_THAT(parse(R"({"format_version":1,"recipes":["hrnn"],"default":"hrnn",
                        "trending":{"half_life_seconds":"none"}})"),
              StatusIs(absl::StatusCode::kInvalidArgument, "trending.half_life_seconds"));
  EXPECT_THAT(parse(R"({"format_version":1,"recipes":["hrnn"],"default":"hrnn",
                        "personal":{"half_life_seconds":"forever"}})"),
              StatusIs(absl::StatusCode::kInvalidArgument, "personal.half_life_seconds"));
  EXPECT_THAT(parse(R"({"format_version":1,"recipes":["hrnn"],"default":"hrnn",
                        "personal":{"session_weight":-1}})"),
              StatusIs(absl::StatusCode::kInvalidArgument, "session_weight"));
  EXPECT_THAT(parse(R"({"format_version":1,"recipes":["hrnn"],"default":"hrnn",
                        "personal":{"decay":1}})"),
              StatusIs(absl::StatusCode::kInvalidArgument, "personal.decay\" is not known"));
}

}  // namespace
}  // namespace hrnn
