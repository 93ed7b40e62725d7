// The HTTP/JSON API (server/http_gateway.h) on a real server over loopback, driven by
// httplib::Client: every endpoint answers what the gRPC service answers for the same request,
// errors map to HTTP statuses with a JSON body, bearer tokens guard /v1/, calls are counted in
// the request metrics.
#include "server/http_gateway.h"

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "hrnn/v1/recommender.grpc.pb.h"
#include "httplib.h"
#include "nlohmann/json.hpp"
#include "server/http_console.h"
#include "server/recommender_server.h"
#include "tests/testing/http_get.h"
#include "tests/testing/model_dir.h"
#include "tests/testing/server_process.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace hrnn {
namespace {

using ::hrnn::testing::StatusIs;
using ::testing::FloatNear;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kToken[] = "http-s3cret-token-0123456789";

// `json` (an HTTP answer's body) parsed into `Message`; a failure is reported with the body.
template <typename Message>
Message FromJson(const std::string& json) {
  Message message;
  const auto status = google::protobuf::util::JsonStringToMessage(json, &message);
  EXPECT_TRUE(status.ok()) << status.ToString() << " in " << json;
  return message;
}

class HttpGatewayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::FreshTestDir();
    config_.model_dir = (dir_ / "models" / "shop").string();
    config_.port = 0;
    config_.metrics_port = 0;
    config_.http_port = 0;
    config_.model_poll_interval_ms = 100;
  }

  void StartServer(bool with_model = true) {
    if (with_model) testing::WriteRandomModel(config_.model_dir, 1);
    auto server = RecommenderServer::Start(config_);
    ASSERT_OK(server.status());
    server_ = *std::move(server);
    if (config_.http_port < 0) return;
    ASSERT_GT(server_->http_port(), 0);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->http_port());
    client_->set_read_timeout(10, 0);
    stub_ = v1::Recommender::NewStub(
        grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials()));
  }

  static std::unique_ptr<grpc::ClientContext> Context(const std::string& token = "") {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    if (!token.empty()) context->AddMetadata("authorization", absl::StrCat("Bearer ", token));
    return context;
  }

  // POST `body` to `path`; the result must be an answer (not a transport error).
  httplib::Result Post(const std::string& path, const std::string& body,
                       const httplib::Headers& headers = {}) {
    httplib::Result result = client_->Post(path.c_str(), headers, body, "application/json");
    EXPECT_TRUE(result) << path << ": " << httplib::to_string(result.error());
    return result;
  }
  httplib::Result Get(const std::string& path, const httplib::Headers& headers = {}) {
    httplib::Result result = client_->Get(path.c_str(), headers);
    EXPECT_TRUE(result) << path << ": " << httplib::to_string(result.error());
    return result;
  }

  // Expects an error answer: `status`, and a JSON body {"code": `code`, "message": ...} whose
  // message contains `message_part`.
  static void ExpectError(const httplib::Result& result, int status, const std::string& code,
                          const std::string& message_part = "") {
    ASSERT_TRUE(result);
    EXPECT_EQ(result->status, status) << result->body;
    EXPECT_EQ(result->get_header_value("Content-Type"), "application/json");
    const nlohmann::json body = nlohmann::json::parse(result->body, nullptr, false);
    ASSERT_TRUE(body.is_object()) << result->body;
    EXPECT_EQ(body.value("code", ""), code) << result->body;
    EXPECT_THAT(body.value("message", ""), HasSubstr(message_part)) << result->body;
  }

  std::filesystem::path dir_;
  ServerConfig config_;
  std::unique_ptr<RecommenderServer> server_;
  std::unique_ptr<httplib::Client> client_;
  std::unique_ptr<v1::Recommender::Stub> stub_;
};

