// The experiments file (core/serving/experiments.h): what it accepts, every refusal named by line
// and field, and an assignment that is stable (fixed buckets for fixed ids, whatever the build)
// and splits users in the arms' shares.
#include "core/serving/experiments.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace hrnn {
namespace {

using ::testing::HasSubstr;

TEST(ExperimentsFileTest, ParsesArmsInFileOrderWithCommentsAndBlankLines) {
  ASSERT_OK_AND_ASSIGN(
      std::optional<Experiment> experiment,
      ParseExperimentsFile("# blend against kNN\n"
                           "\n"
                           "experiment=blend-vs-knn arm=blend percent=50 "
                           "recipe=auto\r\n"
                           "  recipe=sknn\tpercent=30 arm=knn experiment=blend-vs-knn\n"
                           "experiment=blend-vs-knn arm=v1.gru_2 percent=20 recipe=hrnn\n"
                           "experiment=blend-vs-knn arm=off percent=0 recipe=trending",
                           "x.txt"));
  ASSERT_TRUE(experiment.has_value());
  EXPECT_EQ(experiment->name, "blend-vs-knn");
  ASSERT_EQ(experiment->arms.size(), 4u);
  EXPECT_EQ(experiment->arms[0].name, "blend");
  EXPECT_EQ(experiment->arms[0].percent, 50);
  EXPECT_EQ(experiment->arms[0].recipe, RecipeKind::kAuto);
  EXPECT_EQ(experiment->arms[1].name, "knn");
  EXPECT_EQ(experiment->arms[1].recipe, RecipeKind::kSknn);
  EXPECT_EQ(experiment->arms[2].name, "v1.gru_2");
  EXPECT_EQ(experiment->arms[3].percent, 0);
}

TEST(ExperimentsFileTest, AFileWithoutArmsDefinesNoExperiment) {
  ASSERT_OK_AND_ASSIGN(std::optional<Experiment> none,
                       ParseExperimentsFile("# nothing running\n\n   \n", "x.txt"));
  EXPECT_FALSE(none.has_value());
  ASSERT_OK_AND_ASSIGN(none, ParseExperimentsFile("", "x.txt"));
  EXPECT_FALSE(none.has_value());
}

TEST(ExperimentsFileTest, EveryBadDefinitionIsRefusedNamingLineAndField) {
  const std::string ok = "experiment=e arm=a percent=100 recipe=auto\n";
  const std::map<std::string, std::string> refused = {
      {"experiment=e arm=a percent=100", "x.txt:1: recipe: missing"},
      {"arm=a percent=100 recipe=auto", "x.txt:1: experiment: missing"},
      {"experiment=e percent=100 recipe=auto", "x.txt:1: arm: missing"},
      {"experiment=e arm=a recipe=auto", "x.txt:1: percent: missing"},
      {"experiment=e arm=a percent=100 recipe=auto color=red", "x.txt:1: color: unknown key"},
      {"experiment=e arm=a arm=b percent=100 recipe=auto", "x.txt:1: arm: given twice"},
      {"experiment=e arm=a percent=100 recipe=auto version=2", "x.txt:1: version: arms by model"},
      {"experiment=e arm=a percent=100 auto", "x.txt:1: \"auto\" is not KEY=VALUE"},
      {"experiment=e arm=a percent=half recipe=auto", "x.txt:1: percent: \"half\" is not an"},
      {"experiment=e arm=a percent=101 recipe=auto", "x.txt:1: percent: \"101\" is not an"},
      {"experiment=e arm=a percent=-1 recipe=auto", "x.txt:1: percent: \"-1\" is not an"},
      {"experiment=e arm=a percent=100 recipe=gru", "x.txt:1: recipe: unknown recipe \"gru\""},
      {"experiment=e arm=a percent=100 recipe=", "x.txt:1: recipe: unknown recipe \"\""},
      {"experiment=e/1 arm=a percent=100 recipe=auto", "x.txt:1: experiment: \"e/1\" has a"},
      {"experiment= arm=a percent=100 recipe=auto", "x.txt:1: experiment: \"\" must be 1..64"},
      {"experiment=e arm=" + std::string(65, 'a') + " percent=100 recipe=auto",
       "x.txt:1: arm: \"" + std::string(65, 'a') + "\" must be 1..64"},
      {ok + "experiment=e arm=a percent=0 recipe=sknn", "x.txt:2: arm: \"a\" given twice"},
      {ok + "experiment=f arm=b percent=0 recipe=sknn",
       "x.txt:2: experiment: \"f\": experiment \"e\" is already defined; one experiment"},
      {"experiment=e arm=a percent=60 recipe=auto\nexperiment=e arm=b percent=30 recipe=sr",
       "x.txt: experiment e: percents sum to 90, expected 100"},
      {"experiment=e arm=a percent=60 recipe=auto\nexperiment=e arm=b percent=60 recipe=sr",
       "x.txt: experiment e: percents sum to 120, expected 100"},
  };
  for (const auto& [text, message] : refused) {
    absl::StatusOr<std::optional<Experiment>> parsed = ParseExperimentsFile(text, "x.txt");
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_THAT(parsed.status().message(), HasSubstr(message)) << text;
  }
  std::string many;
  for (int i = 0; i < 101; ++i) {
    absl::StrAppend(&many, "experiment=e arm=a", i, " percent=", i == 0 ? 100 : 0, " recipe=sr\n");
  }
  absl::StatusOr<std::optional<Experiment>> parsed = ParseExperimentsFile(many, "x.txt");
  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(parsed.status().message(), HasSubstr("x.txt:101: arm: more than 100 arms"));
}

TEST(ExperimentsFileTest, ReadsAFileAndNamesAMissingOne) {
  const std::filesystem::path dir = testing::FreshTestDir();
  const std::string path = (dir / "experiments.txt").string();
  std::ofstream(path) << "experiment=e arm=a percent=100 recipe=sr\n";
  ASSERT_OK_AND_ASSIGN(std::optional<Experiment> experiment, ReadExperimentsFile(path));
  ASSERT_TRUE(experiment.has_value());
  EXPECT_EQ(experiment->arms[0].recipe, RecipeKind::kSr);
  absl::StatusOr<std::optional<Experiment>> missing = ReadExperimentsFile(path + ".gone");
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.status().message(), HasSubstr("experiments.txt.gone"));
}

