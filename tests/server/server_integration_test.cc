// Integration tests: the real server (RecommenderServer, as hrnn-server runs it) on a loopback
// port, driven over gRPC and HTTP by real clients.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/generic/generic_stub.h"
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

using ::grpc::health::v1::HealthCheckRequest;
using ::grpc::health::v1::HealthCheckResponse;
using ::hrnn::testing::HttpGet;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A completion queue drained on the test thread, for the generic stub's raw calls: each
// operation's tag is waited for in turn, and the queue is shut down and drained at the end.
class CallQueue {
 public:
  ~CallQueue() {
    queue_.Shutdown();
    void* tag = nullptr;
    bool ok = false;
    while (queue_.Next(&tag, &ok)) {
    }
  }
  grpc::CompletionQueue* get() { return &queue_; }
  // Waits for the next completion, checks that it is the operation tagged `expected`, and
  // returns whether that operation succeeded.
  bool Next(intptr_t expected) {
    void* tag = nullptr;
    bool ok = false;
    EXPECT_TRUE(queue_.Next(&tag, &ok));
    EXPECT_EQ(reinterpret_cast<intptr_t>(tag), expected);
    return ok;
  }
  static void* Tag(intptr_t tag) { return reinterpret_cast<void*>(tag); }

 private:
  grpc::CompletionQueue queue_;
};

class ServerIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::FreshTestDir();
    config_.model_dir = (dir_ / "models" / "shop").string();
    config_.port = 0;
    config_.metrics_port = 0;
    config_.model_poll_interval_ms = 100;
  }

  void StartServer(bool with_model = true) {
    if (with_model) testing::WriteRandomModel(config_.model_dir, 1);
    auto server = RecommenderServer::Start(config_);
    ASSERT_OK(server.status());
    server_ = *std::move(server);
    channel_ = grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials());
    stub_ = v1::Recommender::NewStub(channel_);
    health_ = grpc::health::v1::Health::NewStub(channel_);
  }

  static std::unique_ptr<grpc::ClientContext> Context() {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return context;
  }

  HealthCheckResponse::ServingStatus Health(const std::string& service) {
    HealthCheckRequest request;
    request.set_service(service);
    HealthCheckResponse response;
    const grpc::Status status = health_->Check(Context().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.status();
  }

  v1::Event Click(const std::string& user, const std::string& item) {
    v1::Event event;
    event.set_user_id(user);
    event.set_item_id(item);
    return event;
  }

  grpc::Status Recommend(const std::string& user, v1::GetRecommendationsResponse* response,
                         int n = 5) {
    v1::GetRecommendationsRequest request;
    request.set_user_id(user);
    request.set_num_results(n);
    return stub_->GetRecommendations(Context().get(), request, response);
  }

  // Calls `method` ("/hrnn.v1.Recommender/<Name>") with `bytes` as the raw request.
  grpc::Status RawUnary(const std::string& method, const std::string& bytes,
                        std::string* reply = nullptr) {
    grpc::GenericStub generic(channel_);
    grpc::Slice slice(bytes);
    const grpc::ByteBuffer request(&slice, 1);
    grpc::ByteBuffer response;
    grpc::Status status;
    // A completion queue drained on this thread (not the callback API), so that the whole call
    // stays on one thread of ours: the TSan build cannot see gRPC's own hand-offs.
    CallQueue queue;
    auto context = Context();
    std::unique_ptr<grpc::GenericClientAsyncResponseReader> call =
        generic.PrepareUnaryCall(context.get(), method, request, queue.get());
    call->StartCall();
    call->Finish(&response, &status, CallQueue::Tag(1));
    EXPECT_TRUE(queue.Next(1));
    if (reply != nullptr && status.ok()) {
      std::vector<grpc::Slice> slices;
      EXPECT_TRUE(response.Dump(&slices).ok());
      reply->clear();
      for (const auto& s : slices)
        reply->append(reinterpret_cast<const char*>(s.begin()), s.size());
    }
    return status;
  }

  std::filesystem::path dir_;
  ServerConfig config_;
  std::unique_ptr<RecommenderServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Recommender::Stub> stub_;
  std::unique_ptr<grpc::health::v1::Health::Stub> health_;
};

