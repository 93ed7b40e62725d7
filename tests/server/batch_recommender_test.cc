// hrnn-batch's run (server/batch_recommender.h) against a live server's request path: a state
// dir written by RequestHandlers (events, purchases, a deleted user, out-of-stock items, a
// snapshot half-way), then every batch line compared with what
// RequestHandlers::GetRecommendations answers for the same user, state, filter and time — over
// 1,100 users with events and 50 without, with per-user values of a named filter that reads the
// catalogue and the user's interactions. Also: resume after an interruption, every refusal, and
// that OUT never exists half-written.
#include "server/batch_recommender.h"

#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/catalogue/filters_file.h"
#include "core/catalogue/items_csv.h"
#include "core/recipes/recipe_files.h"
#include "core/state/state_snapshot.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "server/batch_output.h"
#include "server/request_handlers.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/model_dir.h"
#include "tests/testing/state_files.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace hrnn {
namespace {

namespace fs = std::filesystem;
using ::hrnn::testing::StatusIs;

constexpr int kItems = 300;
constexpr int kUsers = 1100;  // With events.
constexpr int kGhosts = 50;   // Without.
constexpr int kNumResults = 20;
constexpr int kDeletedUser = 13;  // Forgotten (DeleteUser) after its events.
constexpr int64_t kT0 = 1'700'000'000'000;
constexpr int64_t kNow = kT0 + 3 * 3600 * 1000;  // Users past ~970 still have a live session.
constexpr char kColors[][6] = {"red", "green", "blue"};

// item-i: COLOR kColors[i % 3], PRICE i; items 280.. have no row.
std::string ItemsCsv() {
  std::string csv = "ITEM_ID,COLOR,PRICE:number\n";
  for (int i = 0; i < 280; ++i) {
    absl::StrAppend(&csv, "item-", i, ",", kColors[i % 3], ",", i, "\n");
  }
  return csv;
}

constexpr char kFilters[] =
    "campaign: EXCLUDE ItemID WHERE Items.COLOR IN ($COLORS) OR Items.PRICE > $MAX OR\n"
    "  Interactions.EVENT_TYPE IN (\"purchase\")\n"
    "colour: EXCLUDE ItemID WHERE Items.COLOR IN ($COLORS)\n"
    "similar: INCLUDE ItemID WHERE Items.COLOR IN (CurrentItem.COLOR)\n";

std::string UserId(int u) { return absl::StrCat("user-", u); }

// The users CSV: every user with events (row u + 1 + u / 22 ghosts before it) and the ghosts.
// COLORS per user; MAX per user, except every tenth user, who gets --filter_values' 250.
std::string UsersCsv() {
  std::string csv = "user_id,COLORS,MAX\n";
  int ghost = 0;
  for (int u = 0; u < kUsers; ++u) {
    if (u % 22 == 0 && ghost < kGhosts) absl::StrAppend(&csv, "ghost-", ghost++, ",green,\n");
    const char* colours = u % 3 == 0 ? "red" : u % 3 == 1 ? "green|blue" : "blue";
    absl::StrAppend(&csv, UserId(u), ",", colours, ",",
                    u % 10 == 0 ? "" : absl::StrCat(100 + u % 150), "\n");
  }
  return csv;
}

class BatchRecommenderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::FreshTestDir();
    const fs::path root = dir_ / "models" / "shop";
    RecipeSettings settings;
    settings.recipes = {RecipeKind::kHrnn, RecipeKind::kSr, RecipeKind::kTrending};
    std::shared_ptr<const Model> model =
        Model::CreateRandom(testing::SmallModelConfig(ModelMode::kHrnnInit, kItems), 11);
    fs::create_directories(root);
    ASSERT_OK(WriteModelDirectory(
        *model, (root / "1").string(),
        {{kItemAttributesFileName, ItemsCsv()},
         {kSessionsFileName, SerializeTrainingSessions(testing::TestSessions(kItems))},
         {kRecipesFileName, RecipeSettingsToJson(settings)}}));
    testing::WriteBytes(dir_ / "filters.txt", kFilters);
    testing::WriteBytes(dir_ / "users.csv", UsersCsv());
    config_.model_dir = root.string();
    config_.state_dir = (dir_ / "state").string();
    config_.filters_file = (dir_ / "filters.txt").string();

