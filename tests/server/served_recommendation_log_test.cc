// Served recommendations in the event log (issue 16): every GetRecommendations and
// GetSimilarItems answer is appended as a served-recommendation record (id, user, recipe,
// version, arm, items in rank order) without waiting for it, events keep their
// recommendation_id and impressions, a restart replays past the new records, and
// --record_recommendations=false records none.
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "hrnn/v1/recommender.grpc.pb.h"
#include "server/recommender_server.h"
#include "tests/testing/model_dir.h"
#include "tests/testing/state_files.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace hrnn {
namespace {

using ::testing::ElementsAreArray;

class ServedRecommendationLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::FreshTestDir();
    config_.model_dir = (dir_ / "models" / "shop").string();
    config_.port = 0;
    config_.metrics_port = 0;
    config_.state_dir = (dir_ / "state").string();
    config_.experiments_file = (dir_ / "experiments.txt").string();
    std::ofstream(config_.experiments_file) << "experiment=e arm=a percent=50 recipe=hrnn\n"
                                               "experiment=e arm=b percent=50 recipe=sknn\n";
    RecipeSettings settings;
    settings.recipes = {RecipeKind::kHrnn, RecipeKind::kSknn, RecipeKind::kTrending};
    settings.default_recipe = RecipeKind::kHrnn;
    testing::WriteRandomModelWithRecipes(config_.model_dir, 1, settings);
  }

  void StartServer() {
    ASSERT_OK_AND_ASSIGN(server_, RecommenderServer::Start(config_));
    stub_ = v1::Recommender::NewStub(
        grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials()));
  }

  // The log's records after the server stopped (its shutdown writes what is buffered).
  std::vector<EventRecord> StopAndReadLog() {
    server_.reset();
    EventLogOptions options;
    options.dir = (std::filesystem::path(config_.state_dir) / "log").string();
    std::vector<EventRecord> records;
    absl::StatusOr<std::unique_ptr<EventLog>> log = EventLog::Open(options, nullptr);
    EXPECT_OK(log);
    if (log.ok()) EXPECT_OK(testing::ReadLogRecords(**log, 1, &records));
    return records;
  }

  static std::vector<std::string> Ids(
      const google::protobuf::RepeatedPtrField<v1::ScoredItem>& items) {
    std::vector<std::string> ids;
    for (const v1::ScoredItem& item : items) ids.push_back(item.item_id());
    return ids;
  }

  std::filesystem::path dir_;
  ServerConfig config_;
  std::unique_ptr<RecommenderServer> server_;
  std::unique_ptr<v1::Recommender::Stub> stub_;
};

TEST_F(ServedRecommendationLogTest, AnswersAndAttributedEventsAreLogged) {
  StartServer();
  v1::GetRecommendationsRequest ask;
  ask.set_user_id("ann");
  ask.set_session_id("s1");
  ask.set_num_results(4);
  v1::GetRecommendationsResponse recommended;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(stub_->GetRecommendations(&context, ask, &recommended).ok());
  }
  v1::GetSimilarItemsRequest similar_ask;
  similar_ask.set_item_id("item-3");
  similar_ask.set_num_results(3);
  v1::GetSimilarItemsResponse similar;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(stub_->GetSimilarItems(&context, similar_ask, &similar).ok());
  }
  v1::PutEventsRequest put;
  v1::Event* event = put.add_events();
  event->set_user_id("ann");
  event->set_session_id("s1");
  event->set_item_id(recommended.items(1).item_id());
  event->set_recommendation_id(recommended.recommendation_id());
  for (const v1::ScoredItem& item : recommended.items()) {
    event->add_impression_item_ids(item.item_id());
  }
  {
    grpc::ClientContext context;
    v1::PutEventsResponse accepted;
    ASSERT_TRUE(stub_->PutEvents(&context, put, &accepted).ok());
    ASSERT_EQ(accepted.accepted(), 1);
  }

  const std::vector<EventRecord> records = StopAndReadLog();
  std::vector<const EventRecord*> served;
  std::vector<const EventRecord*> events;
  for (const EventRecord& record : records) {
    if (record.kind == EventRecord::Kind::kRecommendation) served.push_back(&record);
    if (record.kind == EventRecord::Kind::kEvent) events.push_back(&record);
  }
  ASSERT_EQ(served.size(), 2u);
  const EventRecord& first = *served[0];
  EXPECT_EQ(first.recommendation_id, recommended.recommendation_id());
  EXPECT_EQ(first.user_id, "ann");
  EXPECT_EQ(first.session_id, "s1");
  EXPECT_EQ(first.item_id, "");
  EXPECT_EQ(first.recipe, recommended.recipe());
  EXPECT_EQ(first.model_version, absl::StrCat(recommended.model_version()));
  EXPECT_EQ(first.experiment, "e");
  EXPECT_EQ(first.arm, recommended.arm());
  EXPECT_THAT(first.item_ids, ElementsAreArray(Ids(recommended.items())));
  EXPECT_GT(first.timestamp_ms, 0);
  const EventRecord& second = *served[1];
  EXPECT_EQ(second.recommendation_id, similar.recommendation_id());
  EXPECT_EQ(second.user_id, "");
  EXPECT_EQ(second.item_id, "item-3");
  EXPECT_EQ(second.recipe, similar.recipe());
  EXPECT_EQ(second.experiment, "");
  EXPECT_THAT(second.item_ids, ElementsAreArray(Ids(similar.items())));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]->recommendation_id, recommended.recommendation_id());
  EXPECT_THAT(events[0]->item_ids, ElementsAreArray(Ids(recommended.items())));

  // A restart replays the log past the served records; the event still counts.
  StartServer();
  v1::GetRecommendationsResponse again;
  grpc::ClientContext context;
  ASSERT_TRUE(stub_->GetRecommendations(&context, ask, &again).ok());
  EXPECT_NE(again.state(), "new_user");
}

TEST_F(ServedRecommendationLogTest, RecordingCanBeTurnedOff) {
  config_.record_recommendations = false;
  StartServer();
  v1::GetRecommendationsRequest ask;
  ask.set_user_id("ann");
  v1::GetRecommendationsResponse recommended;
  grpc::ClientContext context;
  ASSERT_TRUE(stub_->GetRecommendations(&context, ask, &recommended).ok());
  for (const EventRecord& record : StopAndReadLog()) {
    EXPECT_NE(record.kind, EventRecord::Kind::kRecommendation);
  }
}

}  // namespace
}  // namespace hrnn
