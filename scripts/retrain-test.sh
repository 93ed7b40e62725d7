#!/usr/bin/env bash
# End-to-end test of scripts/retrain.sh (retraining with a quality gate, issue 16) on loopback:
#   1. hrnn-synth writes a log whose tastes drift (--drift: each session a user's favourite
#      cluster may change), moved to end a minute ago; version 1 is trained on the 10 days before
#      the last week (small settings: hidden 32, 3 epochs, the default recipes);
#   2. hrnn-server serves it with a --state_dir on free ports, and the last week of events (the
#      drifted ones) is streamed into it with `hrnn-cli replay`;
#   3. retrain.sh --previous=<v1's data> --gate_days=2: version 2 is published (exit 0), the
#      server swaps to it (hrnn_model_version and GetModelInfo), and the report's gate figures
#      show it beating version 1 on both Recall@20 and MRR@20;
#   4. retrain.sh --drill_shuffle_items: the candidate trained on shuffled item ids is refused
#      (exit 3), no version 3 folder exists, and the server still serves version 2;
#   5. flag validation: bad flags exit 2 with a message naming the flag.
# Prints PASS/FAIL lines; exits 0 when every check passes, 1 otherwise.
# Environment: HRNN_BIN_DIR (default build/bin), KEEP=1 keeps the temp folder.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN="${HRNN_BIN_DIR:-build/bin}"
export HRNN_BIN_DIR="$BIN"
START=$(date +%s)
FAILURES=0

say() { printf '\n== %s\n' "$*"; }
pass() { echo "retrain-test: PASS: $*"; }
check_fail() { echo "retrain-test: FAIL: $*" >&2; FAILURES=$((FAILURES + 1)); }
fail() { echo "retrain-test: FAIL: $*" >&2; exit 1; }

for tool in hrnn-synth hrnn-train hrnn-eval hrnn-export hrnn-server hrnn-cli; do
  [ -x "$BIN/$tool" ] || fail "$BIN/$tool is missing (build first, or set HRNN_BIN_DIR)"
done

