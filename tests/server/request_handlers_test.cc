#include "server/request_handlers.h"

#include <cmath>
#include <filesystem>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/state/state_snapshot.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/text_serializer.h"
#include "server/recommender_service.h"
#include "server/state_recovery.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/model_dir.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace hrnn {
namespace {

using ::hrnn::testing::StatusIs;
using ::testing::HasSubstr;

constexpr int64_t kMinute = 60 * 1000;

class RequestHandlersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.model_dir = (testing::FreshTestDir() / "models" / "shop").string();
    config_.session_event_types = {"click", "view"};
    config_.purchase_event_types = {"purchase"};
    testing::WriteRandomModel(config_.model_dir, 3);
    store_ = std::make_unique<UserStateStore>(UserStateStoreOptions());
    metrics_ = std::make_unique<ServerMetrics>(std::vector<std::string>{"click", "purchase"},
                                               RecommenderService::MethodNames());
    catalogue_ = std::make_unique<CatalogueUpdater>(&handle_, nullptr, &clock_);
    handlers_ = std::make_unique<RequestHandlers>(&config_, &handle_, catalogue_.get(),
                                                  store_.get(), &clock_, metrics_.get());
  }

  void LoadModel() {
    SessionPolicy policy;
    policy.timeout_ms = config_.session_timeout_ms;
    auto model = LoadLatestServingModel(config_.model_dir, NetworkOptions(), policy, 1);
    ASSERT_OK(model.status());
    handle_.Set(*model);
  }

  v1::Event Click(const std::string& user, const std::string& item, int64_t at_ms = 0,
                  const std::string& type = "") {
    v1::Event event;
    event.set_user_id(user);
    event.set_item_id(item);
    event.set_timestamp_ms(at_ms);
    event.set_event_type(type);
    return event;
  }

  v1::PutEventsResponse Put(std::vector<v1::Event> events) {
    v1::PutEventsRequest request;
    for (auto& event : events) *request.add_events() = std::move(event);
    v1::PutEventsResponse response;
    EXPECT_OK(handlers_->PutEvents(request, &response));
    return response;
  }

  v1::GetRecommendationsResponse Recommend(const std::string& user, int n = 10,
                                           v1::Filter filter = v1::Filter(),
                                           const std::string& session_id = "") {
    v1::GetRecommendationsRequest request;
    request.set_user_id(user);
    request.set_num_results(n);
    request.set_session_id(session_id);
    *request.mutable_filter() = std::move(filter);
    v1::GetRecommendationsResponse response;
    EXPECT_OK(handlers_->GetRecommendations(request, &response));
    return response;
  }

  std::vector<std::string> Ids(const v1::GetRecommendationsResponse& response) {
    std::vector<std::string> ids;
    for (const auto& item : response.items()) ids.push_back(item.item_id());
    return ids;
  }

  std::string MetricsText() {
    return prometheus::TextSerializer().Serialize(metrics_->registry()->Collect());
  }

  ServerConfig config_;
  FakeClock clock_;
  ServingModelHandle handle_;
  std::unique_ptr<UserStateStore> store_;
  std::unique_ptr<ServerMetrics> metrics_;
  std::unique_ptr<CatalogueUpdater> catalogue_;
  std::unique_ptr<RequestHandlers> handlers_;
};

TEST_F(RequestHandlersTest, EveryCallIsUnavailableWithoutAModel) {
  v1::GetRecommendationsRequest recommend;
  recommend.set_user_id("u");
  v1::GetRecommendationsResponse recommendations;
  EXPECT_THAT(handlers_->GetRecommendations(recommend, &recommendations),
              StatusIs(absl::StatusCode::kUnavailable, "no model"));
  v1::PutEventsRequest put;
  *put.add_events() = Click("u", "item-1");
  v1::PutEventsResponse put_response;
  EXPECT_THAT(handlers_->PutEvents(put, &put_response),
              StatusIs(absl::StatusCode::kUnavailable, "no model"));
  EXPECT_THAT(handlers_->ApplyStreamEvent(put.events(0), 0, &put_response),
              StatusIs(absl::StatusCode::kUnavailable, "no model"));
  v1::ModelInfo info;
  EXPECT_THAT(handlers_->GetModelInfo(v1::GetModelInfoRequest(), &info),
              StatusIs(absl::StatusCode::kUnavailable, "no model"));
  v1::GetSimilarItemsRequest similar;
  similar.set_item_id("item-1");
  v1::GetSimilarItemsResponse similar_response;
  EXPECT_THAT(handlers_->GetSimilarItems(similar, &similar_response),
              StatusIs(absl::StatusCode::kUnavailable, "no model"));
  EXPECT_EQ(put_response.accepted(), 0);
}

