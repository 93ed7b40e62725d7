#include "core/model/model.h"

#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace hrnn {
namespace {

using ::hrnn::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::Pair;

ModelConfig SmallConfig(ModelMode mode, int embedding_size = 0) {
  ModelConfig config;
  config.mode = mode;
  config.num_items = 7;
  config.hidden_size = 4;
  config.user_hidden_size = 3;
  config.embedding_size = embedding_size;
  return config;
}

using Shapes = std::map<std::string, std::vector<int64_t>>;

TEST(ExpectedTensorShapesTest, SessionOnlyConstrained) {
  EXPECT_EQ(ExpectedTensorShapes(SmallConfig(ModelMode::kSessionOnly)),
            (Shapes{{kSessionGruWeightX, {12, 4}},
                    {kSessionGruWeightH, {12, 4}},
                    {kSessionGruBias, {12}},
                    {kOutputWeight, {7, 4}},
                    {kOutputBias, {7}}}));
}

TEST(ExpectedTensorShapesTest, HrnnInitWithSeparateEmbedding) {
  EXPECT_EQ(ExpectedTensorShapes(SmallConfig(ModelMode::kHrnnInit, 5)),
            (Shapes{{kItemEmbedding, {7, 5}},
                    {kSessionGruWeightX, {12, 5}},
                    {kSessionGruWeightH, {12, 4}},
                    {kSessionGruBias, {12}},
                    {kUserGruWeightX, {9, 4}},
                    {kUserGruWeightH, {9, 3}},
                    {kUserGruBias, {9}},
                    {kSessionInitWeight, {4, 3}},
                    {kSessionInitBias, {4}},
                    {kOutputWeight, {7, 4}},
                    {kOutputBias, {7}}}));
}

TEST(ExpectedTensorShapesTest, HrnnAllFeedsUserStateIntoSessionGru) {
  const Shapes constrained = ExpectedTensorShapes(SmallConfig(ModelMode::kHrnnAll));
  EXPECT_THAT(constrained.at(kSessionGruWeightX), ElementsAre(12, 4 + 3));
  EXPECT_FALSE(constrained.contains(kItemEmbedding));
  const Shapes separate = ExpectedTensorShapes(SmallConfig(ModelMode::kHrnnAll, 6));
  EXPECT_THAT(separate.at(kSessionGruWeightX), ElementsAre(12, 6 + 3));
  EXPECT_THAT(separate.at(kItemEmbedding), ElementsAre(7, 6));
  EXPECT_EQ(separate.size(), 11u);
}

class ModelCreateTest : public ::testing::Test {
 protected:
  // Valid inputs for SmallConfig(kHrnnInit), which each test then spoils.
  void SetUp() override {
    config_ = SmallConfig(ModelMode::kHrnnInit);
    for (const auto& [name, shape] : ExpectedTensorShapes(config_)) {
      Tensor t(shape);
      for (size_t i = 0; i < t.values.size(); ++i) t.values[i] = 0.01f * static_cast<float>(i);
      tensors_[name] = std::move(t);
    }
    std::vector<std::string> ids;
    for (int i = 0; i < 7; ++i) ids.push_back("i" + std::to_string(i));
    ASSERT_OK_AND_ASSIGN(items_, ItemVocabulary::Create(ids, std::vector<int64_t>(7, 1)));
  }
  absl::StatusOr<std::shared_ptr<const Model>> Create() {
    return Model::Create(config_, tensors_, items_);
  }

  ModelConfig config_;
  TensorMap tensors_;
  ItemVocabulary items_;
};

TEST_F(ModelCreateTest, AcceptsValidInputs) {
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<const Model> model, Create());
  EXPECT_EQ(model->config(), config_);
  EXPECT_EQ(model->tensors(), tensors_);
  EXPECT_EQ(model->items().size(), 7);
  EXPECT_EQ(model->tensor(kOutputBias).values, tensors_[kOutputBias].values);
}

TEST_F(ModelCreateTest, RejectsInvalidConfig) {
  config_.hidden_size = 0;
  EXPECT_THAT(Create(), StatusIs(absl::StatusCode::kInvalidArgument, "hidden_size"));
}

TEST_F(ModelCreateTest, RejectsMissingTensor) {
  tensors_.erase(kUserGruBias);
  EXPECT_THAT(Create(), StatusIs(absl::StatusCode::kInvalidArgument,
                                 "missing tensor \"user_gru.bias\" (expected shape [9]"));
}

TEST_F(ModelCreateTest, RejectsExtraTensor) {
  tensors_["decoder.weight"] = Tensor({2});
  EXPECT_THAT(Create(),
              StatusIs(absl::StatusCode::kInvalidArgument, "unexpected tensor \"decoder.weight\""));
}

TEST_F(ModelCreateTest, RejectsEmbeddingTableWhenConstrained) {
  tensors_[kItemEmbedding] = Tensor({7, 4});
  EXPECT_THAT(Create(),
              StatusIs(absl::StatusCode::kInvalidArgument, "unexpected tensor \"item_embedding\""));
}

