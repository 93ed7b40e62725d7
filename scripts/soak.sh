#!/usr/bin/env bash
# Soak test: hrnn-server built with ASan + UBSan serves a small model under a cap on user state
# (--max_state_bytes) with durability on (--state_dir, snapshots every minute) while hrnn-loadgen
# sends the storefront mix (10 PutEvents per GetRecommendations, open loop) to users in turn, so
# every action is a new user until --users is exhausted. The server's RSS is sampled every 10 s.
# Checks at the end (each failure is named; the exit status is non-zero when one fails):
#   errors    the loadgen saw no failed call and no rejected event, and its achieved rate (calls
#             answered OK per second) is >= 95% of --rate
#   rss       peak RSS (VmHWM) <= baseline RSS (model loaded, before the load) + cap + margin
#   users     distinct users touched >= --min_users (and the server created state for them)
#   shutdown  SIGTERM: the server exits 0 and its stderr and log_path hold no ASan/LSan/UBSan
#             report
# Usage: scripts/soak.sh [--minutes=30] [--users=1200000] [--rate=650] [--state_cap_mb=256]
#                        [--min_users=1000000] [--margin_pct=50] [--margin_mb=256]
#                        [--out=build-asan/soak] [--no_build] [--release]
#   Defaults: 650 actions/s x 1800 s = 1,170,000 actions, each to the next user in turn
#   (--users_sequential), all distinct since 1,170,000 <= --users (1,200,000): 1.17M distinct
#   users, of which 10/11 (1,063,637) get events and so state; both are over 1M.
#   --min_users  the distinct-user threshold of the users check (lower it for short runs).
#   --margin_pct, --margin_mb  the RSS margin over baseline + cap (see docs/operations.md).
#   --release    a Release build (build-release/, output in build-release/soak) instead of ASan:
#                the server's own memory behaviour, without ASan's allocator; same checks.
# Output in DIR: rss.csv (elapsed_s, rss_kb, hwm_kb, active_users, state_bytes, evicted),
# loadgen.txt/.json, server.out/.err, asan.* (sanitizer reports, if any), summary.txt, the
# model (model/, reused by later runs) and the server's state dir (state/, wiped at start).
# Builds hrnn-server, hrnn-loadgen, hrnn-synth and hrnn-train in build-asan/ with the flags
# scripts/test.sh gives its ASan build (Debug, -O1 -g, -DHRNN_SANITIZE=ON), so the two share it.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"

MINUTES=30
USERS=1200000
RATE=650
STATE_CAP_MB=256
MIN_USERS=1000000
MARGIN_PCT=50
MARGIN_MB=256
OUT=build-asan/soak
DO_BUILD=1
RELEASE=0
EVENTS_PER_RECOMMEND=10
for arg in "$@"; do
  case "$arg" in
    --minutes=*) MINUTES="${arg#*=}" ;;
    --users=*) USERS="${arg#*=}" ;;
    --rate=*) RATE="${arg#*=}" ;;
    --state_cap_mb=*) STATE_CAP_MB="${arg#*=}" ;;
    --min_users=*) MIN_USERS="${arg#*=}" ;;
    --margin_pct=*) MARGIN_PCT="${arg#*=}" ;;
    --margin_mb=*) MARGIN_MB="${arg#*=}" ;;
    --out=*) OUT="${arg#*=}" ;;
    --no_build) DO_BUILD=0 ;;
    --release) RELEASE=1 ;;
    -h|--help) sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "soak.sh: unknown argument $arg (see --help)" >&2; exit 2 ;;
  esac
done
for v in MINUTES USERS RATE STATE_CAP_MB MIN_USERS MARGIN_PCT MARGIN_MB; do
  [[ "${!v}" =~ ^[0-9]+$ ]] || { echo "soak.sh: ${v,,} must be a whole number" >&2; exit 2; }
done
BUILD=build-asan
if [ "$RELEASE" = 1 ]; then
  BUILD=build-release
  [ "$OUT" = build-asan/soak ] && OUT=build-release/soak
fi
BIN="$ROOT/$BUILD/bin"
log() { echo "soak: $*" >&2; }