    EventLogOptions log_options;
    log_options.dir = (dir_ / "state" / "log").string();
    log_options.fsync = FsyncPolicy::kNone;
    ASSERT_OK_AND_ASSIGN(log_, EventLog::Open(log_options, nullptr));
    ASSERT_OK_AND_ASSIGN(filters_, ReadFiltersFile(config_.filters_file));
    clock_.Set(kNow);
    ASSERT_OK_AND_ASSIGN(
        auto loaded, LoadLatestServingModel(config_.model_dir, NetworkOptions(), SessionPolicy(),
                                            clock_.NowMs(), filters_));
    handle_.Set(loaded);
    store_ = std::make_unique<UserStateStore>(UserStateStoreOptions());
    catalogue_ = std::make_unique<CatalogueUpdater>(&handle_, log_.get(), &clock_);
    handlers_ = std::make_unique<RequestHandlers>(&config_, &handle_, catalogue_.get(),
                                                  store_.get(), &clock_, nullptr, log_.get());
    WriteState();
  }

  // The live side: every user's events through PutEvents, a snapshot after the first half,
  // items out of stock before and after it, one user forgotten.
  void WriteState() {
    SetItems({{"item-40", false}, {"item-41", false}});
    for (int u = 0; u < kUsers; ++u) {
      v1::PutEventsRequest request;
      for (int e = 0; e <= u % 6; ++e) {
        v1::Event* event = request.add_events();
        event->set_user_id(UserId(u));
        event->set_item_id(absl::StrCat("item-", (u * 7 + e * 13) % kItems));
        event->set_event_type(e == 1 && u % 4 == 0 ? "purchase" : "click");
        event->set_timestamp_ms(kT0 + int64_t{u} * 9000 + int64_t{e} * 60'000);
        event->set_session_id(absl::StrCat("s", u, "-", e / 3));
      }
      v1::PutEventsResponse response;
      ASSERT_OK(handlers_->PutEvents(request, &response));
      ASSERT_EQ(response.accepted(), request.events_size());
      if (u == kUsers / 2) {
        SetItems({{"item-41", true}, {"item-42", false}});
        WriteSnapshot();
      }
    }
    SetItems({{"item-5", false}, {"item-17", false}, {"item-42", true}});
    v1::DeleteUserRequest forget;
    forget.set_user_id(UserId(kDeletedUser));
    v1::DeleteUserResponse forgotten;
    ASSERT_OK(handlers_->DeleteUser(forget, &forgotten));
    ASSERT_OK(log_->Flush());
  }

  void SetItems(const std::vector<std::pair<std::string, bool>>& items) {
    v1::PutItemsRequest request;
    for (const auto& [id, available] : items) {
      v1::ItemAvailability* item = request.add_items();
      item->set_item_id(id);
      item->set_available(available);
    }
    v1::PutItemsResponse response;
    ASSERT_OK(handlers_->PutItems(request, &response));
  }

  // As RecommenderServer::TakeSnapshot writes it.
  void WriteSnapshot() {
    const std::shared_ptr<const ServingModel> model = handle_.Get();
    SnapshotHeader header;
    header.model_name = model->name;
    header.model_version = model->version;
    header.log_seq = log_->next_seq();
    header.unavailable_item_ids = catalogue_->UnavailableItemIds();
    header.created_at_ms = clock_.NowMs();
    header.user_size = static_cast<uint32_t>(model->network->user_state_size());
    header.session_size = static_cast<uint32_t>(model->network->hidden_size());
    ASSERT_OK(log_->Flush());
    ASSERT_OK(hrnn::WriteSnapshot((dir_ / "state" / "snapshots").string(), header,
                                  [&](SnapshotUserSink sink) {
                                    store_->ForEachShard([&](const auto& users) {
                                      for (const auto& [id, state] : users) sink(id, state);
                                    });
                                  }));
  }

  BatchOptions Options(const std::string& out_name = "out.jsonl") const {
    BatchOptions options;
    options.model_dir = config_.model_dir;
    options.users_file = (dir_ / "users.csv").string();
    options.state_dir = config_.state_dir;
    options.temp_dir = dir_.string();
    options.filters_file = config_.filters_file;
    options.filter = "campaign";
    options.filter_values = {{"MAX", {"250"}}};
    options.num_results = kNumResults;
    options.out = (dir_ / out_name).string();
    options.threads = 2;
    options.now_ms = kNow;
    return options;
  }

  // What GetRecommendations answers for `user` with the named filter `values`.
  v1::GetRecommendationsResponse Reference(const std::string& user,
                                           const FilterParameterValues& values) const {
    v1::GetRecommendationsRequest request;
    request.set_user_id(user);
    request.set_num_results(kNumResults);
    request.mutable_filter()->set_name("campaign");
    for (const auto& [name, listed] : values) {
      for (const std::string& value : listed) {
        (*request.mutable_filter()->mutable_values())[name].add_values(value);
      }
    }
    v1::GetRecommendationsResponse response;
    const absl::Status status = handlers_->GetRecommendations(request, &response);
    EXPECT_TRUE(status.ok()) << user << ": " << status;
    return response;
  }

  // The lines of `path`, parsed, by user id.
  static std::map<std::string, nlohmann::json> ReadLines(const fs::path& path, int* count) {
    std::map<std::string, nlohmann::json> lines;
    std::ifstream in(path);
    *count = 0;
    for (std::string line; std::getline(in, line); ++*count) {
      nlohmann::json json = nlohmann::json::parse(line);
      const std::string user = json["user_id"];
      lines[user] = std::move(json);
    }
    return lines;
  }

  // The batch's line equals the reference answer: the same items in the same order (up to a
  // swap of items whose scores differ by float rounding: the batch scores 8 users a pass, the
  // reference one), scores, recipe, model version; "no_history" exactly when no state answered.
  static void ExpectSameAnswer(const nlohmann::json& got,
                               const v1::GetRecommendationsResponse& want,
                               const std::string& user) {
    SCOPED_TRACE(user);
    EXPECT_EQ(got["recipe"], want.recipe());
    EXPECT_EQ(got["model_version"], want.model_version());
    EXPECT_EQ(got["reason"], want.state() == "new_user" ? kNoHistoryReason : "");
    ASSERT_EQ(got["items"].size(), static_cast<size_t>(want.items_size()));
    for (int i = 0; i < want.items_size(); ++i) {
      const std::string id = got["items"][i]["item_id"];
      EXPECT_NEAR(got["items"][i]["score"].get<float>(), want.items(i).score(), 1e-4f) << i;
      if (id == want.items(i).item_id()) continue;
      bool near_tie = false;
      for (const v1::ScoredItem& other : want.items()) {
        near_tie |=
            other.item_id() == id && std::abs(other.score() - want.items(i).score()) < 1e-4f;
      }
      EXPECT_TRUE(near_tie) << "position " << i << ": " << id << " vs " << want.items(i).item_id();
    }
  }

  // The named filter's values of each users-file row, merged with --filter_values.
  static std::map<std::string, FilterParameterValues> RowValues() {
    std::map<std::string, FilterParameterValues> values;
    bool header = true;
    for (absl::string_view row : absl::StrSplit(UsersCsv(), '\n', absl::SkipEmpty())) {
      if (header) {
        header = false;
        continue;
      }
      const std::vector<std::string> cells = absl::StrSplit(row, ',');
      FilterParameterValues& user = values[cells[0]];
      user["COLORS"] = absl::StrSplit(cells[1], '|');
      user["MAX"] = {cells[2].empty() ? "250" : cells[2]};
    }
    return values;
  }

  fs::path dir_;
  ServerConfig config_;
  FakeClock clock_;
  std::vector<NamedFilter> filters_;
  std::unique_ptr<EventLog> log_;
  ServingModelHandle handle_;
  std::unique_ptr<UserStateStore> store_;
  std::unique_ptr<CatalogueUpdater> catalogue_;
  std::unique_ptr<RequestHandlers> handlers_;
};

