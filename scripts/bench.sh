#!/usr/bin/env bash
# Serving benchmark (DESIGN §9): builds Release, trains models for configs S (10k items),
# M (100k) and L (1M) at H = 100 on synthetic logs, starts hrnn-server for each (and for each
# server variant), runs hrnn-loadgen over the sweep, and writes a report (markdown + JSON) with
# the machine's details.
#
# Sweep per config and variant, in this order:
#   1. events:  closed loop, StreamEvents, 2 streams back to back -> events/s (also creates
#               state for the Zipf user population used below).
#   2. open:    open-loop GetRecommendations at each of the config's rates (DESIGN §9 rates);
#               latency from the intended send time.
#   3. closed:  closed-loop GetRecommendations, 32 callers on 2 connections -> saturation rate.
#   4. mix:     open-loop storefront mix (10 PutEvents per GetRecommendations).
#   5. state:   (first config only) 1M users loaded, one StreamEvents event each, then
#               hrnn_user_state_bytes / hrnn_active_users from /metrics.
#
# With --recipes, instead (issue 13's targets): per config, one model trained with
# --recipes=auto and the same model without recipe files (--recipes=hrnn, same seed and
# split: the same GRU weights), then
#   1. events:  StreamEvents on each (without recipes: no live trending or live sessions; with
#               them: both fed by every event) -> events/s, and their ratio;
#   2. closed:  closed-loop GetRecommendations with --recipe=hrnn and --recipe=auto on the auto
#               server, and GetSimilarItems -> saturation of each;
#   3. open:    open loop at half of the hrnn saturation for hrnn, auto and GetSimilarItems
#               -> p99 of each; hrnn and auto alternate three times (pairs 1-3), so that each
#               pair shares the machine's conditions of the moment, and the target is checked on
#               the median of the three pairs' p99 ratios (each pair is in the table).
#   Recommendations carry no session id, so users answer from the sessions the events run left
#   open (sknn and sr have a session to continue).
#
# With --filters, instead (issue 14's target): per config, a GRU-only model trained with the
# synthetic items file (hrnn-synth --items_out, hrnn-train --items), one server with a filters
# file, and GetRecommendations without a filter and with the two-clause filter
#   two_clause: EXCLUDE ItemID WHERE Items.COLOR IN ($COLORS) OR Items.PRICE > $MAX
# (COLORS=red|navy, MAX=60: about a third of the catalogue excluded):
#   1. events:  StreamEvents (creates the users' state);
#   2. closed:  saturation without and with the filter, alternating, twice;
#   3. open:    at half the first unfiltered saturation, three alternating pairs -> p99 ratio;
#   the targets (<= 10% extra p99 and saturation) are checked on the mean / median ratios.
#   Every request sends the same values, so after the first one the server answers from its
#   mask cache (FilterMaskCache); tests/benchmarks/filter_benchmark.cc times an uncached one.
#
# With --recording, instead (issue 16's target): per config, a GRU-only model and, in two rounds,
# two servers one after the other, both with --state_dir (a fresh one each, --fsync=batch):
# `norecord` (--record_recommendations=false) and `record` (every answer appended to the event
# log). Each: StreamEvents (the users' state), closed-loop GetRecommendations (saturation), then
# open loop at half of round 1's norecord saturation (p99). The target (recording costs <= 5%
# of saturation and p99) is checked on the mean ratio of the two rounds.
#
# Usage: scripts/bench.sh [--quick] [--out=DIR] [--configs=S,M,L] [--duration=10s]
#                         [--variants='NAME=SERVER FLAGS;NAME=SERVER FLAGS'] [--build=DIR]
#                         [--no_build] [--state_users=N] [--recipes] [--filters] [--recording]
#   --quick      S only, a small model, 2 s runs, 20k users for state: under a minute (smoke).
#   --variants   servers to compare in the same run, each started with its extra flags, e.g.
#                --variants='batched=;naive=--scoring=naive' (default: batched, single and
#                naive, the last two one pass per call, naive with Eigen and std::partial_sort).
#   HRNN_BENCH_L_FLAGS: extra server flags for config L (e.g. --item_table=bf16).
# Output: DIR/report.md, DIR/report.json, DIR/runs/*.json (one per loadgen run), DIR/logs/.
# DIR (default bench-out/) holds a .gitignore of its own. Models are cached in DIR/models/.
# Exit status: non-zero when a step fails or a server does not exit 0 on SIGTERM.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"

