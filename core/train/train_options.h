// TrainOptions: every knob of hrnn-train's learning (DESIGN §2), as a plain validated struct.
// A plain value type.
#ifndef HRNN_CORE_TRAIN_TRAIN_OPTIONS_H_
#define HRNN_CORE_TRAIN_TRAIN_OPTIONS_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/status.h"
#include "core/model/model_config.h"
#include "core/train/batch_iterator.h"
#include "core/train/losses.h"

namespace hrnn {

struct TrainOptions {
  // Default: kHrnnInit.
  ModelMode mode = ModelMode::kHrnnInit;
  // Loss and its parameters. Default: cross-entropy with logQ correction.
  LossOptions loss;
  // Session GRU size H. Default: 100.
  int hidden_size = 100;
  // User GRU size Hu. Default: 100.
  int user_hidden_size = 100;
  // Separate input embedding size E; 0 = constrained (input embedding = output row). Default: 0.
  int embedding_size = 0;
  // Passes over the training data. Default: 10.
  int epochs = 10;
  // Mini-batch size B (parallel users or sessions). Default: 32.
  int batch_size = 32;
  // Shared extra negatives per mini-batch, drawn ∝ popularity^sample_alpha. Default: 2048.
  int n_sample = 2048;
  // Default: 0.5.
  float sample_alpha = 0.5f;
  // Adagrad learning rate. Default: 0.05.
  float learning_rate = 0.05f;
  // Momentum on the Adagrad step (0 = plain Adagrad). Default: 0.
  float momentum = 0.0f;
  // Adagrad epsilon. Default: 1e-6.
  float adagrad_epsilon = 1e-6f;
  // Dropout probabilities (inverted dropout, training only). Defaults: 0.
  float dropout_embedding = 0.0f;  // On the session GRU's item input.
  float dropout_hidden = 0.0f;     // On the session state before the output layer.
  float dropout_init = 0.0f;       // On the user-to-session initial state.
  // Order in which users (sessions in session mode) are visited each epoch: random (seeded,
  // reshuffled per epoch) or by time of their first click, as the official GRU4Rec does.
  // Default: kRandom.
  UnitOrder order = UnitOrder::kRandom;
  // Seed of every random choice (initial weights, user order, negatives, dropout). Default: 42.
  uint64_t seed = 42;
  // Worker threads (results are identical for a fixed count). Default: 1.
  int threads = 1;

  // OK when every field is in range; the error names the flag.
  absl::Status Validate() const;
  // Flag name -> value, recorded in config.json's "training".
  std::map<std::string, std::string> ToMap() const;
};

}  // namespace hrnn

#endif  // HRNN_CORE_TRAIN_TRAIN_OPTIONS_H_
