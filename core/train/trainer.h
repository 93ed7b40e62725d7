// Trainer: learns HRNN (or session-only GRU4Rec) weights from a Dataset with user-parallel
// mini-batches, one-step gradients through carried states, sampled-negative ranking losses and
// Adagrad (+ momentum) with sparse row updates (DESIGN §2). Deterministic for a fixed seed,
// data and thread count. Not thread-safe: one thread drives a Trainer (it uses its own pool).
#ifndef HRNN_CORE_TRAIN_TRAINER_H_
#define HRNN_CORE_TRAIN_TRAINER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <vector>

#include "absl/status/statusor.h"
#include "core/data/dataset.h"
#include "core/model/model.h"
#include "core/train/batch_iterator.h"
#include "core/train/gru_layer.h"
#include "core/train/matmul.h"
#include "core/train/negative_sampler.h"
#include "core/train/thread_pool.h"
#include "core/train/train_options.h"

namespace hrnn {

struct EpochStats {
  int epoch = 0;
  int64_t pairs = 0;       // Training pairs processed.
  double mean_loss = 0;    // Mean loss per pair.
  double seconds = 0;      // Wall time.
  bool cancelled = false;  // Stopped early by the cancel flag.
  double PairsPerSecond() const { return seconds > 0 ? pairs / seconds : 0; }
};

struct TrainProgress {
  int epoch = 0;
  int64_t pairs_done = 0;
  int64_t pairs_total = 0;
  double mean_loss = 0;  // Over this epoch so far.
  double seconds = 0;    // Since the epoch started.
};

class Trainer {
 public:
  // Validates options against the data. `train` must outlive the trainer. Errors:
  // InvalidArgument for bad options, or a dataset without items or training pairs.
  static absl::StatusOr<std::unique_ptr<Trainer>> Create(const Dataset& train,
                                                         const TrainOptions& options);

  // One pass over the data. `progress` (may be empty) is called about every 0.5 s;
  // `cancel` (may be null) is polled every step and stops the epoch early.
  EpochStats TrainEpoch(const std::function<void(const TrainProgress&)>& progress,
                        const std::atomic<bool>* cancel);

  // The current weights as an immutable Model (items = the dataset's vocabulary and counts).
  // `provenance` supplies loss/fingerprint/training/metrics fields; dimensions come from the
  // trainer.
  absl::StatusOr<std::shared_ptr<const Model>> ExportModel(const ModelConfig& provenance) const;

  const ModelConfig& config() const { return config_; }
  int epochs_done() const { return epochs_done_; }

  // One step on explicit rows (for tests): returns the mean loss. The slot state is updated.
  double Step(const StepRows& rows);

  // The parameters, for gradient tests. Names as in core/model/model.h.
  TensorMap& parameters() { return params_; }
  // Testing hook: while `sink` is set, Step() adds every parameter gradient into (*sink)[name]
  // (created as zeros of the parameter's shape) and leaves the parameters unchanged.
  void CaptureGradientsForTesting(TensorMap* sink) { capture_ = sink; }
  // The carried per-slot states: [B, H] session then [B, Hu] user, to save and restore in tests.
  std::pair<std::vector<float>, std::vector<float>> SlotStates() const {
    return {slot_session_, slot_user_};
  }
  void SetSlotStates(std::pair<std::vector<float>, std::vector<float>> states) {
    slot_session_ = std::move(states.first);
    slot_user_ = std::move(states.second);
  }

 private:
  Trainer(const Dataset& train, const TrainOptions& options, ModelConfig config,
          NegativeSampler sampler);
  void InitializeParameters();
  // One row's gradient for a sparse update: `row` has the tensor's width; `bias`, if not null,
  // is the gradient of the item's output bias.
  struct SparseContribution {
    int32_t item;
    const float* row;
    const float* bias = nullptr;
  };
  // Adagrad on a dense tensor.
  void ApplyDense(const std::string& name, const Tensor& gradient);
  // Sums the contributions per item and applies Adagrad to each touched row of `rows_name`
  // (and element of `bias_name` when not null), rows split over the pool.
  void ApplySparse(const char* rows_name, const char* bias_name, int64_t width,
                   absl::Span<const SparseContribution> contributions);
  // Fills `mask` (size n * width) with inverted-dropout factors, or leaves it empty when p = 0.
  void DropoutMask(float p, int64_t size, std::vector<float>& mask);
  const float* EmbeddingRow(int32_t item) const;
  // The GRU weight tensors of one level (session or user), by tensor name.
  GruWeightsRef GruWeights(const char* weight_x, const char* weight_h, const char* bias) const;