QUICK=0
OUT=bench-out
CONFIGS=""
DURATION=""
VARIANTS="batched=;single=--scoring=single;naive=--scoring=naive"
BUILD=build-release
DO_BUILD=1
STATE_USERS=""
RECIPES=0
FILTERS=0
RECORDING=0
for arg in "$@"; do
  case "$arg" in
    --quick) QUICK=1 ;;
    --out=*) OUT="${arg#*=}" ;;
    --configs=*) CONFIGS="${arg#*=}" ;;
    --duration=*) DURATION="${arg#*=}" ;;
    --variants=*) VARIANTS="${arg#*=}" ;;
    --build=*) BUILD="${arg#*=}" ;;
    --no_build) DO_BUILD=0 ;;
    --state_users=*) STATE_USERS="${arg#*=}" ;;
    --recipes) RECIPES=1 ;;
    --filters) FILTERS=1 ;;
    --recording) RECORDING=1 ;;
    -h|--help) sed -n '2,53p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench.sh: unknown argument $arg (see --help)" >&2; exit 2 ;;
  esac
done
if [ "$QUICK" = 1 ]; then
  CONFIGS="${CONFIGS:-S}"; DURATION="${DURATION:-2s}"; WARMUP=0.5s
  STATE_USERS="${STATE_USERS:-20000}"
else
  CONFIGS="${CONFIGS:-S,M,L}"; DURATION="${DURATION:-10s}"; WARMUP=1s
  STATE_USERS="${STATE_USERS:-1000000}"
fi
mkdir -p "$OUT"/{models,runs,logs,data}
OUT="$(cd "$OUT" && pwd)"
printf '*\n' > "$OUT/.gitignore"
BIN="$ROOT/$BUILD/bin"
log() { echo "bench: $*" >&2; }

if [ "$DO_BUILD" = 1 ]; then
  log "building Release in $BUILD"
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DHRNN_BUILD_TESTS=OFF \
    -DHRNN_BUILD_BENCHMARKS=OFF >"$OUT/logs/cmake.log"
  cmake --build "$BUILD" -j2 --target hrnn-server hrnn-train hrnn-synth hrnn-loadgen hrnn-cli \
    >"$OUT/logs/build.log"
fi

# --- Models: synthetic log -> hrnn-train (1 epoch, small n_sample: the weights only need to
# be a real model of the right shape; accuracy is not measured here). ---
# config -> "users items events zipf"
declare -A SYNTH=(
  [S]="10000 10000 200000 0.4"
  [M]="30000 100000 600000 0.4"
  [L]="200000 1000000 3000000 0.3"
)
# config -> open-loop rates (requests/s); the DESIGN §9 targets are S@5000 and M@1000.
declare -A RATES=([S]="1000 5000" [M]="1000 2000" [L]="100 500")
if [ "$QUICK" = 1 ]; then
  SYNTH[S]="2000 10000 40000 0.4"
  RATES[S]="1000"
fi

