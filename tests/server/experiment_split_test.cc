// A/B experiments in the server (--experiments_file, issue 16): calls that name no recipe get
// their user's arm's recipe and carry the arm, calls that name one stay outside the experiment,
// an arm whose recipe the version does not serve gets the version's default, the answers are
// counted by arm, and a bad file stops the start naming line and field.
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/serving/experiments.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "hrnn/v1/recommender.grpc.pb.h"
#include "server/recommender_server.h"
#include "tests/testing/http_get.h"
#include "tests/testing/model_dir.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace hrnn {
namespace {

using ::testing::HasSubstr;

constexpr char kExperiments[] =
    "# GRU against kNN; the personal arm's recipe is not served by the model\n"
    "experiment=gru-vs-knn arm=gru percent=50 recipe=hrnn\n"
    "experiment=gru-vs-knn arm=knn percent=30 recipe=sknn\n"
    "experiment=gru-vs-knn arm=mine percent=20 recipe=personal\n";

class ExperimentSplitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::FreshTestDir();
    config_.model_dir = (dir_ / "models" / "shop").string();
    config_.port = 0;
    config_.metrics_port = 0;
    config_.experiments_file = (dir_ / "experiments.txt").string();
    RecipeSettings settings;
    settings.recipes = {RecipeKind::kHrnn, RecipeKind::kSknn, RecipeKind::kTrending};
    settings.default_recipe = RecipeKind::kHrnn;
    testing::WriteRandomModelWithRecipes(config_.model_dir, 1, settings);
  }

  void WriteExperiments(const std::string& text) {
    std::ofstream(config_.experiments_file) << text;
  }

  void StartServer() {
    ASSERT_OK_AND_ASSIGN(server_, RecommenderServer::Start(config_));
    stub_ = v1::Recommender::NewStub(
        grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials()));
  }

  v1::GetRecommendationsResponse Recommend(const std::string& user, const std::string& recipe) {
    v1::GetRecommendationsRequest request;
    request.set_user_id(user);
    request.set_num_results(5);
    request.set_recipe(recipe);
    grpc::ClientContext context;
    v1::GetRecommendationsResponse response;
    const grpc::Status status = stub_->GetRecommendations(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  std::filesystem::path dir_;
  ServerConfig config_;
  std::unique_ptr<RecommenderServer> server_;
  std::unique_ptr<v1::Recommender::Stub> stub_;
};

TEST_F(ExperimentSplitTest, CallsWithoutARecipeGetTheirArmsRecipeAndAreCountedByArm) {
  WriteExperiments(kExperiments);
  StartServer();
  ASSERT_OK_AND_ASSIGN(std::optional<Experiment> experiment,
                       ParseExperimentsFile(kExperiments, "expected"));

  // Every user clicks item-3: sknn has neighbours for it (testing::TestSessions).
  constexpr int kUsers = 300;
  for (int u = 0; u < kUsers; ++u) {
    v1::PutEventsRequest put;
    v1::Event* event = put.add_events();
    event->set_user_id(absl::StrCat("user", u));
    event->set_item_id("item-3");
    grpc::ClientContext context;
    v1::PutEventsResponse accepted;
    ASSERT_TRUE(stub_->PutEvents(&context, put, &accepted).ok());
  }

  std::map<std::string, int> by_arm;
  for (int u = 0; u < kUsers; ++u) {
    const std::string user = absl::StrCat("user", u);
    const v1::GetRecommendationsResponse response = Recommend(user, "");
    const ExperimentArm& arm = AssignArm(*experiment, user);
    EXPECT_EQ(response.experiment(), "gru-vs-knn") << user;
    EXPECT_EQ(response.arm(), arm.name) << user;
    // "mine" asks for personal, which version 1 does not serve: its default (hrnn) answers.
    EXPECT_EQ(response.recipe(), arm.name == "knn" ? "sknn" : "hrnn") << user;
    EXPECT_EQ(response.items_size(), 5) << user;
    EXPECT_EQ(Recommend(user, "").arm(), arm.name) << user;  // Sticky.
    by_arm[arm.name] += 2;
  }
  EXPECT_GT(by_arm["gru"], 0);
  EXPECT_GT(by_arm["knn"], 0);
  EXPECT_GT(by_arm["mine"], 0);

  // A call that names its recipe is outside the experiment.
  const v1::GetRecommendationsResponse chosen = Recommend("user0", "sknn");
  EXPECT_EQ(chosen.recipe(), "sknn");
  EXPECT_EQ(chosen.experiment(), "");
  EXPECT_EQ(chosen.arm(), "");

  const std::string metrics = testing::HttpGet(server_->metrics_port(), "/metrics");
  for (const auto& [arm, count] : by_arm) {
    EXPECT_THAT(metrics, HasSubstr(absl::StrCat("hrnn_recommendations_served_total{arm=\"", arm,
                                                "\",experiment=\"gru-vs-knn\"} ", count)));
  }
  EXPECT_THAT(metrics,
              HasSubstr("hrnn_recommendations_served_total{arm=\"none\",experiment=\"none\"} 1"));
}

TEST_F(ExperimentSplitTest, EventsSentBackWithARecommendationIdAreAttributedToItsArm) {
  WriteExperiments(kExperiments);
  config_.attribution_window_ms = 0;  // By id only.
  StartServer();
  ASSERT_OK_AND_ASSIGN(std::optional<Experiment> experiment,
                       ParseExperimentsFile(kExperiments, "expected"));
  // A user of the knn arm and one of the gru arm.
  std::string knn_user;
  std::string gru_user;
  for (int u = 0; knn_user.empty() || gru_user.empty(); ++u) {
    const std::string user = absl::StrCat("user", u);
    const std::string arm = AssignArm(*experiment, user).name;
    if (arm == "knn" && knn_user.empty()) knn_user = user;
    if (arm == "gru" && gru_user.empty()) gru_user = user;
  }
  const v1::GetRecommendationsResponse knn = Recommend(knn_user, "");
  const v1::GetRecommendationsResponse gru = Recommend(gru_user, "");
  const v1::GetRecommendationsResponse chosen = Recommend(gru_user, "hrnn");  // Outside it.
  EXPECT_THAT(knn.recommendation_id(), ::testing::EndsWith(":gru-vs-knn:knn"));
  EXPECT_EQ(knn.recommendation_id().size(), 32u + 15u);
  EXPECT_THAT(gru.recommendation_id(), ::testing::EndsWith(":gru-vs-knn:gru"));
  EXPECT_EQ(chosen.recommendation_id().size(), 32u);

  auto send = [&](const std::string& user, const std::string& item, const std::string& type,
                  const std::string& recommendation_id, std::optional<double> value) {
    v1::PutEventsRequest put;
    v1::Event* event = put.add_events();
    event->set_user_id(user);
    event->set_item_id(item);
    event->set_event_type(type);
    event->set_recommendation_id(recommendation_id);
    if (value.has_value()) event->set_event_value(*value);
    grpc::ClientContext context;
    v1::PutEventsResponse accepted;
    ASSERT_TRUE(stub_->PutEvents(&context, put, &accepted).ok());
    ASSERT_EQ(accepted.accepted(), 1);
  };
  send(knn_user, knn.items(0).item_id(), "click", knn.recommendation_id(), std::nullopt);
  send(knn_user, knn.items(1).item_id(), "click", knn.recommendation_id(), std::nullopt);
  send(knn_user, knn.items(0).item_id(), "purchase", knn.recommendation_id(), 19.5);
  send(gru_user, gru.items(0).item_id(), "click", gru.recommendation_id(), std::nullopt);
  // (Its second item: its first is the gru arm's first too, and a repeat would be a duplicate.)
  send(gru_user, chosen.items(1).item_id(), "click", chosen.recommendation_id(), std::nullopt);
  // Not attributed: no id, an id this server did not issue; an arm the experiment lacks is
  // counted outside it.
  send(gru_user, "item-7", "click", "", std::nullopt);
  send(gru_user, "item-8", "click", "campaign-42", std::nullopt);
  send(gru_user, "item-9", "click", absl::StrCat(std::string(32, 'a'), ":gru-vs-knn:gone"),
       std::nullopt);

  const std::string metrics = testing::HttpGet(server_->metrics_port(), "/metrics");
  auto count = [&](const std::string& metric, const std::string& arm, const std::string& experiment,
                   const std::string& type) {
    return absl::StrCat(metric, "{arm=\"", arm, "\",event_type=\"", type, "\",experiment=\"",
                        experiment, "\"} ");
  };
  EXPECT_THAT(
      metrics,
      HasSubstr(count("hrnn_recommendation_events_total", "knn", "gru-vs-knn", "click") + "2"));
  EXPECT_THAT(
      metrics,
      HasSubstr(count("hrnn_recommendation_events_total", "knn", "gru-vs-knn", "purchase") + "1"));
  EXPECT_THAT(metrics, HasSubstr(count("hrnn_recommendation_event_value_total", "knn", "gru-vs-knn",
                                       "purchase") +
                                 "19.5"));
  EXPECT_THAT(
      metrics,
      HasSubstr(count("hrnn_recommendation_events_total", "gru", "gru-vs-knn", "click") + "1"));
  EXPECT_THAT(
      metrics,
      HasSubstr(count("hrnn_recommendation_events_total", "mine", "gru-vs-knn", "click") + "0"));
  // The call that named its recipe, and the arm the experiment lacks.
  EXPECT_THAT(metrics,
              HasSubstr(count("hrnn_recommendation_events_total", "none", "none", "click") + "2"));
}

TEST_F(ExperimentSplitTest, EventsWithoutAnIdAreAttributedByWindowToTheNewestRecommendation) {
  WriteExperiments(kExperiments);
  StartServer();
  ASSERT_OK_AND_ASSIGN(std::optional<Experiment> experiment,
                       ParseExperimentsFile(kExperiments, "expected"));
  std::string knn_user;
  for (int u = 0; knn_user.empty(); ++u) {
    if (AssignArm(*experiment, absl::StrCat("user", u)).name == "knn") {
      knn_user = absl::StrCat("user", u);
    }
  }
  const v1::GetRecommendationsResponse knn = Recommend(knn_user, "");
  ASSERT_EQ(knn.arm(), "knn");
  // A later answer outside the experiment (it names its recipe) without knn's first item: the
  // newest recommendation of an item is the one an event is attributed to.
  v1::GetRecommendationsRequest request;
  request.set_user_id(knn_user);
  request.set_num_results(5);
  request.set_recipe("hrnn");
  request.mutable_filter()->add_exclude_item_ids(knn.items(0).item_id());
  v1::GetRecommendationsResponse chosen;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(stub_->GetRecommendations(&context, request, &chosen).ok());
  }
  std::set<std::string> in_knn;
  for (const v1::ScoredItem& item : knn.items()) in_knn.insert(item.item_id());
  const std::string only_in_knn = knn.items(0).item_id();
  ASSERT_FALSE(only_in_knn.empty()) << "the two answers hold the same items";
  std::string recommended_to_nobody;
  for (int i = 0; recommended_to_nobody.empty(); ++i) {
    const std::string item = absl::StrCat("item-", i);
    bool in_chosen = false;
    for (const v1::ScoredItem& other : chosen.items()) in_chosen |= other.item_id() == item;
    if (!in_knn.count(item) && !in_chosen) recommended_to_nobody = item;
  }
  auto click = [&](const std::string& user, const std::string& item, const std::string& id) {
    v1::PutEventsRequest put;
    v1::Event* event = put.add_events();
    event->set_user_id(user);
    event->set_item_id(item);
    event->set_recommendation_id(id);
    grpc::ClientContext context;
    v1::PutEventsResponse accepted;
    ASSERT_TRUE(stub_->PutEvents(&context, put, &accepted).ok());
    ASSERT_EQ(accepted.accepted(), 1);
  };
  click(knn_user, only_in_knn, "");                          // knn, by window.
  click(knn_user, chosen.items(0).item_id(), "campaign-7");  // Not our id: none, by window.
  click(knn_user, recommended_to_nobody, "");                // Not recommended: not counted.
  click("someone-else", only_in_knn, "");  // Recommended to another user: not counted.

  const std::string metrics = testing::HttpGet(server_->metrics_port(), "/metrics");
  EXPECT_THAT(metrics,
              HasSubstr("hrnn_recommendation_events_total{arm=\"knn\",event_type=\"click\","
                        "experiment=\"gru-vs-knn\"} 1"));
  EXPECT_THAT(metrics,
              HasSubstr("hrnn_recommendation_events_total{arm=\"none\",event_type=\"click\","
                        "experiment=\"none\"} 1"));
}