TEST_F(BatchRecommenderTest, ListsEqualGetRecommendationsForEveryUser) {
  const BatchOptions options = Options();
  std::vector<BatchProgress> progress;
  BatchHooks hooks;
  hooks.progress = [&](const BatchProgress& p, bool final) {
    progress.push_back(p);
    // OUT appears only once every user is in it (the final call comes after).
    EXPECT_EQ(fs::exists(options.out), final);
    EXPECT_NE(fs::exists(options.out + ".partial"), final);
  };
  ASSERT_OK_AND_ASSIGN(BatchSummary summary, RunBatch(options, hooks));
  EXPECT_FALSE(fs::exists(options.out + ".partial"));
  EXPECT_EQ(summary.users, kUsers + kGhosts);
  EXPECT_EQ(summary.written, kUsers + kGhosts);
  EXPECT_EQ(summary.no_history, kGhosts + 1);  // The ghosts and the forgotten user.
  EXPECT_EQ(summary.failed, 0);
  EXPECT_EQ(summary.model_version, 1);
  EXPECT_THAT(summary.recovery, ::testing::HasSubstr("snapshot /"));
  ASSERT_FALSE(progress.empty());
  EXPECT_EQ(progress.back().done, kUsers + kGhosts);
  // The temporary copy of the state dir is gone.
  for (const auto& entry : fs::directory_iterator(dir_)) {
    EXPECT_THAT(entry.path().filename().string(), ::testing::Not(::testing::StartsWith("hrnn-")));
  }

  int count = 0;
  const std::map<std::string, nlohmann::json> lines = ReadLines(options.out, &count);
  ASSERT_EQ(count, kUsers + kGhosts);
  ASSERT_EQ(lines.size(), static_cast<size_t>(count));
  int with_state = 0;
  int live_sessions = 0;
  for (const auto& [user, values] : RowValues()) {
    ASSERT_EQ(lines.count(user), 1u) << user;
    const v1::GetRecommendationsResponse want = Reference(user, values);
    with_state += want.state() != "new_user" ? 1 : 0;
    live_sessions += want.state() == "session" ? 1 : 0;
    ExpectSameAnswer(lines.at(user), want, user);
  }
  EXPECT_EQ(with_state, kUsers - 1);
  EXPECT_GT(live_sessions, 50);
  EXPECT_EQ(lines.at("ghost-0")["recipe"], "trending");
  // The filter held: no red item for a red user, nothing above their MAX, nothing bought, no
  // out-of-stock item.
  for (const auto& item : lines.at(UserId(3))["items"]) {
    const int index = std::stoi(item["item_id"].get<std::string>().substr(5));
    EXPECT_TRUE(index >= 280 || (index % 3 != 0 && index <= 103)) << index;
    EXPECT_NE(index, 5);
    EXPECT_NE(index, 17);
  }
}

