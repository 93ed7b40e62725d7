#include "client/recommender_client.h"

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/client/fake_recommender_server.h"
#include "tests/testing/status_matchers.h"

namespace hrnn::client {
namespace {

using ::hrnn::testing::FakeRecommenderServer;
using ::hrnn::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::Eq;
using ::testing::Optional;
using HealthResponse = ::grpc::health::v1::HealthCheckResponse;

class RecommenderClientTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NE(server_.port(), 0) << "the fake server did not start"; }

  // A client of the fake with fast retries.
  std::unique_ptr<RecommenderClient> MakeClient(int max_attempts = 3,
                                                absl::Duration deadline = absl::Seconds(5)) {
    ClientOptions options;
    options.target = server_.target();
    options.deadline = deadline;
    options.max_attempts = max_attempts;
    options.initial_backoff = absl::Milliseconds(1);
    options.max_backoff = absl::Milliseconds(4);
    auto client = RecommenderClient::Create(options);
    EXPECT_OK(client);
    return client.ok() ? *std::move(client) : nullptr;
  }

  // The hrnn-user-id metadata of the last call the fake saw.
  std::optional<std::string> LastUserIdMetadata() const {
    const auto calls = server_.calls();
    return calls.empty() ? std::nullopt : calls.back().user_id_md;
  }

  static hrnn::v1::GetRecommendationsRequest Recommend(const std::string& user, int n) {
    hrnn::v1::GetRecommendationsRequest request;
    request.set_user_id(user);
    request.set_num_results(n);
    return request;
  }

  static hrnn::v1::Event MakeEvent(const std::string& user, const std::string& item) {
    hrnn::v1::Event event;
    event.set_user_id(user);
    event.set_item_id(item);
    return event;
  }

  FakeRecommenderServer server_;
};

TEST_F(RecommenderClientTest, CreateRejectsBadOptions) {
  ClientOptions options;
  EXPECT_THAT(RecommenderClient::Create(options),
              StatusIs(absl::StatusCode::kInvalidArgument, "target"));
  options.target = "127.0.0.1:1";
  options.deadline = absl::ZeroDuration();
  EXPECT_THAT(RecommenderClient::Create(options),
              StatusIs(absl::StatusCode::kInvalidArgument, "deadline"));
  options.deadline = absl::Seconds(1);
  options.max_attempts = 0;
  EXPECT_THAT(RecommenderClient::Create(options),
              StatusIs(absl::StatusCode::kInvalidArgument, "max_attempts"));
  options.max_attempts = 3;
  options.max_backoff = absl::Milliseconds(1);
  EXPECT_THAT(RecommenderClient::Create(options),
              StatusIs(absl::StatusCode::kInvalidArgument, "initial_backoff"));
}

TEST_F(RecommenderClientTest, GetRecommendationsSendsUserIdMetadata) {
  auto client = MakeClient();
  ASSERT_OK_AND_ASSIGN(auto response, client->GetRecommendations(Recommend("u1", 3)));
  ASSERT_EQ(response.items_size(), 3);
  EXPECT_EQ(response.items(0).item_id(), "i0");
  EXPECT_EQ(response.model_version(), 7);
  EXPECT_THAT(LastUserIdMetadata(), Optional(Eq("u1")));
}

TEST_F(RecommenderClientTest, UserIdMetadataIsPercentEncodedOutsidePrintableAscii) {
  auto client = MakeClient();
  ASSERT_OK(client->GetRecommendations(Recommend("\xC3\xBC%x y", 1)));
  EXPECT_THAT(LastUserIdMetadata(), Optional(Eq("%C3%BC%25x y")));
}

