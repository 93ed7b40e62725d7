#include "core/model/hrnn_network.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/testing/random.h"
#include "tests/testing/status_matchers.h"

namespace hrnn {
namespace {

using ::hrnn::testing::ExpectAllNear;
using ::hrnn::testing::RandomVector;

struct NetworkCase {
  ModelMode mode;
  int embedding_size;  // 0 = constrained
  int hidden;
  int user_hidden;
  int num_items;
};

std::string CaseName(const ::testing::TestParamInfo<NetworkCase>& info) {
  std::string mode(ModelModeName(info.param.mode));
  for (char& c : mode) c = c == '-' ? '_' : c;
  return mode + "_e" + std::to_string(info.param.embedding_size) + "_h" +
         std::to_string(info.param.hidden) + "_u" + std::to_string(info.param.user_hidden) + "_n" +
         std::to_string(info.param.num_items);
}

std::shared_ptr<const Model> MakeModel(const NetworkCase& c) {
  ModelConfig config;
  config.mode = c.mode;
  config.embedding_size = c.embedding_size;
  config.hidden_size = c.hidden;
  config.user_hidden_size = c.user_hidden;
  config.num_items = c.num_items;
  return Model::CreateRandom(config, 42);
}

class HrnnNetworkTest : public ::testing::TestWithParam<NetworkCase> {
 protected:
  void SetUp() override {
    model_ = MakeModel(GetParam());
    ASSERT_OK_AND_ASSIGN(network_, HrnnNetwork::Create(model_));
  }
  std::shared_ptr<const Model> model_;
  std::shared_ptr<const HrnnNetwork> network_;
};

TEST_P(HrnnNetworkTest, SessionWalkMatchesReference) {
  const NetworkCase& c = GetParam();
  const HrnnReference reference(model_);
  ASSERT_EQ(network_->user_state_size(), c.mode == ModelMode::kSessionOnly ? 0 : c.user_hidden);

  std::vector<float> user(network_->user_state_size(), 0.0f), user_ref = user;
  std::vector<float> session(c.hidden), session_ref(c.hidden);
  std::vector<float> scores(c.num_items), scores_ref(c.num_items);
  const float* user_ptr = user.empty() ? nullptr : user.data();
  const float* user_ref_ptr = user_ref.empty() ? nullptr : user_ref.data();
  // Two sessions of three clicks, with the user update between them.
  for (int session_index = 0; session_index < 2; ++session_index) {
    network_->InitSession(user_ptr, session.data());
    reference.InitSession(user_ref_ptr, session_ref.data());
    ExpectAllNear(session, session_ref, 1e-5f, 1e-4f);
    for (int click = 0; click < 3; ++click) {
      const int64_t item = (session_index * 7 + click * 13) % c.num_items;
      network_->SessionStep(item, user_ptr, session.data());
      reference.SessionStep(item, user_ref_ptr, session_ref.data());
      SCOPED_TRACE(::testing::Message() << "session " << session_index << " click " << click);
      ExpectAllNear(session, session_ref, 1e-4f, 1e-4f);
      network_->Score(session.data(), scores.data());
      reference.Score(session_ref.data(), scores_ref.data());
      ExpectAllNear(scores, scores_ref, 1e-4f, 1e-4f);
    }
    if (!user.empty()) {
      network_->UserUpdate(session.data(), user.data());
      reference.UserUpdate(session_ref.data(), user_ref.data());
      ExpectAllNear(user, user_ref, 1e-4f, 1e-4f);
    }
  }
}

TEST_P(HrnnNetworkTest, BatchAndItemScoringMatchSingleScoring) {
  const NetworkCase& c = GetParam();
  std::vector<std::vector<float>> states, batch_scores;
  std::vector<const float*> state_ptrs;
  std::vector<float*> score_ptrs;
  for (int b = 0; b < 11; ++b) {
    states.push_back(RandomVector(c.hidden, 300 + b));
    batch_scores.emplace_back(c.num_items);
  }
  for (int b = 0; b < 11; ++b) {
    state_ptrs.push_back(states[b].data());
    score_ptrs.push_back(batch_scores[b].data());
  }
  network_->ScoreBatch(state_ptrs, score_ptrs);
  std::vector<float> single(c.num_items);
  for (int b = 0; b < 11; ++b) {
    network_->Score(states[b].data(), single.data());
    SCOPED_TRACE(::testing::Message() << "state " << b);
    ExpectAllNear(batch_scores[b], single, 1e-5f, 1e-5f);
  }
  const std::vector<int64_t> items = {c.num_items - 1, 0, c.num_items / 2, 0};
  std::vector<float> item_scores(items.size());
  network_->ScoreItems(states[0].data(), items, item_scores.data());
  network_->Score(states[0].data(), single.data());
  for (size_t j = 0; j < items.size(); ++j) {
    EXPECT_NEAR(item_scores[j], single[items[j]], 1e-4f) << "item " << items[j];
  }
  for (int parts : {1, 2, 3, 7}) {
    std::vector<std::vector<float>> split(11, std::vector<float>(c.num_items, -1e30f));
    std::vector<float*> split_ptrs;
    for (auto& scores : split) split_ptrs.push_back(scores.data());
    for (int part = parts - 1; part >= 0; --part) {
      network_->ScoreBatchPart(state_ptrs, split_ptrs, part, parts);
    }
    for (int b = 0; b < 11; ++b) {
      SCOPED_TRACE(::testing::Message() << "parts " << parts << ", state " << b);
      ExpectAllNear(split[b], batch_scores[b], 1e-6f, 1e-6f);
    }
  }
  std::vector<float> naive(c.num_items);
  network_->ScoreNaive(states[0].data(), naive.data());
  ExpectAllNear(naive, single, 1e-5f, 1e-5f);
}

TEST_P(HrnnNetworkTest, Bf16ItemTableStaysCloseToFp32) {
  const NetworkCase& c = GetParam();
  ASSERT_OK_AND_ASSIGN(auto bf16,
                       HrnnNetwork::Create(model_, NetworkOptions{ElementType::kBfloat16}));
  EXPECT_LT(bf16->PackedBytes(), network_->PackedBytes());
  const std::vector<float> state = RandomVector(c.hidden, 77);
  std::vector<float> exact(c.num_items), approx(c.num_items);
  network_->Score(state.data(), exact.data());
  bf16->Score(state.data(), approx.data());
  // bf16 keeps 8 mantissa bits: each product has relative error <= 2^-8, so the score error is
  // bounded by 2^-8 * sum |w_ij s_j| <= 2^-8 * H * max|w| * max|s|.
  const float bound = c.hidden * (1.0f / 256) * (1.0f / std::sqrt(float(c.hidden)));
  ExpectAllNear(approx, exact, bound);
}

INSTANTIATE_TEST_SUITE_P(Modes, HrnnNetworkTest,
                         ::testing::Values(NetworkCase{ModelMode::kSessionOnly, 0, 100, 100, 1000},
                                           NetworkCase{ModelMode::kSessionOnly, 24, 32, 32, 77},
                                           NetworkCase{ModelMode::kHrnnInit, 0, 100, 100, 1000},
                                           NetworkCase{ModelMode::kHrnnInit, 40, 24, 56, 333},
                                           NetworkCase{ModelMode::kHrnnAll, 0, 100, 100, 517},
                                           NetworkCase{ModelMode::kHrnnAll, 17, 33, 20, 65}),
                         CaseName);

TEST(HrnnNetworkCreateTest, RejectsNullModel) {
  EXPECT_THAT(HrnnNetwork::Create(nullptr),
              ::hrnn::testing::StatusIs(absl::StatusCode::kInvalidArgument, "model"));
}

TEST(HrnnNetworkCreateTest, SessionOnlyStartsFromZeroAndIgnoresUserUpdate) {
  ModelConfig config;
  config.mode = ModelMode::kSessionOnly;
  config.num_items = 50;
  config.hidden_size = 8;
  ASSERT_OK_AND_ASSIGN(auto network, HrnnNetwork::Create(Model::CreateRandom(config, 1)));
  std::vector<float> session(8, 5.0f);
  network->InitSession(nullptr, session.data());
  EXPECT_EQ(session, std::vector<float>(8, 0.0f));
}

}  // namespace
}  // namespace hrnn
