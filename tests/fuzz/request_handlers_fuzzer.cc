// libFuzzer target: the request handlers behind every RPC, on arbitrary serialized requests (the
// first byte picks the RPC) against a small random model that serves every sparse recipe
// (sessions.bin + recipes.json; the request's `recipe` field is fuzzed too, and GetSimilarItems
// blends co-occurrence with the GRU), has item attributes and named filters (Filter.name and
// values are fuzzed), with an event log.
// Every input must be answered with a status or a response — never a crash — and the state store
// must stay usable.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "core/base/clock.h"
#include "core/catalogue/filters_file.h"
#include "core/catalogue/items_csv.h"
#include "core/model/model.h"
#include "core/model/model_directory.h"
#include "core/recipes/recipe_files.h"
#include "server/request_handlers.h"

namespace {

struct Fixture {
  Fixture() {
    dir =
        std::filesystem::temp_directory_path() / ("hrnn-handlers-fuzz-" + std::to_string(getpid()));
    std::filesystem::remove_all(dir);
    hrnn::ModelConfig model_config;
    model_config.mode = hrnn::ModelMode::kHrnnInit;
    model_config.num_items = 64;
    model_config.hidden_size = 8;
    model_config.user_hidden_size = 8;
    const auto model = hrnn::Model::CreateRandom(model_config, 1);
    const std::string root = (dir / "models" / "fuzz").string();
    std::filesystem::create_directories(root);
    hrnn::TrainingSessions sessions;
    sessions.num_items = 64;
    for (int32_t s = 0; s < 32; ++s) {
      const int32_t clicks[] = {s, (s * 7 + 3) % 64, (s * 5 + 1) % 64, s};
      sessions.Add(clicks, 1700000000 + s);
    }
    hrnn::RecipeSettings recipes;
    recipes.recipes = {hrnn::RecipeKind::kHrnn, hrnn::RecipeKind::kSknn, hrnn::RecipeKind::kSr,
                       hrnn::RecipeKind::kPersonal, hrnn::RecipeKind::kTrending};
    recipes.default_recipe = hrnn::RecipeKind::kSknn;
    // Attributes for most items (item-60.. have none): COLOR c0..c3, SIZE one or two of
    // s0..s2, PRICE 0..63.
    std::string items = "ITEM_ID,COLOR,SIZE,PRICE:number\n";
    for (int i = 0; i < 60; ++i) {
      items += "item-" + std::to_string(i) + ",c" + std::to_string(i % 4) + ",s" +
               std::to_string(i % 3) + (i % 2 == 0 ? "|s1," : ",") + std::to_string(i) + "\n";
    }
    if (!hrnn::WriteModelDirectory(*model, root + "/1",
                                   {{hrnn::kSessionsFileName, SerializeTrainingSessions(sessions)},
                                    {hrnn::kRecipesFileName, RecipeSettingsToJson(recipes)},
                                    {hrnn::kItemAttributesFileName, items}})
             .ok()) {
      std::abort();
    }
    // Named filters of every kind (requests name them in Filter.name, with fuzzed values).
    auto filters = hrnn::ParseFiltersFile(
        "colour: EXCLUDE ItemID WHERE Items.COLOR IN ($C)\n"
        "cheap: INCLUDE ItemID WHERE Items.PRICE < $MAX AND Items.SIZE NOT IN (\"s2\", $S)\n"
        "bought: EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN (\"purchase\", $T)\n"
        "same: INCLUDE ItemID WHERE Items.COLOR IN (CurrentItem.COLOR) OR Items.PRICE = "
        "CurrentItem.PRICE\n",
        "fuzz-filters");
    if (!filters.ok()) std::abort();
    auto serving = hrnn::LoadLatestServingModel(root, hrnn::NetworkOptions(), hrnn::SessionPolicy(),
                                                clock.NowMs(), *filters);
    if (!serving.ok()) std::abort();
    handle.Set(*serving);
    config.model_dir = root;
    config.max_events_per_call = 64;
    hrnn::EventLogOptions log_options;
    log_options.dir = (dir / "log").string();
    log_options.fsync = hrnn::FsyncPolicy::kNone;
    auto opened = hrnn::EventLog::Open(log_options, nullptr);
    if (!opened.ok()) std::abort();
    log = *std::move(opened);
    store = std::make_unique<hrnn::UserStateStore>(hrnn::UserStateStoreOptions());
    catalogue = std::make_unique<hrnn::CatalogueUpdater>(&handle, log.get(), &clock);
    handlers = std::make_unique<hrnn::RequestHandlers>(&config, &handle, catalogue.get(),
                                                       store.get(), &clock, nullptr, log.get());
  }

  std::filesystem::path dir;
  hrnn::SystemClock clock;
  hrnn::ServerConfig config;
  hrnn::ServingModelHandle handle;
  std::unique_ptr<hrnn::EventLog> log;
  std::unique_ptr<hrnn::UserStateStore> store;
  std::unique_ptr<hrnn::CatalogueUpdater> catalogue;
  std::unique_ptr<hrnn::RequestHandlers> handlers;
};

template <typename Request, typename Response, typename Call>
void Run(const uint8_t* data, size_t size, Call call) {
  Request request;
  if (!request.ParseFromArray(data, static_cast<int>(size))) return;
  Response response;
  (void)call(request, &response);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Fixture* fixture = new Fixture();
  if (size == 0) return 0;
  const hrnn::RequestHandlers& h = *fixture->handlers;
  const uint8_t* body = data + 1;
  const size_t n = size - 1;
  namespace v1 = hrnn::v1;
  switch (data[0] % 8) {
    case 0:
      Run<v1::PutEventsRequest, v1::PutEventsResponse>(
          body, n, [&](const auto& r, auto* out) { return h.PutEvents(r, out); });
      break;
    case 1:
      Run<v1::GetRecommendationsRequest, v1::GetRecommendationsResponse>(
          body, n, [&](const auto& r, auto* out) { return h.GetRecommendations(r, out); });
      break;
    case 2:
      Run<v1::GetPersonalizedRankingRequest, v1::GetPersonalizedRankingResponse>(
          body, n, [&](const auto& r, auto* out) { return h.GetPersonalizedRanking(r, out); });
      break;
    case 3:
      Run<v1::PutItemsRequest, v1::PutItemsResponse>(
          body, n, [&](const auto& r, auto* out) { return h.PutItems(r, out); });
      break;
    case 4:
      Run<v1::DeleteUserRequest, v1::DeleteUserResponse>(
          body, n, [&](const auto& r, auto* out) { return h.DeleteUser(r, out); });
      break;
    case 6:
      Run<v1::GetSimilarItemsRequest, v1::GetSimilarItemsResponse>(
          body, n, [&](const auto& r, auto* out) { return h.GetSimilarItems(r, out); });
      break;
    case 7:
      Run<v1::ListFiltersRequest, v1::ListFiltersResponse>(
          body, n, [&](const auto& r, auto* out) { return h.ListFilters(r, out); });
      break;
    default: {  // 5
      v1::Event event;
      if (!event.ParseFromArray(body, static_cast<int>(n))) break;
      v1::PutEventsResponse response;
      (void)h.ApplyStreamEvent(event, 0, &response);
      break;
    }
  }
  return 0;
}