TEST_F(HttpGatewayTest, RecommendationsEqualTheGrpcAnswerAndFollowEvents) {
  StartServer();
  v1::GetRecommendationsRequest request;
  request.set_user_id("ann");
  request.set_num_results(5);
  v1::GetRecommendationsResponse expected;
  ASSERT_TRUE(stub_->GetRecommendations(Context().get(), request, &expected).ok());

  // Original field names and lowerCamelCase are both accepted; the answer uses proto names and
  // prints every primitive field.
  for (const std::string body :
       {R"({"user_id": "ann", "num_results": 5})", R"({"userId": "ann", "numResults": 5})"}) {
    const httplib::Result result = Post("/v1/recommendations", body);
    ASSERT_TRUE(result);
    ASSERT_EQ(result->status, 200) << result->body;
    EXPECT_EQ(result->get_header_value("Content-Type"), "application/json");
    EXPECT_THAT(result->body, HasSubstr("\"item_id\""));
    EXPECT_THAT(result->body, HasSubstr("\"backfilled\""));  // 0, printed all the same.
    const auto got = FromJson<v1::GetRecommendationsResponse>(result->body);
    EXPECT_EQ(got.state(), "new_user");
    EXPECT_EQ(got.model_version(), 1);
    ASSERT_EQ(got.items_size(), expected.items_size());
    for (int i = 0; i < got.items_size(); ++i) {
      EXPECT_EQ(got.items(i).item_id(), expected.items(i).item_id()) << i;
      EXPECT_THAT(got.items(i).score(), FloatNear(expected.items(i).score(), 1e-5)) << i;
    }
  }

  const httplib::Result put =
      Post("/v1/events",
           R"({"events": [{"user_id": "ann", "item_id": "item-4", "event_type": "click"},
                     {"user_id": "ann", "item_id": "item-9"},
                     {"item_id": "item-9"}]})");
  ASSERT_TRUE(put);
  ASSERT_EQ(put->status, 200) << put->body;
  const auto put_response = FromJson<v1::PutEventsResponse>(put->body);
  EXPECT_EQ(put_response.accepted(), 2);
  ASSERT_EQ(put_response.rejected_size(), 1);
  EXPECT_EQ(put_response.rejected(0).index(), 2);
  EXPECT_THAT(put_response.rejected(0).reason(), HasSubstr("user_id"));

  const httplib::Result after = Post("/v1/recommendations", R"({"user_id":"ann","num_results":5})");
  ASSERT_TRUE(after);
  ASSERT_EQ(after->status, 200) << after->body;
  const auto got = FromJson<v1::GetRecommendationsResponse>(after->body);
  EXPECT_EQ(got.state(), "session");
  v1::GetRecommendationsResponse grpc_after;
  ASSERT_TRUE(stub_->GetRecommendations(Context().get(), request, &grpc_after).ok());
  ASSERT_EQ(got.items_size(), grpc_after.items_size());
  bool changed = false;
  for (int i = 0; i < got.items_size(); ++i) {
    EXPECT_EQ(got.items(i).item_id(), grpc_after.items(i).item_id()) << i;
    changed |= got.items(i).item_id() != expected.items(i).item_id() ||
               got.items(i).score() != expected.items(i).score();
  }
  EXPECT_TRUE(changed) << "the events did not change the recommendations";
}

// With an event log, /v1/events answers once the events are durable: a restarted server
// (recovering from the log) knows the user.
TEST_F(HttpGatewayTest, AcknowledgedEventsSurviveARestart) {
  config_.state_dir = (dir_ / "state").string();
  StartServer();
  const httplib::Result put = Post(
      "/v1/events", R"({"events": [{"user_id": "cy", "item_id": "item-4", "session_id": "s1"}]})");
  ASSERT_TRUE(put);
  ASSERT_EQ(put->status, 200) << put->body;
  EXPECT_EQ(FromJson<v1::PutEventsResponse>(put->body).accepted(), 1);
  server_->Shutdown(absl::ZeroDuration());
  server_.reset();
  auto restarted = RecommenderServer::Start(config_);
  ASSERT_OK(restarted.status());
  server_ = *std::move(restarted);
  client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->http_port());
  const httplib::Result after = Post("/v1/recommendations", R"({"user_id": "cy"})");
  ASSERT_TRUE(after);
  ASSERT_EQ(after->status, 200) << after->body;
  EXPECT_NE(FromJson<v1::GetRecommendationsResponse>(after->body).state(), "new_user");
}