TEST_F(RecommenderClientTest, EveryUserCallSendsMetadataAndOthersDoNot) {
  auto client = MakeClient();
  hrnn::v1::GetPersonalizedRankingRequest rank;
  rank.set_user_id("u2");
  rank.add_input_item_ids("a");
  rank.add_input_item_ids("x1");
  rank.add_input_item_ids("b");
  ASSERT_OK_AND_ASSIGN(auto ranked, client->GetPersonalizedRanking(rank));
  ASSERT_EQ(ranked.items_size(), 3);
  EXPECT_EQ(ranked.items(0).item_id(), "b");
  EXPECT_FALSE(ranked.items(2).known());
  EXPECT_THAT(LastUserIdMetadata(), Optional(Eq("u2")));

  hrnn::v1::GetSimilarItemsRequest similar;
  similar.set_item_id("a");
  similar.set_num_results(2);
  ASSERT_OK_AND_ASSIGN(auto like_a, client->GetSimilarItems(similar));
  ASSERT_EQ(like_a.items_size(), 2);
  EXPECT_EQ(like_a.items(1).item_id(), "a-like-1");
  EXPECT_EQ(like_a.recipe(), "auto");
  EXPECT_EQ(LastUserIdMetadata(), std::nullopt);  // No user: nothing to route by.
  similar.set_user_id("u5");
  ASSERT_OK(client->GetSimilarItems(similar));
  EXPECT_THAT(LastUserIdMetadata(), Optional(Eq("u5")));
  similar.set_item_id("x-unknown");
  EXPECT_THAT(client->GetSimilarItems(similar),
              StatusIs(absl::StatusCode::kNotFound, "item_id: \"x-unknown\""));

  hrnn::v1::DeleteUserRequest remove;
  remove.set_user_id("known");
  ASSERT_OK_AND_ASSIGN(auto deleted, client->DeleteUser(remove));
  EXPECT_TRUE(deleted.deleted());
  EXPECT_THAT(LastUserIdMetadata(), Optional(Eq("known")));

  hrnn::v1::PutEventsRequest same_user;
  *same_user.add_events() = MakeEvent("u3", "a");
  *same_user.add_events() = MakeEvent("u3", "b");
  ASSERT_OK_AND_ASSIGN(auto put, client->PutEvents(same_user));
  EXPECT_EQ(put.accepted(), 2);
  EXPECT_THAT(LastUserIdMetadata(), Optional(Eq("u3")));

  hrnn::v1::PutEventsRequest two_users;
  *two_users.add_events() = MakeEvent("u3", "a");
  *two_users.add_events() = MakeEvent("u4", "b");
  ASSERT_OK(client->PutEvents(two_users));
  EXPECT_EQ(LastUserIdMetadata(), std::nullopt);

  ASSERT_OK_AND_ASSIGN(auto info, client->GetModelInfo());
  EXPECT_EQ(info.name(), "demo");
  EXPECT_EQ(LastUserIdMetadata(), std::nullopt);

  hrnn::v1::PutItemsRequest items;
  items.add_items()->set_item_id("a");
  items.add_items()->set_item_id("x9");
  ASSERT_OK_AND_ASSIGN(auto updated, client->PutItems(items));
  EXPECT_EQ(updated.updated(), 1);
  EXPECT_THAT(updated.unknown_item_ids(), ElementsAre("x9"));
  EXPECT_EQ(LastUserIdMetadata(), std::nullopt);
}

TEST_F(RecommenderClientTest, ListFiltersSendsNoUserAndRetriesUnavailable) {
  auto client = MakeClient(/*max_attempts=*/3);
  server_.FailNext(1, grpc::StatusCode::UNAVAILABLE, "no model loaded");
  ASSERT_OK_AND_ASSIGN(auto response, client->ListFilters());
  ASSERT_EQ(response.filters_size(), 2);
  EXPECT_EQ(response.filters(0).name(), "by_color");
  EXPECT_EQ(response.filters(1).parameters(0).name(), "MAX_PRICE");
  EXPECT_TRUE(response.filters(1).parameters(0).numeric());
  const auto calls = server_.calls();
  ASSERT_EQ(calls.size(), 2u);
  for (const auto& call : calls) {
    EXPECT_EQ(call.method, "ListFilters");
    EXPECT_EQ(call.user_id_md, std::nullopt);
  }
  server_.FailNext(1, grpc::StatusCode::PERMISSION_DENIED, "admin only");
  EXPECT_THAT(client->ListFilters(), StatusIs(absl::StatusCode::kPermissionDenied, "admin only"));
  EXPECT_EQ(server_.calls().size(), 3u);
}

