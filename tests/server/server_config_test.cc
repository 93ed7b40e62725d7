#include "server/server_config.h"

#include <functional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace hrnn {
namespace {

using ::hrnn::testing::StatusIs;

TEST(ServerConfigTest, DefaultsNeedOnlyAModelDir) {
  ServerConfig config;
  EXPECT_THAT(config.Validate(), StatusIs(absl::StatusCode::kInvalidArgument, "--model_dir"));
  config.model_dir = "models/x";
  EXPECT_OK(config.Validate());
  EXPECT_TRUE(config.AdvancesSession("anything"));
  EXPECT_TRUE(config.IsPurchase("purchase"));
  EXPECT_FALSE(config.IsPurchase("click"));
  config.session_event_types = {"click"};
  EXPECT_FALSE(config.AdvancesSession("view"));
}

TEST(ServerConfigTest, EachBadSettingIsNamed) {
  const std::vector<std::pair<std::function<void(ServerConfig&)>, std::string>> cases = {
      {[](ServerConfig& c) { c.port = 70000; }, "--port"},
      {[](ServerConfig& c) { c.metrics_port = -1; }, "--metrics_port"},
      {[](ServerConfig& c) { c.port = c.metrics_port = 9000; }, "--metrics_port: must differ"},
      {[](ServerConfig& c) { c.host = ""; }, "--host"},
      {[](ServerConfig& c) { c.session_timeout_ms = 0; }, "--session_timeout"},
      {[](ServerConfig& c) { c.session_event_types = {""}; }, "--session_event_types"},
      {[](ServerConfig& c) { c.purchase_event_types = {std::string(65, 'p')}; },
       "--purchase_event_types"},
      {[](ServerConfig& c) { c.max_users = -1; }, "--max_users"},
      {[](ServerConfig& c) { c.max_state_bytes = -1; }, "--max_state_bytes"},
      {[](ServerConfig& c) { c.user_idle_ttl_ms = -1; }, "--user_idle_ttl"},
      {[](ServerConfig& c) { c.state_shards = 0; }, "--state_shards"},
      {[](ServerConfig& c) { c.max_id_bytes = 0; }, "--max_id_bytes"},
      {[](ServerConfig& c) { c.max_events_per_call = 0; }, "--max_events_per_call"},
      {[](ServerConfig& c) { c.max_future_skew_ms = -1; }, "--max_future_skew"},
      {[](ServerConfig& c) { c.max_message_bytes = 10; }, "--max_message_bytes"},
      {[](ServerConfig& c) { c.max_concurrent_streams = 0; }, "--max_concurrent_streams"},
      {[](ServerConfig& c) { c.fsync_interval_ms = 0; }, "--fsync_interval"},
      {[](ServerConfig& c) { c.snapshot_interval_ms = -1; }, "--snapshot_interval"},
      {[](ServerConfig& c) { c.log_retention_ms = -1; }, "--log_retention"},
      {[](ServerConfig& c) { c.rebuild_window_ms = -1; }, "--rebuild_window"},
      {[](ServerConfig& c) { c.rebuild_catch_up_passes = -1; }, "--rebuild_catch_up_passes"},
      {[](ServerConfig& c) { c.rebuild_catch_up_passes = 101; }, "--rebuild_catch_up_passes"},
      {[](ServerConfig& c) { c.drain_deadline_ms = -1; }, "--drain_deadline"},
      {[](ServerConfig& c) { c.model_poll_interval_ms = 0; }, "--model_poll_interval"},
      {[](ServerConfig& c) { c.catalog_stream = "redis://cache:6379"; },
       "--catalog_stream: no stream name"},
      {[](ServerConfig& c) { c.catalog_stream = "cache:6379/items"; }, "--catalog_stream"},
  };
  for (const auto& [edit, flag] : cases) {
    ServerConfig config;
    config.model_dir = "models/x";
    edit(config);
    EXPECT_THAT(config.Validate(), StatusIs(absl::StatusCode::kInvalidArgument, flag)) << flag;
  }
}

// The choice settings are enums parsed once, from their flags' spelling: a bad name is refused
// with the choices listed (absl prefixes the flag's name: "--item_table=int4" ...).
TEST(ServerConfigTest, ChoiceSettingsParseTheirNamesAndRefuseOthers) {
  std::string error;
  ElementType item_table = ElementType::kFloat32;
  EXPECT_TRUE(AbslParseFlag("bf16", &item_table, &error));
  EXPECT_EQ(item_table, ElementType::kBfloat16);
  EXPECT_EQ(AbslUnparseFlag(item_table), "bf16");
  for (ElementType type : {ElementType::kFloat32, ElementType::kBfloat16, ElementType::kInt8}) {
    EXPECT_TRUE(AbslParseFlag(AbslUnparseFlag(type), &item_table, &error));
    EXPECT_EQ(item_table, type);
  }
  EXPECT_EQ(AbslUnparseFlag(ElementType::kInt8), "int8");
  EXPECT_FALSE(AbslParseFlag("int4", &item_table, &error));
  EXPECT_EQ(error, "\"int4\" is not fp32, bf16 or int8");
  FsyncPolicy fsync = FsyncPolicy::kEveryBatch;
  for (FsyncPolicy policy :
       {FsyncPolicy::kEveryBatch, FsyncPolicy::kInterval, FsyncPolicy::kNone}) {
    EXPECT_TRUE(AbslParseFlag(AbslUnparseFlag(policy), &fsync, &error));
    EXPECT_EQ(fsync, policy);
  }
  EXPECT_FALSE(AbslParseFlag("sometimes", &fsync, &error));
  EXPECT_EQ(error, "\"sometimes\" is not batch, interval or none");
  ScoringMode scoring = ScoringMode::kBatched;
  EXPECT_TRUE(AbslParseFlag("naive", &scoring, &error));
  EXPECT_EQ(scoring, ScoringMode::kNaive);
  EXPECT_FALSE(AbslParseFlag("fast", &scoring, &error));
  EXPECT_EQ(error, "\"fast\" is not batched, single or naive");
}

}  // namespace
}  // namespace hrnn
