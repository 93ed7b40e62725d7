// End-to-end tests of the load generator against the in-process fake server: counts, errors by
// status code, latency measured from the intended send time, and the JSON report.
#include "client/loadgen/load_runner.h"

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/client/fake_recommender_server.h"
#include "tests/testing/status_matchers.h"

namespace hrnn::client::loadgen {
namespace {

using ::hrnn::testing::FakeRecommenderServer;
using ::hrnn::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;

class LoadRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(server_.port(), 0) << "the fake server did not start";
    items_.ids = {"a", "b", "c"};
    items_.popularity = {5, 3, 1};
  }

  LoadConfig Config(LoadMode mode, WorkloadKind kind) const {
    LoadConfig config;
    config.target = server_.target();
    config.mode = mode;
    config.workload.kind = kind;
    config.workload.users = 100;
    config.warmup = absl::ZeroDuration();
    config.duration = absl::Seconds(20);  // Tests bound runs by max_requests.
    config.deadline = absl::Seconds(5);
    if (mode == LoadMode::kOpen) {
      config.rate = 1000;
    } else {
      config.concurrency = 4;
    }
    return config;
  }

  int CallsOf(const std::string& method) const {
    int n = 0;
    for (const FakeRecommenderServer::Call& call : server_.calls()) n += call.method == method;
    return n;
  }

  FakeRecommenderServer server_;
  ItemCatalog items_;
};

TEST_F(LoadRunnerTest, ClosedLoopRecommendCountsEveryRequest) {
  LoadConfig config = Config(LoadMode::kClosed, WorkloadKind::kRecommend);
  config.max_requests = 60;
  config.connections = 2;
  ASSERT_OK_AND_ASSIGN(const LoadReport report, RunLoad(config, items_));
  EXPECT_EQ(report.sent(), 60);
  EXPECT_EQ(report.ok(), 60);
  EXPECT_THAT(report.errors(), IsEmpty());
  EXPECT_EQ(report.latency_ns().count(), 60);
  EXPECT_GT(report.achieved_rps(), 0);
  EXPECT_EQ(report.model_name, "demo");  // From GetModelInfo.
  EXPECT_EQ(report.model_version, 7);
  EXPECT_EQ(CallsOf("GetRecommendations"), 60);
  // Every call names its user in the routing metadata.
  for (const FakeRecommenderServer::Call& call : server_.calls()) {
    if (call.method == "GetRecommendations") {
      ASSERT_TRUE(call.user_id_md.has_value());
      EXPECT_EQ(call.user_id_md->rfind("lg-u", 0), 0u);
    }
  }
}

TEST_F(LoadRunnerTest, OpenLoopCountsErrorsByCode) {
  LoadConfig config = Config(LoadMode::kOpen, WorkloadKind::kRecommend);
  config.check_model = false;  // The forced failures are for the load's calls.
  config.max_requests = 40;
  server_.FailNext(5, grpc::StatusCode::RESOURCE_EXHAUSTED, "too many");
  ASSERT_OK_AND_ASSIGN(const LoadReport report, RunLoad(config, items_));
  EXPECT_EQ(report.sent(), 40);
  EXPECT_EQ(report.ok(), 35);
  EXPECT_THAT(report.errors(), ElementsAre(Pair("RESOURCE_EXHAUSTED", 5)));
  EXPECT_EQ(report.errors_total(), 5);
  EXPECT_EQ(report.latency_ns().count(), 35);  // Successful calls only.
}

TEST_F(LoadRunnerTest, SimilarItemsAreAskedWithoutAUser) {
  LoadConfig config = Config(LoadMode::kClosed, WorkloadKind::kSimilar);
  config.max_requests = 30;
  ASSERT_OK_AND_ASSIGN(const LoadReport report, RunLoad(config, items_));
  EXPECT_EQ(report.ok(), 30);
  EXPECT_EQ(report.workload, "similar");
  EXPECT_EQ(CallsOf("GetSimilarItems"), 30);
  for (const FakeRecommenderServer::Call& call : server_.calls()) {
    if (call.method == "GetSimilarItems") {
      EXPECT_FALSE(call.user_id_md.has_value());
    }
  }
}