TEST_F(ServerIntegrationTest, EveryRpcOverTheWire) {
  StartServer();
  EXPECT_EQ(Health(""), HealthCheckResponse::SERVING);
  EXPECT_EQ(Health("hrnn.v1.Recommender"), HealthCheckResponse::SERVING);

  v1::GetRecommendationsResponse before;
  ASSERT_TRUE(Recommend("ann", &before).ok());
  EXPECT_EQ(before.items_size(), 5);
  EXPECT_EQ(before.state(), "new_user");

  v1::PutEventsRequest put;
  *put.add_events() = Click("ann", "item-4");
  *put.add_events() = Click("ann", "item-9");
  *put.add_events() = Click("", "item-9");
  v1::PutEventsResponse put_response;
  ASSERT_TRUE(stub_->PutEvents(Context().get(), put, &put_response).ok());
  EXPECT_EQ(put_response.accepted(), 2);
  ASSERT_EQ(put_response.rejected_size(), 1);
  EXPECT_EQ(put_response.rejected(0).index(), 2);
  EXPECT_THAT(put_response.rejected(0).reason(), HasSubstr("user_id"));

  v1::GetRecommendationsResponse after;
  ASSERT_TRUE(Recommend("ann", &after).ok());
  EXPECT_EQ(after.state(), "session");
  EXPECT_EQ(after.model_version(), 1);

  v1::GetPersonalizedRankingRequest rank;
  rank.set_user_id("ann");
  rank.add_input_item_ids("item-1");
  rank.add_input_item_ids("nope");
  rank.add_input_item_ids("item-2");
  v1::GetPersonalizedRankingResponse ranked;
  ASSERT_TRUE(stub_->GetPersonalizedRanking(Context().get(), rank, &ranked).ok());
  ASSERT_EQ(ranked.items_size(), 3);
  EXPECT_EQ(ranked.items(2).item_id(), "nope");

  v1::PutItemsRequest items;
  auto* item = items.add_items();
  item->set_item_id(after.items(0).item_id());
  item->set_available(false);
  v1::PutItemsResponse items_response;
  ASSERT_TRUE(stub_->PutItems(Context().get(), items, &items_response).ok());
  EXPECT_EQ(items_response.updated(), 1);
  v1::GetRecommendationsResponse out_of_stock;
  ASSERT_TRUE(Recommend("ann", &out_of_stock).ok());
  EXPECT_NE(out_of_stock.items(0).item_id(), after.items(0).item_id());

  v1::ModelInfo info;
  ASSERT_TRUE(stub_->GetModelInfo(Context().get(), v1::GetModelInfoRequest(), &info).ok());
  EXPECT_EQ(info.name(), "shop");
  EXPECT_EQ(info.num_items(), 200);
  EXPECT_EQ(info.unavailable_items(), 1);
  EXPECT_EQ(info.item_fields_size(), 0);  // No items file.

  v1::ListFiltersResponse filters;
  ASSERT_TRUE(stub_->ListFilters(Context().get(), v1::ListFiltersRequest(), &filters).ok());
  EXPECT_EQ(filters.filters_size(), 0);  // No --filters_file.
  v1::GetRecommendationsRequest named;
  named.set_user_id("ann");
  named.mutable_filter()->set_name("colour");
  v1::GetRecommendationsResponse refused;
  const grpc::Status unknown = stub_->GetRecommendations(Context().get(), named, &refused);
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(unknown.error_message(), HasSubstr("filter.name: no filter named \"colour\""));

  v1::DeleteUserRequest forget;
  forget.set_user_id("ann");
  v1::DeleteUserResponse forgotten;
  ASSERT_TRUE(stub_->DeleteUser(Context().get(), forget, &forgotten).ok());
  EXPECT_TRUE(forgotten.deleted());
}

