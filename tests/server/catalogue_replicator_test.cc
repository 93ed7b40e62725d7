// The catalogue stream (--catalog_stream) against a real redis-server: the address and id
// parsers, the Redis stream's round trip, and replicas that see each other's PutItems, resume
// after a restart from their saved position, and report a stream they cannot reach.
#include "server/catalogue_replicator.h"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/catalogue_stream.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/model_dir.h"
#include "tests/testing/redis_server.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace hrnn {
namespace {

using ::hrnn::testing::StatusIs;
using ::testing::ElementsAre;

TEST(CatalogueStreamAddressTest, ParsesHostPortAndName) {
  ASSERT_OK_AND_ASSIGN(CatalogueStreamAddress address,
                       ParseCatalogueStreamAddress("redis://redis.shop:6380/hrnn-items"));
  EXPECT_EQ(address.host, "redis.shop");
  EXPECT_EQ(address.port, 6380);
  EXPECT_EQ(address.name, "hrnn-items");
  EXPECT_EQ(address.ToString(), "redis://redis.shop:6380/hrnn-items");
  ASSERT_OK_AND_ASSIGN(address, ParseCatalogueStreamAddress("redis://10.0.0.7/a/b"));
  EXPECT_EQ(address.port, 6379);
  EXPECT_EQ(address.name, "a/b");
}

TEST(CatalogueStreamAddressTest, RefusesWhatIsNotAnAddress) {
  EXPECT_THAT(ParseCatalogueStreamAddress("http://h/s").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, "does not start with redis://"));
  EXPECT_THAT(ParseCatalogueStreamAddress("redis://h").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, "no stream name"));
  EXPECT_THAT(ParseCatalogueStreamAddress("redis://h/").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, "no stream name"));
  EXPECT_THAT(ParseCatalogueStreamAddress("redis://h:0/s").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, "port \"0\""));
  EXPECT_THAT(ParseCatalogueStreamAddress("redis://h:x/s").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, "port \"x\""));
  EXPECT_THAT(ParseCatalogueStreamAddress("redis://:1/s").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, "no host"));
}

TEST(StreamEntryIdTest, ParsesAndOrdersIds) {
  ASSERT_OK_AND_ASSIGN(auto a, ParseStreamEntryId("1700000000000-3"));
  ASSERT_OK_AND_ASSIGN(auto b, ParseStreamEntryId("1700000000001-0"));
  ASSERT_OK_AND_ASSIGN(auto zero, ParseStreamEntryId("0"));
  EXPECT_LT(a, b);
  EXPECT_LT(zero, a);
  for (const char* bad : {"", "-", "1-", "-1", "a-1", "1-2-3", "+1", "1-+2"}) {
    EXPECT_THAT(ParseStreamEntryId(bad).status(),
                StatusIs(absl::StatusCode::kInvalidArgument, "not a stream entry id"))
        << bad;
  }
}

class CatalogueStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.Start()) << "redis-server did not start: scripts/setup.sh installs it";
  }
  std::unique_ptr<CatalogueStream> Stream(const std::string& name = "items") {
    auto address = ParseCatalogueStreamAddress(redis_.Url(name));
    EXPECT_TRUE(address.ok());
    return NewRedisCatalogueStream(*address);
  }
  testing::RedisServer redis_;
};

TEST_F(CatalogueStreamTest, EntriesRoundTripInOrderWithAnyBytes) {
  std::unique_ptr<CatalogueStream> stream = Stream();
  const std::string odd_id = std::string("a b\n\0c", 6);
  ASSERT_OK_AND_ASSIGN(std::string first,
                       stream->Append({{"item-1", false}, {odd_id, true}, {"item-1", true}}));
  ASSERT_OK_AND_ASSIGN(std::string second, stream->Append({{"item-2", false}}));
  ASSERT_OK_AND_ASSIGN(auto entries, stream->Read("0-0", 10, absl::Milliseconds(10)));
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].id, first);
  ASSERT_EQ(entries[0].changes.size(), 3u);
  EXPECT_EQ(entries[0].changes[0].item_id, "item-1");
  EXPECT_FALSE(entries[0].changes[0].available);
  EXPECT_EQ(entries[0].changes[1].item_id, odd_id);
  EXPECT_TRUE(entries[0].changes[1].available);
  EXPECT_TRUE(entries[0].changes[2].available);
  EXPECT_EQ(entries[1].id, second);
  // After the last entry: nothing, once the wait is over.
  ASSERT_OK_AND_ASSIGN(auto none, stream->Read(second, 10, absl::Milliseconds(50)));
  EXPECT_TRUE(none.empty());
  ASSERT_OK_AND_ASSIGN(auto one, stream->Read(first, 10, absl::Milliseconds(10)));
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].id, second);
}

