// End-to-end tests of the hrnn-cli binary against the in-process fake server.
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/client/fake_recommender_server.h"
#include "tests/testing/temp_dir.h"

namespace hrnn::client {
namespace {

using ::hrnn::testing::FakeRecommenderServer;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(server_.port(), 0);
    dir_ = ::hrnn::testing::FreshTestDir().string();
  }

  // Runs `hrnn-cli --target=<fake> <args>`; `args` are passed through the shell unquoted.
  CliResult Run(const std::string& args, bool with_target = true) {
    const std::string err_path = dir_ + "/stderr.txt";
    const std::string command = std::string(HRNN_CLI_PATH) +
                                (with_target ? " --target=" + server_.target() : "") +
                                " --max_attempts=1 " + args + " 2>" + err_path;
    CliResult result;
    FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) return result;
    char buffer[4096];
    size_t n = 0;
    while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) result.out.append(buffer, n);
    const int status = pclose(pipe);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::ifstream err(err_path);
    std::stringstream err_text;
    err_text << err.rdbuf();
    result.err = err_text.str();
    return result;
  }

  FakeRecommenderServer server_;
  std::string dir_;
};

TEST_F(CliTest, RecommendPrintsATable) {
  const CliResult result = Run("recommend --user=u1 --n=3 --session=s1");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, StartsWith("3 item(s), state session, recipe hrnn, model 7"));
  EXPECT_THAT(result.out, HasSubstr("   3  i2 "));
  ASSERT_FALSE(server_.calls().empty());
  EXPECT_EQ(server_.calls().back().user_id_md, "u1");
}

TEST_F(CliTest, RecommendSendsTheRecipe) {
  CliResult result = Run("recommend --user=u1 --n=1 --recipe=sknn");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, StartsWith("1 item(s), state new_user, recipe sknn, model 7"));
  result = Run("recommend --user=u1 --recipe=knn");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, StartsWith("error: INVALID_ARGUMENT: recipe: \"knn\""));
}

TEST_F(CliTest, RecommendJson) {
  const CliResult result = Run("--json recommend --user=u1 --n=2 --exclude=a,b");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, StartsWith("{\"items\":[{\"item_id\":\"i0\""));
  EXPECT_THAT(result.out, HasSubstr("\"model_version\":\"7\""));
}

TEST_F(CliTest, RankEventDeleteUserPutItemsModelInfo) {
  CliResult result = Run("rank --user=u1 --items=a,x1,b");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("   3  x1 "));

  result = Run("event --user=u1 --item=i5 --type=purchase --value=9.5 --timestamp_ms=1234");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("accepted 1, rejected 0"));
  ASSERT_EQ(server_.events().size(), 1u);
  const hrnn::v1::Event event = server_.events()[0];
  EXPECT_EQ(event.event_type(), "purchase");
  EXPECT_DOUBLE_EQ(event.event_value(), 9.5);
  EXPECT_EQ(event.timestamp_ms(), 1234);

  result = Run("delete-user --user=known");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("deleted: the server held state"));

  result = Run("--json put-items --items=a,x2 --available=false");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("\"updated\":1"));

  result = Run("model-info");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("mode               hrnn-init\n"));
  EXPECT_THAT(result.out, HasSubstr("metric recall@20   0.25\n"));
}

TEST_F(CliTest, FiltersPrintsOneLinePerFilterOrJson) {
  CliResult result = Run("filters");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out,
            "by_color(COLORS): INCLUDE ItemID WHERE Items.COLOR IN ($COLORS)\n"
            "cheaper_than(MAX_PRICE:number, COLORS): EXCLUDE ItemID WHERE Items.PRICE >= "
            "$MAX_PRICE OR Items.COLOR IN ($COLORS)\n");
  ASSERT_FALSE(server_.calls().empty());
  EXPECT_EQ(server_.calls().back().method, "ListFilters");

  result = Run("--json filters");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, StartsWith("{\"filters\":[{\"name\":\"by_color\",\"expression\":"));
  EXPECT_THAT(result.out, HasSubstr("{\"name\":\"MAX_PRICE\",\"numeric\":true}"));
  EXPECT_THAT(result.out, HasSubstr("{\"name\":\"COLORS\",\"numeric\":false}"));
  EXPECT_EQ(std::count(result.out.begin(), result.out.end(), '\n'), 1);

  server_.FailNext(1, grpc::StatusCode::UNAVAILABLE, "no model loaded");
  result = Run("filters");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.err, "error: UNAVAILABLE: no model loaded\n");
}