TEST_F(ServerIntegrationTest, RecipesAreServedLiveAndNamedInTheResponse) {
  RecipeSettings settings;
  settings.recipes = {RecipeKind::kHrnn,     RecipeKind::kSknn,     RecipeKind::kSr,
                      RecipeKind::kPersonal, RecipeKind::kTrending, RecipeKind::kAuto};
  settings.default_recipe = RecipeKind::kAuto;
  settings.blend = {{"hrnn", 0.5}, {"sknn", 1}, {"sr", 0}, {"personal", 0.25}, {"trending", 0}};
  settings.validation["auto"] = RecipeValidation{0.5, 0.25, 10};
  testing::WriteRandomModelWithRecipes(config_.model_dir, 1, settings);
  StartServer(/*with_model=*/false);

  v1::ModelInfo info;
  ASSERT_TRUE(stub_->GetModelInfo(Context().get(), v1::GetModelInfoRequest(), &info).ok());
  EXPECT_THAT(info.recipes(), ElementsAre("hrnn", "sknn", "sr", "personal", "trending", "auto"));
  EXPECT_EQ(info.default_recipe(), "auto");
  EXPECT_EQ(info.blend_weights().at("sknn"), 1.0);
  EXPECT_EQ(info.metrics().at("validation.auto.mrr@20"), 0.25);
  // The components' settings (here the defaults).
  EXPECT_EQ(info.metrics().at("sknn.k"), SessionKnnOptions().k);
  EXPECT_EQ(info.metrics().at("personal.session_weight"), 1.0);
  EXPECT_EQ(info.metrics().at("trending.half_life_seconds"), 86400);
  EXPECT_EQ(info.metrics().at("similar_items.cooccurrence"), 1.0);

  // A user without state gets the trending fallback, whatever the recipe.
  v1::GetRecommendationsResponse fresh;
  ASSERT_TRUE(Recommend("bob", &fresh).ok());
  EXPECT_EQ(fresh.recipe(), "trending");
  EXPECT_EQ(fresh.state(), "new_user");
  ASSERT_EQ(fresh.items_size(), 5);

  v1::PutEventsRequest put;
  *put.add_events() = Click("ann", "item-3");
  v1::PutEventsResponse put_response;
  ASSERT_TRUE(stub_->PutEvents(Context().get(), put, &put_response).ok());
  ASSERT_EQ(put_response.accepted(), 1);

  auto ask = [&](const std::string& recipe, v1::GetRecommendationsResponse* response) {
    v1::GetRecommendationsRequest request;
    request.set_user_id("ann");
    request.set_num_results(3);
    request.set_recipe(recipe);
    return stub_->GetRecommendations(Context().get(), request, response);
  };
  v1::GetRecommendationsResponse sknn;
  ASSERT_TRUE(ask("sknn", &sknn).ok());
  EXPECT_EQ(sknn.recipe(), "sknn");
  EXPECT_EQ(sknn.state(), "session");
  // Sessions with item-3 hold item-3, item-23 and item-43, equally similar: ties by index.
  ASSERT_EQ(sknn.items_size(), 3);
  EXPECT_EQ(sknn.items(0).item_id(), "item-3");
  EXPECT_EQ(sknn.items(1).item_id(), "item-23");
  EXPECT_EQ(sknn.items(2).item_id(), "item-43");
  EXPECT_EQ(sknn.backfilled(), 0);

  v1::GetRecommendationsResponse sr;
  ASSERT_TRUE(ask("sr", &sr).ok());
  EXPECT_EQ(sr.recipe(), "sr");
  EXPECT_EQ(sr.items(0).item_id(), "item-23");  // 3 -> 23 at distance 1 weighs most.
  EXPECT_EQ(sr.items(1).item_id(), "item-43");
  EXPECT_EQ(sr.backfilled(), 1);

  v1::GetRecommendationsResponse blended;
  ASSERT_TRUE(ask("", &blended).ok());
  EXPECT_EQ(blended.recipe(), "auto");
  EXPECT_EQ(blended.items_size(), 3);

  v1::GetRecommendationsResponse bad;
  grpc::Status status = ask("knn", &bad);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("recipe: unknown recipe \"knn\""));

  // Live trending: a burst of clicks on item-150 by other users makes it the fallback's top.
  v1::PutEventsRequest burst;
  for (int i = 0; i < 30; ++i) *burst.add_events() = Click(absl::StrCat("u", i), "item-150");
  ASSERT_TRUE(stub_->PutEvents(Context().get(), burst, &put_response).ok());
  // Trending's list of top items may be up to a second of events stale (AddTopScores).
  v1::GetRecommendationsResponse trending;
  for (int attempt = 0; attempt < 40; ++attempt) {
    ASSERT_TRUE(Recommend("carol", &trending).ok());
    if (trending.items(0).item_id() == "item-150") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(trending.recipe(), "trending");
  EXPECT_EQ(trending.items(0).item_id(), "item-150");
}

