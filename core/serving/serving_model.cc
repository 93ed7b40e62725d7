#include "core/serving/serving_model.h"

#include <filesystem>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"
#include "core/model/model_directory.h"

namespace hrnn {

std::shared_ptr<ServingModel> MakeServingModel(std::shared_ptr<const HrnnNetwork> network,
                                               const SessionPolicy& policy) {
  auto serving = std::make_shared<ServingModel>();
  serving->recommender = std::make_unique<Recommender>(network, policy);
  serving->availability = std::make_unique<ItemAvailability>(network->num_items());
  serving->network = std::move(network);
  return serving;
}

absl::StatusOr<std::shared_ptr<const ServingModel>> LoadServingModel(
    const std::string& version_dir, const NetworkOptions& network_options,
    const SessionPolicy& policy, int64_t now_ms) {
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
  return std::shared_ptr<const ServingModel>(std::move(serving));
}

absl::StatusOr<std::shared_ptr<const ServingModel>> LoadLatestServingModel(
    const std::string& model_root, const NetworkOptions& network_options,
    const SessionPolicy& policy, int64_t now_ms) {
  HRNN_RETURN_IF_ERROR(policy.Validate());
  HRNN_ASSIGN_OR_RETURN(std::string version_dir, LatestModelVersionDir(model_root));
  return LoadServingModel(version_dir, network_options, policy, now_ms);
}

}  // namespace hrnn