TEST_F(CliTest, RecommendSendsTheNamedFilterAndItsValues) {
  const CliResult result =
      Run("recommend --user=u1 --n=2 --exclude_purchased --filter=cheaper_than "
          "--filter_values=' MAX_PRICE = 20 ; COLORS=navy blue|red '");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, StartsWith("2 item(s)"));
  const std::optional<hrnn::v1::Filter> filter = server_.last_filter();
  ASSERT_TRUE(filter.has_value());
  EXPECT_EQ(filter->name(), "cheaper_than");
  EXPECT_TRUE(filter->exclude_purchased());
  ASSERT_EQ(filter->values_size(), 2);
  EXPECT_THAT(filter->values().at("MAX_PRICE").values(), ElementsAre("20"));
  EXPECT_THAT(filter->values().at("COLORS").values(), ElementsAre("navy blue", "red"));

  // A filter without parameters; the server's answer to an unknown name is a failed call.
  CliResult other = Run("recommend --user=u1 --n=1 --filter=by_color");
  EXPECT_EQ(other.exit_code, 0) << other.err;
  EXPECT_EQ(server_.last_filter()->name(), "by_color");
  EXPECT_TRUE(server_.last_filter()->values().empty());
  other = Run("recommend --user=u1 --filter=nope --filter_values=A=1");
  EXPECT_EQ(other.exit_code, 1);
  EXPECT_EQ(other.err, "error: INVALID_ARGUMENT: filter.name: \"nope\" is not a named filter\n");
}

TEST_F(CliTest, RecommendSendsAPromotionAndMarksThePromotedItems) {
  CliResult result =
      Run("recommend --user=u1 --n=3 --promotion=sale --promotion_percent=30 "
          "--promotion_filter=cheaper_than --promotion_values='MAX_PRICE=20'");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  const std::optional<hrnn::v1::Promotion> promotion = server_.last_promotion();
  ASSERT_TRUE(promotion.has_value());
  EXPECT_EQ(promotion->name(), "sale");
  EXPECT_EQ(promotion->percent_promoted_items(), 30);
  EXPECT_EQ(promotion->filter_name(), "cheaper_than");
  EXPECT_THAT(promotion->filter_values().at("MAX_PRICE").values(), ElementsAre("20"));
  EXPECT_THAT(result.out, HasSubstr("score  promotion\n"));
  EXPECT_THAT(result.out, HasSubstr("  sale\n"));

  result = Run("recommend --user=u1 --n=3");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_FALSE(server_.last_promotion().has_value());
  EXPECT_THAT(result.out, Not(HasSubstr("promotion")));

  result = Run("recommend --user=u1 --promotion=sale");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("--promotion and --promotion_filter go together"));
  result = Run("recommend --user=u1 --promotion_values=A=1");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("--promotion_values needs --promotion_filter"));
  result = Run("similar --item=a --promotion=sale --promotion_filter=by_color");
  EXPECT_EQ(result.exit_code, 2);
}

TEST_F(CliTest, SimilarAndRankSendTheNamedFilter) {
  CliResult result =
      Run("similar --item=dress-1 --n=1 --filter=by_color --filter_values=COLORS=red");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  ASSERT_TRUE(server_.last_filter().has_value());
  EXPECT_EQ(server_.last_filter()->name(), "by_color");
  EXPECT_THAT(server_.last_filter()->values().at("COLORS").values(), ElementsAre("red"));

  result = Run("rank --user=u1 --items=a,b --filter=cheaper_than --filter_values='MAX_PRICE=5'");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(server_.last_filter()->name(), "cheaper_than");
  EXPECT_THAT(server_.last_filter()->values().at("MAX_PRICE").values(), ElementsAre("5"));
}

TEST_F(CliTest, BadFilterValuesAreUsageErrorsBeforeAnyCall) {
  const struct {
    const char* args;
    const char* message;
  } cases[] = {
      {"recommend --user=u --filter_values=COLORS=red",
       "hrnn-cli: --filter_values needs --filter=NAME"},
      {"similar --item=i --filter_values=COLORS=red",
       "hrnn-cli: --filter_values needs --filter=NAME"},
      {"recommend --user=u --filter=f --filter_values='COLORS=red;COLORS=navy'",
       "hrnn-cli: --filter_values: part 2 (column 12): parameter \"COLORS\" is given twice"},
      {"rank --user=u --items=a --filter=f --filter_values='COLORS'",
       "hrnn-cli: --filter_values: part 1 (column 1) \"COLORS\" has no '='"},
      {"model-info --filter=f", "hrnn-cli: --filter does not apply to model-info"},
      {"filters --filter_values=A=1", "hrnn-cli: --filter_values does not apply to filters"},
  };
  for (const auto& bad : cases) {
    const CliResult result = Run(bad.args);
    EXPECT_EQ(result.exit_code, 2) << bad.args;
    EXPECT_THAT(result.err, StartsWith(bad.message)) << bad.args;
    EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << bad.args << result.err;
  }
  EXPECT_TRUE(server_.calls().empty());
}

