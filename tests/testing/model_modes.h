// Value-parameterised tests over the three model modes: the list to instantiate with and a test
// name for each ("session", "hrnn_init", "hrnn_all"). Header-only; stateless.
#ifndef HRNN_TESTS_TESTING_MODEL_MODES_H_
#define HRNN_TESTS_TESTING_MODEL_MODES_H_

#include <algorithm>
#include <string>

#include "core/model/model_config.h"
#include "gtest/gtest.h"

namespace hrnn::testing {

inline auto AllModelModes() {
  return ::testing::Values(ModelMode::kSessionOnly, ModelMode::kHrnnInit, ModelMode::kHrnnAll);
}

// INSTANTIATE_TEST_SUITE_P's name generator: the mode's name with '-' as '_'.
inline std::string ModelModeTestName(const ::testing::TestParamInfo<ModelMode>& info) {
  std::string name(ModelModeName(info.param));
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

}  // namespace hrnn::testing

#endif  // HRNN_TESTS_TESTING_MODEL_MODES_H_
