#include "core/train/trainer.h"

#include <atomic>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace hrnn {
namespace {

using ::hrnn::testing::StatusIs;

// A small dataset: `users` users, each with `sessions` sessions of `length` clicks over
// `items` items, with user-specific item patterns so that training has something to learn.
Dataset MakeDataset(int users, int sessions, int length, int items, uint64_t seed) {
  Dataset data;
  for (int i = 0; i < items; ++i) {
    data.item_ids.push_back("item" + std::to_string(i));
    data.item_counts.push_back(0);
  }
  std::mt19937_64 rng(seed);
  int64_t t = 1'700'000'000;
  for (int u = 0; u < users; ++u) {
    UserSpan user{"user" + std::to_string(u), data.num_sessions(), 0};
    for (int s = 0; s < sessions; ++s) {
      SessionSpan span{data.num_events(), 0};
      int item = static_cast<int>((u * 7 + rng() % 3) % items);
      for (int k = 0; k < length; ++k) {
        data.items.push_back(item);
        data.timestamps.push_back(t += 60);
        ++data.item_counts[item];
        item = static_cast<int>((item + 1 + u % 3) % items);
      }
      span.end = data.num_events();
      data.sessions.push_back(span);
      t += 86400;
    }
    user.session_end = data.num_sessions();
    data.users.push_back(user);
  }
  for (int64_t& count : data.item_counts) count = std::max<int64_t>(count, 1);
  return data;
}

StepRows Rows(std::vector<int32_t> slots, std::vector<int32_t> inputs, std::vector<int32_t> targets,
              std::vector<uint8_t> starts, std::vector<uint8_t> new_users,
              std::vector<int32_t> folds) {
  StepRows rows;
  rows.n = static_cast<int64_t>(slots.size());
  rows.slot = std::move(slots);
  rows.input_item = std::move(inputs);
  rows.target_item = std::move(targets);
  rows.session_start = std::move(starts);
  rows.new_user = std::move(new_users);
  rows.fold_item = std::move(folds);
  return rows;
}

struct GradientCase {
  ModelMode mode;
  int embedding_size;
  LossKind loss;
};

class TrainerGradientTest : public ::testing::TestWithParam<GradientCase> {};

// Central finite differences of the step's loss against the gradients the trainer computes, for
// every parameter tensor, on a step that mixes a continuing session, a session start that folds
// the previous session into the user state (user GRU + init), and a new user's first session.
TEST_P(TrainerGradientTest, StepGradientsMatchFiniteDifferences) {
  const GradientCase& c = GetParam();
  const Dataset data = MakeDataset(4, 3, 4, 12, 1);
  TrainOptions options;
  options.mode = c.mode;
  options.loss.kind = c.loss;
  options.hidden_size = 5;
  options.user_hidden_size = 4;
  options.embedding_size = c.embedding_size;
  options.batch_size = 3;
  options.n_sample = 0;  // In-batch negatives only, so every evaluation sees the same columns.
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Trainer> trainer, Trainer::Create(data, options));
  TensorMap ignored;
  trainer->CaptureGradientsForTesting(&ignored);
  // Warm-up: three fresh users, so that slot states are non-zero.
  trainer->Step(Rows({0, 1, 2}, {1, 4, 7}, {2, 5, 8}, {1, 1, 1}, {1, 1, 1}, {-1, -1, -1}));
  const auto states = trainer->SlotStates();
  const StepRows rows = Rows({0, 1, 2}, {2, 9, 3}, {3, 10, 11}, {0, 1, 1}, {0, 0, 1}, {-1, 5, -1});
  auto loss_at = [&]() {
    TensorMap scratch;
    trainer->CaptureGradientsForTesting(&scratch);
    trainer->SetSlotStates(states);
    return trainer->Step(rows);
  };
  TensorMap analytic;
  trainer->CaptureGradientsForTesting(&analytic);
  trainer->SetSlotStates(states);
  trainer->Step(rows);

  std::mt19937_64 rng(7);
  int checked = 0;
  for (auto& [name, tensor] : trainer->parameters()) {
    ASSERT_TRUE(analytic.count(name)) << "no gradient captured for " << name;
    const Tensor& gradient = analytic.at(name);
    // Every element with a non-zero gradient up to 12, plus a few random ones.
    std::vector<size_t> indices;
    for (size_t i = 0; i < gradient.values.size() && indices.size() < 12; ++i) {
      if (gradient.values[i] != 0) indices.push_back(i);
    }
    for (int k = 0; k < 3; ++k) indices.push_back(rng() % tensor.values.size());
    for (size_t i : indices) {
      const float saved = tensor.values[i];
      const float eps = 2e-3f;
      tensor.values[i] = saved + eps;
      const double plus = loss_at();
      tensor.values[i] = saved - eps;
      const double minus = loss_at();
      tensor.values[i] = saved;
      const double numeric = (plus - minus) / (2.0 * eps);
      EXPECT_NEAR(gradient.values[i], numeric, 2e-4 + 2e-2 * std::fabs(numeric))
          << name << "[" << i << "]";
      ++checked;
    }
  }
  EXPECT_GT(checked, 50);
}