TEST_F(CliTest, SimilarNeedsAnItemAndTakesAnOptionalUser) {
  CliResult result = Run("similar --item=dress-1 --n=2");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, StartsWith("2 item(s), recipe auto, model 7, recommendation sim-1\n"));
  EXPECT_THAT(result.out, HasSubstr("   2  dress-1-like-1 "));
  ASSERT_FALSE(server_.calls().empty());
  EXPECT_EQ(server_.calls().back().method, "GetSimilarItems");
  EXPECT_EQ(server_.calls().back().user_id_md, std::nullopt);

  result = Run("--json similar --item=dress-1 --n=1 --user=u7 --exclude_session_items");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, StartsWith("{\"items\":[{\"item_id\":\"dress-1-like-0\""));
  EXPECT_EQ(server_.calls().back().user_id_md, "u7");

  result = Run("similar --item=x-gone");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, StartsWith("error: NOT_FOUND: item_id: \"x-gone\""));
}

TEST_F(CliTest, Health) {
  CliResult result = Run("health");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "SERVING\n");

  server_.SetServingStatus("hrnn.v1.Recommender",
                           grpc::health::v1::HealthCheckResponse::NOT_SERVING);
  result = Run("health --service=hrnn.v1.Recommender");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.out, "NOT_SERVING\n");

  result = Run("health --service=nope");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.err, "error: NOT_FOUND: unknown service\n");
}

TEST_F(CliTest, FailedCallPrintsCodeAndMessage) {
  server_.FailNext(1, grpc::StatusCode::UNAVAILABLE, "no model loaded");
  const CliResult result = Run("model-info");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.err, "error: UNAVAILABLE: no model loaded\n");
  EXPECT_EQ(result.out, "");
}

TEST_F(CliTest, RejectedEventExitsOne) {
  const CliResult result = Run("event --user=u1 --item=\"\"");
  EXPECT_EQ(result.exit_code, 2);  // An empty --item is a usage error.
  server_.FailNext(1, grpc::StatusCode::INVALID_ARGUMENT, "user_id: too long");
  const CliResult invalid = Run("event --user=u1 --item=i1");
  EXPECT_EQ(invalid.exit_code, 1);
  EXPECT_EQ(invalid.err, "error: INVALID_ARGUMENT: user_id: too long\n");
}

TEST_F(CliTest, ReplayStreamsTheLogInBatches) {
  const std::string log = dir_ + "/log.csv";
  std::ofstream(log) << "USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE\n"
                        "u1,i1,1700000000,click,\n"
                        "u1,i2,1700000060,click,\n"
                        "u1,i3,bad,click,\n"
                        "u2,i1,1700000100,purchase,3\n"
                        "u2,i4,1700000200,click,\n";
  const CliResult result = Run("replay --input=" + log + " --batch=2");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("replayed 4 events"));
  EXPECT_THAT(result.out, HasSubstr("accepted 4, rejected 0; skipped 1 malformed line(s)"));
  EXPECT_THAT(result.err, HasSubstr("log.csv:4: TIMESTAMP"));
  const auto events = server_.events();
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].timestamp_ms(), 1700000000000);
  EXPECT_EQ(events[2].event_type(), "purchase");
  int streams = 0;
  for (const auto& call : server_.calls()) streams += call.method == "StreamEvents";
  EXPECT_EQ(streams, 2);

  // --limit, the positional file, and --strict.
  const CliResult limited = Run("--json replay " + log + " --limit=1");
  EXPECT_EQ(limited.exit_code, 0) << limited.err;
  EXPECT_EQ(limited.out, "{\"accepted\":1,\"rejected\":[]}\n");
  const CliResult strict = Run("replay --input=" + log + " --strict");
  EXPECT_EQ(strict.exit_code, 1);
  EXPECT_THAT(strict.err, HasSubstr("error: INVALID_ARGUMENT: " + log + ":4: TIMESTAMP"));
}

