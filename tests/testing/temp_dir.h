// A fresh, empty directory per test: $HRNN_TEST_TMPDIR (set by CTest) or gtest's TempDir(),
// then <suite>.<test>. Not thread-safe; call from the test's thread.
#ifndef HRNN_TESTS_TESTING_TEMP_DIR_H_
#define HRNN_TESTS_TESTING_TEMP_DIR_H_

#include <cstdlib>
#include <filesystem>
#include <string>

#include "gtest/gtest.h"

namespace hrnn::testing {

inline std::filesystem::path FreshTestDir() {
  namespace fs = std::filesystem;
  const char* env = std::getenv("HRNN_TEST_TMPDIR");
  const fs::path base =
      env != nullptr && *env != '\0' ? fs::path(env) : fs::path(::testing::TempDir());
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = std::string(info->test_suite_name()) + "." + info->name();
  for (char& c : name) {
    if (c == '/') c = '_';
  }
  const fs::path dir = base / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

}  // namespace hrnn::testing

#endif  // HRNN_TESTS_TESTING_TEMP_DIR_H_