INSTANTIATE_TEST_SUITE_P(
    Modes, TrainerGradientTest,
    ::testing::Values(GradientCase{ModelMode::kSessionOnly, 0, LossKind::kCrossEntropy},
                      GradientCase{ModelMode::kHrnnInit, 0, LossKind::kCrossEntropy},
                      GradientCase{ModelMode::kHrnnInit, 3, LossKind::kCrossEntropy},
                      GradientCase{ModelMode::kHrnnAll, 0, LossKind::kCrossEntropy},
                      GradientCase{ModelMode::kHrnnAll, 3, LossKind::kBprMax},
                      GradientCase{ModelMode::kHrnnInit, 0, LossKind::kTop1Max}),
    [](const auto& info) {
      std::string name = std::string(ModelModeName(info.param.mode)) + "_e" +
                         std::to_string(info.param.embedding_size) + "_" +
                         std::string(LossKindName(info.param.loss));
      for (char& ch : name) ch = std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
      return name;
    });

TrainOptions SmallOptions(ModelMode mode, int threads) {
  TrainOptions options;
  options.mode = mode;
  options.hidden_size = 16;
  options.user_hidden_size = 12;
  options.batch_size = 8;
  options.n_sample = 32;
  options.epochs = 2;
  options.threads = threads;
  options.dropout_hidden = 0.2f;
  options.dropout_embedding = 0.1f;
  options.dropout_init = 0.1f;
  options.momentum = 0.1f;
  return options;
}

TensorMap TrainTwoEpochs(const Dataset& data, const TrainOptions& options) {
  auto trainer = Trainer::Create(data, options);
  EXPECT_TRUE(trainer.ok()) << trainer.status();
  for (int e = 0; e < 2; ++e) (*trainer)->TrainEpoch(nullptr, nullptr);
  return (*trainer)->parameters();
}

TEST(TrainerTest, SameSeedSameThreadsGiveBitwiseIdenticalModels) {
  const Dataset data = MakeDataset(30, 4, 5, 40, 2);
  for (int threads : {1, 2}) {
    SCOPED_TRACE(::testing::Message() << "threads " << threads);
    const TrainOptions options = SmallOptions(ModelMode::kHrnnAll, threads);
    const TensorMap first = TrainTwoEpochs(data, options);
    EXPECT_EQ(first, TrainTwoEpochs(data, options));
    TrainOptions other_seed = options;
    other_seed.seed = 43;
    EXPECT_NE(first, TrainTwoEpochs(data, other_seed));
  }
}

TEST(TrainerTest, LossFallsAndEveryPairIsSeen) {
  const Dataset data = MakeDataset(40, 4, 6, 30, 3);
  for (ModelMode mode : {ModelMode::kSessionOnly, ModelMode::kHrnnInit, ModelMode::kHrnnAll}) {
    SCOPED_TRACE(ModelModeName(mode));
    TrainOptions options = SmallOptions(mode, 1);
    options.dropout_hidden = options.dropout_embedding = options.dropout_init = 0;
    ASSERT_OK_AND_ASSIGN(auto trainer, Trainer::Create(data, options));
    std::vector<double> losses;
    for (int e = 0; e < 4; ++e) {
      const EpochStats stats = trainer->TrainEpoch(nullptr, nullptr);
      EXPECT_EQ(stats.pairs, 40 * 4 * 5);
      EXPECT_FALSE(stats.cancelled);
      losses.push_back(stats.mean_loss);
    }
    EXPECT_LT(losses.back(), 0.8 * losses.front());
    EXPECT_EQ(trainer->epochs_done(), 4);
    ModelConfig provenance;
    provenance.data_fingerprint = "abc";
    ASSERT_OK_AND_ASSIGN(auto model, trainer->ExportModel(provenance));
    EXPECT_EQ(model->config().mode, mode);
    EXPECT_EQ(model->config().data_fingerprint, "abc");
    EXPECT_EQ(model->items().size(), 30);
  }
}

TEST(TrainerTest, CancelStopsTheEpochEarly) {
  const Dataset data = MakeDataset(40, 4, 6, 30, 3);
  ASSERT_OK_AND_ASSIGN(auto trainer, Trainer::Create(data, SmallOptions(ModelMode::kHrnnInit, 1)));
  std::atomic<bool> cancel{true};
  const EpochStats stats = trainer->TrainEpoch(nullptr, &cancel);
  EXPECT_TRUE(stats.cancelled);
  EXPECT_EQ(stats.pairs, 8);  // One step of a full batch.
  EXPECT_EQ(trainer->epochs_done(), 0);
}

TEST(TrainerTest, RejectsBadOptionsAndDataWithoutPairs) {
  const Dataset data = MakeDataset(2, 1, 3, 5, 4);
  TrainOptions options;
  options.batch_size = 0;
  EXPECT_THAT(Trainer::Create(data, options),
              StatusIs(absl::StatusCode::kInvalidArgument, "batch"));
  options = TrainOptions();
  options.dropout_hidden = 1.5f;
  EXPECT_THAT(Trainer::Create(data, options),
              StatusIs(absl::StatusCode::kInvalidArgument, "dropout_hidden"));
  const Dataset singles = MakeDataset(3, 2, 1, 5, 4);
  EXPECT_THAT(Trainer::Create(singles, TrainOptions()),
              StatusIs(absl::StatusCode::kInvalidArgument, "no training pair"));
  EXPECT_THAT(Trainer::Create(Dataset(), TrainOptions()),
              StatusIs(absl::StatusCode::kInvalidArgument, "no items"));
}

}  // namespace
}  // namespace hrnn