  // Step()'s phases, in the order it calls them. Each reads what the earlier ones left in
  // scratch_ and the slot states; StepShape carries the step's sizes between them.
  struct StepShape {
    int64_t n = 0;              // Rows (one training pair each).
    int64_t cols = 0;           // Score columns: the n targets, then the n_sample samples.
    int64_t folds = 0;          // Rows folding a finished session into c (scratch_.fold_rows).
    int64_t starts = 0;         // Rows starting a session (scratch_.start_rows).
    bool init_trained = false;  // A user level and session starts: the init layer learns.
  };
  // Row r's carried session state [H] and user state [Hu], in its slot.
  float* SlotSession(const StepRows& rows, int64_t r);
  float* SlotUser(const StepRows& rows, int64_t r);
  // Writes [e(item); c] for row r into `x` (c only in HRNN-All).
  void AssembleInput(const StepRows& rows, int64_t r, int32_t item, float* x);
  // 0. Zeroes the session and user state of the slots that a new user takes.
  void ResetNewUsers(const StepRows& rows);
  // 1. Finds the fold and start rows; for sessions that ended, steps their last click, then
  //    folds them into c (forward only for the session GRU; the user GRU keeps its activations
  //    for the backward pass). Returns the step's shape.
  StepShape FoldFinishedSessions(const StepRows& rows);
  // 2. The incoming session state: s0 = init(c) (with dropout) at a session start, else carried.
  void StartSessions(const StepRows& rows, const StepShape& shape);
  // 3. Session GRU step on [e(input); c], with embedding and hidden dropout.
  void ForwardSessionStep(const StepRows& rows);
  // 3b. Advances the slots: each carries its row's dropped-out new session state.
  void CarrySessionStates(const StepRows& rows);
  // 4. Scores over the columns and the loss with its gradient; returns the mean loss.
  double ScoreAndLoss(const StepRows& rows, const StepShape& shape);
  // 5. Backward through the output layer.
  void BackwardOutput(const StepShape& shape);
  // 6. Backward through the session GRU.
  void BackwardSessionGru(const StepShape& shape);
  // 7. Through s0 = tanh(W_init c + b) into the init weights and the user GRU (and the fold
  //    steps of the session GRU), applying the init and user GRU updates.
  void BackwardInitAndUser(const StepShape& shape);
  // 7b. Applies the session GRU's dense update.
  void ApplySessionGruGradients();
  // 8. Sparse rows: output rows and biases of the columns, and the input embeddings.
  void ApplySparseGradients(const StepRows& rows, const StepShape& shape);

  const Dataset& train_;
  const TrainOptions options_;
  const ModelConfig config_;
  NegativeSampler sampler_;
  ThreadPool pool_;
  std::mt19937_64 dropout_rng_;
  int epochs_done_ = 0;
  TensorMap* capture_ = nullptr;
  // Returns the capture tensor of parameter `name`, creating it as zeros.
  Tensor& CaptureTensor(const std::string& name);

  TensorMap params_;
  struct OptimizerState {
    Tensor accumulator;
    Tensor velocity;  // Empty without momentum.
  };
  std::map<std::string, OptimizerState> optimizer_;

  // Per-slot carried state.
  std::vector<float> slot_session_;  // [B, H]
  std::vector<float> slot_user_;     // [B, Hu]

  // Workspaces reused across steps.
  MatMul matmul_;
  GruLayer session_gru_, user_gru_, fold_gru_;
  GruActivations session_acts_, user_acts_, fold_acts_;
  GruGradients session_grads_, user_grads_, fold_grads_;
  std::vector<float> log_q_items_;     // log P(item drawn as a sample)
  std::vector<float> log_pop_items_;   // log (popularity / total): the in-batch targets' q
  std::vector<int32_t> sparse_index_;  // item -> row in the sparse gradient buffer, or -1
  // Step() buffers, kept across steps so that steady-state steps allocate nothing.
  struct Scratch {
    std::vector<int64_t> fold_rows, start_rows;
    std::vector<float> x_fold, s_fold, c_prev, c_new, s_in_buffer, c_start, s0, init_mask, x_buffer,
        s_out_buffer, embed_mask, hidden_mask, s_drop_buffer, col_bias, log_q, scores_buffer,
        grad_buffer, d_s_buffer, d_cols_buffer, d_bias, d_x_buffer, d_s_in_buffer, d_a0_buffer,
        d_c_buffer, d_c_new_buffer, row_grads, d_s_final_buffer, d_x_fold_buffer;
    std::vector<int32_t> col_items, targets, touched, group_start, grouped, slot_of, fill;
    std::vector<SparseContribution> contributions;
    std::vector<uint8_t> same_item;
  } scratch_;
};

}  // namespace hrnn

#endif  // HRNN_CORE_TRAIN_TRAINER_H_
