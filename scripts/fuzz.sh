#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang (ASan + UBSan) and runs each on its seed
# corpus (tests/fuzz/corpus/<target>/; new inputs go to build-fuzz/corpus/<target>/, crashes to
# build-fuzz/crashes/). Exits non-zero when a target finds a crash, leak or timeout.
# Usage: scripts/fuzz.sh [--seconds=600] [--parallel=2] [TARGET...]
#   --seconds   run time per target (default 600: the issue's 10 minutes; 20 is a smoke run)
#   --parallel  targets run at once (default 2, one per core)
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_TARGET=600
PARALLEL=2
TARGETS=()
for arg in "$@"; do
  case "$arg" in
    --seconds=*) SECONDS_PER_TARGET="${arg#*=}" ;;
    --parallel=*) PARALLEL="${arg#*=}" ;;
    -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $arg" >&2; exit 2 ;;
    *) TARGETS+=("$arg") ;;
  esac
done
if [ ${#TARGETS[@]} -eq 0 ]; then
  for f in tests/fuzz/*_fuzzer.cc; do TARGETS+=("$(basename "$f" .cc)"); done
fi

if ! command -v clang++ >/dev/null; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -o DPkg::Lock::Timeout=600
  $SUDO apt-get install -y -o DPkg::Lock::Timeout=600 --no-install-recommends clang
fi

cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DHRNN_FUZZ=ON -DHRNN_BUILD_TESTS=OFF -DHRNN_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build build-fuzz -j "${JOBS:-$(nproc)}" --target "${TARGETS[@]}"

mkdir -p build-fuzz/crashes build-fuzz/logs
run() {
  local target=$1
  mkdir -p "build-fuzz/corpus/$target"
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    "build-fuzz/bin/$target" "build-fuzz/corpus/$target" "tests/fuzz/corpus/$target" \
    -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -artifact_prefix="build-fuzz/crashes/$target-" -print_final_stats=1 \
    > "build-fuzz/logs/$target.log" 2>&1
}
failed=0
pids=()
names=()
for target in "${TARGETS[@]}"; do
  run "$target" & pids+=($!); names+=("$target")
  if [ ${#pids[@]} -ge "$PARALLEL" ]; then
    if ! wait "${pids[0]}"; then echo "fuzz: ${names[0]} FAILED (build-fuzz/logs/${names[0]}.log)"; failed=1;
    else echo "fuzz: ${names[0]} ok: $(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "build-fuzz/logs/${names[0]}.log" | grep -o '[0-9]*$') runs"; fi
    pids=("${pids[@]:1}"); names=("${names[@]:1}")
  fi
done
for i in "${!pids[@]}"; do
  if ! wait "${pids[$i]}"; then echo "fuzz: ${names[$i]} FAILED (build-fuzz/logs/${names[$i]}.log)"; failed=1;
  else echo "fuzz: ${names[$i]} ok: $(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "build-fuzz/logs/${names[$i]}.log" | grep -o '[0-9]*$') runs"; fi
done
exit "$failed"
