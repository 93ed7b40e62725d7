#!/usr/bin/env bash
# Retraining with a quality gate (issue 16; docs/operations.md, "Retraining with a quality gate"):
# the project's own tools in a row, so that a scheduled retrain can never ship a worse model.
#   1. hrnn-export the event log's last --window of events from each --state_dir (it reads a copy
#      of the log: safe while the server runs), and the catalogue's availability (--items_out,
#      for the report);
#   2. hrnn-eval --split=time --test_days=--gate_days carves the gate: the sessions that start in
#      the export's last --gate_days days are the test side, written with --write_split; the
#      candidate's training data is the train side only (plus --previous rows older than the
#      export's first event), so it never sees a gate session;
#   3. hrnn-train trains the candidate with the served version's recorded settings (config.json
#      "training", recipes.json, item_attributes.csv; what is not recorded is listed in the
#      report) into the work folder;
#   4. hrnn-eval measures the served version and the candidate on the gate split (the same
#      history, the same test sessions), the GRU and every recipe they serve;
#   5. the candidate is published as the next version (served + 1: copied under a temporary name
#      in --model_dir, synced, renamed into place, as hrnn-train writes versions) only if its
#      Recall@20 and MRR@20 are both >= the served version's minus --tolerance (on the version's
#      default recipe, or the GRU for a GRU-only version). The server's hot swap and state
#      rebuild take it from there.
# A report (markdown, and JSON beside it) is always written to --report once the flags are valid.
#
# Usage: scripts/retrain.sh --model_dir=DIR --state_dir=DIR[,DIR...] --report=FILE.md
#          [--window=168h] [--gate_days=1] [--tolerance=0] [--previous=FILE.csv]
#          [--previous_missing_ok] [--previous_max_age=2160h] [--save_data=FILE.csv]
#          [--threads=N] [--train_flag=--FLAG=VALUE ...]
#          [--work_dir=DIR] [--keep_work] [--drill_shuffle_items]
# Exit status: 0 published; 3 refused by the gate (the served version keeps serving); 2 bad
# usage (the message names the flag); 1 any other failure (a tool failed, no served version, an
# empty gate split, a newer version appeared meanwhile): nothing is published then either.
# Environment: HRNN_BIN_DIR, the folder of hrnn-export, hrnn-train and hrnn-eval (default:
#   build/bin of this checkout when it holds them, else the PATH).
# shellcheck disable=SC2317  # write_report and finish run from the EXIT trap.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "$0")" && pwd)"
PROG=retrain

usage() {
  sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0"
  cat <<'EOF'
Flags:
  --model_dir=DIR       the served model root (integer version folders); required
  --state_dir=DIR[,..]  the server's --state_dir (one per replica, comma-separated); required
  --report=FILE         the report (markdown; JSON written to FILE with .json for .md); required
  --window=DURATION     export the events newer than this (hrnn-export --since; 0 = all the
                        log holds); default 168h
  --gate_days=DAYS      the last DAYS of the export are the gate (> 0, may be fractional);
                        default 1
  --tolerance=X         publish when candidate >= served - X on Recall@20 and MRR@20
                        (absolute, 0 <= X < 1); default 0
  --previous=FILE       earlier training data (interactions CSV with a header naming USER_ID,
                        ITEM_ID, TIMESTAMP; rows at or after the export's first event are dropped)
  --previous_missing_ok a missing --previous FILE is skipped (the first run of a chain)
  --previous_max_age=Nh drop --previous rows older than N hours (keeps a chained file bounded)
  --save_data=FILE      also write this run's data (previous + the whole export) for the next
                        run's --previous, atomically
  --threads=N           threads of hrnn-train and hrnn-eval (default: the served version's)
  --train_flag=FLAG     an extra hrnn-train flag (--name=value), after the recorded ones;
                        repeatable
  --work_dir=DIR        where the export, split and candidate go (default: a new temp folder,
                        removed at the end unless --keep_work)
  --keep_work           keep the work folder
  --drill_shuffle_items train the candidate on its data with the item ids shuffled (a broken
                        model on purpose): the gate must refuse it (exit 3); a drill candidate
                        is never published (were it to pass, the run exits 1: the gate failed)
EOF
}

die_usage() { echo "$PROG: $*" >&2; echo "$PROG: see --help" >&2; exit 2; }
log() { echo "$PROG: $*" >&2; }

# ---- flags ----
MODEL_DIR="" STATE_DIRS="" REPORT="" WINDOW="168h" GATE_DAYS="1" TOLERANCE="0" PREVIOUS=""
SAVE_DATA="" THREADS="" WORK_DIR="" KEEP_WORK=0 DRILL=0 PREVIOUS_MISSING_OK=0 PREVIOUS_MAX_AGE=""
TRAIN_FLAGS=()
for arg in "$@"; do
  case "$arg" in
    --help|-h) usage; exit 0 ;;
    --model_dir=*) MODEL_DIR="${arg#*=}" ;;
    --state_dir=*) STATE_DIRS="${arg#*=}" ;;
    --report=*) REPORT="${arg#*=}" ;;
    --window=*) WINDOW="${arg#*=}" ;;
    --gate_days=*) GATE_DAYS="${arg#*=}" ;;
    --tolerance=*) TOLERANCE="${arg#*=}" ;;
    --previous=*) PREVIOUS="${arg#*=}" ;;
    --previous_missing_ok|--previous_missing_ok=true) PREVIOUS_MISSING_OK=1 ;;
    --previous_missing_ok=false) PREVIOUS_MISSING_OK=0 ;;
    --previous_max_age=*) PREVIOUS_MAX_AGE="${arg#*=}" ;;
    --save_data=*) SAVE_DATA="${arg#*=}" ;;
    --threads=*) THREADS="${arg#*=}" ;;
    --train_flag=*) TRAIN_FLAGS+=("${arg#*=}") ;;
    --work_dir=*) WORK_DIR="${arg#*=}" ;;
    --keep_work|--keep_work=true) KEEP_WORK=1 ;;
    --keep_work=false) KEEP_WORK=0 ;;
    --drill_shuffle_items|--drill_shuffle_items=true) DRILL=1 ;;
    --drill_shuffle_items=false) DRILL=0 ;;
    --*=*) die_usage "unknown flag ${arg%%=*}" ;;
    *) die_usage "unknown flag or argument: $arg" ;;
  esac