TEST_F(RequestHandlersTest, RecommendationRequestValidationNamesTheField) {
  LoadModel();
  struct Case {
    std::string name;
    std::function<void(v1::GetRecommendationsRequest&)> edit;
    std::string field;
  };
  const std::vector<Case> cases = {
      {"empty user", [](auto& r) { r.clear_user_id(); }, "user_id: must not be empty"},
      {"long user", [](auto& r) { r.set_user_id(std::string(257, 'u')); }, "user_id: 257 bytes"},
      {"long session", [](auto& r) { r.set_session_id(std::string(300, 's')); }, "session_id"},
      {"too many", [](auto& r) { r.set_num_results(501); }, "num_results: 501"},
      {"negative", [](auto& r) { r.set_num_results(-1); }, "num_results: -1"},
      {"exclude list",
       [](auto& r) {
         for (int i = 0; i < 501; ++i) r.mutable_filter()->add_exclude_item_ids("x");
       },
       "filter.exclude_item_ids: 501 ids"},
      {"empty include id", [](auto& r) { r.mutable_filter()->add_include_item_ids(""); },
       "filter.include_item_ids[0]: must not be empty"},
      {"context",
       [](auto& r) {
         for (int i = 0; i < 33; ++i) (*r.mutable_context())[absl::StrCat("k", i)] = "v";
       },
       "context: 33 entries"},
  };
  for (const Case& c : cases) {
    v1::GetRecommendationsRequest request;
    request.set_user_id("u");
    c.edit(request);
    v1::GetRecommendationsResponse response;
    EXPECT_THAT(handlers_->GetRecommendations(request, &response),
                StatusIs(absl::StatusCode::kInvalidArgument, c.field))
        << c.name;
  }
}

TEST_F(RequestHandlersTest, SimilarItemsValidationNamesTheField) {
  LoadModel();
  struct Case {
    std::string name;
    std::function<void(v1::GetSimilarItemsRequest&)> edit;
    absl::StatusCode code;
    std::string message;
  };
  const auto invalid = absl::StatusCode::kInvalidArgument;
  const std::vector<Case> cases = {
      {"no item", [](auto& r) { r.clear_item_id(); }, invalid, "item_id: must not be empty"},
      {"long item", [](auto& r) { r.set_item_id(std::string(257, 'i')); }, invalid,
       "item_id: 257 bytes"},
      {"long user", [](auto& r) { r.set_user_id(std::string(257, 'u')); }, invalid,
       "user_id: 257 bytes"},
      {"session without user", [](auto& r) { r.set_session_id("s1"); }, invalid,
       "session_id: needs user_id"},
      {"too many", [](auto& r) { r.set_num_results(501); }, invalid, "num_results: 501"},
      {"empty include id", [](auto& r) { r.mutable_filter()->add_include_item_ids(""); }, invalid,
       "filter.include_item_ids[0]: must not be empty"},
      {"session filter without user",
       [](auto& r) { r.mutable_filter()->set_exclude_session_items(true); }, invalid,
       "filter.exclude_session_items: needs user_id"},
      {"purchase filter without user",
       [](auto& r) { r.mutable_filter()->set_exclude_purchased(true); }, invalid,
       "filter.exclude_purchased: needs user_id"},
      {"context",
       [](auto& r) {
         for (int i = 0; i < 33; ++i) (*r.mutable_context())[absl::StrCat("k", i)] = "v";
       },
       invalid, "context: 33 entries"},
      {"unknown item", [](auto& r) { r.set_item_id("no-such-item"); }, absl::StatusCode::kNotFound,
       "item_id: \"no-such-item\" is not in the catalogue of model version 3"},
  };
  for (const Case& c : cases) {
    v1::GetSimilarItemsRequest request;
    request.set_item_id("item-4");
    c.edit(request);
    v1::GetSimilarItemsResponse response;
    EXPECT_THAT(handlers_->GetSimilarItems(request, &response), StatusIs(c.code, c.message))
        << c.name;
    EXPECT_EQ(response.items_size(), 0) << c.name;
  }
}

