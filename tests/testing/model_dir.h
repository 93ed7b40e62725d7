// Writes small random models to disk as model directories (models/<name>/<version>/), for the
// server tests. Item ids are "item-0".."item-(n-1)" (see Model::CreateRandom).
#ifndef HRNN_TESTS_TESTING_MODEL_DIR_H_
#define HRNN_TESTS_TESTING_MODEL_DIR_H_

#include <cstdint>
#include <filesystem>
#include <string>

#include "core/model/model.h"
#include "core/model/model_directory.h"
#include "core/recipes/recipe_files.h"
#include "gtest/gtest.h"

namespace hrnn::testing {

// Writes a random model of `num_items` items (hidden 16, user hidden 12) to
// `root`/`version` and returns that version directory.
// The small test model's config: hidden 16, user hidden 12, loss xe.
inline ModelConfig SmallModelConfig(ModelMode mode, int64_t num_items) {
  ModelConfig config;
  config.mode = mode;
  config.num_items = num_items;
  config.hidden_size = 16;
  config.user_hidden_size = 12;
  config.loss = "xe";
  return config;
}

inline std::string WriteRandomModel(const std::filesystem::path& root, int64_t version,
                                    ModelMode mode = ModelMode::kHrnnInit, int64_t num_items = 200,
                                    uint64_t seed = 5) {
  std::shared_ptr<const Model> model = Model::CreateRandom(SmallModelConfig(mode, num_items), seed);
  const std::string dir = (root / std::to_string(version)).string();
  std::filesystem::create_directories(root);
  const absl::Status written = WriteModelDirectory(*model, dir);
  EXPECT_TRUE(written.ok()) << written;
  return dir;
}

// The past sessions WriteRandomModelWithRecipes indexes: session s (0 <= s < 40) is
// [item-(s % 20), item-(20 + s % 20), item-(40 + s % 20)], all ending at 1.7e9 s; so in sknn and
// sr item-i (i < 20) leads to item-(20 + i) and item-(40 + i).
inline TrainingSessions TestSessions(int32_t num_items) {
  TrainingSessions sessions;
  sessions.num_items = num_items;
  for (int32_t s = 0; s < 40; ++s) {
    const int32_t clicks[] = {s % 20, 20 + s % 20, 40 + s % 20};
    sessions.Add(clicks, 1'700'000'000);
  }
  return sessions;
}

// WriteRandomModel plus the recipes' files: TestSessions and `settings`.
inline std::string WriteRandomModelWithRecipes(const std::filesystem::path& root, int64_t version,
                                               const RecipeSettings& settings,
                                               int64_t num_items = 200, uint64_t seed = 5) {
  std::shared_ptr<const Model> model =
      Model::CreateRandom(SmallModelConfig(ModelMode::kHrnnInit, num_items), seed);
  const std::string dir = (root / std::to_string(version)).string();
  std::filesystem::create_directories(root);
  const absl::Status written = WriteModelDirectory(
      *model, dir,
      {{kSessionsFileName,
        SerializeTrainingSessions(TestSessions(static_cast<int32_t>(num_items)))},
       {kRecipesFileName, RecipeSettingsToJson(settings)}});
  EXPECT_TRUE(written.ok()) << written;
  return dir;
}

}  // namespace hrnn::testing

#endif  // HRNN_TESTS_TESTING_MODEL_DIR_H_
