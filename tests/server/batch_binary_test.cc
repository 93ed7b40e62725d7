// The hrnn-batch binary end to end: against the state dir of a server that is still running
// (which hrnn-batch reads from a copy, changing nothing), its lines equal the server's
// GetRecommendations answers; bad usage exits 2 with a one-line reason.
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/catalogue/items_csv.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "hrnn/v1/recommender.grpc.pb.h"
#include "nlohmann/json.hpp"
#include "server/recommender_server.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/model_dir.h"
#include "tests/testing/state_files.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace hrnn {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr int kUsers = 40;
constexpr int64_t kT0 = 1'700'000'000'000;
constexpr int64_t kNow = kT0 + 3600 * 1000;

// Runs hrnn-batch with `args`, stderr and stdout to `stderr_path`; returns its exit status (-1:
// killed).
int RunBatchBinary(const std::vector<std::string>& args, const std::string& stderr_path) {
  const pid_t pid = fork();
  if (pid == 0) {
    FILE* err = std::fopen(stderr_path.c_str(), "w");
    if (err != nullptr) {
      dup2(fileno(err), STDERR_FILENO);
      dup2(fileno(err), STDOUT_FILENO);  // --help prints to stdout.
    }
    std::vector<char*> argv = {const_cast<char*>(HRNN_BATCH_BINARY)};
    for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string FirstLine(const std::string& path) {
  const std::string text = testing::ReadBytes(path);
  return text.substr(0, text.find('\n'));
}

// Every file under `dir` with its size.
std::map<std::string, uintmax_t> Listing(const fs::path& dir) {
  std::map<std::string, uintmax_t> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) files[entry.path().string()] = entry.file_size();
  }
  return files;
}

class BatchBinaryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::FreshTestDir();
    model_root_ = (dir_ / "models" / "shop").string();
    std::string items = "ITEM_ID,COLOR\n";
    for (int i = 0; i < 200; ++i)
      absl::StrAppend(&items, "item-", i, ",", i % 2 ? "red" : "blue", "\n");
    std::shared_ptr<const Model> model =
        Model::CreateRandom(testing::SmallModelConfig(ModelMode::kHrnnInit, 200), 3);
    fs::create_directories(model_root_);
    ASSERT_OK(WriteModelDirectory(*model, model_root_ + "/1", {{kItemAttributesFileName, items}}));
    filters_ = (dir_ / "filters.txt").string();
    testing::WriteBytes(filters_, "no_colour: EXCLUDE ItemID WHERE Items.COLOR IN ($C)\n");
  }

  fs::path dir_;
  std::string model_root_;
  std::string filters_;
};