TEST_F(RequestHandlersTest, SimilarItemsWithoutRecipesAreTheGrusNextClicksAfterTheItem) {
  LoadModel();
  v1::GetSimilarItemsRequest request;
  request.set_item_id("item-7");
  v1::GetSimilarItemsResponse similar;
  ASSERT_OK(handlers_->GetSimilarItems(request, &similar));
  EXPECT_EQ(similar.items_size(), 25);
  EXPECT_EQ(similar.recipe(), "hrnn");
  EXPECT_EQ(similar.model_version(), 3);
  EXPECT_EQ(similar.recommendation_id().size(), 32u);
  EXPECT_EQ(similar.backfilled(), 0);
  // The same as GetRecommendations for a user whose only click is item-7, without item-7.
  Put({Click("one-click", "item-7", clock_.NowMs())});
  v1::Filter without_the_item;
  without_the_item.add_exclude_item_ids("item-7");
  const v1::GetRecommendationsResponse reference = Recommend("one-click", 25, without_the_item);
  ASSERT_EQ(reference.items_size(), 25);
  for (int i = 0; i < 25; ++i) {
    EXPECT_EQ(similar.items(i).item_id(), reference.items(i).item_id()) << i;
    EXPECT_FLOAT_EQ(similar.items(i).score(), reference.items(i).score()) << i;
  }
  EXPECT_THAT(MetricsText(), HasSubstr("method=\"GetSimilarItems\""));
}

TEST_F(RequestHandlersTest, SimilarItemsBlendCooccurrenceWithTheGruAndHonourTheFilter) {
  RecipeSettings settings;
  settings.recipes = {RecipeKind::kHrnn, RecipeKind::kTrending};
  settings.default_recipe = RecipeKind::kHrnn;
  settings.similar_items.cooccurrence_weight = 1;
  settings.similar_items.hrnn_weight = 0.5;
  testing::WriteRandomModelWithRecipes(config_.model_dir, 4, settings);
  LoadModel();
  // testing::TestSessions: item-5 shares two sessions with item-25 and item-45 (normalised
  // co-occurrence 1), which outrank every other item (GRU term at most 0.5).
  v1::GetSimilarItemsRequest request;
  request.set_item_id("item-5");
  request.set_num_results(5);
  v1::GetSimilarItemsResponse similar;
  ASSERT_OK(handlers_->GetSimilarItems(request, &similar));
  EXPECT_EQ(similar.recipe(), "auto");
  ASSERT_EQ(similar.items_size(), 5);
  EXPECT_THAT((std::vector<std::string>{similar.items(0).item_id(), similar.items(1).item_id()}),
              ::testing::UnorderedElementsAre("item-25", "item-45"));
  EXPECT_GE(similar.items(1).score(), 1.0f);
  EXPECT_LE(similar.items(2).score(), 0.5f);

  // A shopper who clicked item-25 in this session, excluding session items.
  Put({Click("ann", "item-25", clock_.NowMs())});
  request.set_user_id("ann");
  request.mutable_filter()->set_exclude_session_items(true);
  request.mutable_filter()->add_exclude_item_ids("item-45");
  similar.Clear();
  ASSERT_OK(handlers_->GetSimilarItems(request, &similar));
  for (const auto& item : similar.items()) {
    EXPECT_NE(item.item_id(), "item-5");
    EXPECT_NE(item.item_id(), "item-25");
    EXPECT_NE(item.item_id(), "item-45");
  }
  // An include list keeps only the listed items (unknown ids are ignored).
  request.clear_user_id();
  request.clear_filter();
  request.mutable_filter()->add_include_item_ids("item-45");
  request.mutable_filter()->add_include_item_ids("item-9");
  request.mutable_filter()->add_include_item_ids("unknown");
  similar.Clear();
  ASSERT_OK(handlers_->GetSimilarItems(request, &similar));
  ASSERT_EQ(similar.items_size(), 2);
  EXPECT_EQ(similar.items(0).item_id(), "item-45");
  EXPECT_EQ(similar.items(1).item_id(), "item-9");
}