done

[ -n "$MODEL_DIR" ] || die_usage "--model_dir is required (the served model root)"
[ -d "$MODEL_DIR" ] || die_usage "--model_dir=$MODEL_DIR: no such directory"
[ -w "$MODEL_DIR" ] || die_usage "--model_dir=$MODEL_DIR: not writable (the candidate is published there)"
[ -n "$STATE_DIRS" ] || die_usage "--state_dir is required (the server's --state_dir)"
IFS=, read -r -a STATE_DIR_LIST <<< "$STATE_DIRS"
[ "${#STATE_DIR_LIST[@]}" -gt 0 ] || die_usage "--state_dir: no directory given"
for dir in "${STATE_DIR_LIST[@]}"; do
  [ -n "$dir" ] || die_usage "--state_dir=$STATE_DIRS: an empty entry"
  [ -d "$dir/log" ] || die_usage "--state_dir=$dir: no event log ($dir/log is missing)"
done
[ -n "$REPORT" ] || die_usage "--report is required (where the report is written)"
if ! mkdir -p "$(dirname "$REPORT")" 2>/dev/null || [ ! -w "$(dirname "$REPORT")" ]; then
  die_usage "--report=$REPORT: cannot write to the folder $(dirname "$REPORT")"
fi
DURATION_RE='^(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|ms|s|m|h))+$'
[ "$WINDOW" = "0" ] || [[ "$WINDOW" =~ $DURATION_RE ]] \
  || die_usage "--window=$WINDOW: not a duration (e.g. 168h, 90m, 0 for every event)"
NUMBER_RE='^([0-9]+(\.[0-9]*)?|\.[0-9]+)$'
if ! [[ "$GATE_DAYS" =~ $NUMBER_RE ]] || ! awk -v x="$GATE_DAYS" 'BEGIN { exit !(x > 0) }'; then
  die_usage "--gate_days=$GATE_DAYS: must be a number of days > 0"
fi
if ! [[ "$TOLERANCE" =~ $NUMBER_RE ]] || ! awk -v x="$TOLERANCE" 'BEGIN { exit !(x >= 0 && x < 1) }'; then
  die_usage "--tolerance=$TOLERANCE: must be a number in [0, 1) (absolute Recall/MRR)"
fi
if [ -n "$PREVIOUS" ] && [ ! -e "$PREVIOUS" ] && [ "$PREVIOUS_MISSING_OK" -eq 1 ]; then
  log "--previous=$PREVIOUS does not exist (yet): training on the export only (--previous_missing_ok)"
  PREVIOUS=""
fi
if [ -n "$PREVIOUS_MAX_AGE" ]; then
  [[ "$PREVIOUS_MAX_AGE" =~ ^[1-9][0-9]*h$ ]] \
    || die_usage "--previous_max_age=$PREVIOUS_MAX_AGE: must be a whole number of hours > 0 (e.g. 2160h)"
fi
if [ -n "$PREVIOUS" ]; then
  if [ ! -f "$PREVIOUS" ] || [ ! -r "$PREVIOUS" ]; then die_usage "--previous=$PREVIOUS: not a readable file"; fi
  head -n 1 "$PREVIOUS" | tr -d '\r' | tr '[:lower:]' '[:upper:]' \
    | awk -F, '{ for (i = 1; i <= NF; i++) seen[$i] = 1 }
               END { exit !(seen["USER_ID"] && seen["ITEM_ID"] && seen["TIMESTAMP"]) }' \
    || die_usage "--previous=$PREVIOUS: the header must name USER_ID, ITEM_ID and TIMESTAMP (a Personalize CSV)"
fi
if [ -n "$SAVE_DATA" ]; then
  if ! mkdir -p "$(dirname "$SAVE_DATA")" 2>/dev/null || [ ! -w "$(dirname "$SAVE_DATA")" ]; then
    die_usage "--save_data=$SAVE_DATA: cannot write to the folder $(dirname "$SAVE_DATA")"
  fi
fi
if [ -n "$THREADS" ]; then
  [[ "$THREADS" =~ ^[1-9][0-9]*$ ]] || die_usage "--threads=$THREADS: must be an integer >= 1"
fi
for flag in "${TRAIN_FLAGS[@]+"${TRAIN_FLAGS[@]}"}"; do
  [[ "$flag" =~ ^--[a-z_]+(=.*)?$ ]] || die_usage "--train_flag=$flag: must be one hrnn-train flag, --name=value"
  case "$flag" in
    --input=*|--output=*|--items=*) die_usage "--train_flag=$flag: retrain.sh sets --input, --output and --items itself" ;;
  esac
