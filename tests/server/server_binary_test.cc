// The hrnn-server binary itself: its start-up line, configuration from flags and environment,
// refusals of bad usage, and a clean exit on SIGTERM.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "server/env_flags.h"
#include "tests/testing/model_dir.h"
#include "tests/testing/server_process.h"
#include "tests/testing/temp_dir.h"

namespace hrnn {
namespace {

using ::hrnn::testing::ServerProcess;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(ServerBinaryTest, ServesConfiguredByEnvironmentAndExitsZeroOnSigterm) {
  const auto dir = testing::FreshTestDir();
  const std::string model_root = (dir / "models" / "shop").string();
  testing::WriteRandomModel(model_root, 1);
  const std::string err = (dir / "stderr.txt").string();
  // --model_dir comes from the environment; the command line overrides HRNN_PORT.
  ServerProcess server({"--port=0", "--metrics_port=0"},
                       {"HRNN_MODEL_DIR=" + model_root, "HRNN_PORT=1"}, err);
  const std::string listening = server.ReadLine();
  ASSERT_THAT(listening, HasSubstr("listening on 127.0.0.1:"));
  ASSERT_THAT(server.ReadLine(), HasSubstr("metrics on 127.0.0.1:"));
  const std::string address = listening.substr(std::string("listening on ").size());

  auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  auto health = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::health::v1::HealthCheckResponse response;
  ASSERT_TRUE(health->Check(&context, {}, &response).ok());
  EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);

  const auto start = std::chrono::steady_clock::now();
  server.Signal(SIGTERM);
  EXPECT_EQ(server.Wait(), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST(ServerBinaryTest, BadUsageExitsNonZeroWithAOneLineReason) {
  const auto dir = testing::FreshTestDir();
  const std::string err = (dir / "stderr.txt").string();
  {
    ServerProcess server({"--port=0", "--metrics_port=0"}, {}, err);
    EXPECT_NE(server.Wait(), 0);
  }
  char buffer[512] = {};
  FILE* file = std::fopen(err.c_str(), "r");
  ASSERT_NE(file, nullptr);
  ASSERT_NE(std::fgets(buffer, sizeof(buffer), file), nullptr);
  std::fclose(file);
  EXPECT_THAT(std::string(buffer), HasSubstr("--model_dir: is required"));

  ServerProcess bad_value({"--model_dir=x", "--item_table=int3"}, {}, err);
  EXPECT_NE(bad_value.Wait(), 0);
  file = std::fopen(err.c_str(), "r");
  ASSERT_NE(file, nullptr);
  ASSERT_NE(std::fgets(buffer, sizeof(buffer), file), nullptr);
  std::fclose(file);
  EXPECT_THAT(std::string(buffer), HasSubstr("item_table"));
  EXPECT_THAT(std::string(buffer), HasSubstr("\"int3\" is not fp32, bf16 or int8"));

  // A malformed filters file stops the start, naming the file, line and column.
  const std::string filters = (dir / "filters.txt").string();
  FILE* out = std::fopen(filters.c_str(), "w");
  ASSERT_NE(out, nullptr);
  std::fputs(
      "ok: EXCLUDE ItemID WHERE Items.COLOR IN ($C)\nbad: EXCLUDE ItemID WHERE Items.COLOR ON "
      "(\"red\")\n",
      out);
  std::fclose(out);
  const std::string model_dir = (dir / "models" / "shop").string();
  testing::WriteRandomModel(model_dir, 1);
  ServerProcess bad_filters(
      {"--model_dir=" + model_dir, "--port=0", "--metrics_port=0", "--filters_file=" + filters}, {},
      err);
  EXPECT_NE(bad_filters.Wait(), 0);
  file = std::fopen(err.c_str(), "r");
  ASSERT_NE(file, nullptr);
  ASSERT_NE(std::fgets(buffer, sizeof(buffer), file), nullptr);
  std::fclose(file);
  EXPECT_THAT(std::string(buffer), HasSubstr(absl::StrCat("--filters_file: ", filters, ":2:")));
}

TEST(ServerBinaryTest, HelpListsTheFlagsByTheirSourcePathNotTheBuildMachines) {
  FILE* pipe = popen(HRNN_SERVER_BINARY " --help 2>&1", "r");
  ASSERT_NE(pipe, nullptr);
  std::string help;
  char buffer[4096];
  size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0) help.append(buffer, n);
  pclose(pipe);
  EXPECT_THAT(help, HasSubstr("Flags from server/tools/server_main.cc:"));
  EXPECT_THAT(help, HasSubstr("--model_dir"));
  absl::string_view source_dir = __FILE__;
  ASSERT_TRUE(absl::ConsumeSuffix(&source_dir, "tests/server/server_binary_test.cc")) << source_dir;
  if (!source_dir.empty()) {
    EXPECT_THAT(help, Not(HasSubstr(std::string(source_dir))));
  }
}

TEST(EnvFlagsTest, EnvironmentComesFirstSoTheCommandLineWins) {
  char program[] = "prog";
  char flag[] = "--port=7";
  char* argv[] = {program, flag};
  auto fake_env = [](const char* name) -> const char* {
    if (std::string(name) == "HRNN_PORT") return "9";
    if (std::string(name) == "HRNN_MODEL_DIR") return "/models/x";
    return nullptr;
  };
  EXPECT_THAT(ArgsWithEnvironment(2, argv, {"port", "model_dir", "host"}, fake_env),
              ::testing::ElementsAre("prog", "--port=9", "--model_dir=/models/x", "--port=7"));
  EXPECT_EQ(EnvironmentVariableFor("max_state_bytes"), "HRNN_MAX_STATE_BYTES");
}

}  // namespace
}  // namespace hrnn