TEST_F(RequestHandlersTest, FinishedSessionsJoinSknnAndSimilarItemsLiveAndAfterARestart) {
  RecipeSettings settings;
  settings.recipes = {RecipeKind::kHrnn, RecipeKind::kSknn, RecipeKind::kTrending};
  settings.default_recipe = RecipeKind::kSknn;
  settings.similar_items.hrnn_weight = 0.5;
  testing::WriteRandomModelWithRecipes(config_.model_dir, 4, settings);
  // The test's folder (FreshTestDir would empty it, models included).
  const std::filesystem::path root =
      std::filesystem::path(config_.model_dir).parent_path().parent_path();
  EventLogOptions log_options;
  log_options.dir = (root / "log").string();
  log_options.fsync = FsyncPolicy::kNone;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<EventLog> log, EventLog::Open(log_options, nullptr));
  catalogue_ = std::make_unique<CatalogueUpdater>(&handle_, log.get(), &clock_);
  handlers_ = std::make_unique<RequestHandlers>(&config_, &handle_, catalogue_.get(), store_.get(),
                                                &clock_, metrics_.get(), log.get());
  LoadModel();
  // item-150 and item-160 are in no training session (testing::TestSessions: items 0..59).
  const int64_t now = clock_.NowMs();
  v1::Event first = Click("ann", "item-150", now);
  first.set_session_id("s1");
  v1::Event second = Click("ann", "item-160", now + 1000);
  second.set_session_id("s1");
  v1::Event next = Click("ann", "item-170", now + 2000);
  next.set_session_id("s2");  // s1 has finished.
  Put({first, second});
  LiveSessions& live = *handle_.Get()->recipes->live_sessions();
  EXPECT_EQ(live.stats().finished, 0);
  Put({next});
  EXPECT_EQ(live.stats().finished, 1);

  // Another shopper's sknn and the product page now see 150 -> 160.
  Put({Click("bob", "item-150", now + 3000)});
  v1::GetRecommendationsResponse sknn = Recommend("bob", 2);
  EXPECT_EQ(sknn.recipe(), "sknn");
  ASSERT_EQ(sknn.items_size(), 2);
  EXPECT_EQ(sknn.items(0).item_id(), "item-150");
  EXPECT_EQ(sknn.items(1).item_id(), "item-160");
  EXPECT_EQ(sknn.backfilled(), 0);
  v1::GetSimilarItemsRequest similar_request;
  similar_request.set_item_id("item-150");
  similar_request.set_num_results(1);
  v1::GetSimilarItemsResponse similar;
  ASSERT_OK(handlers_->GetSimilarItems(similar_request, &similar));
  ASSERT_EQ(similar.items_size(), 1);
  EXPECT_EQ(similar.items(0).item_id(), "item-160");

  // A deleted user's open session never joins.
  Put({Click("carl", "item-180", now), Click("carl", "item-190", now + 1)});
  v1::DeleteUserRequest forget;
  forget.set_user_id("carl");
  v1::DeleteUserResponse forgotten;
  ASSERT_OK(handlers_->DeleteUser(forget, &forgotten));
  EXPECT_EQ(live.stats().open, 2);  // ann's s2 and bob's.
  // They finish a day later, but one click makes no co-occurrence: nothing joins.
  EXPECT_EQ(live.FinishIdle(now + 24 * 60 * kMinute), 0);
  EXPECT_EQ(live.stats().open, 0);
  EXPECT_EQ(live.stats().finished, 1);

  // A restart: the log replayed into a fresh model rebuilds the finished session.
  ServingModelHandle restarted;
  SessionPolicy policy;
  policy.timeout_ms = config_.session_timeout_ms;
  ASSERT_OK_AND_ASSIGN(auto model,
                       LoadLatestServingModel(config_.model_dir, NetworkOptions(), policy, 1));
  UserStateStore store{UserStateStoreOptions()};
  ASSERT_OK(log->Flush());
  ASSERT_OK(RecoverState(*model, config_, (root / "snapshots").string(), *log, store).status());
  EXPECT_EQ(model->recipes->live_sessions()->stats().finished, 1);
  EXPECT_EQ(model->recipes->live_sessions()->stats().open, 2);  // ann's s2, bob's; not carl.
  const double trending_150 = model->recipes->trending()->Score(150, now / 1000);
  EXPECT_GT(trending_150, 0);  // Not in training: only the replayed clicks count.

  // A restart after a snapshot of every state: the log replay starts at the snapshot, so the
  // recipes' live state is warmed up from the events before it (they are newer than the
  // training sessions) and ends up the same.
  SnapshotHeader header;
  header.model_name = model->name;
  header.model_version = model->version;
  header.log_seq = log->next_seq();
  header.user_size = static_cast<uint32_t>(model->network->user_state_size());
  header.session_size = static_cast<uint32_t>(model->network->hidden_size());
  ASSERT_OK(WriteSnapshot((root / "snapshots").string(), header, [&](SnapshotUserSink sink) {
    store.ForEachShard([&](const std::vector<std::pair<std::string, UserState>>& users) {
      for (const auto& [user_id, state] : users) sink(user_id, state);
    });
  }));
  ASSERT_OK_AND_ASSIGN(auto again,
                       LoadLatestServingModel(config_.model_dir, NetworkOptions(), policy, 1));
  UserStateStore fresh{UserStateStoreOptions()};
  ASSERT_OK_AND_ASSIGN(RecoveryStats stats,
                       RecoverState(*again, config_, (root / "snapshots").string(), *log, fresh));
  EXPECT_FALSE(stats.snapshot.empty());
  EXPECT_EQ(stats.events_applied, 0);        // Every state came from the snapshot...
  EXPECT_EQ(stats.recipe_events_warmed, 6);  // ...and the recipes from the log: 6 clicks.
  EXPECT_EQ(again->recipes->live_sessions()->stats().finished, 1);
  EXPECT_EQ(again->recipes->live_sessions()->stats().open, 2);  // Carl was forgotten again.
  EXPECT_DOUBLE_EQ(again->recipes->trending()->Score(150, now / 1000), trending_150);
  EXPECT_EQ(again->recipes->live_sessions()->stats().added, 1);
}