make_model() {  # config [recipes] [items] -> prints the model root (recipes: hrnn-train
  # --recipes; items: with the synthetic items file, hrnn-train --items)
  local cfg="$1" recipes="${2:-}" with_items="${3:-}" users items events zipf
  read -r users items events zipf <<<"${SYNTH[$cfg]}"
  local tag="$cfg-$users-$items-$events-$zipf"
  local root="$OUT/models/$tag${recipes:+-$recipes}${with_items:+-items}"
  if ! ls "$root"/*/config.json >/dev/null 2>&1; then
    local csv="$OUT/data/$tag.csv"
    if [ ! -f "$csv" ]; then
      log "config $cfg: synthesising $events events over $items items"
      "$BIN/hrnn-synth" --out="$csv" --users="$users" --items="$items" \
        --events="$events" --zipf="$zipf" --seed=7 >"$OUT/logs/synth-$cfg.log"
    fi
    log "config $cfg: training H=100${recipes:+ with --recipes=$recipes}${with_items:+ and items}"
    local recipe_flags=(--recipes=hrnn,sknn,sr,personal,trending)
    [ -n "$recipes" ] && recipe_flags=(--recipes="$recipes" --validation --allow_worse)
    if [ -n "$with_items" ]; then
      local items_csv="$OUT/data/$tag-items.csv"
      [ -f "$items_csv" ] || "$BIN/hrnn-synth" --out="$OUT/data/items-log.csv" --users="$users"         --items="$items" --events="$events" --zipf="$zipf" --seed=7 --items_out="$items_csv"         >"$OUT/logs/synth-items-$cfg.log"
      rm -f "$OUT/data/items-log.csv"
      recipe_flags+=(--items="$items_csv")
    fi
    "$BIN/hrnn-train" --input="$csv" --output="$root" --hidden=100 --epochs=1 \
      --batch=64 --n_sample=64 --threads=2 --min_item_support=1 --checkpoints=false \
      --seed=7 "${recipe_flags[@]}" >"$OUT/logs/train-$cfg${recipes:+-$recipes}.log" 2>&1
    [ -n "$recipes" ] || rm -f "$csv"
  fi
  echo "$root"
}

# --- Servers ---
SERVER_PID=""
SERVER_TARGET=""
SERVER_METRICS=""
SERVER_EXIT_CODES=()
start_server() {  # model_root log_name extra_flags...
  local root="$1" name="$2"; shift 2
  "$BIN/hrnn-server" --model_dir="$root" --port=0 --metrics_port=0 "$@" \
    >"$OUT/logs/$name.out" 2>"$OUT/logs/$name.err" &
  SERVER_PID=$!
  for _ in $(seq 1 600); do
    SERVER_TARGET=$(sed -n 's/^listening on //p' "$OUT/logs/$name.out")
    SERVER_METRICS=$(sed -n 's/^metrics on //p' "$OUT/logs/$name.out")
    [ -n "$SERVER_TARGET" ] && [ -n "$SERVER_METRICS" ] && break
    kill -0 "$SERVER_PID" 2>/dev/null || { log "server $name died:"; cat "$OUT/logs/$name.err" >&2; exit 1; }
    sleep 0.1
  done
  [ -n "$SERVER_TARGET" ] || { log "server $name printed no address"; exit 1; }
  # Wait until the model is loaded (the health service reports SERVING).
  for _ in $(seq 1 1200); do
    "$BIN/hrnn-cli" --target="$SERVER_TARGET" --max_attempts=1 health >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  log "server $name never became SERVING"; exit 1
}
stop_server() {  # name
  kill -TERM "$SERVER_PID"
  local rc=0
  wait "$SERVER_PID" || rc=$?
  SERVER_EXIT_CODES+=("$1=$rc")
  SERVER_PID=""
  if [ "$rc" != 0 ]; then log "server $1 exited $rc on SIGTERM"; FAILED_EXIT=1; fi
}
FAILED_EXIT=0
cleanup() { if [ -n "$SERVER_PID" ]; then kill -TERM "$SERVER_PID" 2>/dev/null || true; fi; }
trap cleanup EXIT

metric() {  # name -> value from /metrics
  curl -fsS "http://$SERVER_METRICS/metrics" -o "$OUT/logs/metrics.txt"
  awk -v m="$1" '$1 == m { printf "%.0f\n", $2; exit }' "$OUT/logs/metrics.txt"
}

# --- Runs ---
RUNS=()  # run json paths, in order
loadgen() {  # id root args...
  local id="$1" root="$2"; shift 2
  local json="$OUT/runs/$id.json"
  log "run $id: $*"
  "$BIN/hrnn-loadgen" --target="$SERVER_TARGET" --items_from="$root" --warmup="$WARMUP" \
    --json="$json" "$@" >"$OUT/logs/$id.txt"
  sed 's/^/    /' "$OUT/logs/$id.txt" >&2
  RUNS+=("$id")
}

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
STATE_LINE=""
FIRST=1
IFS=',' read -r -a CONFIG_LIST <<<"$CONFIGS"
IFS=';' read -r -a VARIANT_LIST <<<"$VARIANTS"
RECIPE_LINES=()  # "cfg events_plain events_auto sat_hrnn sat_auto sat_similar"
for cfg in "${CONFIG_LIST[@]}"; do
  [ -n "${SYNTH[$cfg]:-}" ] || { log "unknown config $cfg (S, M or L)"; exit 2; }
  [ "$RECIPES" = 1 ] && continue
  [ "$FILTERS" = 1 ] && continue
  [ "$RECORDING" = 1 ] && continue
  root=$(make_model "$cfg")
  for variant in "${VARIANT_LIST[@]}"; do
    vname="${variant%%=*}"
    vflags="${variant#*=}"
    extra=()
    # shellcheck disable=SC2206
    [ -n "$vflags" ] && extra=($vflags)
    # shellcheck disable=SC2206
    [ "$cfg" = L ] && [ -n "${HRNN_BENCH_L_FLAGS:-}" ] && extra+=($HRNN_BENCH_L_FLAGS)
    sname="server-$cfg-$vname"
    start_server "$root" "$sname" "${extra[@]}"
    log "config $cfg, variant $vname: $SERVER_TARGET (flags: ${extra[*]:-none})"
    users=100000
    loadgen "$cfg-$vname-events" "$root" --workload=events --mode=closed --concurrency=2 \
      --connections=2 --users=$users --duration="$DURATION"
    for rate in ${RATES[$cfg]}; do
      loadgen "$cfg-$vname-open-$rate" "$root" --workload=recommend --mode=open --rate="$rate" \
        --users=$users --duration="$DURATION"
    done
    loadgen "$cfg-$vname-closed-32" "$root" --workload=recommend --mode=closed --concurrency=32 \
      --connections=2 --users=$users --duration="$DURATION"
    loadgen "$cfg-$vname-mix-2000" "$root" --workload=mix --mode=open --rate=2000 \
      --users=$users --duration="$DURATION"
    stop_server "$sname"
    if [ "$FIRST" = 1 ]; then
      # State per user: a fresh server, STATE_USERS users with one event each.
      start_server "$root" "$sname-state" "${extra[@]}"
      loadgen "$cfg-$vname-state" "$root" --workload=events --mode=closed --concurrency=2 \
        --connections=2 --users="$STATE_USERS" --users_sequential --session_length=1 \
        --max_requests="$STATE_USERS" --warmup=0s --duration=600s
      # The gauges are refreshed every 0.5 s: wait until they show every user (or 15 s).
      for _ in $(seq 1 150); do
        active=$(metric hrnn_active_users)
        [ "${active:-0}" -ge "$STATE_USERS" ] && break
        sleep 0.1
      done
      bytes=$(metric hrnn_user_state_bytes)
      STATE_LINE="$cfg $vname $active $bytes"
      stop_server "$sname-state"
      FIRST=0
    fi
  done
done

# --- The recipes sweep (--recipes) ---
achieved() { sed -n 's/^ *"achieved_rps": \([^,]*\),\{0,1\}$/\1/p' "$OUT/runs/$1.json" | head -1; }
for cfg in "${CONFIG_LIST[@]}"; do
  [ "$RECIPES" = 1 ] || break
  plain=$(make_model "$cfg" hrnn)
  auto=$(make_model "$cfg" auto)
  users=100000
  # A stream's deadline is the run plus --deadline; the server drains what the transport buffered
  # (seconds of events at M) after the last write, so give it 30 s. The rate counts the drain.
  start_server "$plain" "server-$cfg-plain"
  loadgen "$cfg-plain-events" "$plain" --workload=events --mode=closed --concurrency=2 \
    --connections=2 --users=$users --duration="$DURATION" --deadline=30s
  stop_server "server-$cfg-plain"
  start_server "$auto" "server-$cfg-auto"
  loadgen "$cfg-auto-events" "$auto" --workload=events --mode=closed --concurrency=2 \
    --connections=2 --users=$users --duration="$DURATION" --deadline=30s
  for recipe in hrnn auto; do
    loadgen "$cfg-recipe-$recipe-closed-32" "$auto" --workload=recommend --recipe=$recipe \
      --session_ids=false --mode=closed --concurrency=32 --connections=2 --users=$users \
      --duration="$DURATION"
  done
  loadgen "$cfg-similar-closed-32" "$auto" --workload=similar --mode=closed --concurrency=32 \
    --connections=2 --duration="$DURATION"
  half=$(awk -v r="$(achieved "$cfg-recipe-hrnn-closed-32")" 'BEGIN { printf "%d", r / 2 }')
  for pair in 1 2 3; do
    for recipe in hrnn auto; do
      loadgen "$cfg-recipe-$recipe-open-half-$pair" "$auto" --workload=recommend \
        --recipe=$recipe --session_ids=false --mode=open --rate="$half" --users=$users \
        --duration="$DURATION"
    done
  done
  loadgen "$cfg-similar-open-half" "$auto" --workload=similar --mode=open --rate="$half" \
    --duration="$DURATION"
  curl -fsS "http://$SERVER_METRICS/metrics" -o "$OUT/logs/metrics-$cfg-auto.txt"
  stop_server "server-$cfg-auto"
  RECIPE_LINES+=("$cfg $half")
done

# --- The filters sweep (--filters) ---
FILTER_LINES=()  # "cfg half"
FILTER_VALUES='COLORS=red|navy;MAX=60'
for cfg in "${CONFIG_LIST[@]}"; do
  [ "$FILTERS" = 1 ] || break
  root=$(make_model "$cfg" hrnn items)
  printf '%s\n' '# scripts/bench.sh --filters' \
    'two_clause: EXCLUDE ItemID WHERE Items.COLOR IN ($COLORS) OR Items.PRICE > $MAX' \
    >"$OUT/data/filters.txt"
  users=100000
  start_server "$root" "server-$cfg-filters" --filters_file="$OUT/data/filters.txt"
  loadgen "$cfg-filters-events" "$root" --workload=events --mode=closed --concurrency=2 \
    --connections=2 --users=$users --duration="$DURATION" --deadline=30s
  with_filter=(--filter=two_clause --filter_values="$FILTER_VALUES")
  for round in 1 2; do
    loadgen "$cfg-nofilter-closed-32-$round" "$root" --workload=recommend --session_ids=false \
      --mode=closed --concurrency=32 --connections=2 --users=$users --duration="$DURATION"
    loadgen "$cfg-filter-closed-32-$round" "$root" --workload=recommend --session_ids=false \
      --mode=closed --concurrency=32 --connections=2 --users=$users --duration="$DURATION" \
      "${with_filter[@]}"
  done
  half=$(awk -v r="$(achieved "$cfg-nofilter-closed-32-1")" 'BEGIN { printf "%d", r / 2 }')
  for pair in 1 2 3; do
    loadgen "$cfg-nofilter-open-half-$pair" "$root" --workload=recommend --session_ids=false \
      --mode=open --rate="$half" --users=$users --duration="$DURATION"
    loadgen "$cfg-filter-open-half-$pair" "$root" --workload=recommend --session_ids=false \
      --mode=open --rate="$half" --users=$users --duration="$DURATION" "${with_filter[@]}"
  done
  curl -fsS "http://$SERVER_METRICS/metrics" -o "$OUT/logs/metrics-$cfg-filters.txt"
  stop_server "server-$cfg-filters"
  FILTER_LINES+=("$cfg $half")
done
# --- The recording sweep (--recording) ---
RECORDING_LINES=()  # "cfg half"
for cfg in "${CONFIG_LIST[@]}"; do
  [ "$RECORDING" = 1 ] || break
  root=$(make_model "$cfg" hrnn)
  users=100000
  half=""
  for round in 1 2; do
    for variant in norecord record; do
      record=false
      [ "$variant" = record ] && record=true
      rm -rf "$OUT/state-$cfg-$variant-$round"
      start_server "$root" "server-$cfg-$variant-$round" \
        --state_dir="$OUT/state-$cfg-$variant-$round" --record_recommendations=$record
      loadgen "$cfg-$variant-events-$round" "$root" --workload=events --mode=closed \
        --concurrency=2 --connections=2 --users=$users --duration="$DURATION" --deadline=30s
      loadgen "$cfg-$variant-closed-32-$round" "$root" --workload=recommend --session_ids=false \
        --mode=closed --concurrency=32 --connections=2 --users=$users --duration="$DURATION"
      [ -n "$half" ] \
        || half=$(awk -v r="$(achieved "$cfg-norecord-closed-32-1")" 'BEGIN { printf "%d", r / 2 }')
      loadgen "$cfg-$variant-open-half-$round" "$root" --workload=recommend --session_ids=false \
        --mode=open --rate="$half" --users=$users --duration="$DURATION"
      curl -fsS "http://$SERVER_METRICS/metrics" -o "$OUT/logs/metrics-$cfg-$variant-$round.txt"
      stop_server "server-$cfg-$variant-$round"
      du -sk "$OUT/state-$cfg-$variant-$round/log" | awk -v id="$cfg-$variant-$round" \
        '{ print "log of " id ": " $1 " KiB" }' >&2
    done
  done
  RECORDING_LINES+=("$cfg $half")
done
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

# --- Report ---
# Field of a run's JSON: the first line with "key": (the top-level one: methods come last).
field() { sed -n "s/^ *\"$2\": \([^,]*\),\{0,1\}$/\1/p" "$OUT/runs/$1.json" | head -1; }
errors_of() { sed -n 's/^  "errors": \(.*\),$/\1/p' "$OUT/runs/$1.json" | head -1; }
cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(git status --porcelain --untracked-files=no 2>/dev/null | grep -q . && echo " (with uncommitted changes)" || true)
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
{
  echo "# hrnn serving benchmark"
  echo
  echo "- date: $now; git commit: $commit$dirty"
  echo "- machine: $cpu; $(nproc) cores; kernel $(uname -r)"
  echo "- load average (1/5/15 min) at start: $LOAD_START; at end: $LOAD_END"
  echo "- command: scripts/bench.sh $*"
  echo "- hrnn-loadgen runs on the same machine as the server (loopback), sharing its cores."
  echo
  echo "| run | offered | achieved | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | errors |"
  echo "|---|---|---|---|---|---|---|---|---|"
  for id in "${RUNS[@]}"; do
    unit=$(field "$id" unit | tr -d '"')
    offered=$(field "$id" target_rps)
    mode=$(field "$id" mode | tr -d '"')
    if [ "$mode" = closed ]; then
      offered="closed, $(field "$id" concurrency) callers"
    else
      offered="$offered $unit/s"
    fi
    printf '| %s | %s | %.0f %s/s | %.3f | %.3f | %.3f | %.3f | %.3f | %s |\n' "$id" "$offered" \
      "$(field "$id" achieved_rps)" "$unit" "$(field "$id" p50)" "$(field "$id" p90)" \
      "$(field "$id" p99)" "$(field "$id" p999)" "$(field "$id" max)" "$(errors_of "$id")"
  done
  echo
  if [ -n "$STATE_LINE" ]; then
    read -r scfg svar sactive sbytes <<<"$STATE_LINE"
    echo "State: config $scfg ($svar): hrnn_active_users $sactive, hrnn_user_state_bytes" \
      "$sbytes, $(awk -v b="$sbytes" -v u="$sactive" 'BEGIN { printf "%.0f", (u > 0 ? b / u : 0) }')" \
      "bytes per user."
    echo
  fi
  echo "Targets (DESIGN §9), per run that measures one:"
  echo
  echo "| target | run | measured | |"
  echo "|---|---|---|---|"
  check() {  # label run value op limit: a run with failed calls or none ok misses its target
    local verdict errs=0 ok=1
    if [ -f "$OUT/runs/$2.json" ]; then errs=$(field "$2" errors_total); ok=$(field "$2" ok); fi
    verdict=$(awk -v v="$3" -v l="$5" -v op="$4" -v e="$errs" -v k="$ok" \
      'BEGIN { good = (op == "<=") ? (v <= l) : (v >= l); good = good && e == 0 && k > 0;
               print (good ? "met" : "missed") }')
    [ "$errs" != 0 ] && verdict="$verdict ($errs failed calls)"
    printf '| %s | %s | %s | %s |\n' "$1" "$2" "$3" "$verdict"
  }
  ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
  for line in "${RECIPE_LINES[@]}"; do
    read -r rcfg rhalf <<<"$line"
    check "$rcfg: auto saturation >= 0.75x hrnn's (ratio)" "$rcfg-recipe-auto-closed-32" \
      "$(ratio "$(field "$rcfg-recipe-auto-closed-32" achieved_rps)" \
                "$(field "$rcfg-recipe-hrnn-closed-32" achieved_rps)")" ">=" 0.75
    pair_ratios=()
    for pair in 1 2 3; do
      pair_ratios+=("$(ratio "$(field "$rcfg-recipe-auto-open-half-$pair" p99)" \
                             "$(field "$rcfg-recipe-hrnn-open-half-$pair" p99)")")
    done
    median_ratio=$(printf '%s\n' "${pair_ratios[@]}" | sort -g | sed -n 2p)
    check "$rcfg: auto p99 <= 1.5x hrnn's at $rhalf req/s (median ratio of 3 pairs: ${pair_ratios[*]})" \
      "$rcfg-recipe-auto-open-half-2" "$median_ratio" "<=" 1.5
    check "$rcfg: StreamEvents with live recipes >= 0.8x without (ratio)" "$rcfg-auto-events" \
      "$(ratio "$(field "$rcfg-auto-events" achieved_rps)" \
                "$(field "$rcfg-plain-events" achieved_rps)")" ">=" 0.8
  done
  for line in "${FILTER_LINES[@]}"; do
    read -r fcfg fhalf <<<"$line"
    sat_ratios=()
    for round in 1 2; do
      sat_ratios+=("$(ratio "$(field "$fcfg-filter-closed-32-$round" achieved_rps)" \
                            "$(field "$fcfg-nofilter-closed-32-$round" achieved_rps)")")
    done
    mean_sat=$(printf '%s\n' "${sat_ratios[@]}" | awk '{ s += $1 } END { printf "%.2f", s / NR }')
    check "$fcfg: saturation with the two-clause filter >= 0.9x without (mean of 2 rounds: ${sat_ratios[*]})" \
      "$fcfg-filter-closed-32-2" "$mean_sat" ">=" 0.9
    pair_ratios=()
    for pair in 1 2 3; do
      pair_ratios+=("$(ratio "$(field "$fcfg-filter-open-half-$pair" p99)" \
                             "$(field "$fcfg-nofilter-open-half-$pair" p99)")")
    done
    median_ratio=$(printf '%s\n' "${pair_ratios[@]}" | sort -g | sed -n 2p)
    check "$fcfg: p99 with the two-clause filter <= 1.1x without at $fhalf req/s (median of 3 pairs: ${pair_ratios[*]})" \
      "$fcfg-filter-open-half-2" "$median_ratio" "<=" 1.1
  done
  for line in "${RECORDING_LINES[@]}"; do
    read -r ccfg chalf <<<"$line"
    sat_ratios=()
    p99_ratios=()
    for round in 1 2; do
      sat_ratios+=("$(ratio "$(field "$ccfg-record-closed-32-$round" achieved_rps)" \
                            "$(field "$ccfg-norecord-closed-32-$round" achieved_rps)")")
      p99_ratios+=("$(ratio "$(field "$ccfg-record-open-half-$round" p99)" \
                            "$(field "$ccfg-norecord-open-half-$round" p99)")")
    done
    mean_sat=$(printf '%s\n' "${sat_ratios[@]}" | awk '{ s += $1 } END { printf "%.2f", s / NR }')
    mean_p99=$(printf '%s\n' "${p99_ratios[@]}" | awk '{ s += $1 } END { printf "%.2f", s / NR }')
    check "$ccfg: saturation recording answers >= 0.95x without (mean of 2 rounds: ${sat_ratios[*]})" \
      "$ccfg-record-closed-32-2" "$mean_sat" ">=" 0.95
    check "$ccfg: p99 recording answers <= 1.05x without at $chalf req/s (mean of 2 rounds: ${p99_ratios[*]})" \
      "$ccfg-record-open-half-2" "$mean_p99" "<=" 1.05
  done
  for id in "${RUNS[@]}"; do
    case "$id" in
      *-recipe-*|*-similar-*|*-plain-events|*-auto-events|*filter*|*record*) ;;
      S-*-open-5000) check "S: p99 <= 1 ms at 5,000 req/s" "$id" "$(field "$id" p99)" "<=" 1 ;;
      M-*-open-1000) check "M: p99 <= 2 ms at 1,000 req/s" "$id" "$(field "$id" p99)" "<=" 2 ;;
      M-*-closed-*) check "M: >= 3,000 req/s at saturation" "$id" "$(field "$id" achieved_rps)" ">=" 3000 ;;
      L-*-closed-*) check "L: >= 500 req/s at saturation" "$id" "$(field "$id" achieved_rps)" ">=" 500 ;;
      *-events) check "StreamEvents >= 100,000 events/s" "$id" "$(field "$id" achieved_rps)" ">=" 100000 ;;
    esac
  done
  if [ -n "$STATE_LINE" ]; then
    read -r scfg svar sactive sbytes <<<"$STATE_LINE"
    check "<= 1.5 KB (1536 B) per user state, $sactive users" "$scfg-$svar-state" \
      "$(awk -v b="$sbytes" -v u="$sactive" 'BEGIN { printf "%.0f", (u > 0 ? b / u : 0) }')" "<=" 1536
  fi
  echo
  echo "Servers stopped with SIGTERM, exit codes: ${SERVER_EXIT_CODES[*]}"
} >"$OUT/report.md"

{
  echo "{"
  echo "  \"date\": \"$now\", \"commit\": \"$commit\", \"dirty\": $([ -n "$dirty" ] && echo true || echo false),"
  echo "  \"machine\": {\"cpu\": \"$cpu\", \"cores\": $(nproc), \"kernel\": \"$(uname -r)\","
  echo "              \"loadavg_start\": \"$LOAD_START\", \"loadavg_end\": \"$LOAD_END\"},"
  echo "  \"quick\": $([ "$QUICK" = 1 ] && echo true || echo false),"
  if [ -n "$STATE_LINE" ]; then
    read -r scfg svar sactive sbytes <<<"$STATE_LINE"
    echo "  \"state\": {\"config\": \"$scfg\", \"variant\": \"$svar\", \"active_users\": $sactive, \"state_bytes\": $sbytes},"
  fi
  echo "  \"server_exit_codes\": \"${SERVER_EXIT_CODES[*]}\","
  echo "  \"runs\": {"
  sep=""
  for id in "${RUNS[@]}"; do
    printf '%s    "%s": ' "$sep" "$id"
    sed '2,$s/^/    /' "$OUT/runs/$id.json" | sed '$ s/}$/}/' | tr -d '\n' | sed 's/  */ /g'
    sep=$',\n'
  done
  printf '\n  }\n}\n'
} >"$OUT/report.json"

cat "$OUT/report.md"
log "report: $OUT/report.md, $OUT/report.json"
exit "$FAILED_EXIT"
