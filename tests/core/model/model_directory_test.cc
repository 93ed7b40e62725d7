#include "core/model/model_directory.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include "core/base/sha256.h"
#include "core/model/items_tsv.h"
#include "core/model/safetensors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace hrnn {
namespace {

namespace fs = std::filesystem;
using ::hrnn::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;
using json = nlohmann::json;

ModelConfig SmallConfig(ModelMode mode, int embedding_size) {
  ModelConfig config;
  config.mode = mode;
  config.num_items = 11;
  config.hidden_size = 6;
  config.user_hidden_size = 5;
  config.embedding_size = embedding_size;
  config.loss = "xe";
  config.data_fingerprint = "fp-123";
  config.created_at = "2024-01-02T03:04:05Z";
  config.training = {{"epochs", "3"}, {"seed", "42"}};
  config.metrics = {{"recall@20", 0.25}};
  return config;
}

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void WriteAll(const fs::path& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
}

class ModelDirectoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = ::hrnn::testing::FreshTestDir();
    model_ = Model::CreateRandom(SmallConfig(ModelMode::kHrnnInit, 0), 17);
    ASSERT_NE(model_, nullptr);
  }

  // Writes model_ as version 1 and returns its path.
  std::string WriteVersion() {
    const std::string dir = (root_ / "1").string();
    EXPECT_OK(WriteModelDirectory(*model_, dir));
    return dir;
  }

  // Replaces `name` in `dir` by `content` and updates config.json's digest so that the checksum
  // passes and the content's own validation is what is tested.
  static void ReplaceFileKeepingChecksumsValid(const std::string& dir, const std::string& name,
                                               const std::string& content) {
    WriteAll(fs::path(dir) / name, content);
    json config = json::parse(ReadAll(fs::path(dir) / kConfigFileName));
    config["files"][name] = {{"sha256", Sha256Hex(content)}, {"bytes", content.size()}};
    WriteAll(fs::path(dir) / kConfigFileName, config.dump(2));
  }

  static void EditConfig(const std::string& dir, const std::function<void(json&)>& edit) {
    json config = json::parse(ReadAll(fs::path(dir) / kConfigFileName));
    edit(config);
    WriteAll(fs::path(dir) / kConfigFileName, config.dump(2));
  }

  void MakeVersionDir(const std::string& name, bool complete) {
    fs::create_directories(root_ / name);
    if (complete) WriteAll(root_ / name / kConfigFileName, "{}");
  }

  fs::path root_;
  std::shared_ptr<const Model> model_;
};

void ExpectSameModel(const Model& a, const Model& b) {
  EXPECT_EQ(a.config(), b.config());
  EXPECT_EQ(a.tensors(), b.tensors());
  ASSERT_EQ(a.items().size(), b.items().size());
  for (int64_t i = 0; i < a.items().size(); ++i) {
    EXPECT_EQ(a.items().id(i), b.items().id(i));
    EXPECT_EQ(a.items().popularity(i), b.items().popularity(i));
  }
}

struct RoundTripCase {
  ModelMode mode;
  int embedding_size;
};

class ModelDirectoryRoundTripTest : public ModelDirectoryTest,
                                    public ::testing::WithParamInterface<RoundTripCase> {};

TEST_P(ModelDirectoryRoundTripTest, WriteThenReadGivesAnEqualModel) {
  const RoundTripCase& c = GetParam();
  std::shared_ptr<const Model> model =
      Model::CreateRandom(SmallConfig(c.mode, c.embedding_size), 99);
  ASSERT_NE(model, nullptr);
  const std::string dir = (root_ / "models" / "shop" / "1").string();
  ASSERT_OK(WriteModelDirectory(*model, dir));
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<const Model> read, ReadModelDirectory(dir));
  ExpectSameModel(*read, *model);
}

INSTANTIATE_TEST_SUITE_P(AllModes, ModelDirectoryRoundTripTest,
                         ::testing::Values(RoundTripCase{ModelMode::kSessionOnly, 0},
                                           RoundTripCase{ModelMode::kSessionOnly, 7},
                                           RoundTripCase{ModelMode::kHrnnInit, 0},
                                           RoundTripCase{ModelMode::kHrnnInit, 7},
                                           RoundTripCase{ModelMode::kHrnnAll, 0},
                                           RoundTripCase{ModelMode::kHrnnAll, 7}),
                         [](const ::testing::TestParamInfo<RoundTripCase>& info) {
                           std::string name;
                           for (char ch : ModelModeName(info.param.mode))
                             name += ch == '-' ? '_' : ch;
                           return name +
                                  (info.param.embedding_size > 0 ? "_separate" : "_constrained");
                         });