if [ "$DO_BUILD" = 1 ] && [ "$RELEASE" = 1 ]; then
  log "building hrnn-server, hrnn-loadgen, hrnn-synth, hrnn-train in $BUILD (Release)"
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DHRNN_BUILD_TESTS=OFF >/dev/null
  cmake --build "$BUILD" -j "${JOBS:-$(nproc)}" \
    --target hrnn-server hrnn-loadgen hrnn-synth hrnn-train
elif [ "$DO_BUILD" = 1 ]; then
  log "building hrnn-server, hrnn-loadgen, hrnn-synth, hrnn-train in $BUILD (ASan + UBSan)"
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DHRNN_SANITIZE=ON \
    -DHRNN_BUILD_BENCHMARKS=OFF -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g" >/dev/null
  cmake --build "$BUILD" -j "${JOBS:-$(nproc)}" \
    --target hrnn-server hrnn-loadgen hrnn-synth hrnn-train
fi
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
rm -rf "$OUT/state" "$OUT"/asan.* "$OUT/rss.csv" "$OUT/summary.txt"
mkdir -p "$OUT/state"

# --- Model: bench.sh's recipe (synthetic log -> hrnn-train, 1 epoch, small n_sample), 5,000
# items, H = 64. Trained once with the ASan build (a few seconds) and kept in DIR/model. ---
MODEL="$OUT/model"
if ! ls "$MODEL"/*/config.json >/dev/null 2>&1; then
  log "training the model (5,000 items, H = 64) into $MODEL"
  "$BIN/hrnn-synth" --out="$OUT/synth.csv" --users=2000 --items=5000 --events=40000 \
    --zipf=0.4 --seed=7 >"$OUT/synth.log"
  "$BIN/hrnn-train" --input="$OUT/synth.csv" --output="$MODEL" --hidden=64 --user_hidden=64 \
    --epochs=1 --batch=64 --n_sample=64 --threads=2 --min_item_support=1 --checkpoints=false \
    --seed=7 --recipes=hrnn,sknn,sr,personal,trending >"$OUT/train.log" 2>&1
  rm -f "$OUT/synth.csv"
fi

# --- Server ---
# halt_on_error: the first report stops the server (the loadgen then sees errors); log_path:
# reports go to DIR/asan.<pid>; quarantine_size_mb: ASan holds at most 64 MiB of freed memory
# (the default is 256 MiB), which bounds its share of the RSS margin.
SAN_LOG="$OUT/asan"
SERVER_ASAN="detect_leaks=1:halt_on_error=1:quarantine_size_mb=64:log_path=$SAN_LOG"
SERVER_PID=""
SAMPLER_PID=""
cleanup() {
  if [ -n "$SAMPLER_PID" ]; then kill "$SAMPLER_PID" 2>/dev/null || true; fi
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 300); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

CAP_BYTES=$((STATE_CAP_MB * 1024 * 1024))
ASAN_OPTIONS="$SERVER_ASAN" UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$SAN_LOG" \
  "$BIN/hrnn-server" --model_dir="$MODEL" --port=0 --metrics_port=0 \
  --max_state_bytes="$CAP_BYTES" --state_dir="$OUT/state" --snapshot_interval=1m \
  >"$OUT/server.out" 2>"$OUT/server.err" &
SERVER_PID=$!
TARGET=""
METRICS=""
for _ in $(seq 600); do
  TARGET=$(sed -n 's/^listening on //p' "$OUT/server.out")
  METRICS=$(sed -n 's/^metrics on //p' "$OUT/server.out")
  [ -n "$TARGET" ] && [ -n "$METRICS" ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || { log "the server died at start:"; cat "$OUT/server.err" >&2; exit 1; }
  sleep 0.1
done
[ -n "$TARGET" ] || { log "the server printed no address"; exit 1; }

metric() {  # name -> from /metrics, the sum of its series (0 when absent or unreachable)
  { curl -fsS --max-time 5 "http://$METRICS/metrics" 2>/dev/null || true; } |
    awk -v m="$1" '$1 == m || index($1, m "{") == 1 { v += $2 } END { printf "%.0f\n", v }'
}
rss_kb() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$SERVER_PID/status" 2>/dev/null || echo 0; }
for _ in $(seq 600); do
  [ "$(metric hrnn_model_loaded)" = 1 ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || { log "the server died loading the model:"; cat "$OUT/server.err" >&2; exit 1; }
  sleep 0.1
done
[ "$(metric hrnn_model_loaded)" = 1 ] || { log "the server loaded no model in 60 s"; exit 1; }
sleep 2
BASE_KB=$(rss_kb VmRSS)
log "server $TARGET (metrics $METRICS), pid $SERVER_PID; baseline RSS $((BASE_KB / 1024)) MiB"

# --- RSS sampler: every 10 s until the server exits. ---
echo "elapsed_s,rss_kb,hwm_kb,active_users,state_bytes,evicted" >"$OUT/rss.csv"
START=$(date +%s)
sample() {
  echo "$(($(date +%s) - START)),$(rss_kb VmRSS),$(rss_kb VmHWM),$(metric hrnn_active_users),$(metric hrnn_user_state_bytes),$(metric hrnn_user_state_evictions_total)" \
    >>"$OUT/rss.csv"
}
(while kill -0 "$SERVER_PID" 2>/dev/null; do sample; sleep 10; done) &
SAMPLER_PID=$!

# --- Load ---
log "loadgen: mix ($EVENTS_PER_RECOMMEND events per recommendation), $RATE actions/s for" \
  "$MINUTES min over $USERS users in turn"
LOADGEN_RC=0
"$BIN/hrnn-loadgen" --target="$TARGET" --items_from="$MODEL" --workload=mix --mode=open \
  --rate="$RATE" --duration="${MINUTES}m" --warmup=0s --users="$USERS" --users_sequential \
  --mix_events_per_recommend="$EVENTS_PER_RECOMMEND" --connections=2 \
  --json="$OUT/loadgen.json" >"$OUT/loadgen.txt" 2>"$OUT/loadgen.err" || LOADGEN_RC=$?
sed 's/^/    /' "$OUT/loadgen.txt" >&2

kill "$SAMPLER_PID" 2>/dev/null || true
wait "$SAMPLER_PID" 2>/dev/null || true
SAMPLER_PID=""
sleep 1  # the gauges are refreshed every 0.5 s
sample
ACTIVE=$(metric hrnn_active_users)
EVICTED=$(metric hrnn_user_state_evictions_total)
STATE_BYTES=$(metric hrnn_user_state_bytes)
MAX_RSS_KB=$(awk -F, 'NR > 1 && $2 > m { m = $2 } END { print m + 0 }' "$OUT/rss.csv")
HWM_KB=$(rss_kb VmHWM)

# --- Shutdown (the server may already be gone: halt_on_error) ---
kill -TERM "$SERVER_PID" 2>/dev/null || true
SERVER_RC=0
for _ in $(seq 1200); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$SERVER_PID" 2>/dev/null; then
  log "the server did not exit within 120 s of SIGTERM: killed"
  kill -KILL "$SERVER_PID" 2>/dev/null || true
fi
wait "$SERVER_PID" || SERVER_RC=$?
SERVER_PID=""

# --- Checks ---
field() { sed -n "s/^  \"$1\": \([^,]*\),\{0,1\}$/\1/p" "$OUT/loadgen.json" 2>/dev/null | head -1; }
SENT=$(field sent); ERRORS=$(field errors_total); REJECTED=$(field rejected_events)
ACHIEVED=$(field achieved_rps); LATE=$(field late_sends)
FAILED=()
if [ "$LOADGEN_RC" != 0 ] || [ -z "$SENT" ]; then
  FAILED+=("errors: hrnn-loadgen exited $LOADGEN_RC ($(tail -n 3 "$OUT/loadgen.err" | tr '\n' ' '))")
  SENT=${SENT:-0}; ERRORS=${ERRORS:-?}; REJECTED=${REJECTED:-?}; ACHIEVED=${ACHIEVED:-0}; LATE=${LATE:-?}
elif [ "$ERRORS" != 0 ] || [ "$REJECTED" != 0 ]; then
  FAILED+=("errors: $ERRORS failed calls, $REJECTED rejected events ($OUT/loadgen.txt)")
fi
if awk -v a="$ACHIEVED" -v r="$RATE" 'BEGIN { exit !(a < 0.95 * r) }'; then
  FAILED+=("errors: achieved $ACHIEVED actions/s, under 95% of the $RATE asked")
fi

MARGIN_KB=$((STATE_CAP_MB * 1024 * MARGIN_PCT / 100 + MARGIN_MB * 1024))
LIMIT_KB=$((BASE_KB + STATE_CAP_MB * 1024 + MARGIN_KB))
PEAK_KB=$((HWM_KB > MAX_RSS_KB ? HWM_KB : MAX_RSS_KB))
if [ "$PEAK_KB" -gt "$LIMIT_KB" ]; then
  FAILED+=("rss: peak $((PEAK_KB / 1024)) MiB > baseline $((BASE_KB / 1024)) + cap $STATE_CAP_MB + margin $((MARGIN_KB / 1024)) = $((LIMIT_KB / 1024)) MiB")
fi

# Each action goes to the next user in turn: min(sent, users) distinct users; those whose action
# is an event (10 of every 11) get state, so the server's users created (held + evicted) must
# be at least that share of them.
DISTINCT=$((SENT < USERS ? SENT : USERS))
CREATED=$((ACTIVE + EVICTED))
EXPECT_CREATED=$((DISTINCT * EVENTS_PER_RECOMMEND / (EVENTS_PER_RECOMMEND + 1)))
if [ "$DISTINCT" -lt "$MIN_USERS" ]; then
  FAILED+=("users: $DISTINCT distinct users touched < $MIN_USERS")
fi
if [ "$CREATED" -lt "$EXPECT_CREATED" ]; then
  FAILED+=("users: the server created state for $CREATED users (held + evicted), expected >= $EXPECT_CREATED")
fi

SAN_REPORTS=$(cat "$SAN_LOG".* 2>/dev/null | grep -c -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' || true)
SAN_REPORTS=$((SAN_REPORTS + $(grep -c -E 'ERROR: (Address|Leak)Sanitizer|runtime error:|SUMMARY: ' "$OUT/server.err" || true)))
if [ "$SERVER_RC" != 0 ]; then
  FAILED+=("shutdown: the server exited $SERVER_RC on SIGTERM ($OUT/server.err)")
fi
if [ "$SAN_REPORTS" != 0 ] || ls "$SAN_LOG".* >/dev/null 2>&1; then
  FAILED+=("shutdown: sanitizer reports in $OUT/server.err or $SAN_LOG.*")
fi

{
  echo "soak: $MINUTES min, mix at $RATE actions/s over $USERS users in turn; state cap $STATE_CAP_MB MiB"
  echo "  loadgen      $SENT sent, achieved $ACHIEVED/s, $ERRORS errors, $REJECTED rejected events, $LATE late sends"
  echo "  users        $DISTINCT distinct touched (need $MIN_USERS); server: $CREATED created = $ACTIVE held + $EVICTED evicted, $STATE_BYTES state bytes held"
  echo "  rss          baseline $((BASE_KB / 1024)) MiB; max sampled $((MAX_RSS_KB / 1024)) MiB; peak (VmHWM) $((HWM_KB / 1024)) MiB;" \
    "limit $((LIMIT_KB / 1024)) MiB = baseline + cap $STATE_CAP_MB + margin $((MARGIN_KB / 1024)) ($MARGIN_PCT% of cap + $MARGIN_MB MiB)"
  echo "  shutdown     exit $SERVER_RC on SIGTERM; $SAN_REPORTS sanitizer report lines"
  echo "  samples      $OUT/rss.csv"
  if [ ${#FAILED[@]} -eq 0 ]; then
    echo "soak: all checks passed"
  else
    for f in "${FAILED[@]}"; do echo "soak: FAILED $f"; done
  fi
} | tee "$OUT/summary.txt"
[ ${#FAILED[@]} -eq 0 ]