TEST_F(ExperimentSplitTest, AnExperimentWhoseIdsDoNotFitMaxIdBytesStopsTheStart) {
  WriteExperiments(kExperiments);
  config_.max_id_bytes = 40;
  absl::StatusOr<std::unique_ptr<RecommenderServer>> server = RecommenderServer::Start(config_);
  ASSERT_FALSE(server.ok());
  EXPECT_THAT(server.status().message(),
              HasSubstr("--max_id_bytes: 40 is below the 48 bytes of the experiment's "
                        "recommendation ids"));
}

TEST_F(ExperimentSplitTest, WithoutAnExperimentEveryAnswerIsCountedOutsideOne) {
  config_.experiments_file.clear();
  StartServer();
  const v1::GetRecommendationsResponse response = Recommend("ann", "");
  EXPECT_EQ(response.experiment(), "");
  EXPECT_EQ(response.arm(), "");
  EXPECT_EQ(response.recipe(), "trending");  // A user without history.
  const std::string metrics = testing::HttpGet(server_->metrics_port(), "/metrics");
  EXPECT_THAT(metrics,
              HasSubstr("hrnn_recommendations_served_total{arm=\"none\",experiment=\"none\"} 1"));
}

TEST_F(ExperimentSplitTest, ABadFileStopsTheStartNamingLineAndField) {
  WriteExperiments(
      "experiment=e arm=a percent=50 recipe=hrnn\nexperiment=e arm=b percent=fifty recipe=sknn\n");
  absl::StatusOr<std::unique_ptr<RecommenderServer>> server = RecommenderServer::Start(config_);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(server.status().message(),
              HasSubstr(absl::StrCat("--experiments_file: ", config_.experiments_file,
                                     ":2: percent: \"fifty\" is not an integer in 0..100")));

  config_.experiments_file = (dir_ / "missing.txt").string();
  server = RecommenderServer::Start(config_);
  ASSERT_FALSE(server.ok());
  EXPECT_THAT(server.status().message(), HasSubstr("missing.txt"));
}

}  // namespace
}  // namespace hrnn
