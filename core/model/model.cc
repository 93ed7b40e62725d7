#include "core/model/model.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <random>
#include <utility>

#include "absl/strings/str_cat.h"

namespace hrnn {
namespace {

// A uniform float in [-scale, scale) from one 64-bit draw (24 random mantissa bits).
float UniformSymmetric(std::mt19937_64& rng, float scale) {
  const float unit = static_cast<float>(rng() >> 40) * (1.0f / 16777216.0f);  // [0, 1)
  return (2.0f * unit - 1.0f) * scale;
}

}  // namespace

std::map<std::string, std::vector<int64_t>> ExpectedTensorShapes(const ModelConfig& config) {
  const int64_t n = config.num_items;
  const int64_t h = config.hidden_size;
  const int64_t hu = config.user_hidden_size;
  std::map<std::string, std::vector<int64_t>> shapes;
  if (config.embedding_size > 0) shapes[kItemEmbedding] = {n, config.embedding_size};
  shapes[kSessionGruWeightX] = {3 * h, config.SessionInputSize()};
  shapes[kSessionGruWeightH] = {3 * h, h};
  shapes[kSessionGruBias] = {3 * h};
  if (config.HasUserLevel()) {
    shapes[kUserGruWeightX] = {3 * hu, h};
    shapes[kUserGruWeightH] = {3 * hu, hu};
    shapes[kUserGruBias] = {3 * hu};
    shapes[kSessionInitWeight] = {h, hu};
    shapes[kSessionInitBias] = {h};
  }
  shapes[kOutputWeight] = {n, h};
  shapes[kOutputBias] = {n};
  return shapes;
}

absl::StatusOr<std::shared_ptr<const Model>> Model::Create(ModelConfig config, TensorMap tensors,
                                                           ItemVocabulary items) {
  if (absl::Status s = config.Validate(); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("invalid model config: ", s.message()));
  }
  const std::map<std::string, std::vector<int64_t>> expected = ExpectedTensorShapes(config);
  for (const auto& [name, shape] : expected) {
    if (!tensors.contains(name)) {
      return absl::InvalidArgumentError(
          absl::StrCat("missing tensor \"", name, "\" (expected shape ", ShapeToString(shape),
                       " for mode ", ModelModeName(config.mode), ")"));
    }
  }
  for (const auto& [name, tensor] : tensors) {
    const auto it = expected.find(name);
    if (it == expected.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("unexpected tensor \"", name, "\" for mode ", ModelModeName(config.mode),
                       config.embedding_size > 0 ? " with a separate embedding"
                                                 : " with constrained embedding"));
    }
    if (tensor.shape != it->second) {
      return absl::InvalidArgumentError(
          absl::StrCat("tensor \"", name, "\" has shape ", ShapeToString(tensor.shape),
                       ", expected ", ShapeToString(it->second), " from the config"));
    }
    if (static_cast<int64_t>(tensor.values.size()) != tensor.NumElements()) {
      return absl::InvalidArgumentError(
          absl::StrCat("tensor \"", name, "\" has ", tensor.values.size(), " values, its shape ",
                       ShapeToString(tensor.shape), " needs ", tensor.NumElements()));
    }
    const auto bad = std::find_if(tensor.values.begin(), tensor.values.end(),
                                  [](float v) { return !std::isfinite(v); });
    if (bad != tensor.values.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("tensor \"", name, "\" has a non-finite value (", *bad, ") at flat index ",
                       bad - tensor.values.begin()));
    }
  }
  if (items.size() != config.num_items) {
    return absl::InvalidArgumentError(absl::StrCat("item vocabulary has ", items.size(),
                                                   " items, but config.num_items is ",
                                                   config.num_items));
  }
  return std::shared_ptr<const Model>(
      new Model(std::move(config), std::move(tensors), std::move(items)));
}

std::shared_ptr<const Model> Model::CreateRandom(const ModelConfig& config, uint64_t seed) {
  if (!config.Validate().ok()) return nullptr;
  std::mt19937_64 rng(seed);
  TensorMap tensors;
  for (const auto& [name, shape] : ExpectedTensorShapes(config)) {
    Tensor tensor(shape);
    // Matrices: uniform in +-1/sqrt(fan_in) (fan_in = columns); biases: small, +-0.01.
    const float scale = shape.size() == 2
                            ? 1.0f / std::sqrt(static_cast<float>(std::max<int64_t>(1, shape[1])))
                            : 0.01f;
    for (float& v : tensor.values) v = UniformSymmetric(rng, scale);
    tensors.emplace(name, std::move(tensor));
  }
  std::vector<std::string> ids;
  std::vector<int64_t> popularity;
  const int64_t n = config.num_items;
  ids.reserve(n);
  popularity.reserve(n);
  for (int64_t i = 0; i < n; ++i) {
    ids.push_back(absl::StrCat("item-", i));
    popularity.push_back(std::max<int64_t>(1, 1000000 / (i + 1)));  // Zipf, exponent 1.
  }
  absl::StatusOr<ItemVocabulary> items =
      ItemVocabulary::Create(std::move(ids), std::move(popularity));
  assert(items.ok());
  absl::StatusOr<std::shared_ptr<const Model>> model =
      Create(config, std::move(tensors), *std::move(items));
  assert(model.ok());
  return model.ok() ? *std::move(model) : nullptr;
}

}  // namespace hrnn