TEST_F(ModelDirectoryTest, WritesThreeFilesWithMatchingDigestsAndNoTemporaries) {
  const std::string dir = WriteVersion();
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename());
  EXPECT_THAT(names, UnorderedElementsAre("config.json", "weights.safetensors", "items.tsv"));
  std::vector<std::string> siblings;
  for (const auto& entry : fs::directory_iterator(root_)) {
    siblings.push_back(entry.path().filename());
  }
  EXPECT_THAT(siblings, ElementsAre("1"));

  const json config = json::parse(ReadAll(fs::path(dir) / kConfigFileName));
  for (const char* name : {kWeightsFileName, kItemsFileName}) {
    const std::string content = ReadAll(fs::path(dir) / name);
    EXPECT_EQ(config["files"][name]["sha256"], Sha256Hex(content)) << name;
    EXPECT_EQ(config["files"][name]["bytes"], content.size()) << name;
  }
  EXPECT_EQ(config["mode"], "hrnn-init");
  EXPECT_EQ(config["num_items"], 11);
}

TEST_F(ModelDirectoryTest, ExtraFilesAreListedCheckedAndReadBack) {
  const std::string dir = (root_ / "2").string();
  ASSERT_OK(WriteModelDirectory(*model_, dir, {{"recipes.json", "{}\n"}, {"sessions.bin", "xy"}}));
  const json config = json::parse(ReadAll(fs::path(dir) / kConfigFileName));
  EXPECT_EQ(config["files"]["sessions.bin"]["sha256"], Sha256Hex("xy"));
  EXPECT_EQ(config["files"]["sessions.bin"]["bytes"], 2);
  ASSERT_OK_AND_ASSIGN(ModelDirectoryContents read, ReadModelDirectoryContents(dir));
  ExpectSameModel(*read.model, *model_);
  EXPECT_THAT(
      read.extra_files,
      UnorderedElementsAre(std::pair<const std::string, std::string>("recipes.json", "{}\n"),
                           std::pair<const std::string, std::string>("sessions.bin", "xy")));
  WriteAll(fs::path(dir) / "sessions.bin", "xz");  // Same size, other bytes.
  EXPECT_THAT(ReadModelDirectoryContents(dir),
              StatusIs(absl::StatusCode::kDataLoss, "sessions.bin: checksum mismatch"));
}

TEST_F(ModelDirectoryTest, RefusesExtraFilesThatShadowTheModelsOwn) {
  for (const char* name : {"config.json", "items.tsv", "weights.safetensors", "a/b", ""}) {
    EXPECT_THAT(WriteModelDirectory(*model_, (root_ / "3").string(), {{name, "x"}}),
                StatusIs(absl::StatusCode::kInvalidArgument, "extra model file"))
        << name;
    EXPECT_FALSE(fs::exists(root_ / "3"));
  }
}

TEST_F(ModelDirectoryTest, AcceptsTrailingSlashAndCreatesParents) {
  const std::string dir = (root_ / "a" / "b" / "7").string() + "/";
  ASSERT_OK(WriteModelDirectory(*model_, dir));
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<const Model> read, ReadModelDirectory(dir));
  ExpectSameModel(*read, *model_);
}

TEST_F(ModelDirectoryTest, RefusesToWriteOverAnExistingVersion) {
  const std::string dir = WriteVersion();
  const std::string before = ReadAll(fs::path(dir) / kWeightsFileName);
  std::shared_ptr<const Model> other = Model::CreateRandom(model_->config(), 18);
  EXPECT_THAT(WriteModelDirectory(*other, dir),
              StatusIs(absl::StatusCode::kAlreadyExists, dir + ": already exists"));
  EXPECT_EQ(ReadAll(fs::path(dir) / kWeightsFileName), before);
}

