#include "core/train/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "Eigen/Core"
#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"
#include "core/kernels/matvec.h"

namespace hrnn {
namespace {

using Clock = std::chrono::steady_clock;

MatrixView View(std::vector<float>& v, int64_t rows, int64_t cols) {
  v.resize(static_cast<size_t>(rows * cols));
  return {v.data(), rows, cols, cols};
}
ConstMatrixView View(const Tensor& t) { return {t.values.data(), t.rows(), t.cols(), t.cols()}; }

// A uniform float in [0, 1) from the top 24 bits of one 64-bit draw (implementation-independent).
float Uniform(std::mt19937_64& rng) { return static_cast<float>(rng() >> 40) * 0x1p-24f; }

// Column sums of a row-major [rows, cols] buffer.
void ColumnSums(const float* data, int64_t rows, int64_t cols, float* out) {
  using RowMajor = Eigen::Array<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  Eigen::Map<Eigen::Array<float, 1, Eigen::Dynamic>>(out, cols) =
      Eigen::Map<const RowMajor>(data, rows, cols).colwise().sum();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Trainer>> Trainer::Create(const Dataset& train,
                                                         const TrainOptions& options) {
  HRNN_RETURN_IF_ERROR(options.Validate());
  if (train.num_items() == 0) return absl::InvalidArgumentError("the training data has no items");
  const bool has_pair = std::any_of(train.sessions.begin(), train.sessions.end(),
                                    [](const SessionSpan& s) { return s.length() >= 2; });
  if (!has_pair) {
    return absl::InvalidArgumentError(
        "the training data has no session with 2 or more clicks, so no training pair");
  }
  ModelConfig config;
  config.mode = options.mode;
  config.num_items = train.num_items();
  config.hidden_size = options.hidden_size;
  config.user_hidden_size = options.user_hidden_size;
  config.embedding_size = options.embedding_size;
  config.loss = std::string(LossKindName(options.loss.kind));
  HRNN_RETURN_IF_ERROR(config.Validate());
  HRNN_ASSIGN_OR_RETURN(NegativeSampler sampler,
                        NegativeSampler::Create(train.item_counts, options.sample_alpha,
                                                options.seed ^ 0x6e656773616d706cull));
  return std::unique_ptr<Trainer>(
      new Trainer(train, options, std::move(config), std::move(sampler)));
}

Trainer::Trainer(const Dataset& train, const TrainOptions& options, ModelConfig config,
                 NegativeSampler sampler)
    : train_(train),
      options_(options),
      config_(std::move(config)),
      sampler_(std::move(sampler)),
      pool_(options.threads),
      dropout_rng_(options.seed * 0x9e3779b97f4a7c15ull + 1) {
  InitializeParameters();
  slot_session_.assign(static_cast<size_t>(options_.batch_size) * config_.hidden_size, 0.0f);
  slot_user_.assign(static_cast<size_t>(options_.batch_size) * config_.user_hidden_size, 0.0f);
  const int64_t n = config_.num_items;
  // logQ correction as the official GRU4Rec: log(count) for the in-batch targets (drawn from the
  // data, i.e. by popularity) and log(count^alpha) for the shared samples, both unnormalised.
  log_q_items_.resize(n);
  log_pop_items_.resize(n);
  for (int64_t i = 0; i < n; ++i) {
    const double count = std::max<double>(1.0, static_cast<double>(train_.item_counts[i]));
    log_pop_items_[i] = static_cast<float>(std::log(count));
    log_q_items_[i] = static_cast<float>(options_.sample_alpha * std::log(count));
  }
  sparse_index_.assign(n, -1);
}

void Trainer::InitializeParameters() {
  std::mt19937_64 rng(options_.seed);
  for (const auto& [name, shape] : ExpectedTensorShapes(config_)) {
    Tensor t(shape);
    if (shape.size() == 2) {
      // Glorot-uniform, as GRU4Rec initialises every matrix.
      const float range = std::sqrt(6.0f / static_cast<float>(shape[0] + shape[1]));
      for (float& v : t.values) v = (2.0f * Uniform(rng) - 1.0f) * range;
    }
    OptimizerState state{Tensor(shape), options_.momentum > 0 ? Tensor(shape) : Tensor()};
    params_.emplace(name, std::move(t));
    optimizer_.emplace(name, std::move(state));
  }
  const GruWeightsRef session = GruWeights(kSessionGruWeightX, kSessionGruWeightH, kSessionGruBias);
  session_grads_ = GruGradients::ZerosLike(session);
  if (config_.HasUserLevel()) {
    const GruWeightsRef user = GruWeights(kUserGruWeightX, kUserGruWeightH, kUserGruBias);
    user_grads_ = GruGradients::ZerosLike(user);
    fold_grads_ = GruGradients::ZerosLike(session);
  }
}

GruWeightsRef Trainer::GruWeights(const char* weight_x, const char* weight_h,
                                  const char* bias) const {
  return {&params_.at(weight_x), &params_.at(weight_h), &params_.at(bias)};
}

Tensor& Trainer::CaptureTensor(const std::string& name) {
  auto it = capture_->find(name);
  if (it == capture_->end()) it = capture_->emplace(name, Tensor(params_.at(name).shape)).first;
  return it->second;
}

void Trainer::ApplyDense(const std::string& name, const Tensor& gradient) {
  if (capture_ != nullptr) {
    Tensor& sink = CaptureTensor(name);
    for (size_t i = 0; i < sink.values.size(); ++i) sink.values[i] += gradient.values[i];
    return;
  }
  Tensor& weights = params_.at(name);
  OptimizerState& state = optimizer_.at(name);
  const AdagradKernel adagrad = ActiveKernels().adagrad;
  const int64_t size = static_cast<int64_t>(weights.values.size());
  constexpr int64_t kChunk = 4096;  // Elements per task, so small tensors stay on one thread.
  pool_.ParallelFor((size + kChunk - 1) / kChunk, [&](int64_t begin, int64_t end, int) {
    const int64_t offset = begin * kChunk, count = std::min(size, end * kChunk) - offset;
    adagrad(weights.values.data() + offset, state.accumulator.values.data() + offset,
            state.velocity.values.empty() ? nullptr : state.velocity.values.data() + offset,
            gradient.values.data() + offset, count, options_.learning_rate,
            options_.adagrad_epsilon, options_.momentum);
  });
}

void Trainer::ApplySparse(const char* rows_name, const char* bias_name, int64_t width,
                          absl::Span<const SparseContribution> contributions) {
  if (capture_ != nullptr) {
    Tensor& rows = CaptureTensor(rows_name);
    for (const SparseContribution& c : contributions) {
      for (int64_t i = 0; i < width; ++i) rows.row(c.item)[i] += c.row[i];
      if (bias_name != nullptr && c.bias != nullptr) {
        CaptureTensor(bias_name).values[c.item] += *c.bias;
      }
    }
    return;
  }
  // Group the contributions by item (counting sort by first appearance) so that each touched
  // row is summed in contribution order and updated once, by one thread.
  std::vector<int32_t>& touched = scratch_.touched;
  std::vector<int32_t>& group_start = scratch_.group_start;
  std::vector<int32_t>& grouped = scratch_.grouped;
  touched.clear();
  std::vector<int32_t>& slot_of = scratch_.slot_of;
  slot_of.resize(contributions.size());
  group_start.clear();
  for (size_t j = 0; j < contributions.size(); ++j) {
    int32_t& slot = sparse_index_[contributions[j].item];
    if (slot < 0) {
      slot = static_cast<int32_t>(touched.size());
      touched.push_back(contributions[j].item);
      group_start.push_back(0);
    }
    slot_of[j] = slot;
    ++group_start[slot];
  }
  for (int32_t item : touched) sparse_index_[item] = -1;
  int32_t running = 0;
  for (int32_t& start : group_start) {
    const int32_t count = start;
    start = running;
    running += count;
  }
  group_start.push_back(running);
  grouped.resize(contributions.size());
  std::vector<int32_t>& fill = scratch_.fill;
  fill.assign(group_start.begin(), group_start.end() - 1);
  for (size_t j = 0; j < contributions.size(); ++j) grouped[fill[slot_of[j]]++] = j;

  Tensor& weights = params_.at(rows_name);
  OptimizerState& state = optimizer_.at(rows_name);
  Tensor* bias = bias_name != nullptr ? &params_.at(bias_name) : nullptr;
  OptimizerState* bias_state = bias_name != nullptr ? &optimizer_.at(bias_name) : nullptr;
  const AdagradKernel adagrad = ActiveKernels().adagrad;
  const float lr = options_.learning_rate, eps = options_.adagrad_epsilon;
  const float momentum = options_.momentum;
  scratch_.row_grads.resize(static_cast<size_t>(pool_.size()) * width);
  pool_.ParallelFor(
      static_cast<int64_t>(touched.size()), [&](int64_t begin, int64_t end, int chunk) {
        float* g = scratch_.row_grads.data() + chunk * width;
        // The rows are scattered over tables far larger than L2: fetch the next rows' cache lines
        // while this one is updated.
        auto prefetch_row = [&](int64_t slot) {
          const int64_t offset = static_cast<int64_t>(touched[slot]) * width;
          for (int64_t i = 0; i < width; i += 16) {
            __builtin_prefetch(weights.values.data() + offset + i, 1);
            __builtin_prefetch(state.accumulator.values.data() + offset + i, 1);
          }
        };
        constexpr int64_t kAhead = 6;
        for (int64_t slot = begin; slot < std::min(end, begin + kAhead); ++slot) prefetch_row(slot);
        for (int64_t slot = begin; slot < end; ++slot) {
          if (slot + kAhead < end) prefetch_row(slot + kAhead);
          std::fill_n(g, width, 0.0f);
          float bias_g = 0;
          for (int32_t k = group_start[slot]; k < group_start[slot + 1]; ++k) {
            const SparseContribution& c = contributions[grouped[k]];
            for (int64_t i = 0; i < width; ++i) g[i] += c.row[i];
            if (c.bias != nullptr) bias_g += *c.bias;
          }
          const int64_t item = touched[slot];
          const int64_t offset = item * width;
          adagrad(weights.values.data() + offset, state.accumulator.values.data() + offset,
                  momentum > 0 ? state.velocity.values.data() + offset : nullptr, g, width, lr, eps,
                  momentum);
          if (bias != nullptr) {
            adagrad(bias->values.data() + item, bias_state->accumulator.values.data() + item,
                    momentum > 0 ? bias_state->velocity.values.data() + item : nullptr, &bias_g, 1,
                    lr, eps, momentum);
          }
        }
      });
}

void Trainer::DropoutMask(float p, int64_t size, std::vector<float>& mask) {
  if (p <= 0) {
    mask.clear();
    return;
  }
  mask.resize(size);
  const float keep_scale = 1.0f / (1.0f - p);
  for (float& m : mask) m = Uniform(dropout_rng_) < p ? 0.0f : keep_scale;
}

const float* Trainer::EmbeddingRow(int32_t item) const {
  return config_.embedding_size == 0 ? params_.at(kOutputWeight).row(item)
                                     : params_.at(kItemEmbedding).row(item);
}

float* Trainer::SlotSession(const StepRows& rows, int64_t r) {
  return slot_session_.data() + rows.slot[r] * config_.hidden_size;
}

float* Trainer::SlotUser(const StepRows& rows, int64_t r) {
  return slot_user_.data() + rows.slot[r] * config_.user_hidden_size;
}

void Trainer::AssembleInput(const StepRows& rows, int64_t r, int32_t item, float* x) {
  const int64_t embed = config_.InputEmbeddingSize();
  std::copy_n(EmbeddingRow(item), embed, x);
  if (config_.mode == ModelMode::kHrnnAll) {
    std::copy_n(SlotUser(rows, r), config_.user_hidden_size, x + embed);
  }
}

double Trainer::Step(const StepRows& rows) {
  ResetNewUsers(rows);
  const StepShape shape = FoldFinishedSessions(rows);
  StartSessions(rows, shape);
  ForwardSessionStep(rows);
  CarrySessionStates(rows);
  const double loss = ScoreAndLoss(rows, shape);
  BackwardOutput(shape);
  BackwardSessionGru(shape);
  BackwardInitAndUser(shape);
  ApplySessionGruGradients();
  ApplySparseGradients(rows, shape);
  return loss;
}

void Trainer::ResetNewUsers(const StepRows& rows) {
  const bool has_user = config_.HasUserLevel();
  for (int64_t r = 0; r < rows.n; ++r) {
    if (rows.new_user[r]) {
      std::fill_n(SlotSession(rows, r), config_.hidden_size, 0.0f);
      if (has_user) std::fill_n(SlotUser(rows, r), config_.user_hidden_size, 0.0f);
    }
  }
}

Trainer::StepShape Trainer::FoldFinishedSessions(const StepRows& rows) {
  const int64_t n = rows.n;
  const int64_t hidden = config_.hidden_size, user_hidden = config_.user_hidden_size;
  const int64_t inputs = config_.SessionInputSize();
  const bool has_user = config_.HasUserLevel();
  std::vector<int64_t>& fold_rows = scratch_.fold_rows;
  std::vector<int64_t>& start_rows = scratch_.start_rows;
  fold_rows.clear();
  start_rows.clear();
  for (int64_t r = 0; r < n; ++r) {
    if (has_user && rows.fold_item[r] >= 0) fold_rows.push_back(r);
    if (rows.session_start[r]) start_rows.push_back(r);
  }
  StepShape shape;
  shape.n = n;
  shape.cols = n + options_.n_sample;
  shape.folds = static_cast<int64_t>(fold_rows.size());
  shape.starts = static_cast<int64_t>(start_rows.size());
  shape.init_trained = has_user && shape.starts > 0;
  const int64_t nf = shape.folds;
  if (nf > 0) {
    MatrixView xf = View(scratch_.x_fold, nf, inputs), sf = View(scratch_.s_fold, nf, hidden);
    MatrixView cp = View(scratch_.c_prev, nf, user_hidden);
    MatrixView cn = View(scratch_.c_new, nf, user_hidden);
    for (int64_t j = 0; j < nf; ++j) {
      const int64_t r = fold_rows[j];
      AssembleInput(rows, r, rows.fold_item[r], xf.row(j));
      std::copy_n(SlotSession(rows, r), hidden, sf.row(j));
      std::copy_n(SlotUser(rows, r), user_hidden, cp.row(j));
    }
    const GruWeightsRef session_w =
        GruWeights(kSessionGruWeightX, kSessionGruWeightH, kSessionGruBias);
    fold_gru_.Forward(pool_, session_w, xf, sf, sf, fold_acts_);
    const GruWeightsRef user_w = GruWeights(kUserGruWeightX, kUserGruWeightH, kUserGruBias);
    user_gru_.Forward(pool_, user_w, sf, cp, cn, user_acts_);
    for (int64_t j = 0; j < nf; ++j) {
      std::copy_n(cn.row(j), user_hidden, SlotUser(rows, fold_rows[j]));
    }
  }
  return shape;
}

void Trainer::StartSessions(const StepRows& rows, const StepShape& shape) {
  const int64_t n = rows.n;
  const int64_t hidden = config_.hidden_size, user_hidden = config_.user_hidden_size;
  const bool has_user = config_.HasUserLevel();
  const std::vector<int64_t>& start_rows = scratch_.start_rows;
  std::vector<float>& init_mask = scratch_.init_mask;
  MatrixView s_in = View(scratch_.s_in_buffer, n, hidden);
  for (int64_t r = 0; r < n; ++r) {
    if (!rows.session_start[r]) {
      std::copy_n(SlotSession(rows, r), hidden, s_in.row(r));
    } else if (!has_user) {
      std::fill_n(s_in.row(r), hidden, 0.0f);
    }
  }
  if (!shape.init_trained) return;
  const int64_t ns = shape.starts;
  MatrixView cs = View(scratch_.c_start, ns, user_hidden), a0 = View(scratch_.s0, ns, hidden);
  for (int64_t j = 0; j < ns; ++j) {
    std::copy_n(SlotUser(rows, start_rows[j]), user_hidden, cs.row(j));
  }
  matmul_.ABt(pool_, cs, View(params_.at(kSessionInitWeight)),
              params_.at(kSessionInitBias).values.data(), a0);
  DropoutMask(options_.dropout_init, ns * hidden, init_mask);
  for (int64_t j = 0; j < ns; ++j) {
    float* s = a0.row(j);
    float* dst = s_in.row(start_rows[j]);
    for (int64_t k = 0; k < hidden; ++k) {
      s[k] = std::tanh(s[k]);
      dst[k] = init_mask.empty() ? s[k] : s[k] * init_mask[j * hidden + k];
    }
  }
}

void Trainer::ForwardSessionStep(const StepRows& rows) {
  const int64_t n = rows.n;
  const int64_t hidden = config_.hidden_size;
  const int64_t embed = config_.InputEmbeddingSize(), inputs = config_.SessionInputSize();
  std::vector<float>& embed_mask = scratch_.embed_mask;
  std::vector<float>& hidden_mask = scratch_.hidden_mask;
  MatrixView x = View(scratch_.x_buffer, n, inputs);
  for (int64_t r = 0; r < n; ++r) AssembleInput(rows, r, rows.input_item[r], x.row(r));
  DropoutMask(options_.dropout_embedding, n * embed, embed_mask);
  if (!embed_mask.empty()) {
    for (int64_t r = 0; r < n; ++r) {
      for (int64_t k = 0; k < embed; ++k) x.row(r)[k] *= embed_mask[r * embed + k];
    }
  }
  MatrixView s_in = View(scratch_.s_in_buffer, n, hidden);
  MatrixView s_out = View(scratch_.s_out_buffer, n, hidden);
  const GruWeightsRef session_w =
      GruWeights(kSessionGruWeightX, kSessionGruWeightH, kSessionGruBias);
  session_gru_.Forward(pool_, session_w, x, s_in, s_out, session_acts_);
  DropoutMask(options_.dropout_hidden, n * hidden, hidden_mask);
  MatrixView s_drop = View(scratch_.s_drop_buffer, n, hidden);
  for (int64_t i = 0; i < n * hidden; ++i) {
    s_drop.data[i] = hidden_mask.empty() ? s_out.data[i] : s_out.data[i] * hidden_mask[i];
  }
}

void Trainer::CarrySessionStates(const StepRows& rows) {
  // The carried state is the dropped-out one, as in the official GRU4Rec (dropout then also
  // regularises the recurrence).
  const int64_t hidden = config_.hidden_size;
  const ConstMatrixView s_drop = View(scratch_.s_drop_buffer, rows.n, hidden);
  for (int64_t r = 0; r < rows.n; ++r) std::copy_n(s_drop.row(r), hidden, SlotSession(rows, r));
}

double Trainer::ScoreAndLoss(const StepRows& rows, const StepShape& shape) {
  const int64_t n = rows.n, cols = shape.cols;
  std::vector<int32_t>& col_items = scratch_.col_items;
  col_items.resize(cols);
  std::copy(rows.target_item.begin(), rows.target_item.end(), col_items.begin());
  sampler_.Sample(absl::MakeSpan(col_items).subspan(n));
  std::vector<float>& col_bias = scratch_.col_bias;
  std::vector<float>& log_q = scratch_.log_q;
  col_bias.resize(cols);
  log_q.resize(cols);
  const Tensor& output_bias = params_.at(kOutputBias);
  for (int64_t j = 0; j < cols; ++j) {
    col_bias[j] = output_bias.values[col_items[j]];
    log_q[j] = j < n ? log_pop_items_[col_items[j]] : log_q_items_[col_items[j]];
  }
  std::vector<float>& scores_buffer = scratch_.scores_buffer;
  std::vector<float>& grad_buffer = scratch_.grad_buffer;
  MatrixView scores = View(scores_buffer, n, cols);
  const ConstMatrixView s_drop = View(scratch_.s_drop_buffer, n, config_.hidden_size);
  matmul_.ABtGathered(pool_, s_drop, View(params_.at(kOutputWeight)), col_items, col_bias.data(),
                      scores);
  std::vector<uint8_t>& same_item = scratch_.same_item;
  same_item.resize(n * cols);
  for (int64_t r = 0; r < n; ++r) {
    const int32_t target = rows.target_item[r];
    uint8_t* row = same_item.data() + r * cols;
    for (int64_t j = 0; j < cols; ++j) row[j] = col_items[j] == target && j != r;
  }
  grad_buffer.resize(n * cols);
  // Row r's positive is column r (its own target).
  std::vector<int32_t>& targets = scratch_.targets;
  targets.resize(n);
  for (int64_t r = 0; r < n; ++r) targets[r] = static_cast<int32_t>(r);
  const LossInput loss_input{scores_buffer, n, cols, targets, same_item, log_q};
  // Rows are independent: split them over the pool and add the parts in chunk order.
  double partial_loss[256] = {};
  pool_.ParallelFor(n, [&](int64_t begin, int64_t end, int chunk) {
    partial_loss[chunk] =
        ComputeLossRows(options_.loss, loss_input, begin, end, absl::MakeSpan(grad_buffer));
  });
  double loss_sum = 0;
  for (int chunk = 0; chunk < pool_.size(); ++chunk) loss_sum += partial_loss[chunk];
  return loss_sum / static_cast<double>(n);
}

void Trainer::BackwardOutput(const StepShape& shape) {
  const int64_t n = shape.n, cols = shape.cols;
  const int64_t hidden = config_.hidden_size;
  const std::vector<float>& grad_buffer = scratch_.grad_buffer;
  const std::vector<float>& hidden_mask = scratch_.hidden_mask;
  const ConstMatrixView d_scores{grad_buffer.data(), n, cols, cols};
  std::vector<float>& d_bias = scratch_.d_bias;
  d_bias.resize(cols);
  MatrixView d_s = View(scratch_.d_s_buffer, n, hidden);
  matmul_.ABGathered(pool_, d_scores, View(params_.at(kOutputWeight)), scratch_.col_items, d_s);
  if (!hidden_mask.empty()) {
    for (int64_t i = 0; i < n * hidden; ++i) d_s.data[i] *= hidden_mask[i];
  }
  MatrixView d_cols = View(scratch_.d_cols_buffer, cols, hidden);
  matmul_.AtB(pool_, d_scores, View(scratch_.s_drop_buffer, n, hidden), d_cols);
  ColumnSums(grad_buffer.data(), n, cols, d_bias.data());
}

void Trainer::BackwardSessionGru(const StepShape& shape) {
  const int64_t n = shape.n;
  const int64_t hidden = config_.hidden_size;
  const int64_t embed = config_.InputEmbeddingSize(), inputs = config_.SessionInputSize();
  const std::vector<float>& embed_mask = scratch_.embed_mask;
  MatrixView d_x = View(scratch_.d_x_buffer, n, inputs);
  MatrixView d_s_in = View(scratch_.d_s_in_buffer, n, hidden);
  const GruWeightsRef session_w =
      GruWeights(kSessionGruWeightX, kSessionGruWeightH, kSessionGruBias);
  session_gru_.Backward(pool_, session_w, session_acts_, View(scratch_.d_s_buffer, n, hidden),
                        session_grads_, &d_x, shape.init_trained ? &d_s_in : nullptr);
  if (!embed_mask.empty()) {
    for (int64_t r = 0; r < n; ++r) {
      for (int64_t k = 0; k < embed; ++k) d_x.row(r)[k] *= embed_mask[r * embed + k];
    }
  }
}

void Trainer::BackwardInitAndUser(const StepShape& shape) {
  if (!shape.init_trained) return;
  const int64_t n = shape.n, ns = shape.starts, nf = shape.folds;
  const int64_t hidden = config_.hidden_size, user_hidden = config_.user_hidden_size;
  const int64_t embed = config_.InputEmbeddingSize(), inputs = config_.SessionInputSize();
  const std::vector<int64_t>& fold_rows = scratch_.fold_rows;
  const std::vector<int64_t>& start_rows = scratch_.start_rows;
  const std::vector<float>& init_mask = scratch_.init_mask;
  const std::vector<float>& s0 = scratch_.s0;
  const ConstMatrixView d_x = View(scratch_.d_x_buffer, n, inputs);
  const ConstMatrixView d_s_in = View(scratch_.d_s_in_buffer, n, hidden);
  MatrixView d_a0 = View(scratch_.d_a0_buffer, ns, hidden);
  for (int64_t j = 0; j < ns; ++j) {
    const float* ds = d_s_in.row(start_rows[j]);
    const float* s = s0.data() + j * hidden;
    for (int64_t k = 0; k < hidden; ++k) {
      const float mask = init_mask.empty() ? 1.0f : init_mask[j * hidden + k];
      d_a0.row(j)[k] = ds[k] * mask * (1.0f - s[k] * s[k]);
    }
  }
  MatrixView d_c = View(scratch_.d_c_buffer, ns, user_hidden);
  matmul_.AB(pool_, d_a0, View(params_.at(kSessionInitWeight)), d_c);
  Tensor d_init_w({hidden, user_hidden}), d_init_b({hidden});
  matmul_.AtB(pool_, d_a0, {scratch_.c_start.data(), ns, user_hidden, user_hidden},
              {d_init_w.values.data(), hidden, user_hidden, user_hidden});
  ColumnSums(d_a0.data, ns, hidden, d_init_b.values.data());
  if (config_.mode == ModelMode::kHrnnAll) {  // c also entered the session GRU's input.
    for (int64_t j = 0; j < ns; ++j) {
      const float* dxc = d_x.row(start_rows[j]) + embed;
      for (int64_t k = 0; k < user_hidden; ++k) d_c.row(j)[k] += dxc[k];
    }
  }
  ApplyDense(kSessionInitWeight, d_init_w);
  ApplyDense(kSessionInitBias, d_init_b);
  if (nf == 0) return;
  // fold_rows is a subset of start_rows, both in row order.
  MatrixView d_c_new = View(scratch_.d_c_new_buffer, nf, user_hidden);
  for (int64_t j = 0, k = 0; j < ns && k < nf; ++j) {
    if (start_rows[j] == fold_rows[k]) std::copy_n(d_c.row(j), user_hidden, d_c_new.row(k++));
  }
  const GruWeightsRef session_w =
      GruWeights(kSessionGruWeightX, kSessionGruWeightH, kSessionGruBias);
  const GruWeightsRef user_w = GruWeights(kUserGruWeightX, kUserGruWeightH, kUserGruBias);
  // The user GRU's input was the finished session's state after its last click, stepped this
  // step with the current session GRU: back through that step too.
  MatrixView d_s_final = View(scratch_.d_s_final_buffer, nf, hidden);
  user_gru_.Backward(pool_, user_w, user_acts_, d_c_new, user_grads_, &d_s_final, nullptr);
  MatrixView d_x_fold = View(scratch_.d_x_fold_buffer, nf, inputs);
  fold_gru_.Backward(pool_, session_w, fold_acts_, d_s_final, fold_grads_, &d_x_fold, nullptr);
  for (auto [total, part] : {std::pair{&session_grads_.weight_x, &fold_grads_.weight_x},
                             std::pair{&session_grads_.weight_h, &fold_grads_.weight_h},
                             std::pair{&session_grads_.bias, &fold_grads_.bias}}) {
    for (size_t i = 0; i < total->values.size(); ++i) total->values[i] += part->values[i];
  }
  ApplyDense(kUserGruWeightX, user_grads_.weight_x);
  ApplyDense(kUserGruWeightH, user_grads_.weight_h);
  ApplyDense(kUserGruBias, user_grads_.bias);
}

void Trainer::ApplySessionGruGradients() {
  ApplyDense(kSessionGruWeightX, session_grads_.weight_x);
  ApplyDense(kSessionGruWeightH, session_grads_.weight_h);
  ApplyDense(kSessionGruBias, session_grads_.bias);
}

void Trainer::ApplySparseGradients(const StepRows& rows, const StepShape& shape) {
  const int64_t n = rows.n, cols = shape.cols, nf = shape.folds;
  const int64_t hidden = config_.hidden_size;
  const int64_t embed = config_.InputEmbeddingSize(), inputs = config_.SessionInputSize();
  const ConstMatrixView d_cols = View(scratch_.d_cols_buffer, cols, hidden);
  const ConstMatrixView d_x = View(scratch_.d_x_buffer, n, inputs);
  std::vector<SparseContribution>& contributions = scratch_.contributions;
  contributions.clear();
  for (int64_t j = 0; j < cols; ++j) {
    contributions.push_back({scratch_.col_items[j], d_cols.row(j), &scratch_.d_bias[j]});
  }
  // Input embeddings: this step's inputs, and the last clicks stepped to fold sessions.
  auto add_input_contributions = [&] {
    for (int64_t r = 0; r < n; ++r) contributions.push_back({rows.input_item[r], d_x.row(r)});
    if (shape.init_trained && nf > 0) {
      for (int64_t j = 0; j < nf; ++j) {
        contributions.push_back(
            {rows.fold_item[scratch_.fold_rows[j]], scratch_.d_x_fold_buffer.data() + j * inputs});
      }
    }
  };
  if (config_.embedding_size == 0) add_input_contributions();  // Constrained: output rows.
  ApplySparse(kOutputWeight, kOutputBias, hidden, contributions);
  if (config_.embedding_size > 0) {
    contributions.clear();
    add_input_contributions();
    ApplySparse(kItemEmbedding, nullptr, embed, contributions);
  }
}

EpochStats Trainer::TrainEpoch(const std::function<void(const TrainProgress&)>& progress,
                               const std::atomic<bool>* cancel) {
  EpochStats stats;
  stats.epoch = epochs_done_ + 1;
  BatchIterator batches(train_, options_.batch_size, config_.mode == ModelMode::kSessionOnly,
                        options_.seed + 1000003ull * static_cast<uint64_t>(stats.epoch),
                        options_.order);
  const Clock::time_point start = Clock::now();
  Clock::time_point last_report = start;
  double loss_sum = 0;
  StepRows rows;
  while (batches.Next(rows)) {
    loss_sum += Step(rows) * static_cast<double>(rows.n);
    stats.pairs += rows.n;
    if (cancel != nullptr && cancel->load(std::memory_order_relaxed)) {
      stats.cancelled = true;
      break;
    }
    const Clock::time_point now = Clock::now();
    if (progress && now - last_report > std::chrono::milliseconds(500)) {
      last_report = now;
      progress({stats.epoch, stats.pairs, batches.PairsPerEpoch(), loss_sum / stats.pairs,
                std::chrono::duration<double>(now - start).count()});
    }
  }
  stats.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  stats.mean_loss = stats.pairs > 0 ? loss_sum / stats.pairs : 0;
  if (!stats.cancelled) ++epochs_done_;
  return stats;
}

absl::StatusOr<std::shared_ptr<const Model>> Trainer::ExportModel(
    const ModelConfig& provenance) const {
  ModelConfig config = provenance;
  config.mode = config_.mode;
  config.num_items = config_.num_items;
  config.hidden_size = config_.hidden_size;
  config.user_hidden_size = config_.user_hidden_size;
  config.embedding_size = config_.embedding_size;
  if (config.loss.empty()) config.loss = config_.loss;
  HRNN_ASSIGN_OR_RETURN(ItemVocabulary items,
                        ItemVocabulary::Create(train_.item_ids, train_.item_counts));
  return Model::Create(std::move(config), params_, std::move(items));
}

}  // namespace hrnn