TEST_F(LoadRunnerTest, TheRecipeIsSentWithEveryRecommendation) {
  LoadConfig config = Config(LoadMode::kClosed, WorkloadKind::kRecommend);
  config.max_requests = 20;
  config.recipe = "sknn";
  ASSERT_OK_AND_ASSIGN(LoadReport report, RunLoad(config, items_));
  EXPECT_EQ(report.ok(), 20);
  config.recipe = "auto";  // Not served by the fake: every call fails, naming the recipe.
  ASSERT_OK_AND_ASSIGN(report, RunLoad(config, items_));
  EXPECT_EQ(report.ok(), 0);
  EXPECT_THAT(report.errors(), ElementsAre(Pair("INVALID_ARGUMENT", 20)));
}

TEST_F(LoadRunnerTest, OpenLoopLatencyIncludesTheServerDelay) {
  LoadConfig config = Config(LoadMode::kOpen, WorkloadKind::kRecommend);
  config.rate = 200;
  config.max_requests = 20;
  server_.SetDelay(absl::Milliseconds(30));
  ASSERT_OK_AND_ASSIGN(const LoadReport report, RunLoad(config, items_));
  EXPECT_EQ(report.ok(), 20);
  EXPECT_GE(report.latency_ns().Percentile(0.5), 30'000'000);
  EXPECT_LT(report.latency_ns().Percentile(0.5), 2'000'000'000);
  // Open loop: sends are not held back by slow answers, so 20 sends at 200/s take ~0.1 s
  // plus one delay, far less than 20 sequential delays (0.6 s).
  EXPECT_LT(report.elapsed_s, 0.5);
}

TEST_F(LoadRunnerTest, WarmupIsSentButNotCounted) {
  LoadConfig config = Config(LoadMode::kOpen, WorkloadKind::kRecommend);
  config.rate = 200;
  config.warmup = absl::Milliseconds(100);
  config.duration = absl::Milliseconds(200);
  ASSERT_OK_AND_ASSIGN(const LoadReport report, RunLoad(config, items_));
  EXPECT_EQ(CallsOf("GetRecommendations"), 60);  // 0.3 s at 200/s.
  EXPECT_EQ(report.sent(), 40);                  // The last 0.2 s.
  EXPECT_EQ(report.ok(), 40);
  EXPECT_GE(report.elapsed_s, 0.19);
}

TEST_F(LoadRunnerTest, EventStreamsCountAcceptedAndRejectedEvents) {
  LoadConfig config = Config(LoadMode::kClosed, WorkloadKind::kEvents);
  config.concurrency = 2;
  config.max_requests = 300;
  items_.ids = {"a", "rejected"};  // The fake rejects item id "rejected".
  items_.popularity = {1, 1};
  ASSERT_OK_AND_ASSIGN(const LoadReport report, RunLoad(config, items_));
  EXPECT_EQ(report.unit, "events");
  EXPECT_EQ(report.sent(), 300);
  EXPECT_GT(report.rejected_events, 50);
  EXPECT_EQ(report.ok() + report.rejected_events, 300);
  EXPECT_THAT(report.errors(), IsEmpty());
  EXPECT_EQ(static_cast<int64_t>(server_.events().size()), report.ok());
  EXPECT_EQ(CallsOf("StreamEvents"), 2);
  ASSERT_EQ(report.methods.count("StreamEvents"), 1u);
  for (const hrnn::v1::Event& event : server_.events()) {
    EXPECT_EQ(event.item_id(), "a");
    EXPECT_FALSE(event.session_id().empty());
  }
}

TEST_F(LoadRunnerTest, OpenLoopEventsAtARate) {
  LoadConfig config = Config(LoadMode::kOpen, WorkloadKind::kEvents);
  config.rate = 2000;
  config.concurrency = 2;
  config.duration = absl::Milliseconds(250);
  ASSERT_OK_AND_ASSIGN(const LoadReport report, RunLoad(config, items_));
  EXPECT_EQ(report.sent(), 500);
  EXPECT_EQ(report.ok(), 500);
  EXPECT_EQ(static_cast<int64_t>(server_.events().size()), 500);
}

TEST_F(LoadRunnerTest, MixSendsTheRatioOfEventsToRecommendations) {
  LoadConfig config = Config(LoadMode::kClosed, WorkloadKind::kMix);
  config.workload.events_per_recommend = 4;
  config.max_requests = 50;
  ASSERT_OK_AND_ASSIGN(const LoadReport report, RunLoad(config, items_));
  EXPECT_EQ(report.ok(), 50);
  EXPECT_EQ(CallsOf("PutEvents"), 40);
  EXPECT_EQ(CallsOf("GetRecommendations"), 10);
  EXPECT_EQ(report.methods.at("PutEvents").ok, 40);
  EXPECT_EQ(report.methods.at("GetRecommendations").ok, 10);
  EXPECT_EQ(server_.events().size(), 40u);
}

TEST_F(LoadRunnerTest, JsonHasTheContractKeys) {
  LoadConfig config = Config(LoadMode::kClosed, WorkloadKind::kRecommend);
  config.check_model = false;
  config.max_requests = 30;
  server_.FailNext(2, grpc::StatusCode::UNAVAILABLE, "down");
  ASSERT_OK_AND_ASSIGN(const LoadReport report, RunLoad(config, items_));
  const nlohmann::json json = nlohmann::json::parse(ToJson(report));
  EXPECT_DOUBLE_EQ(json.at("achieved_rps").get<double>(),
                   std::stod(absl::StrFormat("%.6g", report.achieved_rps())));
  EXPECT_EQ(json.at("errors").at("UNAVAILABLE").get<int>(), 2);
  EXPECT_EQ(json.at("ok").get<int>(), 28);
  EXPECT_EQ(json.at("mode"), "closed");
  EXPECT_EQ(json.at("workload"), "recommend");
  const nlohmann::json& latency = json.at("latency_ms");
  for (const char* key : {"p50", "p90", "p99", "p999", "max"}) {
    ASSERT_TRUE(latency.contains(key)) << key;
    EXPECT_GT(latency.at(key).get<double>(), 0) << key;
  }
  EXPECT_LE(latency.at("p50").get<double>(), latency.at("p99").get<double>());
  EXPECT_LE(latency.at("p999").get<double>(), latency.at("max").get<double>());
  EXPECT_EQ(json.at("methods").at("GetRecommendations").at("latency_ms").at("count"), 28);
  // The table names the same figures.
  const std::string table = FormatTable(report);
  EXPECT_THAT(table, ::testing::HasSubstr("UNAVAILABLE 2"));
  EXPECT_THAT(table, ::testing::HasSubstr("p99.9"));
}

TEST_F(LoadRunnerTest, UnreachableTargetFails) {
  LoadConfig config = Config(LoadMode::kClosed, WorkloadKind::kRecommend);
  config.target = "127.0.0.1:1";
  config.max_requests = 1;
  EXPECT_THAT(RunLoad(config, items_).status(),
              StatusIs(absl::StatusCode::kUnavailable, "127.0.0.1:1"));
}

TEST_F(LoadRunnerTest, ConfigIsValidated) {
  LoadConfig config = Config(LoadMode::kOpen, WorkloadKind::kRecommend);
  config.rate = 0;
  EXPECT_THAT(RunLoad(config, items_).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, "rate"));
  config = Config(LoadMode::kClosed, WorkloadKind::kRecommend);
  config.concurrency = 0;
  EXPECT_THAT(config.Validate(), StatusIs(absl::StatusCode::kInvalidArgument, "concurrency"));
  config = Config(LoadMode::kClosed, WorkloadKind::kRecommend);
  config.num_results = 501;
  EXPECT_THAT(config.Validate(), StatusIs(absl::StatusCode::kInvalidArgument, "num_results"));
  config = Config(LoadMode::kClosed, WorkloadKind::kRecommend);
  config.target.clear();
  EXPECT_THAT(config.Validate(), StatusIs(absl::StatusCode::kInvalidArgument, "target"));
  EXPECT_THAT(RunLoad(Config(LoadMode::kClosed, WorkloadKind::kRecommend), ItemCatalog()).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, "items"));
}

}  // namespace
}  // namespace hrnn::client::loadgen