TEST_F(CliTest, ReplayReportsRejectedEventsByFileLineAndGlobalIndex) {
  const std::string log = dir_ + "/log.csv";
  std::ofstream(log) << "USER_ID,ITEM_ID,TIMESTAMP\n"
                        "u1,i1,1700000000\n"
                        "u1,i2,1700000001\n"
                        "u1,i3,1700000002\n"
                        "u1,rejected,1700000003\n";
  const CliResult result = Run("--json replay --input=" + log + " --batch=3");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out,
            "{\"accepted\":3,\"rejected\":[{\"index\":3,"
            "\"reason\":\"item_id: rejected by the fake\"}]}\n");
  EXPECT_EQ(result.err, log + ":5: rejected: item_id: rejected by the fake\n");
}

TEST_F(CliTest, ReplayStopsOnAFailedStream) {
  const std::string log = dir_ + "/log.csv";
  std::ofstream(log) << "USER_ID,ITEM_ID,TIMESTAMP\nu1,i1,1700000000\n";
  server_.FailNext(1, grpc::StatusCode::UNAVAILABLE, "draining");
  const CliResult result = Run("replay --input=" + log);
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr("error: UNAVAILABLE: draining\n"));
  EXPECT_THAT(result.err, HasSubstr("replay: stopped after"));
}

TEST_F(CliTest, BadUsageExitsTwoWithOneLine) {
  for (const std::string args :
       {"", "frobnicate", "recommend", "recommend --user=u --items=a", "recommend --user=u --n=0",
        "rank --user=u", "event --user=u", "similar", "similar --item=i --n=501",
        "similar --item=i --recipe=auto", "replay", "replay a b", "delete-user", "put-items",
        "--deadline=0s model-info", "--max_attempts=0 model-info"}) {
    const CliResult result = Run(args);
    EXPECT_EQ(result.exit_code, 2) << args;
    EXPECT_THAT(result.err, StartsWith("hrnn-cli: ")) << args;
    EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << args << result.err;
  }
  const CliResult no_target = Run("model-info", /*with_target=*/false);
  EXPECT_EQ(no_target.exit_code, 2);
  EXPECT_THAT(no_target.err, HasSubstr("--target"));
  EXPECT_TRUE(server_.calls().empty());
}

TEST_F(CliTest, OverLongUserIdsFailBeforeAnyCallNamingTheFlag) {
  // Over the 4096 bytes any server accepts; then 2,500 '%' escaped to 7,500 bytes of metadata.
  for (const std::string& user : {std::string(4097, 'u'), std::string(2500, '%')}) {
    for (const std::string command :
         {"recommend", "rank --items=a", "event --item=i", "delete-user"}) {
      const CliResult result = Run(command + " --user=" + user);
      EXPECT_EQ(result.exit_code, 2) << command << " " << user.size();
      EXPECT_THAT(result.err, StartsWith("hrnn-cli: --user is ")) << command;
      EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
    }
  }
  EXPECT_TRUE(server_.calls().empty());
  // 4096 bytes is still sent.
  const CliResult longest = Run("delete-user --user=" + std::string(4096, 'u'));
  EXPECT_EQ(longest.exit_code, 0) << longest.err;
  ASSERT_EQ(server_.calls().size(), 1);
  EXPECT_EQ(server_.calls().back().user_id_md, std::string(4096, 'u'));
}

TEST_F(CliTest, HelpDocumentsEveryCommand) {
  const CliResult result = Run("--help", /*with_target=*/false);
  for (const char* command : {"recommend", "similar", "rank", "event", "replay", "model-info",
                              "filters", "health", "delete-user", "put-items", "--filter=NAME",
                              "--filter_values", "--stream_deadline", "--json"}) {
    EXPECT_THAT(result.out + result.err, HasSubstr(command));
  }
  // The flags are listed by their path in the source tree, not the build machine's.
  absl::string_view source_dir = __FILE__;
  ASSERT_TRUE(absl::ConsumeSuffix(&source_dir, "tests/client/tools/cli_test.cc")) << source_dir;
  EXPECT_THAT(result.out + result.err, HasSubstr("Flags from client/tools/cli_main.cc:"));
  if (!source_dir.empty()) {
    EXPECT_THAT(result.out + result.err, Not(HasSubstr(std::string(source_dir))));
  }
}

}  // namespace
}  // namespace hrnn::client
