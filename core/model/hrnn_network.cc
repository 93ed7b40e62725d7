#include "core/model/hrnn_network.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <utility>
#include <vector>

#include "Eigen/Core"
#include "absl/container/inlined_vector.h"
#include "core/kernels/matvec.h"

namespace hrnn {
namespace {

using Buffer = absl::InlinedVector<float, 2048>;

// Row-major `w` [rows, cols] times x plus b, with a double accumulator (reference path).
void ReferenceAffine(const Tensor& w, const Tensor& b, const float* x, float* y) {
  for (int64_t r = 0; r < w.rows(); ++r) {
    double sum = b.values[r];
    for (int64_t c = 0; c < w.cols(); ++c) sum += double{w.row(r)[c]} * x[c];
    y[r] = static_cast<float>(sum);
  }
}

// Builds the session GRU input [e(item); c] (c only in HRNN-All; zeros when c is null).
void AssembleSessionInput(const ModelConfig& config, const float* embedding,
                          const float* user_state, float* input) {
  const int embedding_size = config.InputEmbeddingSize();
  std::memcpy(input, embedding, sizeof(float) * embedding_size);
  if (config.mode == ModelMode::kHrnnAll) {
    float* user_part = input + embedding_size;
    if (user_state != nullptr) {
      std::memcpy(user_part, user_state, sizeof(float) * config.user_hidden_size);
    } else {
      std::fill_n(user_part, config.user_hidden_size, 0.0f);
    }
  }
}

const float* EmbeddingRow(const Model& model, int64_t item) {
  const bool constrained = model.config().embedding_size == 0;
  return model.tensor(constrained ? kOutputWeight : kItemEmbedding).row(item);
}

}  // namespace

absl::StatusOr<std::shared_ptr<const HrnnNetwork>> HrnnNetwork::Create(
    std::shared_ptr<const Model> model, NetworkOptions options) {
  if (model == nullptr) return absl::InvalidArgumentError("model must not be null");
  return std::shared_ptr<const HrnnNetwork>(new HrnnNetwork(std::move(model), options));
}

HrnnNetwork::HrnnNetwork(std::shared_ptr<const Model> model, NetworkOptions options)
    : model_(std::move(model)), options_(options) {
  const ModelConfig& config = model_->config();
  session_gru_ = GruCell(model_->tensor(kSessionGruWeightX), model_->tensor(kSessionGruWeightH),
                         model_->tensor(kSessionGruBias));
  if (config.HasUserLevel()) {
    user_gru_ = GruCell(model_->tensor(kUserGruWeightX), model_->tensor(kUserGruWeightH),
                        model_->tensor(kUserGruBias));
    const Tensor& init = model_->tensor(kSessionInitWeight);
    session_init_ = PanelMatrix::FromRowMajor(init.values.data(), init.rows(), init.cols(),
                                              ElementType::kFloat32);
    session_init_bias_ = model_->tensor(kSessionInitBias).values;
  }
  const Tensor& output = model_->tensor(kOutputWeight);
  item_table_ = PanelMatrix::FromRowMajor(output.values.data(), output.rows(), output.cols(),
                                          options_.item_table_type);
  output_bias_ = model_->tensor(kOutputBias).values;
}

int HrnnNetwork::user_state_size() const {
  return model_->config().HasUserLevel() ? model_->config().user_hidden_size : 0;
}

void HrnnNetwork::InitSession(const float* user_state, float* session_state) const {
  const int hidden = hidden_size();
  if (!model_->config().HasUserLevel()) {
    std::fill_n(session_state, hidden, 0.0f);
    return;
  }
  if (user_state == nullptr) {
    Buffer zeros(user_state_size(), 0.0f);
    MatVec(session_init_, zeros.data(), session_init_bias_.data(), session_state);
  } else {
    MatVec(session_init_, user_state, session_init_bias_.data(), session_state);
  }
  Eigen::Map<Eigen::ArrayXf> s(session_state, hidden);
  s = s.tanh();
}

void HrnnNetwork::SessionStep(int64_t item, const float* user_state, float* session_state) const {
  assert(item >= 0 && item < num_items());
  const ModelConfig& config = model_->config();
  Buffer input(config.SessionInputSize());
  AssembleSessionInput(config, EmbeddingRow(*model_, item), user_state, input.data());
  session_gru_.Step(input.data(), session_state, session_state);
}

void HrnnNetwork::UserUpdate(const float* session_state, float* user_state) const {
  if (!model_->config().HasUserLevel()) return;
  user_gru_.Step(session_state, user_state, user_state);
}

void HrnnNetwork::Score(const float* session_state, float* scores) const {
  MatVec(item_table_, session_state, output_bias_.data(), scores);
}

void HrnnNetwork::ScoreBatch(absl::Span<const float* const> states,
                             absl::Span<float* const> scores) const {
  MatVecBatch(item_table_, states, output_bias_.data(), scores);
}

void HrnnNetwork::ScoreBatchPart(absl::Span<const float* const> states,
                                 absl::Span<float* const> scores, int part, int num_parts) const {
  const int64_t panels = item_table_.num_panels();
  MatVecBatchPanels(item_table_, states, output_bias_.data(), scores, panels * part / num_parts,
                    panels * (part + 1) / num_parts);
}

void HrnnNetwork::ScoreNaive(const float* session_state, float* scores) const {
  const Tensor& weight = model_->tensor("output.weight");
  const Tensor& bias = model_->tensor("output.bias");
  const Eigen::Index n = num_items();
  const Eigen::Index hidden = hidden_size();
  Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> w(
      weight.values.data(), n, hidden);
  Eigen::Map<Eigen::VectorXf> out(scores, n);
  out.noalias() = w * Eigen::Map<const Eigen::VectorXf>(session_state, hidden);
  out += Eigen::Map<const Eigen::VectorXf>(bias.values.data(), n);
}

void HrnnNetwork::ScoreItems(const float* session_state, absl::Span<const int64_t> items,
                             float* scores) const {
  const Tensor& weight = model_->tensor(kOutputWeight);
  const int hidden = hidden_size();
  Eigen::Map<const Eigen::VectorXf> s(session_state, hidden);
  for (size_t j = 0; j < items.size(); ++j) {
    scores[j] = Eigen::Map<const Eigen::VectorXf>(weight.row(items[j]), hidden).dot(s) +
                output_bias_[items[j]];
  }
}

std::vector<ScoredItem> HrnnNetwork::TopItems(const float* session_state,
                                              absl::Span<const float> scores, int k,
                                              ItemExclusions exclusions) const {
  if (options_.item_table_type != ElementType::kInt8) {
    return TopK(scores, k, std::move(exclusions));
  }
  if (k <= 0) return {};
  // In int64, so that 2k cannot overflow; TopK caps the depth at scores.size().
  const int64_t depth = std::min<int64_t>(std::max<int64_t>(int64_t{2} * k, int64_t{k} + 32),
                                          static_cast<int64_t>(scores.size()));
  std::vector<ScoredItem> candidates = TopK(scores, static_cast<int>(depth), std::move(exclusions));
  std::vector<int64_t> items(candidates.size());
  for (size_t j = 0; j < candidates.size(); ++j) items[j] = candidates[j].index;
  std::vector<float> exact(candidates.size());
  ScoreItems(session_state, items, exact.data());
  for (size_t j = 0; j < candidates.size(); ++j) candidates[j].score = exact[j];
  std::erase_if(candidates, [](const ScoredItem& item) { return std::isnan(item.score); });
  const size_t keep = std::min(candidates.size(), static_cast<size_t>(k));
  std::partial_sort(candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(keep),
                    candidates.end(), [](const ScoredItem& a, const ScoredItem& b) {
                      return a.score > b.score || (a.score == b.score && a.index < b.index);
                    });
  candidates.resize(keep);
  return candidates;
}

size_t HrnnNetwork::PackedBytes() const {
  return item_table_.bytes() + session_init_.bytes() + session_gru_.bytes() + user_gru_.bytes() +
         sizeof(float) * (output_bias_.size() + session_init_bias_.size());
}

void HrnnReference::InitSession(const float* user_state, float* session_state) const {
  const ModelConfig& config = model_->config();
  if (!config.HasUserLevel()) {
    std::fill_n(session_state, config.hidden_size, 0.0f);
    return;
  }
  std::vector<float> zeros(config.user_hidden_size, 0.0f);
  ReferenceAffine(model_->tensor(kSessionInitWeight), model_->tensor(kSessionInitBias),
                  user_state != nullptr ? user_state : zeros.data(), session_state);
  for (int j = 0; j < config.hidden_size; ++j) session_state[j] = std::tanh(session_state[j]);
}

void HrnnReference::SessionStep(int64_t item, const float* user_state, float* session_state) const {
  const ModelConfig& config = model_->config();
  std::vector<float> input(config.SessionInputSize());
  AssembleSessionInput(config, EmbeddingRow(*model_, item), user_state, input.data());
  GruStepReference(model_->tensor(kSessionGruWeightX), model_->tensor(kSessionGruWeightH),
                   model_->tensor(kSessionGruBias), input.data(), session_state, session_state);
}

void HrnnReference::UserUpdate(const float* session_state, float* user_state) const {
  if (!model_->config().HasUserLevel()) return;
  GruStepReference(model_->tensor(kUserGruWeightX), model_->tensor(kUserGruWeightH),
                   model_->tensor(kUserGruBias), session_state, user_state, user_state);
}

void HrnnReference::Score(const float* session_state, float* scores) const {
  ReferenceAffine(model_->tensor(kOutputWeight), model_->tensor(kOutputBias), session_state,
                  scores);
}

}  // namespace hrnn