done
if [ -n "$WORK_DIR" ]; then
  mkdir -p "$WORK_DIR" 2>/dev/null || die_usage "--work_dir=$WORK_DIR: cannot create it"
fi

if [ -n "${HRNN_BIN_DIR:-}" ]; then
  BIN="$HRNN_BIN_DIR"
elif [ -x "$SCRIPT_DIR/../build/bin/hrnn-train" ]; then
  BIN="$SCRIPT_DIR/../build/bin"
else
  BIN=""
fi
tool() {
  if [ -n "$BIN" ]; then echo "$BIN/$1"; else command -v "$1" || echo "$1"; fi
}
for name in hrnn-export hrnn-train hrnn-eval; do
  [ -x "$(tool "$name")" ] \
    || die_usage "$name not found (HRNN_BIN_DIR=${HRNN_BIN_DIR:-unset}; looked in ${BIN:-the PATH})"
done

# ---- from here on, a report is always written ----
START=$(date +%s)
STARTED_AT=$(date -u +%Y-%m-%dT%H:%M:%SZ)
if [ -z "$WORK_DIR" ]; then
  WORK=$(mktemp -d -t hrnn-retrain.XXXXXX)
  OWN_WORK=1
else
  WORK="$WORK_DIR"
  OWN_WORK=0
fi
REPORT_JSON="${REPORT%.md}.json"
[ "$REPORT_JSON" != "$REPORT" ] || REPORT_JSON="$REPORT.json"

DECISION="error" REASON="" EXIT_CODE=1
SERVED_VERSION="" SERVED_DIR="" NEXT_VERSION="" PUBLISHED_DIR=""
PREVIOUS_AGED=0 EXPORTED=0 EXPORT_FIRST="" EXPORT_LAST="" PREVIOUS_KEPT=0 PREVIOUS_DROPPED=0 TRAIN_ROWS=0
GATE_TEST_EVENTS=0 GATE_PREDICTIONS=0 UNAVAILABLE_ITEMS=0 FROM_RECOMMENDATIONS=0 GATE_ROW="" GATE_LABEL=""
SERVED_R="" SERVED_M="" CAND_R="" CAND_M="" NEED_R="" NEED_M=""
TRAIN_ARGS=() NOT_RECORDED=() ITEMS_ARGS=()