TEST_F(RecommenderClientTest, RetriesUnavailableUntilSuccess) {
  auto client = MakeClient(/*max_attempts=*/3);
  server_.FailNext(2, grpc::StatusCode::UNAVAILABLE, "no model loaded");
  ASSERT_OK_AND_ASSIGN(auto response, client->GetRecommendations(Recommend("u1", 2)));
  EXPECT_EQ(response.items_size(), 2);
  const auto calls = server_.calls();
  ASSERT_EQ(calls.size(), 3u);
  for (const auto& call : calls) EXPECT_THAT(call.user_id_md, Optional(Eq("u1")));
}

TEST_F(RecommenderClientTest, GivesUpAfterMaxAttempts) {
  auto client = MakeClient(/*max_attempts=*/3);
  server_.FailNext(100, grpc::StatusCode::UNAVAILABLE, "no model loaded");
  EXPECT_THAT(client->GetModelInfo(), StatusIs(absl::StatusCode::kUnavailable, "no model loaded"));
  EXPECT_EQ(server_.calls().size(), 3u);
}

TEST_F(RecommenderClientTest, OneAttemptMeansNoRetry) {
  auto client = MakeClient(/*max_attempts=*/1);
  server_.FailNext(1, grpc::StatusCode::UNAVAILABLE, "no model loaded");
  EXPECT_THAT(client->GetModelInfo(), StatusIs(absl::StatusCode::kUnavailable, ""));
  EXPECT_EQ(server_.calls().size(), 1u);
}

TEST_F(RecommenderClientTest, DoesNotRetryOtherErrorsAndKeepsCodeAndMessage) {
  auto client = MakeClient(/*max_attempts=*/5);
  EXPECT_THAT(client->GetRecommendations(Recommend("u1", 900)),
              StatusIs(absl::StatusCode::kInvalidArgument, "num_results: 900 is outside 1..500"));
  EXPECT_EQ(server_.calls().size(), 1u);
  server_.FailNext(1, grpc::StatusCode::RESOURCE_EXHAUSTED, "too many streams");
  EXPECT_THAT(client->GetModelInfo(),
              StatusIs(absl::StatusCode::kResourceExhausted, "too many streams"));
  EXPECT_EQ(server_.calls().size(), 2u);
}

TEST_F(RecommenderClientTest, DeadlineExceeded) {
  auto client = MakeClient(/*max_attempts=*/3, /*deadline=*/absl::Milliseconds(100));
  server_.SetDelay(absl::Milliseconds(600));
  const absl::Time start = absl::Now();
  EXPECT_THAT(client->GetModelInfo(), StatusIs(absl::StatusCode::kDeadlineExceeded, ""));
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(500));
  EXPECT_EQ(server_.calls().size(), 1u);  // DEADLINE_EXCEEDED is not retried.
}

TEST_F(RecommenderClientTest, RetriesStopAtTheDeadline) {
  ClientOptions options;
  options.target = server_.target();
  options.deadline = absl::Milliseconds(300);
  options.max_attempts = 10;
  options.initial_backoff = absl::Milliseconds(200);
  options.max_backoff = absl::Seconds(1);
  ASSERT_OK_AND_ASSIGN(auto client, RecommenderClient::Create(options));
  server_.FailNext(100, grpc::StatusCode::UNAVAILABLE, "no model loaded");
  const absl::Time start = absl::Now();
  EXPECT_THAT(client->GetModelInfo(), StatusIs(absl::StatusCode::kUnavailable, ""));
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(900));
  EXPECT_LT(server_.calls().size(), 10u);
}

TEST(RecommenderClientUnreachableTest, NoServerIsUnavailable) {
  // Bind a port, then close it, so nothing listens there.
  int port = 0;
  {
    FakeRecommenderServer server;
    port = server.port();
  }
  ClientOptions options;
  options.target = absl::StrCat("127.0.0.1:", port);
  options.initial_backoff = absl::Milliseconds(1);
  options.max_backoff = absl::Milliseconds(2);
  ASSERT_OK_AND_ASSIGN(auto client, RecommenderClient::Create(options));
  EXPECT_THAT(client->HealthCheck(""), StatusIs(absl::StatusCode::kUnavailable, ""));
}

