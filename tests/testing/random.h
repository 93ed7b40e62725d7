// Seeded random vectors and tolerance helpers shared by the core tests. Not thread-safe.
#ifndef HRNN_TESTS_TESTING_RANDOM_H_
#define HRNN_TESTS_TESTING_RANDOM_H_

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace hrnn::testing {

inline std::vector<float> RandomVector(size_t n, uint64_t seed, float scale = 1.0f) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> dist(-scale, scale);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

// Asserts |a[i] - b[i]| <= abs_tol + rel_tol * |b[i]| for every i, printing the first mismatch.
inline void ExpectAllNear(const std::vector<float>& actual, const std::vector<float>& expected,
                          float abs_tol, float rel_tol = 0.0f) {
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < actual.size(); ++i) {
    const float tol = abs_tol + rel_tol * std::fabs(expected[i]);
    if (!(std::fabs(actual[i] - expected[i]) <= tol)) {
      ADD_FAILURE() << "element " << i << ": actual " << actual[i] << " expected " << expected[i]
                    << " (tolerance " << tol << ")";
      return;
    }
  }
}

}  // namespace hrnn::testing

#endif  // HRNN_TESTS_TESTING_RANDOM_H_