TEST_F(BatchRecommenderTest, EveryUserWithStateAndCsvOutput) {
  BatchOptions options = Options("all.csv");
  options.users_file.clear();
  options.all_users = true;
  options.filter_values = {{"COLORS", {"red"}}, {"MAX", {"200"}}};
  ASSERT_OK_AND_ASSIGN(BatchSummary summary, RunBatch(options));
  EXPECT_EQ(summary.users, kUsers - 1);  // Not the forgotten user.
  EXPECT_EQ(summary.no_history, 0);
  const std::string csv = testing::ReadBytes(options.out);
  const std::vector<absl::string_view> rows = absl::StrSplit(csv, '\n', absl::SkipEmpty());
  ASSERT_EQ(rows.size(), static_cast<size_t>(kUsers));  // The header and one row per user.
  EXPECT_EQ(absl::StrCat(rows[0], "\n"), BatchCsvHeader());
  // Sorted by id; the first row answered as GetRecommendations does.
  EXPECT_TRUE(absl::StartsWith(rows[1], "user-0,"));
  EXPECT_TRUE(absl::StartsWith(rows[2], "user-1,"));
  const v1::GetRecommendationsResponse want = Reference("user-0", options.filter_values);
  const std::vector<std::string> cells = absl::StrSplit(rows[1], ',');
  ASSERT_EQ(cells.size(), 6u);
  const std::vector<std::string> ids = absl::StrSplit(cells[1], '|');
  ASSERT_EQ(ids.size(), static_cast<size_t>(want.items_size()));
  EXPECT_EQ(ids[0], want.items(0).item_id());
  EXPECT_EQ(cells[3], want.recipe());
  EXPECT_EQ(cells[4], "1");
}