TEST_F(ServerIntegrationTest, SimilarItemsAreServedThroughTheBatcherWithFiltersAndMetrics) {
  RecipeSettings settings;
  settings.recipes = {RecipeKind::kHrnn, RecipeKind::kSknn, RecipeKind::kTrending};
  settings.default_recipe = RecipeKind::kHrnn;
  settings.similar_items.cooccurrence_weight = 1;
  settings.similar_items.hrnn_weight = 0.5;
  testing::WriteRandomModelWithRecipes(config_.model_dir, 1, settings);
  StartServer(/*with_model=*/false);

  auto similar = [&](const std::string& item, int n, v1::GetSimilarItemsResponse* response,
                     const std::string& user = "") {
    v1::GetSimilarItemsRequest request;
    request.set_item_id(item);
    request.set_num_results(n);
    request.set_user_id(user);
    if (!user.empty()) request.mutable_filter()->set_exclude_session_items(true);
    return stub_->GetSimilarItems(Context().get(), request, response);
  };
  // testing::TestSessions: item-3 shares its sessions with item-23 and item-43.
  v1::GetSimilarItemsResponse answer;
  ASSERT_TRUE(similar("item-3", 4, &answer).ok());
  EXPECT_EQ(answer.recipe(), "auto");
  EXPECT_EQ(answer.model_version(), 1);
  ASSERT_EQ(answer.items_size(), 4);
  EXPECT_THAT((std::vector<std::string>{answer.items(0).item_id(), answer.items(1).item_id()}),
              ::testing::UnorderedElementsAre("item-23", "item-43"));

  // Concurrent callers share the batcher's passes with GetRecommendations and get the same
  // answer.
  std::vector<std::thread> callers;
  std::atomic<int> mismatches{0};
  for (int t = 0; t < 4; ++t) {
    callers.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        v1::GetSimilarItemsResponse again;
        v1::GetRecommendationsResponse other;
        if (!similar("item-3", 4, &again).ok() ||
            again.items(0).item_id() != answer.items(0).item_id() ||
            again.items(3).item_id() != answer.items(3).item_id() ||
            !Recommend(absl::StrCat("caller-", t), &other).ok()) {
          ++mismatches;
        }
      }
    });
  }
  for (std::thread& caller : callers) caller.join();
  EXPECT_EQ(mismatches.load(), 0);

  // A shopper's session items are left out when asked.
  v1::PutEventsRequest put;
  *put.add_events() = Click("ann", "item-23");
  v1::PutEventsResponse put_response;
  ASSERT_TRUE(stub_->PutEvents(Context().get(), put, &put_response).ok());
  v1::GetSimilarItemsResponse filtered;
  ASSERT_TRUE(similar("item-3", 4, &filtered, "ann").ok());
  EXPECT_EQ(filtered.items(0).item_id(), "item-43");
  for (const auto& item : filtered.items()) EXPECT_NE(item.item_id(), "item-23");

  v1::GetSimilarItemsResponse missing;
  grpc::Status status = similar("no-such-item", 4, &missing);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr("item_id: \"no-such-item\""));
  status = similar("item-3", 501, &missing);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("num_results: 501"));

  const std::string page = HttpGet(server_->metrics_port(), "/metrics");
  EXPECT_THAT(page, HasSubstr("hrnn_requests_total{code=\"OK\",method=\"GetSimilarItems\"} 42"));
  EXPECT_THAT(page,
              HasSubstr("hrnn_requests_total{code=\"NOT_FOUND\",method=\"GetSimilarItems\"} 1"));
}