TEST_F(RequestHandlersTest, NewUserGetsTheEmptyHistoryPredictionWithDefaultCount) {
  LoadModel();
  v1::GetRecommendationsRequest request;
  request.set_user_id("stranger");
  v1::GetRecommendationsResponse response;
  ASSERT_OK(handlers_->GetRecommendations(request, &response));
  EXPECT_EQ(response.items_size(), 25);
  EXPECT_EQ(response.state(), "new_user");
  EXPECT_EQ(response.model_version(), 3);
  EXPECT_EQ(response.recommendation_id().size(), 32u);
  const auto model = handle_.Get();
  RecommendationRequest core_request;
  core_request.now_ms = clock_.NowMs();
  core_request.num_results = 25;
  const auto expected = ::hrnn::Recommend(model, model->NewUserState(), /*known=*/false,
                                          core_request, ScoringMode::kSingle)
                            .items;
  ASSERT_EQ(expected.size(), 25u);
  for (int i = 0; i < 25; ++i) {
    EXPECT_EQ(response.items(i).item_id(), model->items().id(expected[i].index));
    EXPECT_FLOAT_EQ(response.items(i).score(), expected[i].score);
  }
  // Reading creates no state.
  EXPECT_EQ(store_->stats().users, 0);
  v1::GetRecommendationsResponse again;
  ASSERT_OK(handlers_->GetRecommendations(request, &again));
  EXPECT_NE(again.recommendation_id(), response.recommendation_id());
}

TEST_F(RequestHandlersTest, ClicksMoveRecommendationsAndSessionsEndByTimeoutOrId) {
  LoadModel();
  const auto before = Ids(Recommend("alice"));
  const int64_t t0 = clock_.NowMs();
  EXPECT_EQ(Put({Click("alice", "item-7", t0)}).accepted(), 1);
  const auto in_session = Recommend("alice");
  EXPECT_EQ(in_session.state(), "session");
  EXPECT_NE(Ids(in_session), before);

  // Same state when asked in the same session id... a different id means the session is over.
  EXPECT_EQ(Recommend("alice", 10, {}, "another-session").state(), "user");

  clock_.Advance(31 * kMinute);
  EXPECT_EQ(Recommend("alice").state(), "user");
  // A click after the timeout starts a new session (counted as such).
  EXPECT_EQ(Put({Click("alice", "item-9", clock_.NowMs())}).accepted(), 1);
  EXPECT_EQ(store_->Get("alice", clock_.NowMs())->state.sessions_folded, 1);
  EXPECT_THAT(MetricsText(), HasSubstr("outcome=\"new_session\"} 2"));
}