WORK=$(mktemp -d -t hrnn-retrain-test.XXXXXX)
# shellcheck source=scripts/lib/server.sh
source scripts/lib/server.sh
PIDS=()
cleanup() {
  local status=$?
  set +e
  stop_servers
  if [ "${KEEP:-0}" = "1" ]; then echo "retrain-test: kept $WORK"; else rm -rf "$WORK"; fi
  if [ "$status" -eq 0 ]; then
    echo "retrain-test: PASS in $(($(date +%s) - START)) s"
  else
    echo "retrain-test: FAIL ($FAILURES check(s) failed) in $(($(date +%s) - START)) s" >&2
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "data: hrnn-synth with drifting tastes, the last 17 days ending a minute ago"
"$BIN/hrnn-synth" --out="$WORK/raw.csv" --users=1000 --items=1000 --events=60000 --seed=3 \
  --drift=0.3 --gap_days=0.1 --start=1700000000 2>"$WORK/synth.log" \
  || { cat "$WORK/synth.log" >&2; fail "hrnn-synth failed"; }
NOW=$(($(date +%s) - 60))
DAY=86400
# Days 14..31 of the generated log (where every user is active), shifted to end at NOW.
awk -F, -v OFS=, -v now="$NOW" -v day="$DAY" '
  NR == 1 { print; next }
  { t = $3 - 1700000000; if (t < 14 * day || t >= 31 * day) next; $3 = t - 31 * day + now; print }' \
  "$WORK/raw.csv" > "$WORK/log.csv"
WEEK_START=$((NOW - 7 * DAY))
awk -F, -v c="$WEEK_START" 'NR == 1 || $3 < c' "$WORK/log.csv" > "$WORK/early.csv"
awk -F, -v c="$WEEK_START" 'NR == 1 || $3 >= c' "$WORK/log.csv" > "$WORK/week.csv"
echo "early (version 1's data): $(($(wc -l < "$WORK/early.csv") - 1)) events;" \
     "the last week: $(($(wc -l < "$WORK/week.csv") - 1)) events"

say "version 1: hrnn-train on the early part"
MODELS="$WORK/models/shop"
"$BIN/hrnn-train" --input="$WORK/early.csv" --output="$MODELS" --hidden=32 --user_hidden=32 \
  --epochs=3 --n_sample=256 --threads=2 --checkpoints=false >"$WORK/train-v1.out" \
  2>"$WORK/train-v1.err" || { tail -n 20 "$WORK/train-v1.err" >&2; fail "hrnn-train (v1) failed"; }
[ -f "$MODELS/1/config.json" ] || fail "no version 1"
pass "version 1 trained ($(tail -n 1 "$WORK/train-v1.out"))"

say "hrnn-server with --state_dir on free ports"
STATE="$WORK/state"
start_server server --model_dir="$MODELS" --state_dir="$STATE" --model_poll_interval=1s
TARGET=$server_TARGET
METRICS=$server_METRICS
served_version() {
  curl -s --max-time 2 "http://$METRICS/metrics" | awk '$1 == "hrnn_model_version" { print $2 }'
}
[ "$(served_version)" = "1" ] || fail "the server does not serve version 1 (hrnn_model_version $(served_version))"

say "a week of drifted events into the server (hrnn-cli replay)"
"$BIN/hrnn-cli" --target="$TARGET" replay --input="$WORK/week.csv" >"$WORK/replay.out" \
  2>"$WORK/replay.err" || { cat "$WORK/replay.err" >&2; fail "hrnn-cli replay failed"; }
pass "streamed the week: $(tail -n 1 "$WORK/replay.out")"

# retrain.sh with the test's settings; "$@" adds flags. Sets RC.
retrain() {
  local name=$1
  shift
  RC=0
  bash scripts/retrain.sh --model_dir="$MODELS" --state_dir="$STATE" --window=192h \
    --gate_days=2 --previous="$WORK/early.csv" --threads=2 --report="$WORK/$name.md" \
    --work_dir="$WORK/$name-work" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" || RC=$?
}
json_field() {  # FILE SECTION FIELD: gate.<section>.<field> of a retrain report's JSON.
  tr -d '\n' < "$1" | sed -n "s/.*\"$2\": {\"recall_at_20\": \([^,]*\), \"mrr_at_20\": \([^}]*\)}.*/\1 \2/p" \
    | awk -v f="$3" '{ print (f == "recall" ? $1 : $2) }'
}

say "retrain.sh: the candidate trained on v1's data + the week before the gate"
T0=$(date +%s)
retrain retrain1
echo "retrain.sh took $(($(date +%s) - T0)) s, exit $RC"
sed -n '/^## The gate/,/^## Every/p' "$WORK/retrain1.md" | sed '$d'
if [ "$RC" -eq 0 ]; then pass "retrain.sh exited 0 (published)"; else
  tail -n 30 "$WORK/retrain1.err" >&2; check_fail "retrain.sh exited $RC, want 0"; fi
if [ -f "$MODELS/2/config.json" ]; then pass "version 2 is in the model root"; else check_fail "no $MODELS/2"; fi
if grep -q '^| decision | \*\*published\*\*' "$WORK/retrain1.md"; then pass "the report says published"
else check_fail "the report does not say published"; fi
# The replayed week sends no recommendation ids: the feedback loop's share is 0 of the export.
if grep -q '^\*\*Feedback loop.\*\* 0 of the [0-9]* exported events' "$WORK/retrain1.md" \
   && grep -q '"events_with_recommendation_id": 0,' "$WORK/retrain1.json"; then
  pass "the report states the feedback loop's share (0: no event carried a recommendation id)"
else check_fail "the report does not state the feedback loop's share"; fi
V1_R=$(json_field "$WORK/retrain1.json" served recall) V1_M=$(json_field "$WORK/retrain1.json" served mrr)
V2_R=$(json_field "$WORK/retrain1.json" candidate recall) V2_M=$(json_field "$WORK/retrain1.json" candidate mrr)
echo "gate split: v1 Recall@20 $V1_R MRR@20 $V1_M; v2 Recall@20 $V2_R MRR@20 $V2_M"
if awk -v a="$V2_R" -v b="$V1_R" -v c="$V2_M" -v d="$V1_M" 'BEGIN { exit !(a > b && c > d) }'; then
  pass "version 2 beats version 1 on the gate split (Recall@20 and MRR@20)"
else
  check_fail "version 2 does not beat version 1 on the gate split"
fi
swapped=""
for _ in $(seq 120); do
  [ "$(served_version)" = "2" ] && { swapped=1; break; }
  sleep 0.5
done
if [ -n "$swapped" ]; then pass "the server swapped to version 2 (hrnn_model_version 2)"; else
  check_fail "the server still serves version $(served_version) after 60 s"; fi
if "$BIN/hrnn-cli" --target="$TARGET" --json model-info | grep -q '"version": *"\{0,1\}2"\{0,1\}[,}]'; then
  pass "GetModelInfo reports version 2"
else
  check_fail "GetModelInfo does not report version 2: $("$BIN/hrnn-cli" --target="$TARGET" --json model-info | head -c 300)"
fi

say "the drill: retrain.sh --drill_shuffle_items"
T0=$(date +%s)
retrain drill --drill_shuffle_items
echo "retrain.sh --drill_shuffle_items took $(($(date +%s) - T0)) s, exit $RC"
sed -n '/^## The gate/,/^## Every/p' "$WORK/drill.md" | sed '$d'
if [ "$RC" -eq 3 ]; then pass "the drill was refused (exit 3)"; else
  tail -n 30 "$WORK/drill.err" >&2; check_fail "the drill exited $RC, want 3"; fi
if [ ! -e "$MODELS/3" ] && ! compgen -G "$MODELS/.retrain-*" >/dev/null; then
  pass "no version 3 folder (nor a temporary one)"
else
  check_fail "the model root holds $(find "$MODELS" -mindepth 1 -maxdepth 1 -printf '%f ')"
fi
if grep -q '^| decision | \*\*refused\*\*' "$WORK/drill.md"; then pass "the drill's report says refused"
else check_fail "the drill's report does not say refused"; fi
sleep 2  # Two model polls: a version 3 would have been picked up.
if [ "$(served_version)" = "2" ]; then pass "the server still serves version 2"; else
  check_fail "the server serves version $(served_version)"; fi
if "$BIN/hrnn-cli" --target="$TARGET" recommend --user=u1 --n=5 >/dev/null; then
  pass "recommendations are answered"
else check_fail "GetRecommendations failed"; fi

say "flag validation (exit 2, the flag named)"
bad_flag() {  # EXPECTED_TEXT FLAGS...
  local want=$1 rc=0
  shift
  bash scripts/retrain.sh "$@" >/dev/null 2>"$WORK/usage.err" || rc=$?
  if [ "$rc" -eq 2 ] && grep -q -- "$want" "$WORK/usage.err"; then
    pass "$* -> exit 2: $(head -n 1 "$WORK/usage.err")"
  else
    check_fail "$* -> exit $rc, stderr: $(head -n 1 "$WORK/usage.err") (want 2 and $want)"
  fi
}
GOOD=(--model_dir="$MODELS" --state_dir="$STATE" --report="$WORK/r.md")
bad_flag "--model_dir is required" --state_dir="$STATE" --report="$WORK/r.md"
bad_flag "--state_dir=$WORK: no event log" --model_dir="$MODELS" --state_dir="$WORK" --report="$WORK/r.md"
bad_flag "--window=7d" "${GOOD[@]}" --window=7d
bad_flag "--gate_days=0" "${GOOD[@]}" --gate_days=0
bad_flag "--tolerance=-1" "${GOOD[@]}" --tolerance=-1
bad_flag "--previous=/nonexistent" "${GOOD[@]}" --previous=/nonexistent
bad_flag "--threads=x" "${GOOD[@]}" --threads=x
bad_flag "unknown flag --gate" "${GOOD[@]}" --gate=1

[ "$FAILURES" -eq 0 ] || exit 1