TEST_F(ServerIntegrationTest, ARecipeTheVersionDoesNotServeIsInvalidArgument) {
  StartServer();  // A version without recipe files: hrnn only.
  v1::GetRecommendationsRequest request;
  request.set_user_id("ann");
  request.set_recipe("sknn");
  v1::GetRecommendationsResponse response;
  const grpc::Status status = stub_->GetRecommendations(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(),
              HasSubstr("recipe: model version 1 does not serve \"sknn\" (it serves hrnn)"));
  v1::GetRecommendationsResponse plain;
  ASSERT_TRUE(Recommend("ann", &plain).ok());
  EXPECT_EQ(plain.recipe(), "hrnn");  // No trending fallback without recipes.
}

TEST_F(ServerIntegrationTest, ValidationErrorsArriveAsInvalidArgumentNamingTheField) {
  StartServer();
  v1::GetRecommendationsResponse response;
  grpc::Status status = Recommend("", &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("user_id"));
  status = Recommend("u", &response, 501);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("num_results"));
  v1::PutEventsResponse put_response;
  status = stub_->PutEvents(Context().get(), v1::PutEventsRequest(), &put_response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("events"));
}

TEST_F(ServerIntegrationTest, UnparsableRequestsAreInvalidArgumentNamingTheMethod) {
  // user_id (field 1) claims 127 bytes but 2 follow; then a user_id that is not UTF-8.
  const std::string bad_length = std::string("\x0a\x7f", 2) + "ab";
  const std::string bad_utf8("\x0a\x02\xff\xfe", 4);
  for (const ScoringMode scoring : {ScoringMode::kBatched, ScoringMode::kNaive}) {
    SCOPED_TRACE(ScoringModeName(scoring));
    config_.scoring = scoring;
    StartServer(/*with_model=*/scoring == ScoringMode::kBatched);
    for (const std::string& bytes : {bad_length, bad_utf8}) {
      grpc::Status status = RawUnary("/hrnn.v1.Recommender/GetRecommendations", bytes);
      EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
      EXPECT_EQ(status.error_message(),
                "GetRecommendations: the request could not be parsed as "
                "hrnn.v1.GetRecommendationsRequest");
      status = RawUnary("/hrnn.v1.Recommender/PutEvents", "\x0a\x04" + bytes);
      EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
      EXPECT_EQ(status.error_message(),
                "PutEvents: the request could not be parsed as hrnn.v1.PutEventsRequest");
    }
    EXPECT_EQ(server_->store().stats().users, 0);

    // A valid request in raw bytes, and through the typed stub, still works.
    v1::GetRecommendationsRequest request;
    request.set_user_id("ann");
    request.set_num_results(3);
    std::string reply;
    ASSERT_TRUE(
        RawUnary("/hrnn.v1.Recommender/GetRecommendations", request.SerializeAsString(), &reply)
            .ok());
    v1::GetRecommendationsResponse parsed;
    ASSERT_TRUE(parsed.ParseFromString(reply));
    EXPECT_EQ(parsed.items_size(), 3);
    v1::GetRecommendationsResponse response;
    ASSERT_TRUE(Recommend("ann", &response).ok());
    EXPECT_EQ(response.items_size(), 5);
    server_->Shutdown(absl::ZeroDuration());
  }
}

TEST_F(ServerIntegrationTest, AnUnparsableStreamEventEndsTheStreamAsInvalidArgument) {
  StartServer();
  grpc::GenericStub generic(channel_);
  CallQueue queue;
  auto context = Context();
  auto call = generic.PrepareCall(context.get(), "/hrnn.v1.Recommender/StreamEvents", queue.get());
  call->StartCall(CallQueue::Tag(1));
  queue.Next(1);
  grpc::Slice good(Click("u", "item-1").SerializeAsString());
  call->Write(grpc::ByteBuffer(&good, 1), CallQueue::Tag(2));
  queue.Next(2);
  grpc::Slice bad(std::string("\x0a\x7f", 2) + "ab");
  call->Write(grpc::ByteBuffer(&bad, 1), CallQueue::Tag(3));
  queue.Next(3);
  call->WritesDone(CallQueue::Tag(4));
  queue.Next(4);
  grpc::Status status;
  call->Finish(&status, CallQueue::Tag(5));
  queue.Next(5);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_EQ(status.error_message(), "StreamEvents: event 1 could not be parsed as hrnn.v1.Event");
}