TEST_F(HttpGatewayTest, EveryOtherEndpointAnswersLikeGrpc) {
  StartServer();
  const httplib::Result put =
      Post("/v1/events", R"({"events": [{"user_id": "bob", "item_id": "item-3"}]})");
  ASSERT_TRUE(put);
  ASSERT_EQ(put->status, 200) << put->body;

  // Ranking.
  v1::GetPersonalizedRankingRequest rank;
  rank.set_user_id("bob");
  rank.add_input_item_ids("item-1");
  rank.add_input_item_ids("nope");
  rank.add_input_item_ids("item-2");
  v1::GetPersonalizedRankingResponse rank_expected;
  ASSERT_TRUE(stub_->GetPersonalizedRanking(Context().get(), rank, &rank_expected).ok());
  const httplib::Result ranked =
      Post("/v1/ranking", R"({"user_id": "bob", "input_item_ids": ["item-1", "nope", "item-2"]})");
  ASSERT_TRUE(ranked);
  ASSERT_EQ(ranked->status, 200) << ranked->body;
  const auto rank_got = FromJson<v1::GetPersonalizedRankingResponse>(ranked->body);
  ASSERT_EQ(rank_got.items_size(), 3);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(rank_got.items(i).item_id(), rank_expected.items(i).item_id()) << i;
    EXPECT_EQ(rank_got.items(i).known(), rank_expected.items(i).known()) << i;
    EXPECT_THAT(rank_got.items(i).score(), FloatNear(rank_expected.items(i).score(), 1e-5)) << i;
  }
  EXPECT_EQ(rank_got.items(2).item_id(), "nope");

  // Similar items.
  v1::GetSimilarItemsRequest similar;
  similar.set_item_id("item-7");
  similar.set_num_results(4);
  v1::GetSimilarItemsResponse similar_expected;
  ASSERT_TRUE(stub_->GetSimilarItems(Context().get(), similar, &similar_expected).ok());
  const httplib::Result similar_result =
      Post("/v1/similar-items", R"({"item_id": "item-7", "num_results": 4})");
  ASSERT_TRUE(similar_result);
  ASSERT_EQ(similar_result->status, 200) << similar_result->body;
  const auto similar_got = FromJson<v1::GetSimilarItemsResponse>(similar_result->body);
  ASSERT_EQ(similar_got.items_size(), similar_expected.items_size());
  for (int i = 0; i < similar_got.items_size(); ++i) {
    EXPECT_EQ(similar_got.items(i).item_id(), similar_expected.items(i).item_id()) << i;
  }
  ExpectError(Post("/v1/similar-items", R"({"item_id": "no-such-item"})"), 404, "NOT_FOUND");

  // Items: take the first recommendation out of stock; it is no longer recommended.
  const auto before = FromJson<v1::GetRecommendationsResponse>(
      Post("/v1/recommendations", R"({"user_id": "bob", "num_results": 5})")->body);
  ASSERT_GT(before.items_size(), 0);
  const httplib::Result items =
      Post("/v1/items", absl::StrCat(R"({"items": [{"item_id": ")", before.items(0).item_id(),
                                     R"(", "available": false}, {"item_id": "zzz"}]})"));
  ASSERT_TRUE(items);
  ASSERT_EQ(items->status, 200) << items->body;
  const auto items_got = FromJson<v1::PutItemsResponse>(items->body);
  EXPECT_EQ(items_got.updated(), 1);
  ASSERT_EQ(items_got.unknown_item_ids_size(), 1);
  EXPECT_EQ(items_got.unknown_item_ids(0), "zzz");
  const auto out_of_stock = FromJson<v1::GetRecommendationsResponse>(
      Post("/v1/recommendations", R"({"user_id": "bob", "num_results": 5})")->body);
  ASSERT_GT(out_of_stock.items_size(), 0);
  EXPECT_NE(out_of_stock.items(0).item_id(), before.items(0).item_id());

  // Model info and filters: the very messages gRPC answers.
  v1::ModelInfo info_expected;
  ASSERT_TRUE(stub_->GetModelInfo(Context().get(), {}, &info_expected).ok());
  const httplib::Result info = Get("/v1/model");
  ASSERT_TRUE(info);
  ASSERT_EQ(info->status, 200) << info->body;
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(
      FromJson<v1::ModelInfo>(info->body), info_expected))
      << info->body;
  const httplib::Result filters = Get("/v1/filters");
  ASSERT_TRUE(filters);
  ASSERT_EQ(filters->status, 200) << filters->body;
  EXPECT_EQ(FromJson<v1::ListFiltersResponse>(filters->body).filters_size(), 0);

  // DeleteUser: the id comes from the (decoded) path.
  const httplib::Result deleted = client_->Delete("/v1/users/bob");
  ASSERT_TRUE(deleted);
  ASSERT_EQ(deleted->status, 200) << deleted->body;
  EXPECT_TRUE(FromJson<v1::DeleteUserResponse>(deleted->body).deleted());
  const httplib::Result again = client_->Delete("/v1/users/bob");
  ASSERT_TRUE(again);
  ASSERT_EQ(again->status, 200) << again->body;
  EXPECT_EQ(again->body, R"({"deleted":false})");
  const auto forgotten = FromJson<v1::GetRecommendationsResponse>(
      Post("/v1/recommendations", R"({"user_id": "bob"})")->body);
  EXPECT_EQ(forgotten.state(), "new_user");

  const httplib::Result health = Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(health->body, "SERVING\n");
}