TEST_F(BatchRecommenderTest, ResumeAfterAnInterruptionWritesEveryUserOnce) {
  // The reference output of an uninterrupted run.
  const BatchOptions full = Options("full.jsonl");
  ASSERT_OK(RunBatch(full).status());
  const std::string expected = testing::ReadBytes(full.out);
  const std::vector<absl::string_view> lines = absl::StrSplit(expected, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), static_cast<size_t>(kUsers + kGhosts));

  // A crash: 304 complete lines and a torn one.
  BatchOptions options = Options();
  std::string partial;
  for (int i = 0; i < 304; ++i) absl::StrAppend(&partial, lines[i], "\n");
  absl::StrAppend(&partial, lines[304].substr(0, lines[304].size() / 2));
  testing::WriteBytes(options.out + ".partial", partial);
  options.resume = true;
  ASSERT_OK_AND_ASSIGN(BatchSummary summary, RunBatch(options));
  EXPECT_EQ(summary.resumed, 304);
  EXPECT_EQ(summary.written, kUsers + kGhosts - 304);
  // Users are scored in the same passes as before, so the file is the same byte for byte.
  EXPECT_EQ(testing::ReadBytes(options.out), expected);
  EXPECT_FALSE(fs::exists(options.out + ".partial"));

  // An interruption (SIGINT sets the flag) after the first lines: OUT is not written, the
  // partial file holds complete lines, and --resume completes it.
  BatchOptions interrupted = Options("interrupted.jsonl");
  std::atomic<bool> cancel{false};
  BatchHooks hooks;
  hooks.cancel = &cancel;
  hooks.progress = [&](const BatchProgress& p, bool) {
    if (p.done >= 100) cancel = true;
  };
  EXPECT_THAT(RunBatch(interrupted, hooks).status(),
              StatusIs(absl::StatusCode::kCancelled, "run again with --resume"));
  EXPECT_FALSE(fs::exists(interrupted.out));
  const std::string held = testing::ReadBytes(interrupted.out + ".partial");
  ASSERT_FALSE(held.empty());
  EXPECT_EQ(held.back(), '\n');
  EXPECT_EQ(expected.compare(0, held.size(), held), 0);
  interrupted.resume = true;
  ASSERT_OK_AND_ASSIGN(BatchSummary rest, RunBatch(interrupted));
  EXPECT_GT(rest.resumed, 0);
  EXPECT_EQ(testing::ReadBytes(interrupted.out), expected);
}

