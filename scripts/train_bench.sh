#!/usr/bin/env bash
# Measures hrnn-train throughput (training pairs/s) at the issue's settings — H = 100, batch 32,
# n_sample 2048, cross-entropy — on the YooChoose sample (when ../shared/data has it) and on
# 1M synthetic events with ~20k items, next to a baseline run in the same script: the same
# trainer forced to the scalar kernels (HRNN_SIMD=scalar) on one thread. Then the same synthetic
# epoch with 1 and 2 threads next to one busy-looping process (a shared CI runner or Kubernetes
# node): 2 threads should not fall below 1 (issue 15).
# Usage: scripts/train_bench.sh [BUILD_DIR]   (default build-release, built here in Release)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${1:-build-release}"
if [ ! -x "$BUILD/bin/hrnn-train" ]; then
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DHRNN_BUILD_TESTS=OFF \
    -DHRNN_BUILD_BENCHMARKS=OFF >/dev/null
  cmake --build "$BUILD" --target hrnn-train hrnn-synth >/dev/null
fi
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
COMMON=(--hidden=100 --batch=32 --n_sample=2048 --loss=xe --checkpoints=false --recipes=hrnn)

# Peak RSS needs GNU time (Debian package "time"); without it the column says "n/a".
TIME=()
if [ -x /usr/bin/time ]; then TIME=(/usr/bin/time -f "%M"); fi

run() {  # label, env, args...
  local label="$1" envs="$2"; shift 2
  local out
  out=$(env $envs "${TIME[@]}" "$BUILD/bin/hrnn-train" "$@" "${COMMON[@]}" \
        --output="$WORK/m-$RANDOM" 2>"$WORK/err" | tail -1)
  local rss_kb=0
  if [ ${#TIME[@]} -gt 0 ]; then rss_kb=$(tail -1 "$WORK/err"); fi
  local rate; rate=$(echo "$out" | sed -n 's/.*: \([0-9]*\) pairs\/s.*/\1/p')
  if [ ${#TIME[@]} -gt 0 ]; then
    printf "| %s | %s | %s MiB |\n" "$label" "$rate" "$((rss_kb / 1024))"
  else
    printf "| %s | %s | n/a |\n" "$label" "$rate"
  fi
}

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores"
echo "| run | pairs/s | peak RSS |"
echo "| --- | --- | --- |"
YOO="../shared/data/yoochoose-rsc15-100k/yoochoose-clicks-100k_train_full.txt.gz"
if [ -f "$YOO" ]; then
  run "YooChoose, session mode, 2 threads" "" --input="$YOO" --mode=session --epochs=1 --threads=2
  run "YooChoose, session mode, 1 thread" "" --input="$YOO" --mode=session --epochs=1 --threads=1
  run "YooChoose, baseline: scalar kernels, 1 thread" "HRNN_SIMD=scalar" --input="$YOO" \
    --mode=session --epochs=1 --threads=1
fi
"$BUILD/bin/hrnn-synth" --out="$WORK/synth.csv" --users=20000 --items=20000 --events=1000000 \
  --seed=2 >/dev/null
run "synthetic 1M events / ~17k items, hrnn-init, 2 threads" "" --input="$WORK/synth.csv" \
  --mode=hrnn-init --epochs=1 --threads=2
run "synthetic, session mode, 2 threads" "" --input="$WORK/synth.csv" --mode=session --epochs=1 \
  --threads=2
run "synthetic, hrnn-init, baseline: scalar kernels, 1 thread" "HRNN_SIMD=scalar" \
  --input="$WORK/synth.csv" --mode=hrnn-init --epochs=1 --threads=1
# A CPU-bound neighbour: a shell busy loop, killed after each run.
with_neighbour() {  # label, threads
  (while :; do :; done) &
  local hog=$!
  run "$1" "" --input="$WORK/synth.csv" --mode=hrnn-init --epochs=1 --threads="$2"
  kill "$hog"
  wait "$hog" 2>/dev/null || true
}
with_neighbour "synthetic, hrnn-init, 1 thread, next to 1 busy process" 1
with_neighbour "synthetic, hrnn-init, 2 threads, next to 1 busy process" 2
if [ "${HRNN_BENCH_1M_ITEMS:-0}" = "1" ]; then
  "$BUILD/bin/hrnn-synth" --out="$WORK/synth1m.csv" --users=200000 --items=1000000 \
    --events=3000000 --seed=4 --zipf=0.6 >/dev/null
  run "synthetic 3M events / 1M items, hrnn-init, 2 threads" "" --input="$WORK/synth1m.csv" \
    --mode=hrnn-init --epochs=1 --threads=2 --min_item_support=1
fi