TEST_F(HttpGatewayTest, ErrorsMapToHttpStatusesWithAJsonBody) {
  config_.max_message_bytes = 4096;
  StartServer();
  ExpectError(Post("/v1/recommendations", R"({"user_id": "ann",)"), 400, "INVALID_ARGUMENT",
              "GetRecommendations: the body is not a JSON hrnn.v1.GetRecommendationsRequest");
  ExpectError(Post("/v1/recommendations", R"({"user_id": "ann", "colour": "red"})"), 400,
              "INVALID_ARGUMENT", "colour");
  ExpectError(Post("/v1/recommendations", R"({"user_id": "ann", "num_results": -1})"), 400,
              "INVALID_ARGUMENT", "num_results");
  ExpectError(Post("/v1/events", R"({"events": []})"), 400, "INVALID_ARGUMENT", "events");
  ExpectError(Post("/v1/nothing", "{}"), 404, "NOT_FOUND", "/v1/nothing");
  ExpectError(Get("/v1/recommendations"), 405, "UNIMPLEMENTED", "allowed: POST");
  EXPECT_EQ(Get("/v1/recommendations")->get_header_value("Allow"), "POST");
  ExpectError(Post("/v1/model", "{}"), 405, "UNIMPLEMENTED", "allowed: GET");
  ExpectError(client_->Put("/v1/users/ann", "{}", "application/json"), 405, "UNIMPLEMENTED",
              "allowed: DELETE");
  const std::string large = absl::StrCat(R"({"user_id": ")", std::string(5000, 'a'), R"("})");
  ExpectError(Post("/v1/recommendations", large), 413, "RESOURCE_EXHAUSTED", "--max_message_bytes");
  // A body under the limit is served after the refused one.
  const httplib::Result ok = Post("/v1/recommendations", R"({"user_id": "ann"})");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200) << ok->body;
}

TEST_F(HttpGatewayTest, CallsAreCountedInTheRequestMetrics) {
  StartServer();
  ASSERT_EQ(Post("/v1/recommendations", R"({"user_id": "ann"})")->status, 200);
  ASSERT_EQ(Post("/v1/recommendations", "not json")->status, 400);
  ASSERT_EQ(Get("/v1/model")->status, 200);
  const std::string page = testing::HttpGet(server_->metrics_port(), "/metrics");
  EXPECT_THAT(page, HasSubstr("hrnn_requests_total{code=\"OK\",method=\"GetRecommendations\"} 1"));
  EXPECT_THAT(page, HasSubstr("hrnn_requests_total{code=\"INVALID_ARGUMENT\",method="
                              "\"GetRecommendations\"} 1"));
  EXPECT_THAT(page, HasSubstr("hrnn_requests_total{code=\"OK\",method=\"GetModelInfo\"} 1"));
}

