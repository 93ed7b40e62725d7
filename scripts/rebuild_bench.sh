#!/usr/bin/env bash
# Times the state rebuild after a model swap against its baseline in the same run: a restart's
# recovery replaying the same event log through the same model. A Release hrnn-server with
# --state_dir is loaded with events by hrnn-loadgen (StreamEvents, each user in turn), a new
# model version appears (the same weights under a new version number, so both paths do the same
# GRU work), the rebuild's log line gives its time; then the server is restarted with the
# snapshots removed, so start-up replays the whole log, and the recovery line gives that time.
# Usage: scripts/rebuild_bench.sh [--users=100000] [--events=1000000] [--rate=50000]
#                                 [--out=build-release/rebuild-bench] [--no_build]
#   The model is bench.sh's S model (hrnn-synth 200k events over 10k items, hrnn-train H = 100,
#   one epoch), trained once into OUT/model.
set -euo pipefail
cd "$(dirname "$0")/.."

USERS=100000
EVENTS=1000000
RATE=50000
OUT=build-release/rebuild-bench
DO_BUILD=1
for arg in "$@"; do
  case "$arg" in
    --users=*) USERS="${arg#*=}" ;;
    --events=*) EVENTS="${arg#*=}" ;;
    --rate=*) RATE="${arg#*=}" ;;
    --out=*) OUT="${arg#*=}" ;;
    --no_build) DO_BUILD=0 ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "rebuild_bench.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

BIN=build-release/bin
if [ "$DO_BUILD" = 1 ]; then
  scripts/setup.sh
  cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DHRNN_BUILD_TESTS=OFF >/dev/null
  cmake --build build-release -j2 --target hrnn-server hrnn-loadgen hrnn-synth hrnn-train
fi
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"

MODEL="$OUT/model"
if ! ls "$MODEL"/1/config.json >/dev/null 2>&1; then
  echo "rebuild_bench: training the S model (H = 100, 10k items) into $MODEL/1"
  "$BIN/hrnn-synth" --out="$OUT/synth.csv" --users=10000 --items=10000 --events=200000 \
    --zipf=0.4 --seed=7 >"$OUT/synth.log"
  "$BIN/hrnn-train" --input="$OUT/synth.csv" --output="$MODEL" --hidden=100 \
    --epochs=1 --batch=64 --n_sample=64 --threads=2 --min_item_support=1 --checkpoints=false \
    --seed=7 --recipes=hrnn,sknn,sr,personal,trending >"$OUT/train.log" 2>&1
  rm -f "$OUT/synth.csv"
fi

WORK="$OUT/run"
rm -rf "$WORK"
mkdir -p "$WORK/models"
cp -r "$MODEL" "$WORK/models/shop"
SERVER_PID=""
cleanup() { if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; fi; }
trap cleanup EXIT

start_server() {  # $1: name of the output files; sets SERVER_PID and TARGET
  "$BIN/hrnn-server" --model_dir="$WORK/models/shop" --port=0 --metrics_port=0 \
    --state_dir="$WORK/state" --fsync=none --snapshot_interval=0 --model_poll_interval=500ms \
    --rebuild_window=24h --user_idle_ttl=0 >"$WORK/$1.out" 2>"$WORK/$1.err" &
  SERVER_PID=$!
  for _ in $(seq 600); do
    grep -q '^listening on' "$WORK/$1.out" 2>/dev/null && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/$1.err" >&2; exit 1; }
    sleep 0.1
  done
  TARGET="$(sed -n 's/^listening on //p' "$WORK/$1.out")"
}
stop_server() {
  kill -TERM "$SERVER_PID"
  wait "$SERVER_PID" || { echo "rebuild_bench: the server did not exit 0" >&2; exit 1; }
  SERVER_PID=""
}

start_server first
"$BIN/hrnn-loadgen" --target="$TARGET" --workload=events --mode=open --rate="$RATE" \
  --max_requests="$EVENTS" --duration=10m --warmup=0s --users="$USERS" --users_sequential \
  --items_from="$WORK/models/shop" --concurrency=4 --connections=2 >"$WORK/loadgen.txt" 2>&1
grep -E '^  (events|achieved)' "$WORK/loadgen.txt"

# Version 2: the same files, renamed into place complete (as hrnn-train writes a version).
cp -r "$WORK/models/shop/1" "$WORK/models/shop/.2.tmp"
mv "$WORK/models/shop/.2.tmp" "$WORK/models/shop/2"
for _ in $(seq 1200); do
  grep -q 'state rebuild for model version 2 finished' "$WORK/first.err" && break
  sleep 0.5
done
rebuild="$(grep -m1 'state rebuild for model version 2' "$WORK/first.err" | sed 's/.*finished: //')"
stop_server

rm -rf "$WORK/state/snapshots"  # The restart replays the whole log through version 2.
start_server second
recovery="$(grep -m1 'recovered user state' "$WORK/second.err" | sed 's/.*recovered user state: //')"
stop_server

echo "rebuild after the swap (background, one thread): $rebuild"
echo "baseline, restart recovery of the same log:      $recovery"
rebuild_s="$(echo "$rebuild" | sed -n 's/.* in \([0-9.]*\) s.*/\1/p')"
recovery_s="$(echo "$recovery" | sed -n 's/.* in \([0-9.]*\) s.*/\1/p')"
if [ -n "$rebuild_s" ] && [ -n "$recovery_s" ]; then
  python3 -c "print(f'rebuild time / recovery time = {$rebuild_s / $recovery_s:.2f}')"
fi