TEST_F(RequestHandlersTest, EventsAreValidatedOneByOne) {
  LoadModel();
  const int64_t now = clock_.NowMs();
  std::vector<v1::Event> events = {
      Click("", "item-1"),                            // 0: no user
      Click("u", ""),                                 // 1: no item
      Click("u", "item-1", now + 6 * kMinute),        // 2: future
      Click("u", "item-1", -5),                       // 3: negative time
      Click("u", "item-1"),                           // 4: fine
      Click("u", "no-such-item"),                     // 5: unknown item, accepted
      Click(std::string(300, 'x'), "item-1"),         // 6: long user id
      Click("u", "item-2", 0, std::string(65, 't')),  // 7: long type
  };
  v1::Event nan_value = Click("u", "item-1");
  nan_value.set_event_value(std::numeric_limits<double>::quiet_NaN());
  events.push_back(nan_value);  // 8
  v1::Event impressions = Click("u", "item-1");
  for (int i = 0; i < 501; ++i) impressions.add_impression_item_ids("item-2");
  events.push_back(impressions);  // 9

  const v1::PutEventsResponse response = Put(events);
  EXPECT_EQ(response.accepted(), 2);
  const std::vector<std::pair<int, std::string>> expected = {{0, "user_id: must not be empty"},
                                                             {1, "item_id: must not be empty"},
                                                             {2, "timestamp_ms"},
                                                             {3, "timestamp_ms: -5 is negative"},
                                                             {6, "user_id: 300 bytes"},
                                                             {7, "event_type: 65 bytes"},
                                                             {8, "event_value"},
                                                             {9, "impression_item_ids: 501"}};
  ASSERT_EQ(response.rejected_size(), static_cast<int>(expected.size()));
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(response.rejected(i).index(), expected[i].first);
    EXPECT_THAT(response.rejected(i).reason(), HasSubstr(expected[i].second));
  }
  const std::string metrics = MetricsText();
  EXPECT_THAT(metrics, HasSubstr("event_type=\"click\",outcome=\"rejected\"} 7"));
  EXPECT_THAT(metrics, HasSubstr("outcome=\"unknown_item\"} 1"));
  EXPECT_THAT(metrics, HasSubstr("event_type=\"other\",outcome=\"rejected\"} 1"));  // 65-byte type
}

TEST_F(RequestHandlersTest, CallLevelLimitsOnEvents) {
  LoadModel();
  v1::PutEventsResponse response;
  EXPECT_THAT(handlers_->PutEvents(v1::PutEventsRequest(), &response),
              StatusIs(absl::StatusCode::kInvalidArgument, "events: 0 events"));
  config_.max_events_per_call = 2;
  v1::PutEventsRequest request;
  for (int i = 0; i < 3; ++i) *request.add_events() = Click("u", "item-1");
  EXPECT_THAT(handlers_->PutEvents(request, &response),
              StatusIs(absl::StatusCode::kInvalidArgument, "events: 3 events, expected 1..2"));
  EXPECT_EQ(store_->stats().users, 0) << "nothing applied from a refused call";
}

TEST_F(RequestHandlersTest, DuplicatesOutOfOrderAndEventTypes) {
  LoadModel();
  const int64_t now = clock_.NowMs();
  Put({Click("u", "item-1", now - 1000), Click("u", "item-1", now - 1000),  // duplicate
       Click("u", "item-2", now - 5000),                                    // out of order
       Click("u", "item-3", now, "add_to_wishlist"),                        // ignored type
       Click("u", "item-4", now, "purchase")});                             // purchase only
  const auto state = store_->Get("u", now)->state;
  EXPECT_EQ(state.session_length, 2);
  EXPECT_EQ(state.last_event_ms, now - 1000);
  EXPECT_TRUE(state.purchased_items.Contains(4));
  std::vector<int32_t> clicks;
  state.session_clicks.CopyTo(&clicks);
  EXPECT_EQ(clicks, (std::vector<int32_t>{1, 2}));  // No duplicate, no ignored type, no purchase.
  EXPECT_FALSE(state.history.Contains(3));
  ASSERT_GE(state.history.size(), 1);
  EXPECT_EQ(state.history.item(0), 1);
  EXPECT_EQ(state.history.count(0), 1);    // The duplicate is not counted.
  EXPECT_TRUE(state.history.Contains(4));  // The purchase is.
  const std::string metrics = MetricsText();
  EXPECT_THAT(metrics, HasSubstr("outcome=\"duplicate\"} 1"));
  EXPECT_THAT(metrics, HasSubstr("outcome=\"out_of_order\"} 1"));
  EXPECT_THAT(metrics, HasSubstr("outcome=\"ignored_type\"} 1"));
  EXPECT_THAT(metrics, HasSubstr("event_type=\"purchase\",outcome=\"purchase\"} 1"));
}