TEST_F(HttpGatewayTest, BearerTokensGuardTheApiButNotHealth) {
  const std::filesystem::path tokens = dir_ / "tokens";
  std::ofstream(tokens) << "# accepted\n" << kToken << "\n";
  config_.auth_tokens_file = tokens.string();
  StartServer();
  ExpectError(Post("/v1/recommendations", R"({"user_id": "ann"})"), 401, "UNAUTHENTICATED");
  ExpectError(Post("/v1/recommendations", R"({"user_id": "ann"})",
                   {{"Authorization", "Bearer wrong-token-0123456789"}}),
              401, "UNAUTHENTICATED");
  ExpectError(Get("/v1/model", {{"Authorization", kToken}}), 401, "UNAUTHENTICATED");
  ExpectError(Post("/v1/events:stream", R"({"user_id": "ann", "item_id": "item-1"})"), 401,
              "UNAUTHENTICATED");
  const httplib::Headers bearer = {{"Authorization", absl::StrCat("Bearer ", kToken)}};
  const httplib::Result ok = Post("/v1/recommendations", R"({"user_id": "ann"})", bearer);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200) << ok->body;
  EXPECT_EQ(Get("/v1/model", bearer)->status, 200);
  const httplib::Result deleted = client_->Delete("/v1/users/ann");
  ExpectError(deleted, 401, "UNAUTHENTICATED");
  EXPECT_EQ(Get("/healthz")->status, 200);
  // gRPC takes the same token.
  v1::ModelInfo info;
  EXPECT_TRUE(stub_->GetModelInfo(Context(kToken).get(), {}, &info).ok());
}

TEST_F(HttpGatewayTest, StreamEventsTakesNewlineDelimitedJsonAsItArrives) {
  config_.state_dir = (dir_ / "state").string();
  StartServer();
  // Sent in small chunks that split lines (and a JSON value) across chunks: a storefront
  // forwarding clicks as they happen.
  const std::string body =
      "{\"user_id\": \"dee\", \"item_id\": \"item-4\", \"session_id\": \"s1\"}\n"
      "\n"                                              // Blank lines are skipped.
      "{\"user_id\": \"\", \"item_id\": \"item-5\"}\n"  // Rejected: no user.
      "{\"user_id\": \"dee\", \"item_id\": \"item-6\", \"session_id\": \"s1\"}";  // No final
                                                                                  // newline.
  httplib::Result result = client_->Post(
      "/v1/events:stream", {}, body.size(),
      [&body](size_t offset, size_t length, httplib::DataSink& sink) {
        sink.write(body.data() + offset, std::min<size_t>(length, 7));
        return true;
      },
      "application/x-ndjson");
  ASSERT_TRUE(result) << httplib::to_string(result.error());
  ASSERT_EQ(result->status, 200) << result->body;
  const auto answer = FromJson<v1::PutEventsResponse>(result->body);
  EXPECT_EQ(answer.accepted(), 2);
  ASSERT_EQ(answer.rejected_size(), 1);
  EXPECT_EQ(answer.rejected(0).index(), 1);
  EXPECT_THAT(answer.rejected(0).reason(), HasSubstr("user_id"));
  // The same with chunked transfer encoding (no Content-Length: a stream of unknown length).
  const std::string chunked_body =
      "{\"user_id\": \"fay\", \"item_id\": \"item-4\"}\n{\"user_id\": \"fay\", \"item_id\": "
      "\"item-6\"}\n";
  result = client_->Post(
      "/v1/events:stream", {},
      [&chunked_body](size_t offset, httplib::DataSink& sink) {
        if (offset >= chunked_body.size()) {
          sink.done();
        } else {
          sink.write(chunked_body.data() + offset,
                     std::min<size_t>(chunked_body.size() - offset, 5));
        }
        return true;
      },
      "application/x-ndjson");
  ASSERT_TRUE(result) << httplib::to_string(result.error());
  ASSERT_EQ(result->status, 200) << result->body;
  EXPECT_EQ(FromJson<v1::PutEventsResponse>(result->body).accepted(), 2);
  // Both clicks are in dee's session, acknowledged durably: after a restart too.
  server_->Shutdown(absl::ZeroDuration());
  server_.reset();
  StartServer(/*with_model=*/false);
  const httplib::Result after = Post("/v1/recommendations", R"({"user_id": "dee"})");
  ASSERT_TRUE(after);
  ASSERT_EQ(after->status, 200) << after->body;
  EXPECT_EQ(FromJson<v1::GetRecommendationsResponse>(after->body).state(), "session");
  const std::string page = testing::HttpGet(server_->metrics_port(), "/metrics");
  EXPECT_THAT(page, HasSubstr("hrnn_event_streams_active 0"));
}