TEST_F(BatchBinaryTest, ListsEqualTheRunningServersAndItsStateDirIsUntouched) {
  ServerConfig config;
  config.model_dir = model_root_;
  config.state_dir = (dir_ / "state").string();
  config.filters_file = filters_;
  config.port = 0;
  config.metrics_port = 0;
  config.snapshot_interval_ms = 0;
  config.fsync = FsyncPolicy::kNone;
  FakeClock clock(kNow);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<RecommenderServer> server,
                       RecommenderServer::Start(config, &clock));
  auto stub = v1::Recommender::NewStub(
      grpc::CreateChannel(server->address(), grpc::InsecureChannelCredentials()));
  v1::PutEventsRequest events;
  for (int u = 0; u < kUsers; ++u) {
    for (int e = 0; e <= u % 4; ++e) {
      v1::Event* event = events.add_events();
      event->set_user_id(absl::StrCat("u", u));
      event->set_item_id(absl::StrCat("item-", (u * 11 + e * 7) % 200));
      event->set_timestamp_ms(kT0 + u * 1000 + e * 60'000);
    }
  }
  {
    grpc::ClientContext context;
    v1::PutEventsResponse response;
    ASSERT_TRUE(stub->PutEvents(&context, events, &response).ok());
    ASSERT_EQ(response.accepted(), events.events_size());
  }
  std::string users;
  for (int u = 0; u < kUsers; ++u) absl::StrAppend(&users, "u", u, "\n");
  users += "stranger\n";
  testing::WriteBytes(dir_ / "users.txt", users);
  const std::map<std::string, uintmax_t> before = Listing(config.state_dir);

  const std::string out = (dir_ / "out.jsonl").string();
  const std::string err = (dir_ / "batch.stderr").string();
  ASSERT_EQ(RunBatchBinary(
                {"--model_dir=" + model_root_, "--users=" + (dir_ / "users.txt").string(),
                 "--state_dir=" + config.state_dir, "--filters_file=" + filters_,
                 "--filter=no_colour", "--filter_values=C=red", "--num_results=10", "--out=" + out,
                 "--now_ms=" + std::to_string(kNow), "--threads=2", "--temp_dir=" + dir_.string()},
                err),
            0)
      << testing::ReadBytes(err);
  EXPECT_THAT(testing::ReadBytes(err), HasSubstr(absl::StrCat(kUsers + 1, " users written")));
  EXPECT_EQ(Listing(config.state_dir), before);  // Nothing opened for writing, nothing repaired.
  EXPECT_FALSE(fs::exists(out + ".partial"));

  std::ifstream in(out);
  int lines = 0;
  for (std::string line; std::getline(in, line); ++lines) {
    const nlohmann::json got = nlohmann::json::parse(line);
    v1::GetRecommendationsRequest request;
    request.set_user_id(got["user_id"].get<std::string>());
    request.set_num_results(10);
    request.mutable_filter()->set_name("no_colour");
    (*request.mutable_filter()->mutable_values())["C"].add_values("red");
    grpc::ClientContext context;
    v1::GetRecommendationsResponse want;
    ASSERT_TRUE(stub->GetRecommendations(&context, request, &want).ok());
    SCOPED_TRACE(request.user_id());
    EXPECT_EQ(got["reason"], want.state() == "new_user" ? "no_history" : "");
    EXPECT_EQ(got["model_version"], want.model_version());
    ASSERT_EQ(got["items"].size(), static_cast<size_t>(want.items_size()));
    for (int i = 0; i < want.items_size(); ++i) {
      EXPECT_EQ(got["items"][i]["item_id"], want.items(i).item_id()) << i;
      EXPECT_NEAR(got["items"][i]["score"].get<float>(), want.items(i).score(), 1e-4f) << i;
      const int index = std::stoi(want.items(i).item_id().substr(5));
      EXPECT_EQ(index % 2, 0) << "a red item";
    }
  }
  EXPECT_EQ(lines, kUsers + 1);
  server->Shutdown(absl::ZeroDuration());
}

TEST_F(BatchBinaryTest, BadUsageExitsTwoWithAOneLineReason) {
  const std::string err = (dir_ / "stderr.txt").string();
  const std::string out = (dir_ / "out.jsonl").string();
  testing::WriteBytes(dir_ / "users.txt", "u1\n");
  testing::WriteBytes(dir_ / "bad.txt", "u1\nu,2\n");
  const std::string model = "--model_dir=" + model_root_;
  const std::string users = "--users=" + (dir_ / "users.txt").string();

  EXPECT_EQ(RunBatchBinary({model, users}, err), 2);
  EXPECT_EQ(FirstLine(err), "hrnn-batch: --out: is required");
  EXPECT_EQ(RunBatchBinary({model, users, "--out=" + out, "--bogus=1"}, err), 2);
  EXPECT_THAT(testing::ReadBytes(err), HasSubstr("bogus"));
  EXPECT_EQ(RunBatchBinary({model, users, "--out=" + out, "--num_results=many"}, err), 2);
  EXPECT_EQ(RunBatchBinary({model, "--users=" + (dir_ / "bad.txt").string(), "--out=" + out}, err),
            2);
  EXPECT_THAT(FirstLine(err), HasSubstr("bad.txt:2: a user id with \",\""));
  EXPECT_EQ(RunBatchBinary({model, users, "--out=" + out, "--recipe=magic"}, err), 2);
  EXPECT_THAT(FirstLine(err), HasSubstr("--recipe: unknown recipe \"magic\""));
  EXPECT_EQ(RunBatchBinary({"--model_dir=" + (dir_ / "none").string(), users, "--out=" + out}, err),
            2);
  EXPECT_THAT(FirstLine(err), HasSubstr("--model_dir: "));
  EXPECT_EQ(RunBatchBinary({model, users, "--out=" + out, "--filter=no_colour"}, err), 2);
  EXPECT_THAT(FirstLine(err), HasSubstr("--filter: needs --filters_file"));
  EXPECT_FALSE(fs::exists(out));
  EXPECT_FALSE(fs::exists(out + ".partial"));

  // The same run, well formed, succeeds; --help lists the flags by their source path.
  EXPECT_EQ(RunBatchBinary({model, users, "--out=" + out}, err), 0) << testing::ReadBytes(err);
  EXPECT_TRUE(fs::exists(out));
  RunBatchBinary({"--help"}, err);
  EXPECT_THAT(testing::ReadBytes(err), HasSubstr("Flags from server/tools/batch_main.cc:"));
}

}  // namespace
}  // namespace hrnn