TEST_F(RequestHandlersTest, FiltersExcludeSessionHistoryPurchasesListsAndUnavailableItems) {
  LoadModel();
  const int64_t now = clock_.NowMs();
  // Click the items the user would be recommended first, then filter them out.
  const auto first = Ids(Recommend("bob", 3));
  Put({Click("bob", first[0], now), Click("bob", first[1], now + 1),
       Click("bob", first[2], now + 2, "purchase")});
  clock_.Advance(3);

  v1::Filter session;
  session.set_exclude_session_items(true);
  for (const auto& id : Ids(Recommend("bob", 200, session))) {
    EXPECT_NE(id, first[0]);
    EXPECT_NE(id, first[1]);
  }
  v1::Filter purchased;
  purchased.set_exclude_purchased(true);
  const auto without_purchase = Ids(Recommend("bob", 200, purchased));
  EXPECT_EQ(std::count(without_purchase.begin(), without_purchase.end(), first[2]), 0);
  EXPECT_EQ(without_purchase.size(), 199u);

  v1::Filter listed;
  listed.add_exclude_item_ids("item-0");
  listed.add_exclude_item_ids("no-such-item");  // Ignored.
  const auto without_listed = Ids(Recommend("bob", 200, listed));
  EXPECT_EQ(without_listed.size(), 199u);
  EXPECT_EQ(std::count(without_listed.begin(), without_listed.end(), "item-0"), 0);

  v1::Filter include;
  for (const char* id : {"item-5", "item-6", "item-7", "unknown", "item-5"}) {
    include.add_include_item_ids(id);
  }
  include.add_exclude_item_ids("item-6");
  const auto included = Ids(Recommend("bob", 10, include));
  EXPECT_THAT(included, ::testing::UnorderedElementsAre("item-5", "item-7"));

  // Out of stock: never recommended until restocked; ranking still sees it.
  v1::PutItemsRequest items;
  auto* item = items.add_items();
  item->set_item_id(first[0]);
  item->set_available(false);
  items.add_items()->set_item_id("no-such-item");
  v1::PutItemsResponse items_response;
  ASSERT_OK(handlers_->PutItems(items, &items_response));
  EXPECT_EQ(items_response.updated(), 1);
  EXPECT_THAT(items_response.unknown_item_ids(), ::testing::ElementsAre("no-such-item"));
  const auto in_stock = Ids(Recommend("carol", 200));
  EXPECT_EQ(std::count(in_stock.begin(), in_stock.end(), first[0]), 0);
  v1::ModelInfo info;
  ASSERT_OK(handlers_->GetModelInfo(v1::GetModelInfoRequest(), &info));
  EXPECT_EQ(info.unavailable_items(), 1);
  item->set_available(true);
  ASSERT_OK(handlers_->PutItems(items, &items_response));
  const auto restocked = Ids(Recommend("carol", 200));
  EXPECT_EQ(std::count(restocked.begin(), restocked.end(), first[0]), 1);
}

TEST_F(RequestHandlersTest, NaiveScoringPathGivesTheSameRecommendations) {
  LoadModel();
  Put({Click("fay", "item-3", clock_.NowMs()), Click("fay", "item-8", clock_.NowMs() + 1)});
  const auto fast = Recommend("fay", 50);
  config_.scoring = ScoringMode::kNaive;
  const auto naive = Recommend("fay", 50);
  ASSERT_EQ(naive.items_size(), fast.items_size());
  for (int i = 0; i < fast.items_size(); ++i) {
    EXPECT_NEAR(naive.items(i).score(), fast.items(i).score(), 1e-4f) << i;
  }
  EXPECT_EQ(Ids(naive), Ids(fast));
}

TEST_F(RequestHandlersTest, PutItemsValidation) {
  LoadModel();
  v1::PutItemsResponse response;
  EXPECT_THAT(handlers_->PutItems(v1::PutItemsRequest(), &response),
              StatusIs(absl::StatusCode::kInvalidArgument, "items: 0 items"));
  v1::PutItemsRequest request;
  request.add_items()->set_item_id("");
  EXPECT_THAT(handlers_->PutItems(request, &response),
              StatusIs(absl::StatusCode::kInvalidArgument, "items[0].item_id"));
}