TEST(ExperimentAssignmentTest, BucketsAreFixedFnv1aValues) {
  // A contract (replicas and restarts of any build assign the same arm), so the values are
  // spelled out: FNV-1a 64 of "e\0u1" is 0x2c706860b559845a, and so on (computed independently).
  EXPECT_EQ(ExperimentBucket("e", "u1"), 0x2c706860b559845aull % 10'000);
  EXPECT_EQ(ExperimentBucket("e", "u1"), 4458u);
  EXPECT_EQ(ExperimentBucket("blend-vs-knn", "user42"), 1325u);
  EXPECT_EQ(ExperimentBucket("", ""), 7455u);
  EXPECT_NE(ExperimentBucket("e", "u1"), ExperimentBucket("f", "u1"));
}

TEST(ExperimentAssignmentTest, UsersSplitInTheArmsSharesAndKeepTheirArm) {
  ASSERT_OK_AND_ASSIGN(std::optional<Experiment> experiment,
                       ParseExperimentsFile("experiment=e arm=a percent=50 recipe=auto\n"
                                            "experiment=e arm=b percent=30 recipe=sknn\n"
                                            "experiment=e arm=off percent=0 recipe=sr\n"
                                            "experiment=e arm=c percent=20 recipe=hrnn\n",
                                            "x.txt"));
  std::map<std::string, int> users;
  constexpr int kUsers = 100'000;
  for (int u = 0; u < kUsers; ++u) {
    const std::string user = absl::StrCat("user", u);
    const ExperimentArm& arm = AssignArm(*experiment, user);
    EXPECT_EQ(&AssignArm(*experiment, user), &arm);  // Sticky.
    ++users[arm.name];
  }
  EXPECT_EQ(users.count("off"), 0u);
  // Binomial standard deviations are at most 158 users here; allow about 4 of them.
  EXPECT_NEAR(users["a"], 50'000, 650);
  EXPECT_NEAR(users["b"], 30'000, 650);
  EXPECT_NEAR(users["c"], 20'000, 650);
}

}  // namespace
}  // namespace hrnn
