// Nothing acknowledged is lost: the hrnn-server binary is killed with SIGKILL while clients
// stream events, restarted on the same state directory, and every user's state is compared with
// a reference that never crashed (the events the log holds, applied in order in-process).
#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/serving/recommendation_pipeline.h"
#include "core/state/event_log.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "hrnn/v1/recommender.grpc.pb.h"
#include "server/event_application.h"
#include "tests/testing/model_dir.h"
#include "tests/testing/server_process.h"
#include "tests/testing/state_files.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace hrnn {
namespace {

namespace fs = std::filesystem;
using ::hrnn::testing::ServerProcess;

constexpr int kUsers = 1500;  // Few events per user: every event changes what is compared.
constexpr int64_t kT0 = 1'700'000'000'000;  // Events are stamped in 2023: every session is over
                                            // when recommendations are asked for.

// An event's identity: (user, item, timestamp, session).
using EventKey = std::tuple<std::string, std::string, int64_t, std::string>;

std::unique_ptr<v1::Recommender::Stub> Connect(const std::string& address) {
  return v1::Recommender::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
}

TEST(DurabilityTest, KillNineLosesNoAcknowledgedEventAndRebuildsTheSameStates) {
  const fs::path dir = testing::FreshTestDir();
  const std::string model_root = (dir / "models" / "shop").string();
  testing::WriteRandomModel(model_root, 1);
  const std::string state_dir = (dir / "state").string();
  const std::vector<std::string> args = {
      "--model_dir=" + model_root, "--port=0",      "--metrics_port=0",
      "--state_dir=" + state_dir,  "--fsync=batch", "--snapshot_interval=300ms"};

  std::mutex mutex;
  std::vector<EventKey> acknowledged;
  {
    ServerProcess server(args, {}, (dir / "first.stderr").string());
    const std::string address = server.ReadAddress();
    ASSERT_FALSE(address.empty());
    std::atomic<bool> stop{false};
    std::vector<std::thread> clients;
    for (int c = 0; c < 3; ++c) {
      clients.emplace_back([&, c] {
        auto stub = Connect(address);
        for (int batch = 0; !stop.load(); ++batch) {
          v1::PutEventsRequest request;
          std::vector<EventKey> keys;
          for (int e = 0; e < 4; ++e) {
            const int n = batch * 4 + e;
            v1::Event* event = request.add_events();
            event->set_user_id(absl::StrCat("user", (c * 577 + n * 7) % kUsers));
            event->set_item_id(absl::StrCat("item-", (c * 31 + n * 13) % 200));
            event->set_timestamp_ms(kT0 + int64_t{c} * 1000 + int64_t{n} * 3000);
            event->set_session_id(absl::StrCat("s", c, "-", n / 9));
            keys.emplace_back(event->user_id(), event->item_id(), event->timestamp_ms(),
                              event->session_id());
          }
          grpc::ClientContext context;
          context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
          v1::PutEventsResponse response;
          if (!stub->PutEvents(&context, request, &response).ok()) break;  // Killed.
          EXPECT_EQ(response.accepted(), 4);
          std::lock_guard<std::mutex> lock(mutex);
          acknowledged.insert(acknowledged.end(), keys.begin(), keys.end());
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // Several snapshots.
    server.Signal(SIGKILL);  // Mid-stream: some calls are in flight.
    EXPECT_EQ(server.Wait(), -1);
    stop = true;
    for (auto& client : clients) client.join();
  }
  ASSERT_GT(acknowledged.size(), 50u) << "too few events got through to make the test mean much";

  ServerProcess restarted(args, {}, (dir / "second.stderr").string());
  const std::string address = restarted.ReadAddress();
  ASSERT_FALSE(address.empty());

  // The log as the restarted server recovered it (a copy, opened read-only in effect).
  ASSERT_OK_AND_ASSIGN(auto log,
                       testing::OpenLogCopy(fs::path(state_dir) / "log", dir / "log-copy"));
  std::vector<EventRecord> records;
  ASSERT_OK(testing::ReadLogRecords(*log, 1, &records));
  std::map<EventKey, int> logged;
  for (const EventRecord& r : records) {
    ++logged[{r.user_id, r.item_id, r.timestamp_ms, r.session_id}];
  }
  for (const EventKey& key : acknowledged) {
    EXPECT_EQ(logged.count(key), 1u) << "acknowledged event lost: " << std::get<0>(key) << " "
                                     << std::get<1>(key) << " @" << std::get<2>(key);
  }

  // The reference: the logged events applied in order by a server that never crashed.
  ASSERT_OK_AND_ASSIGN(auto model,
                       LoadLatestServingModel(model_root, NetworkOptions(), SessionPolicy(), 0));
  std::map<std::string, UserState> reference;
  for (const EventRecord& r : records) {
    auto [it, inserted] = reference.try_emplace(r.user_id, model->NewUserState());
    ApplyEventToState(*model, true, false, *model->items().Find(r.item_id), r.timestamp_ms,
                      r.session_id, it->second);
  }
  ASSERT_GT(reference.size(), 500u);

  // The restart used a snapshot with users in it, then the log after it.
  const std::string restart_log = testing::ReadBytes(dir / "second.stderr");
  EXPECT_THAT(restart_log, ::testing::HasSubstr("recovered user state: snapshot /"));
  EXPECT_THAT(restart_log, ::testing::Not(::testing::HasSubstr("(0 users)")));

  auto stub = Connect(address);
  for (const auto& [user, state] : reference) {
    v1::GetRecommendationsRequest request;
    request.set_user_id(user);
    request.set_num_results(10);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    v1::GetRecommendationsResponse response;
    ASSERT_TRUE(stub->GetRecommendations(&context, request, &response).ok());
    EXPECT_EQ(response.state(), "user") << user;
    const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    RecommendationRequest core_request;
    core_request.now_ms = now_ms;
    core_request.num_results = 10;
    const std::vector<ScoredItem> expected =
        Recommend(model, state, /*known=*/true, core_request, ScoringMode::kSingle).items;
    ASSERT_EQ(response.items_size(), 10) << user;
    for (int i = 0; i < 10; ++i) {
      EXPECT_EQ(response.items(i).item_id(), model->items().id(expected[i].index)) << user;
      EXPECT_NEAR(response.items(i).score(), expected[i].score, 1e-4f) << user;
    }
  }
  restarted.Signal(SIGTERM);
  EXPECT_EQ(restarted.Wait(), 0);
}

// PutItems' availability is acknowledged only once logged, kept by snapshots, and carried to a
// new model version: an out-of-stock item never comes back after kill -9 or a model swap.
TEST(DurabilityTest, OutOfStockItemsSurviveKillNineSnapshotsAndModelSwaps) {
  const fs::path dir = testing::FreshTestDir();
  const fs::path model_root = dir / "models" / "shop";
  testing::WriteRandomModel(model_root, 1);
  const std::string state_dir = (dir / "state").string();
  const std::vector<std::string> args = {
      "--model_dir=" + model_root.string(), "--port=0",      "--metrics_port=0",
      "--state_dir=" + state_dir,           "--fsync=batch", "--snapshot_interval=200ms",
      "--model_poll_interval=100ms"};
  auto put_items = [](v1::Recommender::Stub& stub, std::vector<std::pair<std::string, bool>> items,
                      v1::PutItemsResponse* response) {
    v1::PutItemsRequest request;
    for (const auto& [id, available] : items) {
      v1::ItemAvailability* item = request.add_items();
      item->set_item_id(id);
      item->set_available(available);
    }
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    return stub.PutItems(&context, request, response);
  };
  auto model_info = [](v1::Recommender::Stub& stub) {
    v1::ModelInfo info;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    EXPECT_TRUE(stub.GetModelInfo(&context, v1::GetModelInfoRequest(), &info).ok());
    return info;
  };
  // Every item the server recommends to a new user, asking for the whole catalogue.
  auto recommended = [](v1::Recommender::Stub& stub) {
    v1::GetRecommendationsRequest request;
    request.set_user_id("nobody");
    request.set_num_results(200);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    v1::GetRecommendationsResponse response;
    EXPECT_TRUE(stub.GetRecommendations(&context, request, &response).ok());
    std::vector<std::string> ids;
    for (const auto& item : response.items()) ids.push_back(item.item_id());
    return ids;
  };
  {
    ServerProcess server(args, {}, (dir / "first.stderr").string());
    const std::string address = server.ReadAddress();
    ASSERT_FALSE(address.empty());
    auto stub = Connect(address);
    v1::PutItemsResponse response;
    ASSERT_TRUE(
        put_items(*stub, {{"item-3", false}, {"item-4", false}, {"no-such-item", false}}, &response)
            .ok());
    EXPECT_EQ(response.updated(), 2);
    EXPECT_THAT(response.unknown_item_ids(), ::testing::ElementsAre("no-such-item"));
    // A snapshot (which must keep item-3 and item-4 out), then a change only the log holds.
    std::this_thread::sleep_for(std::chrono::milliseconds(800));
    ASSERT_TRUE(put_items(*stub, {{"item-4", true}, {"item-5", false}}, &response).ok());
    EXPECT_EQ(model_info(*stub).unavailable_items(), 2);
    server.Signal(SIGKILL);
    EXPECT_EQ(server.Wait(), -1);
  }
  const std::string log_of_first = testing::ReadBytes(dir / "first.stderr");
  ASSERT_THAT(log_of_first, ::testing::HasSubstr("snapshot at log seq"));

  ServerProcess restarted(args, {}, (dir / "second.stderr").string());
  const std::string address = restarted.ReadAddress();
  ASSERT_FALSE(address.empty());
  auto stub = Connect(address);
  EXPECT_THAT(testing::ReadBytes(dir / "second.stderr"),
              ::testing::HasSubstr("2 items out of stock)"));  // item-3 and item-4, as snapshotted.
  EXPECT_EQ(model_info(*stub).unavailable_items(), 2);
  std::vector<std::string> ids = recommended(*stub);
  EXPECT_EQ(ids.size(), 198u);
  EXPECT_THAT(ids, ::testing::Not(::testing::Contains("item-3")));
  EXPECT_THAT(ids, ::testing::Contains("item-4"));
  EXPECT_THAT(ids, ::testing::Not(::testing::Contains("item-5")));

  // A new model version takes the same items out before it serves.
  testing::WriteRandomModel(model_root, 2, ModelMode::kHrnnInit, 200, /*seed=*/99);
  for (int i = 0; i < 100 && model_info(*stub).version() != 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(model_info(*stub).version(), 2);
  EXPECT_EQ(model_info(*stub).unavailable_items(), 2);
  ids = recommended(*stub);
  EXPECT_THAT(ids, ::testing::Not(::testing::Contains("item-3")));
  EXPECT_THAT(ids, ::testing::Not(::testing::Contains("item-5")));
  restarted.Signal(SIGTERM);
  EXPECT_EQ(restarted.Wait(), 0);
}

}  // namespace
}  // namespace hrnn