# Flattens a pretty-printed JSON file (nlohmann's dump(2), one member per line, as config.json,
# recipes.json and hrnn-eval --json write) to "path<TAB>value" lines: a.b.0.c<TAB>value.
flatten_json() {
  awk '
    function joined(   i, p) {
      p = ""
      for (i = 2; i <= depth; i++) p = p name[i] "."
      return p
    }
    {
      line = $0
      sub(/^[ \t]+/, "", line); sub(/[ \t\r]+$/, "", line); sub(/,$/, "", line)
      if (line == "") next
      if (line == "}" || line == "]") { depth--; next }
      key = ""; rest = line
      if (match(line, /^"[^"]*"[ ]*:[ ]*/)) {
        key = substr(line, 2, index(substr(line, 2), "\"") - 1)
        rest = substr(line, RLENGTH + 1)
      } else if (depth > 0 && is_array[depth]) {
        key = next_index[depth]++
      }
      if (rest == "{" || rest == "[") {
        depth++; name[depth] = key; is_array[depth] = (rest == "["); next_index[depth] = 0
        next
      }
      if (rest == "{}" || rest == "[]") next
      if (rest ~ /^".*"$/) rest = substr(rest, 2, length(rest) - 2)
      print joined() key "\t" rest
    }' "$1"
}
# json_get FLAT PATH: the value at PATH of a flattened file, or "" when absent.
json_get() { awk -F '\t' -v k="$2" '$1 == k { print $2; exit }' "$1"; }
json_escape() { printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' | tr '\n\t' '  '; }
# A JSON number, or null.
json_number() {
  if [[ "$1" =~ ^-?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?$ ]]; then
    awk -v x="$1" 'BEGIN { printf "%.10g\n", x }'
  else
    echo null
  fi
}
fmt4() { if [ -n "$1" ]; then awk -v x="$1" 'BEGIN { printf "%.4f", x }'; else echo "n/a"; fi; }
epoch_utc() { if [ -n "$1" ]; then date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; else echo "n/a"; fi; }

write_report() {
  local tmp="$REPORT.tmp.$$" json_tmp="$REPORT_JSON.tmp.$$" mode="normal"
  [ "$DRILL" -eq 0 ] || mode="drill (--drill_shuffle_items: the candidate learned from shuffled item ids)"
  {
    echo "# Retraining report"
    echo
    echo "| | |"
    echo "| --- | --- |"
    echo "| decision | **$DECISION** (exit $EXIT_CODE) |"
    echo "| why | $REASON |"
    echo "| run | $mode; started $STARTED_AT, $(($(date +%s) - START)) s |"
    echo "| model root | \`$MODEL_DIR\` |"
    echo "| served version | ${SERVED_VERSION:-none} |"
    echo "| candidate | $( [ -n "$PUBLISHED_DIR" ] && echo "published as version $NEXT_VERSION (\`$PUBLISHED_DIR\`)" || echo "not published" ) |"
    echo "| events exported | $EXPORTED from \`$STATE_DIRS\` (--window=$WINDOW): $(epoch_utc "$EXPORT_FIRST") .. $(epoch_utc "$EXPORT_LAST") |"
    echo "| previous data | ${PREVIOUS:-none}$( [ -z "$PREVIOUS" ] || echo ": $PREVIOUS_KEPT rows kept, $PREVIOUS_DROPPED at or after the export's first event and $PREVIOUS_AGED older than --previous_max_age dropped" ) |"
    echo "| candidate's training rows | $TRAIN_ROWS (never a gate session) |"
    echo "| gate split | sessions starting in the export's last $GATE_DAYS day(s): $GATE_TEST_EVENTS test events, $GATE_PREDICTIONS predictions |"
    echo "| items out of stock | $UNAVAILABLE_ITEMS (hrnn-export --items_out; the server carries them across the swap) |"
    echo
    if [ -n "$GATE_ROW" ]; then
      echo "## The gate ($GATE_LABEL, Recall@20 and MRR@20, tolerance $TOLERANCE)"
      echo
      echo "| | Recall@20 | MRR@20 |"
      echo "| --- | --- | --- |"
      echo "| served (version $SERVED_VERSION) | $(fmt4 "$SERVED_R") | $(fmt4 "$SERVED_M") |"
      echo "| candidate | $(fmt4 "$CAND_R") | $(fmt4 "$CAND_M") |"
      echo "| needed (served - tolerance) | $(fmt4 "$NEED_R") | $(fmt4 "$NEED_M") |"
      echo
    fi
    if [ -s "$WORK/eval.flat" ]; then
      echo "## Every row measured on the gate split (hrnn-eval, 95% bootstrap intervals over users)"
      echo
      echo "| method | Recall@20 | 95% CI | MRR@20 | 95% CI | predictions |"
      echo "| --- | --- | --- | --- | --- | --- |"
      local i=0 name
      while name=$(json_get "$WORK/eval.flat" "methods.$i.name"); [ -n "$name" ]; do
        if [ "$(json_get "$WORK/eval.flat" "methods.$i.kind")" = "recipe" ]; then
          if [ "$(json_get "$WORK/eval.flat" "methods.$i.source")" = "$SERVED_DIR" ]; then
            name="${name%% *} (served)"
          else
            name="${name%% *} (candidate)"
          fi
        else
          name="$name (GRU)"
        fi
        echo "| $name | $(fmt4 "$(json_get "$WORK/eval.flat" "methods.$i.recall.20")")" \
             "| [$(fmt4 "$(json_get "$WORK/eval.flat" "methods.$i.recall_ci.0")"), $(fmt4 "$(json_get "$WORK/eval.flat" "methods.$i.recall_ci.1")")]" \
             "| $(fmt4 "$(json_get "$WORK/eval.flat" "methods.$i.mrr.20")")" \
             "| [$(fmt4 "$(json_get "$WORK/eval.flat" "methods.$i.mrr_ci.0")"), $(fmt4 "$(json_get "$WORK/eval.flat" "methods.$i.mrr_ci.1")")]" \
             "| $(json_get "$WORK/eval.flat" "methods.$i.predictions") |"
        i=$((i + 1))
      done
      echo
      echo "Protocol: $(json_get "$WORK/eval.flat" protocol)."
      echo
    fi
    if [ "${#TRAIN_ARGS[@]}" -gt 0 ]; then
      echo "## The candidate's training settings"
      echo
      echo "From version $SERVED_VERSION's config.json (\"training\"), recipes.json and item_attributes.csv,"
      echo "then --threads and --train_flag:"
      echo
      echo '```'
      echo "hrnn-train --input=<training rows> --output=<work>/candidate/1 ${TRAIN_ARGS[*]}${ITEMS_ARGS[*]+ ${ITEMS_ARGS[*]}}"
      echo '```'
      echo
      echo "Not recorded by hrnn-train, so hrnn-train's defaults apply unless --train_flag sets them:"
      echo "${NOT_RECORDED[*]}."
      echo
    fi
    if [ "$EXPORTED" -gt 0 ]; then
      echo "**Feedback loop.** $FROM_RECOMMENDATIONS of the $EXPORTED exported events"
      echo "($(awk -v a="$FROM_RECOMMENDATIONS" -v b="$EXPORTED" 'BEGIN { printf "%.1f%%", 100 * a / b }'))"
      echo "were sent back with a recommendation's id: the share of the training data that the served"
      echo "model's own recommendations led to (a rising share means the model increasingly learns from"
      echo "itself; clicks on recommended items sent without the id are not counted here:"
      echo "\`hrnn-report\` attributes those by window)."
    fi
  } > "$tmp"
  mv -f "$tmp" "$REPORT"
  {
    echo "{"
    echo "  \"decision\": \"$DECISION\","
    echo "  \"reason\": \"$(json_escape "$REASON")\","
    echo "  \"exit_code\": $EXIT_CODE,"
    echo "  \"drill_shuffle_items\": $( [ "$DRILL" -eq 1 ] && echo true || echo false ),"
    echo "  \"started_at\": \"$STARTED_AT\","
    echo "  \"seconds\": $(($(date +%s) - START)),"
    echo "  \"model_dir\": \"$(json_escape "$MODEL_DIR")\","
    echo "  \"served_version\": ${SERVED_VERSION:-null},"
    echo "  \"published_version\": $( [ -n "$PUBLISHED_DIR" ] && echo "$NEXT_VERSION" || echo null ),"
    echo "  \"window\": \"$WINDOW\", \"gate_days\": $(json_number "$GATE_DAYS"), \"tolerance\": $(json_number "$TOLERANCE"),"
    echo "  \"events_exported\": $(json_number "$EXPORTED"), \"events_with_recommendation_id\": $(json_number "$FROM_RECOMMENDATIONS"),"
    echo "  \"previous_rows_kept\": $(json_number "$PREVIOUS_KEPT"),"
    echo "  \"previous_rows_dropped\": $(json_number "$PREVIOUS_DROPPED"), \"training_rows\": $(json_number "$TRAIN_ROWS"),"
    echo "  \"gate_test_events\": $(json_number "$GATE_TEST_EVENTS"), \"gate_predictions\": $(json_number "$GATE_PREDICTIONS"),"
    echo "  \"gate\": {\"row\": \"$(json_escape "$GATE_LABEL")\","
    echo "    \"served\": {\"recall_at_20\": $(json_number "$SERVED_R"), \"mrr_at_20\": $(json_number "$SERVED_M")},"
    echo "    \"candidate\": {\"recall_at_20\": $(json_number "$CAND_R"), \"mrr_at_20\": $(json_number "$CAND_M")},"
    echo "    \"needed\": {\"recall_at_20\": $(json_number "$NEED_R"), \"mrr_at_20\": $(json_number "$NEED_M")}},"
    echo "  \"train_args\": \"$(json_escape "${TRAIN_ARGS[*]+"${TRAIN_ARGS[*]}"}")\""
    echo "}"
  } > "$json_tmp"
  mv -f "$json_tmp" "$REPORT_JSON"
}

finish() {
  local status=$?
  trap - EXIT
  set +e
  if [ "$DECISION" = "error" ]; then
    EXIT_CODE=$status
    [ "$EXIT_CODE" -ne 0 ] || EXIT_CODE=1
    [ -n "$REASON" ] || REASON="interrupted or failed (exit $status); see the messages above"
  fi
  rm -rf "${PUBLISH_TMP:-}" 2>/dev/null
  write_report
  log "report: $REPORT ($REPORT_JSON)"
  cat "$REPORT"
  if [ "$OWN_WORK" -eq 1 ] && [ "$KEEP_WORK" -eq 0 ]; then rm -rf "$WORK"; else log "work folder kept: $WORK"; fi
  exit "$EXIT_CODE"
}
trap finish EXIT
trap 'REASON="interrupted by a signal"; exit 130' INT TERM
fail() { REASON="$*"; log "$*"; exit 1; }

# ---- the served version: the highest integer folder holding config.json ----
highest_version() {  # $1 = "complete" or "any"
  local best="" entry name
  for entry in "$MODEL_DIR"/*; do
    name=$(basename "$entry")
    if ! [[ "$name" =~ ^(0|[1-9][0-9]*)$ ]] || [ ! -d "$entry" ]; then continue; fi
    [ "$1" = "any" ] || [ -f "$entry/config.json" ] || continue
    if [ -z "$best" ] || [ "$name" -gt "$best" ]; then best=$name; fi
  done
  echo "$best"
}
SERVED_VERSION=$(highest_version complete)
[ -n "$SERVED_VERSION" ] || fail "no complete version under $MODEL_DIR: train the first one with hrnn-train"
SERVED_DIR="$MODEL_DIR/$SERVED_VERSION"
log "served version: $SERVED_DIR"

# ---- 1. export ----
mkdir -p "$WORK"
: > "$WORK/export.csv"
for dir in "${STATE_DIR_LIST[@]}"; do
  "$(tool hrnn-export)" --state_dir="$dir" --since="$WINDOW" --out="$WORK/export-part.csv" \
    --items_out="$WORK/items-part.csv" 2>"$WORK/export.err" \
    || { cat "$WORK/export.err" >&2; fail "hrnn-export --state_dir=$dir failed: $(tail -n 1 "$WORK/export.err")"; }
  cat "$WORK/export.err" >&2
  FROM_RECOMMENDATIONS=$((FROM_RECOMMENDATIONS + $(sed -n 's/^hrnn-export: [0-9]* events written (\([0-9]*\) with a recommendation id).*/\1/p' "$WORK/export.err" | head -n 1 | grep . || echo 0)))
  if [ -s "$WORK/export.csv" ]; then tail -n +2 "$WORK/export-part.csv" >> "$WORK/export.csv"
  else cat "$WORK/export-part.csv" > "$WORK/export.csv"; fi
  UNAVAILABLE_ITEMS=$((UNAVAILABLE_ITEMS + $(awk -F, 'NR > 1 && $2 == "false"' "$WORK/items-part.csv" | wc -l)))
done
EXPORT_HEADER=$(head -n 1 "$WORK/export.csv")
[ "$EXPORT_HEADER" = "USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE,SESSION_ID" ] \
  || fail "hrnn-export wrote an unexpected header: $EXPORT_HEADER"
EXPORTED=$(($(wc -l < "$WORK/export.csv") - 1))
[ "$EXPORTED" -gt 0 ] || fail "no event in the last --window=$WINDOW of the log"
read -r EXPORT_FIRST EXPORT_LAST < <(awk -F, 'NR > 1 { if (min == "" || $3 < min) min = $3; if ($3 > max) max = $3 }
                                              END { print min, max }' "$WORK/export.csv")
log "exported $EXPORTED events ($(epoch_utc "$EXPORT_FIRST") .. $(epoch_utc "$EXPORT_LAST"))"

# ---- 2. the gate split (hrnn-eval's own time split) and the candidate's training rows ----
rm -rf "$WORK/split"
"$(tool hrnn-eval)" --input="$WORK/export.csv" --split=time --test_days="$GATE_DAYS" \
  --write_split="$WORK/split" --baselines=pop --bootstrap=1 --tie_shuffle=false \
  >"$WORK/split.out" 2>"$WORK/split.err" \
  || { cat "$WORK/split.err" >&2; fail "hrnn-eval could not split the export: $(tail -n 1 "$WORK/split.err")"; }
if [ ! -f "$WORK/split/train.csv" ] || [ ! -f "$WORK/split/test.csv" ]; then fail "hrnn-eval wrote no split"; fi
GATE_TEST_EVENTS=$(($(wc -l < "$WORK/split/test.csv") - 1))
[ "$GATE_TEST_EVENTS" -gt 0 ] \
  || fail "the gate split is empty: no session of 2+ known items starts in the export's last --gate_days=$GATE_DAYS"
# Training rows: USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE,SESSION_ID. --previous rows (by
# its header's names) older than the export's first event, then the split's train side.
echo "USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE,SESSION_ID" > "$WORK/train.csv"
if [ -n "$PREVIOUS" ]; then
  oldest=0
  [ -z "$PREVIOUS_MAX_AGE" ] || oldest=$(($(date +%s) - ${PREVIOUS_MAX_AGE%h} * 3600))
  awk -F, -v OFS=, -v first="$EXPORT_FIRST" -v oldest="$oldest" -v out="$WORK/train.csv" '
    NR == 1 {
      for (i = 1; i <= NF; i++) { h = toupper($i); sub(/\r$/, "", h); col[h] = i }
      next
    }
    {
      sub(/\r$/, "")
      if ($col["TIMESTAMP"] + 0 >= first + 0) { dropped++; next }
      if ($col["TIMESTAMP"] + 0 < oldest + 0) { aged++; next }
      kept++
      print $col["USER_ID"], $col["ITEM_ID"], $col["TIMESTAMP"],
            ("EVENT_TYPE" in col ? $col["EVENT_TYPE"] : ""),
            ("EVENT_VALUE" in col ? $col["EVENT_VALUE"] : ""),
            ("SESSION_ID" in col ? "p:" $col["SESSION_ID"] : "") >> out
    }
    END { printf "%d %d %d\n", kept, dropped, aged }' "$PREVIOUS" > "$WORK/previous.counts"
  read -r PREVIOUS_KEPT PREVIOUS_DROPPED PREVIOUS_AGED < "$WORK/previous.counts"
fi
awk -F, -v OFS=, '
  NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
  { print $col["USER_ID"], $col["ITEM_ID"], $col["TIMESTAMP"], "", "",
          ("SESSION_ID" in col ? $col["SESSION_ID"] : "") }' "$WORK/split/train.csv" >> "$WORK/train.csv"
TRAIN_ROWS=$(($(wc -l < "$WORK/train.csv") - 1))
log "gate: $GATE_TEST_EVENTS test events; candidate's training rows: $TRAIN_ROWS"
if [ -n "$SAVE_DATA" ]; then
  # The --previous rows kept, then the whole export (gate days included: history for next time).
  { head -n $((PREVIOUS_KEPT + 1)) "$WORK/train.csv"; tail -n +2 "$WORK/export.csv"; } > "$SAVE_DATA.tmp.$$"
  mv -f "$SAVE_DATA.tmp.$$" "$SAVE_DATA"
  log "saved this run's data ($((PREVIOUS_KEPT + EXPORTED)) rows) to $SAVE_DATA"
fi

# ---- 3. the candidate, with the served version's recorded settings ----
flatten_json "$SERVED_DIR/config.json" > "$WORK/served-config.flat"
setting() { json_get "$WORK/served-config.flat" "training.$1"; }
for name in mode loss logq bpreg elu hidden user_hidden embedding epochs batch n_sample \
            sample_alpha learning_rate momentum dropout_embedding dropout_hidden dropout_init \
            order seed threads min_item_support filter_fixpoint; do
  value=$(setting "$name")
  if [ -n "$value" ]; then TRAIN_ARGS+=("--$name=$value"); else NOT_RECORDED+=("--$name"); fi
done
value=$(setting session_gap_seconds)
if [ -n "$value" ]; then TRAIN_ARGS+=("--session_gap=${value}s"); else NOT_RECORDED+=("--session_gap"); fi
validation=$(setting validation)
case "$validation" in
  last-session) TRAIN_ARGS+=(--validation) ;;
  time:*) TRAIN_ARGS+=(--validation "--validation_window=${validation#time:}s") ;;
  "") NOT_RECORDED+=("--validation") ;;
  *) ;;  # "none" or unknown: no validation split.