TEST_F(CatalogueStreamTest, AnUnreachableServerIsUnavailableAndTheStreamReconnects) {
  std::unique_ptr<CatalogueStream> stream = Stream();
  ASSERT_OK(stream->Append({{"item-1", false}}).status());
  redis_.Stop();
  EXPECT_THAT(stream->Append({{"item-1", true}}).status(),
              StatusIs(absl::StatusCode::kUnavailable, redis_.Url("items")));
  EXPECT_THAT(stream->Read("0", 1, absl::Milliseconds(10)).status(),
              StatusIs(absl::StatusCode::kUnavailable, "catalog stream"));
  ASSERT_TRUE(redis_.Start());
  EXPECT_OK(stream->Append({{"item-1", true}}).status());
}

TEST_F(CatalogueStreamTest, AForeignEntryIsDataLoss) {
  // Another program wrote to the key: an entry with a field this format does not have.
  std::unique_ptr<CatalogueStream> stream = Stream("shared");
  ASSERT_OK(stream->Append({{"item-1", false}}).status());
  // Use the raw XADD through a second stream object on the same key: "a"/"u" are the only
  // fields it writes, so write the foreign one with redis-cli.
  const std::string command =
      "redis-cli -p " + std::to_string(redis_.port()) + " XADD shared '*' colour red > /dev/null";
  ASSERT_EQ(std::system(command.c_str()), 0);
  EXPECT_THAT(stream->Read("0", 10, absl::Milliseconds(10)).status(),
              StatusIs(absl::StatusCode::kDataLoss, "has a field \"colour\""));
}