TEST_F(ModelCreateTest, RejectsUserLevelTensorsInSessionOnlyMode) {
  config_.mode = ModelMode::kSessionOnly;
  EXPECT_THAT(Create(), StatusIs(absl::StatusCode::kInvalidArgument,
                                 "unexpected tensor \"session_init.bias\" for mode session"));
}

TEST_F(ModelCreateTest, RejectsWrongShape) {
  tensors_[kOutputWeight] = Tensor({7, 5});
  EXPECT_THAT(Create(), StatusIs(absl::StatusCode::kInvalidArgument,
                                 "tensor \"output.weight\" has shape [7, 5], expected [7, 4]"));
}

TEST_F(ModelCreateTest, RejectsTransposedShape) {
  tensors_[kSessionInitWeight] = Tensor({3, 4});
  EXPECT_THAT(Create(), StatusIs(absl::StatusCode::kInvalidArgument,
                                 "tensor \"session_init.weight\" has shape [3, 4]"));
}

TEST_F(ModelCreateTest, RejectsValueCountThatDisagreesWithShape) {
  tensors_[kOutputBias].values.pop_back();
  EXPECT_THAT(Create(),
              StatusIs(absl::StatusCode::kInvalidArgument, "tensor \"output.bias\" has 6 values"));
}

TEST_F(ModelCreateTest, RejectsNaNNamingTensorAndIndex) {
  tensors_[kSessionGruWeightH].values[13] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_THAT(Create(), StatusIs(absl::StatusCode::kInvalidArgument,
                                 "tensor \"session_gru.weight_h\" has a non-finite value (nan) at "
                                 "flat index 13"));
}

TEST_F(ModelCreateTest, RejectsInfinityNamingTensorAndIndex) {
  tensors_[kOutputBias].values[6] = -std::numeric_limits<float>::infinity();
  EXPECT_THAT(Create(), StatusIs(absl::StatusCode::kInvalidArgument,
                                 "tensor \"output.bias\" has a non-finite value (-inf) at flat "
                                 "index 6"));
}

TEST_F(ModelCreateTest, RejectsVocabularyOfWrongSize) {
  ASSERT_OK_AND_ASSIGN(items_, ItemVocabulary::Create({"a", "b"}, {1, 1}));
  EXPECT_THAT(Create(), StatusIs(absl::StatusCode::kInvalidArgument,
                                 "item vocabulary has 2 items, but config.num_items is 7"));
}

TEST(ModelCreateRandomTest, BuildsValidModelsForEveryMode) {
  for (ModelMode mode : {ModelMode::kSessionOnly, ModelMode::kHrnnInit, ModelMode::kHrnnAll}) {
    for (int embedding_size : {0, 5}) {
      const ModelConfig config = SmallConfig(mode, embedding_size);
      std::shared_ptr<const Model> model = Model::CreateRandom(config, 42);
      ASSERT_NE(model, nullptr) << ModelModeName(mode) << " E=" << embedding_size;
      EXPECT_EQ(model->config(), config);
      std::map<std::string, std::vector<int64_t>> shapes;
      for (const auto& [name, tensor] : model->tensors()) shapes[name] = tensor.shape;
      EXPECT_EQ(shapes, ExpectedTensorShapes(config));
      // The weights can be fed back through Create.
      EXPECT_OK(Model::Create(model->config(), model->tensors(), model->items()));
    }
  }
}

TEST(ModelCreateRandomTest, IsSeededAndScaled) {
  const ModelConfig config = SmallConfig(ModelMode::kHrnnAll, 5);
  std::shared_ptr<const Model> a = Model::CreateRandom(config, 7);
  std::shared_ptr<const Model> b = Model::CreateRandom(config, 7);
  std::shared_ptr<const Model> c = Model::CreateRandom(config, 8);
  EXPECT_EQ(a->tensors(), b->tensors());
  EXPECT_NE(a->tensors(), c->tensors());
  for (const auto& [name, tensor] : a->tensors()) {
    const float bound =
        tensor.shape.size() == 2 ? 1.0f / std::sqrt(static_cast<float>(tensor.shape[1])) : 0.01f;
    bool any_nonzero = false;
    for (float v : tensor.values) {
      EXPECT_LE(std::abs(v), bound) << name;
      any_nonzero |= v != 0.0f;
    }
    EXPECT_TRUE(any_nonzero) << name;
  }
}

TEST(ModelCreateRandomTest, ItemsHaveZipfPopularity) {
  std::shared_ptr<const Model> model = Model::CreateRandom(SmallConfig(ModelMode::kHrnnInit), 1);
  const ItemVocabulary& items = model->items();
  ASSERT_EQ(items.size(), 7);
  EXPECT_EQ(items.id(0), "item-0");
  EXPECT_EQ(items.id(6), "item-6");
  EXPECT_EQ(items.Find("item-3"), 3);
  for (int64_t i = 1; i < items.size(); ++i) {
    EXPECT_LT(items.popularity(i), items.popularity(i - 1));
    EXPECT_GE(items.popularity(i), 1);
  }
}

TEST(ModelCreateRandomTest, ReturnsNullForInvalidConfig) {
  ModelConfig config;  // num_items = 0.
  EXPECT_EQ(Model::CreateRandom(config, 1), nullptr);
}

}  // namespace
}  // namespace hrnn
