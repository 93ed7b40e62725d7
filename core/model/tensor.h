// Tensor: a named-shape, row-major float32 array, the unit of weights.safetensors.
// A plain value type; not thread-safe for concurrent mutation, safe for concurrent reads.
#ifndef HRNN_CORE_MODEL_TENSOR_H_
#define HRNN_CORE_MODEL_TENSOR_H_

#include <cstdint>
#include <functional>
#include <numeric>
#include <string>
#include <vector>

namespace hrnn {

struct Tensor {
  std::vector<int64_t> shape;  // Outermost dimension first; empty means a scalar.
  std::vector<float> values;   // Row-major; values.size() == NumElements().

  Tensor() = default;
  explicit Tensor(std::vector<int64_t> shape_in)
      : shape(std::move(shape_in)), values(static_cast<size_t>(NumElements()), 0.0f) {}

  // Product of the dimensions (1 for a scalar).
  int64_t NumElements() const {
    return std::accumulate(shape.begin(), shape.end(), int64_t{1}, std::multiplies<>());
  }
  // REQUIRES: shape.size() == 2.
  int64_t rows() const { return shape[0]; }
  int64_t cols() const { return shape[1]; }
  const float* row(int64_t r) const { return values.data() + r * shape[1]; }
  float* row(int64_t r) { return values.data() + r * shape[1]; }

  bool operator==(const Tensor& other) const = default;
};

// "[3, 4]" for error messages.
std::string ShapeToString(const std::vector<int64_t>& shape);

}  // namespace hrnn

#endif  // HRNN_CORE_MODEL_TENSOR_H_
