#include "core/recipes/sparse_scores.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstddef>

namespace hrnn {

SparseScores::SparseScores(int32_t num_items)
    : values_(static_cast<size_t>(std::max(num_items, 0)), 0.0f), is_touched_(values_.size(), 0) {}

void SparseScores::Add(int32_t item, float value) {
  assert(item >= 0 && item < num_items());
  assert(std::isfinite(value));
  if (is_touched_[item] == 0) {
    is_touched_[item] = 1;
    touched_.push_back(item);
  }
  values_[item] += value;
}

void SparseScores::Clear() {
  for (int32_t item : touched_) {
    values_[item] = 0.0f;
    is_touched_[item] = 0;
  }
  touched_.clear();
}

float SparseScores::Max() const {
  if (touched_.empty()) return 0.0f;
  float max = values_[touched_.front()];
  for (int32_t item : touched_) max = std::max(max, values_[item]);
  return max;
}

void SparseScores::NormalizeByMax() {
  const float max = Max();
  if (!(max > 0.0f) || !std::isfinite(max)) return;
  for (int32_t item : touched_) values_[item] /= max;
}

void SparseScores::AddTo(absl::Span<float> dense, float weight) const {
  assert(dense.size() == values_.size());
  for (int32_t item : touched_) dense[item] += weight * values_[item];
}

float NormalizeByMax(absl::Span<float> scores) {
  if (scores.empty()) return 1.0f;
  const float max = *std::max_element(scores.begin(), scores.end());
  if (!(max > 0.0f) || !std::isfinite(max)) return 1.0f;
  for (float& score : scores) score /= max;
  return max;
}

}  // namespace hrnn