TEST_F(RequestHandlersTest, RankingOrdersKnownItemsAndKeepsUnknownOnesLast) {
  LoadModel();
  Put({Click("dana", "item-3", clock_.NowMs())});
  v1::GetPersonalizedRankingRequest request;
  request.set_user_id("dana");
  for (const char* id : {"mystery-1", "item-10", "item-11", "item-10", "item-12", "mystery-2"}) {
    request.add_input_item_ids(id);
  }
  v1::GetPersonalizedRankingResponse response;
  ASSERT_OK(handlers_->GetPersonalizedRanking(request, &response));
  ASSERT_EQ(response.items_size(), 5);
  EXPECT_EQ(response.state(), "session");
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(response.items(i).known());
  EXPECT_GE(response.items(0).score(), response.items(1).score());
  EXPECT_GE(response.items(1).score(), response.items(2).score());
  EXPECT_EQ(response.items(3).item_id(), "mystery-1");
  EXPECT_EQ(response.items(4).item_id(), "mystery-2");
  EXPECT_FALSE(response.items(4).known());

  request.clear_input_item_ids();
  EXPECT_THAT(handlers_->GetPersonalizedRanking(request, &response),
              StatusIs(absl::StatusCode::kInvalidArgument, "input_item_ids: 0 ids"));
  for (int i = 0; i < 501; ++i) request.add_input_item_ids("item-1");
  EXPECT_THAT(handlers_->GetPersonalizedRanking(request, &response),
              StatusIs(absl::StatusCode::kInvalidArgument, "input_item_ids: 501 ids"));
}

TEST_F(RequestHandlersTest, DeleteUserForgetsStateAndIsIdempotent) {
  LoadModel();
  Put({Click("erin", "item-3", clock_.NowMs())});
  v1::DeleteUserRequest request;
  request.set_user_id("erin");
  v1::DeleteUserResponse response;
  ASSERT_OK(handlers_->DeleteUser(request, &response));
  EXPECT_TRUE(response.deleted());
  ASSERT_OK(handlers_->DeleteUser(request, &response));
  EXPECT_FALSE(response.deleted());
  EXPECT_EQ(Recommend("erin").state(), "new_user");
  request.clear_user_id();
  EXPECT_THAT(handlers_->DeleteUser(request, &response),
              StatusIs(absl::StatusCode::kInvalidArgument, "user_id"));
}

TEST_F(RequestHandlersTest, ModelInfoDescribesTheServedModel) {
  LoadModel();
  v1::ModelInfo info;
  ASSERT_OK(handlers_->GetModelInfo(v1::GetModelInfoRequest(), &info));
  EXPECT_EQ(info.name(), "shop");
  EXPECT_EQ(info.version(), 3);
  EXPECT_EQ(info.mode(), "hrnn-init");
  EXPECT_EQ(info.num_items(), 200);
  EXPECT_EQ(info.hidden_size(), 16);
  EXPECT_EQ(info.user_hidden_size(), 12);
  EXPECT_EQ(info.loss(), "xe");
  EXPECT_EQ(info.item_table(), "fp32");
  EXPECT_EQ(info.loaded_at_ms(), 1);
}

TEST_F(RequestHandlersTest, ConcurrentEventsOfOneUserAreAllApplied) {
  LoadModel();
  // More writers than cores, all on one user: each keeps losing compare-and-set races, and
  // none may give an event up (CI once saw 399 of 400 applied, one rejected after 64 losses).
  constexpr int kThreads = 8;
  constexpr int kEvents = 100;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t] {
      for (int i = 0; i < kEvents; ++i) {
        // Distinct items per thread so that no event is a duplicate of another.
        v1::PutEventsRequest request;
        *request.add_events() = Click("shared", absl::StrCat("item-", t * 25 + i % 25));
        v1::PutEventsResponse response;
        EXPECT_OK(handlers_->PutEvents(request, &response));
        EXPECT_EQ(response.accepted(), 1);
        EXPECT_THAT(response.rejected(), ::testing::IsEmpty());
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(store_->Get("shared", clock_.NowMs())->state.session_length, kThreads * kEvents);
}

}  // namespace
}  // namespace hrnn