esac
if [ -n "$validation" ] && [ "$validation" != "none" ]; then
  if [ "$(setting refit)" = "true" ]; then TRAIN_ARGS+=(--refit=true); else TRAIN_ARGS+=(--refit=false); fi
fi
if [ -f "$SERVED_DIR/recipes.json" ]; then
  flatten_json "$SERVED_DIR/recipes.json" > "$WORK/served-recipes.flat"
  recipe() { json_get "$WORK/served-recipes.flat" "$1"; }
  DEFAULT_RECIPE=$(recipe default)
  list="$DEFAULT_RECIPE" i=0
  while r=$(recipe "recipes.$i"); [ -n "$r" ]; do
    [ "$r" = "$DEFAULT_RECIPE" ] || list="$list,$r"
    i=$((i + 1))
  done
  TRAIN_ARGS+=("--recipes=$list")
  [ -z "$(recipe sknn.k)" ] || TRAIN_ARGS+=("--sknn_k=$(recipe sknn.k)")
  [ -z "$(recipe sknn.sample_size)" ] || TRAIN_ARGS+=("--sknn_sample_size=$(recipe sknn.sample_size)")
  [ -z "$(recipe sr.max_distance)" ] || TRAIN_ARGS+=("--sr_max_distance=$(recipe sr.max_distance)")
  value=$(recipe personal.half_life_seconds)
  if [ "$value" = "none" ]; then TRAIN_ARGS+=(--personal_half_life=inf)
  elif [ -n "$value" ]; then TRAIN_ARGS+=("--personal_half_life=$(awk -v x="$value" 'BEGIN { printf "%.0fs", x }')"); fi
  [ -z "$(recipe personal.session_weight)" ] \
    || TRAIN_ARGS+=("--personal_session_weight=$(recipe personal.session_weight)")
  value=$(recipe trending.half_life_seconds)
  [ -z "$value" ] || TRAIN_ARGS+=("--trending_half_life=$(awk -v x="$value" 'BEGIN { printf "%.0fs", x }')")
  NOT_RECORDED+=("sknn similarity and sr max_rules_per_item (no hrnn-train flag)")