TEST_F(ModelDirectoryTest, RefusesToWriteOverAnExistingEmptyDirectory) {
  const std::string dir = (root_ / "4").string();
  fs::create_directories(dir);
  EXPECT_THAT(WriteModelDirectory(*model_, dir),
              StatusIs(absl::StatusCode::kAlreadyExists, "4: already exists"));
  EXPECT_TRUE(fs::is_empty(dir));
}

TEST_F(ModelDirectoryTest, RefusesMissingDirectory) {
  const std::string dir = (root_ / "404").string();
  EXPECT_THAT(ReadModelDirectory(dir),
              StatusIs(absl::StatusCode::kNotFound, dir + ": no such model version directory"));
}

TEST_F(ModelDirectoryTest, RefusesMissingConfigJson) {
  const std::string dir = WriteVersion();
  fs::remove(fs::path(dir) / kConfigFileName);
  EXPECT_THAT(ReadModelDirectory(dir),
              StatusIs(absl::StatusCode::kNotFound, dir + "/config.json: missing"));
}

TEST_F(ModelDirectoryTest, RefusesGarbageConfigJson) {
  const std::string dir = WriteVersion();
  WriteAll(fs::path(dir) / kConfigFileName, "this is not json");
  EXPECT_THAT(ReadModelDirectory(dir),
              StatusIs(absl::StatusCode::kInvalidArgument, dir + "/config.json: config.json: not"));
}

TEST_F(ModelDirectoryTest, RefusesConfigThatDoesNotListItems) {
  const std::string dir = WriteVersion();
  EditConfig(dir, [](json& config) { config["files"].erase("items.tsv"); });
  EXPECT_THAT(ReadModelDirectory(dir), StatusIs(absl::StatusCode::kInvalidArgument,
                                                "\"files\" does not list \"items.tsv\""));
}

TEST_F(ModelDirectoryTest, RefusesFileNameThatEscapesTheDirectory) {
  const std::string dir = WriteVersion();
  EditConfig(
      dir, [](json& config) { config["files"]["../1/items.tsv"] = config["files"]["items.tsv"]; });
  EXPECT_THAT(ReadModelDirectory(dir), StatusIs(absl::StatusCode::kInvalidArgument,
                                                "lists \"../1/items.tsv\", not a plain file"));
}

TEST_F(ModelDirectoryTest, RefusesMissingWeightsFile) {
  const std::string dir = WriteVersion();
  fs::remove(fs::path(dir) / kWeightsFileName);
  EXPECT_THAT(ReadModelDirectory(dir),
              StatusIs(absl::StatusCode::kNotFound, dir + "/weights.safetensors"));
}

TEST_F(ModelDirectoryTest, RefusesWeightsChecksumMismatch) {
  const std::string dir = WriteVersion();
  std::string weights = ReadAll(fs::path(dir) / kWeightsFileName);
  weights[weights.size() - 5] ^= 0x01;  // One bit of one float.
  WriteAll(fs::path(dir) / kWeightsFileName, weights);
  EXPECT_THAT(ReadModelDirectory(dir), StatusIs(absl::StatusCode::kDataLoss,
                                                dir + "/weights.safetensors: checksum mismatch"));
}

TEST_F(ModelDirectoryTest, RefusesItemsChecksumMismatch) {
  const std::string dir = WriteVersion();
  std::string items = ReadAll(fs::path(dir) / kItemsFileName);
  const size_t pos = items.find("item-3");
  ASSERT_NE(pos, std::string::npos);
  items[pos + 5] = '8';  // "item-8" is now a duplicate too, but the checksum speaks first.
  WriteAll(fs::path(dir) / kItemsFileName, items);
  EXPECT_THAT(ReadModelDirectory(dir),
              StatusIs(absl::StatusCode::kDataLoss, dir + "/items.tsv: checksum mismatch"));
}

TEST_F(ModelDirectoryTest, RefusesTruncatedWeightsBySize) {
  const std::string dir = WriteVersion();
  const std::string weights = ReadAll(fs::path(dir) / kWeightsFileName);
  WriteAll(fs::path(dir) / kWeightsFileName, weights.substr(0, weights.size() - 8));
  EXPECT_THAT(ReadModelDirectory(dir),
              StatusIs(absl::StatusCode::kDataLoss, dir + "/weights.safetensors: size is"));
}