TEST_F(ServerIntegrationTest, StreamEventsAppliesEveryEventAndCountsThem) {
  StartServer();
  v1::PutEventsResponse response;
  auto context = Context();
  auto writer = stub_->StreamEvents(context.get(), &response);
  for (int i = 0; i < 300; ++i) {
    ASSERT_TRUE(writer->Write(Click(absl::StrCat("user", i % 10), absl::StrCat("item-", i % 97))));
  }
  ASSERT_TRUE(writer->Write(Click("user0", "")));  // Rejected at position 300.
  writer->WritesDone();
  ASSERT_TRUE(writer->Finish().ok());
  EXPECT_EQ(response.accepted(), 300);
  ASSERT_EQ(response.rejected_size(), 1);
  EXPECT_EQ(response.rejected(0).index(), 300);
  EXPECT_EQ(server_->store().stats().users, 10);
  EXPECT_EQ(server_->store().Get("user3", 0)->state.session_length, 30);
}

TEST_F(ServerIntegrationTest, TooManyOpenStreamsAreRefused) {
  config_.max_concurrent_streams = 1;
  StartServer();
  v1::PutEventsResponse first_response;
  auto first_context = Context();
  auto first = stub_->StreamEvents(first_context.get(), &first_response);
  ASSERT_TRUE(first->Write(Click("u", "item-1")));
  // Write() returns once the event is on the wire, not once the server has opened the stream:
  // wait until the event is applied, so the first stream surely holds the only slot.
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (!server_->store().Get("u", 0).has_value() && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  ASSERT_TRUE(server_->store().Get("u", 0).has_value()) << "the first stream's event never arrived";

  v1::PutEventsResponse second_response;
  auto second_context = Context();
  auto second = stub_->StreamEvents(second_context.get(), &second_response);
  second->WritesDone();
  const grpc::Status refused = second->Finish();
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(refused.error_message(), HasSubstr("max_concurrent_streams"));

  first->WritesDone();
  ASSERT_TRUE(first->Finish().ok());
  EXPECT_EQ(first_response.accepted(), 1);
}

TEST_F(ServerIntegrationTest, OversizedMessagesAreRefused) {
  config_.max_message_bytes = 8192;
  StartServer();
  v1::PutEventsRequest put;
  for (int i = 0; i < 200; ++i) *put.add_events() = Click(std::string(100, 'u'), "item-1");
  v1::PutEventsResponse response;
  const grpc::Status status = stub_->PutEvents(Context().get(), put, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(server_->store().stats().users, 0);
}

TEST_F(ServerIntegrationTest, ConcurrentClientsSeeConsistentState) {
  StartServer();
  constexpr int kClients = 6;
  constexpr int kEventsPerClient = 60;
  std::atomic<int> failures{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      auto stub = v1::Recommender::NewStub(
          grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials()));
      for (int i = 0; i < kEventsPerClient; ++i) {
        v1::PutEventsRequest put;
        // Every client writes its own user and a shared one.
        *put.add_events() = Click(absl::StrCat("client", c), absl::StrCat("item-", i));
        *put.add_events() = Click("shared", absl::StrCat("item-", c * kEventsPerClient / 2 + i));
        v1::PutEventsResponse put_response;
        if (!stub->PutEvents(Context().get(), put, &put_response).ok() ||
            put_response.accepted() != 2) {
          ++failures;
        }
        v1::GetRecommendationsRequest request;
        request.set_user_id(absl::StrCat("client", c));
        v1::GetRecommendationsResponse response;
        if (!stub->GetRecommendations(Context().get(), request, &response).ok() ||
            response.items_size() != 25) {
          ++failures;
        }
      }
    });
  }
  for (auto& client : clients) client.join();
  EXPECT_EQ(failures.load(), 0);
  for (int c = 0; c < kClients; ++c) {
    EXPECT_EQ(server_->store().Get(absl::StrCat("client", c), 0)->state.session_length,
              kEventsPerClient);
  }
  // Consecutive shared events can repeat an item only as a duplicate of the very last event;
  // distinct items per (client, i) within a client keep that rare, so most are applied.
  EXPECT_GT(server_->store().Get("shared", 0)->state.session_length,
            kClients * kEventsPerClient / 2);
}