else
  DEFAULT_RECIPE=""
  TRAIN_ARGS+=(--recipes=hrnn)
fi
NOT_RECORDED+=(--patience --event_types --min_event_value --min_session_length --max_session_length
               --min_sessions_per_user --use_session_ids --format --allow_worse)
if [ -n "$THREADS" ]; then
  for i in "${!TRAIN_ARGS[@]}"; do
    [[ "${TRAIN_ARGS[$i]}" != --threads=* ]] || unset 'TRAIN_ARGS[i]'
  done
  TRAIN_ARGS=("${TRAIN_ARGS[@]}" "--threads=$THREADS")
fi
TRAIN_ARGS+=(--checkpoints=false)
if [ "$DRILL" -eq 1 ]; then
  # The drill is about the gate: a blend worse than its components must still be written.
  TRAIN_ARGS+=(--allow_worse)
fi
TRAIN_ARGS+=("${TRAIN_FLAGS[@]+"${TRAIN_FLAGS[@]}"}")
ITEMS_ARGS=()
[ ! -f "$SERVED_DIR/item_attributes.csv" ] || ITEMS_ARGS=("--items=$SERVED_DIR/item_attributes.csv")

TRAIN_INPUT="$WORK/train.csv"
if [ "$DRILL" -eq 1 ]; then
  # Every item id replaced by another one of the training items (a fixed random permutation).
  awk -F, -v OFS=, '
    NR == 1 { header = $0; next }
    { row[NR] = $0; if (!($2 in index_of)) { index_of[$2] = n; item[n++] = $2 } }
    END {
      srand(7)
      for (i = 0; i < n; i++) perm[i] = item[i]
      for (i = n - 1; i > 0; i--) { j = int(rand() * (i + 1)); t = perm[i]; perm[i] = perm[j]; perm[j] = t }
      print header
      for (r = 2; r <= NR; r++) {
        if (!(r in row)) continue
        split(row[r], f, ",")
        f[2] = perm[index_of[f[2]]]
        print f[1], f[2], f[3], f[4], f[5], f[6]
      }
    }' "$WORK/train.csv" > "$WORK/train-shuffled.csv"
  TRAIN_INPUT="$WORK/train-shuffled.csv"
  log "drill: training the candidate on shuffled item ids"