TEST_F(ModelDirectoryTest, RefusesTruncatedWeightsEvenWithMatchingChecksum) {
  const std::string dir = WriteVersion();
  const std::string weights = ReadAll(fs::path(dir) / kWeightsFileName);
  ReplaceFileKeepingChecksumsValid(dir, kWeightsFileName, weights.substr(0, weights.size() - 8));
  EXPECT_THAT(ReadModelDirectory(dir),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       dir + "/weights.safetensors: safetensors: tensor \"user_gru.weight_x\""));
}

TEST_F(ModelDirectoryTest, RefusesGarbageWeightsHeader) {
  const std::string dir = WriteVersion();
  ReplaceFileKeepingChecksumsValid(dir, kWeightsFileName,
                                   std::string("GGUF\x03\0\0\0 not safetensors", 23));
  EXPECT_THAT(ReadModelDirectory(dir),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       dir + "/weights.safetensors: safetensors: header length"));
}

TEST_F(ModelDirectoryTest, RefusesWeightsWhoseShapesDisagreeWithConfig) {
  const std::string dir = WriteVersion();
  EditConfig(dir, [](json& config) { config["hidden_size"] = 8; });
  EXPECT_THAT(ReadModelDirectory(dir),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       dir + ": tensor \"output.weight\" has shape [11, 6], expected [11, 8]"));
}

TEST_F(ModelDirectoryTest, RefusesModeThatDisagreesWithWeights) {
  const std::string dir = WriteVersion();
  EditConfig(dir, [](json& config) { config["mode"] = "session"; });
  EXPECT_THAT(ReadModelDirectory(dir),
              StatusIs(absl::StatusCode::kInvalidArgument, "unexpected tensor \"session_init"));
}

TEST_F(ModelDirectoryTest, RefusesNaNWeight) {
  const std::string dir = WriteVersion();
  TensorMap tensors = model_->tensors();
  tensors[kOutputWeight].values[17] = std::numeric_limits<float>::quiet_NaN();
  ReplaceFileKeepingChecksumsValid(dir, kWeightsFileName, SerializeSafetensors(tensors));
  EXPECT_THAT(ReadModelDirectory(dir),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "tensor \"output.weight\" has a non-finite value (nan) at flat index 17"));
}

TEST_F(ModelDirectoryTest, RefusesInfiniteWeight) {
  const std::string dir = WriteVersion();
  TensorMap tensors = model_->tensors();
  tensors[kSessionGruBias].values[0] = std::numeric_limits<float>::infinity();
  ReplaceFileKeepingChecksumsValid(dir, kWeightsFileName, SerializeSafetensors(tensors));
  EXPECT_THAT(ReadModelDirectory(dir),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "tensor \"session_gru.bias\" has a non-finite value (inf) at flat index 0"));
}

TEST_F(ModelDirectoryTest, RefusesMissingTensor) {
  const std::string dir = WriteVersion();
  TensorMap tensors = model_->tensors();
  tensors.erase(kSessionInitBias);
  ReplaceFileKeepingChecksumsValid(dir, kWeightsFileName, SerializeSafetensors(tensors));
  EXPECT_THAT(ReadModelDirectory(dir), StatusIs(absl::StatusCode::kInvalidArgument,
                                                dir + ": missing tensor \"session_init.bias\""));
}

TEST_F(ModelDirectoryTest, RefusesExtraTensor) {
  const std::string dir = WriteVersion();
  TensorMap tensors = model_->tensors();
  tensors["attention.weight"] = Tensor({2, 2});
  ReplaceFileKeepingChecksumsValid(dir, kWeightsFileName, SerializeSafetensors(tensors));
  EXPECT_THAT(ReadModelDirectory(dir), StatusIs(absl::StatusCode::kInvalidArgument,
                                                dir + ": unexpected tensor \"attention.weight\""));
}

TEST_F(ModelDirectoryTest, RefusesDuplicateItemIds) {
  const std::string dir = WriteVersion();
  std::string items = SerializeItemsTsv(model_->items());
  const std::string line = "\titem-9\t";
  items.replace(items.find(line), line.size(), "\titem-2\t");
  ReplaceFileKeepingChecksumsValid(dir, kItemsFileName, items);
  EXPECT_THAT(ReadModelDirectory(dir),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       dir + "/items.tsv: items.tsv line 11: duplicate item id \"item-2\" at "
                             "indices 2 and 9"));
}

