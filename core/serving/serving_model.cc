#include "core/serving/serving_model.h"

#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"
#include "core/catalogue/items_csv.h"
#include "core/model/model_directory.h"

namespace hrnn {
namespace {

std::vector<std::string> ItemIds(const ItemVocabulary& items) {
  std::vector<std::string> ids;
  ids.reserve(items.size());
  for (int64_t i = 0; i < items.size(); ++i) ids.push_back(items.id(i));
  return ids;
}

// The version's items file aligned to its items, and how many items it has a row for.
absl::Status ReadItemAttributes(const std::map<std::string, std::string>& extra_files,
                                const ItemVocabulary& items, ServingModel* serving) {
  const auto file = extra_files.find(kItemAttributesFileName);
  if (file == extra_files.end()) return absl::OkStatus();
  HRNN_ASSIGN_OR_RETURN(ItemAttributes table, ParseItemsCsv(file->second, kItemAttributesFileName));
  std::vector<std::string> dropped;
  serving->attributes =
      std::make_shared<const ItemAttributes>(table.AlignedTo(ItemIds(items), &dropped));
  serving->items_with_attributes = table.num_rows() - static_cast<int64_t>(dropped.size());
  return absl::OkStatus();
}

}  // namespace

std::shared_ptr<ServingModel> MakeServingModel(std::shared_ptr<const HrnnNetwork> network,
                                               const SessionPolicy& policy) {
  auto serving = std::make_shared<ServingModel>();
  serving->recommender = std::make_unique<Recommender>(network, policy);
  serving->availability = std::make_unique<ItemAvailability>(network->num_items());
  serving->attributes = std::make_shared<const ItemAttributes>(
      ItemAttributes().AlignedTo(ItemIds(network->model().items())));
  serving->network = std::move(network);
  return serving;
}

absl::StatusOr<std::shared_ptr<const ServingModel>> LoadServingModel(
    const std::string& version_dir, const NetworkOptions& network_options,
    const SessionPolicy& policy, int64_t now_ms, const std::vector<NamedFilter>& filters) {
  HRNN_RETURN_IF_ERROR(policy.Validate());
  auto loaded = ReadModelDirectoryContents(version_dir);
  if (!loaded.ok()) {
    return absl::Status(loaded.status().code(),
                        absl::StrCat("model ", version_dir, ": ", loaded.status().message()));
  }
  const int32_t num_items = static_cast<int32_t>(loaded->model->config().num_items);
  LiveSessionsOptions live;
  live.capacity = policy.live_sessions;
  live.timeout_ms = policy.timeout_ms;
  auto recipes = RecipeBundle::FromModelFiles(loaded->extra_files, num_items, live);
  if (!recipes.ok()) {
    return absl::Status(recipes.status().code(),
                        absl::StrCat("model ", version_dir, ": ", recipes.status().message()));
  }
  HRNN_ASSIGN_OR_RETURN(std::shared_ptr<const HrnnNetwork> network,
                        HrnnNetwork::Create(std::move(loaded->model), network_options));

  std::shared_ptr<ServingModel> serving = MakeServingModel(std::move(network), policy);
  serving->recipes = *std::move(recipes);
  std::filesystem::path version_path = std::filesystem::absolute(version_dir).lexically_normal();
  if (version_path.filename().empty()) version_path = version_path.parent_path();
  serving->name = version_path.parent_path().filename().string();
  if (!absl::SimpleAtoi(version_path.filename().string(), &serving->version)) {
    return absl::InvalidArgumentError(
        absl::StrCat("model version folder ", version_dir, " is not an integer"));
  }
  serving->version_dir = version_dir;
  serving->loaded_at_ms = now_ms;
  if (absl::Status read = ReadItemAttributes(loaded->extra_files, serving->items(), serving.get());
      !read.ok()) {
    return absl::Status(read.code(), absl::StrCat("model ", version_dir, ": ", read.message()));
  }
  auto compiled = CompileFilters(filters, serving->attributes->fields());
  if (!compiled.ok()) {
    return absl::Status(compiled.status().code(),
                        absl::StrCat("model ", version_dir, ": ", compiled.status().message()));
  }
  for (size_t i = 0; i < compiled->size(); ++i) {
    serving->filters.push_back({filters[i].text, std::move((*compiled)[i])});
  }
  return std::shared_ptr<const ServingModel>(std::move(serving));
}

absl::StatusOr<std::shared_ptr<const ServingModel>> LoadLatestServingModel(
    const std::string& model_root, const NetworkOptions& network_options,
    const SessionPolicy& policy, int64_t now_ms, const std::vector<NamedFilter>& filters) {
  HRNN_RETURN_IF_ERROR(policy.Validate());
  HRNN_ASSIGN_OR_RETURN(std::string version_dir, LatestModelVersionDir(model_root));
  return LoadServingModel(version_dir, network_options, policy, now_ms, filters);
}

}  // namespace hrnn