fi
rm -rf "$WORK/candidate"
log "training the candidate: hrnn-train ${TRAIN_ARGS[*]} ${ITEMS_ARGS[*]+"${ITEMS_ARGS[*]}"}"
"$(tool hrnn-train)" --input="$TRAIN_INPUT" --output="$WORK/candidate/1" "${TRAIN_ARGS[@]}" \
  "${ITEMS_ARGS[@]+"${ITEMS_ARGS[@]}"}" >"$WORK/train.out" 2>"$WORK/train.err" \
  || { tail -n 20 "$WORK/train.err" >&2; fail "hrnn-train failed: $(tail -n 1 "$WORK/train.err")"; }
[ -f "$WORK/candidate/1/config.json" ] || fail "hrnn-train wrote no candidate version"

# ---- 4. served vs candidate on the gate split ----
MODELS="$SERVED_DIR,$WORK/candidate/1" NAMES="served,candidate"
EVAL_ARGS=(--model="$MODELS" --model_names="$NAMES"
           --train="$WORK/train.csv" --test="$WORK/split/test.csv" --split=time
           --test_days="$GATE_DAYS" --baselines= --json="$WORK/eval.json")
[ -z "$DEFAULT_RECIPE" ] || EVAL_ARGS+=(--recipes=all)
[ -z "$THREADS" ] || EVAL_ARGS+=("--threads=$THREADS")
"$(tool hrnn-eval)" "${EVAL_ARGS[@]}" >"$WORK/eval.out" 2>"$WORK/eval.err" \
  || { tail -n 20 "$WORK/eval.err" >&2; fail "hrnn-eval failed: $(tail -n 1 "$WORK/eval.err")"; }