TEST_F(ModelDirectoryTest, RefusesVocabularyOfWrongSize) {
  const std::string dir = WriteVersion();
  std::string items = SerializeItemsTsv(model_->items());
  items.resize(items.rfind("\n10\t") + 1);  // Drop the last item.
  ReplaceFileKeepingChecksumsValid(dir, kItemsFileName, items);
  EXPECT_THAT(ReadModelDirectory(dir),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "item vocabulary has 10 items, but config.num_items is 11"));
}

TEST_F(ModelDirectoryTest, ListModelVersionsIgnoresBadVersionDirs) {
  ASSERT_OK(WriteModelDirectory(*model_, (root_ / "3").string()));
  ASSERT_OK(WriteModelDirectory(*model_, (root_ / "10").string()));
  MakeVersionDir("1", /*complete=*/true);
  MakeVersionDir("2", /*complete=*/false);  // Incomplete: no config.json.
  MakeVersionDir("11.tmp-123-0", true);     // A writer's temporary directory.
  MakeVersionDir("007", true);              // Not canonical.
  MakeVersionDir("-5", true);
  MakeVersionDir("v4", true);
  MakeVersionDir("99999999999999999999", true);  // Does not fit int64.
  WriteAll(root_ / "12", "a file, not a directory");
  ASSERT_OK_AND_ASSIGN(std::vector<int64_t> versions, ListModelVersions(root_.string()));
  EXPECT_THAT(versions, ElementsAre(1, 3, 10));
  ASSERT_OK_AND_ASSIGN(std::string latest, LatestModelVersionDir(root_.string()));
  EXPECT_EQ(latest, (root_ / "10").string());
}

TEST_F(ModelDirectoryTest, ListModelVersionsOfMissingRootIsNotFound) {
  const std::string missing = (root_ / "nope").string();
  EXPECT_THAT(ListModelVersions(missing), StatusIs(absl::StatusCode::kNotFound, missing));
}

TEST_F(ModelDirectoryTest, LatestOfEmptyRootIsNotFound) {
  MakeVersionDir("5", /*complete=*/false);
  EXPECT_THAT(
      LatestModelVersionDir(root_.string()),
      StatusIs(absl::StatusCode::kNotFound, root_.string() + ": no complete model version"));
}

TEST_F(ModelDirectoryTest, NextVersionStartsAtOneAndCreatesRoot) {
  const fs::path root = root_ / "new" / "model";
  ASSERT_OK_AND_ASSIGN(std::string next, NextModelVersionDir(root.string()));
  EXPECT_EQ(next, (root / "1").string());
  EXPECT_TRUE(fs::is_directory(root));
  EXPECT_FALSE(fs::exists(next));
}

TEST_F(ModelDirectoryTest, NextVersionSkipsPastIncompleteDirs) {
  MakeVersionDir("2", /*complete=*/true);
  MakeVersionDir("6", /*complete=*/false);
  MakeVersionDir("9.tmp-1-0", /*complete=*/false);
  ASSERT_OK_AND_ASSIGN(std::string next, NextModelVersionDir(root_.string()));
  EXPECT_EQ(next, (root_ / "7").string());
}

TEST_F(ModelDirectoryTest, WriteNextThenLoadLatest) {
  for (int i = 0; i < 3; ++i) {
    ASSERT_OK_AND_ASSIGN(std::string next, NextModelVersionDir(root_.string()));
    ASSERT_OK(WriteModelDirectory(*Model::CreateRandom(model_->config(), 100 + i), next));
  }
  ASSERT_OK_AND_ASSIGN(std::vector<int64_t> versions, ListModelVersions(root_.string()));
  EXPECT_THAT(versions, ElementsAre(1, 2, 3));
  ASSERT_OK_AND_ASSIGN(std::string latest, LatestModelVersionDir(root_.string()));
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<const Model> read, ReadModelDirectory(latest));
  ExpectSameModel(*read, *Model::CreateRandom(model_->config(), 102));
}

}  // namespace
}  // namespace hrnn
