#!/usr/bin/env bash
# Sets up, builds and runs every test: the format check (clang-format), the normal build, clang's
# thread-safety analysis over core/ and server/, the unit and integration tests (with a smoke run
# of each benchmark), the deployment checks (3 replicas behind nginx, manifests, the Python client, the Docker
# image), an AddressSanitizer + UndefinedBehaviorSanitizer build of the tests, a 20-second
# smoke run of each libFuzzer target (scripts/fuzz.sh, clang), and a ThreadSanitizer build of
# the server tests (integration tests with concurrent clients).
# Usage: scripts/test.sh            (build dirs: build/, build-asan/, build-fuzz/, build-tsan/)
#        SKIP_ASAN=1 SKIP_FUZZ=1 SKIP_TSAN=1 SKIP_DEPLOY=1 SKIP_CONTAINER=1 scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

JOBS="${JOBS:-$(nproc)}"
bash scripts/setup.sh

echo "== format check (clang-format --dry-run -Werror over every C++ file of ours)"
bash scripts/format_check.sh

echo "== build (RelWithDebInfo)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j "$JOBS"

echo "== thread-safety check (clang -fsyntax-only -Wthread-safety -Werror over core/, server/)"
JOBS="$JOBS" bash scripts/thread_safety_check.sh build

echo "== tests"
(cd build && ctest --output-on-failure -j "$JOBS")

echo "== benchmark smoke run (every benchmark but the 1M-item ones, a few iterations each;"
echo "   the measured figures are in docs/benchmarks.md)"
for bench in build/bin/*_benchmark; do
  out=$("$bench" --benchmark_filter=-N:1000000 --benchmark_min_time=0.001 2>&1)
  if echo "$out" | grep -q "Failed to match"; then
    echo "$out"; echo "smoke run of $bench matched no benchmark"; exit 1
  fi
  echo "ok $(basename "$bench"): $(echo "$out" | grep -c '^[A-Za-z].*[0-9] ns') benchmarks"
done

if [ "${SKIP_DEPLOY:-0}" != "1" ]; then
  echo "== deployment checks: routing by user across 3 replicas, manifests, Python and Node clients, retraining gate, web console, a simulated-storefront A/B test"
  bash scripts/routing-test.sh
  bash scripts/validate-manifests.sh
  bash scripts/python-client-test.sh
  bash scripts/retrain-test.sh
  bash scripts/console-test.sh
  bash scripts/node-client-test.sh
  bash scripts/ab-test.sh
  if [ "${SKIP_CONTAINER:-0}" != "1" ]; then
    echo "== the Docker image, built and run (skips with a reason where no engine can run)"
    bash scripts/container-test.sh
  fi
fi

if [ "${SKIP_ASAN:-0}" != "1" ]; then
  echo "== tests under ASan + UBSan"
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DHRNN_SANITIZE=ON \
    -DHRNN_BUILD_BENCHMARKS=OFF -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g"
  cmake --build build-asan -j "$JOBS"
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
     UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j "$JOBS")
fi
if [ "${SKIP_FUZZ:-0}" != "1" ]; then
  echo "== fuzz smoke run: each libFuzzer target for 20 s (the long runs: scripts/fuzz.sh)"
  JOBS="$JOBS" bash scripts/fuzz.sh --seconds=20 --parallel=2
fi
if [ "${SKIP_TSAN:-0}" != "1" ]; then
  echo "== server tests under ThreadSanitizer"
  cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DHRNN_TSAN=ON \
    -DHRNN_BUILD_BENCHMARKS=OFF -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g"
  cmake --build build-tsan -j "$JOBS" --target hrnn_server_tests
  TSAN_OPTIONS="halt_on_error=1 history_size=7 second_deadlock_stack=1 suppressions=$PWD/tests/tsan.supp" \
    HRNN_TEST_TMPDIR="$PWD/build-tsan/tmp" build-tsan/bin/hrnn_server_tests
fi
echo "== all tests passed"
