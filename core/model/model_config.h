// ModelConfig: the architecture and provenance of a trained model, stored as config.json in a
// model directory (DESIGN §4). A plain value type; safe for concurrent reads.
#ifndef HRNN_CORE_MODEL_MODEL_CONFIG_H_
#define HRNN_CORE_MODEL_MODEL_CONFIG_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hrnn {

// Which network the weights describe (DESIGN §2).
enum class ModelMode {
  kSessionOnly,  // GRU4Rec: every session starts from a zero state; no user level.
  kHrnnInit,     // The user state initialises each session: s0 = tanh(W_init c + b_init).
  kHrnnAll,      // HRNN-Init, and c is also an input of the session GRU at every step.
};

// "session", "hrnn-init", "hrnn-all" (the --mode names of hrnn-train).
absl::string_view ModelModeName(ModelMode mode);
absl::StatusOr<ModelMode> ParseModelMode(absl::string_view name);

struct ModelConfig {
  // Default: kHrnnInit.
  ModelMode mode = ModelMode::kHrnnInit;
  // Number of items N; item indices are 0..N-1. Default: 0 (invalid; must be set).
  int64_t num_items = 0;
  // Session GRU hidden size H. Default: 100.
  int hidden_size = 100;
  // User GRU hidden size Hu (ignored in session-only mode). Default: 100.
  int user_hidden_size = 100;
  // Size E of the separate input embedding table; 0 means "constrained": the input embedding of
  // item i is row i of the output table (then E = H). Default: 0.
  int embedding_size = 0;

  // Provenance, free-form but typed: the loss name, the training flags, the training data
  // fingerprint, training metrics. None of it affects inference.
  std::string loss;                             // Default: "" (unknown).
  std::string data_fingerprint;                 // Default: "".
  std::string created_at;                       // RFC 3339. Default: "".
  std::map<std::string, std::string> training;  // Flag name -> value. Default: empty.
  std::map<std::string, double> metrics;        // Metric name -> value. Default: empty.

  // Width of the session GRU input: E (or H when constrained), plus Hu in HRNN-All mode.
  int SessionInputSize() const;
  // The input embedding width: embedding_size, or hidden_size when constrained.
  int InputEmbeddingSize() const { return embedding_size > 0 ? embedding_size : hidden_size; }
  bool HasUserLevel() const { return mode != ModelMode::kSessionOnly; }

  // OK when every dimension is positive and within sane bounds (H, Hu, E <= 4096;
  // N <= 2^31 - 1). The error names the field.
  absl::Status Validate() const;

  bool operator==(const ModelConfig& other) const = default;
};

}  // namespace hrnn

#endif  // HRNN_CORE_MODEL_MODEL_CONFIG_H_