TEST_F(HttpGatewayTest, StreamEventsStopsAtALineThatIsNotAnEvent) {
  StartServer();
  const std::string body =
      "{\"user_id\": \"eve\", \"item_id\": \"item-4\"}\n"
      "{\"user_id\": \"eve\", \"colour\": \"red\"}\n"
      "{\"user_id\": \"eve\", \"item_id\": \"item-5\"}\n";
  ExpectError(Post("/v1/events:stream", body), 400, "INVALID_ARGUMENT",
              "line 2 is not a JSON hrnn.v1.Event");
  ExpectError(Get("/v1/events:stream"), 405, "UNIMPLEMENTED", "allowed: POST");
  // The event before the bad line was applied; the one after it was not read.
  const httplib::Result after =
      Post("/v1/recommendations", R"({"user_id": "eve", "num_results": 3})");
  ASSERT_TRUE(after);
  EXPECT_EQ(FromJson<v1::GetRecommendationsResponse>(after->body).state(), "session");
  const std::string page = testing::HttpGet(server_->metrics_port(), "/metrics");
  EXPECT_THAT(page, HasSubstr("method=\"StreamEvents\""));
}

TEST_F(HttpGatewayTest, HealthIsUnavailableWithoutAModel) {
  StartServer(/*with_model=*/false);
  const httplib::Result health = Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 503);
  EXPECT_EQ(health->body, "NOT_SERVING\n");
  ExpectError(Post("/v1/recommendations", R"({"user_id": "ann"})"), 503, "UNAVAILABLE");
}

TEST_F(HttpGatewayTest, OffByDefault) {
  config_.http_port = ServerConfig().http_port;
  StartServer();
  EXPECT_EQ(server_->http_port(), -1);
}

// hrnn-server itself: HRNN_HTTP_PORT=0 picks a port, printed as "http on HOST:PORT" after the
// gRPC and metrics lines; a bad --http_port stops the start naming the flag.
TEST(HttpGatewayBinaryTest, PrintsThePortPickedAndServesIt) {
  const auto dir = testing::FreshTestDir();
  const std::string model_root = (dir / "models" / "shop").string();
  testing::WriteRandomModel(model_root, 1);
  const std::string err = (dir / "stderr.txt").string();
  testing::ServerProcess server({"--port=0", "--metrics_port=0", "--model_dir=" + model_root},
                                {"HRNN_HTTP_PORT=0"}, err);
  ASSERT_THAT(server.ReadLine(), HasSubstr("listening on 127.0.0.1:"));
  ASSERT_THAT(server.ReadLine(), HasSubstr("metrics on 127.0.0.1:"));
  const std::string http = server.ReadLine();
  ASSERT_THAT(http, HasSubstr("http on 127.0.0.1:"));
  int port = 0;
  ASSERT_TRUE(absl::SimpleAtoi(
      absl::StripAsciiWhitespace(absl::StripPrefix(http, "http on 127.0.0.1:")), &port))
      << http;
  httplib::Client client("127.0.0.1", port);
  const httplib::Result health = client.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  const httplib::Result recommended =
      client.Post("/v1/recommendations", R"({"user_id":"u1","num_results":5})", "application/json");
  ASSERT_TRUE(recommended);
  EXPECT_EQ(recommended->status, 200) << recommended->body;
  server.Signal(SIGTERM);
  EXPECT_EQ(server.Wait(), 0);

  testing::ServerProcess bad({"--model_dir=" + model_root, "--http_port=-7"}, {}, err);
  EXPECT_EQ(bad.Wait(), 2);
  std::ifstream file(err);
  std::string line;
  std::getline(file, line);
  EXPECT_THAT(line, HasSubstr("--http_port: -7 is outside 0..65535"));
}

TEST(HttpGatewayConfigTest, ValidationNamesTheFlag) {
  ServerConfig config;
  config.model_dir = "/models/shop";
  EXPECT_EQ(config.http_port, -1);
  ASSERT_OK(config.Validate());
  config.http_port = 0;
  ASSERT_OK(config.Validate());
  config.http_port = -2;
  EXPECT_THAT(config.Validate(), StatusIs(absl::StatusCode::kInvalidArgument, "--http_port"));
  config.http_port = 70000;
  EXPECT_THAT(config.Validate(), StatusIs(absl::StatusCode::kInvalidArgument, "--http_port"));
  config.http_port = config.port;
  EXPECT_THAT(config.Validate(), StatusIs(absl::StatusCode::kInvalidArgument, "--http_port"));
  config.http_port = config.metrics_port;
  EXPECT_THAT(config.Validate(), StatusIs(absl::StatusCode::kInvalidArgument, "--http_port"));
}