TEST_F(BatchRecommenderTest, BadInputIsRefusedBeforeAnythingIsWritten) {
  const std::string old_out = "an earlier campaign\n";
  struct Case {
    std::string name;
    std::function<void(BatchOptions&)> change;
    absl::StatusCode code;
    std::string message;
  };
  const std::string users = (dir_ / "users.csv").string();
  auto users_file = [&](const std::string& name, const std::string& content) {
    testing::WriteBytes(dir_ / name, content);
    return (dir_ / name).string();
  };
  const std::string malformed = users_file("malformed.csv", "user_id,COLORS\nu1,red\nu2\n");
  const std::string missing =
      users_file("missing.csv", "user_id,COLORS,MAX\nu1,red,5\nu2,blue,6\nu3,,7\n");
  const std::string bad_number = users_file("number.csv", "user_id,COLORS,MAX\nu1,red,ten\n");
  const std::string extra_column = users_file("extra.csv", "user_id,COLORS,SIZE\nu1,red,L\n");
  const std::string long_id = users_file("long.txt", std::string(300, 'x') + "\n");
  const std::vector<Case> cases = {
      {"no model dir", [&](BatchOptions& o) { o.model_dir = (dir_ / "nope").string(); },
       absl::StatusCode::kNotFound, "--model_dir: "},
      {"no users file", [&](BatchOptions& o) { o.users_file = (dir_ / "none.csv").string(); },
       absl::StatusCode::kNotFound, "--users: "},
      {"malformed users file", [&](BatchOptions& o) { o.users_file = malformed; },
       absl::StatusCode::kInvalidArgument, "malformed.csv:3:1: 1 fields, the header has 2"},
      {"unknown filter", [&](BatchOptions& o) { o.filter = "nope"; },
       absl::StatusCode::kInvalidArgument,
       "--filter: no filter named \"nope\" (--filters_file has: campaign, colour, similar)"},
      {"a filter for items", [&](BatchOptions& o) { o.filter = "similar"; },
       absl::StatusCode::kInvalidArgument, "--filter: similar uses CurrentItem"},
      {"a parameter missing for one user", [&](BatchOptions& o) { o.users_file = missing; },
       absl::StatusCode::kInvalidArgument,
       "missing.csv:4: user \"u3\": filter campaign: parameter $COLORS: missing"},
      {"a bad parameter value", [&](BatchOptions& o) { o.users_file = bad_number; },
       absl::StatusCode::kInvalidArgument,
       "number.csv:2: user \"u1\": filter campaign: parameter "
       "$MAX: \"ten\" is not a number"},
      {"a column that is no parameter", [&](BatchOptions& o) { o.users_file = extra_column; },
       absl::StatusCode::kInvalidArgument,
       "extra.csv:1: the column SIZE is not a parameter of filter campaign (it has $COLORS, $MAX)"},
      {"a value for no parameter", [&](BatchOptions& o) { o.filter_values["SIZE"] = {"L"}; },
       absl::StatusCode::kInvalidArgument, "--filter_values: SIZE is not a parameter"},
      {"--all_users without every value",
       [&](BatchOptions& o) {
         o.users_file.clear();
         o.all_users = true;
       },
       absl::StatusCode::kInvalidArgument,
       "--filter_values: filter campaign: parameter $COLORS: missing"},
      {"an id too long",
       [&](BatchOptions& o) {
         o.users_file = long_id;
         o.filter.clear();
         o.filter_values.clear();
       },
       absl::StatusCode::kInvalidArgument, "long.txt:1: user \"xxxx"},
      {"unknown recipe", [&](BatchOptions& o) { o.recipe = "magic"; },
       absl::StatusCode::kInvalidArgument, "--recipe: unknown recipe \"magic\""},
      {"a recipe not served", [&](BatchOptions& o) { o.recipe = "sknn"; },
       absl::StatusCode::kInvalidArgument, "--recipe: model version 1 does not serve \"sknn\""},
      {"--all_users without a state dir",
       [&](BatchOptions& o) {
         o.users_file.clear();
         o.all_users = true;
         o.state_dir.clear();
       },
       absl::StatusCode::kInvalidArgument, "--all_users: needs --state_dir"},
      {"both --users and --all_users", [&](BatchOptions& o) { o.all_users = true; },
       absl::StatusCode::kInvalidArgument, "--users: give either"},
      {"an output of no format", [&](BatchOptions& o) { o.out += ".txt"; },
       absl::StatusCode::kInvalidArgument, "--out: "},
      {"num_results", [&](BatchOptions& o) { o.num_results = 501; },
       absl::StatusCode::kInvalidArgument, "--num_results: 501 is outside 1..500"},
      {"no state dir", [&](BatchOptions& o) { o.state_dir = (dir_ / "nope").string(); },
       absl::StatusCode::kNotFound, "--state_dir: "},
      {"no filters file", [&](BatchOptions& o) { o.filters_file = (dir_ / "nope").string(); },
       absl::StatusCode::kNotFound, "--filters_file: "},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    BatchOptions options = Options();
    testing::WriteBytes(options.out, old_out);
    c.change(options);
    EXPECT_THAT(RunBatch(options).status(), StatusIs(c.code, c.message));
    // Neither OUT (an earlier one stays as it was) nor a partial file.
    EXPECT_EQ(testing::ReadBytes(Options().out), old_out);
    EXPECT_FALSE(fs::exists(Options().out + ".partial"));
    EXPECT_FALSE(fs::exists(options.out + ".partial"));
  }
  // A resumed partial file of another model version is refused and kept.
  BatchOptions options = Options();
  BatchResult other;
  other.user_id = "user-1";
  other.model_version = 7;
  std::string line;
  AppendBatchLine(BatchOutputFormat::kJsonLines, other, &line);
  testing::WriteBytes(options.out + ".partial", line);
  options.resume = true;
  EXPECT_THAT(RunBatch(options).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "out.jsonl.partial:1: written with model version 7, this run serves "
                       "version 1"));
  EXPECT_EQ(testing::ReadBytes(options.out + ".partial"), line);
  EXPECT_EQ(testing::ReadBytes(options.out), old_out);
}

}  // namespace
}  // namespace hrnn