// True once `condition` holds, polling for up to `within` (the follower applies an entry to
// the catalogue before it counts it and records its id).
template <typename Condition>
bool Eventually(Condition condition, absl::Duration within = absl::Seconds(1)) {
  const absl::Time deadline = absl::Now() + within;
  while (!condition()) {
    if (absl::Now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

// One replica: its model handle, catalogue updater and replicator.
struct Replica {
  Replica(const std::string& url, const std::string& position_file, bool with_model = true) {
    if (with_model) {
      std::shared_ptr<const Model> model =
          Model::CreateRandom(testing::SmallModelConfig(ModelMode::kSessionOnly, 50), /*seed=*/3);
      auto network = HrnnNetwork::Create(model);
      EXPECT_TRUE(network.ok());
      handle.Set(MakeServingModel(*network, SessionPolicy()));
    }
    updater = std::make_unique<CatalogueUpdater>(&handle, nullptr, &clock);
    auto address = ParseCatalogueStreamAddress(url);
    EXPECT_TRUE(address.ok());
    CatalogueReplicatorOptions options;
    options.stream_name = address->name;
    options.position_file = position_file;
    options.apply_timeout = absl::Seconds(2);
    options.read_wait = absl::Milliseconds(100);
    options.retry_pause = absl::Milliseconds(50);
    replicator = std::make_unique<CatalogueReplicator>(updater.get(), nullptr,
                                                       NewRedisCatalogueStream(*address),
                                                       NewRedisCatalogueStream(*address), options);
  }
  // The out-of-stock item ids, or nullopt until they equal `expected` (waits up to `within`).
  bool WaitForUnavailable(const std::vector<std::string>& expected,
                          absl::Duration within = absl::Seconds(1)) {
    const absl::Time deadline = absl::Now() + within;
    while (absl::Now() < deadline) {
      if (UnavailableItemIdsOf(*handle.Get()) == expected) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return UnavailableItemIdsOf(*handle.Get()) == expected;
  }

  FakeClock clock;
  ServingModelHandle handle;
  std::unique_ptr<CatalogueUpdater> updater;
  std::unique_ptr<CatalogueReplicator> replicator;
};

TEST_F(CatalogueStreamTest, AnUpdateSentToOneReplicaReachesEveryReplicaWithinASecond) {
  std::vector<std::unique_ptr<Replica>> replicas;
  for (int r = 0; r < 3; ++r) {
    replicas.push_back(std::make_unique<Replica>(redis_.Url("items"), ""));
    ASSERT_OK(replicas.back()->replicator->Start());
  }
  // Submit returns once the sending replica applied it; the others follow within 1 s.
  ASSERT_OK_AND_ASSIGN(AvailabilityUpdate update,
                       replicas[1]->replicator->Submit(
                           {{"item-3", false}, {"item-7", false}, {"not-an-item", false}}));
  EXPECT_EQ(update.updated, 2);
  EXPECT_THAT(update.unknown_item_ids, ElementsAre("not-an-item"));
  EXPECT_EQ(update.wait_seq, 0u);
  EXPECT_EQ(UnavailableItemIdsOf(*replicas[1]->handle.Get()),
            (std::vector<std::string>{"item-3", "item-7"}));
  for (auto& replica : replicas) EXPECT_TRUE(replica->WaitForUnavailable({"item-3", "item-7"}));
  // Updates from two replicas are applied in the stream's order everywhere.
  ASSERT_OK(replicas[0]->replicator->Submit({{"item-3", true}}).status());
  ASSERT_OK(replicas[2]->replicator->Submit({{"item-9", false}}).status());
  for (auto& replica : replicas) {
    EXPECT_TRUE(replica->WaitForUnavailable({"item-7", "item-9"}));
    EXPECT_TRUE(Eventually([&] { return replica->replicator->entries_applied() == 3; }));
  }
}

TEST_F(CatalogueStreamTest, ARestartedReplicaResumesAfterItsSavedPosition) {
  const std::string position = (testing::FreshTestDir() / "catalog_stream.position").string();
  Replica writer(redis_.Url("items"), "");
  ASSERT_OK(writer.replicator->Start());
  {
    Replica replica(redis_.Url("items"), position);
    ASSERT_OK(replica.replicator->Start());
    ASSERT_OK(writer.replicator->Submit({{"item-1", false}}).status());
    ASSERT_TRUE(replica.WaitForUnavailable({"item-1"}));
    EXPECT_TRUE(Eventually(
        [&] { return replica.replicator->applied_id() == writer.replicator->applied_id(); }));
  }
  ASSERT_TRUE(std::filesystem::exists(position));
  // While it is down: two more updates.
  ASSERT_OK(writer.replicator->Submit({{"item-2", false}}).status());
  ASSERT_OK(writer.replicator->Submit({{"item-1", true}}).status());
  // A new process of it (its local state restored item-1 from its own log: the fresh model here
  // stands for that) applies only what came after its position.
  Replica restarted(redis_.Url("items"), position);
  MarkUnavailable(*restarted.handle.Get(), {"item-1"});
  ASSERT_OK(restarted.replicator->Start());
  EXPECT_TRUE(restarted.WaitForUnavailable({"item-2"}));
  EXPECT_TRUE(Eventually([&] { return restarted.replicator->entries_applied() == 2; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(restarted.replicator->entries_applied(), 2);  // Not the first entry again.

  // A position saved for another stream is not used there: that stream is applied from its
  // beginning.
  Replica other(redis_.Url("other-items"), position);
  ASSERT_OK(other.replicator->Start());
  EXPECT_EQ(other.replicator->applied_id(), "0-0");
}

TEST_F(CatalogueStreamTest, AMalformedPositionFileStopsTheStartNamingIt) {
  const std::string position = (testing::FreshTestDir() / "catalog_stream.position").string();
  {
    std::ofstream out(position);
    out << "something else\n";
  }
  Replica replica(redis_.Url("items"), position);
  EXPECT_THAT(replica.replicator->Start(),
              StatusIs(absl::StatusCode::kDataLoss, "not a catalog stream position"));
}

TEST_F(CatalogueStreamTest, WithoutTheStreamPutItemsIsRefusedAndTheFollowerCatchesUpLater) {
  Replica replica(redis_.Url("items"), "");
  ASSERT_OK(replica.replicator->Start());
  Replica other(redis_.Url("items"), "");
  ASSERT_OK(other.replicator->Start());
  EXPECT_TRUE(Eventually([&] { return replica.replicator->following(); }));
  redis_.Stop();
  EXPECT_THAT(replica.replicator->Submit({{"item-1", false}}).status(),
              StatusIs(absl::StatusCode::kUnavailable, "catalog stream"));
  EXPECT_TRUE(Eventually([&] { return !replica.replicator->following(); }));
  EXPECT_TRUE(replica.WaitForUnavailable({}));  // Nothing was applied.
  // Redis comes back (empty: no persistence in this test); both replicas follow it again.
  ASSERT_TRUE(redis_.Start());
  ASSERT_OK(other.replicator->Submit({{"item-4", false}}).status());
  EXPECT_TRUE(replica.WaitForUnavailable({"item-4"}, absl::Seconds(3)));
  EXPECT_GT(replica.replicator->errors(), 0);
  EXPECT_TRUE(Eventually([&] { return replica.replicator->following(); }));
}

TEST_F(CatalogueStreamTest, WithoutAModelSubmitIsUnavailableAndEntriesWaitForOne) {
  Replica replica(redis_.Url("items"), "", /*with_model=*/false);
  ASSERT_OK(replica.replicator->Start());
  EXPECT_THAT(replica.replicator->Submit({{"item-1", false}}).status(),
              StatusIs(absl::StatusCode::kUnavailable, "no model"));
  Replica other(redis_.Url("items"), "");
  ASSERT_OK(other.replicator->Start());
  ASSERT_OK(other.replicator->Submit({{"item-5", false}}).status());
  // The entry is retried until a model is served.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(replica.replicator->entries_applied(), 0);
  auto network = HrnnNetwork::Create(
      Model::CreateRandom(testing::SmallModelConfig(ModelMode::kSessionOnly, 50), 3));
  ASSERT_OK(network.status());
  replica.handle.Set(MakeServingModel(*network, SessionPolicy()));
  EXPECT_TRUE(replica.WaitForUnavailable({"item-5"}));
}

}  // namespace
}  // namespace hrnn