TEST(HttpStatusForTest, MapsGrpcCodes) {
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kOk), 200);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kInvalidArgument), 400);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kFailedPrecondition), 400);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kUnauthenticated), 401);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kPermissionDenied), 403);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kNotFound), 404);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kResourceExhausted), 429);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kUnimplemented), 501);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kUnavailable), 503);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kDeadlineExceeded), 504);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kInternal), 500);
  EXPECT_EQ(HttpStatusFor(absl::StatusCode::kDataLoss), 500);
}

// GET /console: the embedded page, the same bytes on both paths, with its security headers; a
// self-contained page (no external URL, no innerHTML) over the JSON API's paths. It needs no
// token even with --auth_tokens_file (it holds no data; its calls send the token).
TEST_F(HttpGatewayTest, ConsoleServesTheEmbeddedPageWithSecurityHeaders) {
  const std::filesystem::path tokens = dir_ / "tokens";
  std::ofstream(tokens) << kToken << "\n";
  config_.auth_tokens_file = tokens.string();
  StartServer();
  for (const std::string path : {"/console", "/console/"}) {
    SCOPED_TRACE(path);
    const httplib::Result page = Get(path);
    ASSERT_TRUE(page);
    EXPECT_EQ(page->status, 200);
    EXPECT_EQ(page->get_header_value("Content-Type"), "text/html; charset=utf-8");
    EXPECT_EQ(page->get_header_value("Cache-Control"), "no-cache");
    EXPECT_EQ(page->get_header_value("X-Content-Type-Options"), "nosniff");
    EXPECT_EQ(page->get_header_value("X-Frame-Options"), "DENY");
    EXPECT_EQ(page->get_header_value("Referrer-Policy"), "no-referrer");
    const std::string csp = page->get_header_value("Content-Security-Policy");
    EXPECT_EQ(csp, ConsoleContentSecurityPolicy(ConsoleHtml()));
    EXPECT_THAT(csp, HasSubstr("default-src 'none'; connect-src 'self';"));
    EXPECT_THAT(csp, HasSubstr("script-src 'sha256-"));
    EXPECT_THAT(csp, HasSubstr("style-src 'sha256-"));
    EXPECT_THAT(csp, HasSubstr("frame-ancestors 'none'"));
    EXPECT_THAT(csp, Not(HasSubstr("unsafe")));
    EXPECT_EQ(page->body, ConsoleHtml());
    EXPECT_THAT(page->body, HasSubstr("<!DOCTYPE html>"));
    for (const char* api :
         {"\"/v1/model\"", "\"/v1/filters\"", "\"/v1/recommendations\"", "\"/v1/similar-items\"",
          "\"/v1/events\"", "Bearer ${token}", "recommendation_id", "experiment", "arm"}) {
      EXPECT_THAT(page->body, HasSubstr(api));
    }
    EXPECT_THAT(page->body, Not(HasSubstr("http://")));
    EXPECT_THAT(page->body, Not(HasSubstr("https://")));
    EXPECT_THAT(page->body, Not(HasSubstr("innerHTML")));
  }
  // The API behind it still wants the token; other methods are 405; subpaths are unknown.
  ExpectError(Get("/v1/model"), 401, "UNAUTHENTICATED");
  ExpectError(Post("/console", "{}"), 405, "UNIMPLEMENTED", "allowed: GET");
  ExpectError(Get("/console/app.js"), 404, "NOT_FOUND");
}

// The policy allows exactly the page's inline blocks by SHA-256 (base64), skipping comments.
TEST_F(HttpGatewayTest, ConsolePolicyHashesTheInlineBlocks) {
  EXPECT_EQ(ConsoleContentSecurityPolicy(
                "<!-- <script> --><style>p{}</style><p>text</p><script>alert(1)</script>"),
            "default-src 'none'; connect-src 'self'; img-src 'self'; script-src "
            "'sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI='; style-src "
            "'sha256-gG2yISYereRMiG2lMXrbiUgi0Ubw9p7QCeWcroOvy9Y='; base-uri 'none'; "
            "form-action 'none'; frame-ancestors 'none'");
  EXPECT_THAT(ConsoleContentSecurityPolicy("<p>no blocks</p>"),
              HasSubstr("script-src 'none'; style-src 'none';"));
}

}  // namespace
}  // namespace hrnn