TEST_F(ServerIntegrationTest, WithoutAModelCallsAreUnavailableUntilOneAppears) {
  StartServer(/*with_model=*/false);
  EXPECT_FALSE(server_->serving());
  EXPECT_EQ(Health(""), HealthCheckResponse::NOT_SERVING);
  v1::GetRecommendationsResponse response;
  const grpc::Status status = Recommend("u", &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(status.error_message(), HasSubstr("no model"));

  testing::WriteRandomModel(config_.model_dir, 1);
  for (int i = 0; i < 100 && !server_->serving(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(server_->serving());
  for (int i = 0; i < 20 && Health("") != HealthCheckResponse::SERVING; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(Health("hrnn.v1.Recommender"), HealthCheckResponse::SERVING);
  EXPECT_TRUE(Recommend("u", &response).ok());
}

TEST_F(ServerIntegrationTest, NewModelVersionsAreServedAndBadOnesRefused) {
  config_.model_poll_interval_ms = 100;
  StartServer();
  v1::PutEventsRequest put;
  *put.add_events() = Click("ann", "item-4");
  v1::PutEventsResponse put_response;
  ASSERT_TRUE(stub_->PutEvents(Context().get(), put, &put_response).ok());
  v1::GetRecommendationsResponse response;
  ASSERT_TRUE(Recommend("ann", &response).ok());
  EXPECT_EQ(response.state(), "session");

  auto served_version = [&] {
    v1::ModelInfo info;
    return stub_->GetModelInfo(Context().get(), v1::GetModelInfoRequest(), &info).ok()
               ? info.version()
               : -1;
  };
  testing::WriteRandomModel(config_.model_dir, 2, ModelMode::kHrnnInit, 200, /*seed=*/99);
  for (int i = 0; i < 100 && served_version() != 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(served_version(), 2);
  // The state built by version 1 is never used with version 2.
  ASSERT_TRUE(Recommend("ann", &response).ok());
  EXPECT_EQ(response.model_version(), 2);
  EXPECT_EQ(response.state(), "new_user");

  // A corrupt version 3 appears (complete, then renamed in, as a trainer would write it).
  const auto staging = dir_ / "staging";
  const std::string bad = testing::WriteRandomModel(staging, 3);
  {
    std::fstream weights(std::filesystem::path(bad) / "weights.safetensors",
                         std::ios::in | std::ios::out | std::ios::binary);
    weights.seekp(-16, std::ios::end);
    weights.write("garbage-garbage!", 16);
  }
  std::filesystem::rename(bad, std::filesystem::path(config_.model_dir) / "3");
  std::string page;
  for (int i = 0; i < 100; ++i) {
    page = HttpGet(server_->metrics_port(), "/metrics");
    if (page.find("hrnn_model_load_failures_total 1") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_THAT(page, HasSubstr("hrnn_model_load_failures_total 1"));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // More polls: no retry storm.
  EXPECT_THAT(HttpGet(server_->metrics_port(), "/metrics"),
              HasSubstr("hrnn_model_load_failures_total 1"));
  EXPECT_EQ(served_version(), 2);
  EXPECT_THAT(HttpGet(server_->metrics_port(), "/metrics"), HasSubstr("hrnn_model_version 2"));
}

TEST_F(ServerIntegrationTest, ReflectionListsTheServices) {
  StartServer();
  grpc::GenericStub generic(channel_);
  CallQueue queue;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  auto call = generic.PrepareCall(
      &context, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", queue.get());
  call->StartCall(CallQueue::Tag(1));
  queue.Next(1);
  // ServerReflectionRequest{list_services = "*"}: field 7, length-delimited.
  const std::string request_bytes("\x3a\x01*", 3);
  grpc::Slice slice(request_bytes);
  grpc::ByteBuffer request(&slice, 1);
  call->Write(request, CallQueue::Tag(2));
  queue.Next(2);
  grpc::ByteBuffer reply;
  call->Read(&reply, CallQueue::Tag(3));
  ASSERT_TRUE(queue.Next(3));
  std::vector<grpc::Slice> slices;
  ASSERT_TRUE(reply.Dump(&slices).ok());
  std::string bytes;
  for (const auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  EXPECT_THAT(bytes, HasSubstr("hrnn.v1.Recommender"));
  EXPECT_THAT(bytes, HasSubstr("grpc.health.v1.Health"));
  call->WritesDone(CallQueue::Tag(4));
  queue.Next(4);
  grpc::Status status;
  call->Finish(&status, CallQueue::Tag(5));
  queue.Next(5);
  EXPECT_TRUE(status.ok()) << status.error_message();
}

TEST_F(ServerIntegrationTest, MetricsEndpointServesRealCounters) {
  StartServer();
  v1::GetRecommendationsResponse response;
  ASSERT_TRUE(Recommend("m", &response).ok());
  ASSERT_FALSE(Recommend("", &response).ok());
  v1::PutEventsRequest put;
  *put.add_events() = Click("m", "item-3");
  v1::PutEventsResponse put_response;
  ASSERT_TRUE(stub_->PutEvents(Context().get(), put, &put_response).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(700));  // One maintenance tick.

  const std::string page = HttpGet(server_->metrics_port(), "/metrics");
  EXPECT_THAT(page, HasSubstr("200 OK"));
  EXPECT_THAT(page, HasSubstr("hrnn_requests_total{code=\"OK\",method=\"GetRecommendations\"} 1"));
  EXPECT_THAT(page, HasSubstr("hrnn_requests_total{code=\"INVALID_ARGUMENT\","
                              "method=\"GetRecommendations\"} 1"));
  EXPECT_THAT(page, HasSubstr("hrnn_request_duration_seconds_count{method=\"PutEvents\"} 1"));
  EXPECT_THAT(page, HasSubstr("hrnn_events_total{event_type=\"click\",outcome=\"new_session\"} 1"));
  EXPECT_THAT(page, HasSubstr("hrnn_active_users 1"));
  EXPECT_THAT(page, HasSubstr("hrnn_model_version 1"));
  EXPECT_THAT(page, HasSubstr("hrnn_model_loaded 1"));
}

TEST_F(ServerIntegrationTest, ShutdownDrainsAndRefusesNewCalls) {
  StartServer();
  v1::GetRecommendationsResponse response;
  ASSERT_TRUE(Recommend("u", &response).ok());
  server_->Shutdown(absl::Seconds(1));
  server_->Shutdown(absl::Seconds(1));  // Idempotent.
  auto context = Context();
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
  v1::GetRecommendationsRequest request;
  request.set_user_id("u");
  EXPECT_FALSE(stub_->GetRecommendations(context.get(), request, &response).ok());
}

TEST_F(ServerIntegrationTest, BadConfigAndTakenPortsFailToStart) {
  config_.max_id_bytes = 0;
  EXPECT_THAT(RecommenderServer::Start(config_).status(),
              testing::StatusIs(absl::StatusCode::kInvalidArgument, "--max_id_bytes"));
  config_ = ServerConfig();
  config_.model_dir = (dir_ / "models" / "shop").string();
  config_.port = 0;
  config_.metrics_port = 0;
  StartServer();
  ServerConfig clash = config_;
  clash.port = server_->port();
  clash.metrics_port = 0;
  EXPECT_THAT(RecommenderServer::Start(clash).status(),
              testing::StatusIs(absl::StatusCode::kUnavailable, "--port"));
  clash.port = 0;
  clash.metrics_port = server_->metrics_port();
  EXPECT_THAT(RecommenderServer::Start(clash).status(),
              testing::StatusIs(absl::StatusCode::kUnavailable, "--metrics_port"));
}

}  // namespace
}  // namespace hrnn
