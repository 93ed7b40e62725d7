// Model: a trained HRNN's configuration, weights and item vocabulary, as read from or written to
// a model directory. Defines the tensor names and shapes of weights.safetensors.
// Immutable after Create(); safe for concurrent reads (the server shares it as
// std::shared_ptr<const Model>).
#ifndef HRNN_CORE_MODEL_MODEL_H_
#define HRNN_CORE_MODEL_MODEL_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/model/item_vocabulary.h"
#include "core/model/model_config.h"
#include "core/model/tensor.h"

namespace hrnn {

// Tensor names in weights.safetensors. GRU matrices stack the gates in the order
// reset (r), update (z), candidate (h~): rows [0,H) are r, [H,2H) z, [2H,3H) h~.
//   item_embedding          [N, E]         only when config.embedding_size > 0
//   session_gru.weight_x    [3H, In]       In = config.SessionInputSize(); in HRNN-All the input
//                                          is [e(i); c], embedding first
//   session_gru.weight_h    [3H, H]
//   session_gru.bias        [3H]
//   user_gru.weight_x       [3Hu, H]       only with a user level (not session-only)
//   user_gru.weight_h       [3Hu, Hu]      idem
//   user_gru.bias           [3Hu]          idem
//   session_init.weight     [H, Hu]        idem
//   session_init.bias       [H]            idem
//   output.weight           [N, H]
//   output.bias             [N]
inline constexpr char kItemEmbedding[] = "item_embedding";
inline constexpr char kSessionGruWeightX[] = "session_gru.weight_x";
inline constexpr char kSessionGruWeightH[] = "session_gru.weight_h";
inline constexpr char kSessionGruBias[] = "session_gru.bias";
inline constexpr char kUserGruWeightX[] = "user_gru.weight_x";
inline constexpr char kUserGruWeightH[] = "user_gru.weight_h";
inline constexpr char kUserGruBias[] = "user_gru.bias";
inline constexpr char kSessionInitWeight[] = "session_init.weight";
inline constexpr char kSessionInitBias[] = "session_init.bias";
inline constexpr char kOutputWeight[] = "output.weight";
inline constexpr char kOutputBias[] = "output.bias";

// Name -> tensor, ordered by name (the order the writer uses).
using TensorMap = std::map<std::string, Tensor>;

// The names and shapes `config` requires, in a deterministic order.
std::map<std::string, std::vector<int64_t>> ExpectedTensorShapes(const ModelConfig& config);

class Model {
 public:
  // Validates and assembles a model. Errors (InvalidArgument, naming what is wrong): an invalid
  // config; a missing, unexpected or wrongly shaped tensor; a NaN or infinite value (names the
  // tensor and flat index); a vocabulary whose size differs from config.num_items.
  static absl::StatusOr<std::shared_ptr<const Model>> Create(ModelConfig config, TensorMap tensors,
                                                             ItemVocabulary items);

  // A model of the given shape with small seeded random weights, for tests and benchmarks:
  // matrices uniform in +-1/sqrt(columns), vectors in +-0.01; the same config and seed give the
  // same weights. Item ids are "item-0" .. "item-{N-1}" with Zipf-like popularity
  // max(1, 10^6 / (i + 1)). REQUIRES: config.Validate() is OK (else returns nullptr).
  static std::shared_ptr<const Model> CreateRandom(const ModelConfig& config, uint64_t seed);

  const ModelConfig& config() const { return config_; }
  const ItemVocabulary& items() const { return items_; }
  const TensorMap& tensors() const { return tensors_; }
  // REQUIRES: `name` is one of ExpectedTensorShapes(config()).
  const Tensor& tensor(const std::string& name) const { return tensors_.at(name); }

 private:
  Model(ModelConfig config, TensorMap tensors, ItemVocabulary items)
      : config_(std::move(config)), tensors_(std::move(tensors)), items_(std::move(items)) {}

  ModelConfig config_;
  TensorMap tensors_;
  ItemVocabulary items_;
};

}  // namespace hrnn

#endif  // HRNN_CORE_MODEL_MODEL_H_