cat "$WORK/eval.out" >&2
flatten_json "$WORK/eval.json" > "$WORK/eval.flat"
GATE_PREDICTIONS=$(json_get "$WORK/eval.flat" test_predictions)
[ "${GATE_PREDICTIONS:-0}" -gt 0 ] || fail "the gate split has no prediction to evaluate"
if [ -n "$DEFAULT_RECIPE" ]; then
  SERVED_ROW="$DEFAULT_RECIPE (served)" CAND_ROW="$DEFAULT_RECIPE (candidate)"
  GATE_LABEL="the default recipe, $DEFAULT_RECIPE"
else
  SERVED_ROW="served" CAND_ROW="candidate"
  GATE_LABEL="the GRU (a version without recipes)"
fi
# The row of a model (its --model_names name), or of one of its recipes (kind "recipe", source the
# model's folder, name "<recipe> (...)": matched by prefix, as hrnn-eval's recipe rows after the
# first nest the previous row's name).
row_index() {  # NAME [RECIPE SOURCE]
  awk -F '\t' -v name="$1" -v recipe="${2:-}" -v source="${3:-}" '
    { split($1, p, "."); if (p[1] != "methods") next; i = p[2]; f = substr($1, length("methods." i ".") + 1)
      value[i, f] = $2; if (i + 1 > n) n = i + 1 }
    END {
      for (i = 0; i < n; i++) {
        if (recipe == "" && value[i, "name"] == name && value[i, "kind"] != "recipe") { print i; exit }
        if (recipe != "" && value[i, "kind"] == "recipe" && value[i, "source"] == source &&
            index(value[i, "name"], recipe " (") == 1) { print i; exit }
      }
    }' "$WORK/eval.flat"
}
if [ -n "$DEFAULT_RECIPE" ]; then
  si=$(row_index "" "$DEFAULT_RECIPE" "$SERVED_DIR") ci=$(row_index "" "$DEFAULT_RECIPE" "$WORK/candidate/1")
else
  si=$(row_index served) ci=$(row_index candidate)
fi
[ -n "$si" ] || fail "hrnn-eval has no \"$SERVED_ROW\" row"
[ -n "$ci" ] || fail "hrnn-eval has no \"$CAND_ROW\" row"
GATE_ROW="$SERVED_ROW"
SERVED_R=$(json_get "$WORK/eval.flat" "methods.$si.recall.20")
SERVED_M=$(json_get "$WORK/eval.flat" "methods.$si.mrr.20")
CAND_R=$(json_get "$WORK/eval.flat" "methods.$ci.recall.20")
CAND_M=$(json_get "$WORK/eval.flat" "methods.$ci.mrr.20")
NEED_R=$(awk -v s="$SERVED_R" -v t="$TOLERANCE" 'BEGIN { printf "%.10f", s - t }')
NEED_M=$(awk -v s="$SERVED_M" -v t="$TOLERANCE" 'BEGIN { printf "%.10f", s - t }')
verdict=$(awk -v r="$CAND_R" -v m="$CAND_M" -v nr="$NEED_R" -v nm="$NEED_M" 'BEGIN {
  bad = ""
  if (!(r + 0 >= nr + 0)) bad = bad sprintf("Recall@20 %.4f < %.4f", r, nr)
  if (!(m + 0 >= nm + 0)) bad = bad (bad == "" ? "" : " and ") sprintf("MRR@20 %.4f < %.4f", m, nm)
  print (bad == "" ? "pass" : bad) }')
FIGURES="candidate Recall@20 $(fmt4 "$CAND_R") / MRR@20 $(fmt4 "$CAND_M") vs served version $SERVED_VERSION's $(fmt4 "$SERVED_R") / $(fmt4 "$SERVED_M") ($GATE_LABEL, tolerance $TOLERANCE)"

if [ "$verdict" != "pass" ]; then
  DECISION="refused" EXIT_CODE=3
  REASON="$verdict: $FIGURES; version $SERVED_VERSION keeps serving"
  log "$REASON"
  exit 3
fi

if [ "$DRILL" -eq 1 ]; then
  fail "DRILL FAILED: the gate passed a candidate trained on shuffled item ids ($FIGURES); not published"
fi

# ---- 5. publish as the next version, atomically ----
now_highest=$(highest_version any)
if [ "$now_highest" != "$SERVED_VERSION" ]; then
  fail "the gate passed ($FIGURES), but $MODEL_DIR/$now_highest appeared while retraining: not publishing over it"
fi
NEXT_VERSION=$((SERVED_VERSION + 1))
PUBLISH_TMP="$MODEL_DIR/.retrain-$NEXT_VERSION.tmp-$$"
rm -rf "$PUBLISH_TMP"
cp -R "$WORK/candidate/1" "$PUBLISH_TMP" || fail "cannot copy the candidate into $MODEL_DIR"
sync "$PUBLISH_TMP"/* "$PUBLISH_TMP" || fail "cannot sync $PUBLISH_TMP"
[ ! -e "$MODEL_DIR/$NEXT_VERSION" ] || fail "$MODEL_DIR/$NEXT_VERSION appeared while publishing"
mv -T "$PUBLISH_TMP" "$MODEL_DIR/$NEXT_VERSION" || fail "cannot rename the candidate to $MODEL_DIR/$NEXT_VERSION"
PUBLISH_TMP=""
sync "$MODEL_DIR" || true
PUBLISHED_DIR="$MODEL_DIR/$NEXT_VERSION"
DECISION="published" EXIT_CODE=0
REASON="$FIGURES: both >= the served figures minus the tolerance; published as version $NEXT_VERSION"
log "$REASON"
exit 0