TEST_F(RecommenderClientTest, HealthCheck) {
  auto client = MakeClient();
  server_.SetServingStatus("hrnn.v1.Recommender", HealthResponse::NOT_SERVING);
  ASSERT_OK_AND_ASSIGN(auto whole, client->HealthCheck(""));
  EXPECT_EQ(whole, HealthResponse::SERVING);
  ASSERT_OK_AND_ASSIGN(auto status, client->HealthCheck("hrnn.v1.Recommender"));
  EXPECT_EQ(status, HealthResponse::NOT_SERVING);
  EXPECT_THAT(client->HealthCheck("nope"), StatusIs(absl::StatusCode::kNotFound, "unknown"));
}

TEST_F(RecommenderClientTest, StreamEventsCountsAcceptedAndRejected) {
  auto client = MakeClient();
  std::unique_ptr<EventStream> stream = client->StreamEvents("u5");
  for (const char* item : {"a", "b", "", "c", "d"}) EXPECT_OK(stream->Write(MakeEvent("u5", item)));
  EXPECT_EQ(stream->written(), 5);
  ASSERT_OK_AND_ASSIGN(auto response, stream->Finish());
  EXPECT_EQ(response.accepted(), 4);
  ASSERT_EQ(response.rejected_size(), 1);
  EXPECT_EQ(response.rejected(0).index(), 2);
  EXPECT_THAT(response.rejected(0).reason(), ::testing::HasSubstr("item_id"));
  EXPECT_THAT(stream->Finish(), StatusIs(absl::StatusCode::kFailedPrecondition, "finished"));
  EXPECT_THAT(stream->Write(MakeEvent("u5", "e")),
              StatusIs(absl::StatusCode::kFailedPrecondition, "finished"));

  const auto events = server_.events();
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[3].item_id(), "d");
  EXPECT_THAT(LastUserIdMetadata(), Optional(Eq("u5")));
}

TEST_F(RecommenderClientTest, StreamWithoutUserSendsNoMetadata) {
  auto client = MakeClient();
  auto stream = client->StreamEvents();
  EXPECT_OK(stream->Write(MakeEvent("u1", "a")));
  EXPECT_OK(stream->Write(MakeEvent("u2", "b")));
  ASSERT_OK_AND_ASSIGN(auto response, stream->Finish());
  EXPECT_EQ(response.accepted(), 2);
  EXPECT_EQ(LastUserIdMetadata(), std::nullopt);
}

TEST_F(RecommenderClientTest, StreamErrorComesFromFinish) {
  auto client = MakeClient();
  server_.FailNext(1, grpc::StatusCode::UNAVAILABLE, "no model loaded");
  auto stream = client->StreamEvents();
  // Writes may or may not notice the failure before Finish(); Finish() reports it.
  for (int i = 0; i < 3; ++i) stream->Write(MakeEvent("u1", "a")).IgnoreError();
  EXPECT_THAT(stream->Finish(), StatusIs(absl::StatusCode::kUnavailable, "no model loaded"));
  EXPECT_EQ(server_.calls().size(), 1u);  // Streams are not retried.
}

TEST_F(RecommenderClientTest, StreamDestroyedWithoutFinishIsCancelled) {
  auto client = MakeClient();
  {
    auto stream = client->StreamEvents();
    EXPECT_OK(stream->Write(MakeEvent("u1", "a")));
  }
  // The client still works afterwards.
  EXPECT_OK(client->GetModelInfo());
}

TEST_F(RecommenderClientTest, StreamDeadline) {
  ClientOptions options;
  options.target = server_.target();
  options.stream_deadline = absl::Milliseconds(100);
  ASSERT_OK_AND_ASSIGN(auto client, RecommenderClient::Create(options));
  server_.SetDelay(absl::Milliseconds(600));
  auto stream = client->StreamEvents();
  stream->Write(MakeEvent("u1", "a")).IgnoreError();
  EXPECT_THAT(stream->Finish(), StatusIs(absl::StatusCode::kDeadlineExceeded, ""));
}

TEST_F(RecommenderClientTest, ConcurrentCallsShareOneClient) {
  auto client = MakeClient();
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        if (!client->GetRecommendations(Recommend(absl::StrCat("u", t), 5)).ok()) ++failures;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(server_.calls().size(), 160u);
}

}  // namespace
}  // namespace hrnn::client
